"""Stopping trials by their learning curves (Domhan et al. 2015), asynchronously.

Every trial trains from ``min_resources`` towards ``max_resources`` through
checkpoints ``min_resources * factor**(i/2)`` (two per halving rung: for
``R=27``, ``factor=3``: 1, 2, 3, 5, 9, 16, 27), continuing its fold models and
scored at each. After each checkpoint an ensemble of learning-curve families
(:mod:`sktune.curves`) fitted to the trial's mean CV scores so far predicts
its score at ``max_resources``; the trial stops when the probability that it
beats the incumbent (the best score reached at ``max_resources``) is below
``threshold``. Before its own curve is long enough to extrapolate, the curves
of the trials that finished bound it: once ``min_peers`` of them reached
``max_resources``, a trial stops when even the largest gain any of them made
from the same checkpoint to the end (plus two standard errors of its score)
would leave it below the incumbent. Unlike halving, no quota decides: a trial
whose curve still climbs goes on, however many others stopped, and one that
plateaus low stops early. Until a trial reaches ``max_resources`` there is no
incumbent and nothing stops.

New trials start whenever a worker frees up, while the epoch budget allows it
(by default what synchronous Hyperband would train, so the two compare at equal
epochs): a trial starts only when it could run to ``max_resources`` inside
the budget, counting what the running trials could still train.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..curves import fit_learning_curve
from ..proposers.budget import tell_at_budget
from .base import Scheduler, TrialResult, Work

__all__ = ["CurveStoppingScheduler", "curve_checkpoints"]


def curve_checkpoints(min_resources, max_resources, factor=3, *, integer=True):
    """The budgets a trial is scored at: ``min_resources * factor**(i/2)`` up to
    ``max_resources`` (which is always the last), rounded to integers if ``integer``."""
    ratio = max_resources / min_resources
    n = int(math.floor(2 * math.log(ratio) / math.log(factor) + 1e-9)) if ratio > 1 else 0
    points = [min_resources * float(factor) ** (i / 2) for i in range(n + 1)] + [max_resources]
    if integer:
        points = [max(1, int(round(p))) for p in points]
    out = []
    for p in points:
        if p <= max_resources and (not out or p > out[-1]):
            out.append(p)
    if out[-1] != max_resources:
        out.append(max_resources)
    return out


@dataclass
class _Curve:
    trial_id: int
    params: dict
    step: int = 0  # index of the checkpoint of the latest work handed out
    scores: list = field(default_factory=list)  # mean CV score per checkpoint reached
    errors: list = field(default_factory=list)  # standard error of each score
    pending: bool = False
    stopped: bool = False  # stopped early, or failed
    prediction: float = float("nan")  # the last predicted score at max_resources
    p_better: float = float("nan")  # the last probability of beating the incumbent
    bound: float = float("nan")  # the last bound from the finished curves' largest gain


class CurveStoppingScheduler(Scheduler):
    """Asynchronous training with learning-curve early stopping.

    Parameters
    ----------
    proposer : Proposer
        Usually a :class:`~sktune.proposers.BudgetProposer`: it is told each
        checkpoint's score at its budget, and the predicted score at
        ``max_resources`` of each stopped trial.
    min_resources, max_resources : int
    factor : int, default=3
        Sets the checkpoints (two per factor).
    budget : float or None, default=None
        Epochs (resource units per fold) all trials together may train.
    n_candidates : int or None, default=None
        Trials to start at most; at least one of ``budget`` and
        ``n_candidates`` must be set.
    threshold : float, default=0.05
        Stop a trial when its probability of beating the incumbent at
        ``max_resources`` falls below this.
    min_points : int, default=4
        Checkpoints a trial must have before its own curve may stop it.
    min_peers : int, default=3
        Finished curves needed before their largest gains may stop a trial.
    integer : bool, default=True
    n_points : int or float, default=inf
        Distinct configurations of the space.
    """

    synchronous = False

    def __init__(self, proposer, *, min_resources, max_resources, factor=3, budget=None,
                 n_candidates=None, threshold=0.05, min_points=4, min_peers=3,
                 integer=True, n_points=math.inf):
        super().__init__()
        if budget is None and n_candidates is None:
            raise ValueError("CurveStoppingScheduler needs 'budget' or 'n_candidates'.")
        self.proposer = proposer
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor
        self.budget = budget
        self.n_candidates = math.inf if n_candidates is None else n_candidates
        self.threshold = threshold
        self.min_points = min_points
        self.min_peers = min_peers
        self.n_points = n_points
        self.checkpoints = curve_checkpoints(min_resources, max_resources, factor,
                                             integer=integer)
        self.trials: dict[int, _Curve] = {}
        self.incumbent = -np.inf  # the best mean score at max_resources
        self.finished: list[list[float]] = []  # the curves of the trials that reached it
        self.resources_used_ = 0.0

    # -- decisions -----------------------------------------------------------------------
    def _top(self):
        return len(self.checkpoints) - 1

    def _running(self, trial):
        return not trial.stopped and len(trial.scores) < len(self.checkpoints)

    def _may_start(self):
        if len(self.trials) >= min(self.n_candidates, self.n_points):
            return False
        if self.budget is None:
            return True
        # what the running trials could still train, had none of them stopped
        reserved = sum(self.max_resources - self.checkpoints[t.step]
                       for t in self.trials.values() if self._running(t))
        return self.resources_used_ + reserved + self.max_resources <= self.budget + 1e-9

    def _work(self, trial, step):
        start = self.checkpoints[step - 1] if step else 0
        stop = self.checkpoints[step]
        trial.step, trial.pending = step, True
        if step == self._top():
            self._release(trial.trial_id)  # this work continues them: no later work will
        self.resources_used_ += stop - start
        return Work(trial.trial_id, dict(trial.params), start=start, stop=stop, info={
            "iter": step, "rung": step, "n_resources": stop, "bracket": 0})

    def next_work(self, n_free):
        works = []
        waiting = sorted((t for t in self.trials.values() if self._running(t)
                          and not t.pending and t.scores), key=lambda t: t.trial_id)
        for trial in waiting[: max(int(n_free), 0)]:
            works.append(self._work(trial, len(trial.scores)))
        while len(works) < n_free and self._may_start():
            pending = [t.params for t in self.trials.values() if t.pending]
            params = self.proposer.ask(1, pending=pending)[0]
            trial = _Curve(len(self.trials), dict(params))
            self.trials[trial.trial_id] = trial
            works.append(self._work(trial, 0))
        return works

    def on_result(self, result: TrialResult):
        trial = self.trials[result.trial_id]
        trial.pending = False
        failed = result.failed or not np.isfinite(result.score)
        budget = self.checkpoints[trial.step]
        self._tell(trial.params, np.nan if failed else result.score, budget)
        if failed:
            trial.stopped = True
            self._release(trial.trial_id)
            return
        folds = self._fold_scores(result)
        trial.scores.append(float(result.score))
        trial.errors.append(0.0 if folds is None else float(np.std(folds) / math.sqrt(len(folds))))
        if len(trial.scores) == len(self.checkpoints):
            if not (result.race and result.race.get("dropped")):  # not a partial mean
                self.incumbent = max(self.incumbent, float(result.score))
                self.finished.append(list(trial.scores))
            return
        self._judge(trial)
        if trial.stopped:
            self._release(trial.trial_id)
            if np.isfinite(trial.prediction):  # the curve's guess feeds the proposals
                self._tell(trial.params, trial.prediction, self.max_resources)

    @staticmethod
    def _fold_scores(result):
        """The per-fold scores of the metric ``result.score`` averages."""
        for values in result.test_scores.values():
            values = np.asarray(values, dtype=float)
            if values.size and math.isclose(float(np.mean(values)), result.score,
                                            rel_tol=1e-12, abs_tol=1e-12):
                return values
        return None

    def _judge(self, trial):
        """Predict the trial's score at ``max_resources``; stop it if it is unlikely to
        beat the incumbent: by its own curve's extrapolation (from ``min_points``
        checkpoints on), or because even the largest gain from this checkpoint to
        ``max_resources`` seen in ``min_peers`` finished curves would leave it short."""
        n = len(trial.scores)
        if n >= self.min_points:
            fit = fit_learning_curve(self.checkpoints[:n], trial.scores, trial.errors)
            trial.prediction = fit.predict(self.max_resources)[0]
            if np.isfinite(self.incumbent):
                trial.p_better = fit.prob_above(self.max_resources, self.incumbent)
                trial.stopped = trial.p_better < self.threshold
        trial.bound = float("nan")
        if trial.stopped or not np.isfinite(self.incumbent) or len(self.finished) < self.min_peers:
            return
        gains = [c[-1] - c[n - 1] for c in self.finished]
        trial.bound = trial.scores[-1] + max(max(gains), 0.0) + 2 * trial.errors[-1]
        if trial.bound < self.incumbent:
            trial.stopped = True
            if not np.isfinite(trial.prediction):
                trial.prediction = trial.scores[-1] + float(np.median(gains))

    def _tell(self, params, score, budget):
        tell_at_budget(self.proposer, params, score, budget)

    def imported_info(self):
        """The ``cv_results_`` columns of a row imported as a result at ``max_resources``."""
        return {"iter": -1, "rung": -1, "n_resources": self.max_resources, "bracket": -1,
                **self.unjudged_info()}

    def tell_imported(self, result):
        """An imported result counts at ``max_resources``, and may be the incumbent."""
        score = np.nan if result.failed else result.score
        self.proposer.tell(result.params, score, budget=self.max_resources)
        if np.isfinite(score):
            self.incumbent = max(self.incumbent, float(score))

    def result_info(self, result):
        """The curve's verdict after this result: ``curve_prediction`` (the predicted
        score at ``max_resources``), ``curve_p_better`` (its own curve's probability of
        beating the incumbent there), ``curve_bound`` (the score the finished curves'
        largest gain would bring it to), NaN where not judged, and ``curve_stopped``."""
        trial = self.trials[result.trial_id]
        if not (len(trial.scores) == trial.step + 1 and trial.step < self._top()):
            return dict(self.unjudged_info(), curve_stopped=bool(trial.stopped
                                                                 and not result.failed))
        return {"curve_prediction": trial.prediction, "curve_p_better": trial.p_better,
                "curve_bound": trial.bound, "curve_stopped": trial.stopped}

    @staticmethod
    def unjudged_info():
        """The curve columns of a row no curve judged (the top checkpoint, an import)."""
        nan = float("nan")
        return {"curve_prediction": nan, "curve_p_better": nan, "curve_bound": nan,
                "curve_stopped": False}

    def is_finished(self):
        if any(t.pending or (self._running(t) and t.scores) for t in self.trials.values()):
            return False
        return not self._may_start()

    # -- models, resume, racing -------------------------------------------------------------
    def keep_models(self, trial_id):
        trial = self.trials.get(trial_id)
        return trial is not None and self._running(trial) and trial.step < self._top()

    def training_steps(self, trial_id, stop):
        trial = self.trials.get(trial_id)
        if trial is None:
            return None
        steps = [{"trial_id": trial_id, "params": dict(trial.params),
                  "start": self.checkpoints[i - 1] if i else 0, "stop": b}
                 for i, b in enumerate(self.checkpoints) if b <= stop + 1e-9]
        return steps if steps and abs(steps[-1]["stop"] - stop) < 1e-9 else None

    def race_level(self, work):
        if work.info.get("n_resources") != self.max_resources:
            return None
        return float(self.max_resources)

    def level(self, row):
        return float(row["info"]["n_resources"])

    fitted_attributes = ("n_resources_", "n_candidates_", "n_iterations_", "n_trials_",
                         "min_resources_", "max_resources_", "resources_used_",
                         "curve_checkpoints_", "n_stopped_early_")

    def state(self):
        counts = [sum(1 for t in self.trials.values() if len(t.scores) > i)
                  for i in range(len(self.checkpoints))]
        reached = [b for b, c in zip(self.checkpoints, counts) if c]
        return {
            "n_resources_": reached,
            "n_candidates_": [c for c in counts if c],
            "n_iterations_": len(reached),
            "n_trials_": len(self.trials),
            "min_resources_": self.min_resources,
            "max_resources_": self.max_resources,
            "resources_used_": float(self.resources_used_),
            "curve_checkpoints_": list(self.checkpoints),
            "n_stopped_early_": sum(1 for t in self.trials.values()
                                    if t.stopped and t.scores),
        }
