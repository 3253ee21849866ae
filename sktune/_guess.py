"""A user's best guess about one dimension, as a density on its unit coordinate.

``Real(..., guess=...)``, ``Integer(..., guess=...)`` and ``Categorical(...,
guess=...)`` parse what the user wrote into a :class:`Guess`: a piecewise-constant
density on the dimension's unit coordinate ``u`` in ``[0, 1]`` (the search scale:
log where the dimension is log). Its slices are the choices of a categorical, the
integers of a discrete distribution, or fine bins holding the mass that a normal
(a ``(centre, spread)`` guess) or a continuous ``scipy.stats`` distribution puts
on them. A share ``FLOOR`` of uniform is mixed in, so no point of the space is
ever ruled out, however wrong the guess.

A guess can be *tempered*: its density raised to ``gamma`` in ``(0, 1]`` and
renormalised, which flattens it towards uniform as ``gamma`` shrinks. That is how
the guess fades as evidence accumulates: ``gamma = min(1, beta / n)`` after ``n``
trials, the decay of piBO [Hvarfner et al. 2022], times :func:`agreement`, the
(floored) rank correlation between the guess and the scores so far, so a guess
the results contradict stops steering the search at once.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.special import ndtr

#: Share of uniform mixed into every guess.
FLOOR = 0.05
#: Unit-coordinate bins a continuous guess is tabulated on.
_BINS = 4096
#: Default spread of a guess given as a centre alone (a fraction of the range).
DEFAULT_SPREAD = 0.15
_MAX_STEPS = 1_000_000


def decay(beta, n):
    """The exponent of a guess after ``n`` trials: ``min(1, beta / n)``."""
    return 1.0 if n <= 0 else min(1.0, beta / n)


def agreement(log_density, scores):
    """How far the results so far bear a guess out, in [0, 1].

    The rank correlation between the guess's log density at the configurations
    tried and their scores (higher is better), floored at 0: a guess whose
    likely points score worse than the others gets no say. 1 while there are
    fewer than 4 results or no ranking to compare (constant scores or density).
    """
    log_density, scores = np.asarray(log_density, float), np.asarray(scores, float)
    finite = np.isfinite(scores)
    if finite.sum() < 4:
        return 1.0
    a, b = _ranks(log_density[finite]), _ranks(scores[finite])
    a, b = a - a.mean(), b - b.mean()
    den = math.sqrt(float(a @ a) * float(b @ b))
    if den == 0:
        return 1.0
    return min(max(float(a @ b) / den, 0.0), 1.0)


def _ranks(x):
    """Average ranks (ties share theirs), as the Spearman correlation needs."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


class Guess:
    """A piecewise-constant density on ``[0, 1]``: ``mass[k]`` on ``[edges[k], edges[k + 1]]``,
    mixed with ``FLOOR`` of uniform.

    ``smooth`` (a continuous belief on fine bins): the density is read by linear
    interpolation between bin centres, which gives the models a gradient.
    """

    def __init__(self, edges, mass, text, smooth=False):
        self.edges = np.asarray(edges, dtype=float)
        self.width = np.diff(self.edges)
        mass = np.asarray(mass, dtype=float) / float(np.sum(mass))
        self.dens = FLOOR + (1 - FLOOR) * mass / self.width
        self.centres = 0.5 * (self.edges[:-1] + self.edges[1:])
        self.smooth, self.text = smooth, text

    def __repr__(self):
        return self.text

    def __eq__(self, other):
        return isinstance(other, Guess) and self.text == other.text

    def __hash__(self):
        return hash(self.text)

    def probabilities(self):
        """The probability of each slice (of each choice, for a categorical)."""
        return self.dens * self.width

    def ppf(self, q, gamma=1.0):
        """Quantiles ``q`` of the density raised to ``gamma``, as unit coordinates."""
        mass = self.dens ** gamma * self.width
        cum = np.concatenate([[0.0], np.cumsum(mass)])
        cum /= cum[-1]
        q = np.clip(np.asarray(q, dtype=float), 0.0, 1.0)
        k = np.clip(np.searchsorted(cum, q, side="right") - 1, 0, len(mass) - 1)
        share = np.clip((q - cum[k]) / (cum[k + 1] - cum[k]), 0.0, 1.0)
        return np.clip(self.edges[k] + share * self.width[k], 0.0, 1.0)

    def log_density(self, u, grad=False, gamma=None):
        """Log density at ``u`` (and its derivative; 0 for a step density).

        With ``gamma``: the density raised to ``gamma`` and renormalised (without:
        the density itself).
        """
        u = np.asarray(u, dtype=float)
        if self.smooth:
            d = np.log(np.interp(u, self.centres, self.dens))
        else:
            k = np.clip(np.searchsorted(self.edges, u, side="right") - 1, 0, len(self.dens) - 1)
            d = np.log(self.dens[k])
        if gamma is not None:
            d = gamma * d - math.log(float(np.sum(self.dens ** gamma * self.width)))
        if not grad:
            return d
        if not self.smooth:
            return d, np.zeros_like(d)
        k = np.clip(np.searchsorted(self.centres, u) - 1, 0, len(self.centres) - 2)
        slope = (self.dens[k + 1] - self.dens[k]) / (self.centres[k + 1] - self.centres[k])
        inside = (u > self.centres[0]) & (u < self.centres[-1])
        scale = 1.0 if gamma is None else gamma
        return d, scale * np.where(inside, slope, 0.0) / np.interp(u, self.centres, self.dens)


