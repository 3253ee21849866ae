"""Callbacks called after each finished trial, and built-in stoppers.

A callback is any callable taking a :class:`SearchState`; returning ``True``
stops the search: no new trials start, those in flight finish, and the search
is refitted as usual, so the estimator stays usable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .racing import folds_run, is_raced

__all__ = ["SearchState", "TimeBudget", "FitBudget", "ResourceBudget", "NoImprovement",
           "ScoreThreshold", "StandardErrorStop"]


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
    rows : list of dict
        Every result recorded so far, as in ``history_`` (per-fold scores and
        times, ``params``, ``start``/``stop`` budgets).
    space : SearchSpace or None
        The searched space.

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
    rows: list = field(default_factory=list)
    space: Any = None

    @property
    def n_fold_fits(self):
        """Fold fits run so far (every fold of every result; those a raced trial ran)."""
        return sum(folds_run(r) for r in self.rows)

    @property
    def resources_trained(self):
        """Budget units trained, summed over folds and results (epochs, ``partial_fit``
        passes, trees...: the budget actually reached, where early stopping ended a
        step before its ``stop``); 0 for searches without a budget."""
        total = 0.0
        for r in self.rows:
            if r.get("stop") is None:
                continue
            reached = r.get("trained", {}).get("n_resources", r["stop"])
            total += max(float(reached) - float(r.get("start") or 0), 0.0) * folds_run(r)
        return total


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

    def reason(self, state):
        return f"TimeBudget: {state.elapsed:.1f} s elapsed of {self.seconds:g} s"


class FitBudget:
    """Stop once ``n_fits`` fold fits have run (every fold of every trial, rung or step).

    Parameters
    ----------
    n_fits : int
        The budget of fold fits.

    Examples
    --------
    >>> from sktune.callbacks import FitBudget
    >>> stop = FitBudget(200)
    """

    def __init__(self, n_fits):
        if not (isinstance(n_fits, int) and n_fits >= 1):
            raise ValueError(f"FitBudget: 'n_fits' must be an int >= 1. Got {n_fits!r}.")
        self.n_fits = n_fits

    def __call__(self, state):
        return state.n_fold_fits >= self.n_fits

    def reason(self, state):
        return f"FitBudget: {state.n_fold_fits} fold fits of {self.n_fits}"


class ResourceBudget:
    """Stop once ``total`` units of budget have been trained, summed over folds and trials:
    total skorch epochs, ``partial_fit`` passes or trees for Hyperband and PBT.

    Parameters
    ----------
    total : float
        The budget, in the search's ``resource_`` units.

    Examples
    --------
    >>> from sktune.callbacks import ResourceBudget
    >>> stop = ResourceBudget(5000)  # e.g. 5000 epochs in all
    """

    def __init__(self, total):
        if not (isinstance(total, (int, float)) and total > 0):
            raise ValueError(f"ResourceBudget: 'total' must be a positive number. Got {total!r}.")
        self.total = total

    def __call__(self, state):
        return state.resources_trained >= self.total

    def reason(self, state):
        return f"ResourceBudget: {state.resources_trained:g} units trained of {self.total:g}"


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

    def reason(self, state):
        return f"NoImprovement: no gain of {self.min_delta:g} in the last {self.patience} trials"


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

    def reason(self, state):
        return f"ScoreThreshold: best score {state.best_score:.4g} >= {self.threshold:g}"



class StandardErrorStop:
    """Stop when the search can no longer improve by more than the CV noise.

    After each result a Gaussian process (scikit-learn's, with a fitted noise
    term) is fitted to the mean CV scores of the full-budget results. Its
    upper confidence bound anywhere in the space, minus its lower confidence
    bound at the best result tried, bounds the improvement still possible
    (Makarova et al., 2022). The search stops once that bound falls below the
    standard error of the incumbent's CV estimate: further tuning would chase
    differences the folds cannot resolve.

    Parameters
    ----------
    min_trials : int, default=10
        Full-budget results needed before the stop is considered.
    n_candidates : int, default=2000
        Random points of the space the upper bound is maximised over.
    delta : float, default=0.1
        Confidence of the bounds: ``beta`` follows GP-UCB's schedule
        ``2 log(n_candidates t^2 pi^2 / (6 delta))`` at ``t`` results.
    random_state : int, default=0
        Seeds the candidate points and the Gaussian process.

    Examples
    --------
    >>> from sktune.callbacks import StandardErrorStop
    >>> stop = StandardErrorStop(min_trials=15)

    References
    ----------
    .. [1] A. Makarova, H. Shen, V. Perrone, A. Klein, J. B. Faddoul, A. Krause,
       M. Seeger, C. Archambeau. "Automatic Termination for Hyperparameter
       Optimization". AutoML Conference 2022.
    """

    def __init__(self, min_trials=10, n_candidates=2000, delta=0.1, random_state=0):
        if not (isinstance(min_trials, int) and min_trials >= 3):
            raise ValueError(f"StandardErrorStop: 'min_trials' must be an int >= 3. Got "
                             f"{min_trials!r}.")
        self.min_trials, self.n_candidates = min_trials, n_candidates
        self.delta, self.random_state = delta, random_state
        self.bound_, self.stderr_ = np.inf, np.nan

    def __call__(self, state):
        rows = _full_budget_rows(state.rows)
        if state.space is None or len(rows) < self.min_trials:
            return False
        self.bound_, self.stderr_ = _regret_bound(rows, state.space, self)
        return bool(np.isfinite(self.bound_) and self.bound_ < self.stderr_)

    def reason(self, state):
        return (f"StandardErrorStop: at most {self.bound_:.3g} left to gain, below the best "
                f"score's CV standard error {self.stderr_:.3g}")


def _full_budget_rows(rows):
    ok = [r for r in rows if not any(e is not None for e in r["errors"]) and not is_raced(r)]
    stops = [r.get("stop") for r in ok]
    if any(s is not None for s in stops):
        top = max(s for s in stops if s is not None)
        ok = [r for r in ok if r.get("stop") == top]
    return ok


def _regret_bound(rows, space, stop):
    """(bound on the improvement left, the incumbent's CV standard error)."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    sub = max(space.subspaces, key=lambda s: sum(s.contains(r["params"]) for r in rows))
    rows = [r for r in rows if sub.contains(r["params"])]
    if len(rows) < stop.min_trials:
        return np.inf, np.nan
    X = np.array([sub.to_unit(r["params"]) for r in rows])
    folds = [np.asarray(next(iter(r["test"].values())), dtype=float) for r in rows]
    y = np.array([f.mean() for f in folds])
    best = int(np.argmax(y))
    k = len(folds[best])
    stderr = float(folds[best].std(ddof=1) / np.sqrt(k)) if k > 1 else np.nan
    scale = y.std() or 1.0
    kernel = ConstantKernel(1.0, (1e-6, 1e3)) * Matern(np.full(X.shape[1], 0.3), (1e-2, 1e2),
                                                       nu=2.5) + WhiteKernel(0.1, (1e-6, 1.0))
    gp = GaussianProcessRegressor(kernel, normalize_y=False, random_state=stop.random_state)
    with warnings.catch_warnings():  # a noise level at its bound is an answer here
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(X, (y - y.mean()) / scale)
    rng = np.random.default_rng(stop.random_state)
    candidates = np.vstack([rng.random((stop.n_candidates, X.shape[1])), X])
    beta = 2 * np.log(stop.n_candidates * len(rows) ** 2 * np.pi ** 2 / (6 * stop.delta))
    noise = gp.kernel_.k2.noise_level
    mu, sd = gp.predict(candidates, return_std=True)
    sd = np.sqrt(np.maximum(sd ** 2 - noise, 0.0))  # of the mean score, not of a new draw
    ucb = (mu + np.sqrt(beta) * sd).max()
    mu_x, sd_x = mu[-len(X):], sd[-len(X):]
    lcb = (mu_x - np.sqrt(beta) * sd_x).max()
    return float((ucb - lcb) * scale), stderr
