"""scikit-optimize's documented BayesSearchCV code, run with sktune's class.

The examples are those of scikit-optimize 0.10's documentation (the
"Scikit-learn hyperparameter search wrapper" page and ``BayesSearchCV``'s
docstring), with fewer trials and smaller data so they stay quick. Each test runs
the example with sktune's ``BayesSearchCV``; where scikit-optimize is installed (the
``bench`` extra) it runs the same code with scikit-optimize's too and compares: the
same number of trials, per sub-space, and the same attributes.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC, LinearSVC

import sktune
from sktune.callbacks import ScoreThreshold, TimeBudget

try:
    import skopt
except ImportError:  # the default test environment: the sktune side still runs
    skopt = None

needs_skopt = pytest.mark.skipif(skopt is None, reason="scikit-optimize is not installed")

X_iris, y_iris = load_iris(return_X_y=True)
_X_digits, _y_digits = load_digits(return_X_y=True)
X_digits, y_digits = _X_digits[:500], _y_digits[:500]


def BayesSearchCV(impl):
    return sktune.BayesSearchCV if impl == "sktune" else skopt.BayesSearchCV


def both(example, *args):
    """The example run with sktune, then (where installed) with scikit-optimize."""
    ours = example("sktune", *args)
    theirs = None if skopt is None else example("skopt", *args)
    return ours, theirs


def dims(impl):
    """``Real``, ``Integer``, ``Categorical``: scikit-optimize's own where it is installed
    (sktune reads them), else sktune's, which take the same ``prior=`` spelling."""
    if skopt is not None:
        from skopt.space import Categorical, Integer, Real
    else:
        from sktune import Categorical, Integer, Real
    return Real, Integer, Categorical


SKOPT_ATTRIBUTES = ["cv_results_", "best_estimator_", "best_score_", "best_params_",
                    "best_index_", "scorer_", "n_splits_", "refit_time_", "multimetric_",
                    "optimizer_results_"]


def check_equivalent_attributes(opt, n_trials, per_subspace):
    """What scikit-optimize's documentation promises of a fitted search."""
    for name in SKOPT_ATTRIBUTES:
        assert hasattr(opt, name), name
    res = opt.cv_results_
    assert len(res["params"]) == n_trials
    assert [len(r.x_iters) for r in opt.optimizer_results_] == per_subspace
    assert opt.best_score_ == pytest.approx(np.nanmax(res["mean_test_score"]))
    for r in opt.optimizer_results_:
        assert len(r.func_vals) == len(r.x_iters)
        assert r.fun == pytest.approx(np.min(r.func_vals))
        assert r.x == r.x_iters[int(np.argmin(r.func_vals))]
    # scikit-optimize minimises: func_vals are the negated mean CV scores
    if len(opt.optimizer_results_) == 1:
        np.testing.assert_allclose(opt.optimizer_results_[0].func_vals,
                                   -np.asarray(res["mean_test_score"], dtype=float))
    assert -min(r.fun for r in opt.optimizer_results_) == pytest.approx(opt.best_score_)


def check_same_shape(ours, theirs, n_trials, per_subspace):
    check_equivalent_attributes(ours, n_trials, per_subspace)
    if theirs is not None:
        check_equivalent_attributes(theirs, n_trials, per_subspace)
        assert sorted(theirs.cv_results_) == sorted(
            k for k in ours.cv_results_ if k not in ("trial_id", "status", "error", "device",
                                                     "iter", "tied_with_best"))
        assert set(theirs.optimizer_results_[0]) - set(ours.optimizer_results_[0]) == set()


def docstring_example(impl):
    Real, Integer, Categorical = dims(impl)
    X_train, X_test, y_train, y_test = train_test_split(X_iris, y_iris, train_size=0.75,
                                                        random_state=0)
    opt = BayesSearchCV(impl)(
        SVC(),
        {
            'C': Real(1e-6, 1e+6, prior='log-uniform'),
            'gamma': Real(1e-6, 1e+1, prior='log-uniform'),
            'degree': Integer(1, 8),
            'kernel': Categorical(['linear', 'poly', 'rbf']),
        },
        n_iter=6, n_jobs=1,
        random_state=0,
    )
    _ = opt.fit(X_train, y_train)
    assert 0 <= opt.score(X_test, y_test) <= 1
    return opt


