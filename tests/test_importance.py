"""Hyperparameter importance: the parameters that drive the score come out on top."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import SGDClassifier  # noqa: E402

from sktune import (  # noqa: E402
    BayesSearchCV,
    Categorical,
    HyperbandSearchCV,
    PopulationSearchCV,
    Real,
)
from sktune.importance import ImportanceDisplay, hyperparameter_importance  # noqa: E402


class SixKnobs(BaseEstimator, RegressorMixin):
    """A model whose score depends on two of its six parameters (a and b) only.

    ``fit`` stores the mean target, ``predict`` returns it shifted by a penalty of
    (a, b): the R^2 score then falls as a and b leave their best values, whatever
    c, d, e and kind are.
    """

    def __init__(self, a=0.5, b=0.5, c=0.5, d=0.5, e=0.5, kind="x"):
        self.a, self.b, self.c, self.d, self.e, self.kind = a, b, c, d, e, kind

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        self.scale_ = float(np.std(y))
        return self

    def predict(self, X):
        penalty = 3 * (self.a - 0.3) ** 2 + 1.5 * abs(self.b - 0.7)
        return np.full(len(X), self.mean_ + self.scale_ * penalty)


SPACE = {"a": Real(0, 1), "b": Real(0, 1), "c": Real(0, 1), "d": Real(0, 1),
         "e": Real(1e-3, 1, log=True), "kind": Categorical(["x", "y", "z"])}


@pytest.mark.parametrize("seed", range(5))
def test_the_two_parameters_that_matter_rank_top_on_every_seed(seed):
    rng = np.random.default_rng(seed)
    X, y = rng.random((60, 2)), rng.random(60)
    search = BayesSearchCV(SixKnobs(), SPACE, n_iter=40, n_initial_points=40, cv=2,
                           random_state=seed).fit(X, y)
    imp = hyperparameter_importance(search, random_state=seed)
    assert set(list(imp.importances)[:2]) == {"a", "b"}
    assert imp.importances["a"] + imp.importances["b"] > 0.8
    assert sum(imp.importances.values()) == pytest.approx(1.0)
    values, mean, _ = imp.marginals["a"]
    assert abs(values[int(np.argmax(mean))] - 0.3) < 0.15  # the curve peaks where a is best


def test_importance_of_hyperband_and_pbt_searches():
    X, y = load_iris(return_X_y=True)
    space = {"alpha": Real(1e-6, 1e-1, log=True), "penalty": Categorical(["l2", "l1"])}
    hb = HyperbandSearchCV(SGDClassifier(random_state=0), space, max_resources=9, cv=2,
                           random_state=0).fit(X, y)
    imp = hyperparameter_importance(hb)
    assert set(imp.importances) == {"alpha", "penalty"} and imp.n_results >= 8
    pbt = PopulationSearchCV(SGDClassifier(random_state=0), space, population_size=8,
                             max_resources=4, perturbation_interval=2, cv=2,
                             random_state=0).fit(X, y)
    assert set(hyperparameter_importance(pbt).importances) == {"alpha", "penalty"}


def test_too_few_results_and_unknown_metrics_are_errors():
    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(SGDClassifier(random_state=0), {"alpha": Real(1e-5, 1e-1, log=True)},
                           n_iter=3, cv=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="at least 8 successful results"):
        hyperparameter_importance(search)
    with pytest.raises(ValueError, match="metric='f1' is not a metric"):
        hyperparameter_importance(search, metric="f1")


def test_display_draws_bars_and_marginals():
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 2)), rng.random(40)
    search = BayesSearchCV(SixKnobs(), SPACE, n_iter=20, n_initial_points=20, cv=2,
                           random_state=0).fit(X, y)
    disp = ImportanceDisplay.from_search(search).plot_marginals(n_top=3)
    assert len(disp.bars_) == 6 and len(disp.marginal_axes_) == 3
    assert disp.ax_.get_yticklabels()[-1].get_text() in {"a", "b"}  # the top bar
