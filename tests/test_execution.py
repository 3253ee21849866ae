"""Execution layer: workers, backends, device slots, determinism (issue 3)."""

from __future__ import annotations

import warnings

import joblib
import numpy as np
import pytest
from _exec_helpers import CountingClassifier, Fragile, ListSearch, read_logs, same_results
from sklearn.datasets import load_iris, make_regression
from sklearn.linear_model import Ridge

from sktune import BayesSearchCV, Real
from sktune._evaluate import Data, Job
from sktune.execution import Executor, resolve_devices
from sktune.resources import FullFit


def _has_cuda():
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


cuda = pytest.mark.cuda
needs_cuda = pytest.mark.skipif(not _has_cuda(), reason="no CUDA device")


@pytest.fixture(scope="module")
def reg_data():
    return make_regression(150, 6, noise=10.0, random_state=0)


def bayes(**kw):
    params = dict(n_iter=6, n_initial_points=3, n_points=2, cv=3, random_state=0, refit=False)
    params.update(kw)
    return BayesSearchCV(Ridge(), {"alpha": Real(1e-3, 1e3, log=True)}, **params)


def test_same_random_state_same_results_inline_loky_and_threads(reg_data):
    X, y = reg_data
    one = bayes(n_jobs=1).fit(X, y)
    two = bayes(n_jobs=2).fit(X, y)
    with joblib.parallel_config(backend="threading"):
        threads = bayes(n_jobs=2).fit(X, y)
    assert one.n_workers_ == 1 and two.n_workers_ == 2
    assert same_results(one, two) and same_results(one, threads)


def test_busy_time_measures_the_jobs(reg_data):
    X, y = reg_data
    items = [{"action": "slow", "alpha": a} for a in (1.0, 2.0)]
    search = ListSearch(Fragile(sleep=0.2), {"action": ["slow"], "alpha": (0.1, 10.0)}, items,
                        cv=2, refit=False).fit(X, y)
    assert 0.8 <= search.busy_time_ <= search.search_time_ * search.n_workers_ + 0.05
    assert (search.cv_results_["mean_fit_time"] >= 0.2).all()


def _pid_after_nap():
    import os
    import time

    time.sleep(0.3)
    return os.getpid()


def _joblib_worker_pids():
    return set(joblib.Parallel(n_jobs=2)(joblib.delayed(_pid_after_nap)() for _ in range(4)))


@pytest.mark.slow
def test_searches_share_joblibs_warm_worker_pool(reg_data):
    # GridSearchCV and sktune alternate without restarting each other's workers
    X, y = reg_data
    before = _joblib_worker_pids()
    bayes(n_jobs=2).fit(X, y)
    assert _joblib_worker_pids() == before


def test_loky_workers_cap_their_threads(reg_data):
    X, y = reg_data
    search = bayes(n_jobs=2, scoring=_thread_scorer).fit(X, y)
    expected = max(1, joblib.cpu_count() // 2)
    assert (search.cv_results_["mean_test_blas_threads"] <= expected).all()


def _thread_scorer(estimator, X, y):
    from threadpoolctl import threadpool_info

    counts = [lib["num_threads"] for lib in threadpool_info()] or [1]
    return {"score": estimator.score(X, y), "blas_threads": float(max(counts))}


def test_device_slots_are_never_oversubscribed_and_recorded(reg_data, tmp_path):
    X, y = reg_data
    items = [{"action": "slow", "alpha": 0.5 + i} for i in range(6)]
    est = Fragile(sleep=0.15, log_dir=str(tmp_path))
    search = ListSearch(est, {"action": ["slow"], "alpha": (0.1, 10.0)}, items, cv=2, n_jobs=4,
                        n_points=3, devices=["fake:0", "fake:1"], refit=False).fit(X, y)
    assert search.n_workers_ == 2  # one job per device slot
    assert set(search.cv_results_["device"]) <= {"fake:0", "fake:1", "fake:0,fake:1"}
    logs = read_logs(tmp_path)
    assert len(logs) == 12 and {entry["device"] for entry in logs} == {"fake:0", "fake:1"}
    for device in ("fake:0", "fake:1"):
        spans = sorted((e["start"], e["end"]) for e in logs if e["device"] == device)
        assert all(b[0] >= a[1] - 1e-3 for a, b in zip(spans, spans[1:])), device


def test_trials_per_device_shares_a_device(reg_data, tmp_path):
    X, y = reg_data
    items = [{"action": "slow", "alpha": 0.5 + i} for i in range(4)]
    est = Fragile(sleep=0.3, log_dir=str(tmp_path))
    search = ListSearch(est, {"action": ["slow"], "alpha": (0.1, 10.0)}, items, cv=2, n_jobs=2,
                        n_points=2, devices="fake:0", trials_per_device=2, refit=False)
    with joblib.parallel_config(backend="threading"):
        search.fit(X, y)
    logs = sorted(read_logs(tmp_path), key=lambda e: e["start"])
    assert search.n_workers_ == 2 and {e["device"] for e in logs} == {"fake:0"}
    overlap = max(sum(1 for e in logs if e["start"] < t < e["end"]) for t in
                  [e["start"] + 0.05 for e in logs])
    assert overlap == 2  # two jobs share the device at once, never three


def test_skorch_nets_on_two_cpu_devices():
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    X, y = load_iris(return_X_y=True)
    net = skorch.NeuralNetClassifier(
        torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)),
        criterion=torch.nn.CrossEntropyLoss, max_epochs=3, train_split=None, verbose=0,
    )
    search = BayesSearchCV(net, {"lr": Real(1e-3, 1e-1, log=True)}, n_iter=4, n_initial_points=4,
                           n_points=2, cv=2, n_jobs=2, devices=["cpu", "cpu"], random_state=0,
                           refit=True)
    search.fit(X.astype(np.float32), y.astype(np.int64))
    assert search.cv_results_["device"].tolist() == ["cpu"] * 4
    assert search.best_estimator_.device == "cpu"
    # torch is seeded per (trial, fold): the same nets train the same way in this process
    inline = BayesSearchCV(net, {"lr": Real(1e-3, 1e-1, log=True)}, n_iter=4, n_initial_points=4,
                           n_points=2, cv=2, n_jobs=1, random_state=0, refit=False)
    inline.fit(X.astype(np.float32), y.astype(np.int64))
    np.testing.assert_allclose(inline.cv_results_["mean_test_score"],
                               search.cv_results_["mean_test_score"], rtol=1e-6)


