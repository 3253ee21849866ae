"""What scikit-learn's own search tests found unlike GridSearchCV (issue 13), fixed.

Each test names the behaviour of ``benchmarks/sklearn_conformance.py`` it covers; the
remaining differences are in ``docs/differences.rst``.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV, KFold, ParameterGrid
from sklearn.svm import LinearSVC

from sktune import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV, Real
from sktune.proposers import SpaceExhaustedWarning
from sktune.proposers.grid import GridProposer, covers_space
from sktune.resources import FullFit

X, y = load_iris(return_X_y=True)
GRID = [{"C": [1.0, 0.1], "fit_intercept": [True, False]}, {"C": [10.0], "tol": [1e-3, 1e-2]}]
N_GRID = len(ParameterGrid(GRID))

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def exhaustive(kind, estimator, space, n, **params):
    """Each search set up to score every one of ``n`` configurations once, fully."""
    params = {"cv": 3, "random_state": 0, **params}
    if kind == "bayes":
        return BayesSearchCV(estimator, space, n_iter=n, n_initial_points=n, **params)
    if kind == "hyperband":  # ASHA, one rung at the full budget
        return HyperbandSearchCV(estimator, space, resource=FullFit(), min_resources=1,
                                 max_resources=1, asynchronous=True, n_candidates=n, **params)
    return PopulationSearchCV(estimator, space, resource="fit", max_resources=1,
                              perturbation_interval=1, population_size=max(2, n), **params)


KINDS = ["bayes", "hyperband", "population"]


# -- candidate order: a search that scores a whole grid scores it as GridSearchCV ----------
def test_grid_proposer_walks_a_grid_as_parameter_grid():
    proposer = GridProposer(GRID)
    assert proposer.ask(N_GRID) == list(ParameterGrid(GRID))
    with pytest.warns(SpaceExhaustedWarning):  # then again from the start
        assert proposer.ask(2) == list(ParameterGrid(GRID))[:2]
    points = list(ParameterGrid(GRID))
    skipping = GridProposer(GRID)  # a point pending (or told) is not proposed again
    skipping.tell(points[1], 0.5)
    assert skipping.ask(2, pending=[points[0]]) == points[2:4]
    assert covers_space(GRID, N_GRID) and not covers_space(GRID, N_GRID - 1)
    assert not covers_space({"C": Real(0.1, 1.0)}, 1000)


@pytest.mark.parametrize("kind", KINDS)
def test_a_whole_grid_is_scored_in_grid_search_order(kind):
    ours = exhaustive(kind, LogisticRegression(max_iter=200), GRID, N_GRID).fit(X, y)
    grid = GridSearchCV(LogisticRegression(max_iter=200), GRID, cv=3).fit(X, y)
    assert ours.cv_results_["params"] == grid.cv_results_["params"]
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               grid.cv_results_["mean_test_score"])
    assert ours.best_index_ == grid.best_index_  # ties go to the first, as in GridSearchCV


@pytest.mark.parametrize("kind", KINDS)
def test_a_range_grid_breaks_ties_as_grid_search(kind):
    space = {"max_iter": range(1, 4)}  # three tied candidates on a separable problem
    Xs, ys = make_classification(60, 4, class_sep=3.0, random_state=0)
    est = SGDClassifier(random_state=0, tol=None)
    ours = exhaustive(kind, est, space, 3).fit(Xs, ys)
    grid = GridSearchCV(est, space, cv=3).fit(Xs, ys)
    assert [p["max_iter"] for p in ours.cv_results_["params"]] == [1, 2, 3]
    assert ours.best_params_ == grid.best_params_


def test_a_larger_space_keeps_its_model_based_order():
    # 8 points, 4 trials: not exhaustive, the GP's design decides (not the grid's order)
    space = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    search = BayesSearchCV(LogisticRegression(), space, n_iter=4, n_initial_points=4, cv=3,
                           random_state=0).fit(X, y)
    assert search.cv_results_["params"] != list(ParameterGrid(space))[:4]


# -- scikit-learn 1.9's callbacks: propagated to the fold fits, with sample_weight ---------
def _callbacks():
    callback = pytest.importorskip("sklearn.callback")
    assert callback  # scikit-learn >= 1.9

    class Recording:
        def __init__(self):
            self.record = []

        def setup(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
            self.record.append((type(estimator).__name__, context.task_name, metadata))

        def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None):
            pass

        def teardown(self, estimator, context):
            pass

    class AutoRecording(Recording):
        max_propagation_depth = None  # auto-propagated to the fold models

    return Recording, AutoRecording


def _tasks(callback):
    return Counter((who, task) for who, task, _ in callback.record)


@pytest.mark.parametrize("kind", KINDS)
def test_auto_propagated_callbacks_reach_the_fold_fits_as_in_grid_search(kind):
    Recording, AutoRecording = _callbacks()
    space = {"C": [0.1, 1.0]}
    ours_cb, grid_cb = [Recording(), AutoRecording()], [Recording(), AutoRecording()]
    exhaustive(kind, LogisticRegression(), space, 2).set_callbacks(*ours_cb).fit(X, y)
    GridSearchCV(LogisticRegression(), space, cv=3).set_callbacks(*grid_cb).fit(X, y)
    for ours, theirs in zip(ours_cb, grid_cb):
        mine = {k: v for k, v in _tasks(ours).items() if k[0] == "LogisticRegression"}
        assert mine == {k: v for k, v in _tasks(theirs).items() if k[0] == "LogisticRegression"}
    fold_fits = _tasks(ours_cb[1])[("LogisticRegression", "fit")]
    assert fold_fits == 2 * 3 + 1  # every fold model and the refit
    assert _tasks(ours_cb[0])[("LogisticRegression", "fit")] == 0  # not propagated


def test_sample_weight_reaches_the_callback_hooks_as_in_grid_search():
    Recording, _ = _callbacks()
    weights = np.random.RandomState(0).randint(1, 5, size=len(y))
    callback = Recording()
    search = exhaustive("bayes", LogisticRegression(), {"C": [0.1, 1.0]}, 2, cv=KFold(3))
    search.set_callbacks(callback).fit(X, y, sample_weight=weights)
    folds = [m for _, task, m in callback.record if task == "candidate-split-evaluation"]
    refit = [m for _, task, m in callback.record if task == "refit-with-best-params"]
    assert len(folds) == 6 and refit
    train = [t for t, _ in KFold(3).split(X)]
    for k, metadata in enumerate(folds):  # each fold's share of the weights
        np.testing.assert_array_equal(metadata["sample_weight"], weights[train[k % 3]])
    np.testing.assert_array_equal(refit[0]["sample_weight"], weights)


# -- a scorer that raises is a fold scored error_score, not a failed fit -------------------
def no_weights(y_true, y_pred):
    return 0.5


@pytest.mark.parametrize("kind", KINDS)
def test_a_raising_scorer_scores_error_score_as_in_grid_search(kind):
    def broken(estimator, X, y):
        raise RuntimeError("this scorer is broken")

    search = exhaustive(kind, LogisticRegression(), {"C": [0.1, 1.0]}, 2, scoring=broken,
                        error_score=-1.0, refit=False)
    with pytest.warns(UserWarning, match="Scoring failed. The score on this train-test "
                                         "partition for these parameters will be set to -1.0"):
        search.fit(X, y)
    assert (search.cv_results_["mean_test_score"] == -1.0).all()
    assert (search.cv_results_["status"] == "ok").all()  # the fits worked
    with pytest.raises(RuntimeError, match="broken"):
        exhaustive(kind, LogisticRegression(), {"C": [0.1, 1.0]}, 2, scoring=broken,
                   error_score="raise").fit(X, y)


# -- refit naming a metric, with one metric -----------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_a_str_refit_with_one_metric_is_refit_true_as_in_grid_search(kind):
    space = {"C": [0.1, 1.0]}
    grid = GridSearchCV(LogisticRegression(), space, cv=3, scoring="recall_macro",
                        refit="accuracy").fit(X, y)
    search = exhaustive(kind, LogisticRegression(), space, 2, scoring="recall_macro",
                        refit="accuracy")
    with pytest.warns(UserWarning, match="'scoring' has one metric"):
        search.fit(X, y)
    assert search.best_params_ == grid.best_params_
    assert search.best_score_ == pytest.approx(grid.best_score_)
    assert search.score(X, y) == pytest.approx(grid.score(X, y))


# -- bad grids, in GridSearchCV's words ------------------------------------------------------
@pytest.mark.parametrize("value, exc, words", [
    (1, TypeError, "Parameter grid for parameter 'C' needs to be a list or a numpy array, but "
                   "got 1 (of type int) instead. Single values need to be wrapped in a list "
                   "with one element."),
    ("1,2,3", TypeError, "but got '1,2,3' (of type str) instead."),
    ([], ValueError, "Parameter grid for parameter 'C' need to be a non-empty sequence, got: []"),
    (np.ones((3, 2)), ValueError, "Parameter array for 'C' should be one-dimensional"),
])
def test_a_bad_grid_entry_is_refused_in_grid_search_words(value, exc, words):
    with pytest.raises(exc, match=re.escape(words)) as info:
        BayesSearchCV(Ridge(), {"C": value}).fit(X, y)
    assert isinstance(info.value, ValueError)  # still a ValueError, as sktune raised it
    assert "entry 'C'" in str(info.value)


# -- Hyperband's resource errors, in the halving searches' words -----------------------------
@pytest.mark.parametrize("params, words", [
    (dict(resource="not_a_parameter"), "Cannot use resource=not_a_parameter which is not "
                                       "supported"),
    (dict(resource="max_iter", max_resources=9), "Cannot use parameter max_iter as the "
                                                 "resource since it is part of the searched"),
    (dict(resource="max_iter", min_resources=15, max_resources=14),
     "min_resources_=15 is greater than max_resources_=14"),
])
def test_hyperband_resource_errors_use_the_halving_searches_words(params, words):
    space = {"max_iter": [5, 10]} if "Cannot use parameter" in words else {"C": [0.1, 1.0]}
    with pytest.raises(ValueError, match=re.escape(words)):
        HyperbandSearchCV(LogisticRegression(), space, cv=3, **params).fit(X, y)


# -- PopulationSearchCV's evolutionary mode on tiny spaces -----------------------------------
def test_an_empty_space_is_one_configuration_in_the_evolutionary_mode():
    Xs, ys = make_classification(40, 4, random_state=0)
    with pytest.warns(UserWarning, match="Running 1 members"):
        search = PopulationSearchCV(LinearSVC(), {}, resource="fit", max_resources=1,
                                    population_size=2, cv=2).fit(Xs, ys)
    assert search.best_params_ == {} and search.population_size_ == 1
    assert not hasattr(search, "predict_proba")


def test_the_evolutionary_population_is_capped_at_a_finite_space():
    search = PopulationSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, resource="fit",
                                max_resources=1, population_size=10, cv=3)
    with pytest.warns(UserWarning, match="smaller than population_size=10. Running 2 members"):
        search.fit(X, y)
    assert search.cv_results_["params"] == [{"C": 0.1}, {"C": 1.0}]
    out_of_range = search.set_params(refit=lambda results: 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(IndexError, match="best_index_ index out of range"):
            out_of_range.fit(X, y)


def test_an_empty_space_is_one_member_in_pbt_mode_too():
    with pytest.warns(UserWarning, match="Running 1 members"):
        search = PopulationSearchCV(SGDClassifier(random_state=0), {}, max_resources=4,
                                    perturbation_interval=2, cv=3, random_state=0).fit(X, y)
    assert search.mode_ == "pbt" and search.population_size_ == 1
    assert search.best_params_ == {} and len(search.cv_results_["params"]) == 2
