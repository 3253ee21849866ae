"""joblib's ``threading`` backend: a thread pool in this process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import joblib

from .._evaluate import cap_threads, run_job
from .._warn import warn
from .backend import Backend


class ThreadBackend(Backend):
    """A thread pool; BLAS/OpenMP/torch threads of this process are capped while it runs."""

    name = "threading"
    pack_models = False  # same process: fold models stay as they are

    def start(self, data):
        """Start the pool and cap this process's threads at ``cpu_count // capacity``."""
        self.data = data
        self._pool = ThreadPoolExecutor(max_workers=self.capacity)
        self._restore_threads = cap_threads(max(1, joblib.cpu_count() // self.capacity))

    def close(self, futures, interrupted):
        """Drop the queued jobs and give the thread limits back."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._restore_threads()

    def submit(self, job):
        """Run ``job`` on a thread of the pool."""
        return self._pool.submit(run_job, job, self.data)

    def stop_late(self, late, others):
        """A thread cannot be killed: it runs on, out of a fresh pool, its result dropped."""
        for future in late:
            future.cancel()
        old, self._pool = self._pool, ThreadPoolExecutor(max_workers=self.capacity)
        old.shutdown(wait=False)
        warn(
            "A job ran past trial_timeout; a thread cannot be stopped, so it runs on in the "
            "background. Use a process backend (loky, the default) to kill hanging jobs.",
            RuntimeWarning)
        return False
