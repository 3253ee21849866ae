"""A catalogue of bad inputs, each rejected before any training, naming the parameter (issue 4)."""

from __future__ import annotations

import numpy as np
import pytest
from _exec_helpers import CountingClassifier
from sklearn.datasets import load_iris

from sktune import BayesSearchCV, Real

X, Y = load_iris(return_X_y=True)

CASES = [
    # (parameter named in the message, overrides of the search's parameters)
    ("estimator", dict(estimator="not an estimator")),
    ("estimator", dict(estimator=None)),
    ("search_spaces", dict(search_spaces=[])),  # {} is one configuration, as in GridSearchCV
    ("search_spaces", dict(search_spaces={"shrink": (1.0, 0.0)})),
    ("search_spaces", dict(search_spaces={"shrink": []})),
    ("search_spaces", dict(search_spaces={"no_such_param": Real(0.0, 1.0)})),
    ("search_spaces", dict(search_spaces="shrink")),
    ("search_spaces", dict(search_spaces=[{"shrink": Real(0.0, 0.5)}, 5])),
    ("search_spaces", dict(search_spaces={"shrink": (0.0, float("nan"))})),
    ("search_spaces", dict(search_spaces={3: [1, 2]})),
    ("n_iter", dict(n_iter=0)),
    ("n_iter", dict(n_iter=2.5)),
    ("n_iter", dict(n_iter="10")),
    ("n_iter", dict(n_iter=True)),
    ("n_initial_points", dict(n_initial_points=0)),
    ("acq_func", dict(acq_func="EIPS")),
    ("xi", dict(xi=-0.1)),
    ("kappa", dict(kappa=-1.0)),
    ("n_points", dict(n_points=0)),
    ("scoring", dict(scoring="not_a_metric")),
    ("scoring", dict(scoring=5)),
    ("scoring", dict(scoring=[])),
    ("scoring", dict(scoring=["accuracy", "accuracy"])),
    ("scoring", dict(scoring={})),
    ("n_jobs", dict(n_jobs=0)),
    ("n_jobs", dict(n_jobs=1.5)),
    ("n_jobs", dict(n_jobs="2")),
    # with one str metric any str refit is refit=True, as in GridSearchCV (test_conformance)
    ("refit", dict(refit="accuracy", scoring={"f1": "f1_macro"})),
    ("refit", dict(refit=5)),
    ("refit", dict(refit="recall_macro", scoring=["accuracy", "f1_macro"])),
    ("refit", dict(refit=True, scoring=["accuracy", "f1_macro"])),
    ("cv", dict(cv=1)),
    ("cv", dict(cv="five")),
    ("cv", dict(cv=0)),
    ("verbose", dict(verbose=-1)),
    ("random_state", dict(random_state=-1)),
    ("random_state", dict(random_state="seed")),
    ("error_score", dict(error_score="zero")),
    ("error_score", dict(error_score=float("inf"))),
    ("return_train_score", dict(return_train_score="yes")),
    ("callbacks", dict(callbacks=5)),
    ("callbacks", dict(callbacks=[print, 3])),
    ("devices", dict(devices=[])),
    ("devices", dict(devices=[0])),
    ("devices", dict(devices="GPU 0")),
    ("devices", dict(devices="cuda:7")),
    ("trials_per_device", dict(trials_per_device=0)),
    ("trials_per_device", dict(trials_per_device=1.5)),
    ("device_param", dict(devices="cpu", device_param="no_such_param")),
    ("journal", dict(journal=123)),
    ("journal", dict(journal="")),
    ("journal", dict(journal="{tmp}")),
    ("journal", dict(journal="{tmp}/missing/run.jsonl")),
    ("trial_timeout", dict(trial_timeout=0)),
    ("trial_timeout", dict(trial_timeout=-5.0)),
    ("trial_timeout", dict(trial_timeout="10")),
    ("trial_timeout", dict(trial_timeout=float("nan"))),
]


def test_the_catalogue_is_long_enough():
    assert len(CASES) >= 40
    assert len({p for p, _ in CASES}) >= 20


@pytest.mark.parametrize("param, overrides", CASES,
                         ids=[f"{p}-{i}" for i, (p, _) in enumerate(CASES)])
def test_bad_input_fails_before_any_fit_and_names_the_parameter(param, overrides, tmp_path):
    params = dict(estimator=CountingClassifier(), search_spaces={"shrink": Real(0.0, 0.5)},
                  n_iter=3, n_initial_points=2, cv=2, random_state=0)
    params.update({k: v.format(tmp=tmp_path) if isinstance(v, str) and "{tmp}" in v else v
                   for k, v in overrides.items()})
    estimator = params.pop("estimator")
    search = BayesSearchCV(estimator, **params)
    CountingClassifier.fit_calls = 0
    with pytest.raises((ValueError, TypeError)) as info:
        search.fit(X, Y)
    assert CountingClassifier.fit_calls == 0, "an estimator was fitted before the error"
    assert param in str(info.value), str(info.value)
    assert not hasattr(search, "cv_results_")
    assert list(tmp_path.iterdir()) == []  # no journal file was created


def test_the_good_configuration_of_the_catalogue_runs():
    CountingClassifier.fit_calls = 0
    search = BayesSearchCV(CountingClassifier(), {"shrink": Real(0.0, 0.5)}, n_iter=3,
                           n_initial_points=2, cv=2, random_state=0).fit(X, Y)
    assert CountingClassifier.fit_calls == 3 * 2 + 1
    assert np.isfinite(search.best_score_)
