"""joblib's ``dask`` backend: the active ``distributed.Client``.

A worker that dies (killed, segfault, out of memory) is restarted by its
nanny; Dask then runs the tasks it was running again elsewhere, and cancels
those whose scattered data died with it. Here a job notes on the scheduler
(task metadata) where it starts, so that after a death the backend tells the
jobs that were running on the dead worker (suspects, run again one at a time;
one that kills its worker when alone is failed and named) from those that only
lost their data or their place in a queue (run again, the data scattered anew).
"""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from collections import deque

from .._evaluate import run_job
from .._warn import warn
from .backend import Backend

_NOTES = "sktune-jobs"  # the scheduler's task metadata where jobs note where they run


class DiedWhileRunning(Exception):
    """Raised by a job that Dask runs again after the worker running it died.

    Its arguments are the dead worker's address and process id.
    """


class DaskWorkerDied(Exception):
    """The error of a job whose Dask worker died running it.

    Its arguments are the message, with ``{how}`` where the worker's address
    and exit go, the address and the worker's process id.
    """


def run_noted(job, data, note_key):
    """:func:`~sktune._evaluate.run_job` in a Dask worker, noting first that it runs here.

    Parameters
    ----------
    job : Job
        The job to run.
    data : Data
        The shared data (a scattered future, resolved by Dask).
    note_key : list of str
        Where the scheduler keeps this attempt's note.

    Returns
    -------
    result : JobResult

    Raises
    ------
    DiedWhileRunning
        When an earlier run of this attempt noted that it started: Dask runs
        it again because its worker died, and the backend decides what next.
    """
    from distributed import get_client, get_worker

    try:
        client = get_client()
        note = client.get_metadata(note_key, None)
        if note is None:  # the note stays: a run again after a lost result runs alone
            client.set_metadata(note_key, ("running", get_worker().address, os.getpid()))
    except Exception:  # no client from inside a task: run unnoted
        note = None
    if note is not None and note[0] == "running":
        raise DiedWhileRunning(note[1], note[2])
    return run_job(job, data)


class _Task:
    """One job as the executor sees it: a future whose Dask task may be replaced.

    Parameters
    ----------
    backend : DaskBackend
        The backend that runs it.
    job : Job
        The job.
    """

    def __init__(self, backend, job):
        self.backend = backend
        self.job = job
        self.future = None  # the Dask future of the current attempt (None: waiting)
        self.note_key = None
        self.final = False
        self.error = None  # what result() raises, once final
        self.retries = 0  # attempts lost without running (data lost, KilledWorker)

    @property
    def key(self):
        """The Dask key of the current attempt (None while it waits)."""
        return None if self.future is None else self.future.key

    def done(self):
        """Whether the job has its outcome."""
        return self.final

    def cancel(self):
        """Cancel the job's task; it will not run again."""
        self.backend._drop(self)
        return True

    def result(self, timeout=None):
        """The job's :class:`~sktune._evaluate.JobResult` (or its error raised)."""
        while True:
            if not self.final:
                self.backend.wait([self], timeout)
            if not self.final:
                raise TimeoutError("the job is not done")
            if self.error is not None:
                raise self.error
            try:
                return self.future.result()
            except Exception:
                if self.future.status == "finished":  # e.g. it cannot be unpickled here
                    raise
            self.backend._reopen(self)  # the result died with its worker: Dask runs it again


def _is_killed_worker(exc):
    return "KilledWorker" in type(exc).__name__


def _exception_of(future):
    """What an erred or cancelled Dask future raises."""
    try:
        if future.status == "error":
            return future.exception()
        if future.status == "cancelled":
            future.result()
    except Exception as exc:
        return exc
    return None


def _exit_detail(line):
    """``"killed by SIGKILL"`` or ``"exited with status 7"`` from a nanny's log line."""
    found = re.search(r"killed by signal (\d+)", line)
    if found:
        number = int(found.group(1))
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    found = re.search(r"exited with status (-?\d+)", line)
    return f"exited with status {found.group(1)}" if found else None


