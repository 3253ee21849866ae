"""What the model-based proposers share: subspaces in turn, random points first."""

from __future__ import annotations

from .base import Proposer, params_key
from .random import RandomProposer


class SubspaceTurns(Proposer):
    """A proposer whose proposals come from each subspace in turn.

    Subclasses implement ``_ask_one(i, pending, taken)``: a new configuration of
    subspace ``i`` (not in ``taken``), or None when that subspace has none
    left. ``self._random`` gives the random points a model starts from; it reads
    the same observations, so those points skip the configurations already tried.
    """

    def __init__(self, space, *, random_state=None, observations=None):
        super().__init__(space, random_state=random_state, observations=observations)
        self._random = RandomProposer(self.space, random_state=self.rng,
                                      observations=self.observations)
        self._turn = 0

    def ask(self, n, *, pending=()):
        pending = list(pending)
        taken = {params_key(p) for p in pending}
        out = []
        k = len(self.space.subspaces)
        for _ in range(n):
            params = None
            for _ in range(k):  # a subspace with nothing new left passes its turn on
                i = self._turn % k
                self._turn += 1
                params = self._ask_one(i, pending + out, taken)
                if params is not None:
                    break
            if params is None:
                self._exhausted()
                params = self._random._draw((self._turn - 1) % k)
            taken.add(params_key(params))
            out.append(params)
        return out

    def _ask_one(self, i, pending, taken):
        raise NotImplementedError
