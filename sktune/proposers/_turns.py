"""What the model-based proposers share: subspaces in turn, random points first."""

from __future__ import annotations

from .base import Proposer, params_key
from .random import RandomProposer


class SubspaceTurns(Proposer):
    """A proposer whose proposals come from each subspace in turn.

    Subclasses implement ``_ask_one(i, pending, taken)``: a new configuration of
    subspace ``i`` (not in ``taken``), or None when that subspace has none
    left. ``self._random`` gives the random points a model starts from; it reads
    the same observations, so those points skip the configurations already tried,
    and draws from the dimensions' guesses (``guess_strength``, see
    :class:`RandomProposer`).

    A space with per-subspace counts (``SearchSpace.n_iters``, from scikit-optimize's
    ``(dict, n_iter)`` pairs) gets that many proposals in each subspace: a subspace
    whose count is used up passes its turn on while another has some left (a
    subspace without a count always takes its turn). Once every count is used up,
    the turns go round all subspaces again.
    """

    def __init__(self, space, *, random_state=None, observations=None, guess_strength=10.0):
        super().__init__(space, random_state=random_state, observations=observations)
        self.guess_strength = guess_strength
        self._random = RandomProposer(self.space, random_state=self.rng,
                                      observations=self.observations,
                                      guess_strength=guess_strength)
        self._turn = 0
        self._asked = [0] * len(self.space.subspaces)

    def _has_turn(self, i):
        counts = self.space.n_iters
        if all(n is None or a >= n for n, a in zip(counts, self._asked)):
            return True  # no counts, or all used up
        return counts[i] is None or self._asked[i] < counts[i]

    def ask(self, n, *, pending=()):
        pending = list(pending)
        taken = {params_key(p) for p in pending}
        out = []
        k = len(self.space.subspaces)
        for _ in range(n):
            params, last = None, None
            for _ in range(k):  # a subspace with nothing new left passes its turn on
                i = self._turn % k
                self._turn += 1
                if not self._has_turn(i):
                    continue
                last = i
                params = self._ask_one(i, pending + out, taken)
                if params is not None:
                    break
            if params is None:
                self._exhausted()
                i = (self._turn - 1) % k if last is None else last
                params = self._random._draw(i)
            self._asked[i] += 1
            taken.add(params_key(params))
            out.append(params)
        return out

    def _ask_one(self, i, pending, taken):
        raise NotImplementedError
