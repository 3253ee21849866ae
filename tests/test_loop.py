"""The search loop on its own: a scripted scheduler and an executor that scores by rule.

These run in milliseconds; the searches' own tests train real models through it.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier

from sktune import HyperbandSearchCV, PopulationSearchCV, Real
from sktune._evaluate import JobResult
from sktune._models import ModelStore
from sktune.events import EventStream
from sktune.loop import SearchLoop
from sktune.records import History, ReplayingExecutor
from sktune.schedulers.base import Scheduler, Work


class ScriptedExecutor:
    """Scores a job ``trial_id + fold / 10``; hands results back in reverse order."""

    capacity = 2

    def __init__(self):
        self.jobs, self._pending = [], []

    @property
    def n_pending(self):
        return len(self._pending)

    def submit(self, job):
        self.jobs.append(job)
        model = (job.model or ()) + ((job.start, job.stop),)  # the budgets it was trained over
        self._pending.append(JobResult(job.trial_id, job.fold, test_scores={
            "score": job.trial_id + job.fold / 10}, model=model if job.return_model else None))

    def next_results(self):
        out, self._pending = self._pending[::-1], []
        return out


class TwoRounds(Scheduler):
    """Round 1: trials 0-2 to budget 1. Round 2: trial 0 continues to budget 3."""

    def __init__(self):
        super().__init__()
        self.told = []

    def next_work(self, n_free):
        if not self.told:
            return [Work(t, {"t": t}, start=0, stop=1) for t in range(3)]
        if len(self.told) == 3:
            return [Work(0, {"t": 0}, start=1, stop=3)]
        return []

    def on_result(self, result):
        self.told.append((result.trial_id, result.work.stop))

    def is_finished(self):
        return len(self.told) == 4

    def keep_models(self, trial_id):
        return trial_id == 0 and len(self.told) < 4

    def level(self, row):
        return float(row["stop"])


class Recorder:
    def __init__(self, stop_after=None):
        self.events, self.stop_after = [], stop_after

    def on_job_begin(self, job):
        self.events.append(("begin", job.trial_id, job.fold))

    def on_trial_end(self, result, row, state):
        self.events.append(("trial", result.trial_id, state.best_score))
        return self.stop_after is not None and state.n_trials >= self.stop_after


def _run(listener, scheduler=None):
    scheduler = scheduler or TwoRounds()
    executor = ScriptedExecutor()
    history = History(scheduler.level, "score")
    loop = SearchLoop(scheduler, ReplayingExecutor(executor), history, EventStream([listener]),
                      ModelStore(), n_splits=2, entropy=0, metric="score", error_score=np.nan)
    loop.run()
    return scheduler, executor, history


def test_a_synchronous_round_is_recorded_in_trial_order_and_models_continue():
    scheduler, executor, history = _run(Recorder())
    # results came back in reverse, yet the scheduler heard them in trial order
    assert scheduler.told == [(0, 1), (1, 1), (2, 1), (0, 3)]
    assert [r["trial_id"] for r in history.rows] == [0, 1, 2, 0]
    np.testing.assert_allclose(history.scores, [0.05, 1.05, 2.05, 0.05])
    # the second step of trial 0 continued the fold models of its first step
    last = [j for j in executor.jobs if j.stop == 3]
    assert [(j.start, j.model) for j in last] == [(1, ((0, 1),)), (1, ((0, 1),))]
    assert all(j.model is None for j in executor.jobs if j.stop == 1)


def test_the_running_best_follows_the_rule_of_best_index():
    listener = Recorder()
    _, _, history = _run(listener)
    bests = [e[2] for e in listener.events if e[0] == "trial"]
    # at budget 1 trial 2 leads; once trial 0 reaches budget 3 only that level counts
    np.testing.assert_allclose(bests, [0.05, 1.05, 2.05, 0.05])
    assert history.best_row() is history.rows[3]
    assert history.eligible().tolist() == [False, False, False, True]


def test_a_listener_stops_the_search_after_the_round_in_flight():
    listener = Recorder(stop_after=1)
    scheduler, executor, history = _run(listener)
    assert scheduler.told == [(0, 1), (1, 1), (2, 1)]  # the round finished, no new work
    assert len(executor.jobs) == 6
    begins = [e for e in listener.events if e[0] == "begin"]
    assert begins == [("begin", t, k) for t in range(3) for k in range(2)]


def test_hyperband_callbacks_see_the_best_the_search_picks():
    X, y = make_classification(200, 6, n_informative=4, random_state=0)
    low_rung_led = 0
    for seed in range(8):
        seen = []
        search = HyperbandSearchCV(
            SGDClassifier(random_state=0), {"alpha": Real(1e-5, 1e-1, log=True)},
            max_resources=9, cv=3, random_state=seed,
            callbacks=[lambda s, seen=seen: seen.append((s.best_score, s.best_params))],
        ).fit(X, y)
        res = search.cv_results_
        # a low-budget score higher than every full-budget one: the rule must skip it
        low_rung_led += res["mean_test_score"].max() > search.best_score_
        assert seen[-1] == (search.best_score_, search.best_params_)
        assert search.best_score_so_far_ == search.best_score_
        for i, (score, params) in enumerate(seen):  # each running best is at the top level
            so_far = slice(0, i + 1)
            top = res["n_resources"][so_far][res["status"][so_far] == "ok"].max()
            means = np.where(res["n_resources"][so_far] == top, res["mean_test_score"][so_far],
                             -1)
            assert (score, params) == (means.max(), res["params"][int(np.argmax(means))])
    assert low_rung_led >= 1  # the case the rule is for did occur


@pytest.mark.parametrize("kind", ["hyperband", "asha", "pbt", "pbt-async"])
def test_the_loop_holds_only_the_models_the_scheduler_still_needs(kind, monkeypatch):
    """Schedulers release models by decision; after every result the loop holds exactly
    those of trials that will be continued (fingerprints check none was dropped early)."""
    from sktune.search import base

    held, leaks = [], []

    class Checked(SearchLoop):
        def record(self, result):
            super().record(result)
            ids = list(self.models)
            held.append(len(ids))
            leaks.extend(t for t in ids if not self.scheduler.keep_models(t))

    monkeypatch.setattr(base, "SearchLoop", Checked)
    X, y = make_classification(200, 6, n_informative=4, random_state=0)
    space = {"alpha": Real(1e-5, 1e-1, log=True), "eta0": Real(1e-3, 1.0, log=True)}
    sgd = SGDClassifier(learning_rate="constant", random_state=0)
    if kind in ("hyperband", "asha"):
        HyperbandSearchCV(sgd, space, max_resources=27, cv=2, random_state=0,
                          asynchronous=kind == "asha", n_candidates=30 if kind == "asha" else None,
                          ).fit(X, y)
    else:
        PopulationSearchCV(sgd, space, population_size=6, max_resources=12,
                           perturbation_interval=2, cv=2, random_state=0,
                           synchronous=kind == "pbt").fit(X, y)
    assert leaks == [] and max(held) > 0
    if kind != "asha":  # ASHA's last rungs may still promote when its trials run out
        assert held[-1] == 0
