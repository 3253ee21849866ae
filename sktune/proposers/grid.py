"""Every point of a finite space, in scikit-learn's ``ParameterGrid`` order."""

from __future__ import annotations

import math

from .base import Proposer, enumerate_subspace, params_key, space_size

__all__ = ["GridProposer", "covers_space"]


def covers_space(space, n_trials) -> bool:
    """Whether ``n_trials`` new configurations are every point of ``space``: the search
    is then exhaustive, and a model or a random design cannot change what it scores,
    only the order."""
    size = space_size(space)
    return math.isfinite(size) and n_trials >= size


class GridProposer(Proposer):
    """The points of a finite space in the order ``GridSearchCV`` scores them.

    Sub-spaces in the order given; within one, the product of the dimensions'
    values with the parameter names sorted and the last varying fastest, choices
    in their given order and integers ascending, as ``ParameterGrid`` walks a
    dict. A search that will score every point of its space uses it (see
    :func:`covers_space`), so a grid gives ``GridSearchCV``'s candidate order,
    and its tie-breaking: the first of equal best scores wins. Once every point
    was proposed, it warns once and proposes them again from the start.

    Parameters
    ----------
    space : SearchSpace, dict or list of dict
        A finite space (choices and integers only).
    random_state : int, numpy Generator or None
        Unused (the order is fixed); accepted as every proposer takes it.
    observations : Observations or None, default=None
        The results to read; a new store by default.

    Examples
    --------
    >>> from sktune.proposers.grid import GridProposer
    >>> GridProposer({"b": [1, 2], "a": ["x", "y"]}).ask(3)
    [{'a': 'x', 'b': 1}, {'a': 'x', 'b': 2}, {'a': 'y', 'b': 1}]
    """

    def __init__(self, space, *, random_state=None, observations=None):
        super().__init__(space, random_state=random_state, observations=observations)
        self.points = [p for sub in self.space.subspaces for p in enumerate_subspace(sub)]
        self._next = 0
        self._repeat = 0

    def ask(self, n, *, pending=()):
        taken = {params_key(p) for p in pending}
        out = []
        for _ in range(n):
            while self._next < len(self.points) and not self._is_new(
                    self.points[self._next], taken):
                self._next += 1
            if self._next < len(self.points):
                params = self.points[self._next]
                self._next += 1
            else:
                self._exhausted()
                params = self.points[self._repeat % len(self.points)]
                self._repeat += 1
            taken.add(params_key(params))
            out.append(dict(params))
        return out

    def tell(self, params, score, budget=None):
        self.observations.add(params, score, budget)
