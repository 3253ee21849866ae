"""The proposer interface: *which* configuration to try next."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._keys import params_key
from .._warn import warn
from ..space import Categorical, Integer, SearchSpace

#: Finite subspaces up to this many points are enumerated when random draws run dry.
_MAX_ENUMERATE = 20000


def subspace_size(subspace) -> float:
    """Number of distinct points of a subspace (``inf`` with a real dimension)."""
    size = 1
    for dim in subspace.dimensions:
        if isinstance(dim, Categorical):
            size *= len(dim.choices)
        elif isinstance(dim, Integer):
            size *= dim.high - dim.low + 1
        else:
            return math.inf
    return size


def space_size(space) -> float:
    """Distinct points of a search space (``inf`` if any subspace has a real dimension)."""
    return sum(subspace_size(sub) for sub in SearchSpace(space).subspaces)


def enumerate_subspace(subspace) -> list[dict]:
    """Every point of a finite subspace (see :func:`subspace_size`)."""
    values = [
        list(d.choices) if isinstance(d, Categorical) else list(range(d.low, d.high + 1))
        for d in subspace.dimensions
    ]
    return [dict(zip(subspace.names, combo)) for combo in itertools.product(*values)]


class SpaceExhaustedWarning(UserWarning):
    """Every point of a finite search space has been proposed; repeats follow."""


class Observations:
    """The results a proposer knows, in the order told, and their configurations' keys.

    One store serves a proposer and the helpers it asks (its random starting
    points, a budget's model): each result is told once. ``at(budget)`` is the
    store of the results at one budget (filled as results are added).
    """

    def __init__(self):
        self.items: list[tuple[dict, float]] = []
        self.keys: set[str] = set()
        self.std_errors: dict[str, float] = {}  # by configuration key, where told
        self._at: dict[float, Observations] = {}

    def add(self, params, score, budget=None, std_error=None):
        self.items.append((dict(params), float(score)))
        key = params_key(params)
        self.keys.add(key)
        if std_error is not None:
            self.std_errors[key] = float(std_error)
        if budget is not None:
            self.at(budget).add(params, score)

    def at(self, budget):
        """The results at ``budget``."""
        if budget not in self._at:
            self._at[budget] = Observations()
        return self._at[budget]


class Proposer:
    """Base class: ``ask`` for configurations, ``tell`` their scores (higher is better).

    A proposer never runs anything. ``tell`` with a NaN (or infinite) score
    records a failed trial: the configuration is not proposed again, and a
    model takes it only as a region to steer away from (never as a score).
    ``ask(n, pending=...)`` returns ``n`` configurations
    different from every one told so far and from ``pending`` (the trials
    still running) for as long as the space has such points; after that it
    warns once (:class:`SpaceExhaustedWarning`) and repeats points.

    Parameters
    ----------
    space : SearchSpace, dict or list of dict
    random_state : int, numpy Generator or None
    observations : Observations or None
        The store of results to read (shared with the proposer that asks this
        one); a new one by default.
    """

    def __init__(self, space: SearchSpace, *, random_state=None, observations=None):
        self.space = SearchSpace(space)
        self.rng = np.random.default_rng(random_state)
        self.observations = Observations() if observations is None else observations
        self._warned_exhausted = False

    @property
    def observed(self) -> list[tuple[dict, float]]:
        """``(params, score)`` of every result told, in order."""
        return self.observations.items

    def ask(self, n: int, *, pending=()) -> list[dict]:
        raise NotImplementedError

    def tell(self, params: dict, score: float) -> None:
        self.observations.add(params, score)

    def _is_new(self, params, taken) -> bool:
        key = params_key(params)
        return key not in self.observations.keys and key not in taken

    def _unseen_point(self, i, taken):
        """A random unseen point of finite subspace ``i``, or None (none left / infinite)."""
        sub = self.space.subspaces[i]
        if subspace_size(sub) > _MAX_ENUMERATE:
            return None
        free = [p for p in enumerate_subspace(sub) if self._is_new(p, taken)]
        if free:
            return free[int(self.rng.integers(len(free)))]
        return None

    def _exhausted(self):
        if not self._warned_exhausted:
            warn(
                "Every point of the search space has been proposed; further proposals repeat "
                "earlier ones.", SpaceExhaustedWarning)
            self._warned_exhausted = True
