"""Fold racing: stop a trial's cross-validation early once it cannot reasonably win.

A racing search runs the folds of a trial in their fixed order, on the same splits
as every other trial. After each fold but the last, the trial's fold scores are
compared, fold by fold, with those of the incumbent (the best complete trial at the
same budget when the trial was handed out). The paired differences
``d_i = score_i - incumbent_i`` of the ``m`` folds run so far predict the ``r`` folds
not run yet: under a normal model of the differences, with the variance estimated
from them and shrunk towards a prior (the only estimate after one fold; it keeps two
nearly equal differences from looking certain): the median variance of the other
complete trials' differences with the incumbent, or while there are fewer than two,
the incumbent's own fold variance. The sum
of the ``r`` remaining differences has a Student t predictive distribution with ``m``
degrees of freedom (``m - 1`` plus one of the prior), centred on ``r * mean(d)`` with
scale ``s * sqrt(r + r**2 / m)``. The trial is dropped when the probability that its
mean over all folds beats the incumbent's falls below ``alpha``.

So each look drops a trial that would have won the full cross-validation with
probability at most ``alpha`` under that model; over the ``k - 1`` looks of a
``k``-fold search, at most ``(k - 1) * alpha`` (a union bound). The model is a
guide, not a promise: heavy-tailed fold scores (log loss of pure-leaf trees) break it.

Work handed out together (a synchronous Hyperband rung) races as a cohort: its
members look after the same folds, and those ranked below the best ``n_keep`` race
against the ``n_keep``-th (:meth:`FoldRace.decide_cohort`). A dropped
("raced") trial is a ``cv_results_`` row with ``status == "raced"``, the folds it ran
(``folds_run``), NaN in the splits it did not run and the mean over the folds it ran;
it ranks behind every complete trial and is never the best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["win_probability"]  # the rest serves the search loop


def win_probability(diffs, n_splits, prior_var=0.0, prior_df=1.0):
    """The probability that a trial's mean over all ``n_splits`` folds beats the
    incumbent's, given the paired differences ``diffs`` of the folds run so far.

    Parameters
    ----------
    diffs : array-like of shape (m,)
        Trial score minus incumbent score, fold by fold, for the first ``m`` folds.
    n_splits : int
        Folds in all.
    prior_var : float, default=0.0
        A prior guess of the variance of one difference (the incumbent's fold
        variance), worth ``prior_df`` degrees of freedom.
    prior_df : float, default=1.0
        The weight of ``prior_var``.

    Returns
    -------
    p : float
        In [0, 1]. 1 or 0 once every fold has run (ties lose, as the first trial
        wins ties).

    Examples
    --------
    >>> from sktune.racing import win_probability
    >>> round(win_probability([-0.20, -0.25], n_splits=5, prior_var=1e-4), 4)
    0.0
    >>> round(win_probability([0.0, 0.0], n_splits=5, prior_var=1e-4), 2)
    0.5
    """
    d = np.asarray(diffs, dtype=float)
    m, r = len(d), n_splits - len(d)
    mean = float(d.mean())
    if r <= 0:
        return float(mean > 0)
    ss = float(((d - mean) ** 2).sum()) + prior_df * prior_var
    df = (m - 1) + prior_df
    if ss <= 0 or df <= 0:
        return 1.0 if mean > 0 else (0.5 if mean == 0 else 0.0)
    s = np.sqrt(ss / df)
    # final mean difference > 0  <=>  remaining sum > -m * mean
    z = -n_splits * mean / (s * np.sqrt(r + r * r / m))
    return float(stats.t.sf(z, df))


def race_info(row):
    """The racing record of a row (``{}`` when the search did not race it)."""
    return row.get("race") or {}


def is_raced(row):
    """Whether the row is a trial dropped by racing before its last fold."""
    return bool(race_info(row).get("dropped"))


def folds_run(row):
    """The folds a row's trial ran (all of them unless it was raced)."""
    return int(race_info(row).get("folds", len(row["fit_time"])))


MIN_FOLDS = 1  # folds a racing trial runs before its first look (benchmarks/racing.py)
# the prior variance of a paired difference: "pooled" over the other complete trials,
# or the incumbent's own fold variance, "reference" (benchmarks/racing.py)
PRIOR = "pooled"


@dataclass
class Reference:
    """The incumbent a trial races against: its trial id, its fold scores and the prior
    guess of the variance of one paired fold difference with it."""

    trial_id: int
    scores: np.ndarray
    prior_var: float


