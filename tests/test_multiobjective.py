"""Multi-objective search: objectives, Pareto ranks, the front, constrained refit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, Integer, PopulationSearchCV, Real
from sktune.objectives import Objectives
from sktune.pareto import dominates, hypervolume, nsga_order, pareto_ranks
from sktune.proposers.random import RandomProposer
from sktune.schedulers.base import TrialResult
from sktune.schedulers.halving import HyperbandScheduler
from sktune.space import SearchSpace


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def forest_search(**kw):
    return BayesSearchCV(RandomForestClassifier(random_state=0),
                         {"n_estimators": Integer(2, 60), "max_depth": Integer(1, 12)},
                         n_iter=14, n_initial_points=6, cv=2, random_state=0, **kw)


def brute_force_ranks(F):
    ranks, left, r = np.zeros(len(F), int), set(range(len(F))), 1
    while left:
        front = {i for i in left if not any(dominates(F[j], F[i]) for j in left if j != i)}
        for i in front:
            ranks[i] = r
        left -= front
        r += 1
    return ranks


def test_pareto_ranks_and_hypervolume_against_brute_force():
    rng = np.random.default_rng(0)
    for m in (2, 3):
        F = rng.random((40, m))
        assert (pareto_ranks(F) == brute_force_ranks(F)).all()
        points = rng.random((200_000, m))
        covered = ((points[:, None, :] <= F[None, :, :]).all(axis=2)).any(axis=1).mean()
        assert hypervolume(F, np.zeros(m)) == pytest.approx(covered, abs=5e-3)


def test_model_size_and_pareto_columns_of_a_bayes_search(digits):
    search = forest_search(objectives=["score", "model_size"]).fit(*digits)
    res = search.cv_results_
    sizes = np.array([np.mean(r["model_size"]) for r in search.history_])
    assert (sizes > 0).all()
    trees = np.array([p["n_estimators"] for p in res["params"]])
    depth = np.array([p["max_depth"] for p in res["params"]])
    bigger = (trees[:, None] > trees[None, :]) & (depth[:, None] >= depth[None, :])
    assert (sizes[:, None] > sizes[None, :])[bigger].all()  # more trees: a larger model
    F = np.column_stack([res["mean_test_score"], -sizes])
    assert (res["pareto_rank"] == brute_force_ranks(F)).all()
    assert search.pareto_front_ == [int(i) for i in np.flatnonzero(res["pareto_rank"] == 1)]
    assert search.best_index_ == int(np.argmax(res["mean_test_score"]))  # no constraints
    assert search.best_index_ in search.pareto_front_


def test_constraints_pick_the_best_feasible_row_and_say_so(digits):
    search = forest_search(objectives=["score", "model_size"],
                           constraints={"model_size": 60_000}).fit(*digits)
    res = search.cv_results_
    sizes = np.array([np.mean(r["model_size"]) for r in search.history_])
    feasible = sizes <= 60_000
    assert feasible.any() and not feasible.all()
    best = search.best_index_
    assert feasible[best]
    assert res["mean_test_score"][best] == res["mean_test_score"][feasible].max()
    assert "meeting model_size <= 60000" in search.refit_explanation_
    assert search.best_estimator_.n_estimators == search.best_params_["n_estimators"]


@pytest.mark.parametrize("kw, match", [
    (dict(objectives=["score", "speed"]), "names 'speed', which is neither a metric"),
    (dict(objectives=["score"]), "needs at least two objectives"),
    (dict(constraints={"fit_time": 1.0}), "'constraints' parameter of BayesSearchCV needs"),
    (dict(objectives={"score": "up", "fit_time": "min"}), "must be 'max' or 'min'"),
    (dict(objectives=["score", "fit_time"], constraints={"fit_time": "1s"}),
     "must be a finite number"),
    (dict(objectives=["score", "fit_time"], scoring=lambda est, X, y: 1.0), "named metrics"),
])
def test_bad_objectives_fail_before_training(digits, kw, match):
    class Never(RandomForestClassifier):
        def fit(self, X, y):
            raise AssertionError("trained")

    search = BayesSearchCV(Never(), {"max_depth": Integer(1, 3)}, n_iter=2, cv=2, **kw)
    with pytest.raises(ValueError, match=match):
        search.fit(*digits)


def _result(trial_id, rung, vector):
    from sktune.schedulers.base import Work

    work = Work(trial_id, {"alpha": 0.1}, start=0, stop=1, info={"rung": rung})
    r = TrialResult(work=work, test_scores={"score": np.array([vector[0]])},
                    train_scores={}, fit_times=np.zeros(1), score_times=np.zeros(1),
                    errors=[None], devices=[None], score=float(vector[0]))
    r.objectives = np.asarray(vector, dtype=float)
    return r


def test_hyperband_promotes_by_non_dominated_sorting():
    # 9 trials, one rung: score alone would promote the top 3 scores; the front promotes
    # the non-dominated ones, spread out by crowding distance
    space = SearchSpace({"alpha": Real(1e-3, 1.0)})
    sched = HyperbandScheduler(RandomProposer(space, random_state=0), min_resources=1,
                               max_resources=3, factor=3, brackets=[0])
    works = sched.next_work(100)
    assert len(works) == 3
    vectors = [[0.9, -5.0], [0.5, -1.0], [0.8, -4.0]]  # all three non-dominated
    for w, v in zip(works, vectors):
        sched.on_result(_result(w.trial_id, 0, v))
    [promoted] = sched.next_work(100)
    order = nsga_order(np.array(vectors))
    assert promoted.trial_id == works[order[0]].trial_id


def test_all_three_searches_take_objectives(digits):
    X, y = digits
    space = {"alpha": Real(1e-6, 1e-1, log=True), "penalty": Categorical(["l2", "l1"])}
    for search in (
        HyperbandSearchCV(SGDClassifier(random_state=0), space, max_resources=9, cv=2,
                          random_state=0, objectives=["score", "fit_time"]),
        HyperbandSearchCV(SGDClassifier(random_state=0), space, max_resources=9, cv=2,
                          random_state=0, asynchronous=True, objectives=["score", "fit_time"]),
        PopulationSearchCV(SGDClassifier(random_state=0), space, population_size=6,
                           max_resources=4, perturbation_interval=2, cv=2, random_state=0,
                           objectives=["score", "fit_time"]),
    ):
        search.fit(X, y)
        res = search.cv_results_
        assert "pareto_rank" in res and search.pareto_front_
        # the best score is on the front (a tie may put a faster equal row there instead)
        front_scores = res["mean_test_score"][search.pareto_front_]
        assert res["mean_test_score"][search.best_index_] == front_scores.max()
        assert "objectives: max score, min fit_time" in search.refit_explanation_


def test_objectives_class_directions():
    obj = Objectives({"score": "max", "fit_time": "min"}, {"fit_time": 2.0}, ["score"], "X")
    row = {"errors": [None, None], "test": {"score": [0.8, 0.9]}, "fit_time": [1.0, 3.0]}
    np.testing.assert_allclose(obj.maximised([row])[0], [0.85, -2.0])
    assert obj.feasible(row)
    row["fit_time"] = [3.0, 3.0]
    assert not obj.feasible(row)
