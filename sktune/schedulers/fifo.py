"""Run every proposed trial to the end (the scheduler of BayesSearchCV)."""

from __future__ import annotations

import numpy as np

from .base import Scheduler, TrialResult, Work


class FIFOScheduler(Scheduler):
    """Trials proposed by ``proposer`` and fully fitted, ``n_iter`` in all.

    Parameters
    ----------
    proposer : Proposer
    n_iter : int
        Number of trials.
    batch_size : int or None
        Synchronous mode: trials proposed together per round. ``None`` makes
        the scheduler asynchronous: a new trial is proposed whenever a worker
        frees up, with the trials in flight passed to the proposer.
    """

    def __init__(self, proposer, n_iter, batch_size=1):
        super().__init__()
        self.proposer = proposer
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.synchronous = batch_size is not None
        self._issued = 0
        self._done = 0
        self._pending: dict[int, dict] = {}
        self.n_total = n_iter

    def next_work(self, n_free):
        n = self.batch_size if self.synchronous else n_free
        n = min(n, self.n_iter - self._issued)
        if n <= 0:
            return []
        params = self.proposer.ask(n, pending=list(self._pending.values()))
        works = []
        for p in params:
            work = Work(self._issued, p, info={"iter": self._issued})
            self._pending[work.trial_id] = p
            self._issued += 1
            works.append(work)
        return works

    def on_result(self, result: TrialResult):
        self._pending.pop(result.trial_id, None)
        self._done += 1
        if result.objectives is not None and hasattr(self.proposer, "tell_vector"):
            self.proposer.tell_vector(result.params, result.objectives)
        else:
            self.proposer.tell(result.params, result.score if not result.failed else np.nan)

    def is_finished(self):
        return not self._pending and self._done >= self.n_iter
