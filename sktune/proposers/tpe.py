"""Tree-structured Parzen estimator proposals (TPE).

The observations of a subspace are split into the best ``gamma`` fraction
("good") and the rest ("bad"). Each group gets a density over the space: a
mixture of one kernel per observation and a prior component, uniform (in the
good density of a space with guesses: the guesses, flattening as trials come
in). A kernel
is a product over the dimensions, so the densities are multivariate (the
interactions between dimensions count, as in BOHB): a truncated normal on the
unit coordinate of a real or integer dimension (log-warped where asked), and
on a categorical dimension most of its mass on the observed category and the
rest spread evenly over all of them. Candidates are drawn from the good
density and the one with the largest ratio good / bad is proposed: the
maximiser of expected improvement under TPE's model.

Pending trials and failed ones count as bad observations (a "constant liar"),
so parallel workers are not all sent to the same place and a region that fails
is avoided. Categorical dimensions need no encoding and cost nothing more than
others, which is where TPE tends to beat a Gaussian process.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

from .._guess import decay
from ..space import Categorical
from ._turns import SubspaceTurns

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class _Parzen:
    """A mixture density over one subspace: a kernel per point plus a uniform prior.

    Parameters
    ----------
    U : ndarray of shape (n, n_cont)
        Unit coordinates of the continuous (real and integer) dimensions.
    C : ndarray of shape (n, n_cat)
        Category indices of the categorical dimensions.
    n_choices : ndarray of shape (n_cat,)
    prior_weight : float
        Weight of the prior component, relative to one point's weight.
    guesses : tuple of (list, list, float) or None
        The prior component's guesses on the continuous and on the categorical
        dimensions (None where a dimension has none) and the exponent they are
        raised to; None: a uniform prior component.
    """

    def __init__(self, U, C, n_choices, prior_weight, guesses=None):
        self.U, self.C = U, C
        self.guesses = guesses
        self.n_choices = n_choices
        n, d = len(U), U.shape[1] + C.shape[1]
        # Scott-like rule on the unit cube: narrower with more points, in more dimensions
        shrink = max(n, 1) ** (-1.0 / (d + 4))
        self.sigma = 0.2 * shrink
        # a categorical kernel keeps half its mass on the observed category (plus its
        # share of the other half); with more points it concentrates slowly
        self.p_other = 0.5 * shrink / n_choices
        self.p_own = 1.0 - self.p_other * (n_choices - 1)
        weights = np.append(np.ones(n), prior_weight)
        self.w = weights / weights.sum()
        self.log_w = np.log(self.w)
        lo = ndtr((0.0 - U) / self.sigma)
        hi = ndtr((1.0 - U) / self.sigma)
        self._log_mass = np.log(np.maximum(hi - lo, 1e-300))  # truncation to [0, 1]

    def sample(self, m, rng):
        n = len(self.U)
        comp = rng.choice(n + 1, size=m, p=self.w)
        U = rng.random((m, self.U.shape[1]))  # the prior's draws, kept where comp == n
        R = rng.random((m, len(self.n_choices)))
        C = np.floor(R * self.n_choices).astype(int)
        if self.guesses is not None:  # the prior's draws follow the guesses
            U, C = self._through_guesses(U, R, C, comp == n)
        for row, k in enumerate(comp):
            if k == n:
                continue
            U[row] = self._truncated_normal(self.U[k], rng)
            for j, (own, p_other) in enumerate(zip(self.C[k], self.p_other)):
                if rng.random() >= self.p_own[j] - p_other:  # not kept: uniform draw
                    continue
                C[row, j] = own
        return U, C

    def _through_guesses(self, U, R, C, rows):
        """The prior's uniform draws (``U``; ``R`` of the categories) moved through the
        guesses, on ``rows``."""
        cont, cat, gamma = self.guesses
        U = U.copy()
        for j, guess in enumerate(cont):
            if guess is not None:
                U[rows, j] = guess.ppf(U[rows, j], gamma)
        for j, guess in enumerate(cat):
            if guess is not None:
                k = int(self.n_choices[j])
                C[rows, j] = np.minimum((guess.ppf(R[rows, j], gamma) * k).astype(int), k - 1)
        return U, C

    def _log_prior(self, U, C):
        """Log density of the prior component at the rows of ``U`` / ``C``."""
        if self.guesses is None:
            return np.full(len(U), -np.log(self.n_choices).sum())
        cont, cat, gamma = self.guesses
        out = np.zeros(len(U))
        for j, guess in enumerate(cont):
            if guess is not None:
                out += guess.log_density(U[:, j], gamma=gamma)
        for j, guess in enumerate(cat):
            k = self.n_choices[j]
            if guess is None:
                out -= np.log(k)
            else:  # the probability of the category: density times the slice's width
                out += guess.log_density((C[:, j] + 0.5) / k, gamma=gamma) - np.log(k)
        return out

    def _truncated_normal(self, mu, rng):
        """One draw per coordinate of N(mu, sigma) truncated to [0, 1], by inversion."""
        lo = ndtr((0.0 - mu) / self.sigma)
        hi = ndtr((1.0 - mu) / self.sigma)
        q = lo + rng.random(len(mu)) * (hi - lo)
        return np.clip(mu + self.sigma * ndtri(np.clip(q, 1e-12, 1 - 1e-12)), 0.0, 1.0)

    def log_pdf(self, U, C):
        """Log density at the rows of ``U`` / ``C`` (the categorical part a probability)."""
        z = (U[:, None, :] - self.U[None, :, :]) / self.sigma  # (m, n, n_cont)
        log_k = (-0.5 * z**2 - _LOG_SQRT_2PI - math.log(self.sigma)
                 - self._log_mass[None]).sum(axis=2)
        same = C[:, None, :] == self.C[None, :, :]  # (m, n, n_cat)
        log_k = log_k + np.where(same, np.log(self.p_own), np.log(self.p_other)).sum(axis=2)
        log_prior = self._log_prior(U, C)[:, None]
        return logsumexp(np.hstack([log_k, log_prior]) + self.log_w[None], axis=1)


class TPEProposer(SubspaceTurns):
    """Tree-structured Parzen estimator (see the module docstring).

    Parameters
    ----------
    space : SearchSpace, dict or list of dict
        The search space. Conditional (list-of-dict) spaces get one pair of
        densities per subspace, visited in turn: every subspace gets its share of
        the proposals, however it scores.
    n_initial_points : int, default=10
        Quasi-random (Sobol) points per subspace before the densities take over.
    gamma : float, default=0.15
        Fraction of the observations that count as good (at least one, at most 25).
    n_ei_candidates : int, default=24
        Candidates drawn from the good density per proposal.
    prior_weight : float, default=1.0
        Weight of the prior component of each density, relative to one
        observation: uniform, except in the good density of a space with
        guesses.
    random_state : int, Generator or None
        Seeds the proposals.
    observations : Observations or None, default=None
        The results to read, shared with a proposer that asks this one (a
        budget's model in Hyperband); a new store by default.
    guess_strength : float, default=10.0
        How long the dimensions' guesses hold (piBO's beta, see :ref:`guesses`):
        the initial points follow them (as :class:`RandomProposer` draws), and
        the good density's prior component is the product of the guesses
        raised to ``min(1, beta / n)`` after ``n`` trials of the subspace, times
        the agreement of the results with the guesses (their rank correlation,
        floored at 0), so candidates are drawn from them and the ratio favours
        them, tending to the uniform component of plain TPE. No effect without
        a guess.

    Examples
    --------
    >>> from sktune import Categorical, Real
    >>> from sktune.proposers import TPEProposer
    >>> proposer = TPEProposer({"x": Real(-2.0, 2.0), "kind": Categorical(["a", "b"])},
    ...                        n_initial_points=5, random_state=0)
    >>> for _ in range(30):
    ...     [params] = proposer.ask(1)
    ...     proposer.tell(params, -(params["x"] - 1) ** 2 - (params["kind"] == "a"))
    >>> best, score = max(proposer.observed, key=lambda r: r[1])
    >>> score > -0.1
    True

    References
    ----------
    .. [1] J. Bergstra, R. Bardenet, Y. Bengio, B. Kégl. "Algorithms for
       Hyper-Parameter Optimization". NeurIPS 2011.
    .. [2] S. Falkner, A. Klein, F. Hutter. "BOHB: Robust and Efficient
       Hyperparameter Optimization at Scale". ICML 2018 (multivariate densities).
    .. [3] S. Watanabe. "Tree-Structured Parzen Estimator: Understanding Its
       Algorithm Components and Their Roles for Better Empirical Performance". 2023.
    """

    def __init__(self, space, *, n_initial_points=10, gamma=0.15, n_ei_candidates=24,
                 prior_weight=1.0, random_state=None, observations=None, guess_strength=10.0):
        super().__init__(space, random_state=random_state, observations=observations,
                         guess_strength=guess_strength)
        if not 0 < gamma < 1:
            raise ValueError(f"gamma must be in (0, 1). Got {gamma!r} instead.")
        if not prior_weight > 0:
            raise ValueError(f"prior_weight must be > 0. Got {prior_weight!r} instead.")
        if int(n_ei_candidates) < 1 or int(n_initial_points) < 0:
            raise ValueError(
                "n_ei_candidates must be >= 1 and n_initial_points >= 0. Got "
                f"{n_ei_candidates!r} and {n_initial_points!r} instead."
            )
        self.n_initial_points = n_initial_points
        self.gamma = gamma
        self.n_ei_candidates = n_ei_candidates
        self.prior_weight = prior_weight

    # -- one proposal -------------------------------------------------------------------------
    def _ask_one(self, i, pending, taken):
        sub = self.space.subspaces[i]
        history = [(p, s) for p, s in self.observed if np.isfinite(s) and sub.contains(p)]
        if len(history) < max(2, self.n_initial_points):
            return self._random._new_point(i, taken)
        history.sort(key=lambda r: -r[1])
        n_good = min(max(1, math.ceil(self.gamma * len(history))), 25)
        good = [p for p, _ in history[:n_good]]
        # pending and failed trials join the bad ones (constant liar)
        bad = [p for p, _ in history[n_good:]]
        bad += [p for p, s in self.observed if not np.isfinite(s) and sub.contains(p)]
        bad += [p for p in pending if sub.contains(p)]
        cont = [j for j, d in enumerate(sub.dimensions) if not isinstance(d, Categorical)]
        cat = [j for j, d in enumerate(sub.dimensions) if isinstance(d, Categorical)]
        n_choices = np.array([len(sub.dimensions[j].choices) for j in cat], dtype=float)
        # the good density's prior component is the guesses, flattening as trials come in
        guesses = None
        if sub.has_guess:
            n_tried = n_good + len(bad)  # the finite results, failed and pending trials
            gamma = decay(self.guess_strength, n_tried) * sub.guess_agreement(history)
            guesses = ([sub.dimensions[j].guess for j in cont],
                       [sub.dimensions[j].guess for j in cat], gamma)
        densities = []
        for group, prior in ((good, guesses), (bad, None)):
            # the space's unit coordinates; a category's is the centre of its slice
            units = np.array([sub.to_unit(p) for p in group]).reshape(len(group), len(sub))
            C = np.floor(units[:, cat] * n_choices).astype(int)
            densities.append(_Parzen(units[:, cont], C, n_choices, self.prior_weight, prior))
        l_density, g_density = densities
        U, C = l_density.sample(self.n_ei_candidates, self.rng)
        ratio = l_density.log_pdf(U, C) - g_density.log_pdf(U, C)
        units = np.empty((len(U), len(sub)))
        units[:, cont], units[:, cat] = U, (C + 0.5) / n_choices
        for row in np.argsort(-ratio):
            params = sub.from_unit(units[row])
            if self._is_new(params, taken):
                return params
        return self._random._new_point(i, taken)
