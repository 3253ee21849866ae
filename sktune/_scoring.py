"""Scorers: one dict of name -> scorer, whatever form ``scoring`` took."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.metrics import check_scoring, get_scorer


def build_scorers(estimator, scoring):
    """Return ``(scorers, multimetric)``; ``scorers`` maps metric name to scorer.

    A callable returning a dict is kept under the name ``"__dict__"`` and
    expanded when scores are computed.
    """
    if scoring is None or isinstance(scoring, str):
        return {"score": check_scoring(estimator, scoring=scoring)}, False
    if callable(scoring):
        return {"__dict__": scoring}, False
    if isinstance(scoring, (list, tuple, set)):
        names = list(scoring)
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


def compute_scores(scorers, estimator, X, y):
    """Scores of ``estimator`` on ``(X, y)`` as a dict of floats."""
    out = {}
    for name, scorer in scorers.items():
        value = scorer(estimator, X) if y is None else scorer(estimator, X, y)
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
            "With several metrics in 'scoring', 'refit' must be the name of the metric to "
            f"select the best candidate with (one of {sorted(metrics)}), a callable, or "
            "False. Got True instead."
        )
    if multimetric and isinstance(refit, str) and refit not in metrics:
        raise ValueError(
            f"The 'refit' parameter must be one of the scoring metrics {sorted(metrics)}. "
            f"Got {refit!r} instead."
        )
    if not multimetric and isinstance(refit, str) and refit != "score":
        raise ValueError(
            "The 'refit' parameter may be a metric name only with several metrics in "
            f"'scoring'. Got {refit!r}; use refit=True."
        )
    if isinstance(refit, str):
        return refit
    return "score" if not multimetric else None