class FoldRace:
    """The racing rule of one search.

    Parameters
    ----------
    n_splits : int
        CV folds.
    alpha : float
        The largest win probability at which a trial is dropped (per look).
    min_folds : int or None, default=None
        Folds run before the first look (None: ``MIN_FOLDS``).
    decided : dict or None
        Decisions of a resumed journal, ``(trial_id, start, stop) -> race record``:
        replayed as they were, so a resumed search races the same way.
    """

    def __init__(self, n_splits, alpha, min_folds=None, decided=None):
        self.n_splits = int(n_splits)
        self.alpha = float(alpha)
        min_folds = MIN_FOLDS if min_folds is None else min_folds
        self.min_folds = int(min(max(min_folds, 1), n_splits))
        self.decided = dict(decided or {})

    @property
    def first_wave(self):
        """Folds handed out together when a trial starts racing."""
        return self.min_folds

    def reference(self, history, level, metric, rival=None):
        """The incumbent at ``level``: the best row there (or trial ``rival``'s row)
        with every fold scored, or None."""
        if metric is None or self.min_folds >= self.n_splits:
            return None
        row = history.best_at(level) if rival is None else history.row_at(rival, level)
        if row is None:
            return None
        scores = self._complete_scores(row, metric)
        if scores is None:
            return None
        pooled = self._pooled_prior(history, level, metric, row, scores)
        prior_var = float(np.var(scores, ddof=1)) if pooled is None else pooled
        return Reference(int(row["trial_id"]), scores, prior_var)

    def _complete_scores(self, row, metric):
        if is_raced(row) or metric not in row["test"]:
            return None
        scores = np.asarray(row["test"][metric], dtype=float)
        ok = len(scores) == self.n_splits and np.isfinite(scores).all()
        return scores if ok else None

    def _pooled_prior(self, history, level, metric, reference, ref):
        """The variance of a paired fold difference with ``reference`` (fold scores
        ``ref``), pooled over the other complete trials at ``level`` (the median of
        theirs): the fold effect all trials share cancels in it. None while
        there are fewer than two such trials, or with ``PRIOR = "reference"`` (then the
        reference's own fold variance is the prior)."""
        if PRIOR != "pooled":
            return None
        others = [s for row, lv in zip(history.rows, history.levels())
                  if lv == level and row is not reference
                  and (s := self._complete_scores(row, metric)) is not None]
        return _pooled_var(others, ref) if len(others) >= 2 else None

    def cohort_prior(self, history, level, metric):
        """The variance prior of a cohort's first look (after one fold): pooled over the
        complete trials at ``level`` against the best there, or None."""
        if metric is None or self.min_folds >= self.n_splits:
            return None
        row = history.best_at(level)
        scores = None if row is None else self._complete_scores(row, metric)
        return None if scores is None else self._pooled_prior(history, level, metric, row,
                                                              scores)

    def decide(self, work, scores, reference):
        """The race record after the folds ``scores`` (in fold order): ``dropped`` says
        whether the trial stops here."""
        replayed = self._replayed(work, len(scores))
        if replayed is not None:
            return replayed
        return self._look(scores, reference.scores, reference.prior_var, reference.trial_id)

    def decide_cohort(self, members, n_keep, prior):
        """The race records of a cohort's members after the same folds.

        ``members`` are ``(work, scores)`` (fold order); those ranked within the best
        ``n_keep`` by their mean go on, the others race against the ``n_keep``-th (the
        promotion boundary) as :meth:`decide` races against an incumbent. The variance
        prior is pooled over the cohort once two folds ran, before that it is ``prior``
        (the complete trials' at the cohort's budget; None: no look yet).
        Returns ``{trial_id: record}``.
        """
        ranked = sorted(((w, np.asarray(s, dtype=float)) for w, s in members),
                        key=lambda ws: (-np.nan_to_num(np.mean(ws[1]), nan=-np.inf),
                                        ws[0].trial_id))
        out = {int(w.trial_id): {"folds": len(s), "dropped": False} for w, s in ranked}
        if len(ranked) <= n_keep:
            return out
        rival, bound = ranked[n_keep - 1]
        if len(bound) >= 2:
            prior = _pooled_var([s for w, s in ranked if w is not rival], bound)
        for work, scores in ranked[n_keep:]:
            replayed = self._replayed(work, len(scores))
            if replayed is not None:
                out[int(work.trial_id)] = replayed
            elif prior is not None:
                out[int(work.trial_id)] = self._look(scores, bound, prior, int(rival.trial_id))
        return out

    def _replayed(self, work, m):
        """A resumed search's record of ``work`` after ``m`` folds, as it was decided."""
        old = self.decided.get(_key(work))
        if old is None:
            return None
        dropped = bool(old.get("dropped")) and int(old.get("folds", -1)) == m
        return {**old, "folds": m, "dropped": dropped}

    def _look(self, scores, rival_scores, prior_var, rival_id):
        m = len(scores)
        diffs = np.asarray(scores, dtype=float) - np.asarray(rival_scores, dtype=float)[:m]
        p = win_probability(diffs, self.n_splits, prior_var=prior_var)
        return {"folds": m, "against": rival_id, "p_win": p,
                "dropped": bool(np.isfinite(p) and p < self.alpha)}


def _pooled_var(others, ref):
    """The median over ``others`` (fold scores) of the variance of their fold
    differences with ``ref``; None when that is not positive. (The median over the
    better half only raced more and lost more: benchmarks/racing.py, docs/racing.rst.)"""
    var = np.array([np.var(s - ref[: len(s)], ddof=1) for s in others])
    var = var[np.isfinite(var)]
    return float(np.median(var)) if len(var) and np.median(var) > 0 else None


def _key(work):
    return (int(work.trial_id), _num(work.start), _num(work.stop))


def _num(v):
    return None if v is None else float(v)


def decisions_from_rows(rows):
    """``(trial_id, start, stop) -> race record`` of journaled rows (see :class:`FoldRace`)."""
    out = {}
    for row in rows:
        race = race_info(row)
        if race:
            out[(int(row["trial_id"]), _num(row.get("start")), _num(row.get("stop")))] = race
    return out