def test_docstring_example():
    ours, theirs = both(docstring_example)
    check_same_shape(ours, theirs, 6, [6])
    for opt in filter(None, (ours, theirs)):
        # the points are listed in sorted parameter-name order
        x = opt.optimizer_results_[0].x
        assert x == [opt.best_params_[k] for k in sorted(opt.best_params_)]


def minimal_example(impl):
    X_train, X_test, y_train, y_test = train_test_split(
        X_digits, y_digits, train_size=0.75, test_size=.25, random_state=0)
    opt = BayesSearchCV(impl)(
        SVC(),
        {
            'C': (1e-6, 1e+6, 'log-uniform'),
            'gamma': (1e-6, 1e+1, 'log-uniform'),
            'degree': (1, 8),  # integer valued parameter
            'kernel': ['linear', 'poly', 'rbf'],  # categorical parameter
        },
        n_iter=5,
        cv=3
    )
    opt.fit(X_train, y_train)
    assert 0 <= opt.score(X_test, y_test) <= 1
    return opt


def test_minimal_example():
    ours, theirs = both(minimal_example)
    check_same_shape(ours, theirs, 5, [5])
    assert ours.n_splits_ == 3


def advanced_example(impl):
    Real, Integer, Categorical = dims(impl)
    X_train, X_test, y_train, y_test = train_test_split(X_digits, y_digits, random_state=0)
    pipe = Pipeline([
        ('model', SVC())
    ])
    linsvc_search = {
        'model': [LinearSVC(max_iter=1000)],
        'model__C': (1e-6, 1e+6, 'log-uniform'),
    }
    svc_search = {
        'model': Categorical([SVC()]),
        'model__C': Real(1e-6, 1e+6, prior='log-uniform'),
        'model__gamma': Real(1e-6, 1e+1, prior='log-uniform'),
        'model__degree': Integer(1, 8),
        'model__kernel': Categorical(['linear', 'poly', 'rbf']),
    }
    opt = BayesSearchCV(impl)(
        pipe,
        [(svc_search, 5), (linsvc_search, 3)],  # (parameter space, # of evaluations)
        cv=3
    )
    assert opt.total_iterations == 8
    opt.fit(X_train, y_train)
    assert 0 <= opt.score(X_test, y_test) <= 1
    return opt


def test_advanced_example_runs_the_counts_of_each_subspace():
    ours, theirs = both(advanced_example)
    check_same_shape(ours, theirs, 8, [5, 3])
    for opt in filter(None, (ours, theirs)):
        models = [type(p["model"]).__name__ for p in opt.cv_results_["params"]]
        assert models.count("SVC") == 5 and models.count("LinearSVC") == 3


def total_iterations_example(impl):
    searchcv = BayesSearchCV(impl)(
        SVC(),
        search_spaces=[
            ({'C': (0.1, 1.0)}, 19),  # 19 iterations for this subspace
            {'gamma': (0.1, 1.0)}
        ],
        n_iter=23
    )
    return searchcv.total_iterations


def test_total_iterations_example():
    ours, theirs = both(total_iterations_example)
    assert ours == 42 and theirs in (None, 42)


def counted_fit(impl):
    searchcv = BayesSearchCV(impl)(
        SVC(), search_spaces=[({'C': (0.1, 1.0)}, 3), {'gamma': (0.1, 1.0)}], n_iter=2, cv=3)
    assert searchcv.total_iterations == 5
    return searchcv.fit(X_iris, y_iris)


def test_total_iterations_are_the_trials_run():
    for opt in filter(None, both(counted_fit)):
        assert len(opt.cv_results_["params"]) == 5
        assert [len(r.x_iters) for r in opt.optimizer_results_] == [3, 2]