def test_a_job_gets_back_the_device_it_prefers():
    X, y = load_iris(return_X_y=True)
    data = Data(estimator=CountingClassifier(), X=X, y=y, splits=[(np.arange(100),
                np.arange(100, 150))], fit_params={}, scorers={"score": _accuracy},
                return_train_score=False, resource=FullFit(), device_param=None)
    with Executor(data, n_jobs=1, devices=["a", "b", "c"]) as ex:
        for device in ("c", "b", "c", None):
            ex.submit(Job(trial_id=0, fold=0, params={}, start=0, stop=None, seed=0, device=device))
            (res,) = ex.next_results()
            assert res.device == (device or "a") and res.error is None


def _accuracy(est, X, y):
    return float((est.predict(X) == y).mean())


def test_a_custom_joblib_backend_runs_the_jobs_in_rounds(reg_data):
    from joblib._parallel_backends import ThreadingBackend  # noqa: PLC2701 - test only

    class RoundsBackend(ThreadingBackend):  # a stand-in for Ray's joblib backend
        pass

    joblib.register_parallel_backend("sktune-test-rounds", RoundsBackend)
    X, y = reg_data
    local = bayes(n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="sktune-test-rounds", n_jobs=2):
        other = bayes(n_jobs=2).fit(X, y)
    assert same_results(local, other)


def test_verbose_two_prints_one_line_per_trial(reg_data, capsys):
    X, y = reg_data
    bayes(n_iter=3, n_points=1, verbose=2).fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[trial")]
    assert [ln.split()[:3] for ln in lines] == [["[trial", f"{i}/3]", "END"] for i in (1, 2, 3)]


def test_auto_devices_without_cuda_mean_the_cpu():
    if _has_cuda():
        pytest.skip("a CUDA device is visible")
    assert resolve_devices("auto") == [None]
    assert resolve_devices(["cuda:0", "cuda:1"], 2) == ["cuda:0"] * 2 + ["cuda:1"] * 2


@cuda
@needs_cuda
def test_auto_devices_do_not_initialise_cuda_in_this_process():
    import subprocess
    import sys

    code = ("import torch; from sktune.execution import resolve_devices; "
            "s = resolve_devices('auto', 2); "
            "print(s[:2] == ['cuda:0', 'cuda:0'], torch.cuda.is_initialized())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


@cuda
@needs_cuda
def test_skorch_nets_share_one_gpu():
    import skorch
    import torch

    X, y = load_iris(return_X_y=True)
    net = skorch.NeuralNetClassifier(
        torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)),
        criterion=torch.nn.CrossEntropyLoss, max_epochs=5, train_split=None, verbose=0,
    )
    for devices in ("auto", ["cuda:0"]):
        search = BayesSearchCV(net, {"lr": Real(1e-3, 1e-1, log=True)}, n_iter=4,
                               n_initial_points=4, n_points=4, cv=2, n_jobs=4, devices=devices,
                               trials_per_device=4, random_state=0, refit=True)
        search.fit(X.astype(np.float32), y.astype(np.int64))
        assert search.n_workers_ == 4
        assert search.cv_results_["device"].tolist() == ["cuda:0"] * 4
        assert str(search.best_estimator_.device) == "cuda:0"


def test_a_continuing_trial_stays_on_its_device():
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier

    from sktune import HyperbandSearchCV

    X, y = load_digits(return_X_y=True)
    search = HyperbandSearchCV(SGDClassifier(random_state=0), {"alpha": Real(1e-6, 1e-1, log=True)},
                               max_resources=9, min_resources=1, factor=3, cv=2, random_state=0,
                               refit=False, n_jobs=2, devices=["fake:0", "fake:1"])
    with joblib.parallel_config(backend="threading"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SGD's ConvergenceWarning on tiny budgets
        search.fit(X[:600] / 16.0, y[:600])
    last, kept, moved = {}, 0, 0
    for row in search.history_:  # in order: each trial's rungs follow each other
        for fold, device in enumerate(row["devices"]):
            key = (row["trial_id"], fold)
            if key in last:
                kept, moved = kept + (last[key] == device), moved + (last[key] != device)
            last[key] = device
    assert kept + moved >= 8
    assert kept >= 0.7 * (kept + moved), (kept, moved)
