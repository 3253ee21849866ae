"""Failures: raising, NaN, diverged, hanging and worker-killing trials (issue 4)."""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np
import pytest
from _exec_helpers import CountingClassifier, Fragile, ListSearch, RandomSearch
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import FitFailedWarning

from sktune import BayesSearchCV, Categorical, Real

SPACE = {"action": Categorical(["ok", "raise", "nan", "hang", "slow", "die", "segv"]),
         "alpha": Real(1e-3, 10.0, log=True)}


@pytest.fixture(scope="module")
def data():
    return make_regression(120, 5, noise=5.0, random_state=0)


def trials(*actions):
    return [{"action": a, "alpha": 0.1 * (i + 1)} for i, a in enumerate(actions)]


def _grid(items):
    """The GridSearchCV that scores ``items`` in their order (one grid per item)."""
    from sklearn.model_selection import GridSearchCV

    return [{k: [v] for k, v in item.items()} for item in items], GridSearchCV


def test_raising_and_nan_trials_get_error_score_and_one_grouped_warning(data):
    # a fit that raises is a failed fit; a NaN prediction makes the *scorer* raise, which
    # GridSearchCV scores error_score with a "Scoring failed" warning: the fit worked
    X, y = data
    items = trials("ok", "raise", "nan", "ok", "raise")
    with pytest.warns(FitFailedWarning, match="4 fits failed out of a total of 10") as record:
        search = ListSearch(Fragile(), SPACE, items, cv=2, error_score=-1.0).fit(X, y)
    text = str([w.message for w in record if w.category is FitFailedWarning][0])
    assert "set to -1.0" in text and "2 of the 5 results failed" in text
    assert "4 fits failed with the following error:\nRuntimeError: boom from a bad trial" in text
    scoring = [str(w.message) for w in record if w.category is UserWarning
               and str(w.message).startswith("Scoring failed")]
    assert len(scoring) == 2 and all("Input contains NaN" in m for m in scoring)
    res = search.cv_results_
    assert res["status"].tolist() == ["ok", "failed", "ok", "ok", "failed"]
    assert res["mean_test_score"][[1, 2, 4]].tolist() == [-1.0, -1.0, -1.0]
    assert np.all(res["mean_test_score"][[0, 3]] > 0.5)
    assert "boom" in res["error"][1]
    assert search.best_index_ in (0, 3)
    assert search.predict(X[:3]).shape == (3,)
    grid, GridSearchCV = _grid(items)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = GridSearchCV(Fragile(), grid, cv=2, error_score=-1.0).fit(X, y)
    np.testing.assert_allclose(res["mean_test_score"], theirs.cv_results_["mean_test_score"])


def test_error_score_raise_raises_with_the_trial_parameters(data):
    X, y = data
    search = ListSearch(Fragile(), SPACE, trials("ok", "raise"), cv=2, error_score="raise")
    with pytest.raises(Exception, match="boom from a bad trial") as info:
        search.fit(X, y)
    text = str(info.value) + "".join(getattr(info.value, "__notes__", []))
    if hasattr(info.value, "add_note") or isinstance(info.value, ValueError):
        assert "'action': 'raise', 'alpha': 0.2" in text


def test_every_trial_failing_is_a_clear_error(data):
    X, y = data
    search = ListSearch(Fragile(), SPACE, trials("raise", "raise"), cv=2)
    with pytest.raises(ValueError, match="All the 4 fits failed") as info:
        search.fit(X, y)
    assert "RuntimeError: boom from a bad trial" in str(info.value)


def test_a_nan_predicting_trial_is_not_a_failed_fit_as_in_grid_search(data):
    # its scorer raised (NaN scores), the fits worked: as GridSearchCV, the first row is
    # the best when every mean is NaN, and its refit raises the fit's own error
    X, y = data
    items = trials("raise", "nan", "raise")
    grid, GridSearchCV = _grid(items)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="boom from a bad trial"):
            GridSearchCV(Fragile(), grid, cv=2).fit(X, y)
        with pytest.raises(RuntimeError, match="boom from a bad trial"):
            ListSearch(Fragile(), SPACE, items, cv=2).fit(X, y)
        search = ListSearch(Fragile(), SPACE, items, cv=2, refit=False).fit(X, y)
    assert search.cv_results_["status"].tolist() == ["failed", "ok", "failed"]


def test_a_diverged_skorch_net_is_a_failed_trial_not_a_chance_level_score():
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    X, y = make_classification(200, 8, random_state=0)
    X = X.astype(np.float32) * 1e3
    net = skorch.NeuralNetClassifier(
        torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)),
        criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, max_epochs=4,
        batch_size=50, train_split=None, verbose=0,
    )
    space = {"lr": Real(1e-6, 1e30, log=True)}
    with pytest.warns(FitFailedWarning, match="2 fits failed out of a total of 4"):
        search = ListSearch(net, space, [{"lr": 1e-6}, {"lr": 1e30}], cv=2, refit=False,
                            random_state=0).fit(X, y.astype(np.int64))
    res = search.cv_results_
    assert res["status"].tolist() == ["ok", "failed"]
    assert "diverged" in res["error"][1] or "not finite" in res["error"][1]
    assert np.isnan(res["mean_test_score"][1])


