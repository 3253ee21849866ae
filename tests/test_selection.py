"""Standard errors, ties with the best and the one-standard-error refit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from sktune import BayesSearchCV, Real
from sktune.selection import OneStandardErrorRule, standard_error, tied_with_best

X, y = load_iris(return_X_y=True)
SPACE = {"C": Real(1e-3, 1e2, log=True)}


def search(**kw):
    return BayesSearchCV(LogisticRegression(max_iter=500), SPACE, n_iter=10, cv=5,
                         random_state=0, **kw)


@pytest.fixture(scope="module")
def fitted():
    return search().fit(X, y)


def test_the_fitted_search_gives_the_best_standard_error_and_its_ties(fitted):
    res = fitted.cv_results_
    i = fitted.best_index_
    folds = np.array([res[f"split{k}_test_score"][i] for k in range(5)])
    assert fitted.best_score_std_error_ == pytest.approx(folds.std(ddof=1) / np.sqrt(5))
    tied = res["tied_with_best"]
    assert tied.dtype == bool and tied[i]
    # a clearly worse trial (30 points below, fold after fold) is not tied
    assert not tied[res["mean_test_score"] < fitted.best_score_ - 0.3].any()


def test_ties_follow_the_corrected_paired_t_test():
    res = {"params": [{}] * 3,
           "split0_test_score": [0.90, 0.88, 0.70], "split1_test_score": [0.92, 0.91, 0.72],
           "split2_test_score": [0.91, 0.90, 0.69], "split3_test_score": [0.93, 0.925, 0.71]}
    assert tied_with_best(res, 0).tolist() == [True, True, False]
    # without the overlap correction (n_test/n_train = 0) the second is separated too
    assert tied_with_best(res, 0, test_size=0.0).tolist() == [True, False, False]


def test_raced_and_failed_rows_are_never_tied():
    res = {"params": [{}] * 3, "status": np.array(["ok", "raced", "failed"], dtype=object),
           "split0_test_score": [0.9, 0.9, 0.9], "split1_test_score": [0.91, 0.91, 0.91],
           "split2_test_score": [0.92, np.nan, 0.92]}
    assert tied_with_best(res, 0).tolist() == [True, False, False]


def test_one_standard_error_rule_picks_the_simplest_within_one_se(fitted):
    res = fitted.cv_results_
    chosen = search(refit=OneStandardErrorRule("C")).fit(X, y)
    i = chosen.best_index_
    best = int(np.argmax(res["mean_test_score"]))
    se = standard_error(res)[best]
    within = res["mean_test_score"] >= res["mean_test_score"][best] - se
    assert within[i]
    assert chosen.best_params_["C"] == min(p["C"] for p, w in zip(res["params"], within) if w)
    assert chosen.best_params_["C"] <= res["params"][best]["C"]
    # "-C": the larger C the simpler, so the largest C within one SE
    larger = search(refit=OneStandardErrorRule("-C")).fit(X, y)
    assert larger.best_params_["C"] == max(p["C"] for p, w in zip(res["params"], within) if w)
    assert hasattr(chosen, "best_estimator_")


def test_one_standard_error_rule_with_a_key_and_bad_names():
    res = {"params": [{"C": 1.0}, {"C": 0.1}], "mean_test_score": np.array([0.9, 0.89]),
           "status": np.array(["ok", "ok"], dtype=object),
           "split0_test_score": [0.88, 0.87], "split1_test_score": [0.92, 0.91]}
    assert OneStandardErrorRule(lambda p: p["C"])(res) == 1
    with pytest.raises(KeyError, match="'alpha' of 'simplicity'"):
        OneStandardErrorRule("alpha")(res)