def _normal_mass(mu, sd, edges):
    """Mass of N(mu, sd) on each slice, accurate in both tails."""
    z = (edges - mu) / sd
    lower = np.diff(ndtr(z))
    upper = -np.diff(ndtr(-z))
    return np.where(edges[:-1] >= mu, upper, lower)


# -- parsing what users write -----------------------------------------------------------------
def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _is_scipy(v):
    return hasattr(v, "rvs") and hasattr(v, "dist")


def scipy_text(dist):
    from .space import _num

    family = getattr(dist.dist, "name", type(dist.dist).__name__)
    args = [_num(a) for a in dist.args] + [f"{k}={_num(v)}" for k, v in dist.kwds.items()]
    return f"scipy.stats.{family}({', '.join(args)})"


def parse_range_guess(dim, guess, where):
    """The guess of a :class:`Real` or :class:`Integer` ``dim`` (``where`` names it)."""
    from .space import _num

    bounds = f"[{_num(dim.low)}, {_num(dim.high)}]"
    if _is_scipy(guess):
        return _scipy_guess(dim, guess, where, bounds)
    if hasattr(guess, "rvs") and hasattr(guess, "freeze"):
        raise ValueError(f"{where}: 'guess' must be a frozen scipy.stats distribution, with its "
                         f"parameters (scipy.stats.norm(loc, scale)). Got the distribution itself.")
    if _is_number(guess):
        centre, spread = guess, DEFAULT_SPREAD
    elif isinstance(guess, (tuple, list)) and len(guess) == 2 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in guess):
        centre, spread = guess
    else:
        raise ValueError(
            f"{where}: 'guess' must be a value (the centre of the guess), a (centre, spread) "
            "pair, spread a fraction of the range, or a frozen scipy.stats distribution. Got "
            f"{guess!r} instead.")
    if not (_is_number(centre) and dim.low <= centre <= dim.high):
        raise ValueError(f"{where}: the centre of 'guess', {_num(centre)}, is outside the bounds "
                         f"{bounds}; give a value inside them.")
    if not (_is_number(spread) and spread > 0):
        raise ValueError(f"{where}: the spread of 'guess' must be a number > 0, a fraction of "
                         f"the range (0.1: a tenth of it). Got {_num(spread)} instead.")
    text = f"({_num(centre)}, {_num(spread)})"
    edges = np.linspace(0.0, 1.0, _BINS + 1)
    return Guess(edges, _normal_mass(dim.to_unit(centre), float(spread), edges), text,
                 smooth=True)


