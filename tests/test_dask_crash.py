"""A trial that kills its Dask worker fails alone, and is named (issue 20, point 6).

A real ``LocalCluster`` of two one-thread worker processes: the crashing trial
really kills its worker (SIGKILL, ``os._exit``, SIGSEGV), the nanny starts a new
one, the data scattered to the dead worker is gone. The other trials must not
notice: they keep the scores of a run without the crash.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge

from sktune import BayesSearchCV, HyperbandSearchCV, Real

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")


class Crasher(RegressorMixin, BaseEstimator):
    """A ridge regression that kills its own process when ``alpha == crash_at``.

    ``how`` is ``"sigkill"``, ``"exit"`` (``os._exit(7)``) or ``"segv"``; with
    ``rows``, only a fit on that many rows does (one fold). With ``once`` (a file
    path) it does so only once: when that file does not exist yet. Importable by
    the workers (they unpickle it by reference).
    """

    def __init__(self, alpha=1.0, crash_at=None, how="sigkill", rows=None, once=None):
        self.alpha = alpha
        self.crash_at = crash_at
        self.how = how
        self.rows = rows
        self.once = once

    def _crash(self, n_rows):
        if self.crash_at is None or self.alpha != self.crash_at:
            return
        if self.rows is not None and n_rows != self.rows:
            return
        if self.once is not None:
            try:
                os.close(os.open(self.once, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return
        if self.how == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif self.how == "segv":  # a real one, in this thread
            ctypes.string_at(0)
        os._exit(7)

    def fit(self, X, y):
        self._crash(len(X))
        self.model_ = Ridge(alpha=self.alpha).fit(X, y)
        return self

    def partial_fit(self, X, y):
        return self.fit(X, y)

    def predict(self, X):
        return self.model_.predict(X)


SPACE = {"alpha": Real(1e-3, 1e3, log=True)}


@pytest.fixture(scope="module")
def client():
    # LocalCluster closes a nanny for good when its worker is missing 15 s after any
    # death of it (lost-worker-timeout): with deaths every few seconds, a restart in
    # progress at that moment would cost the cluster a worker
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "1h"}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0",
        )
        with cluster, distributed.Client(cluster) as c:
            yield c


@pytest.fixture(scope="module")
def data():
    return make_regression(80, 4, noise=10.0, random_state=0)


def bayes(crash_at=None, how="sigkill", once=None):
    # random points only: the proposals do not depend on the scores, so a run
    # with a failed trial proposes what the clean run proposed. Only the last of
    # the 3 folds (54 training rows of 80) crashes: the next trial's first fold
    # runs on the other worker meanwhile
    crasher = Crasher(crash_at=crash_at, how=how, rows=54, once=once)
    return BayesSearchCV(crasher, SPACE, n_iter=6, n_initial_points=6, n_points=2, cv=3,
                         random_state=0, refit=False, n_jobs=-1)


@pytest.fixture(scope="module")
def clean(client, data):
    with joblib.parallel_config(backend="dask"):
        return bayes().fit(*data)


def _alive(client):
    """Wait until both workers are up (the nanny restarts one a test killed)."""
    deadline = time.monotonic() + 30
    while len(client.scheduler_info()["workers"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)


@contextlib.contextmanager
def allowed_failures(client, n):
    """The scheduler's ``allowed-failures`` (deaths before a task fails with KilledWorker)."""
    def swap(dask_scheduler, n):
        old, dask_scheduler.allowed_failures = dask_scheduler.allowed_failures, n
        return old

    old = client.run_on_scheduler(swap, n=n)
    try:
        yield
    finally:
        client.run_on_scheduler(swap, n=old)


@pytest.mark.parametrize("how, code, failures", [
    ("sigkill", "SIGKILL", 3),  # Dask runs the tasks of a dead worker again (elsewhere)
    ("exit", "status 7", 0),  # Dask fails them at once (KilledWorker)
], ids=["sigkill", "exit-killedworker"])
def test_a_trial_that_kills_its_worker_fails_alone(client, data, clean, how, code, failures):
    _alive(client)
    X, y = data
    res0 = clean.cv_results_
    assert res0["status"].tolist() == ["ok"] * 6
    k = 2  # the guilty trial: the first of the second round
    crash_at = res0["params"][k]["alpha"]
    with joblib.parallel_config(backend="dask"), allowed_failures(client, failures), \
            pytest.warns(RuntimeWarning, match="A Dask worker died"):
        search = bayes(crash_at, how).fit(X, y)
    res = search.cv_results_
    assert res["status"].tolist() == ["ok"] * k + ["failed"] + ["ok"] * (5 - k)
    # the guilty trial is named: its worker died running it
    assert "WorkerDiedError" in res["error"][k] and "Dask worker" in res["error"][k]
    assert code in res["error"][k]
    # the innocent ones have the scores of the clean run, fold for fold
    others = [i for i in range(6) if i != k]
    assert [res["params"][i] for i in others] == [res0["params"][i] for i in others]
    for key in ("mean_test_score", "split0_test_score", "split1_test_score",
                "split2_test_score"):
        np.testing.assert_array_equal(res[key][others], res0[key][others])
    assert search.n_worker_restarts_ >= 1


def test_a_worker_that_dies_once_under_a_trial_costs_no_trial(client, data, clean, tmp_path):
    """Killed from outside, say: the trial runs again alone, and succeeds."""
    _alive(client)
    X, y = data
    res0 = clean.cv_results_
    with joblib.parallel_config(backend="dask"), \
            pytest.warns(RuntimeWarning, match="A Dask worker died .*run again"):
        search = bayes(res0["params"][3]["alpha"], "sigkill", str(tmp_path / "died")).fit(X, y)
    res = search.cv_results_
    assert (tmp_path / "died").exists()
    assert res["status"].tolist() == ["ok"] * 6
    assert res["params"] == res0["params"]
    np.testing.assert_array_equal(res["mean_test_score"], res0["mean_test_score"])
    assert search.n_worker_restarts_ == 1


def _rows(res):
    return {(t, r): i for i, (t, r) in enumerate(zip(res["trial_id"], res["rung"]))}


def test_hyperband_rungs_go_on_past_a_killed_worker(client, data):
    """A SIGSEGV in the first rung; the other trials are run and promoted as without it."""
    _alive(client)
    X, y = data

    def make(crash_at=None):
        return HyperbandSearchCV(Crasher(crash_at=crash_at, how="segv"), SPACE,
                                 resource="partial_fit", max_resources=3, factor=3, cv=2,
                                 random_state=0, refit=False, n_jobs=-1)

    with joblib.parallel_config(backend="dask"):
        ref = make().fit(X, y).cv_results_
        # the worst trial of the first rung of the widest bracket: never promoted anyway
        first = [i for i in range(len(ref["rung"]))
                 if ref["rung"][i] == 0 and ref["bracket"][i] == ref["bracket"].max()]
        k = min(first, key=lambda i: ref["mean_test_score"][i])
        with pytest.warns(RuntimeWarning, match="A Dask worker died"):
            res = make(ref["params"][k]["alpha"]).fit(X, y).cv_results_
    rows, ref_rows = _rows(res), _rows(ref)
    assert set(rows) == set(ref_rows)
    guilty = (ref["trial_id"][k], 0)
    i = rows[guilty]
    assert res["status"][i] == "failed" and "SIGSEGV" in res["error"][i]
    for key, j in ref_rows.items():
        if key != guilty:
            assert res["status"][rows[key]] == "ok"
            assert res["params"][rows[key]] == ref["params"][j]
            assert res["mean_test_score"][rows[key]] == ref["mean_test_score"][j]
