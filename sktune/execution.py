"""Execution: the only module that knows about processes, threads and devices.

An :class:`Executor` runs :class:`~sktune._evaluate.Job` objects and hands back
their results in the order they finish. It keeps at most ``capacity`` jobs in
flight; the rest wait in the parent, so schedulers decide with fresh results.
Each job in flight holds one device slot, and a job that names the device its
trial ran on last gets that device back when it is free.

Backends, chosen from the active ``joblib.parallel_config``:

- one worker: jobs run inline, in this process (in one worker process instead
  when a time limit is set, so that a hanging job can be killed);
- ``loky`` (the default) and ``multiprocessing``: joblib's reusable loky
  process pool, asked for as ``joblib.Parallel`` does, so its warm workers are
  shared with ``GridSearchCV`` and later searches. Loky starts its workers
  with fork+exec, so CUDA is never initialised in a forked process. The
  shared data (estimator, X, y, splits) is written once to a temporary file
  that each worker reads once;
  each worker's BLAS/OpenMP/torch threads are capped at ``cpu_count // k``;
- ``threading``: a thread pool (thread caps set once in this process);
- ``dask``: the active ``distributed.Client`` (data scattered once). Jobs on
  a CUDA device ask for the worker resource ``GPU`` when workers declare it;
- any other joblib backend (Ray's ``ray``, ...): jobs run in rounds of at most
  ``capacity`` through ``joblib.Parallel``, so the backend does the work.

Failure handling: a job never raises (errors come back as text). When a loky
worker dies (killed, segfault, out of memory) every job in flight is broken;
the ones that finished are kept, the others become *suspects* and are run
again one at a time, so only a job that kills its worker on its own is failed.
A job past ``timeout`` seconds is failed; its worker is killed (process
backends) and the other jobs in flight are run again.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import traceback
import warnings
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait

import joblib
from joblib import Parallel, delayed

from ._compat import JoblibLokyPool
from ._evaluate import Data, DataFile, Job, JobResult, cloudpickle_module, run_job

__all__ = ["Executor", "resolve_devices", "cuda_device_count", "check_devices"]

_DEVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*(:[0-9]+)?$")



def cuda_device_count():
    """Number of visible CUDA devices, without initialising CUDA in this process.

    ``torch.cuda.device_count`` asks NVML first, without initialising the CUDA
    driver in this process (``torch.cuda.is_available`` would), so workers forked
    later stay safe; 0 without torch or a CUDA build.
    """
    try:
        import torch
    except ImportError:
        return 0
    if not torch.backends.cuda.is_built():
        return 0
    return int(torch.cuda.device_count())


def resolve_devices(devices, trials_per_device=1):
    """Device slots for ``devices`` (None, "auto", a str or a list of str).

    ``"auto"`` means every visible CUDA device, or the CPU (``[None]``) when
    there is none.
    """
    if devices is None:
        return [None]
    if isinstance(devices, str) and devices == "auto":
        n = cuda_device_count()
        devices = [f"cuda:{i}" for i in range(n)]
        if not devices:
            return [None]
    elif isinstance(devices, str):
        devices = [devices]
    return [d for d in devices for _ in range(int(trials_per_device))]


def check_devices(devices, owner):
    """Reject device names that are malformed, or CUDA devices this machine lacks.

    The CUDA check is skipped under a Dask (or other remote) joblib backend,
    whose workers may have GPUs this process does not see.
    """
    if devices is None or (isinstance(devices, str) and devices == "auto"):
        return
    names = [devices] if isinstance(devices, str) else list(devices)
    who = type(owner).__name__
    for name in names:
        if not isinstance(name, str) or not _DEVICE_NAME.match(name):
            raise ValueError(
                f"The 'devices' parameter of {who} must be None, 'auto' or device names such as "
                f"'cpu' or 'cuda:0'. Got {name!r} instead."
            )
    cuda = [n for n in names if n.split(":")[0] == "cuda"]
    if cuda and active_backend_name() not in ("dask", "other"):
        n_visible = cuda_device_count()
        for name in cuda:
            index = int(name.split(":")[1]) if ":" in name else 0
            if index >= n_visible:
                raise ValueError(
                    f"The 'devices' parameter of {who} names {name!r}, but {n_visible} CUDA "
                    "device(s) are visible here. Use devices=None (CPU) or 'auto'."
                )


def _active_backend():
    backend, n_jobs = joblib.parallel.get_active_backend()
    name = type(backend).__name__.lower()
    for key in ("dask", "threading", "loky", "sequential", "multiprocessing"):
        if key in name:
            return key, n_jobs
    return "other", n_jobs


def active_backend_name():
    """The active joblib backend: "loky", "threading", "dask", "sequential",
    "multiprocessing" or "other"."""
    return _active_backend()[0]


def effective_n_jobs(n_jobs):
    kind, default = _active_backend()
    if n_jobs is None:
        n_jobs = default if default not in (None, 0) else 1
    if kind == "dask" and n_jobs < 0:
        from distributed import get_client

        return max(1, sum(get_client().nthreads().values()))
    if kind == "other":
        try:
            return max(1, joblib.effective_n_jobs(n_jobs))
        except Exception:  # some backends cannot tell before they start
            return max(1, os.cpu_count() or 1)
    return max(1, joblib.effective_n_jobs(n_jobs)) if n_jobs != 0 else 1


def _exit_code(exc):
    text = str(exc)
    found = re.search(r"exit codes? of the workers? (?:are|is) (\{[^}]*\})", text)
    return f" with exit code {found.group(1)}" if found else f" ({type(exc).__name__}: {text[:200]})"


def _worker_died_text(exc):
    return (
        f"WorkerDiedError: the worker process running this job died{_exit_code(exc)}: killed, "
        "crashed or out of memory. It died again when run alone, so this job caused it."
    )


def _is_pool_death(exc):
    from joblib.externals.loky.process_executor import BrokenProcessPool

    return isinstance(exc, BrokenProcessPool)


def _warm_worker(data_ref):
    """Load the shared data (and import what it needs) in a fresh worker."""
    from ._evaluate import _resolve_data

    _resolve_data(data_ref)
    time.sleep(0.2)  # hold this worker so that the next warm-up goes to another one
    return os.getpid()


class Executor:
    """Run jobs on workers, at most one per device slot, results unordered.

    Parameters
    ----------
    data : Data
        What all jobs share.
    n_jobs : int or None
        Workers, as joblib reads it (-1: all cores).
    devices : None, "auto", str or list of str
        Device slots; with several, a job in flight holds one.
    trials_per_device : int
        Slots per device.
    timeout : float or None
        Seconds after which a job in flight is failed (and its worker killed
        where the backend allows).

    Attributes
    ----------
    capacity : int
        Jobs in flight at most.
    kind : str
        The backend used ("inline", "loky", "threading", "dask", "other").
    busy_time : float
        Sum of the wall time of every finished job, as measured in its worker.
    n_restarts : int
        Times the worker pool was restarted (a worker died or was killed).
    """

    def __init__(self, data: Data, n_jobs=None, devices=None, trials_per_device=1, timeout=None):
        self.data = data
        self.slots = resolve_devices(devices, trials_per_device)
        self.trials_per_device = int(trials_per_device)
        self.timeout = timeout
        self.kind, _ = _active_backend()
        if self.kind == "multiprocessing":
            self.kind = "loky"  # loky forks and execs: CUDA-safe, and survives worker deaths
        n_workers = effective_n_jobs(n_jobs)
        if devices is not None:
            n_workers = min(n_workers, len(self.slots)) if n_jobs is not None else len(self.slots)
        self.capacity = max(1, n_workers)
        if devices is None:  # CPU: one slot per worker
            self.slots = [None] * self.capacity
        if self.capacity == 1 and self.kind not in ("dask", "other"):
            self.kind = "loky" if timeout is not None else "inline"
        data.pack_models = self.kind not in ("inline", "threading")  # same process: as is
        self.n_threads = None
        if self.kind in ("loky", "threading"):
            self.n_threads = max(1, joblib.cpu_count() // self.capacity)
        self._free = list(self.slots)
        self._queue: deque[Job] = deque()
        self._suspects: deque[Job] = deque()  # run alone after a worker death
        self._isolating = False
        self._running = {}  # future -> (job, slot, start time)
        self._done: deque[JobResult] = deque()
        self._pool = None
        self._joblib_pool = None
        self._data_ref = data
        self._data_file = None
        self._thread_limits = None
        self._gpu_resource = False
        self.busy_time = 0.0
        self.n_restarts = 0

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self):
        if self.kind == "loky":
            self._write_data_file()
            self._pool = self._loky_pool()
            self._warm_up()
        elif self.kind == "threading":
            self._pool = ThreadPoolExecutor(max_workers=self.capacity)
            self._cap_local_threads()
        elif self.kind == "dask":
            from distributed import get_client

            self._pool = get_client()
            self._data_ref = self._pool.scatter(self.data, broadcast=True, hash=False)
            try:
                info = self._pool.scheduler_info()
                self._gpu_resource = any(
                    "GPU" in (w.get("resources") or {}) for w in info.get("workers", {}).values()
                )
            except Exception:
                self._gpu_resource = False
        elif self.kind == "other" and self.timeout is not None:
            warnings.warn(
                "trial_timeout is not enforced with this joblib backend; use loky, threading or "
                "dask for per-trial time limits.", UserWarning, stacklevel=4,
            )
        return self

    def __exit__(self, exc_type, exc, tb):
        interrupted = exc_type is not None
        for fut in list(self._running):
            fut.cancel()
        if self.kind == "threading" and self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self.kind == "loky" and self._pool is not None and interrupted and self._running:
            # Ctrl-C or an error: do not leave workers busy on abandoned jobs
            self._kill_pool()
        if self.kind == "dask" and self._running:
            try:
                self._pool.cancel(list(self._running))
            except Exception:
                pass
        if self._thread_limits is not None:
            self._restore_local_threads()
        if self._joblib_pool is not None:
            self._joblib_pool.close()
            self._joblib_pool = None
        self._running.clear()
        self._queue.clear()
        self._suspects.clear()
        if self._data_file is not None:
            try:
                os.unlink(self._data_file)
            except OSError:
                pass
            self._data_file = None
        return False

    def _write_data_file(self):
        folder = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        fd, path = tempfile.mkstemp(prefix="sktune-data-", suffix=".pkl", dir=folder)
        with os.fdopen(fd, "wb") as f:
            cloudpickle_module().dump(self.data, f, protocol=5)
        self._data_file = path
        self._data_ref = DataFile(path, os.path.getmtime(path), self.n_threads)

    def _loky_pool(self):
        # joblib's own reusable pool, asked for as joblib asks: warm workers are shared
        # with GridSearchCV and other joblib code, and neither restarts the other's pool
        if self._joblib_pool is not None:
            self._joblib_pool.close()
        self._joblib_pool = JoblibLokyPool(self.capacity)
        return self._joblib_pool.executor

    def _kill_pool(self):
        """Stop the pool's workers at once (they may be running abandoned jobs)."""
        if hasattr(self._pool, "terminate"):
            self._pool.terminate(kill_workers=True)  # joblib's pool: also cleans its temp folder
        else:
            self._pool.shutdown(wait=False, kill_workers=True)

    def _warm_up(self):
        """With a time limit, start the workers before timing jobs on them."""
        if self.timeout is None:
            return
        seen, deadline = set(), time.monotonic() + 300
        while len(seen) < self.capacity and time.monotonic() < deadline:
            futures = [self._pool.submit(_warm_worker, self._data_ref)
                       for _ in range(self.capacity)]
            futures_wait(futures, timeout=300)
            try:
                seen.update(f.result() for f in futures)
            except Exception:  # a worker failed to start: jobs will report it
                return

    def _cap_local_threads(self):
        import sys

        from threadpoolctl import threadpool_limits

        self._thread_limits = (threadpool_limits(limits=self.n_threads), None)
        if "torch" in sys.modules:
            torch = sys.modules["torch"]
            self._thread_limits = (self._thread_limits[0], torch.get_num_threads())
            torch.set_num_threads(self.n_threads)

    def _restore_local_threads(self):
        import sys

        ctl, torch_threads = self._thread_limits
        ctl.restore_original_limits()
        if torch_threads is not None:
            sys.modules["torch"].set_num_threads(torch_threads)
        self._thread_limits = None

    # -- work ------------------------------------------------------------------
    @property
    def n_pending(self):
        """Jobs submitted whose results have not been collected yet."""
        return len(self._queue) + len(self._suspects) + len(self._running) + len(self._done)

    @property
    def n_running(self):
        return len(self._running)

    def submit(self, job: Job):
        """Queue a job; ``job.device`` names the device it prefers (or None)."""
        self._queue.append(job)
        self._dispatch()

    def _pick(self):
        """The next (job, slot): suspects first, and a job gets its preferred device if free."""
        if self._suspects:
            if self._running:
                return None  # a suspect runs alone
            job = self._suspects.popleft()
            self._isolating = True
            return job, self._take_slot(job.device)
        if self._isolating and self._running:
            return None
        self._isolating = False
        if not self._queue or not self._free:
            return None
        for i, job in enumerate(self._queue):  # a job whose own device is free goes first
            if job.device is not None and job.device in self._free:
                del self._queue[i]
                return job, self._take_slot(job.device)
        job = self._queue.popleft()
        return job, self._take_slot(job.device)

    def _take_slot(self, preferred):
        if preferred in self._free:
            self._free.remove(preferred)
            return preferred
        return self._free.pop(0)

    def _dispatch(self):
        if self.kind == "other":
            return  # run in rounds by next_results
        while len(self._running) < self.capacity:
            picked = self._pick()
            if picked is None:
                return
            job, slot = picked
            job.device = slot
            if self.kind == "inline":
                self._collect(run_job(job, self.data))
                self._free.append(slot)
                continue
            if self.kind == "dask":
                kwargs = {}
                if self._gpu_resource and isinstance(slot, str) and slot.startswith("cuda"):
                    kwargs["resources"] = {"GPU": 1.0 / self.trials_per_device}
                fut = self._pool.submit(run_job, job, self._data_ref, pure=False, **kwargs)
            else:
                fut = self._pool.submit(run_job, job, self._data_ref)
            self._running[fut] = (job, slot, time.monotonic())

    def _collect(self, result):
        self.busy_time += result.wall_time
        self._done.append(result)

    def next_results(self):
        """Block until at least one job is done; return the finished results."""
        if self.kind == "other" and not self._done and (self._queue or self._suspects):
            self._run_round()
        while not self._done and self._running:
            self._wait_running()
            self._dispatch()
        out = list(self._done)
        self._done.clear()
        self._dispatch()
        return out

    # -- joblib rounds (any backend) --------------------------------------------
    def _run_round(self):
        if self._suspects:
            jobs = [self._suspects.popleft()]
        else:
            n = min(self.capacity, len(self._queue))
            jobs = [self._queue.popleft() for _ in range(n)]
        free = list(self.slots)
        for job in jobs:
            slot = job.device if job.device in free else free[0]
            free.remove(slot)
            job.device = slot
        got = set()
        try:
            gen = Parallel(n_jobs=self.capacity, return_as="generator_unordered")(
                delayed(run_job)(job, self.data) for job in jobs
            )
            for res in gen:
                got.add((res.trial_id, res.fold))
                self._collect(res)
        except Exception as exc:  # a worker died: the call is lost
            lost = [j for j in jobs if (j.trial_id, j.fold) not in got]
            if len(jobs) == 1:
                self._collect(self._failed(lost[0], _worker_died_text(exc)))
            else:
                self._suspects.extend(lost)
            self.n_restarts += 1

    # -- futures (loky, threads, dask) -------------------------------------------
    def _wait_running(self):
        futures = list(self._running)
        wait_for = None
        if self.timeout is not None:
            now = time.monotonic()
            first = min(start for _, _, start in self._running.values())
            wait_for = max(0.0, first + self.timeout - now) + 0.01
        if self.kind == "dask":
            from distributed import wait as dask_wait

            try:
                done = dask_wait(futures, timeout=wait_for, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            except Exception:  # dask's own TimeoutError on older versions
                done = {f for f in futures if f.done()}
        else:
            done, _ = futures_wait(futures, timeout=wait_for, return_when=FIRST_COMPLETED)
        broken = False
        for fut in done:
            job, slot, _ = self._running.pop(fut)
            self._free.append(slot)
            try:
                self._collect(fut.result())
            except Exception as exc:
                if self.kind == "loky" and _is_pool_death(exc):
                    broken = True
                    self._broken_job(job, exc)
                elif "KilledWorker" in type(exc).__name__:  # dask names the killing task
                    self._collect(self._failed(job, _worker_died_text(exc)))
                else:  # e.g. a result that cannot be sent back
                    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                    self._collect(self._failed(job, f"the job could not be run: {text}"))
        if broken:
            self._recover_loky()
        elif not done and self.timeout is not None:
            self._expire()

    def _failed(self, job, text):
        return JobResult(job.trial_id, job.fold, error=text, device=job.device)

    def _broken_job(self, job, exc):
        if self._isolating or (not self._running and not self._suspects):
            self._collect(self._failed(job, _worker_died_text(exc)))  # it died alone: guilty
            # the trial has failed: its other suspect folds need not be run (and die) again
            for other in [j for j in self._suspects if j.trial_id == job.trial_id]:
                self._suspects.remove(other)
                self._collect(self._failed(other, (
                    f"WorkerDiedError: fold {job.fold} of this trial killed its worker process"
                    f"{_exit_code(exc)}; this fold was not run again."
                )))
        else:
            self._suspects.append(job)

    def _recover_loky(self):
        """A worker died: keep what finished, re-run the rest one at a time."""
        if self._running:
            futures_wait(list(self._running), timeout=30)
        for fut, (job, slot, _) in list(self._running.items()):
            self._running.pop(fut)
            self._free.append(slot)
            try:
                self._collect(fut.result(timeout=0))
            except Exception:
                self._suspects.append(job)
        self._isolating = False
        self.n_restarts += 1
        warnings.warn(
            "A worker process died; restarting the pool and re-running the jobs it may have "
            "been running, one at a time.", RuntimeWarning, stacklevel=4,
        )
        self._pool = self._loky_pool()
        self._warm_up()

    def _expire(self):
        """Fail the jobs past the time limit; kill their workers where possible."""
        now = time.monotonic()
        grace = min(0.5, 0.1 * self.timeout)  # jobs this close to the limit go with the late one
        late = [f for f, (_, _, start) in self._running.items()
                if now - start >= self.timeout - grace]
        if not late:
            return
        for fut in late:
            job, slot, _ = self._running.pop(fut)
            self._free.append(slot)
            self._collect(self._failed(
                job, f"TimeoutError: the job ran past trial_timeout={self.timeout}s and was stopped"
            ))
        if self.kind == "loky":
            # loky cannot kill one worker: kill the pool, run the other jobs again
            innocents = [job for job, _, _ in self._running.values()]
            for _, slot, _ in self._running.values():
                self._free.append(slot)
            self._running.clear()
            self._kill_pool()
            self.n_restarts += 1
            self._pool = self._loky_pool()
            self._warm_up()
            self._queue.extendleft(reversed(innocents))
        elif self.kind == "threading":
            # a thread cannot be killed: it runs on, out of the pool, and its result is dropped
            for fut in late:
                fut.cancel()
            old = self._pool
            self._pool = ThreadPoolExecutor(max_workers=self.capacity)
            old.shutdown(wait=False)
            warnings.warn(
                "A job ran past trial_timeout; a thread cannot be stopped, so it runs on in the "
                "background. Use a process backend (loky, the default) to kill hanging jobs.",
                RuntimeWarning, stacklevel=4,
            )
        elif self.kind == "dask":
            self._expire_dask(late)

    def _expire_dask(self, late):
        """A Dask task cannot be stopped from outside: restart the workers running the late
        ones (their other jobs are run again), so no later job waits behind a hung one."""
        client = self._pool
        keys = {f.key for f in late}
        try:
            hosts = [w for w, ks in client.processing().items() if keys & set(ks)]
        except Exception:
            hosts = []
        innocents = [job for job, _, _ in self._running.values()]
        futures = list(late) + list(self._running)
        for _, slot, _ in self._running.values():
            self._free.append(slot)
        self._running.clear()
        try:
            client.cancel(futures)
        except Exception:
            pass
        restarted = False
        if hosts:
            try:
                client.restart_workers(hosts)
                restarted = True
                self.n_restarts += 1
                self._data_ref = client.scatter(self.data, broadcast=True, hash=False)
            except Exception:
                restarted = False
        if not restarted:
            warnings.warn(
                "A job ran past trial_timeout and its Dask worker could not be restarted; the "
                "task runs on in the background and keeps its worker busy.",
                RuntimeWarning, stacklevel=5,
            )
        self._queue.extendleft(reversed(innocents))
