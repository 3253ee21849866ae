"""PopulationSearchCV's holdout estimate: rows no exploit decision saw, scored by
replaying the best final schedules from scratch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold

from sktune import PopulationSearchCV, Real
from sktune.records import read_journal

SPACE = {"alpha": Real(1e-5, 1e-1, log=True), "eta0": Real(1e-3, 1.0, log=True)}
ID_SCALE = 1e-6  # column 0 holds the row number, too small to matter to the model


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16.0, y[:400]
    X = np.column_stack([np.arange(len(X)) * ID_SCALE, X])
    return X, y


def pbt(estimator=None, **kw):
    params = dict(mutable_params=["alpha", "eta0"], population_size=4, max_resources=8,
                  perturbation_interval=2, quantile_fraction=0.5, cv=2, random_state=0,
                  holdout=0.2)
    params.update(kw)
    estimator = estimator or SGDClassifier(learning_rate="constant", random_state=0)
    return PopulationSearchCV(estimator, SPACE, **params)


LOG: list = []  # (what, row numbers) of every call, in order (n_jobs=1: in this process)


def _ids(X):
    return frozenset(np.rint(np.asarray(X)[:, 0] / ID_SCALE).astype(int).tolist())


class RowRecorder(SGDClassifier):
    """An SGDClassifier that notes the rows it trains on and scores."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        LOG.append(("train", _ids(X)))
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)

    def fit(self, X, y, **kw):
        LOG.append(("train", _ids(X)))
        return super().fit(X, y, **kw)

    def score(self, X, y, sample_weight=None):
        LOG.append(("score", _ids(X)))
        return super().score(X, y, sample_weight=sample_weight)


def test_holdout_estimate_is_reported_next_to_the_cv_score(data):
    X, y = data
    search = pbt().fit(X, y)
    res = pd.DataFrame(search.cv_results_)
    assert {"holdout_test_score", "std_holdout_test_score"} <= set(res.columns)
    replayed = res["holdout_test_score"].notna()
    assert 1 <= replayed.sum() <= 3  # the best final schedules (holdout_candidates=3)
    assert (res.loc[replayed, "n_resources"] == 8).all()  # final members only
    assert search.best_holdout_score_ == res["holdout_test_score"][search.best_index_]
    assert 0.5 < search.best_holdout_score_ <= 1
    assert search.best_score_ == res["mean_test_score"][search.best_index_]
    holdout = search.holdout_indices_
    assert abs(len(holdout) - 0.2 * len(X)) <= len(np.unique(y))
    assert set(np.unique(y[holdout])) == set(np.unique(y))  # stratified


def test_holdout_rows_are_never_trained_on_nor_scored_during_the_search(data):
    X, y = data
    loop_end = []
    LOG.clear()

    def mark(state):
        loop_end.append(len(LOG))
        return False

    search = pbt(RowRecorder(learning_rate="constant", random_state=0),
                 callbacks=[mark]).fit(X, y)
    holdout = frozenset(search.holdout_indices_.tolist())
    in_search = LOG[:loop_end[-1]]
    assert in_search and all(not (rows & holdout) for _, rows in in_search)
    after = LOG[loop_end[-1]:]
    scored = [rows for what, rows in after if what == "score"]
    assert scored and all(rows == holdout for rows in scored)  # the replays score on it
    replay_training = [rows for what, rows in after if what == "train"
                       and rows != frozenset(range(len(X)))]  # the refit uses all rows
    assert replay_training and all(not (rows & holdout) for rows in replay_training)


def test_holdout_estimate_is_deterministic_with_random_state(data):
    X, y = data
    a, b = pbt(random_state=3).fit(X, y), pbt(random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.holdout_indices_, b.holdout_indices_)
    np.testing.assert_array_equal(a.cv_results_["holdout_test_score"],
                                  b.cv_results_["holdout_test_score"])
    assert a.best_index_ == b.best_index_
    other = pbt(random_state=4).fit(X, y)
    assert not np.array_equal(a.holdout_indices_, other.holdout_indices_)


