"""Test helpers of the execution and failure tests: a search over a fixed list of
configurations, and real estimators that fail in chosen ways.

Kept in an importable module so that worker processes can unpickle them.
"""

from __future__ import annotations

import json
import os
import signal
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.linear_model import Ridge

from sktune.proposers.base import Proposer
from sktune.proposers.random import RandomProposer
from sktune.schedulers.fifo import FIFOScheduler
from sktune.search import BaseSearch


class Fragile(RegressorMixin, BaseEstimator):
    """A ridge regression that fails on purpose when ``action`` says so.

    ``"raise"`` raises, ``"nan"`` predicts NaN, ``"hang"`` sleeps ``sleep``
    seconds, ``"die"`` ends its process, ``"segv"`` crashes it. ``log_dir``
    (optional) receives one JSON file per fit: device, pid, start and end.
    """

    def __init__(self, action="ok", alpha=1.0, sleep=60.0, device=None, log_dir=None):
        self.action = action
        self.alpha = alpha
        self.sleep = sleep
        self.device = device
        self.log_dir = log_dir

    def fit(self, X, y):
        start = time.time()
        if self.action == "raise":
            raise RuntimeError("boom from a bad trial")
        if self.action == "die":
            os._exit(7)
        if self.action == "segv":
            os.kill(os.getpid(), signal.SIGSEGV)
        if self.action in ("hang", "slow"):
            time.sleep(self.sleep)
        self.model_ = Ridge(alpha=self.alpha).fit(X, y)
        if self.log_dir is not None:
            name = f"{os.getpid()}-{time.monotonic_ns()}.json"
            with open(os.path.join(self.log_dir, name), "w") as f:
                json.dump({"device": self.device, "pid": os.getpid(), "start": start,
                           "end": time.time(), "alpha": self.alpha}, f)
        return self

    def predict(self, X):
        p = self.model_.predict(X)
        return np.full_like(p, np.nan) if self.action == "nan" else p


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """A nearest-centroid-like classifier that counts its ``fit`` calls (class-wide)."""

    fit_calls = 0

    def __init__(self, shrink=0.0, device=None):
        self.shrink = shrink
        self.device = device

    def fit(self, X, y):
        type(self).fit_calls += 1
        X = np.asarray(X, dtype=float)
        self.classes_ = np.unique(y)
        self.centroids_ = np.array([X[y == c].mean(axis=0) for c in self.classes_])
        self.centroids_ *= 1 - self.shrink
        return self

    def predict(self, X):
        d = ((np.asarray(X, dtype=float)[:, None, :] - self.centroids_[None]) ** 2).sum(-1)
        return self.classes_[d.argmin(axis=1)]


class ListProposer(Proposer):
    """Proposes the configurations of a list, in order."""

    def __init__(self, space, items):
        super().__init__(space)
        self.items = list(items)
        self.i = 0

    def ask(self, n, *, pending=()):
        out = self.items[self.i:self.i + n]
        self.i += len(out)
        return [dict(p) for p in out]


class ListSearch(BaseSearch):
    """A search over a given list of configurations (``items``), ``n_points`` per round."""

    _space_param = "space"

    def __init__(self, estimator, space, items=(), *, n_points=1, scoring=None, n_jobs=None,
                 refit=True, cv=None, verbose=0, random_state=None, error_score=np.nan,
                 return_train_score=False, callbacks=None, devices=None, trials_per_device=1,
                 device_param=None, journal=None, trial_timeout=None):
        self.estimator = estimator
        self.space = space
        self.items = items
        self.n_points = n_points
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.callbacks = callbacks
        self.devices = devices
        self.trials_per_device = trials_per_device
        self.device_param = device_param
        self.journal = journal
        self.trial_timeout = trial_timeout

    def _make_scheduler(self, space, rng, context):
        items = list(self.items)
        scheduler = FIFOScheduler(ListProposer(space, items), len(items), batch_size=self.n_points)
        scheduler.n_total = len(items)
        return scheduler


class RandomSearch(BaseSearch):
    """Quasi-random search: ``n_iter`` Sobol trials (cheap proposals, for long runs)."""

    _space_param = "space"

    def __init__(self, estimator, space, *, n_iter=10, n_points=1, scoring=None, n_jobs=None,
                 refit=True, cv=None, verbose=0, random_state=None, error_score=np.nan,
                 return_train_score=False, callbacks=None, devices=None, trials_per_device=1,
                 device_param=None, journal=None, trial_timeout=None):
        self.estimator = estimator
        self.space = space
        self.n_iter = n_iter
        self.n_points = n_points
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.callbacks = callbacks
        self.devices = devices
        self.trials_per_device = trials_per_device
        self.device_param = device_param
        self.journal = journal
        self.trial_timeout = trial_timeout

    def _make_scheduler(self, space, rng, context):
        scheduler = FIFOScheduler(RandomProposer(space, random_state=rng), self.n_iter,
                                  batch_size=self.n_points)
        scheduler.n_total = self.n_iter
        return scheduler


def read_logs(log_dir):
    out = []
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name)) as f:
            out.append(json.load(f))
    return out


def same_results(a, b, keys=("mean_test_score", "params")):
    """Whether two searches have the same scores and parameters, row for row."""
    for key in keys:
        x, y = a.cv_results_[key], b.cv_results_[key]
        if key == "params":
            if list(x) != list(y):
                return False
        elif not np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True):
            return False
    n = a.n_splits_
    return all(
        np.array_equal(a.cv_results_[f"split{k}_test_score"], b.cv_results_[f"split{k}_test_score"],
                       equal_nan=True)
        for k in range(n)
    )
