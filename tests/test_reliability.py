"""Nothing lost, nothing leaked (issue 20): inputs that used to hang, overwrite or fail late."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from _exec_helpers import CountingClassifier
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge

from sktune import BayesSearchCV, HyperbandSearchCV, Real
from sktune.records import read_journal

X, Y = load_iris(return_X_y=True)


def _search(**kw):
    params = dict(n_iter=3, n_initial_points=2, cv=2, random_state=0)
    params.update(kw)
    return BayesSearchCV(CountingClassifier(), {"shrink": Real(0.0, 0.5)}, **params)


def _fails_before_training(search, match, *args, **fit_params):
    CountingClassifier.fit_calls = 0
    with pytest.raises(ValueError, match=match):
        search.fit(*args, **fit_params)
    assert CountingClassifier.fit_calls == 0
    assert not hasattr(search, "cv_results_")


@pytest.mark.parametrize("content", [
    b"my notes, one line and no newline",
    b"line one\nline two\n",
    json.dumps({"lr": 0.1, "layers": [64, 64]}).encode() + b"\n",
    pickle.dumps(LogisticRegression()),
])
def test_a_file_that_is_not_a_journal_is_never_overwritten(tmp_path, content):
    path = tmp_path / "precious.txt"
    path.write_bytes(content)
    _fails_before_training(_search(journal=str(path)), "'journal'.*not a sktune journal", X, Y)
    assert path.read_bytes() == content


def test_an_empty_file_or_a_journal_of_this_search_is_taken(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_bytes(b"")
    first = _search(journal=str(path)).fit(X, Y)
    again = _search(journal=str(path)).fit(X, Y)
    assert again.n_replayed_jobs_ == 3 * 2
    assert [e["event"] for e in read_journal(path)[0]].count("start") == 2
    np.testing.assert_array_equal(first.cv_results_["mean_test_score"],
                                  again.cv_results_["mean_test_score"])


@pytest.mark.parametrize("cv, match", [
    ([], "no train/test splits"),
    (iter([]), "no train/test splits"),
    ([(np.arange(75), np.array([], dtype=int))], "test fold of split 0 is empty"),
    ([(np.arange(75), np.arange(75, 200))], "outside the 150 rows"),
    ([(np.arange(75) - 200, np.arange(75, 150))], "outside the 150 rows"),
    ([(np.arange(100) < 75, np.arange(100) >= 75)], "boolean mask of shape"),
    ([(np.arange(75),)], "could not split the data"),
], ids=["empty-list", "empty-iterator", "empty-test", "beyond", "below", "mask", "single"])
def test_malformed_cv_fails_at_once_naming_cv(cv, match):
    _fails_before_training(_search(cv=cv), f"'cv'.*{match}", X, Y)


def test_hyperband_with_an_empty_cv_fails_at_once_instead_of_hanging():
    from sklearn.linear_model import SGDClassifier

    search = HyperbandSearchCV(SGDClassifier(), {"alpha": Real(1e-5, 1e-1, log=True)},
                               max_resources=9, cv=[])
    with pytest.raises(ValueError, match="'cv'"):
        search.fit(X, Y)


def test_y_none_for_a_classifier_fails_before_training():
    _fails_before_training(_search(), "needs y", X, None)


def test_nan_in_y_fails_before_training_naming_y():
    y = Y.astype(float)
    y[[3, 70]] = np.nan
    _fails_before_training(_search(), "y passed to BayesSearchCV.fit contains NaN \\(2", X, y)
    ridge = BayesSearchCV(Ridge(), {"alpha": Real(0.1, 10.0)}, n_iter=2, n_initial_points=2,
                          cv=2)
    with pytest.raises(ValueError, match="contains NaN"):
        ridge.fit(X, y)


def test_sample_weight_of_the_wrong_length_fails_before_training():
    _fails_before_training(_search(), "'sample_weight'.*has 149 values, but X has 150 rows",
                           X, Y, sample_weight=np.ones(149))
