"""Learning-curve extrapolation: where will a trial's score be at the full budget?

:func:`fit_learning_curve` fits several parametric families of learning curves
to a trial's scores at the budgets trained so far (epochs, ``partial_fit``
passes) by least squares (:func:`scipy.optimize.minimize_scalar` for the
nonlinear parameter), and weighs them by their
small-sample Akaike criterion (AICc): the ensemble of Domhan et al. (2015),
with a Gaussian approximation of each family's prediction (the delta method)
instead of their Markov-chain sampling, so that a fit takes milliseconds.

The families (``x`` the budget, ``y`` the score):

- ``constant``: ``y = c`` (a plateau);
- ``log``: ``y = c + a log x``;
- ``inverse log``: ``y = c - a / log(x + e)``;
- ``power``: ``y = c - a x^(-alpha)`` (``alpha > 0``);
- ``exponential``: ``y = c - a exp(-b x)`` (``b > 0``).

A family with ``p`` parameters takes part once there are at least ``p + 2``
points (AICc needs them). Its predictive variance at the full budget is the
parameters' covariance carried through the curve, plus the noise of one
observation: the larger of the fit's residual variance and the variance of
the scores themselves (their standard errors over the CV folds), so a curve
fitted exactly through a few noisy points is not trusted more than its data.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import norm

__all__ = ["CurveFit", "fit_learning_curve", "FAMILIES"]


def _constant(x, c):
    return np.full_like(x, c, dtype=float)


def _log(x, c, a):
    return c + a * np.log(x)


def _inverse_log(x, c, a):
    return c - a / np.log(x + math.e)


def _power(x, c, a, alpha):
    return c - a * np.power(x, -alpha)


def _exponential(x, c, a, b):
    return c - a * np.exp(-b * x)


# name -> (curve, number of parameters)
FAMILIES = {
    "constant": (_constant, 1),
    "log": (_log, 2),
    "inverse log": (_inverse_log, 2),
    "power": (_power, 3),
    "exponential": (_exponential, 3),
}


@dataclass(frozen=True)
class _Member:
    name: str
    params: np.ndarray
    cov: np.ndarray
    noise: float  # variance of one observation
    aicc: float


@dataclass(frozen=True)
class CurveFit:
    """The fitted ensemble, as :func:`fit_learning_curve` returns it.

    Parameters
    ----------
    budgets, scores : ndarray
        The points fitted (in the scores' own units).
    members : tuple
        One fitted family each (its parameters, their covariance, its noise
        and AICc); empty when too few points were given.
    weights : ndarray
        Akaike weights of the members (summing to 1).

    Attributes
    ----------
    families : list of str
        The families that took part, in the order of ``weights``.

    Examples
    --------
    >>> from sktune.curves import fit_learning_curve
    >>> fit = fit_learning_curve([1, 2, 3, 5], [0.60, 0.61, 0.60, 0.61])
    >>> fit.families
    ['constant', 'log', 'inverse log']
    >>> mean, std = fit.predict(27)
    >>> round(mean, 2), fit.prob_above(27, 0.9) < 0.01
    (0.61, True)
    """

    budgets: np.ndarray
    scores: np.ndarray
    members: tuple
    weights: np.ndarray

    @property
    def families(self):
        return [m.name for m in self.members]

    def _parts(self, budget):
        """Per family: mean and variance of the score at ``budget``."""
        x = np.array([float(budget)])
        means, variances = [], []
        for m in self.members:
            f = FAMILIES[m.name][0]
            mean = float(f(x, *m.params)[0])
            grad = _jacobian(f, x, m.params)[0]
            variances.append(float(grad @ m.cov @ grad) + m.noise)
            means.append(mean)
        return np.array(means), np.maximum(np.array(variances), 1e-18)

    def predict(self, budget):
        """The predicted score at ``budget``: the mixture's mean and spread.

        Parameters
        ----------
        budget : float
            Where to predict (usually the full budget).

        Returns
        -------
        mean, std : float
            The mixture's moments; ``(nan, nan)`` without members.
        """
        if not self.members:
            return float("nan"), float("nan")
        means, variances = self._parts(budget)
        mean = float(self.weights @ means)
        second = float(self.weights @ (variances + means**2))
        return mean, math.sqrt(max(second - mean**2, 0.0))

    def prob_above(self, budget, threshold):
        """The probability that the score at ``budget`` exceeds ``threshold``.

        Parameters
        ----------
        budget : float
            Where to predict.
        threshold : float
            The score to beat (the incumbent's).

        Returns
        -------
        probability : float
            Under the mixture of the families' normal predictions; 1 without
            members, so that a trial with too short a curve is never stopped on it.
        """
        if not self.members:
            return 1.0
        means, variances = self._parts(budget)
        tails = norm.sf(float(threshold), loc=means, scale=np.sqrt(variances))
        return float(self.weights @ tails)


def _jacobian(f, x, params):
    """d f(x) / d params at each point of ``x`` (rows), by central differences."""
    J = np.empty((len(x), len(params)))
    for i, p in enumerate(params):
        h = 1e-6 * max(abs(p), 1.0)
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        J[:, i] = (f(x, *up) - f(x, *down)) / (2 * h)
    return J


# the nonlinear parameter of the three-parameter families: its basis and its log-range
_SHAPES = {
    "power": (lambda x, alpha: np.power(x, -alpha), (1e-3, 5.0)),
    "exponential": (lambda x, b: np.exp(-b * x), None),  # range from the budgets seen
}


def _linear(A, y):
    params = np.linalg.lstsq(A, y, rcond=None)[0]
    return params, float(np.sum((A @ params - y) ** 2))


def _fit_shape(name, x, y):
    """``c - a * g(x; theta)``: least squares in ``(c, a)`` for each ``theta``, the best
    ``theta`` found by a bounded scalar search over its logarithm (variable projection:
    fast and free of starting values)."""
    g, bounds = _SHAPES[name]
    if bounds is None:
        rate = 1.0 / float(np.mean(x))
        bounds = (1e-3 * rate, 100.0 * rate)

    def rss(log_theta):
        A = np.column_stack([np.ones(len(x)), -g(x, math.exp(log_theta))])
        return _linear(A, y)[1]

    best = minimize_scalar(rss, bounds=(math.log(bounds[0]), math.log(bounds[1])),
                           method="bounded", options={"xatol": 1e-4})
    theta = math.exp(best.x)
    A = np.column_stack([np.ones(len(x)), -g(x, theta)])
    (c, a), _ = _linear(A, y)
    params = np.array([c, a, theta])
    return params, _jacobian(FAMILIES[name][0], x, params)


def _fit_member(name, x, y, noise_floor):
    f, p = FAMILIES[name]
    n = len(x)
    if n < p + 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            if p == 3:
                params, J = _fit_shape(name, x, y)
            else:
                if name == "constant":
                    J = np.ones((n, 1))
                else:
                    basis = np.log(x) if name == "log" else -1.0 / np.log(x + math.e)
                    J = np.column_stack([np.ones(n), basis])
                params, _ = _linear(J, y)
            cov_unit = np.linalg.pinv(J.T @ J)
        except (ValueError, np.linalg.LinAlgError):
            return None
    rss = float(np.sum((f(x, *params) - y) ** 2))
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(cov_unit)) and np.isfinite(rss)):
        return None
    # a fit closer to the points than their own noise is no better than one at the noise
    rss = max(rss, (n - p) * noise_floor)
    noise = max(rss / (n - p), 1e-12)
    aicc = n * math.log(max(rss, 1e-12 * n) / n) + 2 * p + 2 * p * (p + 1) / (n - p - 1)
    return _Member(name, params, cov_unit * noise, noise, aicc)


def fit_learning_curve(budgets, scores, std_errors=None, *, families=None):
    """Fit the ensemble of learning-curve families to one trial's scores.

    Parameters
    ----------
    budgets : array-like of float
        The budgets trained (positive, increasing).
    scores : array-like of float
        The (mean CV) score at each budget; non-finite points are left out.
    std_errors : array-like of float or None, default=None
        Standard error of each score (the fold scores' standard deviation over
        the square root of their number): a floor for the noise of the fit.
    families : list of str or None, default=None
        Names from :data:`FAMILIES`; all of them when None.

    Returns
    -------
    CurveFit
        With no members when fewer than 3 finite points were given.

    Examples
    --------
    >>> import numpy as np
    >>> from sktune.curves import fit_learning_curve
    >>> budgets = np.array([1, 2, 3, 5, 9, 16])
    >>> scores = 0.9 - 0.4 * budgets ** -0.7
    >>> mean, std = fit_learning_curve(budgets, scores).predict(27)
    >>> bool(abs(mean - (0.9 - 0.4 * 27 ** -0.7)) < 0.02)
    True
    """
    x = np.asarray(budgets, dtype=float)
    y = np.asarray(scores, dtype=float)
    se = np.zeros_like(y) if std_errors is None else np.asarray(std_errors, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0)
    x, y, se = x[keep], y[keep], np.where(np.isfinite(se[keep]), se[keep], 0.0)
    names = list(FAMILIES) if families is None else list(families)
    unknown = sorted(set(names) - set(FAMILIES))
    if unknown:
        raise ValueError(f"Unknown learning-curve families {unknown}; use names from "
                         f"{list(FAMILIES)}.")
    noise_floor = float(np.mean(se**2)) if len(se) else 0.0
    members = []
    if len(x) >= 3:
        members = [m for m in (_fit_member(n, x, y, noise_floor) for n in names) if m]
    if not members:
        return CurveFit(x, y, (), np.zeros(0))
    aicc = np.array([m.aicc for m in members])
    weights = np.exp(-(aicc - aicc.min()) / 2)
    return CurveFit(x, y, tuple(members), weights / weights.sum())