class DaskBackend(Backend):
    """Jobs as tasks of the active Dask client, the shared data scattered once.

    A job on a CUDA device asks for the worker resource ``GPU`` when workers
    declare it. A job that was running on a worker that died is run again
    alone; when it kills its worker again it is failed and named, and the jobs
    that only lost their data or their queue to the dead worker run again.

    Attributes
    ----------
    max_retries : int
        Times a job whose task was lost without running is submitted again.
    """

    name = "dask"
    max_retries = 3

    def start(self, data):
        """Scatter ``data`` to every worker; find out whether workers declare GPUs."""
        from distributed import get_client

        self.data = data
        self._client = get_client()
        self._data_ref = self._scatter()
        self._gpu_resource = self._workers_declare_gpus()
        self._run = uuid.uuid4().hex
        self._live = set()  # tasks not final
        self._held = deque()  # new tasks, waiting while a suspect runs alone
        self._suspects = deque()  # were running on a worker that died
        self._alone = None  # the suspect running alone
        self._dead = {}  # address of a dead worker -> its process id
        self._how = {}  # address of a dead worker -> how it died (" (ADDRESS, EXIT)")
        self._killers = {}  # trial_id -> (fold, address, pid) of the job that killed

    def _scatter(self):
        return self._client.scatter(self.data, broadcast=True, hash=False)

    def _workers_declare_gpus(self):
        try:
            workers = self._client.scheduler_info().get("workers", {}).values()
            return any("GPU" in (w.get("resources") or {}) for w in workers)
        except Exception:
            return False

    def close(self, futures, interrupted):
        """Cancel the abandoned tasks; forget this run's notes."""
        for task in list(futures) + list(self._live):
            self._drop(task)
        try:
            self._client.set_metadata([_NOTES, self._run], {})
        except Exception:
            pass

    # -- submitting --------------------------------------------------------------
    def submit(self, job):
        """Run ``job`` as a task (holding a share of a GPU when it runs on one)."""
        task = _Task(self, job)
        self._live.add(task)
        if self._suspects or self._alone is not None:
            self._held.append(task)
        else:
            self._launch(task)
        return task

    def _launch(self, task):
        kwargs = {}
        job = task.job
        if self._gpu_resource and isinstance(job.device, str) and job.device.startswith("cuda"):
            kwargs["resources"] = {"GPU": 1.0 / self.trials_per_device}
        key = f"run_job-{uuid.uuid4().hex}"
        task.note_key = [_NOTES, self._run, key]
        try:
            if self._data_ref.status != "finished":  # lost with the workers that held it
                self._data_ref = self._scatter()
            task.future = self._client.submit(run_noted, job, self._data_ref, task.note_key,
                                              key=key, pure=False, **kwargs)
        except Exception as exc:  # e.g. no worker to scatter to
            self._finish(task, exc)

    def _drop(self, task):
        """Take ``task`` out of the backend and cancel its Dask task."""
        self._live.discard(task)
        for queue in (self._held, self._suspects):
            if task in queue:
                queue.remove(task)
        if self._alone is task:
            self._alone = None
        if task.future is not None and not task.final:
            try:
                self._client.cancel([task.future])
            except Exception:
                pass

    def _reopen(self, task):
        task.final = False
        self._live.add(task)

    def _finish(self, task, error=None):
        task.final, task.error = True, error
        self._live.discard(task)
        if self._alone is task:
            self._alone = None

    def _pump(self):
        """Start a suspect alone once nothing else runs; else the held tasks."""
        if self._alone is not None:
            return
        if self._suspects:
            if not any(t.future is not None for t in self._live if not t.final):
                self._alone = self._suspects.popleft()
                self._replicate()
                self._launch(self._alone)
            return
        while self._held:
            self._launch(self._held.popleft())

    def _replicate(self):
        """Copy the data to every worker (a restarted one has none) before a suspect runs."""
        try:
            if self._data_ref.status == "finished":
                self._client.replicate([self._data_ref])
        except Exception:
            pass

    # -- waiting and sorting out deaths -------------------------------------------
    def wait(self, futures, timeout):
        """The tasks done within ``timeout`` seconds."""
        from distributed import wait as dask_wait

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            done = {t for t in futures if t.final}
            if done:
                return done
            self._pump()
            running = {t.future: t for t in self._live if t.future is not None}
            if not running:
                return {t for t in futures if t.final}
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                finished = dask_wait(list(running), timeout=left,
                                     return_when="FIRST_COMPLETED").done
            except TimeoutError:
                finished = set()
            except Exception:  # dask's own TimeoutError on older versions
                finished = {f for f in running if f.done()}
            for future in finished:
                task = running[future]
                if task in self._live and task.future is future:
                    self._sort_out(task)
            self._pump()  # what a death held back or freed starts before results are read
            if deadline is not None and time.monotonic() >= deadline:
                return {t for t in futures if t.final}

    def _sort_out(self, task):
        """A task is done: its result, its error, or a worker death to sort out."""
        future = task.future
        if future.status == "finished":
            return self._finish(task)
        exc = _exception_of(future)
        if isinstance(exc, DiedWhileRunning):
            return self._died(task, *exc.args[:2])
        if future.status == "error" and not _is_killed_worker(exc):
            return self._finish(task, exc)
        # cancelled (its data died with a worker) or KilledWorker: did it run there?
        note = self._note(task)
        if note is not None and note[0] == "running" and self._is_dead(note[1], note[2]):
            return self._died(task, note[1], note[2])
        if task.retries >= self.max_retries:
            return self._finish(task, exc)
        task.retries += 1
        task.future = None
        if task is not self._alone and (self._suspects or self._alone is not None):
            self._held.appendleft(task)
        else:
            self._launch(task)

    def _note(self, task):
        try:
            return self._client.get_metadata(task.note_key, None)
        except Exception:
            return None

    def _is_dead(self, address, pid):
        """Whether the worker process ``pid`` at ``address`` is gone (a new one may have
        the same address)."""
        try:
            if address not in self._client.nthreads():
                return True
            return self._client.run(os.getpid, workers=[address]).get(address) != pid
        except Exception:
            return True

    def _died(self, task, address, pid):
        """``task`` was running on the worker at ``address`` when it died."""
        if address not in self._dead:
            self._dead[address] = pid
            self.n_restarts += 1  # its nanny restarts it
            how = self._how_it_died(address, pid, patience=0)
            warn(f"A Dask worker died{how}; the jobs it was running run again, one at a "
                 "time.", RuntimeWarning)
        alone, trial = task is self._alone, task.job.trial_id
        if trial in self._killers:
            return self._finish(task, self._fold_error(trial))
        if not alone:
            task.future = None
            self._suspects.append(task)
            return None
        self._killers[trial] = (task.job.fold, address, pid)
        self._finish(task, DaskWorkerDied(
            "WorkerDiedError: the Dask worker running this job died{how}: killed, crashed or "
            "out of memory. It died again when run alone, so this job killed it.", address, pid))
        for other in [t for t in self._suspects if t.job.trial_id == trial]:
            self._suspects.remove(other)
            self._finish(other, self._fold_error(trial))
        return None

    def _fold_error(self, trial):
        fold, address, pid = self._killers[trial]
        return DaskWorkerDied(
            f"WorkerDiedError: fold {fold} of this trial killed its Dask worker{{how}}; this "
            "fold, running on a worker that died too, was not run again.", address, pid)

    def _how_it_died(self, address, pid, patience=3.0):
        """`` (ADDRESS, killed by SIGKILL)``: the address, and the exit its nanny logged.

        The nannies' logs are read through their workers: wait up to ``patience``
        seconds for one on the dead worker's host to be back.
        """
        host, pattern = address.rsplit(":", 1)[0], f"Worker process {pid} "
        deadline = time.monotonic() + patience
        while True:
            try:
                workers = [w for w in self._client.nthreads() if w.rsplit(":", 1)[0] == host]
                logs = (self._client.get_worker_logs(n=1000, workers=workers, nanny=True)
                        if workers else {})
            except Exception:
                workers, logs = [], {}
            for lines in logs.values():
                for line in lines:
                    text = line[-1] if isinstance(line, (list, tuple)) else str(line)
                    detail = pattern in text and _exit_detail(text)
                    if detail:
                        return f" ({address}, {detail})"
            if workers or time.monotonic() >= deadline:
                return f" ({address})"
            time.sleep(0.1)

    def error_text(self, exc):
        """The death of a job's worker, as sorted out here; else the error's own text."""
        if isinstance(exc, DaskWorkerDied):
            text, address, pid = exc.args
            if address not in self._how:
                self._how[address] = self._how_it_died(address, pid)
            return text.format(how=self._how[address])
        return super().error_text(exc)

    # -- time limits ---------------------------------------------------------------
    def stop_late(self, late, others):
        """A task cannot be stopped from outside: restart the workers running the late ones
        (all other tasks are cancelled and run again), so no later job waits behind a hung one."""
        hosts = self._hosts_running(late)
        for task in list(late) + list(others):
            self._drop(task)
        if not (hosts and self._restart_workers(hosts)):
            warn(
                "A job ran past trial_timeout and its Dask worker could not be restarted; the "
                "task runs on in the background and keeps its worker busy.", RuntimeWarning)
        return True

    def _hosts_running(self, futures):
        keys = {f.key for f in futures if f.key is not None}
        try:
            return [w for w, ks in self._client.processing().items() if keys & set(ks)]
        except Exception:
            return []

    def _restart_workers(self, hosts):
        try:
            self._client.restart_workers(hosts)
            self.n_restarts += 1
            self._data_ref = self._scatter()
        except Exception:
            return False
        return True
