"""A search resumed from its journal is the search that was not interrupted.

The journal keeps every finished job but not the fold models. A resumed
population (or Hyperband) search whose models were lost rebuilds them by
rerunning the steps that trained them, so its later steps, exploits and
scores are those of the uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier

from sktune import HyperbandSearchCV, PopulationSearchCV, Real
from sktune.records import read_journal

HERE = os.path.dirname(os.path.abspath(__file__))
SPACE = {"alpha": Real(1e-5, 1e-1, log=True), "eta0": Real(1e-3, 1.0, log=True)}


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def pbt(**kw):
    params = dict(mutable_params=["alpha", "eta0"], population_size=4, max_resources=8,
                  perturbation_interval=2, quantile_fraction=0.5, cv=2, random_state=0)
    params.update(kw)
    return PopulationSearchCV(SGDClassifier(learning_rate="constant", random_state=0), SPACE,
                              **params)


def hyperband(**kw):
    return HyperbandSearchCV(SGDClassifier(learning_rate="constant", random_state=0), SPACE,
                             max_resources=9, cv=2, random_state=0, **kw)


def keep_first_jobs(path, n_jobs):
    """Cut the journal after its first ``n_jobs`` job lines, as a SIGKILL would."""
    with open(path) as f:
        lines = f.readlines()
    kept, n = [], 0
    for line in lines:
        if '"event":"job"' in line.replace(" ", ""):
            if n == n_jobs:
                break
            n += 1
        if '"event":"end"' in line.replace(" ", ""):
            break
        kept.append(line)
    with open(path, "w") as f:
        f.writelines(kept)


def assert_same_search(a, b):
    ra, rb = a.cv_results_, b.cv_results_
    assert ra["params"] == rb["params"]
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(ra[key], rb[key])
    for key in ("param_member_id", "param_parent_id", "parent_id", "member_id"):
        if key in ra:
            assert list(ra[key]) == list(rb[key]), key
    assert a.best_index_ == b.best_index_
    assert a.best_params_ == b.best_params_


@pytest.mark.parametrize("n_jobs", [6, 11, 19])
def test_population_resumed_after_a_cut_journal_is_the_uninterrupted_search(
        data, tmp_path, n_jobs):
    X, y = data
    path = tmp_path / "pbt.jsonl"
    full = pbt(journal=path).fit(X, y)
    keep_first_jobs(path, n_jobs)
    resumed = pbt(journal=path).fit(X, y)
    assert resumed.n_replayed_jobs_ == n_jobs
    assert_same_search(full, resumed)
    assert resumed.best_schedule_ == full.best_schedule_
    assert resumed.lineage_ == full.lineage_
    np.testing.assert_array_equal(resumed.predict(X), full.predict(X))


def test_population_steps_after_a_resume_continue_their_step_budget(data, tmp_path):
    # the rebuilt models reach the budget the step starts from: the journal records the
    # start that was asked for, not a retraining from 0
    X, y = data
    path = tmp_path / "pbt.jsonl"
    pbt(journal=path).fit(X, y)
    keep_first_jobs(path, 9)
    pbt(journal=path).fit(X, y)
    jobs = [e for e in read_journal(path)[0] if e["event"] == "job"]
    assert all(e["start"] == e.get("asked_start", e["start"]) for e in jobs)
    assert {e["start"] for e in jobs} == {0, 2, 4, 6}


def test_hyperband_resumed_after_a_cut_journal_is_the_uninterrupted_search(data, tmp_path):
    X, y = data
    path = tmp_path / "hb.jsonl"
    full = hyperband(journal=path).fit(X, y)
    n_jobs = sum(e["event"] == "job" for e in read_journal(path)[0])
    keep_first_jobs(path, n_jobs // 2)
    resumed = hyperband(journal=path).fit(X, y)
    assert_same_search(full, resumed)


SIGKILLED = """
import sys
sys.path.insert(0, {here!r})
from test_resume_exact import data, pbt
X, y = data.__wrapped__()

class KillAfter:
    def __init__(self, n):
        self.n = n
    def __call__(self, state):
        if state.n_trials >= self.n:
            import os, signal
            os.kill(os.getpid(), signal.SIGKILL)

pbt(journal={path!r}, callbacks=KillAfter(7)).fit(X, y)
"""


def test_population_resumed_after_sigkill_is_the_uninterrupted_search(data, tmp_path):
    X, y = data
    path = tmp_path / "killed.jsonl"
    code = textwrap.dedent(SIGKILLED.format(here=HERE, path=str(path)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    n_done = sum(e["event"] == "result" for e in read_journal(path)[0])
    assert 7 <= n_done < 16
    resumed = pbt(journal=path).fit(X, y)
    assert_same_search(pbt().fit(X, y), resumed)


@pytest.mark.parametrize("kind", ["pbt", "hyperband"])
def test_skorch_searches_resumed_after_a_cut_journal_are_the_uninterrupted_ones(tmp_path, kind):
    # a net continued over steps draws its batches from each step's own torch seed: the
    # rebuilt nets must draw the same ones
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    X, y = load_digits(return_X_y=True)
    X, y = X[:300].astype(np.float32) / 16.0, y[:300].astype(np.int64)
    net = skorch.NeuralNetClassifier(
        torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)),
        criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, max_epochs=4,
        batch_size=32, train_split=None, iterator_train__shuffle=True, verbose=0)
    space = {"lr": Real(1e-3, 0.3, log=True)}
    if kind == "pbt":
        def make(**kw):
            return PopulationSearchCV(net, space, population_size=4, max_resources=4,
                                      perturbation_interval=1, quantile_fraction=0.5, cv=2,
                                      random_state=0, **kw)
    else:
        def make(**kw):
            return HyperbandSearchCV(net, space, max_resources=4, factor=2, cv=2,
                                     random_state=0, **kw)
    path = tmp_path / f"{kind}.jsonl"
    full = make(journal=path).fit(X, y)
    n_jobs = sum(e["event"] == "job" for e in read_journal(path)[0])
    keep_first_jobs(path, n_jobs // 2)
    resumed = make(journal=path).fit(X, y)
    assert 0 < resumed.n_replayed_jobs_ < n_jobs
    assert_same_search(full, resumed)
