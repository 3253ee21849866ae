"""The executor's policy: queue, device slots, suspects after a worker death, time limits."""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import wait as futures_wait

import sklearn

from .._evaluate import Data, Job, JobResult
from .backend import exit_code_text, failed, worker_died_text
from .dask_client import DaskBackend
from .devices import REMOTE_BACKENDS, active_backend, effective_n_jobs, resolve_devices
from .inline import InlineBackend
from .joblib_rounds import JoblibRoundsBackend
from .loky_pool import LokyBackend
from .threads import ThreadBackend

_BACKENDS = {
    "loky": LokyBackend, "multiprocessing": LokyBackend,  # loky forks and execs: CUDA-safe
    "threading": ThreadBackend, "dask": DaskBackend, "other": JoblibRoundsBackend,
    "sequential": InlineBackend,
}


def _choose_backend(capacity, timeout):
    """The backend class for the active ``joblib.parallel_config``."""
    name, _ = active_backend()
    if capacity == 1 and name not in REMOTE_BACKENDS:
        return LokyBackend if timeout is not None else InlineBackend  # a process can be killed
    return _BACKENDS[name]


def _plan_slots(n_jobs, devices, trials_per_device):
    """Jobs in flight at most, and one device slot each (None: the CPU)."""
    slots = resolve_devices(devices, trials_per_device)
    n_workers = effective_n_jobs(n_jobs)
    if devices is not None:
        n_workers = min(n_workers, len(slots)) if n_jobs is not None else len(slots)
    capacity = max(1, n_workers)
    return capacity, (slots if devices is not None else [None] * capacity)


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
    backend : Backend
        Runs the jobs (see :mod:`sktune.execution`).
    busy_time : float
        Sum of the wall time of every finished job, as measured in its worker.
    """

    def __init__(self, data: Data, n_jobs=None, devices=None, trials_per_device=1, timeout=None):
        self.data = data
        self.timeout = timeout
        self.capacity, self.slots = _plan_slots(n_jobs, devices, trials_per_device)
        backend_class = _choose_backend(self.capacity, timeout)
        self.backend = backend_class(self.capacity, timeout, int(trials_per_device))
        data.pack_models = self.backend.pack_models
        data.sklearn_config = sklearn.get_config()  # the caller's, for the workers
        self._free = list(self.slots)
        self._queue: deque[Job] = deque()
        self._suspects: deque[Job] = deque()  # run alone after a worker death
        self._isolating = False
        self._running = {}  # future -> (job, slot, start time)
        self._done: deque[JobResult] = deque()
        self.busy_time = 0.0

    @property
    def kind(self):
        """The backend used ("inline", "loky", "threading", "dask", "other")."""
        return self.backend.name

    @property
    def n_restarts(self):
        """Times the workers were restarted (a worker died or was killed)."""
        return self.backend.n_restarts

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self):
        self.backend.start(self.data)
        return self

    def __exit__(self, exc_type, exc, tb):
        abandoned = list(self._running)
        for future in abandoned:
            future.cancel()
        self.backend.close(abandoned, interrupted=exc_type is not None)
        self._running.clear()
        self._queue.clear()
        self._suspects.clear()
        return False

    # -- work ------------------------------------------------------------------
    @property
    def n_pending(self):
        """Jobs submitted whose results have not been collected yet."""
        return len(self._queue) + len(self._suspects) + len(self._running) + len(self._done)

    def submit(self, job: Job):
        """Queue a job; ``job.device`` names the device it prefers (or None)."""
        self._queue.append(job)
        self._dispatch()

    def next_results(self):
        """Block until at least one job is done; return the finished results."""
        while not self._done and self._running:
            self._wait_running()
            self._dispatch()
        out = list(self._done)
        self._done.clear()
        self._dispatch()
        return out

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
        while len(self._running) < self.capacity:
            picked = self._pick()
            if picked is None:
                return
            job, slot = picked
            job.device = slot
            future = self.backend.submit(job)
            self._running[future] = (job, slot, time.monotonic())
            if future.done():  # it ran at once (inline): its slot is free for the next job
                self._settle([future])

    def _collect(self, result):
        self.busy_time += result.wall_time
        self._done.append(result)

    def _release(self, future):
        """Take a future out of flight and free its slot; return its job."""
        job, slot, _ = self._running.pop(future)
        self._free.append(slot)
        return job

    # -- results and failures ----------------------------------------------------
    def _wait_running(self):
        done = self.backend.wait(list(self._running), self._wait_limit())
        if done:
            self._settle(done)
        elif self.timeout is not None:
            self._expire()

    def _wait_limit(self):
        """Seconds until the oldest job in flight passes the time limit (None: no limit)."""
        if self.timeout is None:
            return None
        first = min(start for _, _, start in self._running.values())
        return max(0.0, first + self.timeout - time.monotonic()) + 0.01

    def _settle(self, done):
        """Collect finished futures; after a worker death, sort out the jobs it broke."""
        alone = self._isolating or len(self._running) == 1
        broken = []
        for future in done:
            job = self._release(future)
            try:
                self._collect(future.result())
            except Exception as exc:
                if self.backend.is_worker_death(exc):
                    broken.append((job, exc))
                else:  # e.g. a result that cannot be sent back
                    self._collect(failed(job, self.backend.error_text(exc)))
        for job, exc in broken:
            if alone:
                self._fail_killer(job, exc)
            else:
                self._suspects.append(job)
        if broken:
            self._recover()

    def _fail_killer(self, job, exc):
        """``job`` killed its worker on its own; its trial's other suspect folds fail with it."""
        self._collect(failed(job, worker_died_text(exc)))
        for other in [j for j in self._suspects if j.trial_id == job.trial_id]:
            self._suspects.remove(other)
            self._collect(failed(other, (
                f"WorkerDiedError: fold {job.fold} of this trial killed its worker process"
                f"{exit_code_text(exc)}; this fold was not run again."
            )))

    def _recover(self):
        """A worker died: keep what finished, run the rest again one at a time."""
        if self._running:
            futures_wait(list(self._running), timeout=30)
        for future in list(self._running):
            job = self._release(future)
            try:
                self._collect(future.result(timeout=0))
            except Exception:
                self._suspects.append(job)
        self._isolating = False
        self.backend.restart()

    def _expire(self):
        """Fail the jobs past the time limit; stop their workers where the backend can."""
        now = time.monotonic()
        grace = min(0.5, 0.1 * self.timeout)  # jobs this close to the limit go with the late one
        late = [f for f, (_, _, start) in self._running.items()
                if now - start >= self.timeout - grace]
        if not late:
            return
        for future in late:
            self._collect(failed(self._release(future), (
                f"TimeoutError: the job ran past trial_timeout={self.timeout}s and was stopped"
            )))
        if self.backend.stop_late(late, list(self._running)):
            innocents = [self._release(future) for future in list(self._running)]
            self._queue.extendleft(reversed(innocents))
