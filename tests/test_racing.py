"""Fold racing: a trial stops once it cannot reasonably beat the incumbent."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, Real
from sktune.racing import win_probability

X, y = load_breast_cancer(return_X_y=True)
SPACE = {"svc__C": Real(1e-3, 1e3, log=True), "svc__gamma": Real(1e-5, 1e1, log=True)}


def svc_search(**kw):
    params = dict(n_iter=14, cv=5, random_state=0, racing=True)
    return BayesSearchCV(make_pipeline(StandardScaler(), SVC()), SPACE, **{**params, **kw})


@pytest.fixture(scope="module")
def raced():
    return svc_search().fit(X, y)


def test_win_probability_is_the_t_predictive():
    d = np.array([-0.02, -0.01, -0.03])
    n, m = 5, 3
    s = np.sqrt(((d - d.mean()) ** 2).sum() / (m - 1))
    expected = stats.t.sf(-n * d.mean() / (s * np.sqrt(2 + 4 / m)), m - 1)
    assert win_probability(d, n, prior_df=0) == pytest.approx(expected)
    # symmetric, one half for a tie, certain once every fold ran
    assert win_probability(-d, n) == pytest.approx(1 - win_probability(d, n))
    assert win_probability([0.0, 0.0], 5, prior_var=1e-4) == 0.5
    assert win_probability([0.01] * 5, 5) == 1.0 and win_probability([-0.01] * 5, 5) == 0.0
    # two equal differences are not certainty: the incumbent's fold variance is the prior
    assert 0.0 < win_probability([-0.02, -0.02], 5, prior_var=0.02 ** 2) < 0.2


def test_win_probability_is_calibrated_under_its_model():
    # differences drawn from one normal: the final mean beats 0 about as often as predicted
    rng = np.random.default_rng(0)
    p, won = [], []
    for _ in range(4000):
        mu = rng.normal(0, 0.02)
        d = rng.normal(mu, 0.02, 5)
        p.append(win_probability(d[:2], 5, prior_var=0.02 ** 2))
        won.append(d.mean() > 0)
    p, won = np.array(p), np.array(won)
    low = p < 0.05
    assert low.sum() > 200 and won[low].mean() < 0.05
    # after one fold, with the incumbent's fold variance as the only estimate
    rng = np.random.default_rng(1)
    d = rng.normal(rng.normal(0, 0.02, (4000, 1)), 0.02, (4000, 5))
    p1 = np.array([win_probability(row[:1], 5, prior_var=0.02 ** 2) for row in d])
    low = p1 < 0.2
    assert low.sum() > 200 and (d.mean(axis=1) > 0)[low].mean() < 0.2


def test_a_raced_trial_is_a_row_that_never_becomes_best(raced):
    res = raced.cv_results_
    status = res["status"]
    dropped = np.flatnonzero(status == "raced")
    assert len(dropped) >= 3 and len(res["params"]) == 14  # the proposer went on after them
    assert status[raced.best_index_] == "ok"
    for i in dropped:
        k = res["folds_run"][i]
        assert 1 <= k < 5
        split = [res[f"split{j}_test_score"][i] for j in range(5)]
        assert np.isfinite(split[:k]).all() and np.isnan(split[k:]).all()
        assert res["mean_test_score"][i] == pytest.approx(np.mean(split[:k]))
        race = raced.history_[i]["race"]
        assert race["dropped"] and race["p_win"] < 0.2 and race["against"] != i
    complete = status == "ok"
    assert (res["folds_run"][complete] == 5).all()
    # every complete trial ranks before every raced one, whatever their partial means
    assert res["rank_test_score"][complete].max() < res["rank_test_score"][dropped].min()
    assert raced.best_score_ == res["mean_test_score"][complete].max()


def test_racing_finds_the_same_best_with_fewer_fold_fits(raced):
    plain = svc_search(racing=False).fit(X, y)
    assert "folds_run" not in plain.cv_results_
    fold_fits = raced.cv_results_["folds_run"].sum()
    assert fold_fits <= 0.8 * 5 * 14
    # the first trials are the initial design, run alike; the best was never raced
    assert raced.best_score_ >= plain.best_score_ - 0.01


def test_racing_never_changes_a_search_whose_trials_tie():
    # the C range is so narrow that every trial scores the same on every fold
    Xc, yc = make_classification(200, 5, random_state=0)
    space = {"C": Real(1.0, 1.0 + 1e-9)}

    def run(racing):
        return BayesSearchCV(LogisticRegression(), space, n_iter=6, n_initial_points=3, cv=5,
                             random_state=0, racing=racing).fit(Xc, yc)

    with_racing, without = run(True), run(False)
    assert (with_racing.cv_results_["status"] == "ok").all()
    for key, value in without.cv_results_.items():
        if "time" not in key:
            assert json.dumps(np.asarray(with_racing.cv_results_[key]).tolist(), default=str) \
                == json.dumps(np.asarray(value).tolist(), default=str), key
    assert with_racing.best_params_ == without.best_params_


def _stop_after(n):
    return lambda state: state.n_trials >= n


@pytest.mark.parametrize("n_points", [1, None])
def test_a_resumed_search_races_as_the_uninterrupted_one(tmp_path, raced, n_points):
    journal = tmp_path / "run.jsonl"
    full = raced if n_points == 1 else svc_search(n_points=n_points).fit(X, y)
    svc_search(n_points=n_points, journal=journal, callbacks=[_stop_after(6)]).fit(X, y)
    resumed = svc_search(n_points=n_points, journal=journal).fit(X, y)
    assert resumed.n_replayed_jobs_ > 0
    for key in ("status", "folds_run", "mean_test_score", "params"):
        assert np.asarray(resumed.cv_results_[key]).tolist() == \
            np.asarray(full.cv_results_[key]).tolist(), key


def test_the_journal_decision_is_replayed_even_against_another_incumbent(tmp_path):
    # a journaled race is replayed as it was decided, not decided again
    journal = tmp_path / "run.jsonl"
    first = svc_search(n_iter=10, journal=journal).fit(X, y)
    again = svc_search(n_iter=10, journal=journal).fit(X, y)
    assert again.n_replayed_jobs_ == first.cv_results_["folds_run"].sum()
    assert [r.get("race") for r in again.history_] == [r.get("race") for r in first.history_]


def test_parallel_racing_gives_the_same_synchronous_results(raced):
    parallel = svc_search(n_jobs=2).fit(X, y)
    for key in ("status", "folds_run", "mean_test_score"):
        assert np.asarray(parallel.cv_results_[key]).tolist() == \
            np.asarray(raced.cv_results_[key]).tolist()


def _hyperband(space=None, **kw):
    params = dict(resource="max_iter", max_resources=27, cv=5, random_state=0, racing=True)
    return HyperbandSearchCV(SGDClassifier(random_state=0),
                             space or {"alpha": Real(1e-6, 1e2, log=True)}, **{**params, **kw})


def _fold_epochs(search):
    return sum((r["stop"] - (r["start"] or 0)) * len(np.flatnonzero(np.isfinite(r["fit_time"])))
               for r in search.history_)


def test_hyperband_rungs_race_for_their_promotions(asha_data):
    search = _fit_quietly(_hyperband(), *asha_data)
    res, history = search.cv_results_, search.history_
    raced_rows = np.flatnonzero(res["status"] == "raced")
    budgets = res["n_resources"]
    assert (budgets[raced_rows] < 27).any() and (budgets[raced_rows] == 27).any()
    for i in raced_rows:
        trial, budget, bracket = res["trial_id"][i], budgets[i], res["bracket"][i]
        assert not ((res["trial_id"] == trial) & (budgets > budget)).any()  # never promoted
        if budget < 27:  # raced against its rung's promotion boundary: a rung-mate
            rival = history[i]["race"]["against"]
            assert ((res["trial_id"] == rival) & (budgets == budget)
                    & (res["bracket"] == bracket)).any()
    # every promotion a rung makes is of a trial that ran all its folds
    for i in np.flatnonzero(budgets < 27):
        promoted = ((res["trial_id"] == res["trial_id"][i]) & (budgets > budgets[i])).any()
        assert not promoted or res["status"][i] == "ok"
    assert res["status"][search.best_index_] == "ok"
    plain = _fit_quietly(_hyperband(racing=False), *asha_data)
    assert len(res["params"]) == len(plain.cv_results_["params"])  # the same rungs filled
    assert _fold_epochs(search) <= 0.8 * _fold_epochs(plain)
    assert search.best_score_ >= plain.best_score_ - 0.02


def test_parallel_hyperband_races_its_rungs_as_the_sequential_one(asha_data):
    sequential = _fit_quietly(_hyperband(max_resources=9), *asha_data)
    parallel = _fit_quietly(_hyperband(max_resources=9, n_jobs=2), *asha_data)
    assert (sequential.cv_results_["status"] == "raced").any()
    for key in ("status", "folds_run", "mean_test_score", "params"):
        assert np.asarray(parallel.cv_results_[key]).tolist() == \
            np.asarray(sequential.cv_results_[key]).tolist(), key


def test_a_failing_trial_leaves_its_rungs_race_and_the_others_go_on(asha_data):
    space = {"alpha": Real(1e-6, 1e2, log=True), "penalty": Categorical(["l2", "bogus"])}
    search = _fit_quietly(_hyperband(space, max_resources=9), *asha_data)
    status = search.cv_results_["status"]
    assert (status == "failed").any() and (status == "raced").any()
    failed = np.flatnonzero(status == "failed")
    assert (search.cv_results_["folds_run"][failed] == 5).all()  # ran every fold
    assert status[search.best_index_] == "ok"


def _asha(**kw):
    params = dict(resource="max_iter", max_resources=27, cv=5, random_state=0, racing=True,
                  asynchronous=True)
    return HyperbandSearchCV(SGDClassifier(random_state=0),
                             {"alpha": Real(1e-6, 1e2, log=True), "eta0": Real(1e-4, 1.0, log=True)},
                             **{**params, **kw})


def _fit_quietly(search, *data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(*data)


@pytest.fixture(scope="module")
def asha_data():
    return make_classification(400, 10, random_state=0)


def test_asha_races_lower_rungs_against_their_promotion_boundary(asha_data):
    search = _fit_quietly(_asha(), *asha_data)
    res, history = search.cv_results_, search.history_
    raced_rows = np.flatnonzero(res["status"] == "raced")
    assert (res["n_resources"][raced_rows] < 27).any()
    for i in raced_rows:
        trial, budget = res["trial_id"][i], res["n_resources"][i]
        assert not ((res["trial_id"] == trial) & (res["n_resources"] > budget)).any()  # stayed
        rival = history[i]["race"]["against"]  # a complete row of the same rung
        [j] = np.flatnonzero((res["trial_id"] == rival) & (res["n_resources"] == budget))
        assert res["status"][j] == "ok" and res["folds_run"][j] == 5 and j < i
    assert res["status"][search.best_index_] == "ok"
    plain = _fit_quietly(_asha(racing=False), *asha_data)
    assert res["folds_run"].sum() < 5 * len(plain.cv_results_["params"])


@pytest.mark.parametrize("make, n_stop", [(_hyperband, 30), (_asha, 12)],
                         ids=["synchronous", "asha"])
def test_a_resumed_hyperband_search_races_its_rungs_as_before(tmp_path, asha_data, make,
                                                               n_stop):
    journal = tmp_path / "run.jsonl"
    full = _fit_quietly(make(), *asha_data)
    _fit_quietly(make(journal=journal, callbacks=[_stop_after(n_stop)]), *asha_data)
    resumed = _fit_quietly(make(journal=journal), *asha_data)
    assert resumed.n_replayed_jobs_ > 0
    for key in ("status", "folds_run", "mean_test_score", "n_resources", "params"):
        assert np.asarray(resumed.cv_results_[key]).tolist() == \
            np.asarray(full.cv_results_[key]).tolist(), key


@pytest.mark.parametrize("racing, match", [
    (0.7, "The 'racing' parameter of BayesSearchCV must be"),
    ("yes", "The 'racing' parameter of BayesSearchCV must be"),
])
def test_bad_racing_is_refused_before_training(racing, match):
    with pytest.raises(ValueError, match=match):
        svc_search(racing=racing).fit(X, y)


def test_racing_with_objectives_is_refused():
    with pytest.raises(ValueError, match="'racing'.*cannot be used with 'objectives'"):
        svc_search(objectives=["score", "fit_time"]).fit(X, y)


def test_racing_with_two_folds_warns_and_runs_every_fold():
    with pytest.warns(UserWarning, match="no effect with 2 CV folds"):  # cv=2: nothing to save
        search = svc_search(cv=2, n_iter=4).fit(X, y)
    assert (search.cv_results_["status"] == "ok").all()


def test_the_report_counts_the_fit_time_of_the_folds_a_raced_trial_ran(raced):
    from sktune.report import summary

    spent = sum(np.nansum(r["fit_time"]) for r in raced.history_)
    assert summary(raced)["fit_time_total"] == pytest.approx(spent)
