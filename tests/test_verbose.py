"""``verbose`` prints what GridSearchCV prints at each level (and one line per trial)."""

from __future__ import annotations

import re

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV

from sktune import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV, Real

SPACE = {"C": [0.1, 1.0]}


def printed(capsys, search, X, y):
    capsys.readouterr()
    search.fit(X, y)
    return capsys.readouterr().out.splitlines()


def fold_lines(lines):
    """The per-fold END lines without their dots and times (which differ run to run)."""
    out = []
    for line in lines:
        if line.startswith("[CV"):
            line = re.sub(r"\.{2,}", "", line)
            out.append(re.sub(r" total time=.*", "", line))
    return out


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.mark.parametrize("kw", [{}, {"scoring": ["accuracy", "f1_macro"], "refit": "accuracy",
                                     "return_train_score": True}])
@pytest.mark.parametrize("verbose", [1, 2, 3, 10])
def test_verbose_lines_match_grid_search(capsys, iris, verbose, kw):
    X, y = iris
    theirs = printed(capsys, GridSearchCV(LogisticRegression(max_iter=300), SPACE, cv=2,
                                          verbose=verbose, **kw), X, y)
    ours = printed(capsys, BayesSearchCV(LogisticRegression(max_iter=300), SPACE, n_iter=2,
                                         cv=2, verbose=verbose, random_state=0, **kw), X, y)
    assert ours[0] == theirs[0] == "Fitting 2 folds for each of 2 candidates, totalling 4 fits"
    if verbose >= 3:
        assert sorted(fold_lines(ours)) == sorted(fold_lines(theirs))
    trial_lines = [line for line in ours if line.startswith("[trial")]
    assert len(trial_lines) == (2 if verbose >= 2 else 0)
    if verbose >= 2:
        assert trial_lines[0].startswith("[trial 1/2] END C=0.1; mean score: ")


def test_verbose_counts_hyperband_rows_and_pbt_steps(capsys, iris):
    X, y = iris
    search = HyperbandSearchCV(SGDClassifier(random_state=0),
                               {"alpha": Real(1e-5, 1e-1, log=True)}, max_resources=9, cv=2,
                               random_state=0, verbose=2)
    lines = printed(capsys, search, X, y)
    n = len(search.cv_results_["params"])
    assert lines[0] == f"Fitting 2 folds for each of {n} candidates, totalling {2 * n} fits"
    trials = [line for line in lines if line.startswith("[trial")]
    assert len(trials) == n and all("n_resources=" in t for t in trials)
    pbt = PopulationSearchCV(SGDClassifier(random_state=0), {"alpha": Real(1e-5, 1e-1, log=True)},
                             population_size=3, max_resources=4, perturbation_interval=2, cv=2,
                             random_state=0, verbose=2)
    lines = printed(capsys, pbt, X, y)
    assert lines[0] == "Fitting 2 folds for each of 6 candidates, totalling 12 fits"
    assert sum(line.startswith("[trial") for line in lines) == 6
