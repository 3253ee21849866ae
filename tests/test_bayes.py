"""BayesSearchCV and the scikit-learn contract of the shared base, point by point."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sktune import BayesSearchCV, Categorical, Integer, Real
from sktune.callbacks import NoImprovement, ScoreThreshold, TimeBudget

X_iris, y_iris = load_iris(return_X_y=True)


def small_search(**kwargs):
    params = dict(n_iter=6, n_initial_points=3, cv=3, random_state=0)
    params.update(kwargs)
    return BayesSearchCV(
        LogisticRegression(max_iter=200), {"C": Real(1e-3, 1e2, log=True)}, **params
    )


def test_finds_a_good_svc_and_beats_initial_design():
    X, y = make_classification(300, 10, n_informative=5, random_state=0)
    search = BayesSearchCV(
        SVC(),
        {"C": Real(1e-3, 1e3, log=True), "gamma": Real(1e-4, 1e1, log=True)},
        n_iter=20, n_initial_points=6, cv=3, random_state=0,
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_score_ == pytest.approx(scores.max())
    assert search.best_score_ > scores[:6].max()  # the GP phase improved on the Sobol design
    assert search.best_score_ > 0.85


def test_cv_results_keys_and_dataframe():
    pd = pytest.importorskip("pandas")
    search = small_search(return_train_score=True).fit(X_iris, y_iris)
    res = search.cv_results_
    for key in [
        "mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time", "param_C",
        "params", "split0_test_score", "split2_test_score", "mean_test_score",
        "std_test_score", "rank_test_score", "split0_train_score", "mean_train_score",
        "std_train_score", "trial_id", "status", "iter",
    ]:
        assert key in res, key
        assert len(res[key]) == 6
    assert isinstance(res["param_C"], np.ma.MaskedArray)
    df = pd.DataFrame(res)
    assert df.shape[0] == 6
    assert res["rank_test_score"][search.best_index_] == 1
    assert search.best_params_ == res["params"][search.best_index_]
    assert search.n_splits_ == 3 and search.multimetric_ is False
    assert search.refit_time_ > 0


def test_delegation_and_fitted_attributes():
    search = small_search().fit(X_iris, y_iris)
    np.testing.assert_array_equal(search.classes_, [0, 1, 2])
    assert search.n_features_in_ == 4
    np.testing.assert_array_equal(search.predict(X_iris), search.best_estimator_.predict(X_iris))
    assert search.predict_proba(X_iris).shape == (150, 3)
    assert search.predict_log_proba(X_iris).shape == (150, 3)
    assert search.decision_function(X_iris).shape == (150, 3)
    assert search.score(X_iris, y_iris) == pytest.approx(
        accuracy_score(y_iris, search.predict(X_iris))
    )
    assert not hasattr(search, "transform")  # LogisticRegression has none
    reg = BayesSearchCV(Ridge(), {"alpha": Real(1e-3, 10, log=True)}, n_iter=3, cv=3,
                        n_initial_points=2, random_state=0)
    X, y = load_diabetes(return_X_y=True)
    assert not hasattr(reg, "predict_proba")
    reg.fit(X, y)
    assert reg.score(X, y) > 0.4


def test_transform_inverse_transform_and_unsupervised():
    search = BayesSearchCV(PCA(), {"n_components": Integer(1, 3)}, n_iter=3,
                           n_initial_points=2, cv=3, random_state=0)
    search.fit(X_iris)
    assert search.transform(X_iris).shape[1] == search.best_params_["n_components"]
    back = search.inverse_transform(search.transform(X_iris))
    assert back.shape == X_iris.shape
    assert np.isfinite(search.score_samples(X_iris)).all()


def test_pipeline_inside_and_outside():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))])
    search = BayesSearchCV(pipe, {"clf__C": Real(1e-2, 1e2, log=True)}, n_iter=4,
                           n_initial_points=2, cv=3, random_state=0).fit(X_iris, y_iris)
    assert search.best_score_ > 0.9
    outer = make_pipeline(StandardScaler(), small_search(n_iter=3))
    outer.fit(X_iris, y_iris)
    assert outer.score(X_iris, y_iris) > 0.9


def test_multimetric_scoring_and_refit_by_name():
    search = small_search(scoring=["accuracy", "f1_macro"], refit="f1_macro")
    search.fit(X_iris, y_iris)
    res = search.cv_results_
    for m in ("accuracy", "f1_macro"):
        assert f"mean_test_{m}" in res and f"rank_test_{m}" in res
    assert search.best_score_ == pytest.approx(res["mean_test_f1_macro"].max())
    assert search.multimetric_ and set(search.scorer_) == {"accuracy", "f1_macro"}
    with pytest.raises(ValueError, match="refit"):
        small_search(scoring=["accuracy", "f1_macro"], refit=True).fit(X_iris, y_iris)


def test_callable_scoring_returning_a_dict():
    def scorer(est, X, y):
        pred = est.predict(X)
        return {"acc": accuracy_score(y, pred), "err": 1 - accuracy_score(y, pred)}

    search = small_search(n_iter=3, scoring=scorer, refit="acc").fit(X_iris, y_iris)
    assert "mean_test_acc" in search.cv_results_ and "mean_test_err" in search.cv_results_


def test_refit_false_and_callable_refit():
    search = small_search(refit=False).fit(X_iris, y_iris)
    assert not hasattr(search, "best_estimator_")
    # as GridSearchCV: with a single metric the best candidate is still reported
    assert search.best_score_ == search.cv_results_["mean_test_score"].max()
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    multi = small_search(refit=False, scoring=["accuracy", "f1_macro"]).fit(X_iris, y_iris)
    assert not hasattr(multi, "best_params_")
    assert not hasattr(search, "predict")  # as GridSearchCV (available_if)
    with pytest.raises(AttributeError, match="no attribute 'predict'|refit=False") as info:
        search.predict(X_iris)
    assert "refit=False" in str(info.value) + str(info.value.__cause__)  # sklearn 1.4: no cause

    def lowest_c(results):
        return int(np.argmin([p["C"] for p in results["params"]]))

    search = small_search(refit=lowest_c).fit(X_iris, y_iris)
    assert search.best_params_["C"] == min(p["C"] for p in search.cv_results_["params"])
    assert hasattr(search, "best_estimator_") and not hasattr(search, "best_score_")


def test_groups_and_per_sample_fit_params_sliced():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(10), 15)
    weights = rng.random(150)
    seen = []

    class Recording(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen.append((len(X), None if sample_weight is None else len(sample_weight)))
            return super().fit(X, y, sample_weight=sample_weight)

    search = BayesSearchCV(Recording(max_iter=200), {"C": Real(0.1, 10, log=True)}, n_iter=2,
                           n_initial_points=2, cv=GroupKFold(5), random_state=0)
    search.fit(X_iris, y_iris, groups=groups, sample_weight=weights)
    fold_fits = seen[:-1]  # the last fit is the refit on all data
    assert all(n == w == 120 for n, w in fold_fits)
    assert seen[-1] == (150, 150)


def test_sparse_and_dataframe_input():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(120, 6, random_state=0)
    search = BayesSearchCV(SGDClassifier(random_state=0), {"alpha": Real(1e-5, 1e-1, log=True)},
                           n_iter=3, n_initial_points=2, cv=3, random_state=0)
    search.fit(sp.csr_matrix(X), y)
    assert search.predict(sp.csr_matrix(X)).shape == (120,)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    search.fit(df, y)
    assert list(search.feature_names_in_) == list(df.columns)


def test_clone_get_set_params_and_pickle():
    search = small_search()
    assert clone(search).get_params()["n_iter"] == 6
    search.set_params(n_iter=4, estimator__max_iter=300)
    assert search.estimator.max_iter == 300
    search.fit(X_iris, y_iris)
    restored = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(restored.predict(X_iris), search.predict(X_iris))


def test_conditional_space_with_categoricals_and_integers():
    space = [
        {"kernel": ["linear"], "C": Real(1e-2, 1e2, log=True)},
        {"kernel": ["rbf", "sigmoid"], "C": Real(1e-2, 1e2, log=True),
         "gamma": Real(1e-3, 1, log=True)},
    ]
    search = BayesSearchCV(SVC(), space, n_iter=10, n_initial_points=2, cv=3,
                           random_state=0).fit(X_iris, y_iris)
    kernels = {p["kernel"] for p in search.cv_results_["params"]}
    assert "linear" in kernels and kernels & {"rbf", "sigmoid"}
    linear_rows = [i for i, p in enumerate(search.cv_results_["params"]) if p["kernel"] == "linear"]
    assert all(search.cv_results_["param_gamma"].mask[i] for i in linear_rows)
    tree = BayesSearchCV(DecisionTreeClassifier(random_state=0),
                         {"max_depth": Integer(1, 6), "criterion": Categorical(["gini", "entropy"])},
                         n_iter=8, n_initial_points=3, cv=3, random_state=0).fit(X_iris, y_iris)
    depths = [p["max_depth"] for p in tree.cv_results_["params"]]
    assert all(isinstance(d, int) and 1 <= d <= 6 for d in depths)
    keys = [tuple(sorted(p.items())) for p in tree.cv_results_["params"]]
    assert len(set(keys)) == len(keys)  # no duplicate proposals


@pytest.mark.slow
def test_determinism_for_n_jobs_1_and_2():
    a = small_search(n_jobs=1).fit(X_iris, y_iris).cv_results_
    b = small_search(n_jobs=1).fit(X_iris, y_iris).cv_results_
    c = small_search(n_jobs=2).fit(X_iris, y_iris).cv_results_
    assert a["params"] == b["params"] == c["params"]
    np.testing.assert_allclose(a["mean_test_score"], c["mean_test_score"])


def test_asynchronous_mode_keeps_workers_busy_and_finishes():
    search = small_search(n_points=None, n_jobs=2, n_iter=6).fit(X_iris, y_iris)
    assert len(search.cv_results_["params"]) == 6
    keys = [repr(sorted(p.items())) for p in search.cv_results_["params"]]
    assert len(set(keys)) == 6


def test_failing_trials_get_error_score_and_a_grouped_warning():
    class Fragile(LogisticRegression):
        def fit(self, X, y):
            if self.C > 1:
                raise ValueError("C too large for this test")
            return super().fit(X, y)

    search = BayesSearchCV(Fragile(max_iter=200), {"C": Real(1e-2, 1e2, log=True)}, n_iter=8,
                           n_initial_points=4, cv=3, random_state=0, error_score=-1.0)
    with pytest.warns(FitFailedWarning, match="C too large"):
        search.fit(X_iris, y_iris)
    res = search.cv_results_
    failed = res["status"] == "failed"
    assert failed.any() and (~failed).any()
    assert (res["mean_test_score"][failed] == -1.0).all()
    assert search.best_params_["C"] <= 1
    with pytest.raises(ValueError, match="C too large"):
        search.set_params(error_score="raise").fit(X_iris, y_iris)


def test_all_failing_raises_clearly():
    class Broken(LogisticRegression):
        def fit(self, X, y):
            raise RuntimeError("always broken")

    with pytest.raises(ValueError, match="(?s)All the 6 fits failed.*always broken"):
        BayesSearchCV(Broken(), {"C": Real(0.1, 1)}, n_iter=3, cv=2, random_state=0).fit(
            X_iris, y_iris
        )


@pytest.mark.parametrize(
    "callback, max_trials",
    [(TimeBudget(1e-9), 1), (ScoreThreshold(0.5), 1), (NoImprovement(patience=2, min_delta=1.0), 3)],
)
def test_stoppers_leave_a_usable_estimator(callback, max_trials):
    search = small_search(n_iter=10, callbacks=[callback]).fit(X_iris, y_iris)
    assert 1 <= len(search.cv_results_["params"]) <= max_trials
    assert search.predict(X_iris).shape == (150,)


def test_callback_sees_the_state():
    seen = []
    small_search(n_iter=4, callbacks=lambda s: seen.append((s.n_trials, s.best_score))).fit(
        X_iris, y_iris
    )
    assert [n for n, _ in seen] == [1, 2, 3, 4]
    best = [b for _, b in seen]
    assert best == sorted(best)


@pytest.mark.parametrize("kind", ["list", "generator", "splitter"])
def test_custom_cv_iterable_and_splitter(kind):
    kfold = KFold(3, shuffle=True, random_state=0)
    splits = list(kfold.split(X_iris))
    cv = {"list": splits, "generator": kfold.split(X_iris), "splitter": kfold}[kind]
    search = small_search(cv=cv, n_iter=2).fit(X_iris, y_iris)
    assert search.n_splits_ == 3
    # every fold was trained and scored on exactly the given split
    res = search.cv_results_
    for i, params in enumerate(res["params"]):
        for k, (train, test) in enumerate(splits):
            model = LogisticRegression(max_iter=200, **params).fit(X_iris[train], y_iris[train])
            expected = accuracy_score(y_iris[test], model.predict(X_iris[test]))
            assert res[f"split{k}_test_score"][i] == pytest.approx(expected)
