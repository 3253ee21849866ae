"""Callbacks called after each finished trial, and built-in stoppers.

A callback is any callable taking a :class:`SearchState`; returning ``True``
stops the search: no new trials start, those in flight finish, and the search
is refitted as usual, so the estimator stays usable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SearchState", "TimeBudget", "NoImprovement", "ScoreThreshold"]


@dataclass
class SearchState:
    """What a callback sees after each finished trial.

    Parameters
    ----------
    n_trials : int
        Results recorded so far (rows of ``cv_results_``).
    best_score : float
        Best mean test score (refit metric) so far; NaN if none.
    best_params : dict or None
        Parameters of the best result so far; None if none.
    last : TrialResult
        The result just recorded.
    elapsed : float
        Seconds since ``fit`` started.
    scores : list of float
        Mean test score of every result, in the order recorded.

    Examples
    --------
    A callback is any callable taking the state; returning True stops the search:

    >>> def stop_at_20_trials(state):
    ...     return state.n_trials >= 20
    >>> from sktune.callbacks import SearchState
    >>> stop_at_20_trials(SearchState(n_trials=20, best_score=0.9, best_params={"C": 1.0},
    ...                               last=None, elapsed=3.5))
    True
    """

    n_trials: int
    best_score: float
    best_params: Any
    last: Any
    elapsed: float
    scores: list = field(default_factory=list)


class TimeBudget:
    """Stop once ``seconds`` have passed since ``fit`` started.

    Parameters
    ----------
    seconds : float
        The wall-clock budget.

    Examples
    --------
    >>> from sktune.callbacks import TimeBudget
    >>> stop = TimeBudget(60)
    """

    def __init__(self, seconds):
        if not (isinstance(seconds, (int, float)) and seconds > 0):
            raise ValueError(f"TimeBudget: 'seconds' must be a positive number. Got {seconds!r}.")
        self.seconds = seconds

    def __call__(self, state):
        return state.elapsed >= self.seconds


class NoImprovement:
    """Stop when the best score has not improved by ``min_delta`` in ``patience`` trials.

    Parameters
    ----------
    patience : int
        Trials without improvement before stopping.
    min_delta : float, default=0.0
        Smallest change that counts as an improvement.

    Examples
    --------
    >>> from sktune.callbacks import NoImprovement
    >>> stop = NoImprovement(patience=10, min_delta=1e-3)
    """

    def __init__(self, patience, min_delta=0.0):
        if not (isinstance(patience, int) and patience >= 1):
            raise ValueError(f"NoImprovement: 'patience' must be an int >= 1. Got {patience!r}.")
        self.patience, self.min_delta = patience, min_delta

    def __call__(self, state):
        scores = np.asarray(state.scores, dtype=float)
        if len(scores) <= self.patience or np.isnan(scores).all():
            return False
        before = scores[: -self.patience]
        if np.isnan(before).all():
            return False
        recent = np.nanmax(scores[-self.patience :], initial=-np.inf)
        return bool(recent < np.nanmax(before) + self.min_delta)


class ScoreThreshold:
    """Stop once the best score reaches ``threshold``.

    Parameters
    ----------
    threshold : float
        Score (of the refit metric) at or above which the search stops.

    Examples
    --------
    >>> from sktune.callbacks import ScoreThreshold
    >>> stop = ScoreThreshold(0.99)
    """

    def __init__(self, threshold):
        self.threshold = threshold

    def __call__(self, state):
        return bool(np.isfinite(state.best_score) and state.best_score >= self.threshold)

