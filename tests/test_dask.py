"""Searches on a real dask.distributed LocalCluster (loopback) match local runs (issue 3)."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from _exec_helpers import Fragile, ListSearch, same_results
from sklearn.datasets import make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge

from sktune import BayesSearchCV, Real

FAILED = "2 fits failed out of a total of 6"  # 1 of 3 trials, on both folds

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", resources={"GPU": 1},
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def data():
    return make_regression(150, 6, noise=10.0, random_state=0)


def bayes(**kw):
    params = dict(n_iter=6, n_initial_points=3, n_points=2, cv=3, random_state=0, refit=True)
    params.update(kw)
    return BayesSearchCV(Ridge(), {"alpha": Real(1e-3, 1e3, log=True)}, **params)


def test_bayes_search_on_a_local_cluster_matches_local(client, data):
    X, y = data
    local = bayes(n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = bayes(n_jobs=-1).fit(X, y)
    assert remote.n_workers_ == 2
    assert same_results(local, remote)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.predict(X[:5]), local.predict(X[:5]))
    # the jobs ran in the workers' processes, not here
    pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert len(pids) == 2


def _gpu_ask(estimator, X, y):
    """A scorer that reads the Dask resources its own task asked for."""
    from distributed import get_worker
    from distributed.worker import thread_state

    task = get_worker().state.tasks[thread_state.key]
    ask = (task.resource_restrictions or {}).get("GPU", 0.0)
    return {"score": estimator.score(X, y), "gpu_ask": float(ask)}


def test_gpu_jobs_ask_for_the_workers_gpu_resource(client, data):
    X, y = data
    with joblib.parallel_config(backend="dask"):
        search = bayes(n_jobs=-1, devices=["cuda:0"], trials_per_device=2, scoring=_gpu_ask,
                       refit=False).fit(X, y)
        cpu = bayes(n_jobs=-1, scoring=_gpu_ask, refit=False).fit(X, y)
    # two jobs at once share the "GPU" of a worker: each asks for half of it
    assert search.n_workers_ == 2
    assert search.cv_results_["device"].tolist() == ["cuda:0"] * 6
    assert (search.cv_results_["mean_test_gpu_ask"] == 0.5).all()
    assert (cpu.cv_results_["mean_test_gpu_ask"] == 0.0).all()


def test_failures_on_the_cluster_are_recorded_per_trial(client, data):
    X, y = data
    items = [{"action": a, "alpha": 1.0 + i} for i, a in enumerate(["ok", "raise", "ok"])]
    with joblib.parallel_config(backend="dask"), pytest.warns(FitFailedWarning, match=FAILED):
        search = ListSearch(Fragile(), {"action": ["ok", "raise"], "alpha": (0.1, 10.0)}, items,
                            cv=2, n_jobs=-1, refit=False).fit(X, y)
    assert search.cv_results_["status"].tolist() == ["ok", "failed", "ok"]


@pytest.mark.slow
def test_a_hanging_job_on_the_cluster_is_failed_and_its_worker_restarted(client, data):
    X, y = data
    items = [{"action": a, "alpha": 1.0 + i} for i, a in enumerate(["ok", "hang", "ok"])]
    with joblib.parallel_config(backend="dask"), pytest.warns(FitFailedWarning, match=FAILED):
        search = ListSearch(Fragile(sleep=120), {"action": ["ok", "hang"], "alpha": (0.1, 10.0)},
                            items, cv=2, n_jobs=-1, trial_timeout=1.5, refit=False).fit(X, y)
    res = search.cv_results_
    # the trial after the hanging one did not wait behind it (no innocent trial blamed)
    assert res["status"].tolist() == ["ok", "failed", "ok"]
    assert "TimeoutError" in res["error"][1]
    assert search.n_worker_restarts_ >= 1


def _continuing_searches():
    from sklearn.linear_model import SGDRegressor

    from sktune import HyperbandSearchCV, PopulationSearchCV

    sgd = SGDRegressor(random_state=0)
    space = {"alpha": Real(1e-5, 1e-1, log=True), "eta0": Real(1e-3, 1e-1, log=True)}
    return {
        "hyperband": lambda **kw: HyperbandSearchCV(
            sgd, space, resource="partial_fit", max_resources=9, factor=3, cv=3,
            random_state=0, **kw),
        "pbt": lambda **kw: PopulationSearchCV(
            sgd, space, mutable_params=["eta0", "alpha"], population_size=4, max_resources=6,
            perturbation_interval=2, cv=3, random_state=0, **kw),
    }


@pytest.mark.parametrize("name", ["hyperband", "pbt"])
def test_continuing_searches_on_a_local_cluster_match_local(client, data, name):
    """Rungs and PBT steps continue fold models that travel to and from the workers."""
    X, y = data
    make = _continuing_searches()[name]
    local = make(n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = make(n_jobs=-1).fit(X, y)
    assert len(local.cv_results_["params"]) > 4
    assert same_results(local, remote)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.predict(X[:5]), local.predict(X[:5]))
