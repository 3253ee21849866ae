"""Metadata routing, sample weights and the caller's configuration (issue 13).

Every sktune search runs side by side with a ``GridSearchCV`` over exactly the
rows it recorded (Hyperband's budget ``max_iter`` as a parameter), on the
installed scikit-learn, with metadata routing on (the ``routing`` fixture) and off.
"""

from __future__ import annotations

import os
import warnings

import joblib
import numpy as np
import pytest
import sklearn
from _config_helpers import ConfigLogger, read_fit_logs
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.metrics import (
    balanced_accuracy_score,
    f1_score,
    get_scorer,
    make_scorer,
    mean_absolute_error,
)
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, PopulationSearchCV

X, y = make_classification(150, 5, weights=[0.7], flip_y=0.15, random_state=0)
Xr, yr = make_regression(150, 5, noise=20.0, random_state=0)
W = np.random.default_rng(0).uniform(0.05, 4.0, len(y))
GROUPS = np.arange(len(y)) % 5
CV = KFold(3)
KINDS = ["bayes", "hyperband", "population"]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def routing():
    """Metadata routing on for the test, restored after however it ends."""
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def weighted(metric=balanced_accuracy_score, **kw):
    return make_scorer(metric, **kw).set_score_request(sample_weight=True)


def unweighted(metric=balanced_accuracy_score):
    return make_scorer(metric).set_score_request(sample_weight=False)


def make(kind, estimator, param="C", values=(0.01, 0.1, 1.0, 10.0), budget="max_iter", **kw):
    """A search of ``kind`` over ``param``; Hyperband's budget is ``budget`` (3 and 9)."""
    space = {param: Categorical(list(values))}
    kw = {"cv": CV, "random_state": 0, **kw}
    if kind == "bayes":
        return BayesSearchCV(estimator, space, n_iter=len(values), n_initial_points=len(values),
                             **kw)
    if kind == "hyperband":
        return HyperbandSearchCV(estimator, space, resource=budget, max_resources=9,
                                 min_resources=3, **kw)
    resource = "partial_fit" if budget == "partial_fit" else "fit"
    kw.setdefault("holdout", None)  # every row in the CV folds, as GridSearchCV's
    return PopulationSearchCV(estimator, space, resource=resource, population_size=4,
                              max_resources=2, perturbation_interval=1, **kw)


def twin(search, estimator, budget="max_iter", **kw):
    """A GridSearchCV over exactly the rows ``search`` recorded, in the same order."""
    res = search.cv_results_
    grid = [{k: [v] for k, v in p.items()} for p in res["params"]]
    if isinstance(search, HyperbandSearchCV):
        grid = [{**g, budget: [int(b)]} for g, b in zip(grid, res["n_resources"])]
    kw = {"cv": CV, "scoring": search.scoring, "refit": search.refit,
          "return_train_score": search.return_train_score, **kw}
    return GridSearchCV(estimator, grid, **kw)


def assert_same_scores(ours, theirs, metrics=("score",), train=False):
    for m in metrics:
        keys = [f"split{k}_test_{m}" for k in range(3)] + [f"mean_test_{m}"]
        if train:
            keys += [f"split{k}_train_{m}" for k in range(3)]
        for key in keys:
            np.testing.assert_allclose(ours.cv_results_[key], theirs.cv_results_[key],
                                       rtol=1e-10, err_msg=key)


def raised(fit):
    """The exception ``fit()`` raises."""
    with pytest.raises(Exception) as info:
        fit()
    return info.value


def assert_same_error(ours, theirs, search):
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs).replace("GridSearchCV", type(search).__name__)


class CountingLR(LogisticRegression):
    """A real logistic regression that counts its fits (class-level counter)."""

    n_fits = 0

    def fit(self, X, y, sample_weight=None):
        CountingLR.n_fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


# -- routing off: the legacy path, as GridSearchCV on this scikit-learn ---------------------
@pytest.mark.parametrize("estimator, data", [
    (LogisticRegression(), (X, y)), (Ridge(), (Xr, yr))], ids=["logistic", "ridge"])
@pytest.mark.parametrize("kind", KINDS)
def test_sample_weight_reaches_fit_and_scorer_as_grid_search_without_routing(
        kind, estimator, data):
    """scikit-learn >= 1.7 weights the CV scores too; older ones weight the fits only."""
    Xd, yd = data
    param = "C" if hasattr(estimator, "C") else "alpha"
    search = make(kind, estimator, param=param, return_train_score=True).fit(
        Xd, yd, sample_weight=W)
    grid = twin(search, estimator).fit(Xd, yd, sample_weight=W)
    assert_same_scores(search, grid, train=True)


@pytest.mark.parametrize("kind", KINDS)
def test_a_scorer_without_sample_weight_warns_as_grid_search(kind):
    def ignores_weights(y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)

    scoring = {"mae": make_scorer(ignores_weights), "r2": "r2"}
    search = make(kind, Ridge(), param="alpha", scoring=scoring, refit="r2")
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        search.fit(Xr, yr, sample_weight=W)
    grid = twin(search, Ridge())
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        grid.fit(Xr, yr, sample_weight=W)
    assert_same_scores(search, grid, metrics=("mae", "r2"))

    def support(record):
        return [str(w.message).split(" when fitting")[0] for w in record
                if "does not support sample_weight" in str(w.message)]

    assert support(ours) == support(theirs)


