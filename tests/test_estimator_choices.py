"""Estimators given as choices of a search space are cloned for every fold job.

A ``Categorical([SGDClassifier(), ...])`` choice is one object in the user's
space. Each fold of each trial must train its own copy, whatever the backend,
and the user's object must come back untouched (issue 20, point 1).
"""

from __future__ import annotations

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, PopulationSearchCV, Real
from sktune.resources import set_params_in_place

BACKENDS = [("inline", None), ("threading", 2), ("loky", 2)]


@pytest.fixture(scope="module")
def data():
    return make_classification(240, 8, n_informative=5, random_state=0)


_SGD = dict(learning_rate="invscaling", eta0=0.5, random_state=0)


def _sgd_choices():
    return [SGDClassifier(loss="hinge", **_SGD), SGDClassifier(loss="log_loss", **_SGD)]


def _pipe():
    return Pipeline([("scale", StandardScaler()), ("clf", SGDClassifier(**_SGD))])


def _untouched(choices):
    for est in choices:
        assert not hasattr(est, "coef_"), "the user's estimator was fitted in place"
        assert not hasattr(est, "t_")
        assert est.get_params()["power_t"] == 0.5, "the user's estimator was re-parametrised"


def _fit(make, backend, n_jobs, X, y):
    search = make(n_jobs)
    if backend == "inline":
        return search.fit(X, y)
    with parallel_config(backend=backend):
        return search.fit(X, y)


def _scores(search):
    res = search.cv_results_
    cols = sorted(k for k in res if k.startswith("split") and k.endswith("_test_score"))
    return np.column_stack([res[c] for c in cols])


def _hyperband(choice):
    # "clf" sorts before "clf__power_t" as "clf__loss" does: both spaces draw the same trials
    def make(n_jobs):
        space = {**choice, "clf__power_t": Real(0.1, 0.9)}
        return HyperbandSearchCV(_pipe(), space, resource="partial_fit", max_resources=9,
                                 min_resources=1, factor=3, cv=3, n_jobs=n_jobs, random_state=0)
    return make


@pytest.fixture(scope="module")
def by_name(data):
    """The same search with the loss named instead of given as estimators: the truth."""
    return _fit(_hyperband({"clf__loss": Categorical(["hinge", "log_loss"])}), "inline", None,
                *data)


@pytest.mark.parametrize("backend,n_jobs", BACKENDS)
def test_hyperband_trains_a_copy_per_fold_and_trial(data, by_name, backend, n_jobs):
    X, y = data
    choices = _sgd_choices()
    search = _fit(_hyperband({"clf": Categorical(choices)}), backend, n_jobs, X, y)
    _untouched(choices)
    assert (search.cv_results_["status"] == "ok").all()
    # every fold continues its own copy across rungs, as the search by name does
    np.testing.assert_allclose(_scores(search), _scores(by_name))
    best = search.best_estimator_.named_steps["clf"]
    assert all(best is not c for c in choices)
    assert best.power_t == search.best_params_["clf__power_t"]
    # best_params_ shows the choice as the user gave it, as GridSearchCV does
    assert any(search.best_params_["clf"] is c for c in choices)


@pytest.mark.parametrize("backend,n_jobs", BACKENDS)
def test_bayes_estimator_choice_is_not_shared(data, backend, n_jobs):
    X, y = data
    choices = [LogisticRegression(C=1.0, max_iter=200), SGDClassifier(random_state=0)]

    def make(n_jobs):
        return BayesSearchCV(_pipe(), {"clf": Categorical(choices)}, n_iter=2,
                             n_initial_points=2, cv=3, n_jobs=n_jobs, random_state=0)

    search = _fit(make, backend, n_jobs, X, y)
    assert (search.cv_results_["status"] == "ok").all()
    for est in choices:
        assert not hasattr(est, "coef_")
    reference = _fit(make, "loky", 2, X, y)
    np.testing.assert_allclose(_scores(search), _scores(reference))


def test_population_refit_does_not_train_the_users_choice(data):
    X, y = data
    choices = _sgd_choices()
    space = {"clf": Categorical(choices), "clf__power_t": Real(0.1, 0.9)}
    search = PopulationSearchCV(_pipe(), space, mutable_params=["clf__power_t"], population_size=4,
                                max_resources=6, perturbation_interval=2, cv=2,
                                resource="partial_fit", random_state=0).fit(X, y)
    _untouched(choices)
    assert (search.cv_results_["status"] == "ok").all()
    assert all(search.best_estimator_.named_steps["clf"] is not c for c in choices)


def test_continuing_keeps_the_fitted_copy_of_an_estimator_choice(data):
    X, y = data
    choice = SGDClassifier(loss="log_loss", random_state=0)
    pipe = _pipe().set_params(clf=clone(choice), clf__alpha=0.01).fit(X, y)
    fitted = pipe.named_steps["clf"]
    # the next rung hands the same choice again (a fresh clone, its nested value apart):
    # training continues on the fitted copy instead of starting over on an unfitted one
    set_params_in_place(pipe, {"clf": clone(choice), "clf__alpha": 0.01})
    assert pipe.named_steps["clf"] is fitted
    set_params_in_place(pipe, {"clf": clone(choice), "clf__alpha": 0.02})
    assert pipe.named_steps["clf"] is fitted and fitted.alpha == 0.02
    set_params_in_place(pipe, {"clf": SGDClassifier(loss="hinge"), "clf__alpha": 0.02})
    assert pipe.named_steps["clf"] is not fitted
    assert pipe.named_steps["clf"].alpha == 0.02 and not hasattr(pipe.named_steps["clf"], "t_")


def test_dask_trains_a_copy_per_fold(data, by_name):
    distributed = pytest.importorskip("distributed")
    X, y = data
    choices = _sgd_choices()
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=None)
    with cluster, distributed.Client(cluster):  # threads of one process: objects are shared
        search = _fit(_hyperband({"clf": Categorical(choices)}), "dask", -1, X, y)
    _untouched(choices)
    np.testing.assert_allclose(_scores(search), _scores(by_name))
