"""Quasi-random proposals (scrambled Sobol, one sequence per subspace)."""

from __future__ import annotations

from scipy.stats import qmc

from .base import Proposer, params_key


class RandomProposer(Proposer):
    """Scrambled Sobol points in the unit cube, mapped through the space.

    Subspaces of a conditional space are visited in turn. Duplicates (possible
    with integer and categorical dimensions) are skipped while new points can
    still be found.
    """

    def __init__(self, space, *, random_state=None):
        super().__init__(space, random_state=random_state)
        self._engines = [
            qmc.Sobol(d=len(s), scramble=True, seed=self.rng) for s in self.space.subspaces
        ]
        self._turn = 0

    def _draw(self, i):
        import warnings

        with warnings.catch_warnings():  # Sobol warns about non powers of two
            warnings.simplefilter("ignore", UserWarning)
            u = self._engines[i].random(1)[0]
        return self.space.subspaces[i].from_unit(u)

    def ask(self, n, *, pending=()):
        taken = {params_key(p) for p in pending}
        out = []
        for _ in range(n):
            params = None
            for attempt in range(50):
                i = self._turn % len(self.space.subspaces)
                self._turn += 1
                candidate = self._draw(i)
                if self._is_new(candidate, taken) or attempt == 49:
                    params = candidate
                    break
            taken.add(params_key(params))
            out.append(params)
        return out