def test_score_takes_no_metadata_without_routing():
    search = make("bayes", LogisticRegression()).fit(X, y)
    grid = twin(search, LogisticRegression()).fit(X, y)
    assert_same_error(raised(lambda: search.score(X, y, sample_weight=W)),
                      raised(lambda: grid.score(X, y, sample_weight=W)), search)


# -- routing on --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_the_search_is_a_router_like_grid_search(kind, routing):
    est = LogisticRegression().set_fit_request(sample_weight=True)
    scoring = {"w": weighted(), "plain": "accuracy"}
    search = make(kind, est, scoring=scoring, refit="w", cv=GroupKFold(3))
    grid = GridSearchCV(est, {"C": [1.0]}, scoring=scoring, refit="w", cv=GroupKFold(3))
    assert repr(search.get_metadata_routing()) == repr(grid.get_metadata_routing())
    assert not hasattr(search, "set_fit_request")  # a router, as GridSearchCV


@pytest.mark.parametrize("fit_request", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_fit_and_score_requests_are_honoured(kind, fit_request, routing):
    est = LogisticRegression().set_fit_request(sample_weight=fit_request)
    scoring = {"w": weighted(), "plain": unweighted()}
    search = make(kind, est, scoring=scoring, refit="w", return_train_score=True)
    search.fit(X, y, sample_weight=W)
    grid = twin(search, est).fit(X, y, sample_weight=W)
    assert_same_scores(search, grid, metrics=("w", "plain"), train=True)
    refit = clone_fit(search, est, X, y, W if fit_request else None)
    np.testing.assert_allclose(search.best_estimator_.coef_, refit.coef_)


def clone_fit(search, est, X, y, sample_weight):
    params = dict(search.best_params_)
    if isinstance(search, HyperbandSearchCV):
        params["max_iter"] = search.max_resources_
    return clone(est).set_params(**params).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("case", ["unset fit request", "nobody requests it",
                                  "unset score request"])
@pytest.mark.parametrize("kind", KINDS)
def test_unrequested_metadata_raises_as_grid_search_before_training(kind, case, routing):
    est = {"unset fit request": CountingLR(),
           "nobody requests it": CountingLR().set_fit_request(sample_weight=False),
           "unset score request": CountingLR().set_fit_request(sample_weight=True)}[case]
    scoring = None if case == "unset score request" else unweighted()
    search = make(kind, est, scoring=scoring)
    grid = GridSearchCV(est, {"C": [0.1, 1.0]}, cv=CV, scoring=scoring)
    CountingLR.n_fits = 0
    ours = raised(lambda: search.fit(X, y, sample_weight=W))
    assert CountingLR.n_fits == 0
    assert_same_error(ours, raised(lambda: grid.fit(X, y, sample_weight=W)), search)


@pytest.mark.parametrize("kind", KINDS)
def test_score_routes_metadata_to_the_scorer(kind, routing):
    est = LogisticRegression().set_fit_request(sample_weight=True)
    search = make(kind, est, scoring=weighted()).fit(X, y, sample_weight=W)
    expected = weighted()(search.best_estimator_, X, y, sample_weight=W)
    assert search.score(X, y, sample_weight=W) == pytest.approx(expected)
    assert search.score(X, y, sample_weight=W) != pytest.approx(search.score(X, y))
    unrequested = make(kind, est, scoring="balanced_accuracy").fit(X, y)
    grid = GridSearchCV(est, {"C": [1.0]}, cv=CV, scoring="balanced_accuracy").fit(X, y)
    assert_same_error(raised(lambda: unrequested.score(X, y, sample_weight=W)),
                      raised(lambda: grid.score(X, y, sample_weight=W)), unrequested)


@pytest.mark.parametrize("kind", KINDS)
def test_nested_cross_validate_routes_weights_to_the_inner_search(kind, routing):
    est = LogisticRegression().set_fit_request(sample_weight=True)
    search = make(kind, est, scoring=weighted())
    outer = KFold(3, shuffle=True, random_state=1)
    res = cross_validate(search, X, y, cv=outer, scoring=weighted(), return_estimator=True,
                         params={"sample_weight": W})
    for (train, test), inner, score in zip(outer.split(X), res["estimator"], res["test_score"]):
        alone = make(kind, est, scoring=weighted()).fit(X[train], y[train],
                                                        sample_weight=W[train])
        unweighted = make(kind, est, scoring=weighted()).fit(X[train], y[train])
        np.testing.assert_allclose(inner.cv_results_["mean_test_score"],
                                   alone.cv_results_["mean_test_score"])
        assert not np.allclose(inner.cv_results_["mean_test_score"],
                               unweighted.cv_results_["mean_test_score"])
        assert score == pytest.approx(
            weighted()(inner.best_estimator_, X[test], y[test], sample_weight=W[test]))


@pytest.mark.parametrize("kind", KINDS)
def test_groups_go_to_the_splitter_as_grid_search(kind, routing):
    est = LogisticRegression()
    search = make(kind, est, cv=GroupKFold(3)).fit(X, y, groups=GROUPS)
    grid = twin(search, est, cv=GroupKFold(3)).fit(X, y, groups=GROUPS)
    assert_same_scores(search, grid)
    # a splitter that takes no groups: nothing consumes them, as in GridSearchCV
    plain = make(kind, est)
    assert_same_error(raised(lambda: plain.fit(X, y, groups=GROUPS)),
                      raised(lambda: GridSearchCV(est, {"C": [1.0]}, cv=CV).fit(
                          X, y, groups=GROUPS)), plain)


@pytest.mark.parametrize("kind", KINDS)
def test_per_sample_metadata_is_sliced_and_the_rest_passes_through(kind, routing):
    est = SGDClassifier(max_iter=9, tol=None, random_state=0).set_fit_request(
        sample_weight=True, intercept_init=True)
    scoring = make_scorer(f1_score, average="macro").set_score_request(
        sample_weight=True, labels=True)
    metadata = {"sample_weight": W, "intercept_init": np.array([0.5]), "labels": [0, 1]}
    search = make(kind, est, param="alpha", values=(1e-4, 1e-2, 1.0, 10.0), scoring=scoring,
                  return_train_score=True).fit(X, y, **metadata)
    grid = twin(search, est).fit(X, y, **metadata)
    assert_same_scores(search, grid, train=True)


@pytest.mark.parametrize("kind", ["hyperband", "population"])
def test_a_pipeline_trained_in_steps_routes_its_metadata(kind, routing):
    """The SGD continues with partial_fit: the pipeline's routing still applies."""
    sgd = SGDClassifier(random_state=0).set_fit_request(sample_weight=True)
    pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), sgd)
    kw = dict(param="sgdclassifier__alpha", values=(1e-4, 1e-2, 1.0, 10.0),
              budget="partial_fit", scoring=unweighted())
    on = make(kind, pipe, **kw).fit(X, y, sample_weight=W)
    with sklearn.config_context(enable_metadata_routing=False):
        plain = make_pipeline(StandardScaler(), SGDClassifier(random_state=0))
        off = make(kind, plain, **{**kw, "scoring": "balanced_accuracy"}).fit(
            X, y, sgdclassifier__sample_weight=W)
    assert_same_scores(on, off)
    no_weights = make(kind, pipe, **kw).fit(X, y)
    assert not np.allclose(on.cv_results_["mean_test_score"],
                           no_weights.cv_results_["mean_test_score"])


