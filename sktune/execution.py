"""Execution: the only module that knows about processes, threads and devices.

An :class:`Executor` runs :class:`~sktune._evaluate.Job` objects and hands back
their results in the order they finish. It keeps at most ``capacity`` jobs in
flight; the rest wait in the parent, so schedulers decide with fresh results.
Each job in flight holds one device slot.

Backends, chosen from the active ``joblib.parallel_config``:

- one worker: jobs run inline, in this process;
- ``loky`` (the default): one reusable process pool for the whole ``fit``;
- ``threading``: a thread pool;
- ``dask``: the active ``distributed.Client`` (data scattered once);
- any other joblib backend (Ray...): queued jobs run in rounds through
  ``joblib.Parallel`` so the backend does the work.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait

import joblib
from joblib import Parallel, delayed

from ._evaluate import Data, Job, JobResult, run_job

__all__ = ["Executor", "resolve_devices"]


def resolve_devices(devices, trials_per_device=1):
    """Device slots for ``devices`` (None, "auto", a str or a list of str)."""
    if devices is None:
        return [None]
    if devices == "auto":
        try:
            import torch
        except ImportError:
            return [None]
        n = torch.cuda.device_count()
        devices = [f"cuda:{i}" for i in range(n)] or [None]
    elif isinstance(devices, str):
        devices = [devices]
    return [d for d in devices for _ in range(int(trials_per_device))]


def _active_backend():
    backend, n_jobs = joblib.parallel.get_active_backend()
    name = type(backend).__name__.lower()
    for key in ("dask", "threading", "loky", "sequential", "multiprocessing"):
        if key in name:
            return key, n_jobs
    return "other", n_jobs


def effective_n_jobs(n_jobs):
    kind, default = _active_backend()
    if n_jobs is None:
        n_jobs = default if default not in (None, 0) else 1
    if kind == "dask" and n_jobs < 0:
        from distributed import get_client

        n_jobs = sum(get_client().nthreads().values())
    return max(1, joblib.effective_n_jobs(n_jobs)) if n_jobs != 0 else 1


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
    """

    def __init__(self, data: Data, n_jobs=None, devices=None, trials_per_device=1):
        self.data = data
        self.slots = resolve_devices(devices, trials_per_device)
        self.kind, _ = _active_backend()
        n_workers = effective_n_jobs(n_jobs)
        if devices is not None:
            n_workers = min(n_workers, len(self.slots)) if n_jobs is not None else len(self.slots)
        self.capacity = max(1, n_workers)
        if self.capacity == 1 and self.kind not in ("dask", "other"):
            self.kind = "inline"
        if self.kind in ("loky", "multiprocessing"):
            self.data.n_threads = max(1, (os.cpu_count() or 1) // self.capacity)
        self._free = list(self.slots)
        self._queue: deque[Job] = deque()
        self._running = {}  # future -> (job, slot)
        self._done: deque[JobResult] = deque()
        self._pool = None
        self._data_ref = data
        self.busy_time = 0.0

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self):
        if self.kind == "loky":
            from joblib.externals.loky import get_reusable_executor

            self._pool = get_reusable_executor(max_workers=self.capacity, reuse=True)
        elif self.kind == "threading":
            self._pool = ThreadPoolExecutor(max_workers=self.capacity)
        elif self.kind == "dask":
            from distributed import get_client

            self._pool = get_client()
            self._data_ref = self._pool.scatter(self.data, broadcast=True, hash=False)
        return self

    def __exit__(self, *exc):
        for fut in list(self._running):
            fut.cancel()
        if self.kind == "threading" and self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._running.clear()
        self._queue.clear()
        return False

    # -- work ------------------------------------------------------------------
    @property
    def n_pending(self):
        """Jobs submitted whose results have not been collected yet."""
        return len(self._queue) + len(self._running) + len(self._done)

    @property
    def n_running(self):
        return len(self._running)

    def submit(self, job: Job):
        self._queue.append(job)
        self._dispatch()

    def _take_slot(self, preferred):
        if preferred in self._free:
            self._free.remove(preferred)
            return preferred
        return self._free.pop(0)

    def _dispatch(self):
        if self.kind == "other":
            return  # run in rounds by next_results
        while self._queue and self._free and len(self._running) < self.capacity:
            job = self._queue.popleft()
            slot = self._take_slot(job.device)
            job.device = slot
            if self.kind == "inline":
                self._done.append(run_job(job, self.data))
                self._free.append(slot)
                continue
            if self.kind == "dask":
                fut = self._pool.submit(run_job, job, self._data_ref, pure=False)
            else:
                fut = self._pool.submit(run_job, job, self.data)
            self._running[fut] = (job, slot)

    def next_results(self):
        """Block until at least one job is done; return the finished results."""
        if not self._done and self.kind == "other" and self._queue:
            jobs = list(self._queue)
            self._queue.clear()
            for i, job in enumerate(jobs):
                job.device = self.slots[i % len(self.slots)] if len(jobs) <= len(self.slots) else None
            gen = Parallel(n_jobs=self.capacity, return_as="generator_unordered")(
                delayed(run_job)(job, self.data) for job in jobs
            )
            self._done.extend(gen)
        if not self._done and self._running:
            self._wait_running()
        out = list(self._done)
        self._done.clear()
        self._dispatch()
        return out

    def _wait_running(self):
        futures = list(self._running)
        if self.kind == "dask":
            from distributed import wait as dask_wait

            done = dask_wait(futures, return_when="FIRST_COMPLETED").done
        else:
            done, _ = futures_wait(futures, return_when=FIRST_COMPLETED)
        broken = []
        for fut in done:
            job, slot = self._running.pop(fut)
            self._free.append(slot)
            try:
                self._done.append(fut.result())
            except Exception as exc:  # the worker died: pool broken
                broken.append((job, exc))
        if broken:
            self._recover(broken)

    def _recover(self, broken):
        """A worker died: fail the jobs it may have run, keep everything else."""
        # Every job in flight when a loky worker dies gets the same error; the
        # pool restarts. Jobs are failed with the message (journaled upstream).
        for fut, (job, slot) in list(self._running.items()):
            self._running.pop(fut)
            self._free.append(slot)
            broken.append((job, None))
        for job, exc in broken:
            if exc is None:  # innocent bystander: run it again
                self._queue.appendleft(job)
                continue
            text = f"the worker running this job died ({type(exc).__name__}: {exc})"
            self._done.append(JobResult(job.trial_id, job.fold, error=text, device=job.device))
        if self.kind == "loky":
            from joblib.externals.loky import get_reusable_executor

            warnings.warn("A worker process died; restarting the pool.", RuntimeWarning, stacklevel=3)
            self._pool = get_reusable_executor(max_workers=self.capacity, reuse=True)
