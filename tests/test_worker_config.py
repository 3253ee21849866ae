"""The caller's scikit-learn configuration reaches every worker, as with GridSearchCV."""

from __future__ import annotations

import os

import joblib
import pytest
import sklearn
from _config_helpers import ConfigRecorder, read_fit_logs
from sklearn.datasets import make_regression

from sktune import BayesSearchCV, Real

N_ITER, CV = 4, 2


def _search(log_dir, n_jobs):
    return BayesSearchCV(ConfigRecorder(log_dir=str(log_dir)), {"alpha": Real(0.1, 10.0)},
                         n_iter=N_ITER, n_initial_points=2, n_points=2, cv=CV, n_jobs=n_jobs,
                         random_state=0, refit=False)


def _fit_under_config(log_dir, n_jobs):
    X, y = make_regression(60, 3, random_state=0)
    with sklearn.config_context(working_memory=123):
        _search(log_dir, n_jobs).fit(X, y)
    return read_fit_logs(log_dir)


def _assert_every_fit_saw_the_config(logs):
    assert len(logs) == N_ITER * CV
    assert [entry["working_memory"] for entry in logs] == [123] * len(logs)


def test_inline_fits_see_the_callers_config(tmp_path):
    _assert_every_fit_saw_the_config(_fit_under_config(tmp_path, n_jobs=1))


def test_thread_fits_see_the_callers_config(tmp_path):
    with joblib.parallel_config(backend="threading"):
        _assert_every_fit_saw_the_config(_fit_under_config(tmp_path, n_jobs=2))


def test_loky_fits_see_the_callers_config(tmp_path):
    logs = _fit_under_config(tmp_path, n_jobs=2)
    _assert_every_fit_saw_the_config(logs)
    assert all(entry["pid"] != os.getpid() for entry in logs)  # fitted in worker processes


@pytest.mark.slow
def test_dask_fits_see_the_callers_config(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as cluster, \
            distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        _assert_every_fit_saw_the_config(_fit_under_config(tmp_path, n_jobs=2))