@pytest.mark.parametrize("kind", KINDS)
def test_unrequested_fit_weights_never_reach_partial_fit(kind, routing):
    """Weights the scorer requests and ``fit`` does not: the folds train unweighted,
    exactly as when the scorer takes them under another name."""
    est = SGDClassifier(random_state=0).set_fit_request(sample_weight=False)
    kw = dict(param="alpha", values=(1e-4, 1e-2, 1.0, 10.0), budget="partial_fit")
    scorer_only = make(kind, est, scoring=weighted(), **kw).fit(X, y, sample_weight=W)
    aliased = make_scorer(balanced_accuracy_score).set_score_request(sample_weight="w2")
    renamed = make(kind, est, scoring=aliased, **kw).fit(X, y, w2=W)
    assert_same_scores(scorer_only, renamed)


# -- the caller's configuration in every worker ------------------------------------------
@pytest.mark.parametrize("backend", ["loky", "threading"])
@pytest.mark.parametrize("kind", KINDS)
def test_the_callers_config_and_routing_reach_every_worker(kind, backend, tmp_path):
    with sklearn.config_context(enable_metadata_routing=True, assume_finite=True), \
            joblib.parallel_config(backend=backend):
        clf = LogisticRegression().set_fit_request(sample_weight=True)
        pipe = Pipeline([("log", ConfigLogger(log_dir=str(tmp_path))), ("clf", clf)])
        search = make(kind, pipe, param="clf__C", budget="clf__max_iter", scoring=weighted(),
                      n_jobs=2, refit=False).fit(X, y, sample_weight=W)
        logs = read_fit_logs(tmp_path)
        grid = twin(search, pipe, budget="clf__max_iter", n_jobs=2).fit(
            X, y, sample_weight=W)
    assert_same_scores(search, grid)
    assert len(logs) == len(search.cv_results_["params"]) * 3
    assert all(e["assume_finite"] and e["enable_metadata_routing"] for e in logs)
    if backend == "loky":
        assert all(e["pid"] != os.getpid() for e in logs)


def test_a_regressor_scorer_gets_its_weights(routing):
    """A second estimator family: Ridge with a weighted regression metric."""
    est = Ridge().set_fit_request(sample_weight=True)
    scoring = get_scorer("neg_mean_squared_error").set_score_request(sample_weight=True)
    for kind in KINDS:
        search = make(kind, est, param="alpha", scoring=scoring).fit(Xr, yr, sample_weight=W)
        grid = twin(search, est).fit(Xr, yr, sample_weight=W)
        assert_same_scores(search, grid)