@pytest.mark.slow
def test_a_worker_that_dies_fails_only_its_own_trial(data):
    X, y = data
    items = trials("ok", "die", "ok", "segv")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        search = ListSearch(Fragile(), SPACE, items, cv=2, n_jobs=2, n_points=2,
                            refit=False).fit(X, y)
    res = search.cv_results_
    assert res["status"].tolist() == ["ok", "failed", "ok", "failed"]
    assert "WorkerDiedError" in res["error"][1] and "EXIT(7)" in res["error"][1]
    assert "WorkerDiedError" in res["error"][3] and "SIGSEGV" in res["error"][3]
    assert search.n_worker_restarts_ >= 2
    assert any("worker process died" in str(w.message) for w in record)
    # the innocent trials have exactly the scores they get when run alone, in-process
    ok = [items[i] for i in (0, 2)]
    alone = ListSearch(Fragile(), SPACE, ok, cv=2, refit=False).fit(X, y)
    np.testing.assert_array_equal(res["mean_test_score"][[0, 2]],
                                  alone.cv_results_["mean_test_score"])


@pytest.mark.slow
def test_a_worker_that_dies_under_a_custom_backend_fails_only_its_own_trial(data):
    import joblib
    from joblib._parallel_backends import LokyBackend  # noqa: PLC2701 - test only

    class RoundsBackend(LokyBackend):  # a process backend sktune runs in rounds
        pass

    joblib.register_parallel_backend("sktune-test-loky-rounds", RoundsBackend)
    X, y = data
    items = trials("ok", "die", "ok")
    with joblib.parallel_config(backend="sktune-test-loky-rounds", n_jobs=2), \
            pytest.warns(FitFailedWarning, match="2 fits failed out of a total of 6"):
        search = ListSearch(Fragile(), SPACE, items, cv=2, n_jobs=2, n_points=3,
                            refit=False).fit(X, y)
    res = search.cv_results_
    assert res["status"].tolist() == ["ok", "failed", "ok"]
    assert "WorkerDiedError" in res["error"][1] and "EXIT(7)" in res["error"][1]
    assert search.n_worker_restarts_ >= 2


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_hanging_job_is_failed_after_trial_timeout(data, n_jobs):
    X, y = data
    items = [{"action": "ok", "alpha": 1.0}, {"action": "hang", "alpha": 2.0},
             {"action": "ok", "alpha": 3.0}]
    t0 = time.perf_counter()
    with pytest.warns(FitFailedWarning, match="2 fits failed out of a total of 6"):
        search = ListSearch(Fragile(sleep=600), SPACE, items, cv=2, n_jobs=n_jobs,
                            trial_timeout=1.5, refit=False).fit(X, y)
    assert time.perf_counter() - t0 < 200  # the hanging worker was killed, not waited for
    res = search.cv_results_
    assert res["status"].tolist() == ["ok", "failed", "ok"]
    assert "TimeoutError" in res["error"][1] and "trial_timeout=1.5" in res["error"][1]


@pytest.mark.slow
def test_threads_cannot_be_killed_but_the_timeout_still_fails_the_job(data):
    joblib = pytest.importorskip("joblib")
    X, y = data
    items = [{"action": "slow", "alpha": 1.0}, {"action": "ok", "alpha": 2.0}]
    with joblib.parallel_config(backend="threading"), warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        search = ListSearch(Fragile(sleep=2.5), SPACE, items, cv=2, n_jobs=2,
                            trial_timeout=0.5, refit=False).fit(X, y)
    assert search.cv_results_["status"].tolist() == ["failed", "ok"]
    assert any("thread cannot be stopped" in str(w.message) for w in rec)
    time.sleep(2.5)  # let the abandoned threads finish before the next test


@pytest.mark.slow
def test_a_thousand_cheap_trials_keep_only_their_records():
    # Memory, not time: the loop's per-trial overhead is measured by
    # benchmarks/scheduler_overhead.py (a timed assertion here fails on a loaded machine).
    X, y = make_classification(60, 4, random_state=0)
    memory = {}

    def watch(state):
        if state.n_trials == 800:  # trace what the last 200 trials leave behind
            tracemalloc.start()
        if state.n_trials == 1000:
            memory["kept"] = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()

    search = RandomSearch(CountingClassifier(), {"shrink": Real(0.0, 0.5)}, n_iter=1000, cv=2,
                          refit=False, random_state=0, callbacks=watch,
                          scoring=_plain_accuracy).fit(X, y)
    assert len(search.cv_results_["params"]) == 1000
    assert 0 < search.busy_time_ <= search.search_time_
    assert memory["kept"] < 200 * 4000, memory  # bytes kept per trial: its record only
    assert not hasattr(search, "_models")  # no fold models kept on the fitted search


def _plain_accuracy(estimator, X, y):
    return float(np.mean(estimator.predict(X) == y))


def test_bayes_search_reports_failures_from_a_real_estimator():
    from sklearn.svm import SVR

    X, y = make_regression(80, 3, noise=1.0, random_state=0)
    # negative epsilon fails inside SVR's own parameter validation on some trials
    search = BayesSearchCV(SVR(), {"epsilon": Real(-1.0, 1.0), "C": Real(0.1, 10, log=True)},
                           n_iter=6, n_initial_points=6, cv=2, random_state=0, refit=False)
    with pytest.warns(FitFailedWarning, match="fits failed"):
        search.fit(X, y)
    res = search.cv_results_
    neg = np.array([p["epsilon"] < 0 for p in res["params"]])
    assert neg.any() and (~neg).any()
    assert (res["status"][neg] == "failed").all() and (res["status"][~neg] == "ok").all()
