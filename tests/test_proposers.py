"""Proposers: the contract every proposer keeps, and the GP's quality and bookkeeping."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.gaussian_process import GaussianProcessRegressor

from sktune import Categorical, Integer, Real
from sktune.proposers import GPProposer, RandomProposer, TPEProposer
from sktune.proposers.base import SpaceExhaustedWarning, params_key
from sktune.proposers.gp import (
    _log_prior,
    _make_kernel,
    _neg_log_posterior,
    _Posterior,
    _sq_diffs,
    acquisition,
)
from sktune.space import SearchSpace

PROPOSERS = [RandomProposer, GPProposer, TPEProposer]

MIXED = {
    "x": Real(-2.0, 2.0),
    "lr": Real(1e-4, 1.0, log=True),
    "units": Integer(1, 256, log=True),
    "layers": Integer(1, 5),
    "kind": Categorical(["a", "b", "c"]),
}


def make(cls, space, seed=0, **kwargs):
    if cls in (GPProposer, TPEProposer):
        kwargs.setdefault("n_initial_points", 4)
    if cls is GPProposer:
        kwargs.setdefault("n_candidates", 200)
    return cls(space, random_state=seed, **kwargs)


def mixed_score(p):
    return -((p["x"] - 0.5) ** 2 + (np.log10(p["lr"]) + 2) ** 2 + (p["layers"] - 2) ** 2 / 4
             + (np.log(p["units"]) - 3) ** 2 / 4 + {"a": 1.0, "b": 0.0, "c": 0.5}[p["kind"]])


def drive(proposer, score, n, batch=1):
    for _ in range(n // batch):
        for params in proposer.ask(batch):
            proposer.tell(params, score(params))


def assert_valid(space, params):
    space = SearchSpace(space)
    i = space.subspace_of(params)  # raises when outside every subspace
    for name, dim in zip(space.subspaces[i].names, space.subspaces[i].dimensions):
        value = params[name]
        if isinstance(dim, Integer):
            assert isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(dim, Real):
            assert isinstance(value, float)


# -- the contract ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", PROPOSERS)
def test_contract_valid_new_and_pending_aware(cls):
    proposer = make(cls, MIXED)
    seen = set()
    pending = []
    for step in range(12):
        batch = proposer.ask(2, pending=pending)
        assert len(batch) == 2
        for params in batch:
            assert_valid(MIXED, params)
            key = params_key(params)
            assert key not in seen, "proposed twice"
            seen.add(key)
        # keep one of the two in flight for a round: it must not come back
        if pending:
            proposer.tell(pending[0], mixed_score(pending[0]))
        proposer.tell(batch[0], mixed_score(batch[0]) if step % 5 else np.nan)
        pending = [batch[1]]
    assert len(proposer.observed) == 23


@pytest.mark.parametrize("cls", PROPOSERS)
def test_contract_deterministic_with_seed(cls):
    runs = []
    for _ in range(2):
        proposer = make(cls, MIXED, seed=3)
        drive(proposer, mixed_score, 8)
        runs.append([params_key(p) for p, _ in proposer.observed])
    assert runs[0] == runs[1]
    other = make(cls, MIXED, seed=4)
    drive(other, mixed_score, 8)
    assert [params_key(p) for p, _ in other.observed] != runs[0]


@pytest.mark.parametrize("cls", PROPOSERS)
def test_contract_exhausts_small_discrete_space_gracefully(cls):
    space = {"a": Integer(1, 3), "b": Categorical(["x", "y"])}  # 6 points
    proposer = make(cls, space, n_initial_points=2) if cls is not RandomProposer else make(
        cls, space)
    keys = []
    for _ in range(6):
        [params] = proposer.ask(1)
        keys.append(params_key(params))
        proposer.tell(params, -params["a"] + (params["b"] == "y"))
    assert len(set(keys)) == 6  # every point once before any repeat
    with pytest.warns(SpaceExhaustedWarning):
        extra = proposer.ask(2)
    assert len(extra) == 2
    for params in extra:
        assert_valid(space, params)


@pytest.mark.parametrize("cls", PROPOSERS)
def test_contract_initial_random_points_skip_told_ones(cls):
    # the model-based proposers start with random points: those must skip what was told
    space = {"a": Integer(1, 3), "b": Categorical(["x", "y"])}  # 6 points
    for seed in range(10):
        proposer = make(cls, space, seed=seed, n_initial_points=6) if cls is not (
            RandomProposer) else make(cls, space, seed=seed)
        keys = []
        for _ in range(6):
            [params] = proposer.ask(1)
            keys.append(params_key(params))
            proposer.tell(params, 0.0)
        assert len(set(keys)) == 6, f"seed {seed} repeated a point"


@pytest.mark.parametrize("cls", PROPOSERS)
def test_contract_conditional_space(cls):
    space = [
        {"kernel": ["linear"], "C": Real(1e-3, 1e3, log=True)},
        {"kernel": ["rbf"], "C": Real(1e-3, 1e3, log=True), "gamma": Real(1e-4, 1.0, log=True)},
    ]
    proposer = make(cls, space)

    def score(p):
        bonus = 0.5 if p["kernel"] == "rbf" else 0.0
        return bonus - (np.log10(p["C"]) - 1) ** 2 - (np.log10(p.get("gamma", 1e-2)) + 2) ** 2

    drive(proposer, score, 16)
    kinds = [p["kernel"] for p, _ in proposer.observed]
    assert set(kinds) == {"linear", "rbf"}
    for params, _ in proposer.observed:
        assert_valid(space, params)
        assert ("gamma" in params) == (params["kernel"] == "rbf")


# -- the GP ---------------------------------------------------------------------------------------
def _branin_score(p):
    x1, x2 = p["x1"], p["x2"]
    b, c = 5.1 / (4 * np.pi**2), 5 / np.pi
    f = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x1) + 10
    return -f


BRANIN = {"x1": Real(-5.0, 10.0), "x2": Real(0.0, 15.0)}


def test_gp_beats_random_on_branin():
    gp_regret, random_regret = [], []
    for seed in range(3):
        for cls, out in ((GPProposer, gp_regret), (RandomProposer, random_regret)):
            proposer = make(cls, BRANIN, seed=seed, **({"n_initial_points": 6}
                                                       if cls is GPProposer else {}))
            drive(proposer, _branin_score, 25)
            out.append(-max(s for _, s in proposer.observed) - 0.397887)
    # typically 1e-3 vs 1: a clear margin on every seed and on the median
    assert np.median(gp_regret) < 0.1 * np.median(random_regret)
    assert max(gp_regret) < 0.2


def _drive_with_a_failing_region(proposer, n):
    """Drive on a space where every trial with x > 0.6 fails; returns the failed keys."""
    failed = set()
    for _ in range(n):
        [params] = proposer.ask(1)
        key = params_key(params)
        assert key not in failed
        if params["x"] > 0.6:  # a region where every trial fails
            proposer.tell(params, np.nan)
            failed.add(key)
        else:
            proposer.tell(params, -(params["x"] - 0.3) ** 2 - 0.1 * params["k"])
    return failed


FAILING = {"x": Real(0.0, 1.0), "k": Integer(0, 3)}


def test_gp_ignores_nan_scores_and_does_not_repeat_them():
    proposer = make(GPProposer, FAILING, n_initial_points=3)
    assert _drive_with_a_failing_region(proposer, 14)
    # the model saw finite scores only, and still learned where the optimum is
    best, score = max((r for r in proposer.observed if np.isfinite(r[1])), key=lambda r: r[1])
    assert abs(best["x"] - 0.3) < 0.1 and best["k"] == 0


@pytest.mark.parametrize("strategy", ["fantasy", "liar"])
def test_gp_pending_points_are_not_reproposed_and_spread_out(strategy):
    proposer = make(GPProposer, BRANIN, n_initial_points=5, pending_strategy=strategy)
    drive(proposer, _branin_score, 8)
    batch = proposer.ask(4)  # each one is pending for the next
    keys = {params_key(p) for p in batch}
    assert len(keys) == 4
    more = proposer.ask(3, pending=batch)
    assert not keys & {params_key(p) for p in more}
    points = np.array([[p["x1"], p["x2"]] for p in batch + more])
    dists = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1))
    assert dists[np.triu_indices(len(points), 1)].min() > 1e-3


def test_gp_mixed_space_proposals_valid_and_improving():
    proposer = make(GPProposer, MIXED, n_initial_points=6)
    drive(proposer, mixed_score, 24)
    scores = [s for _, s in proposer.observed]
    for params, _ in proposer.observed:
        assert_valid(MIXED, params)
    assert max(scores[6:]) > max(scores[:6])


def test_gp_small_discrete_space_no_duplicates():
    space = {"depth": Integer(1, 4), "crit": Categorical(["gini", "entropy", "log_loss"])}
    proposer = make(GPProposer, space, n_initial_points=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpaceExhaustedWarning)
        drive(proposer, lambda p: -abs(p["depth"] - 3) - (p["crit"] == "gini"), 12)
    assert len({params_key(p) for p, _ in proposer.observed}) == 12


def test_lean_log_posterior_matches_sklearn():
    rng = np.random.default_rng(0)
    X = rng.random((25, 3))
    y = np.sin(3 * X.sum(1)) + 0.05 * rng.normal(size=25)
    kernel = _make_kernel(3)
    theta = kernel.theta + rng.normal(scale=0.3, size=len(kernel.theta))
    gp = GaussianProcessRegressor(kernel, optimizer=None, alpha=1e-9).fit(X, y)
    lml, grad = gp.log_marginal_likelihood(theta, eval_gradient=True)
    lp, dlp = _log_prior(theta, 3)
    value, our_grad = _neg_log_posterior(theta, _sq_diffs(X), y)
    assert value == pytest.approx(-(lml + lp), rel=1e-8)
    np.testing.assert_allclose(our_grad, -(grad + dlp), rtol=1e-6, atol=1e-8)


def test_per_point_noise_is_sklearns_alpha_array():
    # fold_noise: each observation's own noise variance is scikit-learn's per-sample alpha
    rng = np.random.default_rng(2)
    X = rng.random((15, 2))
    y = np.sin(3 * X.sum(1))
    extra = rng.uniform(0.0, 0.2, size=15)
    kernel = _make_kernel(2)
    theta = kernel.theta + rng.normal(scale=0.3, size=len(kernel.theta))
    gp = GaussianProcessRegressor(kernel, optimizer=None, alpha=1e-9 + extra).fit(X, y)
    lml, grad = gp.log_marginal_likelihood(theta, eval_gradient=True)
    lp, dlp = _log_prior(theta, 2)
    value, our_grad = _neg_log_posterior(theta, _sq_diffs(X), y, extra)
    assert value == pytest.approx(-(lml + lp), rel=1e-8)
    np.testing.assert_allclose(our_grad, -(grad + dlp), rtol=1e-6, atol=1e-8)
    fitted = GaussianProcessRegressor(kernel.clone_with_theta(np.log([1.5, 0.3, 0.6, 1e-4])),
                                      optimizer=None, alpha=1e-9 + extra).fit(X, y)
    post = _Posterior(X, y, 1.5, [0.3, 0.6], 1e-4, extra)
    Z = rng.random((5, 2))
    np.testing.assert_allclose(post.predict(Z)[0], fitted.predict(Z), rtol=1e-6, atol=1e-8)


def test_a_noisy_observation_pulls_the_model_less_than_a_precise_one():
    space = {"x": Real(0.0, 1.0)}
    xs = np.linspace(0.0, 1.0, 9)
    means = {}
    for se in (0.0, 1.0):
        gp = GPProposer(space, n_initial_points=2, random_state=0, fold_noise=True)
        for x in xs:
            outlier = x == 0.5  # scored 1 above the smooth curve, with standard error se
            gp.tell({"x": x}, np.sin(3 * x) + outlier, std_error=se if outlier else 0.01)
        gp.ask(1)
        model = gp._models[0]
        Z = model.enc.features([{"x": x} for x in xs])
        y = np.array([s for _, s in gp.observed])
        scale = y.std()
        post = model.posterior(Z, (y - y.mean()) / scale, gp._noise_of(gp.observed, scale))
        means[se] = post.predict(Z[4:5])[0][0] * scale + y.mean()
    assert abs(means[1.0] - np.sin(1.5)) < abs(means[0.0] - np.sin(1.5)) - 0.3


def test_the_scheduler_tells_a_fold_noise_gp_each_trials_standard_error():
    from sktune.loop import assemble
    from sktune.schedulers.fifo import FIFOScheduler

    class Fold:  # one fold's job result, as the executor returns it
        def __init__(self, k, score):
            self.fold, self.test_scores, self.train_scores = k, {"score": score}, {}
            self.fit_time = self.score_time = 0.0
            self.error = self.traceback = self.device = self.model = self.model_size = None
            self.trained = {}

    told = {}
    for fold_noise in (True, False):
        gp = GPProposer({"x": Real(0.0, 1.0)}, random_state=0, fold_noise=fold_noise)
        scheduler = FIFOScheduler(gp, 1)
        [work] = scheduler.next_work(1)
        scores = [0.6, 0.8, 0.7]
        scheduler.on_result(assemble(work, [Fold(k, v) for k, v in enumerate(scores)],
                                     "score", np.nan))
        told[fold_noise] = gp.observations.std_errors
    [se] = told[True].values()
    assert se == pytest.approx(np.std([0.6, 0.8, 0.7]) / np.sqrt(3))
    assert told[False] == {}


def test_posterior_matches_sklearn_and_gradients_are_right():
    rng = np.random.default_rng(1)
    X = rng.random((20, 2))
    y = np.cos(4 * X[:, 0]) + X[:, 1]
    kernel = _make_kernel(2).clone_with_theta(np.log([1.5, 0.3, 0.6, 1e-4]))
    gp = GaussianProcessRegressor(kernel, optimizer=None, alpha=1e-9).fit(X, y)
    post = _Posterior(X, y, 1.5, [0.3, 0.6], 1e-4)
    Z = rng.random((5, 2))
    mu, sigma, d_mu, d_sigma = post.predict(Z, grad=True)
    np.testing.assert_allclose(mu, gp.predict(Z), rtol=1e-6, atol=1e-8)
    for kind in ("EI", "PI", "LCB"):
        value, a_mu, a_sigma = acquisition(kind, mu, sigma, 1.2, grad=True)
        grad = a_mu[:, None] * d_mu + a_sigma[:, None] * d_sigma
        numeric = np.empty_like(Z)
        for j in range(2):
            step = np.zeros(2)
            step[j] = 1e-6
            up = acquisition(kind, *post.predict(Z + step), 1.2)
            down = acquisition(kind, *post.predict(Z - step), 1.2)
            numeric[:, j] = (up - down) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def _fantasy_posterior(seed=2):
    """A fitted GP on 12 points of a 2-D function, conditioned on 16 fantasies of 3
    pending points, as a proposal builds it; and the per-fantasy incumbents."""
    proposer = GPProposer({"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}, random_state=seed)
    rng = np.random.default_rng(seed)
    X = rng.random((12, 2))
    y = np.cos(4 * X[:, 0]) + X[:, 1]
    model = proposer._models[0]
    model.fit_hyperparameters(X, y, 100)
    pending = rng.random((3, 2))
    fantasies = proposer._fantasies(model.posterior(X, y), pending)
    targets = np.vstack([np.repeat(y[:, None], fantasies.shape[1], axis=1), fantasies])
    post = model.posterior(np.vstack([X, pending]), targets)
    return proposer, model, post, targets, np.maximum(y.max(), fantasies.max(axis=0))


@pytest.mark.parametrize("kind", ["EI", "PI", "LCB"])
def test_fantasy_acquisition_is_the_mean_over_fantasies_and_its_gradient_is_right(kind):
    proposer, model, post, targets, best = _fantasy_posterior()
    proposer.acq_func = kind
    Z = np.random.default_rng(3).random((6, 2))
    value, grad = proposer._acq(post, Z, best, grad=True)
    # the mean over fantasies (of EI and PI themselves: they are logs), one posterior each
    per_fantasy = np.column_stack([
        acquisition(kind, *model.posterior(post.X, targets[:, k]).predict(Z), best[k], xi=0.0)
        for k in range(targets.shape[1])])
    n = per_fantasy.shape[1]
    pooled = (per_fantasy.mean(axis=1) if kind == "LCB"
              else logsumexp(per_fantasy, axis=1) - np.log(n))
    np.testing.assert_allclose(value, pooled, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(proposer._acq(post, Z, best), value)
    numeric = np.empty_like(Z)
    for j in range(2):
        step = np.zeros(2)
        step[j] = 1e-6
        numeric[:, j] = (proposer._acq(post, Z + step, best)
                         - proposer._acq(post, Z - step, best)) / 2e-6
    # (rtol 1e-3: central differences of log EI far in its tail, at -1e4, err by 1e-4)
    np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=1e-5)


def test_fantasies_are_draws_of_the_pending_scores():
    proposer, model, post, targets, _ = _fantasy_posterior()
    fantasies = targets[12:]
    mean, cov = model.posterior(post.X[:12], targets[:12, 0]).joint(post.X[12:])
    assert fantasies.shape == (3, 16)
    # 16 draws: their mean is within 4 standard errors of the posterior mean
    se = np.sqrt((np.diag(cov) + post.noise) / 16)
    assert np.all(np.abs(fantasies.mean(axis=1) - mean) < 4 * se)
    assert np.all(fantasies.std(axis=1) > 0)


def test_gp_with_a_prior_mean_and_pending_trials_proposes_a_spread_batch():
    prior = [({"x1": x1, "x2": x2}, _branin_score({"x1": x1, "x2": x2}))
             for x1, x2 in np.random.default_rng(5).uniform([-5, 0], [10, 15], (20, 2))]
    proposer = make(GPProposer, BRANIN, n_initial_points=5, prior_results=prior)
    drive(proposer, _branin_score, 8)
    batch = proposer.ask(4)
    assert len({params_key(p) for p in batch}) == 4
    for params in batch:
        assert_valid(BRANIN, params)


def test_gp_rejects_unknown_pending_strategy():
    with pytest.raises(ValueError, match="pending_strategy must be 'fantasy' or 'liar'"):
        GPProposer(BRANIN, pending_strategy="believer")


def test_log_ei_is_finite_far_in_the_tail():
    mu = np.array([-40.0, -5.0, 0.0, 1.0])
    value = acquisition("EI", mu, np.ones(4), 0.0)
    assert np.all(np.isfinite(value)) and np.all(np.diff(value) > 0)


def test_gp_rejects_unknown_acquisition():
    with pytest.raises(ValueError, match="acq_func"):
        GPProposer(BRANIN, acq_func="UCB")


@pytest.mark.parametrize("acq_func, xi", [("PI", 0.1), ("LCB", 0.0)])
def test_gp_other_acquisitions_work(acq_func, xi):
    regrets = []
    for seed in range(2):
        proposer = make(GPProposer, BRANIN, acq_func=acq_func, xi=xi, seed=seed)
        drive(proposer, _branin_score, 20)
        regrets.append(-max(s for _, s in proposer.observed) - 0.397887)
    assert max(regrets) < 2.0


# -- TPE ------------------------------------------------------------------------------------------
def test_tpe_beats_random_on_a_mixed_space():
    tpe_best, random_best = [], []
    for seed in range(5):
        for cls, out in ((TPEProposer, tpe_best), (RandomProposer, random_best)):
            proposer = make(cls, MIXED, seed=seed)
            drive(proposer, mixed_score, 40)
            out.append(max(s for _, s in proposer.observed))
    # scores are minus a regret: TPE's median regret is less than half random's
    assert np.median(tpe_best) > 0.5 * np.median(random_best)
    assert all(t > r for t, r in zip(tpe_best, random_best))


def test_tpe_densities_are_normalised():
    from sktune.proposers.tpe import _Parzen

    rng = np.random.default_rng(0)
    U = rng.random((5, 1))
    C = rng.integers(3, size=(5, 1))
    density = _Parzen(U, C, np.array([3.0]), prior_weight=1.0)
    grid = (np.arange(4000) + 0.5) / 4000
    total = 0.0
    for c in range(3):
        log_p = density.log_pdf(grid[:, None], np.full((len(grid), 1), c))
        total += np.exp(log_p).mean()  # integral over [0, 1] of the continuous part
    assert total == pytest.approx(1.0, abs=1e-3)
    # draws follow the density: most of them near the points that make it up
    Ud, Cd = density.sample(2000, rng)
    assert ((Ud >= 0) & (Ud <= 1)).all() and set(np.unique(Cd)) <= {0, 1, 2}
    near = np.abs(Ud - U.T).min(axis=1) < 3 * density.sigma
    assert near.mean() > 0.75


def test_tpe_avoids_failed_and_pending_points():
    proposer = make(TPEProposer, FAILING, n_initial_points=3)
    assert _drive_with_a_failing_region(proposer, 30)
    late = [p["x"] for p, _ in proposer.observed[-10:]]
    assert np.mean(np.array(late) > 0.6) < 0.5  # the failing region is mostly left alone
    batch = proposer.ask(3)
    more = proposer.ask(3, pending=batch)
    assert len({params_key(p) for p in batch + more}) == 6


def test_tpe_rejects_bad_settings():
    with pytest.raises(ValueError, match="gamma must be in"):
        TPEProposer(MIXED, gamma=1.5)
    with pytest.raises(ValueError, match="prior_weight must be > 0"):
        TPEProposer(MIXED, prior_weight=0)
    with pytest.raises(ValueError, match="n_ei_candidates must be >= 1"):
        TPEProposer(MIXED, n_ei_candidates=0)