def _scipy_guess(dim, dist, where, bounds):
    text = scipy_text(dist)
    discrete = hasattr(dist.dist, "pmf")
    is_int = type(dim).__name__ == "Integer"
    with np.errstate(all="ignore"):
        if discrete and is_int:
            if dim.high - dim.low + 1 > _MAX_STEPS:
                raise ValueError(f"{where}: 'guess' {text} would have to be tabulated over "
                                 f"more than {_MAX_STEPS} integers; use a continuous "
                                 "distribution.")
            values = np.arange(dim.low, dim.high + 1)
            mass = np.asarray(dist.pmf(values), dtype=float)
            edges = _integer_edges(dim)
            smooth = False
        else:
            edges = np.linspace(0.0, 1.0, _BINS + 1)
            x = _continuous_value(dim, edges)
            lower = np.diff(np.asarray(dist.cdf(x), dtype=float))
            upper = -np.diff(np.asarray(dist.sf(x), dtype=float))  # accurate in the upper tail
            mass = np.where(np.asarray(dist.cdf(x[:-1])) > 0.5, upper, lower)
            smooth = True
    if not np.all(np.isfinite(mass)) or np.any(mass < -1e-12):
        raise ValueError(f"{where}: 'guess' {text} has invalid parameters (its probabilities "
                         "are not finite); check them.")
    mass = np.maximum(mass, 0.0)
    if not mass.sum() > 0:
        raise ValueError(f"{where}: 'guess' {text} puts no probability inside the bounds "
                         f"{bounds}; centre it inside them.")
    return Guess(edges, mass, text, smooth=smooth)


def _continuous_value(dim, u):
    """Values at unit coordinates ``u`` on a continuous scale (integers not rounded)."""
    if type(dim).__name__ == "Integer":
        if dim.log:
            lo, hi = dim._log_edges()
            return np.exp(lo + u * (hi - lo))
        return dim.low - 0.5 + u * (dim.high - dim.low + 1)
    if dim.log:
        lo, hi = math.log(dim.low), math.log(dim.high)
        return np.exp(lo + u * (hi - lo))
    return dim.low + u * (dim.high - dim.low)


def _integer_edges(dim):
    """Unit-coordinate edges of each integer's slice (as ``Integer.from_unit`` reads them)."""
    n = dim.high - dim.low + 1
    if not dim.log:
        return np.linspace(0.0, 1.0, n + 1)
    lo, hi = dim._log_edges()
    inner = (np.log(np.arange(dim.low + 1, dim.high + 1) - 0.5) - lo) / (hi - lo)
    return np.concatenate([[0.0], np.clip(inner, 0.0, 1.0), [1.0]])


def parse_choice_guess(choices, guess, where):
    """The guess of a :class:`Categorical`: weights over ``choices``."""
    from .space import _num, _same_choice

    k = len(choices)
    if isinstance(guess, dict):
        weights = [None] * k
        for key, w in guess.items():
            idx = [i for i, c in enumerate(choices) if _same_choice(c, key)]
            if not idx:
                raise ValueError(f"{where}: 'guess' names {key!r}, which is not one of the "
                                 f"choices {list(choices)!r}.")
            weights[idx[0]] = w
        _check_weights([w for w in weights if w is not None], where, guess)
        named = sum(w for w in weights if w is not None)
        unnamed = [i for i, w in enumerate(weights) if w is None]
        if unnamed:
            if named > 1 + 1e-12:
                raise ValueError(
                    f"{where}: the weights of 'guess' sum to {_num(named)} but do not name "
                    f"every choice; name all of {list(choices)!r}, or give weights summing to "
                    "at most 1 (the rest is shared by the choices not named).")
            for i in unnamed:
                weights[i] = (1.0 - named) / len(unnamed)
    elif isinstance(guess, (list, tuple, np.ndarray)) and not isinstance(guess, str):
        weights = list(guess)
        if len(weights) != k:
            raise ValueError(f"{where}: 'guess' has {len(weights)} weights for {k} choices "
                             f"{list(choices)!r}; give one weight per choice, or a dict "
                             "{choice: weight}.")
        _check_weights(weights, where, guess)
    else:
        raise ValueError(f"{where}: 'guess' must be a dict {{choice: weight}} or a list of one "
                         f"weight per choice. Got {guess!r} instead.")
    weights = np.array(weights, dtype=float)
    if not weights.sum() > 0:
        raise ValueError(f"{where}: the weights of 'guess' are all 0; give at least one "
                         "positive weight.")
    weights /= weights.sum()
    text = "[" + ", ".join(_num(float(f"{w:.12g}")) for w in weights) + "]"
    return Guess(np.linspace(0.0, 1.0, k + 1), weights, text)


def _check_weights(weights, where, guess):
    for w in weights:
        if not (_is_number(w) and w >= 0):
            raise ValueError(f"{where}: the weights of 'guess' must be numbers >= 0. Got "
                             f"{guess!r} instead.")
