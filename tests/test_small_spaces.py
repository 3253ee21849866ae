"""Small finite spaces: no configuration is scored twice at one budget, and ``n_iter``
larger than the space is capped with RandomizedSearchCV's warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import RandomizedSearchCV

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, Integer
from sktune.proposers import SpaceExhaustedWarning


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def fit_quietly(search, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    return search, [w for w in caught]


def pairs(search):
    res = search.cv_results_
    budgets = res.get("n_resources", [None] * len(res["params"]))
    return [(tuple(sorted(p.items())), b) for p, b in zip(res["params"], budgets)]


def test_bayes_caps_n_iter_at_the_space_with_randomized_search_warning(iris):
    X, y = iris
    space = {"C": [0.1, 1.0]}
    _, theirs = fit_quietly(RandomizedSearchCV(LogisticRegression(max_iter=300), space,
                                               n_iter=10, cv=2, random_state=0), X, y)
    search, ours = fit_quietly(BayesSearchCV(LogisticRegression(max_iter=300), space,
                                             n_iter=10, cv=2, random_state=0), X, y)
    assert sorted(p["C"] for p in search.cv_results_["params"]) == [0.1, 1.0]
    expected = [str(w.message) for w in theirs if "smaller than n_iter" in str(w.message)]
    assert expected and expected == [str(w.message) for w in ours
                                     if "smaller than n_iter" in str(w.message)]
    assert not [w for w in ours if issubclass(w.category, SpaceExhaustedWarning)]


@pytest.mark.parametrize("asynchronous", [False, True])
@pytest.mark.parametrize("space, n_points", [
    ({"alpha": [1e-4]}, 1),
    ({"alpha": [1e-4, 1e-3]}, 2),
    ({"alpha": Categorical([1e-4, 1e-3, 1e-2]), "max_iter": Integer(5, 6)}, 6),
])
def test_hyperband_trains_each_configuration_once_per_budget(iris, space, n_points,
                                                            asynchronous):
    X, y = iris
    search, caught = fit_quietly(HyperbandSearchCV(
        SGDClassifier(random_state=0), space, max_resources=27, cv=2, random_state=0,
        asynchronous=asynchronous), X, y)
    seen = pairs(search)
    assert len(seen) == len(set(seen))  # no (configuration, budget) twice
    configs = {c for c, _ in seen}
    assert len(configs) == n_points
    assert max(b for _, b in seen) == 27  # the best is still trained to the full budget
    assert search.cv_results_["n_resources"][search.best_index_] == 27
    assert not [w for w in caught if issubclass(w.category, SpaceExhaustedWarning)]


def test_a_one_point_space_runs_one_bracket_of_four_rungs(iris):
    search = HyperbandSearchCV(SGDClassifier(random_state=0), {"alpha": [1e-4]},
                               max_resources=27, cv=2, random_state=0).fit(*iris)
    assert list(search.cv_results_["n_resources"]) == [1, 3, 9, 27]


@pytest.mark.parametrize("choices, expected", [
    (range(1, 4), [1, 2, 3]),
    (range(1, 10, 4), [1, 5, 9]),
    (np.array([0.5, 1.0, 2.0]), [0.5, 1.0, 2.0]),
    ((1, 2, 3), [1, 2, 3]),
    ((1, 2, 3, 4), [1, 2, 3, 4]),
])
def test_sequences_grid_search_takes_are_choices(iris, choices, expected):
    # the choices RandomizedSearchCV would try, each once
    X, y = iris
    search, _ = fit_quietly(BayesSearchCV(LogisticRegression(max_iter=500), {"C": choices},
                                          n_iter=10, cv=2, random_state=0), X, y)
    assert sorted(p["C"] for p in search.cv_results_["params"]) == expected
