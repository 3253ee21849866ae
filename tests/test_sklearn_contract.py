"""What a GridSearchCV / RandomizedSearchCV user relies on, checked on the three searches,
side by side with scikit-learn's own search where it applies.

Each case comes from a difference ``benchmarks/sklearn_conformance.py`` found when running
scikit-learn's own search tests with sktune's classes in place of scikit-learn's.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktune import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV
from sktune.resources import FullFit

X, y = make_classification(n_samples=60, n_features=4, random_state=0)
CLASSES = ["bayes", "hyperband", "population"]


def search(kind, estimator, space, n, **kw):
    """The sktune search ``kind`` trying ``n`` configurations, each trained fully once (as
    GridSearchCV does: the same mapping as the conformance run's adapters)."""
    kw.setdefault("cv", 2)
    if kind == "bayes":
        return BayesSearchCV(estimator, space, n_iter=n, n_initial_points=n, **kw)
    if kind == "hyperband":
        return HyperbandSearchCV(estimator, space, resource=FullFit(), min_resources=1,
                                 max_resources=1, asynchronous=True, n_candidates=n, **kw)
    return PopulationSearchCV(estimator, space, resource="fit", max_resources=1,
                              perturbation_interval=1, population_size=max(n, 2), **kw)


class TieClassifier(ClassifierMixin, BaseEstimator):
    """Scores 1 for every ``p > 1``, 0 otherwise: candidates tie."""

    def __init__(self, p=1):
        self.p = p

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y=None):
        return float(self.p > 1)


class FitReturnsNone(ClassifierMixin, BaseEstimator):
    """An old-style estimator whose ``fit`` returns None (scikit-learn ignores it)."""

    def __init__(self, p=1):
        self.p = p

    def fit(self, X, y):
        self.classes_ = np.unique(y)

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class AnyParams(ClassifierMixin, BaseEstimator):
    """An estimator whose set_params takes any name (as a third-party one may)."""

    def __init__(self, param=1):
        self.param = param

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


# -- input and estimators GridSearchCV takes --------------------------------------------------
@pytest.mark.parametrize("kind", CLASSES)
def test_an_estimator_whose_fit_returns_none_is_searched(kind):
    grid = GridSearchCV(FitReturnsNone(), {"p": [1, 2]}, cv=2).fit(X, y)
    ours = search(kind, FitReturnsNone(), {"p": [1, 2]}, 2, random_state=0).fit(X, y)
    assert isinstance(ours.best_estimator_, FitReturnsNone)
    np.testing.assert_array_equal(ours.predict(X), grid.predict(X))
    assert set(ours.cv_results_["status"]) == {"ok"}








class TwoSplitsSaidThree(KFold):
    def get_n_splits(self, X=None, y=None, groups=None):
        return 3








# -- the search space ---------------------------------------------------------------------








# -- results and display ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", CLASSES)
def test_param_columns_have_grid_search_dtypes(kind):
    space = [{"fit_intercept": [True, False], "C": [1, 10]}, {"C": [100]}]
    grid = GridSearchCV(LogisticRegression(), space, cv=2).fit(X, y)
    ours = search(kind, LogisticRegression(), space, 5, random_state=0).fit(X, y)
    for key in ("param_fit_intercept", "param_C"):
        assert ours.cv_results_[key].dtype == grid.cv_results_[key].dtype, key
    assert ours.cv_results_["param_fit_intercept"].dtype == bool
    assert ours.cv_results_["param_C"].dtype.kind == "i"


@pytest.mark.parametrize("kind", CLASSES)
def test_best_index_and_score_are_numpy_scalars_as_in_grid_search(kind):
    grid = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    ours = search(kind, LogisticRegression(), {"C": [0.1, 1.0]}, 2, random_state=0).fit(X, y)
    assert type(ours.best_index_) is type(grid.best_index_) is np.int64
    assert type(ours.best_score_) is type(grid.best_score_) is np.float64


@pytest.mark.parametrize("kind", CLASSES)
def test_html_repr_shows_the_best_estimator_after_refit(kind):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", DummyClassifier())])
    space = {"clf": [LogisticRegression(), LogisticRegression(C=10.0)]}
    for refit, shown in ((False, "DummyClassifier"), (True, "LogisticRegression")):
        ours = search(kind, pipe, space, 2, refit=refit, random_state=0)
        with config_context(display="diagram"):
            assert "<div>DummyClassifier</div>" in ours._repr_html_()  # unfitted: the estimator
            ours.fit(X, y)
            html = ours._repr_html_()
        assert f"<div>{shown}</div>" in html
        assert ("best_estimator_: Pipeline" in html) is refit










# -- scikit-learn's estimator checks on HyperbandSearchCV -------------------------------------


# of the failures scikit-learn expects of its own searches, only this one is left


