"""An estimator that records the scikit-learn configuration its ``fit`` runs under.

It lives in an importable module so that loky and Dask worker processes can
unpickle it by reference.
"""

from __future__ import annotations

import json
import os
import uuid

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin


class ConfigRecorder(RegressorMixin, BaseEstimator):
    """Predicts the mean target; each ``fit`` writes ``working_memory`` to ``log_dir``."""

    def __init__(self, alpha=1.0, log_dir=None):
        self.alpha = alpha
        self.log_dir = log_dir

    def fit(self, X, y):
        self.mean_ = float(np.mean(y)) * self.alpha / (1.0 + self.alpha)
        entry = {"working_memory": sklearn.get_config()["working_memory"], "pid": os.getpid()}
        path = os.path.join(self.log_dir, f"{uuid.uuid4().hex}.json")
        with open(path, "w") as f:
            json.dump(entry, f)
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def read_fit_logs(log_dir):
    """The entries written by every ``fit``."""
    names = sorted(n for n in os.listdir(log_dir) if n.endswith(".json"))
    entries = []
    for name in names:
        with open(os.path.join(log_dir, name)) as f:
            entries.append(json.load(f))
    return entries


class ConfigLogger(TransformerMixin, BaseEstimator):
    """A pass-through step; each ``fit`` writes ``assume_finite`` and
    ``enable_metadata_routing`` (and its process id) to ``log_dir``."""

    def __init__(self, log_dir=None):
        self.log_dir = log_dir

    def fit(self, X, y=None):
        config = sklearn.get_config()
        entry = {k: config.get(k) for k in ("assume_finite", "enable_metadata_routing")}
        entry["pid"] = os.getpid()
        with open(os.path.join(self.log_dir, f"{uuid.uuid4().hex}.json"), "w") as f:
            json.dump(entry, f)
        return self

    def transform(self, X):
        return X
