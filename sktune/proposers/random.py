"""Quasi-random proposals (scrambled Sobol, one sequence per subspace)."""

from __future__ import annotations

import warnings

from scipy.stats import qmc

from .._guess import decay
from .base import Proposer, params_key


class RandomProposer(Proposer):
    """Scrambled Sobol points in the unit cube, mapped through the space.

    Subspaces of a conditional space are visited in turn. Duplicates (possible
    with integer and categorical dimensions) are skipped while new points can
    still be found; a finite space is enumerated once random draws run dry.

    A dimension with a ``guess`` is drawn from it on every second point of a
    subspace (the first, third...; each Sobol coordinate goes through the
    quantile function of the guess), the others staying uniform, so a wrong
    guess wastes at most half the draws. The ``n``-th draw follows the guess
    raised to ``min(1, guess_strength / n)`` times the agreement of the results
    so far with the guess (their rank correlation, floored at 0): the guess
    itself at first, then flatter and flatter, and uniform as soon as the results
    contradict it (see :ref:`guesses`). Without a guess the points are those of
    the Sobol sequence.

    Parameters
    ----------
    space : SearchSpace, dict or list of dict
        The search space.
    random_state : int, numpy Generator or None
        Seeds the proposals.
    observations : Observations or None, default=None
        The results to read (shared with the proposer that asks this one for
        random points); a new store by default.
    guess_strength : float, default=10.0
        How long the dimensions' guesses hold (piBO's beta): the ``n``-th
        draw of a subspace follows the guesses raised to ``min(1, beta / n)``.

    Examples
    --------
    >>> from sktune import Real
    >>> from sktune.proposers import RandomProposer
    >>> proposer = RandomProposer({"C": Real(1e-3, 1e3, log=True)}, random_state=0)
    >>> len(proposer.ask(4))
    4

    References
    ----------
    .. [1] I. M. Sobol'. "On the distribution of points in a cube and the approximate
       evaluation of integrals". USSR Comput. Math. Math. Phys. 7, 1967.
    """

    def __init__(self, space, *, random_state=None, observations=None, guess_strength=10.0):
        super().__init__(space, random_state=random_state, observations=observations)
        self._engines = [
            qmc.Sobol(d=len(s), scramble=True, seed=self.rng) if len(s) else None
            for s in self.space.subspaces
        ]
        self._turn = 0
        self.guess_strength = guess_strength
        self._n_drawn = [0] * len(self.space.subspaces)

    def _draw(self, i):
        if self._engines[i] is None:  # an empty subspace: its one point
            return {}
        with warnings.catch_warnings():  # Sobol warns about non powers of two
            warnings.simplefilter("ignore", UserWarning)
            u = self._engines[i].random(1)[0]
        sub = self.space.subspaces[i]
        self._n_drawn[i] += 1
        if sub.has_guess and self._n_drawn[i] % 2 == 1:  # every second draw explores
            gamma = decay(self.guess_strength, self._n_drawn[i])
            u = sub.through_guess(u, gamma * sub.guess_agreement(self.observed))
        return sub.from_unit(u)

    def _new_point(self, i, taken):
        """A new point of subspace ``i`` (Sobol first, then enumeration), or None."""
        for _ in range(30):
            candidate = self._draw(i)
            if self._is_new(candidate, taken):
                return candidate
        return self._unseen_point(i, taken)

    def ask(self, n, *, pending=()):
        taken = {params_key(p) for p in pending}
        out = []
        k = len(self.space.subspaces)
        for _ in range(n):
            params = None
            for _ in range(k):  # try each subspace in turn before giving up
                i = self._turn % k
                self._turn += 1
                params = self._new_point(i, taken)
                if params is not None:
                    break
            if params is None:
                self._exhausted()
                params = self._draw((self._turn - 1) % k)
            taken.add(params_key(params))
            out.append(params)
        return out
