"""What a GridSearchCV / RandomizedSearchCV user relies on, checked on the three searches,
side by side with scikit-learn's own search where it applies.

Each case comes from a difference ``benchmarks/sklearn_conformance.py`` found when running
scikit-learn's own search tests with sktune's classes in place of scikit-learn's.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import sklearn
from scipy import stats
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.utils.estimator_checks import check_requires_y_none, parametrize_with_checks

from sktune import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV, Real
from sktune._compat import SKLEARN_VERSION
from sktune.resources import FullFit

X, y = make_classification(n_samples=60, n_features=4, random_state=0)
CLASSES = ["bayes", "hyperband", "population"]


_NEW_SKLEARN = pytest.mark.skipif(
    tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < (1, 6),
    reason="pins scikit-learn >= 1.6's own messages, column dtypes and HTML diagram")


def search(kind, estimator, space, n, **kw):
    """The sktune search ``kind`` trying ``n`` configurations, each trained fully once (as
    GridSearchCV does: the same mapping as the conformance run's adapters)."""
    kw.setdefault("cv", 2)
    if kind == "bayes":
        return BayesSearchCV(estimator, space, n_iter=n, n_initial_points=n, **kw)
    if kind == "hyperband":
        return HyperbandSearchCV(estimator, space, resource=FullFit(), min_resources=1,
                                 max_resources=1, asynchronous=True, n_candidates=n, **kw)
    kw.setdefault("holdout", None)  # every row in the CV folds, as GridSearchCV's
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


@pytest.mark.parametrize("kind", CLASSES)
def test_parameters_of_an_estimator_searched_as_a_choice(kind):
    # {"clf": [LinearSVC()], "clf__C": [...]}: the nested name exists once clf is set
    pipe = Pipeline([("scale", StandardScaler()), ("clf", None)])
    space = {"clf": [LinearSVC()], "clf__C": [0.01]}
    grid = GridSearchCV(pipe, space, cv=2, scoring="accuracy").fit(X, y)
    ours = search(kind, pipe, space, 1, scoring="accuracy", random_state=0).fit(X, y)
    assert ours.best_estimator_.named_steps["clf"].C == grid.best_estimator_.named_steps["clf"].C
    assert space["clf"][0].C == 1.0  # the choice itself is not changed


@pytest.mark.parametrize("kind", CLASSES)
def test_a_parameter_only_set_params_knows(kind):
    space = {"clf__anything": [1, 10]}
    pipe = Pipeline([("clf", AnyParams())])
    GridSearchCV(pipe, space, cv=2).fit(X, y)
    ours = search(kind, pipe, space, 2, random_state=0).fit(X, y)
    assert sorted(p["clf__anything"] for p in ours.cv_results_["params"]) == [1, 10]
    with pytest.raises(ValueError, match="'clfx__C' is not a parameter"):  # typos still fail
        search(kind, Pipeline([("clf", LogisticRegression())]), {"clfx__C": [1.0]}, 1).fit(X, y)


@pytest.mark.parametrize("kind", CLASSES)
def test_boolean_mask_splits_as_in_grid_search(kind):
    mask = np.arange(len(y)) % 2 == 0
    masks = [(mask, ~mask), (~mask, mask)]
    indices = [(np.flatnonzero(a), np.flatnonzero(b)) for a, b in masks]
    space = {"C": [0.1, 1.0]}
    grid = GridSearchCV(LogisticRegression(), space, cv=masks).fit(X, y)
    by_mask = search(kind, LogisticRegression(), space, 2, cv=masks, random_state=0).fit(X, y)
    by_index = search(kind, LogisticRegression(), space, 2, cv=indices, random_state=0).fit(X, y)
    np.testing.assert_allclose(by_mask.cv_results_["mean_test_score"],
                               by_index.cv_results_["mean_test_score"])
    assert by_mask.best_score_ == pytest.approx(grid.best_score_)


class TwoSplitsSaidThree(KFold):
    def get_n_splits(self, X=None, y=None, groups=None):
        return 3


@_NEW_SKLEARN
@pytest.mark.parametrize("kind", CLASSES)
def test_cv_messages_of_grid_search(kind):
    space = {"C": [0.1, 1.0]}
    with pytest.raises(ValueError, match="No fits were performed. Was the CV iterator empty"):
        search(kind, LogisticRegression(), space, 2, cv=iter([])).fit(X, y)
    msg = r"cv.split and cv.get_n_splits return inconsistent results. Expected 3 splits, got 2"
    with pytest.raises(ValueError, match=msg):
        RandomizedSearchCV(LogisticRegression(), space, n_iter=2,
                           cv=TwoSplitsSaidThree(2)).fit(X, y)
    with pytest.raises(ValueError, match=msg):
        search(kind, LogisticRegression(), space, 2, cv=TwoSplitsSaidThree(2)).fit(X, y)


@pytest.mark.parametrize("kind", CLASSES)
@pytest.mark.parametrize("estimator", [LogisticRegression(), Ridge()], ids=["clf", "reg"])
def test_y_none_fails_gracefully_as_estimator_checks_ask(kind, estimator):
    name = "C" if isinstance(estimator, LogisticRegression) else "alpha"
    check_requires_y_none("search", search(kind, estimator, {name: [0.1, 1.0]}, 2))


@pytest.mark.parametrize("kind", CLASSES)
def test_no_scorer_is_said_before_the_data_is_checked(kind):
    class NoScore(LinearSVC):
        @property
        def score(self):
            raise AttributeError

    with pytest.raises(TypeError, match="no scoring"):
        GridSearchCV(NoScore(), {"C": [1.0]}).fit([[1]])
    with pytest.raises(TypeError, match="no scoring"):
        search(kind, NoScore(), {"C": [1.0]}, 1).fit([[1]])


# -- the search space ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bayes", "hyperband"])
def test_an_empty_space_is_the_estimator_itself(kind):
    grid = GridSearchCV(SVC(), {}, cv=2).fit(X, y)
    ours = search(kind, SVC(), {}, 1).fit(X, y)
    assert ours.cv_results_["params"] == grid.cv_results_["params"] == [{}]
    assert ours.best_score_ == pytest.approx(grid.best_score_)
    assert not hasattr(ours, "predict_proba") and not hasattr(grid, "predict_proba")


@pytest.mark.parametrize("kind", CLASSES)
def test_scipy_distributions_randomized_search_takes(kind):
    space = {"C": stats.expon(scale=10), "tol": stats.norm(1e-3, 1e-5),
             "max_iter": stats.poisson(100)}
    RandomizedSearchCV(LogisticRegression(), space, n_iter=3, cv=2, random_state=0).fit(X, y)
    ours = search(kind, LogisticRegression(), space, 3, random_state=0).fit(X, y)
    res = ours.cv_results_
    assert (res["param_C"] > 0).all() and res["param_max_iter"].dtype.kind == "i"
    assert set(res["status"]) == {"ok"}


def test_a_distribution_is_drawn_as_scipy_draws_it():
    from sktune.proposers import RandomProposer

    draws = [p["C"] for p in RandomProposer({"C": stats.expon(scale=10)},
                                            random_state=0).ask(256)]
    assert stats.kstest(draws, stats.expon(scale=10).cdf).pvalue > 0.05
    norm = RandomProposer({"a": stats.norm}, random_state=0).ask(256)  # unfrozen: defaults
    assert abs(np.mean([p["a"] for p in norm])) < 0.2


@_NEW_SKLEARN
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


@_NEW_SKLEARN
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


@pytest.mark.parametrize("kind", CLASSES)
def test_refit_false_messages_are_grid_search_ones(kind):
    ours = search(kind, LogisticRegression(), {"C": [0.1, 1.0]}, 2, refit=False).fit(X, y)
    with pytest.raises(AttributeError, match="has no attribute 'predict'|refit=False") as info:
        ours.predict(X)
    assert "`refit=False`. predict is available only after refitting on the best parameters" \
        in str(info.value) + str(info.value.__cause__)
    msg = "For multi-metric scoring, the parameter refit must be set to a scorer key"
    with pytest.raises(ValueError, match=msg):  # said first, before 4 rows fail 5 folds
        search(kind, LogisticRegression(), {"C": [1.0]}, 1, cv=5,
               scoring={"acc": "accuracy", "prec": "precision"}).fit(X[:4], y[:4])


@pytest.mark.parametrize("kind", CLASSES)
def test_refit_may_name_the_one_metric(kind):
    grid = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scoring="recall",
                        refit="recall", cv=2).fit(X, y)
    ours = search(kind, LogisticRegression(), {"C": [0.1, 1.0]}, 2, scoring="recall",
                  refit="recall", random_state=0).fit(X, y)
    assert ours.best_score_ == pytest.approx(grid.best_score_)
    assert ours.score(X, y) == pytest.approx(grid.score(X, y))


