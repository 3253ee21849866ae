"""Any other joblib backend (Ray's ``ray``, ...): jobs run in rounds through ``joblib.Parallel``."""

from __future__ import annotations

from concurrent.futures import Future

from joblib import Parallel, delayed

from .._evaluate import run_job
from .._warn import warn
from .backend import Backend


class JoblibRoundsBackend(Backend):
    """Collects the jobs handed out, then runs them as one ``joblib.Parallel`` call.

    A round holds at most ``capacity`` jobs; the backend does the work. A time
    limit cannot be enforced, and an error of the call (a worker died) loses
    the jobs of the round that had not come back.
    """

    name = "other"

    def start(self, data):
        """Keep ``data`` for the rounds; warn that a time limit is not enforced."""
        self.data = data
        self._round = []  # (future, job) handed out since the last round
        if self.timeout is not None:
            warn(
                "trial_timeout is not enforced with this joblib backend; use loky, threading or "
                "dask for per-trial time limits.", UserWarning)

    def close(self, futures, interrupted):
        """Forget the jobs of the next round."""
        self._round = []

    def submit(self, job):
        """Add ``job`` to the next round; its future is done once the round has run."""
        future = Future()
        self._round.append((future, job))
        return future

    def wait(self, futures, timeout):
        """Run the round (whatever ``timeout``); return its futures as they finished."""
        pending = {(job.trial_id, job.fold): future for future, job in self._round}
        jobs = [job for _, job in self._round]
        self._round = []
        finished = []
        try:
            for result in Parallel(n_jobs=self.capacity, return_as="generator_unordered")(
                delayed(run_job)(job, self.data) for job in jobs
            ):
                future = pending.pop((result.trial_id, result.fold))
                future.set_result(result)
                finished.append(future)
        except Exception as exc:  # a worker died: the call is lost
            for future in pending.values():
                future.set_exception(exc)
                finished.append(future)
        return finished

    def is_worker_death(self, exc):
        """Every error of the call means its jobs were lost."""
        return True