def _keep_first_jobs(path, n_jobs):
    with open(path) as f:
        lines = f.readlines()
    kept, n = [], 0
    for line in lines:
        compact = line.replace(" ", "")
        if '"event":"job"' in compact:
            if n == n_jobs:
                break
            n += 1
        if '"event":"end"' in compact:
            break
        kept.append(line)
    with open(path, "w") as f:
        f.writelines(kept)


@pytest.mark.parametrize("random_state", [0, None])
def test_holdout_estimate_survives_a_resume_from_the_journal(data, tmp_path, random_state):
    X, y = data
    path = tmp_path / "pbt.jsonl"
    full = pbt(journal=path, random_state=random_state).fit(X, y)
    n_jobs = sum(e["event"] == "job" for e in read_journal(path)[0])
    _keep_first_jobs(path, n_jobs // 2)
    resumed = pbt(journal=path, random_state=random_state).fit(X, y)
    assert resumed.n_replayed_jobs_ == n_jobs // 2
    np.testing.assert_array_equal(resumed.holdout_indices_, full.holdout_indices_)
    np.testing.assert_array_equal(resumed.cv_results_["mean_test_score"],
                                  full.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(resumed.cv_results_["holdout_test_score"],
                                  full.cv_results_["holdout_test_score"])
    assert resumed.best_index_ == full.best_index_
    assert resumed.best_holdout_score_ == full.best_holdout_score_


def test_several_candidates_pick_the_best_holdout_score(data):
    X, y = data
    one = pbt(holdout_candidates=1, random_state=1).fit(X, y)
    res = one.cv_results_
    assert np.isfinite(res["holdout_test_score"]).sum() == 1
    final = res["n_resources"] == 8
    assert one.best_index_ == np.flatnonzero(final)[np.argmax(res["mean_test_score"][final])]
    many = pbt(holdout_candidates=4, random_state=1).fit(X, y)
    hold = many.cv_results_["holdout_test_score"]
    assert np.isfinite(hold).sum() >= 2
    tied = np.flatnonzero(hold == np.nanmax(hold))  # ties go to the better mean CV score
    means = many.cv_results_["mean_test_score"]
    assert many.best_index_ in tied and means[many.best_index_] == means[tied].max()
    assert many.best_holdout_score_ == np.nanmax(hold)
    assert many.best_schedule_[-1]["trial_id"] == many.cv_results_["trial_id"][many.best_index_]


def test_holdout_none_selects_and_reports_on_the_folds_alone(data):
    X, y = data
    search = pbt(holdout=None).fit(X, y)
    assert search.holdout_indices_ is None
    assert np.isnan(search.best_holdout_score_)
    assert "holdout_test_score" not in search.cv_results_


def test_holdout_keeps_whole_groups_out(data):
    X, y = data
    groups = np.arange(len(X)) // 20
    search = pbt(cv=GroupKFold(2)).fit(X, y, groups=groups)
    held = set(groups[search.holdout_indices_])
    assert all(set(np.flatnonzero(groups == g)) <= set(search.holdout_indices_) for g in held)


@pytest.mark.parametrize("value", [0.0, 0.6, 1, "0.2"])
def test_bad_holdout_is_refused_before_training(data, value):
    X, y = data
    with pytest.raises((ValueError, TypeError), match="'holdout' parameter"):
        pbt(holdout=value).fit(X, y)


def test_too_small_a_holdout_warns_and_runs_without(data):
    X, y = data
    with pytest.warns(UserWarning, match="'holdout' parameter .* leaves no row"):
        search = pbt(holdout=0.001).fit(X[:30], y[:30])
    assert search.holdout_indices_ is None and np.isnan(search.best_holdout_score_)
    assert "holdout_test_score" not in search.cv_results_
