"""Failures, NaN scores, dict scorers and refit, side by side with GridSearchCV (issue 13).

Every sktune search runs first; a ``GridSearchCV`` then fits exactly the rows it
recorded (with Hyperband's budget as a parameter), so the two ``cv_results_``
can be compared column by column.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.metaestimators import available_if

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, PopulationSearchCV

X, y = make_classification(90, 4, random_state=0)
X = np.c_[X, np.zeros(len(X))]
X[0, -1] = 1.0  # the flagged row: in the test set of fold 0 of CV, in the training set else
CV = KFold(3)
C_VALUES = [0.1, 0.3, 3.0, 10.0]
KINDS = ["bayes", "hyperband", "population"]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class FoldFragile(ClassifierMixin, BaseEstimator):
    """A logistic regression that fails, with ``C >= fail_from``, when trained without the
    flagged row (so on fold 0 of ``CV`` only); ``always=True`` fails every fit."""

    def __init__(self, C=1.0, budget=50, fail_from=1.0, always=False, proba=True):
        self.C = C
        self.budget = budget
        self.fail_from = fail_from
        self.always = always
        self.proba = proba

    def fit(self, X, y):
        X = np.asarray(X)
        if self.always or (self.C >= self.fail_from and X[:, -1].max() < 0.5):
            raise ValueError("trained without the flagged row")
        self.model_ = LogisticRegression(C=self.C, max_iter=self.budget).fit(X[:, :-1], y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(np.asarray(X)[:, :-1])

    @available_if(lambda self: self.proba)
    def predict_proba(self, X):
        return self.model_.predict_proba(np.asarray(X)[:, :-1])


def make(kind, estimator, values=C_VALUES, space=None, **kw):
    space = {"C": Categorical(values)} if space is None else space
    if kind == "bayes":
        return BayesSearchCV(estimator, space, n_iter=len(values), n_initial_points=len(values),
                             cv=CV, random_state=0, **kw)
    if kind == "hyperband":
        return HyperbandSearchCV(estimator, space, resource="budget", max_resources=9,
                                 min_resources=3, cv=CV, random_state=0, **kw)
    kw.setdefault("holdout", None)  # every row in the CV folds, as GridSearchCV's
    return PopulationSearchCV(estimator, space, resource="fit", population_size=4,
                              max_resources=2, perturbation_interval=1, cv=CV, random_state=0,
                              **kw)


def twin(search, estimator, **kw):
    """A GridSearchCV over exactly the rows ``search`` recorded, in the same order."""
    res = search.cv_results_
    grid = [{"C": [p["C"]]} for p in res["params"]]
    if isinstance(search, HyperbandSearchCV):
        grid = [{**g, "budget": [int(b)]} for g, b in zip(grid, res["n_resources"])]
    return GridSearchCV(estimator, grid, cv=CV, **kw)


def fit_recording(search):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return record


def messages(record, category, contains=""):
    return [str(w.message) for w in record if w.category is category and contains in
            str(w.message)]


def assert_same_scores(ours, theirs, metrics=("score",)):
    for m in metrics:
        for key in [f"split{k}_test_{m}" for k in range(3)] + [f"mean_test_{m}",
                                                               f"rank_test_{m}"]:
            np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key],
                                          err_msg=key)


# -- a fit that fails on one fold ----------------------------------------------------------
@pytest.mark.parametrize("error_score", [np.nan, 0.0])
@pytest.mark.parametrize("kind", KINDS)
def test_a_fold_that_fails_warns_and_is_scored_as_grid_search_does(kind, error_score):
    search = make(kind, FoldFragile(), error_score=error_score)
    ours = fit_recording(search)
    grid = twin(search, FoldFragile(), error_score=error_score)
    theirs = fit_recording(grid)

    [our_text] = messages(ours, FitFailedWarning)
    [their_text] = messages(theirs, FitFailedWarning)
    head = their_text.split("Below are more details")[0]
    assert re.match(r"\n\d+ fits failed out of a total of \d+\.\n", head)
    assert our_text.startswith(head)  # same counts, same error_score, same advice
    n_failed = int(head.split()[0])
    assert (f"{n_failed} fits failed with the following error:\n"
            "ValueError: trained without the flagged row") in our_text
    assert their_text.rstrip().endswith("ValueError: trained without the flagged row")
    assert not messages(ours, UserWarning, "trials failed")

    assert_same_scores(search, grid)  # the failed folds hold error_score, the mean all folds
    failed = np.array([p["C"] >= 1 for p in search.cv_results_["params"]])
    assert failed.any() and (~failed).any()
    assert (search.cv_results_["split0_test_score"][failed] == error_score).all() or \
        np.isnan(error_score)
    assert search.cv_results_["status"][failed].tolist() == ["failed"] * failed.sum()
    # the non-finite warning comes exactly when GridSearchCV gives it
    assert messages(ours, UserWarning, "non-finite") == messages(theirs, UserWarning,
                                                                 "non-finite")
    assert search.best_params_["C"] < 1 or error_score == 0.0


@pytest.mark.parametrize("kind", KINDS)
def test_every_fit_failing_raises_grid_search_value_error(kind):
    with pytest.raises(ValueError) as theirs:
        GridSearchCV(FoldFragile(always=True), {"C": C_VALUES}, cv=CV).fit(X, y)
    with pytest.raises(ValueError) as ours:
        make(kind, FoldFragile(always=True)).fit(X, y)
    pattern = (r"\nAll the (\d+) fits failed\.\nIt is very likely that your model is "
               r"misconfigured\.\nYou can try to debug the error by setting error_score="
               r"'raise'\.\n\nBelow are more details about the failures:\n-{80}\n"
               r"\1 fits failed with the following error:\n")
    assert re.match(pattern, str(theirs.value))
    match = re.match(pattern, str(ours.value))
    assert match, str(ours.value)
    assert "ValueError: trained without the flagged row" in str(ours.value)
    if kind == "bayes":  # the same candidates: the same count
        assert match.group(0) == re.match(pattern, str(theirs.value)).group(0)


@pytest.mark.parametrize("error_score", [np.nan, 0.0])
def test_a_lone_candidate_failing_one_fold_is_refitted_as_grid_search(error_score):
    search = make("bayes", FoldFragile(), values=[3.0], error_score=error_score)
    ours = fit_recording(search)
    grid = GridSearchCV(FoldFragile(), {"C": [3.0]}, cv=CV, error_score=error_score)
    theirs = fit_recording(grid)
    assert messages(ours, FitFailedWarning)[0].startswith(
        messages(theirs, FitFailedWarning)[0].split("Below")[0])
    assert_same_scores(search, grid)
    assert search.best_index_ == grid.best_index_ == 0
    np.testing.assert_array_equal(search.best_score_, grid.best_score_)
    np.testing.assert_array_equal(search.predict(X), grid.predict(X))


# -- a NaN score is a score, not a failure ----------------------------------------------------
def nan_for_large_c(estimator, X, y):
    return np.nan if estimator.C >= 1 else accuracy_score(y, estimator.predict(X))


@pytest.mark.parametrize("kind", KINDS)
def test_a_nan_score_is_recorded_as_grid_search_records_it(kind):
    est = FoldFragile(fail_from=np.inf)
    search = make(kind, est, scoring=nan_for_large_c, error_score="raise")
    ours = fit_recording(search)  # error_score="raise" does not raise on a NaN score
    grid = twin(search, est, scoring=nan_for_large_c, error_score="raise")
    theirs = fit_recording(grid)

    assert_same_scores(search, grid)
    nan = np.array([p["C"] >= 1 for p in search.cv_results_["params"]])
    assert nan.any() and np.isnan(search.cv_results_["mean_test_score"][nan]).all()
    assert (search.cv_results_["status"] == "ok").all()
    assert not messages(ours, FitFailedWarning)
    their_warning = messages(theirs, UserWarning, "One or more of the test scores are non-finite")
    assert their_warning
    assert messages(ours, UserWarning, "non-finite") == their_warning
    assert search.best_params_["C"] < 1


# -- a callable scoring that returns a dict ---------------------------------------------------
def two_metrics(estimator, X, y):
    return {"accuracy": accuracy_score(y, estimator.predict(X)),
            "neg_log_loss": -log_loss(y, estimator.predict_proba(X), labels=[0, 1])}


@pytest.mark.parametrize("kind", KINDS)
def test_a_callable_returning_a_dict_is_multi_metric(kind):
    est = FoldFragile(fail_from=np.inf)
    search = make(kind, est, scoring=two_metrics, refit="neg_log_loss").fit(X, y)
    grid = twin(search, est, scoring=two_metrics, refit="neg_log_loss").fit(X, y)
    assert search.multimetric_ is grid.multimetric_ is True
    assert_same_scores(search, grid, ["accuracy", "neg_log_loss"])
    assert "mean_test_score" not in search.cv_results_
    means = search.cv_results_["mean_test_neg_log_loss"]
    assert search.best_score_ == means[search.best_index_]
    if kind == "bayes":
        assert search.best_index_ == grid.best_index_
        assert search.score(X, y) == grid.score(X, y)
    assert search.score(X, y) == two_metrics(search.best_estimator_, X, y)["neg_log_loss"]


@pytest.mark.parametrize("refit", [True, "nope"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_dict_callable_needs_a_refit_key_as_in_grid_search(kind, refit):
    est = FoldFragile(fail_from=np.inf)
    with pytest.raises(ValueError, match="For multi-metric scoring, the parameter refit must") \
            as theirs:
        GridSearchCV(est, {"C": C_VALUES}, cv=CV, scoring=two_metrics, refit=refit).fit(X, y)
    with pytest.raises(ValueError) as ours:
        make(kind, est, scoring=two_metrics, refit=refit).fit(X, y)
    assert str(ours.value) == str(theirs.value)


# -- refit ------------------------------------------------------------------------------------
METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform",
           "score_samples", "classes_")


@pytest.mark.parametrize("proba", [False, True])
@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_prediction_methods_are_those_of_grid_search(kind, refit, proba):
    # the base estimator has no predict_proba; the searched one has it when proba=True
    est = FoldFragile(fail_from=np.inf, proba=False)
    space = {"C": Categorical(C_VALUES), "proba": Categorical([proba])}
    search = make(kind, est, space=space, refit=refit)
    grid = GridSearchCV(est, {"C": C_VALUES, "proba": [proba]}, cv=CV, refit=refit)
    for obj in (search, grid):
        assert not hasattr(obj, "predict_proba")
    assert [hasattr(search, m) for m in METHODS] == [hasattr(grid, m) for m in METHODS]
    search.fit(X, y)
    grid.fit(X, y)
    assert [hasattr(search, m) for m in METHODS] == [hasattr(grid, m) for m in METHODS]
    assert hasattr(search, "predict_proba") is (refit and proba)


@pytest.mark.parametrize("kind", KINDS)
def test_several_metrics_without_refit_as_grid_search(kind):
    est = FoldFragile(fail_from=np.inf)
    scoring = ["accuracy", "neg_log_loss"]
    search = make(kind, est, scoring=scoring, refit=False).fit(X, y)
    grid = twin(search, est, scoring=scoring, refit=False).fit(X, y)
    assert search.multimetric_ is grid.multimetric_ is True
    assert_same_scores(search, grid, scoring)
    for attr in ("best_index_", "best_params_", "best_score_", "best_estimator_", "predict"):
        assert hasattr(search, attr) is hasattr(grid, attr) is False, attr


@pytest.mark.parametrize("returned, error, text", [
    (99, IndexError, "best_index_ index out of range"),
    (-1, IndexError, "best_index_ index out of range"),
    ("0", TypeError, "best_index_ returned is not an integer"),
])
@pytest.mark.parametrize("kind", KINDS)
def test_a_callable_refit_returning_a_bad_index_raises_as_grid_search(kind, returned, error,
                                                                      text):
    est = FoldFragile(fail_from=np.inf)
    with pytest.raises(error, match=text):
        GridSearchCV(est, {"C": C_VALUES}, cv=CV, refit=lambda res: returned).fit(X, y)
    with pytest.raises(error, match=text):
        make(kind, est, refit=lambda res: returned).fit(X, y)
