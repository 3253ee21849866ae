"""ParEGO (Knowles, 2006): multi-objective Bayesian optimisation by random scalarisation.

Each proposal draws a weight vector uniformly on the simplex, scalarises every
observed objective vector with the augmented Tchebycheff function (objectives
scaled to their observed range) and lets a single-objective proposer (the GP)
propose for that scalar. Over many proposals the weights sweep the whole front.
"""

from __future__ import annotations

import numpy as np

from ..pareto import tchebycheff
from .base import Proposer

__all__ = ["ParEGOProposer"]


class ParEGOProposer(Proposer):
    """Multi-objective proposals from a single-objective proposer.

    Parameters
    ----------
    inner : Proposer
        The single-objective proposer (its observations are rewritten before
        each proposal with the scalarised scores).
    n_objectives : int
    rho : float, default=0.05
        Weight of the sum term of the augmented Tchebycheff function.
    random_state : int, numpy Generator or None

    Examples
    --------
    >>> from sktune import Real
    >>> from sktune.proposers.gp import GPProposer
    >>> from sktune.proposers.parego import ParEGOProposer
    >>> space = {"x": Real(0.0, 1.0)}
    >>> proposer = ParEGOProposer(GPProposer(space, n_initial_points=3, random_state=0), 2,
    ...                           random_state=0)
    >>> for _ in range(6):
    ...     [p] = proposer.ask(1)
    ...     proposer.tell_vector(p, [p["x"], 1 - p["x"] ** 2])
    >>> len(proposer.observed)
    6
    """

    def __init__(self, inner, n_objectives, *, rho=0.05, random_state=None):
        super().__init__(inner.space, random_state=random_state,
                         observations=inner.observations)
        self.inner = inner
        self.n_objectives = n_objectives
        self.rho = rho
        self._vectors: list[np.ndarray] = []

    def tell(self, params, score):
        """A failed trial (or one told a scalar): every objective as bad as ``score``."""
        self.tell_vector(params, np.full(self.n_objectives, float(score)))

    def tell_vector(self, params, vector):
        """Record one trial's objective values (all to maximise; NaN: failed)."""
        vector = np.asarray(vector, dtype=float)
        self._vectors.append(vector)
        self.observations.add(params, float(np.nan if not np.isfinite(vector).all() else 0.0))

    def ask(self, n, *, pending=()):
        self._rescalarise()
        return self.inner.ask(n, pending=pending)

    def _rescalarise(self):
        if not self._vectors:
            return
        F = np.array(self._vectors)
        ok = np.isfinite(F).all(axis=1)
        if not ok.any():
            return
        weights = self.rng.dirichlet(np.ones(self.n_objectives))
        bounds = (F[ok].min(axis=0), F[ok].max(axis=0))
        scores = np.full(len(F), np.nan)
        scores[ok] = tchebycheff(F[ok], weights, rho=self.rho, bounds=bounds)
        items = self.observations.items
        items[:] = [(params, float(s)) for (params, _), s in zip(items, scores)]
