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
        self._worst = np.inf  # the lowest score told so far
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

    def race_level(self, work):
        return 0.0  # every trial is complete: it races against the best so far

    # what the proposer learns of a trial dropped by fold racing: its mean over the folds
    # it ran ("partial"), or the worst score seen so far ("worst"); benchmarks/racing.py
    # measures both
    raced_told = "partial"

    def on_result(self, result: TrialResult):
        self._pending.pop(result.trial_id, None)
        self._done += 1
        if result.objectives is not None and hasattr(self.proposer, "tell_vector"):
            self.proposer.tell_vector(result.params, result.objectives)
            return
        score = result.score if not result.failed else np.nan
        if np.isfinite(score):
            self._worst = min(self._worst, score)
            if result.race and result.race.get("dropped") and self.raced_told == "worst":
                score = self._worst
        if getattr(self.proposer, "fold_noise", False) and np.isfinite(result.std_error):
            self.proposer.tell(result.params, score, std_error=result.std_error)
        else:
            self.proposer.tell(result.params, score)

    def is_finished(self):
        return not self._pending and self._done >= self.n_iter
