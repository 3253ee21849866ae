"""Scorers: one dict of name -> scorer, whatever form ``scoring`` took."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.metrics import check_scoring, get_scorer


def build_scorers(estimator, scoring):
    """Return ``(scorers, multimetric)``; ``scorers`` maps metric name to scorer.

    A callable is kept under the name ``"__dict__"``: what it returns (a number
    or a dict of them) is known only once it has scored, so ``multimetric`` is
    None for it (:class:`Metrics` settles it then).
    """
    if scoring is None or isinstance(scoring, str):
        return {"score": check_scoring(estimator, scoring=scoring)}, False
    if callable(scoring):
        return {"__dict__": scoring}, None
    if isinstance(scoring, (list, tuple, set)):
        names = sorted(scoring) if isinstance(scoring, set) else list(scoring)
        if not names or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
            raise ValueError(
                "The 'scoring' parameter must be a str, a callable, a list of unique metric "
                f"names or a dict of name -> scorer. Got {scoring!r} instead."
            )
        return {n: get_scorer(n) for n in names}, True
    if isinstance(scoring, Mapping):
        if not scoring:
            raise ValueError("The 'scoring' parameter is an empty dict; name at least one metric.")
        return {k: get_scorer(v) if isinstance(v, str) else v for k, v in scoring.items()}, True
    raise ValueError(
        "The 'scoring' parameter must be a str, a callable, a list of metric names or a dict. "
        f"Got {scoring!r} instead."
    )


def compute_scores(scorers, estimator, X, y, params=None):
    """Scores of ``estimator`` on ``(X, y)`` as a dict of floats; ``params`` maps a
    metric name to the metadata of its scorer (``sample_weight``...)."""
    out = {}
    params = params or {}
    for name, scorer in scorers.items():
        kw = params.get(name, {})
        value = scorer(estimator, X, **kw) if y is None else scorer(estimator, X, y, **kw)
        if name == "__dict__" and isinstance(value, Mapping):
            out.update({k: float(v) for k, v in value.items()})
        elif name == "__dict__":
            out["score"] = _as_float(value)
        else:
            out[name] = _as_float(value)
    return out


def _as_float(value):
    if not isinstance(value, numbers.Number) and not (
        isinstance(value, np.ndarray) and value.size == 1
    ):
        raise ValueError(f"A scorer must return a number. Got {value!r} instead.")
    return float(value)


def check_refit(refit, multimetric, metrics):
    """The metric ``refit`` selects by (None: several metrics and no name); bad values raise."""
    if multimetric and refit is True:
        raise ValueError(
            "For multi-metric scoring, the parameter refit must be set to a scorer key or a "
            "callable (with several metrics in 'scoring', 'refit' names the metric to select "
            f"the best candidate with: one of {sorted(metrics)}), or False. Got True instead."
        )
    if multimetric and isinstance(refit, str) and refit not in metrics:
        raise ValueError(
            "For multi-metric scoring, the parameter refit must be set to a scorer key or a "
            f"callable: the 'refit' parameter must be one of the scoring metrics "
            f"{sorted(metrics)}. Got {refit!r} instead."
        )
    if not multimetric and isinstance(refit, str) and refit != "score":
        raise ValueError(
            "The 'refit' parameter may be a metric name only with several metrics in "
            f"'scoring'. Got {refit!r}; use refit=True."
        )
    if isinstance(refit, str):
        return refit
    return "score" if not multimetric else None


class Metrics:
    """The metrics a search records, the one that ranks its trials and the refit one.

    Trials are ranked (promoted, exploited, told to the proposer) by the refit
    metric, or by the first metric of ``scoring`` when ``refit`` names none
    (several metrics with ``refit=False`` or a callable ``refit``). A callable
    ``scoring`` is settled by :meth:`observe`, at its first scores: a dict makes
    the search multi-metric, as in ``GridSearchCV``.

    Parameters
    ----------
    scorers : dict
        From :func:`build_scorers`.
    multimetric : bool or None
        From :func:`build_scorers` (None for a callable ``scoring``).
    refit : bool, str or callable
        The search's ``refit``.

    Attributes
    ----------
    names : list of str or None
        The metric names, in the order of ``scoring`` (None until a callable scored).
    refit_metric : str or None
        The metric of ``best_score_`` and ``score`` (None: several metrics, none named).
    rank : str
        The metric that ranks trials.
    """

    def __init__(self, scorers, multimetric, refit):
        self.refit = refit
        self.names = self.multimetric = None
        if multimetric is None:  # a callable: until it scores, it is one metric "score"
            self.refit_metric = self.rank = refit if isinstance(refit, str) else "score"
        else:
            self._settle(list(scorers), multimetric)

    def _settle(self, names, multimetric):
        self.refit_metric = check_refit(self.refit, multimetric, names)
        self.names, self.multimetric = names, multimetric
        self.rank = self.refit_metric or names[0]

    def observe(self, scores):
        """Settle a callable ``scoring`` from its first scores; True when it changed ``rank``.

        Raises ``ValueError`` as ``GridSearchCV`` does when the callable returns a
        dict and ``refit`` is neither False, a callable nor one of its keys.
        """
        if self.names is not None or not scores:
            return False
        names, rank = list(scores), self.rank
        multimetric = names != ["score"]
        if multimetric and self.refit is not False and not callable(self.refit) and not (
                isinstance(self.refit, str) and self.refit in names):
            raise ValueError(
                "For multi-metric scoring, the parameter refit must be set to a scorer key or a "
                "callable to refit an estimator with the best parameter setting on the whole "
                "data and make the best_* attributes available for that metric. If this is not "
                f"needed, refit should be set to False explicitly. {self.refit!r} was passed."
            )
        self._settle(names, multimetric)
        return self.rank != rank
