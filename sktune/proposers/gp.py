"""Gaussian-process proposals (Bayesian optimisation).

The surrogate is scikit-learn's ``GaussianProcessRegressor`` with an ARD
Matern 5/2 kernel plus a noise term, fitted on the space's feature encoding
(unit scale, log where asked, one-hot categoricals). Kernel hyperparameters
are warm-started from the previous fit and the history is capped, so the
proposal cost stays flat as trials accumulate. The acquisition (log expected
improvement by default) is screened on a batch of candidates, then refined
by a vectorised local search around the best ones. Pending trials enter the
model with a pessimistic "constant liar" value so parallel workers do not
all get the same point.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr, ndtr
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from .base import Proposer, params_key
from .random import RandomProposer

_SQRT_HALF_PI = np.sqrt(np.pi / 2)
_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def log_expected_improvement(mu, sigma, best, xi=0.0):
    """log EI for maximisation, stable far into the tails."""
    sigma = np.maximum(sigma, 1e-12)
    z = (mu - best - xi) / sigma
    out = np.empty_like(z)
    hi = z > -1
    zh = z[hi]
    out[hi] = np.log(np.maximum(zh * ndtr(zh) + np.exp(-0.5 * zh**2 - _LOG_SQRT_2PI), 1e-300))
    zl = z[~hi]
    # h(z) = phi(z) * (1 - |z| * Phi(z) / phi(z)), with Phi/phi = sqrt(pi/2) erfcx(|z|/sqrt2)
    tail = -np.abs(zl) * _SQRT_HALF_PI * erfcx(np.abs(zl) / np.sqrt(2))
    out[~hi] = -0.5 * zl**2 - _LOG_SQRT_2PI + np.log1p(np.maximum(tail, -1 + 1e-16))
    return out + np.log(sigma)


def acquisition(kind, mu, sigma, best, *, xi=0.01, kappa=1.96):
    """Acquisition values (higher is better) for a maximisation problem."""
    if kind == "EI":
        return log_expected_improvement(mu, sigma, best, xi)
    if kind == "PI":
        return log_ndtr((mu - best - xi) / np.maximum(sigma, 1e-12))
    if kind == "LCB":  # skopt's name: the confidence bound, here on a maximised score
        return mu + kappa * sigma
    raise ValueError(f"unknown acquisition {kind!r}")


class _SubspaceModel:
    """The GP of one subspace, kept warm between proposals."""

    def __init__(self, subspace, rng):
        self.space = subspace
        self.rng = rng
        self.gp = None
        self.kernel = None
        self.n_fits = 0

    def _make_kernel(self):
        d = self.space.n_features
        return ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            length_scale=np.full(d, 0.5), length_scale_bounds=(1e-2, 1e2), nu=2.5
        ) + WhiteKernel(1e-3, (1e-8, 1e0))

    def fit(self, Z, y, *, optimise=True):
        kernel = self.kernel if self.kernel is not None else self._make_kernel()
        gp = GaussianProcessRegressor(
            kernel=kernel,
            normalize_y=True,
            optimizer=_warm_lbfgs if optimise else None,
            n_restarts_optimizer=0,
            random_state=int(self.rng.integers(2**31)),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(Z, y)
        if optimise:
            self.kernel = gp.kernel_
        self.gp = gp
        self.n_fits += 1
        return gp

    def candidates(self, n):
        """Random points snapped onto the space (valid integers and one-hots)."""
        params = self.space.sample(n, self.rng)
        return params, np.array([self.space.to_features(p) for p in params])

    def neighbours(self, params_list, radius, n_each):
        """Points near each of ``params_list`` in the unit cube, snapped."""
        out = []
        for params in params_list:
            u = self.space.to_unit(params)
            steps = self.rng.normal(scale=radius, size=(n_each, len(u)))
            mask = self.rng.random((n_each, len(u))) < max(0.5, 2 / max(len(u), 1))
            for row in np.clip(u + steps * mask, 0, 1):
                out.append(self.space.from_unit(row))
        return out, np.array([self.space.to_features(p) for p in out])


def _warm_lbfgs(obj_func, initial_theta, bounds):
    res = minimize(
        obj_func, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds,
        options={"maxiter": 50},
    )
    return res.x, res.fun


class GPProposer(Proposer):
    """Bayesian optimisation with a Gaussian process (see the module docstring).

    Parameters
    ----------
    space : SearchSpace
    n_initial_points : int, default=10
        Quasi-random (Sobol) points per subspace before the GP takes over.
    acq_func : {"EI", "PI", "LCB"}, default="EI"
    xi, kappa : float
        Exploration of EI/PI and of LCB.
    n_candidates : int, default=1000
        Random candidates screened per proposal.
    max_history : int, default=300
        Observations kept in the GP (the best half and a random rest beyond it).
    refit_every : int, default=1
        Re-optimise kernel hyperparameters every this many new observations
        (warm-started; otherwise the last kernel is reused).
    random_state : int, Generator or None
    """

    def __init__(
        self, space, *, n_initial_points=10, acq_func="EI", xi=0.01, kappa=1.96,
        n_candidates=1000, max_history=300, refit_every=1, random_state=None,
    ):
        super().__init__(space, random_state=random_state)
        self.n_initial_points = n_initial_points
        self.acq_func = acq_func
        self.xi, self.kappa = xi, kappa
        self.n_candidates = n_candidates
        self.max_history = max_history
        self.refit_every = refit_every
        self._random = RandomProposer(self.space, random_state=self.rng)
        self._models = [_SubspaceModel(s, self.rng) for s in self.space.subspaces]
        self._last_fit_n = [-1] * len(self._models)
        self._turn = 0

    def _history(self, i):
        sub = self.space.subspaces[i]
        rows = [(p, s) for p, s in self.observed if np.isfinite(s) and sub.contains(p)]
        return rows

    def ask(self, n, *, pending=()):
        pending = list(pending)
        taken = {params_key(p) for p in pending}
        out = []
        for _ in range(n):
            i = self._turn % len(self._models)
            self._turn += 1
            params = self._ask_one(i, pending + out, taken)
            taken.add(params_key(params))
            out.append(params)
        return out

    def _ask_one(self, i, pending, taken):
        sub = self.space.subspaces[i]
        history = self._history(i)
        n_tried = sum(1 for p, _ in self.observed if sub.contains(p))
        n_tried += sum(1 for p in pending if sub.contains(p))
        if len(history) < max(2, self.n_initial_points) or n_tried < self.n_initial_points:
            return self._random_in(i, taken)
        history = self._cap(history)
        Z = np.array([sub.to_features(p) for p, _ in history])
        y = np.array([s for _, s in history])
        model = self._models[i]
        optimise = (
            model.kernel is None or len(history) - self._last_fit_n[i] >= self.refit_every
        )
        model.fit(Z, y, optimise=optimise)
        if optimise:
            self._last_fit_n[i] = len(history)
        own_pending = [p for p in pending if sub.contains(p)]
        if own_pending:  # constant liar: pending points count as the worst score seen
            Zp = np.array([sub.to_features(p) for p in own_pending])
            model.fit(np.vstack([Z, Zp]), np.concatenate([y, np.full(len(Zp), y.min())]),
                      optimise=False)
        best = y.max()
        self._y_scale = max(float(np.std(y)), 1e-12)  # xi is relative to the score spread
        return self._optimise_acquisition(model, best, taken) or self._random_in(i, taken)

    def _score(self, model, Z, best):
        mu, sigma = model.gp.predict(Z, return_std=True)
        return acquisition(self.acq_func, mu, sigma, best, xi=self.xi * self._y_scale,
                           kappa=self.kappa)

    def _optimise_acquisition(self, model, best, taken):
        params, Z = model.candidates(self.n_candidates)
        top_obs = sorted(self._history_of(model), key=lambda r: -r[1])[:5]
        if top_obs:  # also screen around the incumbents
            near, Zn = model.neighbours([p for p, _ in top_obs], 0.1, 40)
            params, Z = params + near, np.vstack([Z, Zn])
        values = self._score(model, Z, best)
        radius = 0.1
        for _ in range(3):  # local refinement around the best few
            order = np.argsort(-values)[:5]
            near, Zn = model.neighbours([params[j] for j in order], radius, 40)
            params, Z = params + near, np.vstack([Z, Zn])
            values = np.concatenate([values, self._score(model, Zn, best)])
            radius /= 3
        for j in np.argsort(-values):
            if self._is_new(params[j], taken):
                return params[j]
        return None

    def _history_of(self, model):
        return [(p, s) for p, s in self.observed if np.isfinite(s) and model.space.contains(p)]

    def _cap(self, history):
        if len(history) <= self.max_history:
            return history
        ranked = sorted(history, key=lambda r: -r[1])
        keep = ranked[: self.max_history // 2]
        rest = ranked[self.max_history // 2 :]
        idx = self.rng.choice(len(rest), self.max_history - len(keep), replace=False)
        return keep + [rest[j] for j in sorted(idx)]

    def _random_in(self, i, taken):
        for _ in range(50):
            candidate = self._random._draw(i)
            if self._is_new(candidate, taken):
                return candidate
        return candidate
