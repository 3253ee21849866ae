"""Gaussian-process proposals (Bayesian optimisation).

The surrogate is scikit-learn's ``GaussianProcessRegressor`` with an ARD
Matern 5/2 kernel times a constant plus a noise term, fitted on the space's
feature encoding (unit scale, log where asked, one-hot categoricals) to the
standardised (optionally power-transformed) scores. Kernel hyperparameters
are maximum a posteriori estimates (weak log-normal priors added to
scikit-learn's log marginal likelihood through its ``optimizer`` hook),
warm-started from the previous fit with few L-BFGS iterations (and, while
the points are few, from the default values too, keeping the better), and fitted
on a capped subset of the history, so the proposal cost stays flat as trials
accumulate.

The acquisition (log expected improvement by default) is screened on a
batch of random points and of points near the incumbents, then refined from
the best few by one batched L-BFGS-B run over the continuous coordinates
(with analytic gradients of the posterior mean and standard deviation) and
a discrete neighbourhood search over integers and categories. Pending
trials (parallel workers) are integrated out: the acquisition is averaged
over joint posterior draws of their scores, so that the workers do not all
get the same point. Failed trials (non-finite scores) are left out of the
hyperparameter fit and of the incumbent, and enter the acquisition's
posterior with a pessimistic "constant liar" value, so a region that fails
is not searched over and over.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from scipy.optimize import minimize
from scipy.spatial.distance import cdist
from scipy.special import erfcx, log_ndtr, logsumexp, ndtr
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from .._guess import agreement, decay
from .._keys import params_key
from ..space import Categorical, Integer
from ._turns import SubspaceTurns
from .base import enumerate_subspace, subspace_size
from .transfer import PriorMean, ShiftedPosterior, prior_weight

_SQRT_HALF_PI = math.sqrt(math.pi / 2)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT5 = math.sqrt(5.0)
_LENGTH_SCALE_SD = 1.0  # of the log length scales' prior
# up to this many points every hyperparameter fit also starts afresh: a warm start alone
# can stay in the local optimum a handful of early points put it in
_FRESH_START_UNTIL = 60
_N_FANTASIES = 16  # draws of the pending trials' scores a proposal averages over


# -- acquisition functions ------------------------------------------------------------------------
def _log_h(z):
    """log(z * Phi(z) + phi(z)), stable far into the lower tail."""
    out = np.empty_like(z)
    hi = z > -1
    zh = z[hi]
    out[hi] = np.log(zh * ndtr(zh) + np.exp(-0.5 * zh**2 - _LOG_SQRT_2PI))
    zl = z[~hi]
    # h(z) = phi(z) * (1 + z * Phi(z) / phi(z)), with Phi/phi = sqrt(pi/2) erfcx(-z/sqrt2)
    r = _SQRT_HALF_PI * erfcx(-zl / math.sqrt(2))
    out[~hi] = -0.5 * zl**2 - _LOG_SQRT_2PI + np.log(np.maximum(1 + zl * r, 1e-300))
    return out


def acquisition(kind, mu, sigma, best, *, xi=0.01, kappa=1.96, grad=False):
    """Acquisition values (higher is better) for a maximisation problem.

    With ``grad=True`` also returns the derivatives with respect to ``mu`` and
    ``sigma`` (for the chain rule through the posterior).
    """
    sigma = np.maximum(sigma, 1e-12)
    z = (mu - best - xi) / sigma
    if kind == "EI":
        value = _log_h(z) + np.log(sigma)
        if not grad:
            return value
        # d log EI / d mu = (Phi / h) / sigma, d log EI / d sigma = (phi / h) / sigma;
        # in the lower tail through r = Phi / phi: Phi / h = r / (1 + z r), phi / h = 1 / (1 + z r)
        phi_h = np.empty_like(z)
        Phi_h = np.empty_like(z)
        hi = z > -1
        zh = z[hi]
        pdf = np.exp(-0.5 * zh**2 - _LOG_SQRT_2PI)
        cdf = ndtr(zh)
        h = zh * cdf + pdf
        phi_h[hi], Phi_h[hi] = pdf / h, cdf / h
        r = _SQRT_HALF_PI * erfcx(-z[~hi] / math.sqrt(2))
        den = np.maximum(1 + z[~hi] * r, 1e-300)
        phi_h[~hi], Phi_h[~hi] = 1 / den, r / den
        return value, Phi_h / sigma, phi_h / sigma
    if kind == "PI":
        value = log_ndtr(z)
        if not grad:
            return value
        inv_mills = np.exp(-0.5 * z**2 - _LOG_SQRT_2PI - log_ndtr(z))  # phi / Phi
        return value, inv_mills / sigma, -inv_mills * z / sigma
    if kind == "LCB":  # skopt's name: the confidence bound, here on a maximised score
        value = mu + kappa * sigma
        if not grad:
            return value
        return value, np.ones_like(mu), np.full_like(mu, kappa)
    raise ValueError(f"unknown acquisition {kind!r}")


# -- the feature encoding, vectorised -------------------------------------------------------------
class _Encoding:
    """Vectorised maps between the unit cube, snapped features and parameters.

    Features are those of :meth:`Subspace.to_features`: one column per real or
    integer dimension (its unit coordinate, log-warped where asked; integers
    at the centre of their slice) and a one-hot block per categorical.
    """

    def __init__(self, subspace):
        self.space = subspace
        self.columns = []  # (kind, first feature column, dimension, grid or None)
        j = 0
        for dim in subspace.dimensions:
            if isinstance(dim, Categorical):
                self.columns.append(("cat", j, dim, None))
            elif isinstance(dim, Integer):
                grid = None
                if dim.high - dim.low < 100000:
                    grid = np.array([dim.to_unit(v) for v in range(dim.low, dim.high + 1)])
                self.columns.append(("int", j, dim, grid))
            else:
                self.columns.append(("real", j, dim, None))
            j += dim.n_features
        self.n_features = j
        self.cont = np.array(
            [c[1] for c in self.columns if c[0] in ("real", "int")], dtype=int
        )  # columns moved by gradient steps (integers relaxed, then snapped)
        self.has_discrete = any(c[0] != "real" for c in self.columns)
        self.size = subspace_size(subspace)
        self.guessed = [c for c in self.columns if c[2].guess is not None]

    def log_guess(self, Z, grad=False):
        """Sum over the dimensions with a guess of its log density at feature rows ``Z``
        (and the gradient in the features: nonzero on real and integer columns)."""
        total = np.zeros(len(Z))
        G = np.zeros_like(Z) if grad else None
        for kind, j, dim, _ in self.guessed:
            if kind == "cat":
                k = len(dim.choices)
                u = (np.argmax(Z[:, j : j + k], axis=1) + 0.5) / k
                total += dim.guess.log_density(u)
                continue
            value, slope = dim.guess.log_density(Z[:, j], grad=True)
            total += value
            if grad:
                G[:, j] = slope
        return (total, G) if grad else total

    def features(self, params_list):
        return np.array([self.space.to_features(p) for p in params_list]).reshape(
            -1, self.n_features
        )

    def from_unit(self, U):
        """Unit-cube points (one column per dimension) to snapped features."""
        Z = np.empty((len(U), self.n_features))
        for col, (kind, j, dim, _) in enumerate(self.columns):
            u = U[:, col]
            if kind == "cat":
                k = len(dim.choices)
                block = np.zeros((len(U), k))
                block[np.arange(len(U)), np.minimum((u * k).astype(int), k - 1)] = 1.0
                Z[:, j : j + k] = block
            else:
                Z[:, j] = u
        return self.snap(Z)

    def snap(self, Z):
        """Clip to the cube, move integers to their slice centre, make one-hots valid."""
        Z = np.clip(Z, 0.0, 1.0)
        for kind, j, dim, grid in self.columns:
            if kind == "int":
                Z[:, j] = self._snap_int(Z[:, j], dim, grid)
            elif kind == "cat":
                k = len(dim.choices)
                idx = np.argmax(Z[:, j : j + k], axis=1)
                Z[:, j : j + k] = 0.0
                Z[np.arange(len(Z)), j + idx] = 1.0
        return Z

    @staticmethod
    def _snap_int(u, dim, grid):
        if grid is None:
            return np.array([dim.to_unit(dim.from_unit(v)) for v in u])
        idx = np.clip(np.searchsorted(grid, u), 1, len(grid) - 1)
        left, right = grid[idx - 1], grid[idx]
        return np.where(u - left <= right - u, left, right)

    def to_params(self, z):
        out = {}
        for (kind, j, dim, _), name in zip(self.columns, self.space.names):
            if kind == "cat":
                out[name] = dim.choices[int(np.argmax(z[j : j + len(dim.choices)]))]
            else:
                out[name] = dim.from_unit(float(z[j]))
        return out

    def neighbours(self, z):
        """Discrete neighbours of one point: integers one step, every other category."""
        rows = []
        for kind, j, dim, grid in self.columns:
            if kind == "int" and grid is not None:
                i = int(np.argmin(np.abs(grid - z[j])))
                for step in (-2, -1, 1, 2):
                    if 0 <= i + step < len(grid):
                        row = z.copy()
                        row[j] = grid[i + step]
                        rows.append(row)
            elif kind == "cat":
                k = len(dim.choices)
                for c in range(k):
                    if z[j + c] != 1.0:
                        row = z.copy()
                        row[j : j + k] = 0.0
                        row[j + c] = 1.0
                        rows.append(row)
        return np.array(rows).reshape(-1, self.n_features)


# -- the GP posterior -----------------------------------------------------------------------------
class _Posterior:
    """Posterior of a zero-mean GP with kernel ``amp * Matern52(ls) + noise``.

    The hyperparameters come from a fitted ``GaussianProcessRegressor``; this
    class adds what scikit-learn does not expose: gradients of the mean and
    standard deviation with respect to the inputs, and cheap conditioning on
    extra (pending) points with fixed hyperparameters.
    """

    def __init__(self, X, y, amp, length_scale, noise, extra=0.0):
        self.X = X
        self.ls = np.broadcast_to(np.asarray(length_scale, dtype=float), (X.shape[1],)).copy()
        self.amp = float(amp)
        self.noise = float(noise)
        K = self._k(cdist(X / self.ls, X / self.ls))
        K[np.diag_indices_from(K)] += noise + 1e-9 + extra
        for jitter in (0.0, 1e-8, 1e-6, 1e-4):
            try:
                L = cholesky(K + jitter * np.eye(len(K)), lower=True)
                break
            except np.linalg.LinAlgError:
                continue
        self.Linv = solve_triangular(L, np.eye(len(K)), lower=True)
        self.alpha = self.Linv.T @ (self.Linv @ y)

    def _k(self, r):
        return self.amp * (1 + _SQRT5 * r + 5.0 / 3.0 * r**2) * np.exp(-_SQRT5 * r)

    def joint(self, Z):
        """Posterior mean and covariance of the latent function at the rows of ``Z``."""
        k = self._k(cdist(Z / self.ls, self.X / self.ls))
        v = k @ self.Linv.T
        return k @ self.alpha, self._k(cdist(Z / self.ls, Z / self.ls)) - v @ v.T

    def predict(self, Z, grad=False):
        r = cdist(Z / self.ls, self.X / self.ls)
        k = self._k(r)
        mu = k @ self.alpha
        v = k @ self.Linv.T
        var = np.maximum(self.amp - np.einsum("ij,ij->i", v, v), 1e-12)
        sigma = np.sqrt(var)
        if not grad:
            return mu, sigma
        # dk/dz = g * (z - x) / ls^2 with g = -(5/3) amp (1 + sqrt5 r) exp(-sqrt5 r)
        g = -(5.0 / 3.0) * self.amp * (1 + _SQRT5 * r) * np.exp(-_SQRT5 * r)
        if self.alpha.ndim == 1:
            ga = g * self.alpha
            d_mu = (ga.sum(1)[:, None] * Z - ga @ self.X) / self.ls**2
        else:  # one column of targets per fantasy: d_mu of shape (m, n_fantasies, d)
            d_mu = ((g @ self.alpha)[:, :, None] * Z[:, None, :]
                    - np.einsum("mn,nk,nd->mkd", g, self.alpha, self.X, optimize=True))
            d_mu /= self.ls**2
        w = v @ self.Linv  # K^-1 k
        gw = g * w
        d_var = -2 * (gw.sum(1)[:, None] * Z - gw @ self.X) / self.ls**2
        return mu, sigma, d_mu, d_var / (2 * sigma[:, None])


def _make_kernel(n_features):
    return ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
        length_scale=np.full(n_features, 0.5), length_scale_bounds=(5e-3, 5.0), nu=2.5
    ) + WhiteKernel(1e-4, (1e-7, 1.0))


def _log_prior(theta, n_features):
    """Log density (up to a constant) and gradient of the hyperparameter priors.

    On the log of each hyperparameter, in standardised score units: amplitude
    N(0, 1.5); length scales N(log(0.5 * sqrt(d)), 1) (longer in more
    dimensions, after [Hvarfner et al. 2024]); noise N(log 1e-4, 3). They keep
    small-sample fits away from degenerate length scales. The length scales'
    sd was 1.5 until measured (``benchmarks/bayes.py`` at 30 evaluations and
    ``benchmarks/bayesmark.py`` at 32, see :ref:`bayes-measured`): 0.75 won the
    synthetic functions and lost the real tasks; 1 won both there.
    """
    mean = np.concatenate([[0.0], np.full(n_features, math.log(0.5 * math.sqrt(n_features))),
                           [math.log(1e-4)]])
    sd = np.concatenate([[1.5], np.full(n_features, _LENGTH_SCALE_SD), [3.0]])
    dev = (theta - mean) / sd
    return -0.5 * float(dev @ dev), -dev / sd


def _map_optimizer(n_features, maxiter):
    """An ``optimizer`` for ``GaussianProcessRegressor`` maximising LML + log prior."""

    def optimizer(obj_func, initial_theta, bounds):
        def f(theta):
            value, grad = obj_func(theta)
            lp, dlp = _log_prior(theta, n_features)
            return value - lp, grad - dlp

        res = minimize(f, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds,
                       options={"maxiter": maxiter})
        return res.x, res.fun

    return optimizer


def _neg_log_posterior(theta, D2, y, extra=0.0):
    """Negative (log marginal likelihood + log prior) of ``amp * Matern52 + noise`` and
    its gradient in log-hyperparameter space, ``theta = log([amp, *ls, noise])``.
    ``extra``: a known noise variance per point, added to the fitted ``noise``.

    Equal to scikit-learn's ``GaussianProcessRegressor.log_marginal_likelihood``
    for ``ConstantKernel * Matern(nu=2.5) + WhiteKernel`` (a test checks it), without
    the per-call overhead of its kernel objects: ``D2`` holds the squared
    differences of the inputs per feature (see :func:`_sq_diffs`), computed once per fit.
    """
    n = len(y)
    amp, noise = math.exp(theta[0]), math.exp(theta[-1])
    inv_ls2 = np.exp(-2 * theta[1:-1])
    S = (inv_ls2 @ D2).reshape(n, n)
    r = np.sqrt(S)
    e = np.exp(-_SQRT5 * r)
    Kf = amp * (1 + _SQRT5 * r + 5.0 / 3.0 * S) * e
    K = Kf.copy()
    K[np.diag_indices(n)] += noise + 1e-9 + extra
    try:
        L = cholesky(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    Linv = solve_triangular(L, np.eye(n), lower=True, check_finite=False)
    Kinv = Linv.T @ Linv
    alpha = Kinv @ y
    lml = -0.5 * float(y @ alpha) - float(np.log(np.diag(L)).sum()) - 0.5 * n * math.log(2 * math.pi)
    W = np.outer(alpha, alpha) - Kinv
    grad = np.empty_like(theta)
    grad[0] = 0.5 * float(np.sum(W * Kf))
    WG = W * ((5.0 / 3.0) * amp * (1 + _SQRT5 * r) * e)
    grad[1:-1] = 0.5 * (D2 @ WG.ravel()) * inv_ls2
    grad[-1] = 0.5 * float(np.trace(W)) * noise
    lp, dlp = _log_prior(theta, len(inv_ls2))
    return -(lml + lp), -(grad + dlp)


class _SubspaceModel:
    """The GP of one subspace, its hyperparameters kept warm between proposals.

    ``use_sklearn`` fits them through scikit-learn's ``GaussianProcessRegressor``.
    """

    def __init__(self, subspace, rng, use_sklearn=False):
        self.use_sklearn = use_sklearn
        self.enc = _Encoding(subspace)
        self.rng = rng
        self.theta = None
        self.n_fitted = -1
        self.n_fits = 0

    def fit_hyperparameters(self, Z, y, maxiter, extra=0.0):
        kernel = _make_kernel(self.enc.n_features)
        starts = [kernel.theta] if self.theta is None else [self.theta]
        if self.theta is not None and (self.n_fits % 10 == 0 or len(y) <= _FRESH_START_UNTIL):
            starts.append(kernel.theta)  # early on and now and then, also a fresh start
        bounds = kernel.bounds
        best = None
        if self.use_sklearn:
            for theta0 in starts:
                gp = GaussianProcessRegressor(
                    kernel=kernel.clone_with_theta(theta0), normalize_y=False,
                    optimizer=_map_optimizer(self.enc.n_features, maxiter), alpha=1e-9 + extra,
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    gp.fit(Z, y)
                value = _neg_log_posterior(gp.kernel_.theta, _sq_diffs(Z), y, extra)[0]
                if best is None or value < best[0]:
                    best = (value, gp.kernel_.theta)
        else:
            D2 = _sq_diffs(Z)
            for theta0 in starts:
                res = minimize(_neg_log_posterior, theta0, args=(D2, y, extra), jac=True,
                               method="L-BFGS-B", bounds=bounds, options={"maxiter": maxiter})
                if best is None or res.fun < best[0]:
                    best = (res.fun, res.x)
        self.theta = best[1]
        self.n_fits += 1

    def posterior(self, Z, y, extra=0.0):
        params = _make_kernel(self.enc.n_features).clone_with_theta(self.theta).get_params()
        return _Posterior(Z, y, params["k1__k1__constant_value"], params["k1__k2__length_scale"],
                          params["k2__noise_level"], extra)


def _sq_diffs(Z):
    """Squared differences per feature, shape (n_features, n * n)."""
    return ((Z.T[:, :, None] - Z.T[:, None, :]) ** 2).reshape(Z.shape[1], -1)


def _warp(y):
    """Standardise, then squash a long lower tail (scores far below the best)."""
    y = (y - np.mean(y)) / max(np.std(y), 1e-12)
    med = np.median(y)
    mad = max(np.median(np.abs(y - med)), 1e-3)
    low = y < med
    # below the median, compress logarithmically beyond one MAD
    y = y.copy()
    t = (med - y[low]) / mad
    y[low] = med - mad * np.where(t > 1, 1 + np.log(np.maximum(t, 1)), t)
    return (y - np.mean(y)) / max(np.std(y), 1e-12)


class GPProposer(SubspaceTurns):
    """Bayesian optimisation with a Gaussian process (see the module docstring).

    Parameters
    ----------
    space : SearchSpace, dict or list of dict
        The search space. Conditional (list-of-dict) spaces get one GP per
        subspace, visited in turn: every subspace gets its share of the
        proposals, however it scores.
    n_initial_points : int, default=10
        Quasi-random (Sobol) points per subspace before the GP takes over. Where
        every dimension of a subspace has a ``guess``, half as many (at least 2):
        the guesses stand in for the rest of the design (see :ref:`guesses`).
    acq_func : {"EI", "PI", "LCB"}, default="EI"
        log expected improvement, log probability of improvement, or the upper
        confidence bound ``mean + kappa * std`` of the maximised score.
    xi : float, default=0.0
        Exploration margin of EI and PI, in units of the spread of the scores
        (log EI needs none; a margin stops it from refining a good point finely).
    kappa : float, default=1.96
        Exploration weight of LCB.
    n_candidates : int, default=1000
        Random points screened per proposal (plus as many near the incumbents).
    n_starts : int, default=5
        Screened points refined by gradient and neighbourhood search.
    max_history : int, default=500
        Observations kept in the GP (the best half and a random rest beyond it).
    fit_size : int, default=100
        Observations the kernel hyperparameters are fitted on (the best third
        and a random rest beyond it); the posterior conditions on all of them.
        Past 60 observations the hyperparameters are refitted (warm-started)
        only every ``(n - 60) // 25`` new observations.
    warp : bool, default=True
        Compress the lower tail of the scores (log beyond one median absolute
        deviation below the median), so a few very bad trials do not flatten
        the model around the good ones.
    kernel_fit : {"direct", "sklearn"}, default="direct"
        How the kernel hyperparameters are fitted: L-BFGS on the log posterior
        with analytic gradients, or through scikit-learn's
        ``GaussianProcessRegressor`` (the same model and priors, slower; for
        comparisons).
    random_state : int, Generator or None
        Seeds the proposals.
    observations : Observations or None, default=None
        The results to read, shared with a proposer that asks this one (a
        budget's model in Hyperband); a new store by default.
    guess_strength : float, default=10.0
        How long the dimensions' guesses hold (piBO's beta, see :ref:`guesses`):
        the initial points follow them (as :class:`RandomProposer` draws), and
        the acquisition is multiplied by the product of their densities raised
        to ``min(1, beta / n)`` after ``n`` trials of the subspace, times the
        agreement of the results with the guesses (their rank correlation,
        floored at 0), added to the log acquisition (to the bound itself for
        LCB). Half the random candidates screened come from the guesses, as
        flattened. No effect without a guess.
    prior_results : list of (dict, float) or None, default=None
        ``(params, score)`` of *another* task (a related data set): their
        rank-normalised scores give the GP a prior mean, whose weight moves from
        1 towards its correlation with this task's scores as results arrive
        (see :mod:`sktune.proposers.transfer`). They are never observations.
    fold_noise : bool, default=False
        Heteroscedastic noise: each result told with a ``std_error`` (a trial's
        CV standard error; a search's scheduler tells it when this is on) adds
        its square, in the model's score units, to that observation's noise,
        on top of the fitted noise shared by all, so a noisy trial pulls the
        model less. Off in :class:`~sktune.BayesSearchCV`, as measured (see
        :ref:`racing`): trials share their folds, so most fold variance is
        common to all of them and cancels in comparisons.

    pending_strategy : {"fantasy", "liar"}, default="fantasy"
        How trials asked but not yet told (parallel workers, ``n_points > 1``)
        enter a proposal, so that the workers do not all get the same point.
        "fantasy": the acquisition is averaged over 16 joint draws of their
        scores from the posterior, each conditioned on as an observation
        (Snoek et al. [1]_); "liar": they count as the worst score seen
        ("constant liar" [3]_), which pushes the next proposal away from them.
        The fantasies scored higher on both benchmarks (see :ref:`bayes-measured`).

    Examples
    --------
    >>> from sktune import Real, Integer
    >>> from sktune.proposers import GPProposer
    >>> proposer = GPProposer({"x": Real(-2.0, 2.0), "k": Integer(1, 5)},
    ...                       n_initial_points=4, random_state=0)
    >>> for _ in range(8):
    ...     [params] = proposer.ask(1)
    ...     proposer.tell(params, -(params["x"] - 1) ** 2 - (params["k"] - 3) ** 2)
    >>> best, score = max(proposer.observed, key=lambda r: r[1])
    >>> score > -0.5
    True

    References
    ----------
    .. [1] J. Snoek, H. Larochelle, R. P. Adams. "Practical Bayesian Optimization of
       Machine Learning Algorithms". NeurIPS 2012.
    .. [2] S. Ament et al. "Unexpected Improvements to Expected Improvement for
       Bayesian Optimization". NeurIPS 2023 (log EI).
    .. [3] D. Ginsbourger, R. Le Riche, L. Carraro. "Kriging is well-suited to
       parallelize optimization". 2010 (constant liar).
    .. [4] C. Hvarfner, E. O. Hellsten, L. Nardi. "Vanilla Bayesian Optimization
       Performs Great in High Dimensions". ICML 2024 (length-scale priors).
    .. [5] C. Hvarfner, D. Stoll, A. Souza, M. Lindauer, F. Hutter, L. Nardi.
       "piBO: Augmenting Acquisition Functions with User Beliefs for Bayesian
       Optimization". ICLR 2022 (the guesses' decaying weight).
    """

    def __init__(
        self, space, *, n_initial_points=10, acq_func="EI", xi=0.0, kappa=1.96,
        n_candidates=1000, n_starts=5, max_history=500, fit_size=100, warp=True,
        kernel_fit="direct", random_state=None, observations=None, prior_results=None,
        guess_strength=10.0, fold_noise=False, pending_strategy="fantasy",
    ):
        super().__init__(space, random_state=random_state, observations=observations,
                         guess_strength=guess_strength)
        self.fold_noise = fold_noise
        if pending_strategy not in ("fantasy", "liar"):
            raise ValueError("pending_strategy must be 'fantasy' or 'liar'. "
                             f"Got {pending_strategy!r} instead.")
        self.pending_strategy = pending_strategy
        if acq_func not in ("EI", "PI", "LCB"):
            raise ValueError(f"acq_func must be 'EI', 'PI' or 'LCB'. Got {acq_func!r} instead.")
        self.n_initial_points = n_initial_points
        self.acq_func = acq_func
        self.xi, self.kappa = xi, kappa
        self.n_candidates = n_candidates
        self.n_starts = n_starts
        self.max_history = max_history
        self.fit_size = fit_size
        self.warp = warp
        if kernel_fit not in ("direct", "sklearn"):
            raise ValueError(f"kernel_fit must be 'direct' or 'sklearn'. Got {kernel_fit!r} instead.")
        self._models = [_SubspaceModel(s, self.rng, use_sklearn=kernel_fit == "sklearn")
                        for s in self.space.subspaces]
        self._guess_weight = None
        self.prior_results = [] if prior_results is None else list(prior_results)
        self._priors: dict[int, PriorMean | None] = {}

    def _prior_mean(self, i):
        """The prior mean of subspace ``i`` from ``prior_results`` (None: too few)."""
        if i not in self._priors:
            sub = self.space.subspaces[i]
            rows = [(p, s) for p, s in self.prior_results if np.isfinite(s) and sub.contains(p)]
            self._priors[i] = None if len(rows) < 3 else PriorMean(
                _SubspaceModel(sub, self.rng), self._models[i].enc.features([p for p, _ in rows]),
                [s for _, s in rows])
        return self._priors[i]

    def tell(self, params, score, std_error=None):
        """Record one result; ``std_error``: its standard error (used with ``fold_noise``)."""
        self.observations.add(params, score, std_error=std_error)

    def _noise_of(self, history, scale):
        """Each observation's own noise variance in units of ``scale`` (0 without one)."""
        if not self.fold_noise:
            return np.zeros(len(history))
        errors = self.observations.std_errors
        se = np.array([errors.get(params_key(p), 0.0) for p, _ in history])
        return (np.nan_to_num(se) / max(scale, 1e-12)) ** 2

    def _design_size(self, sub):
        """Random points before the GP: half of ``n_initial_points`` (at least 2) when
        every dimension of ``sub`` has a guess, which stands in for the rest."""
        if sub.dimensions and all(d.guess is not None for d in sub.dimensions):
            return max(2, math.ceil(self.n_initial_points / 2))
        return self.n_initial_points

    # -- one proposal -----------------------------------------------------------------------------
    def _ask_one(self, i, pending, taken):
        sub = self.space.subspaces[i]
        history = [(p, s) for p, s in self.observed if np.isfinite(s) and sub.contains(p)]
        n_tried = sum(1 for p, _ in self.observed if sub.contains(p))
        n_tried += sum(1 for p in pending if sub.contains(p))
        n_design = self._design_size(sub)
        if len(history) < max(2, n_design) or n_tried < n_design:
            return self._random._new_point(i, taken)
        model = self._models[i]
        enc = model.enc
        history = self._cap(history, self.max_history, 2)
        Z = enc.features([p for p, _ in history])
        y = np.array([s for _, s in history])
        extra = self._noise_of(history, y.std())
        self._guess_weight = None
        if enc.guessed:  # piBO: the acquisition times the guesses' density ** gamma, in log
            gamma = decay(self.guess_strength, n_tried) * agreement(enc.log_guess(Z), y)
            self._guess_weight = (enc, gamma)
        y = _warp(y) if self.warp else (y - y.mean()) / max(y.std(), 1e-12)
        prior = self._prior_mean(i) if self.prior_results else None
        total = y  # with a prior, the GP models what the prior mean leaves
        if prior is not None:
            weight = prior_weight(y, prior.mean(Z))
            y = y - weight * prior.mean(Z)
        n_obs = len(history)
        # refit the kernel hyperparameters (warm-started) after every new observation
        # while they are few, then every few: with many points one more moves them little
        if model.theta is None or n_obs - model.n_fitted >= max(1, (n_obs - 60) // 25):
            idx = self._cap_index(y, self.fit_size, 3)
            maxiter = 200 if model.theta is None else (50 if n_obs <= 60 else 20)
            model.fit_hyperparameters(Z[idx], y[idx], maxiter, extra[idx])
            model.n_fitted = n_obs
        best = float(total.max())
        # failed trials count as the worst score seen, for the acquisition only (the
        # hyperparameters never see them), so that a region that fails is not searched
        # over and over; pending ones too with pending_strategy="liar", else the
        # acquisition is averaged over draws of their scores
        failed = [p for p, s in self.observed if not np.isfinite(s) and sub.contains(p)]
        failed = failed[-self.max_history // 4:]
        own_pending = [p for p in pending if sub.contains(p)]
        liar = self.pending_strategy == "liar"
        liars = own_pending + failed if liar else failed
        Zc, yc, ec = Z, y, extra  # what the acquisition's posterior conditions on
        if liars:
            Zp = enc.features(liars)
            lie = np.full(len(Zp), total.min())
            if prior is not None:
                lie = lie - weight * prior.mean(Zp)
            Zc, yc, ec = np.vstack([Z, Zp]), np.concatenate([y, lie]), np.pad(extra, (0, len(Zp)))
        post = model.posterior(Zc, yc, ec)
        if own_pending and not liar:
            Zp = enc.features(own_pending)
            fantasies = self._fantasies(post, Zp)  # of the residuals, with a prior mean
            shift = 0.0 if prior is None else weight * prior.mean(Zp)[:, None]
            best = np.maximum(best, (fantasies + shift).max(axis=0))
            targets = np.vstack([np.repeat(yc[:, None], len(best), axis=1), fantasies])
            post = model.posterior(np.vstack([Zc, Zp]), targets, np.pad(ec, (0, len(Zp))))
        if prior is not None:
            post = ShiftedPosterior(post, prior, weight)
        return self._optimise_acquisition(model, post, Z, total, best, taken)

    def _fantasies(self, post, Zp):
        """Joint draws of the pending trials' scores, one column per fantasy."""
        mean, cov = post.joint(Zp)
        cov[np.diag_indices_from(cov)] += post.noise + 1e-9
        w, V = np.linalg.eigh(cov)
        draws = self.rng.standard_normal((len(Zp), _N_FANTASIES))
        return mean[:, None] + (V * np.sqrt(np.maximum(w, 0.0))) @ draws

    # -- acquisition optimisation -----------------------------------------------------------------
    def _acq(self, post, Z, best, grad=False):
        weight = self._guess_weight  # (encoding, gamma): piBO's weight, or None
        mu, sigma, *d = post.predict(Z, grad=grad)
        fantasies = mu.ndim == 2  # one column per fantasy: their acquisitions are pooled
        out = acquisition(self.acq_func, mu, sigma[:, None] if fantasies else sigma, best,
                          xi=self.xi, kappa=self.kappa, grad=grad)
        if not grad:
            value = self._pool(out)[0] if fantasies else out
            return value if weight is None else value + weight[1] * weight[0].log_guess(Z)
        (value, a_mu, a_sigma), (d_mu, d_sigma) = out, d
        if fantasies:
            value, w = self._pool(value)
            g = (np.einsum("mk,mkd->md", w * a_mu, d_mu)
                 + (w * a_sigma).sum(axis=1)[:, None] * d_sigma)
        else:
            g = a_mu[:, None] * d_mu + a_sigma[:, None] * d_sigma
        if weight is not None:
            lw, dlw = weight[0].log_guess(Z, grad=True)
            value, g = value + weight[1] * lw, g + weight[1] * dlw
        return value, g

    def _pool(self, values):
        """The mean over fantasies (columns) of the acquisition, and each one's weight in
        its gradient: of exp(values) for the log acquisitions, of the values for LCB."""
        k = values.shape[1]
        if self.acq_func == "LCB":
            return values.mean(axis=1), np.full_like(values, 1.0 / k)
        pooled = logsumexp(values, axis=1) - math.log(k)
        return pooled, np.exp(values - pooled[:, None]) / k

    def _optimise_acquisition(self, model, post, Z_obs, y_obs, best, taken):
        enc = model.enc
        if enc.size <= self.n_candidates:  # small finite space: screen all of it
            cand = enc.features(enumerate_subspace(enc.space))
            values = self._acq(post, cand, best)
            return self._first_new(enc, cand, values, taken)
        rng = self.rng
        U = rng.random((self.n_candidates, len(enc.columns)))
        if self._guess_weight is not None:  # half the random candidates from the guesses
            half = self.n_candidates // 2
            U[:half] = enc.space.through_guess(U[:half], self._guess_weight[1])
        cand = enc.from_unit(U)
        # points near the incumbents: a few coordinates moved a little, categories sometimes
        top = Z_obs[np.argsort(-y_obs)[:5]]
        near = np.repeat(top, max(self.n_candidates // 10, 1), axis=0)
        scale = rng.choice([0.002, 0.01, 0.05, 0.2], size=(len(near), 1))
        mask = rng.random(near.shape) < max(0.3, 1.5 / enc.n_features)
        near = near + mask * rng.normal(size=near.shape) * scale
        for kind, j, dim, _ in enc.columns:
            if kind == "cat":
                flip = rng.random(len(near)) < 0.1
                k = len(dim.choices)
                near[flip, j : j + k] = rng.random((int(flip.sum()), k))
        cand = np.vstack([cand, enc.snap(near)])
        values = self._acq(post, cand, best)
        order = np.argsort(-values)[: self.n_starts]
        starts = cand[order]
        refined = self._refine(enc, post, starts, best)
        cand = np.vstack([refined, cand])
        values = np.concatenate([self._acq(post, refined, best), values])
        return self._first_new(enc, cand, values, taken, Z_obs)

    def _refine(self, enc, post, starts, best):
        """Batched L-BFGS-B over the continuous columns, then discrete neighbourhoods."""
        X = starts.copy()
        cols = enc.cont
        if len(cols):
            m = len(X)

            def f(x):
                Zc = X.copy()
                Zc[:, cols] = x.reshape(m, len(cols))
                value, grad = self._acq(post, Zc, best, grad=True)
                return -float(value.sum()), -grad[:, cols].ravel()

            res = minimize(f, X[:, cols].ravel(), method="L-BFGS-B", jac=True,
                           bounds=[(0.0, 1.0)] * (m * len(cols)), options={"maxiter": 60})
            X[:, cols] = res.x.reshape(m, len(cols))
            X = enc.snap(X)
        if enc.has_discrete:
            values = self._acq(post, X, best)
            for row in range(len(X)):
                for _ in range(3):
                    nb = enc.neighbours(X[row])
                    if not len(nb):
                        break
                    v = self._acq(post, nb, best)
                    j = int(np.argmax(v))
                    if v[j] <= values[row]:
                        break
                    X[row], values[row] = nb[j], v[j]
        return X

    def _first_new(self, enc, cand, values, taken, Z_obs=None):
        order = np.argsort(-values)
        for j in order[:200]:
            if Z_obs is not None and len(Z_obs) and not enc.has_discrete:
                if np.min(np.abs(Z_obs - cand[j]).max(axis=1)) < 1e-9:
                    continue
            params = enc.to_params(cand[j])
            if self._is_new(params, taken):
                return params
        return None

    def _cap(self, history, cap, best_fraction):
        if len(history) <= cap:
            return history
        idx = self._cap_index(np.array([s for _, s in history]), cap, best_fraction)
        return [history[j] for j in idx]

    def _cap_index(self, y, cap, best_fraction):
        """Indices of at most ``cap`` rows: the best ``cap // best_fraction``, random others."""
        if len(y) <= cap:
            return np.arange(len(y))
        ranked = np.argsort(-y)
        keep = ranked[: cap // best_fraction]
        rest = ranked[cap // best_fraction :]
        extra = self.rng.choice(rest, cap - len(keep), replace=False)
        return np.sort(np.concatenate([keep, extra]))
