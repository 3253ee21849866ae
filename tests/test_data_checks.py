"""Data that cannot work fails before any training, naming X; data that can work is kept."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sktune import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV, Real


class CountingLR(LogisticRegression):
    fits = 0

    def fit(self, X, y, **kw):
        type(self).fits += 1
        return super().fit(X, y, **kw)


@pytest.mark.parametrize("cls", [BayesSearchCV, PopulationSearchCV])
def test_1d_numeric_x_for_a_2d_estimator_fails_before_training(cls):
    X, y = np.linspace(0, 1, 40), np.r_[np.zeros(20), np.ones(20)]
    kw = dict(n_iter=2) if cls is BayesSearchCV else dict(population_size=2, resource="fit")
    search = cls(CountingLR(), {"C": Real(0.1, 10.0, log=True)}, cv=2, **kw)
    CountingLR.fits = 0
    with pytest.raises(ValueError, match=r"X passed to .*fit is 1-D .*reshape\(-1, 1\)"):
        search.fit(X, y)
    assert CountingLR.fits == 0


def test_1d_numeric_x_for_hyperband_fails_before_training():
    X, y = np.linspace(0, 1, 40), np.r_[np.zeros(20), np.ones(20)]
    from sklearn.linear_model import SGDClassifier
    search = HyperbandSearchCV(SGDClassifier(), {"alpha": Real(1e-5, 1e-1, log=True)},
                               max_resources=3, cv=2)
    with pytest.raises(ValueError, match="X passed to HyperbandSearchCV.fit is 1-D"):
        search.fit(X, y)


@pytest.mark.parametrize("first", [CountVectorizer(), "ft"])
def test_1d_x_that_a_first_step_takes_is_accepted(first):
    if first == "ft":  # a 1-D column made 2-D by the pipeline itself
        docs = np.linspace(0, 1, 40)
        first = FunctionTransformer(lambda v: np.asarray(v).reshape(-1, 1))
    else:
        docs = ["good movie", "bad film", "great plot", "awful acting"] * 10
    y = ([1, 0] * 20) if isinstance(docs, list) else np.r_[np.zeros(20), np.ones(20)]
    search = BayesSearchCV(make_pipeline(first, LogisticRegression()),
                           {"logisticregression__C": Real(0.1, 10.0, log=True)}, n_iter=2,
                           cv=2, random_state=0).fit(docs, y)
    assert list(search.cv_results_["status"]) == ["ok", "ok"]