def on_step_example(impl, read):
    """The documentation's callback example; ``read`` says where it reads the best score."""
    searchcv = BayesSearchCV(impl)(
        SVC(gamma='scale'),
        search_spaces={'C': (0.01, 100.0, 'log-uniform')},
        n_iter=10,
        cv=3
    )
    calls = []

    # callback handler
    def on_step(optim_result):
        score = searchcv.best_score_ if read == "search" else -optim_result.fun
        calls.append(len(optim_result.x_iters))
        if score >= 0.98:
            return True

    searchcv.fit(X_iris, y_iris, callback=on_step)
    return searchcv, calls


def stopped_at(searchcv, threshold, n_iter):
    """Trials a search stopped by ``score >= threshold`` runs: up to the first one that
    reaches it, or all ``n_iter`` (the example is not seeded; the last may be the one)."""
    reached = np.flatnonzero(searchcv.cv_results_["mean_test_score"] >= threshold)
    return reached[0] + 1 if reached.size else n_iter


def test_callback_example_stops_the_search():
    for searchcv, calls in filter(None, both(on_step_example, "result")):
        n = len(searchcv.cv_results_["params"])
        assert calls == list(range(1, n + 1))  # once per trial (n_points=1): the trials so far
        assert n == stopped_at(searchcv, threshold=0.98, n_iter=10)


def test_documented_on_step_reading_best_score_runs():
    # the documented on_step reads searchcv.best_score_ during fit: the best so far here
    searchcv, calls = on_step_example("sktune", read="search")
    assert len(calls) == stopped_at(searchcv, threshold=0.98, n_iter=10)
    if skopt is not None and skopt.__version__ == "0.10.2":
        # what docs/migrating_skopt.rst says: it fails with scikit-optimize's last release
        with pytest.raises(AttributeError, match="best_score_"):
            on_step_example("skopt", read="search")


def delta_y_stopper(delta, n_best=5):
    """scikit-optimize's DeltaYStopper, written out: a plain function of the result."""
    def stop(result):
        if len(result.func_vals) < n_best:
            return None
        func_vals = np.sort(result.func_vals)
        return func_vals[n_best - 1] - func_vals[0] < delta
    return stop


def stoppers(kind):
    if kind == "skopt":
        from skopt.callbacks import DeadlineStopper, DeltaYStopper

        return [DeltaYStopper(0.001), DeadlineStopper(60)]
    return [delta_y_stopper(0.001)]


def stopped_search(impl, kind):
    opt = BayesSearchCV(impl)(SVC(), {'C': (1e-2, 1e2, 'log-uniform')}, n_iter=25, cv=3,
                              random_state=0)
    return opt.fit(X_iris, y_iris, callback=stoppers(kind))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["plain", pytest.param("skopt", marks=needs_skopt)])
def test_fit_callback_stoppers(kind):
    for opt in filter(None, both(stopped_search, kind)):
        n = len(opt.cv_results_["params"])
        assert 5 <= n < 25  # DeltaYStopper stopped it, after its 5 best were within 0.001
        func_vals = np.sort(opt.optimizer_results_[0].func_vals)
        assert func_vals[4] - func_vals[0] < 0.001
        assert not np.isnan(opt.cv_results_["mean_test_score"]).any()  # no trial failed


@needs_skopt
def test_delta_x_stopper_reads_the_space_distance():
    from skopt.callbacks import DeltaXStopper

    opt = sktune.BayesSearchCV(SVC(), {'C': (1e-2, 1e2, 'log-uniform'), 'kernel': ['rbf']},
                               n_iter=6, cv=3, random_state=0)
    opt.fit(X_iris, y_iris, callback=DeltaXStopper(1e9))  # any two points are closer
    assert len(opt.cv_results_["params"]) == 2


def test_sktune_stoppers_in_fit_callback():
    opt = sktune.BayesSearchCV(SVC(), {'C': (1e-2, 1e2, 'log-uniform')}, n_iter=10, cv=3,
                               random_state=0)
    opt.fit(X_iris, y_iris, callback=[ScoreThreshold(0.9), TimeBudget(600)])
    assert len(opt.cv_results_["params"]) < 10 and opt.stop_reason_ == "callback"


