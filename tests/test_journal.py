"""Journal and resume: nothing finished is lost, resumed searches end the same (issue 4)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from _exec_helpers import Fragile, ListSearch, same_results
from sklearn.datasets import make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from sktune import BayesSearchCV, Categorical, Real
from sktune.records import read_journal

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def data():
    return make_regression(120, 5, noise=10.0, random_state=1)


def bayes(**kw):
    params = dict(n_iter=8, n_initial_points=3, cv=3, random_state=0, refit=False)
    params.update(kw)
    return BayesSearchCV(Ridge(), {"alpha": Real(1e-3, 1e3, log=True),
                                   "fit_intercept": Categorical([True, False])}, **params)


class StopAfter:
    """A callback that interrupts ``fit`` like Ctrl-C (once) after ``n`` results."""

    def __init__(self, n):
        self.n = n
        self.fired = False

    def __call__(self, state):
        if state.n_trials >= self.n and not self.fired:
            self.fired = True
            raise KeyboardInterrupt


def events(path):
    return read_journal(path)[0]


@pytest.mark.parametrize("n_points", [1, 3])
def test_resume_after_interruptions_at_several_points_gives_identical_results(
        data, tmp_path, n_points):
    X, y = data
    full = bayes(n_points=n_points).fit(X, y)
    path = tmp_path / "run.jsonl"
    for stop in (1, 4, 6):
        with pytest.warns(UserWarning, match="interrupted"):
            bayes(n_points=n_points, journal=path, callbacks=StopAfter(stop)).fit(X, y)
        n_results = sum(e["event"] == "result" for e in events(path))
        assert n_results >= stop
    resumed = bayes(n_points=n_points, journal=path).fit(X, y)
    assert resumed.n_replayed_jobs_ >= 6 * 3
    assert same_results(full, resumed)
    assert resumed.cv_results_["params"] == full.cv_results_["params"]
    # a finished journal replays everything and runs nothing
    again = bayes(n_points=n_points, journal=path).fit(X, y)
    assert again.n_replayed_jobs_ == 8 * 3 and again.busy_time_ == 0
    assert same_results(full, again)


def test_journal_is_plain_json_one_line_per_event(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    bayes(journal=str(path), n_iter=4).fit(X, y)
    lines = path.read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    kinds = [e["event"] for e in parsed]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("job") == 4 * 3 and kinds.count("result") == 4
    start = parsed[0]
    assert set(start["parts"]) == {"search", "space", "estimator", "cv", "scoring", "data"}
    row = next(e["row"] for e in parsed if e["event"] == "result")
    assert set(row["params"]) == {"alpha", "fit_intercept"} and len(row["test"]["score"]) == 3


def test_a_torn_last_line_is_dropped_and_cut(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    with pytest.warns(UserWarning, match="interrupted"):
        bayes(journal=path, callbacks=StopAfter(3)).fit(X, y)
    good = path.read_bytes()
    path.write_bytes(good + b'{"event": "job", "trial_id": 3, "fo')
    assert events(path) == events_from_bytes(good)
    resumed = bayes(journal=path).fit(X, y)
    assert same_results(bayes().fit(X, y), resumed)
    assert all(json.loads(line) for line in path.read_text().splitlines())


def events_from_bytes(raw):
    return [json.loads(line) for line in raw.decode().splitlines()]


def test_a_corrupt_line_in_the_middle_is_an_error(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    bayes(journal=path, n_iter=3).fit(X, y)
    lines = path.read_text().splitlines()
    lines[2] = "not json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="'journal'.*line 3"):
        bayes(journal=path, n_iter=3).fit(X, y)


@pytest.mark.parametrize("change, part", [
    (dict(search_spaces={"alpha": Real(1e-2, 1e3, log=True)}), "space"),
    (dict(estimator=Ridge(solver="svd")), "estimator"),
    (dict(cv=KFold(3, shuffle=True, random_state=5)), "cv"),
    (dict(scoring="neg_mean_squared_error"), "scoring"),
    (dict(acq_func="PI"), "search"),
    (dict(random_state=1), "search"),
])
def test_a_journal_of_another_configuration_is_refused(data, tmp_path, change, part):
    X, y = data
    path = tmp_path / "run.jsonl"
    bayes(journal=path, n_iter=3).fit(X, y)
    before = path.read_bytes()
    other = bayes(journal=path, n_iter=3)
    other.set_params(**change)
    with pytest.raises(ValueError, match=f"'journal' file .* differs in: .*{part}"):
        other.fit(X, y)
    assert path.read_bytes() == before  # nothing mixed in


def test_a_journal_of_other_data_is_refused(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    bayes(journal=path, n_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="differs in: data"):
        bayes(journal=path, n_iter=3).fit(X, y + 1.0)


def test_more_trials_continue_a_finished_journal(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    bayes(journal=path, n_iter=4).fit(X, y)
    longer = bayes(journal=path, n_iter=8).fit(X, y)
    assert longer.n_replayed_jobs_ == 4 * 3
    assert same_results(bayes(n_iter=8).fit(X, y), longer)


def test_failed_trials_are_journaled_and_not_run_again(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    items = [{"action": a, "alpha": 1.0 + i} for i, a in enumerate(["ok", "raise", "ok", "ok"])]
    space = {"action": ["ok", "raise"], "alpha": (0.1, 10.0)}
    with pytest.warns(UserWarning, match="interrupted"):
        ListSearch(Fragile(), space, items, cv=2, journal=path,
                   callbacks=StopAfter(3)).fit(X, y)
    jobs = [e for e in events(path) if e["event"] == "job"]
    assert sum("boom" in (e["error"] or "") for e in jobs) == 2
    with pytest.warns(FitFailedWarning, match="2 fits failed out of a total of 8"):
        resumed = ListSearch(Fragile(), space, items, cv=2, journal=path).fit(X, y)
    assert resumed.n_replayed_jobs_ == 6
    assert resumed.cv_results_["status"].tolist() == ["ok", "failed", "ok", "ok"]


def test_random_state_none_resumes_with_the_journaled_seed(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    with pytest.warns(UserWarning, match="interrupted"):
        bayes(journal=path, random_state=None, callbacks=StopAfter(4)).fit(X, y)
    first = [e["row"]["params"] for e in events(path) if e["event"] == "result"]
    resumed = bayes(journal=path, random_state=None).fit(X, y)
    assert resumed.n_replayed_jobs_ >= 4 * 3
    assert resumed.cv_results_["params"][:len(first)] == first


def test_asynchronous_mode_resumes_without_losing_finished_jobs(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    with pytest.warns(UserWarning, match="interrupted"):
        bayes(journal=path, n_points=None, callbacks=StopAfter(3)).fit(X, y)
    resumed = bayes(journal=path, n_points=None).fit(X, y)
    assert resumed.n_replayed_jobs_ >= 3 * 3
    assert len(resumed.cv_results_["params"]) == 8


@pytest.mark.slow
def test_ctrl_c_ends_the_search_and_leaves_the_journal_resumable(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    script = textwrap.dedent(f"""
        import signal
        import sys
        # a shell's background job inherits SIGINT ignored: take Ctrl-C as a terminal does
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.path.insert(0, {HERE!r})
        from _exec_helpers import Fragile, ListSearch
        from sklearn.datasets import make_regression
        X, y = make_regression(120, 5, noise=10.0, random_state=1)
        items = [{{"action": "slow", "alpha": 0.5 + i}} for i in range(8)]
        ListSearch(Fragile(sleep=0.3), {{"action": ["slow"], "alpha": (0.1, 20.0)}}, items,
                   cv=2, journal={str(path)!r}).fit(X, y)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    deadline = time.time() + 90
    while time.time() < deadline:
        if path.exists() and sum(e["event"] == "result" for e in events(path)) >= 3:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    # the search ends cleanly with the results so far; the journal stays resumable
    assert proc.returncode == 0 and b"interrupted (Ctrl-C)" in err, err[-2000:]
    done = [e for e in events(path) if e["event"] == "job"]
    assert len(done) >= 6
    assert all(json.loads(line) for line in path.read_text().splitlines())  # no torn line
    items = [{"action": "slow", "alpha": 0.5 + i} for i in range(8)]
    space = {"action": ["slow"], "alpha": (0.1, 20.0)}
    resumed = ListSearch(Fragile(sleep=0.0), space, items, cv=2, journal=path)
    with pytest.raises(ValueError, match="differs in: estimator"):
        resumed.fit(X, y)  # sleep is an estimator parameter: a different configuration
    resumed = ListSearch(Fragile(sleep=0.3), space, items, cv=2, journal=path).fit(X, y)
    assert resumed.n_replayed_jobs_ == len(done)
    fresh = ListSearch(Fragile(sleep=0.0), space, items, cv=2).fit(X, y)
    np.testing.assert_array_equal(resumed.cv_results_["mean_test_score"],
                                  fresh.cv_results_["mean_test_score"])
