"""Learning-curve extrapolation and curve-based stopping (issue 16, item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier

from sktune import HyperbandSearchCV, Real, SearchSpace
from sktune.curves import FAMILIES, fit_learning_curve
from sktune.proposers.budget import BudgetProposer
from sktune.records import read_journal
from sktune.schedulers import (
    CurveStoppingScheduler,
    TrialResult,
    curve_checkpoints,
    hyperband_epochs,
    hyperband_plan,
)

BUDGETS = np.array([1, 2, 3, 5, 9, 16], dtype=float)
SPACE = {"alpha": Real(1e-5, 1e-1, log=True), "eta0": Real(1e-3, 1.0, log=True)}


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def search(**kw):
    params = dict(resource="partial_fit", min_resources=1, max_resources=27, cv=2,
                  random_state=0, stopping="curves")
    params.update(kw)
    return HyperbandSearchCV(SGDClassifier(learning_rate="constant", random_state=0), SPACE,
                             **params)


# -- the curve fit ----------------------------------------------------------------------
@pytest.mark.parametrize("curve", [
    lambda x: 0.9 - 0.4 * x ** -0.7,  # power law
    lambda x: 0.8 - 0.3 * np.exp(-0.3 * x),  # exponential
    lambda x: 0.6 + 0.0 * x,  # plateau
])
def test_a_saturating_curve_is_extrapolated_to_the_full_budget(curve):
    noise = np.random.default_rng(0).normal(0, 0.003, BUDGETS.size)
    fit = fit_learning_curve(BUDGETS, curve(BUDGETS) + noise, np.full(BUDGETS.size, 0.003))
    mean, std = fit.predict(27)
    assert abs(mean - curve(27.0)) < 0.03
    assert 0 < std < 0.05
    assert np.isclose(fit.weights.sum(), 1.0)
    assert set(fit.families) <= set(FAMILIES)


def test_probability_of_beating_a_threshold_falls_as_the_threshold_rises():
    y = 0.9 - 0.4 * BUDGETS ** -0.7
    fit = fit_learning_curve(BUDGETS, y, np.full(BUDGETS.size, 0.005))
    probs = [fit.prob_above(27, t) for t in (0.5, 0.85, 0.9, 1.2)]
    assert probs[0] > 0.99 and probs[-1] < 0.01
    assert all(a >= b for a, b in zip(probs, probs[1:]))


def test_too_short_a_curve_never_stops_a_trial():
    fit = fit_learning_curve([1, 2], [0.1, 0.2])
    assert fit.families == [] and fit.prob_above(27, 0.99) == 1.0
    assert np.isnan(fit.predict(27)[0])
    # failed (NaN) points are left out
    assert fit_learning_curve([1, 2, 3, 5], [0.1, np.nan, 0.2, np.nan]).families == []


def test_unknown_family_is_named():
    with pytest.raises(ValueError, match="Unknown learning-curve families.*'cubic'"):
        fit_learning_curve(BUDGETS, BUDGETS, families=["cubic"])


def test_checkpoints_take_two_steps_per_factor_and_end_at_the_budget():
    assert curve_checkpoints(1, 27, 3) == [1, 2, 3, 5, 9, 16, 27]
    assert curve_checkpoints(1, 10, 3) == [1, 2, 3, 5, 9, 10]
    assert curve_checkpoints(4, 4, 3) == [4]
    assert hyperband_epochs(hyperband_plan(1, 27, 3)[0]) == 27 + 9 * 2 + 3 * 6 + 18


# -- the search -------------------------------------------------------------------------
def test_curve_stopping_trains_less_than_hyperband_and_reports_the_curves(data):
    X, y = data
    s = search().fit(X, y)
    res = pd.DataFrame(s.cv_results_)
    plan = hyperband_plan(1, 27, 3)
    assert s.resources_used_ <= sum(hyperband_epochs(b) for b in plan)
    assert s.curve_checkpoints_ == [1, 2, 3, 5, 9, 16, 27]
    assert 0 < s.n_stopped_early_ < s.n_trials_
    # every trial is one row per checkpoint it reached, in order, continuing training
    for _, rows in res.groupby("trial_id"):
        assert list(rows["n_resources"]) == s.curve_checkpoints_[: len(rows)]
    stopped = res[res["curve_stopped"].astype(bool)]
    assert len(stopped) == s.n_stopped_early_
    # stopped by its own curve, or bounded below the best by the finished curves' gains
    assert ((stopped["curve_p_better"] < 0.05) | (stopped["curve_bound"] < s.best_score_)).all()
    assert (stopped["curve_p_better"] < 0.05).any()
    assert (stopped["n_resources"] < 27).all()
    # the best trained the whole budget; its curve was never cut
    assert s.cv_results_["n_resources"][s.best_index_] == 27
    best = res[res["trial_id"] == res["trial_id"][s.best_index_]]
    assert not best["curve_stopped"].astype(bool).any()
    assert s.best_score_ == res.loc[res["n_resources"] == 27, "mean_test_score"].max()


def test_a_hopeless_configuration_stops_early_and_a_good_one_does_not(data):
    X, y = data
    good = {"alpha": 1e-4, "eta0": 0.01}
    hopeless = {"alpha": 1e-1, "eta0": 1e-3}  # heavy penalty, tiny steps: a low plateau
    s = search(initial_points=[good, hopeless], n_candidates=3).fit(X, y)
    res = pd.DataFrame(s.cv_results_)
    reached = res.groupby("trial_id")["n_resources"].max()
    assert reached[0] == 27  # the first to reach the top sets the incumbent
    assert reached[1] < 27
    assert res.loc[res["trial_id"] == 1, "curve_stopped"].astype(bool).any()


def test_a_resumed_curve_search_makes_the_same_decisions(data, tmp_path):
    X, y = data
    path = tmp_path / "curves.jsonl"
    full = search(journal=path, n_jobs=1).fit(X, y)
    events = read_journal(path)[0]
    n_jobs = sum(e["event"] == "job" for e in events)
    with open(path) as f:
        lines = f.readlines()
    kept, n = [], 0
    for line in lines:  # cut the journal halfway, as a SIGKILL would
        if '"event":"job"' in line.replace(" ", ""):
            if n == n_jobs // 2:
                break
            n += 1
        kept.append(line)
    path.write_text("".join(kept))
    resumed = search(journal=path, n_jobs=1).fit(X, y)
    assert resumed.cv_results_["params"] == full.cv_results_["params"]
    for key in ("mean_test_score", "n_resources", "curve_p_better"):
        np.testing.assert_array_equal(resumed.cv_results_[key], full.cv_results_[key])
    assert resumed.best_index_ == full.best_index_


@pytest.mark.parametrize("kw, match", [
    ({"stopping": "median"}, "'stopping' parameter of HyperbandSearchCV must be"),
    ({"curve_threshold": 1.5}, "'curve_threshold' parameter"),
    ({"curve_threshold": 0}, "'curve_threshold' parameter"),
    ({"resource": "n_samples", "max_resources": "auto", "min_resources": "auto"},
     "stopping='curves' needs a resource that continues training"),
    ({"objectives": ["score", "fit_time"]}, "stopping='curves' compares one score"),
])
def test_bad_curve_settings_raise_before_training(data, kw, match):
    X, y = data
    s = search(**kw)
    with pytest.raises(ValueError, match=match):
        s.fit(X, y)
    assert not hasattr(s, "cv_results_")


def test_the_fitted_search_diagnoses_its_best_curves_and_draws_them(data):
    X, y = data
    s = search(return_train_score=True).fit(X, y)
    best = s.learning_curves_[0]
    assert best.trial_id == s.cv_results_["trial_id"][s.best_index_]
    assert best.resources == tuple(float(b) for b in s.curve_checkpoints_)
    assert len(best.train) == len(best.validation) == len(s.curve_checkpoints_)
    assert best.verdict in ("over-fitting", "under-fitting", "still improving", "good fit")
    assert "partial_fit" in best.reason
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    from sktune.plots import RungDisplay

    display = RungDisplay.from_search(s)
    assert len(display.lines_) == s.n_trials_
    # a dotted extrapolation to max_resources for each trial its curve stopped
    assert len(display.predicted_) == s.n_stopped_early_
    for line in display.predicted_.values():
        assert line.get_xdata()[-1] == 27 and line.get_linestyle() == ":"


def test_imported_results_set_the_incumbent_and_racing_never_does(data):
    X, y = data
    first = search(n_candidates=4).fit(X, y)
    # the earlier search's best at max_resources is the incumbent from the start
    again = search(n_candidates=4, initial_results=first, random_state=1).fit(X, y)
    assert again.initial_results_use_ == "results"
    imported = again.cv_results_["imported"]
    new = ~imported & (again.cv_results_["n_resources"] < 27)
    assert np.isfinite(again.cv_results_["curve_p_better"][new]).any()
    # trials run one after another: the first new one is judged at its 4th checkpoint
    # before any new trial finished, so only the imports can be the incumbent there
    res = again.cv_results_
    first_judged = ~imported & (res["trial_id"] == 0) & (res["n_resources"] == 5)
    assert first_judged.sum() == 1 and np.isfinite(res["curve_p_better"][first_judged]).all()
    raced = search(racing=0.3, cv=3, n_candidates=6).fit(X, y)
    res = pd.DataFrame(raced.cv_results_)
    assert raced.best_index_ not in set(np.flatnonzero(res["status"] == "raced"))


def _result(work, score, se=0.01):
    """What the loop reports of ``work`` when its three folds scored around ``score``."""
    folds = np.array([score - se, score, score + se])
    return TrialResult(work, {"score": folds}, {}, np.zeros(3), np.zeros(3), [None] * 3,
                       [None] * 3, score=float(folds.mean()))


def test_stopped_trials_teach_the_proposer_their_predicted_final_score():
    proposer = BudgetProposer(SearchSpace({"a": Real(0.0, 1.0)}), random_state=0)
    scheduler = CurveStoppingScheduler(proposer, min_resources=1, max_resources=27,
                                       n_candidates=2)
    curves = {0: lambda b: 0.9 - 0.3 * b ** -0.5, 1: lambda b: 0.5}  # a climber, a plateau
    while not scheduler.is_finished():
        for work in scheduler.next_work(1):
            scheduler.on_result(_result(work, curves[work.trial_id](work.stop)))
    top = proposer.observations.at(27).items
    assert [round(s, 3) for _, s in top] == [round(curves[0](27), 3), 0.5]
    assert scheduler.trials[1].stopped and len(scheduler.trials[1].scores) == 4
    assert scheduler.trials[1].p_better < 0.05
    # every checkpoint was told at its own budget
    assert [len(proposer.observations.at(b).items) for b in (1, 2, 3, 5, 9)] == [2, 2, 2, 2, 1]


def test_a_raced_out_partial_mean_never_becomes_the_incumbent():
    proposer = BudgetProposer(SearchSpace({"a": Real(0.0, 1.0)}), random_state=0)
    scheduler = CurveStoppingScheduler(proposer, min_resources=1, max_resources=3,
                                       n_candidates=2)
    for score in (0.7, 0.9):  # trial 0 finishes at 0.7; trial 1's last step is raced out
        while True:
            [work] = scheduler.next_work(1)
            result = _result(work, score)
            if work.stop == 3 and score == 0.9:
                result.race = {"dropped": True}
            scheduler.on_result(result)
            if work.stop == 3:
                break
    assert scheduler.incumbent == pytest.approx(0.7)
    assert len(scheduler.finished) == 1