def test_callback_result_is_the_subspace_so_far():
    seen = []

    def record(result):
        seen.append(result)

    opt = sktune.BayesSearchCV(SVC(), [({"C": (1e-2, 1e2, "log-uniform")}, 3),
                                       ({"C": (1e-2, 1e2, "log-uniform"), "kernel": ["linear"]}, 2)],
                               cv=3, random_state=0)
    opt.fit(X_iris, y_iris, callback=record)
    assert len(seen) == 5
    from scipy.optimize import OptimizeResult

    assert all(isinstance(r, OptimizeResult) for r in seen)
    final = opt.optimizer_results_
    last = {len(r.x_iters[0]): r for r in seen}  # by subspace: 1 or 2 dimensions
    for i, n_dims in enumerate((1, 2)):
        np.testing.assert_allclose(last[n_dims].func_vals, final[i].func_vals)
        assert last[n_dims].x_iters == final[i].x_iters
    assert [r.n_trials for r in seen] == [1, 2, 3, 4, 5]  # and SearchState's fields
    assert final[1].space.dimension_names == ["C", "kernel"]


def test_optimizer_kwargs_are_read_as_sktune_parameters():
    space = {'C': (1e-2, 1e2, 'log-uniform'), 'kernel': ['linear', 'rbf']}
    kwargs = {"base_estimator": "GP", "acq_func": "LCB", "n_initial_points": 3,
              "acq_optimizer": "lbfgs", "acq_func_kwargs": {"kappa": 1.0},
              "initial_point_generator": "sobol"}
    a = sktune.BayesSearchCV(SVC(), space, n_iter=6, cv=3, random_state=0,
                             optimizer_kwargs=kwargs).fit(X_iris, y_iris)
    b = sktune.BayesSearchCV(SVC(), space, n_iter=6, cv=3, random_state=0, acq_func="LCB",
                             n_initial_points=3, kappa=1.0).fit(X_iris, y_iris)
    assert a.cv_results_["params"] == b.cv_results_["params"]


def optimizer_kwargs_example(impl):
    return BayesSearchCV(impl)(
        SVC(), {'C': (1e-2, 1e2, 'log-uniform')}, n_iter=5, cv=3, random_state=0,
        optimizer_kwargs={"base_estimator": "GP", "acq_func": "EI", "n_initial_points": 3},
    ).fit(X_iris, y_iris)


def test_optimizer_kwargs_example():
    ours, theirs = both(optimizer_kwargs_example)
    check_same_shape(ours, theirs, 5, [5])


