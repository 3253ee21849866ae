"""joblib's reusable loky process pool (also for one worker under a time limit)."""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import wait as futures_wait

import joblib

from .._compat import JoblibLokyPool, is_broken_process_pool
from .._evaluate import DataFile, _resolve_data, cloudpickle_module, run_job
from .._warn import warn
from .backend import Backend


def _warm_worker(data_ref):
    """Load the shared data (and import what it needs) in a fresh worker."""
    _resolve_data(data_ref)
    time.sleep(0.2)  # hold this worker so that the next warm-up goes to another one
    return os.getpid()


class LokyBackend(Backend):
    """Process workers from joblib's own loky pool, sharing data through one file.

    The pool is asked for as ``joblib.Parallel`` asks, so its warm workers are
    shared with ``GridSearchCV`` and later searches. Each worker reads the
    shared data once and caps its threads at ``cpu_count // capacity``.
    """

    name = "loky"

    def start(self, data):
        """Write the shared data to a file, start the pool and, under a time limit, warm it."""
        self._write_data_file(data)
        self._joblib_pool = None
        self._new_pool()

    def _write_data_file(self, data):
        shm = "/dev/shm"
        folder = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
        fd, path = tempfile.mkstemp(prefix="sktune-data-", suffix=".pkl", dir=folder)
        with os.fdopen(fd, "wb") as f:
            cloudpickle_module().dump(data, f, protocol=5)
        n_threads = max(1, joblib.cpu_count() // self.capacity)
        self._data_ref = DataFile(path, os.path.getmtime(path), n_threads)

    def _new_pool(self):
        # joblib's own reusable pool, asked for as joblib asks: warm workers are shared
        # with GridSearchCV and other joblib code, and neither restarts the other's pool
        if self._joblib_pool is not None:
            self._joblib_pool.close()
        self._joblib_pool = JoblibLokyPool(self.capacity)
        self._pool = self._joblib_pool.executor
        self._warm_up()

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

    def _kill_pool(self):
        """Stop the pool's workers at once (they may be running abandoned jobs)."""
        if hasattr(self._pool, "terminate"):
            self._pool.terminate(kill_workers=True)  # joblib's pool: also cleans its temp folder
        else:
            self._pool.shutdown(wait=False, kill_workers=True)

    def close(self, futures, interrupted):
        """Kill workers left busy on abandoned jobs, release the pool, delete the data file."""
        if interrupted and futures:  # Ctrl-C or an error
            self._kill_pool()
        self._joblib_pool.close()
        try:
            os.unlink(self._data_ref.path)
        except OSError:
            pass

    def submit(self, job):
        """Run ``job`` in a worker process."""
        return self._pool.submit(run_job, job, self._data_ref)

    def is_worker_death(self, exc):
        """A dead worker breaks loky's pool."""
        return is_broken_process_pool(exc)

    def restart(self):
        """A worker died: start a fresh pool."""
        super().restart()
        warn(
            "A worker process died; restarting the pool and re-running the jobs it may have "
            "been running, one at a time.", RuntimeWarning)
        self._new_pool()

    def stop_late(self, late, others):
        """loky cannot kill one worker: kill the pool; the other jobs must run again."""
        self._kill_pool()
        self.n_restarts += 1
        self._new_pool()
        return True