@pytest.mark.parametrize("kind", CLASSES)
def test_verbose_3_score_lines_are_grid_search_ones(kind, capsys):
    pattern = r"score=[\d\.]+"
    GridSearchCV(LogisticRegression(), {"C": [0.1]}, cv=3, verbose=3).fit(X, y)
    theirs = re.findall(pattern, capsys.readouterr().out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search(kind, LogisticRegression(), {"C": [0.1]}, 1, cv=3, verbose=3).fit(X, y)
    ours = re.findall(pattern, capsys.readouterr().out)
    assert len(theirs) == 3
    assert len(ours) == len(theirs)  # PBT too: a 1-point space is one member (capped)




# -- scikit-learn's estimator checks on HyperbandSearchCV -------------------------------------
def _hyperband_searches():
    common = dict(cv=2, random_state=0, error_score="raise")
    return [HyperbandSearchCV(LogisticRegression(), {"C": Real(0.1, 10.0, log=True)}, **common),
            HyperbandSearchCV(Ridge(), {"alpha": Real(0.1, 10.0, log=True)}, **common),
            HyperbandSearchCV(SGDClassifier(random_state=0), {"alpha": Real(1e-5, 1e-2, log=True)},
                              max_resources=3, **common)]


# of the failures scikit-learn expects of its own searches, only this one is left
_EXPECTED = {"check_supervised_y_2d": "DataConversionWarning not caught (as for sklearn's "
                                      "searches)"}
if SKLEARN_VERSION >= (1, 6):
    _checks = parametrize_with_checks(_hyperband_searches(),
                                      expected_failed_checks=lambda est: _EXPECTED)
else:
    _checks = parametrize_with_checks(_hyperband_searches())


@_checks
def test_hyperband_passes_sklearn_estimator_checks(estimator, check):
    check(estimator)