class CountingSVC(SVC):
    """An SVC that counts its fits (to see that a refusal comes before any training)."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        CountingSVC.fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("kwargs, names", [
    ({"optimizer_kwargs": {"base_estimator": "RF"}}, ["base_estimator", "Gaussian process"]),
    ({"optimizer_kwargs": {"acq_func": "gp_hedge"}}, ["gp_hedge", "acq_func="]),
    ({"optimizer_kwargs": {"acq_func_kwargs": {"xi": 0.01}}}, ["xi=", "spread"]),
    ({"optimizer_kwargs": {"acq_optimizer": "sampling"}}, ["acq_optimizer", "L-BFGS-B"]),
    ({"optimizer_kwargs": {"initial_point_generator": "lhs"}}, ["Sobol"]),
    ({"optimizer_kwargs": {"random_state": 1}}, ["random_state="]),
    ({"optimizer_kwargs": {"n_jobs": 4}}, ["n_jobs="]),
    ({"optimizer_kwargs": {"acq_optimizer_kwargs": {"n_points": 100}}}, ["n_points="]),
    ({"optimizer_kwargs": {"model_queue_size": 2}}, ["model_queue_size"]),
    ({"optimizer_kwargs": {"n_initial_points": 3}, "n_initial_points": 5},
     ["n_initial_points=5", "give it once"]),
    ({"fit_params": {"sample_weight": None}}, ["search.fit(X, y, **fit_params)"]),
    ({"iid": True}, ["'iid'", "remove it"]),
])
def test_what_has_no_equivalent_fails_in_fit_before_training(kwargs, names):
    CountingSVC.fits = 0
    opt = sktune.BayesSearchCV(CountingSVC(), {'C': (1e-2, 1e2, 'log-uniform')}, n_iter=3,
                               cv=3, **kwargs)
    with pytest.raises(ValueError) as info:
        opt.fit(X_iris, y_iris)
    for name in names:
        assert name in str(info.value)
    assert CountingSVC.fits == 0


def test_std_stopper_is_refused_before_training():
    skopt_callbacks = pytest.importorskip("skopt.callbacks")
    CountingSVC.fits = 0
    opt = sktune.BayesSearchCV(CountingSVC(), {'C': (1e-2, 1e2, 'log-uniform')}, n_iter=3)
    with pytest.raises(ValueError, match="NoImprovement"):
        opt.fit(X_iris, y_iris, callback=skopt_callbacks.StdStopper(0.1))
    assert CountingSVC.fits == 0


def test_bad_fit_callback_is_refused():
    opt = sktune.BayesSearchCV(SVC(), {'C': (1e-2, 1e2, 'log-uniform')}, n_iter=3)
    with pytest.raises(ValueError, match="callable or a list of callables"):
        opt.fit(X_iris, y_iris, callback=[print, 3])


def pre_dispatch_example(impl):
    return BayesSearchCV(impl)(SVC(), {'C': (1e-2, 1e2, 'log-uniform')}, n_iter=3, cv=3,
                               n_jobs=1, pre_dispatch="2*n_jobs").fit(X_iris, y_iris)


def test_pre_dispatch_is_accepted():
    for opt in filter(None, both(pre_dispatch_example)):
        assert len(opt.cv_results_["params"]) == 3


def test_pre_dispatch_of_every_search():
    from sklearn.linear_model import SGDClassifier

    space = {"alpha": sktune.Real(1e-4, 1e-1, log=True)}
    for search in (
        sktune.HyperbandSearchCV(SGDClassifier(random_state=0), space, max_resources=3,
                                 cv=2, random_state=0, pre_dispatch=4),
        sktune.PopulationSearchCV(SGDClassifier(learning_rate="constant", eta0=0.01,
                                                random_state=0), space, population_size=2,
                                  max_resources=2, cv=2, random_state=0, pre_dispatch=None),
    ):
        assert search.fit(X_iris, y_iris).best_score_ > 0
    with pytest.raises(ValueError, match="'pre_dispatch' parameter"):
        sktune.BayesSearchCV(SVC(), space, pre_dispatch=0).fit(X_iris, y_iris)


def test_optimizers_is_absent_with_a_hint():
    opt = sktune.BayesSearchCV(SVC(), {'C': (1e-2, 1e2, 'log-uniform')}, n_iter=3, cv=3)
    opt.fit(X_iris, y_iris)
    assert not hasattr(opt, "optimizers_")
    with pytest.raises(AttributeError, match="optimizer_results_"):
        opt.optimizers_  # noqa: B018


def test_subspace_counts_are_refused_where_they_cannot_be_honoured():
    from sklearn.linear_model import SGDClassifier

    space = [({"alpha": sktune.Real(1e-4, 1e-1, log=True)}, 5)]
    with pytest.raises(ValueError, match=r"\(space, n_iter\) pairs"):
        sktune.HyperbandSearchCV(SGDClassifier(), space, max_resources=3).fit(X_iris, y_iris)


def test_bad_subspace_count():
    with pytest.raises(ValueError, match="n_iter must be an int >= 1"):
        sktune.BayesSearchCV(SVC(), [({'C': (1e-2, 1e2)}, 0)]).fit(X_iris, y_iris)


def test_a_finite_subspace_caps_its_count():
    opt = sktune.BayesSearchCV(SVC(), [({"kernel": ["linear", "rbf"]}, 5),
                                       ({"C": (1e-2, 1e2, "log-uniform")}, 2)], cv=3)
    assert opt.total_iterations == 4
    with pytest.warns(UserWarning, match="sub-space of parameters 2 is smaller than n_iter=5"):
        opt.fit(X_iris, y_iris)
    assert [len(r.x_iters) for r in opt.optimizer_results_] == [2, 2]
