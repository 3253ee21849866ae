"""Stoppers and budgets: the standard-error stop, fold-fit and resource budgets, and the
reason a search stopped."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.linear_model import Ridge, SGDClassifier
from sklearn.svm import SVC

from sktune import BayesSearchCV, HyperbandSearchCV, Real
from sktune.callbacks import (
    FitBudget,
    NoImprovement,
    ResourceBudget,
    ScoreThreshold,
    StandardErrorStop,
    TimeBudget,
)


def test_the_standard_error_stop_fires_on_a_flat_objective():
    X, y = make_regression(200, 5, noise=20.0, random_state=0)
    stop = StandardErrorStop(min_trials=8)
    search = BayesSearchCV(Ridge(), {"alpha": Real(1e-8, 1e-6, log=True)}, n_iter=40, cv=5,
                           random_state=0, callbacks=[stop]).fit(X, y)
    n = len(search.cv_results_["params"])
    assert 8 <= n < 15
    assert search.stop_reason_.startswith("callback: StandardErrorStop: at most")
    assert stop.bound_ < stop.stderr_


def test_the_standard_error_stop_does_not_fire_while_scores_improve():
    X, y = load_digits(return_X_y=True)
    stop = StandardErrorStop(min_trials=8)
    search = BayesSearchCV(SVC(), {"C": Real(1e-3, 1e3, log=True),
                                   "gamma": Real(1e-6, 1e1, log=True)}, n_iter=16, cv=3,
                           random_state=0, callbacks=[stop]).fit(X[:500], y[:500])
    scores = search.cv_results_["mean_test_score"]
    assert np.nanmax(scores[8:]) > np.nanmax(scores[:8]) or stop.bound_ > stop.stderr_
    assert len(scores) == 16 and search.stop_reason_ == "completed"
    assert stop.bound_ > stop.stderr_


def test_fit_and_resource_budgets_stop_where_they_say():
    X, y = load_digits(return_X_y=True)
    space = {"alpha": Real(1e-6, 1e-1, log=True)}
    search = HyperbandSearchCV(SGDClassifier(random_state=0), space, max_resources=27, cv=2,
                               random_state=0, asynchronous=True,
                               callbacks=[FitBudget(40)]).fit(X, y)
    fits = sum(len(r["fit_time"]) for r in search.history_)
    assert 40 <= fits <= 42  # one worker: the trial that crossed the budget ends it
    assert search.stop_reason_.startswith("callback: FitBudget: ")
    search = HyperbandSearchCV(SGDClassifier(random_state=0), space, max_resources=27, cv=2,
                               random_state=0, asynchronous=True,
                               callbacks=[ResourceBudget(100)]).fit(X, y)
    trained = sum((r["stop"] - r["start"]) * len(r["fit_time"]) for r in search.history_)
    assert 100 <= trained < 100 + 2 * 27  # at most one more piece of work
    assert search.stop_reason_.startswith("callback: ResourceBudget: ")


@pytest.mark.parametrize("callback, prefix", [
    (TimeBudget(1e-6), "callback: TimeBudget: "),
    (ScoreThreshold(-1e9), "callback: ScoreThreshold: best score"),
    (NoImprovement(patience=1, min_delta=10.0), "callback: NoImprovement: "),
    (lambda state: state.n_trials >= 2, "callback: <lambda> returned True"),
])
def test_stop_reason_names_the_callback(callback, prefix):
    X, y = make_regression(100, 3, random_state=0)
    search = BayesSearchCV(Ridge(), {"alpha": Real(1e-3, 1e3, log=True)}, n_iter=6, cv=2,
                           random_state=0, callbacks=[callback]).fit(X, y)
    assert search.stop_reason_.startswith(prefix)
    assert len(search.cv_results_["params"]) < 6
