"""The report: a summary and one self-contained HTML page, of a search or of its journal
(also while the search is still writing it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, PopulationSearchCV, Real
from sktune.records import read_journal
from sktune.report import summary, write_html

SPACE = {"alpha": Real(1e-6, 1e-1, log=True), "penalty": Categorical(["l2", "l1"])}
SEARCHES = {
    "bayes": lambda **kw: BayesSearchCV(LogisticRegression(max_iter=300),
                                        {"C": Real(1e-2, 1e2, log=True)}, n_iter=10, cv=3,
                                        random_state=0, **kw),
    "hyperband": lambda **kw: HyperbandSearchCV(SGDClassifier(random_state=0), SPACE,
                                                max_resources=9, cv=3, random_state=0, **kw),
    "pbt": lambda **kw: PopulationSearchCV(SGDClassifier(random_state=0), SPACE,
                                           population_size=6, max_resources=4,
                                           perturbation_interval=2, cv=3, random_state=0,
                                           # a journal holds no holdout replay (the best
                                           # read from it is the CV rule's)
                                           holdout=None, **kw),
}


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_the_journal_gives_the_search_own_summary(iris, tmp_path, name):
    path = tmp_path / f"{name}.jsonl"
    search = SEARCHES[name](journal=path).fit(*iris)
    ours, read = summary(search), summary(str(path))
    assert read["best_params"] == ours["best_params"] == search.best_params_
    assert read["best_score"] == pytest.approx(search.best_score_)
    assert read["best_index"] == search.best_index_
    assert read["n_results"] == len(search.cv_results_["params"])
    assert read["stop_reason"] == "completed" and ours["stop_reason"] == "completed"
    json.dumps(read)  # plain JSON


@pytest.mark.parametrize("name, sections", [
    ("bayes", ["Leaderboard", "Convergence", "Hyperparameter importance"]),
    ("hyperband", ["Leaderboard", "Convergence", "Rungs"]),
    ("pbt", ["Leaderboard", "Convergence", "Lineage"]),
])
def test_the_page_is_self_contained(iris, tmp_path, name, sections):
    path = tmp_path / f"{name}.jsonl"
    SEARCHES[name](journal=path).fit(*iris)
    page = tmp_path / "report.html"
    write_html(str(path), page)
    text = page.read_text()
    for section in sections:
        assert f"<h2>{section}" in text
    assert text.count("<svg") >= len(sections) - 1
    assert "Not drawn" not in text
    # nothing fetched: no scripts, no linked files or remote resources
    assert "<script" not in text and "src=" not in text and "<link" not in text
    assert 'href="http' not in text


def test_a_torn_unfinished_journal_is_reported_as_running(iris, tmp_path):
    path = tmp_path / "run.jsonl"
    SEARCHES["bayes"](journal=path).fit(*iris)
    lines = path.read_text().splitlines(keepends=True)
    cut = [line for line in lines if '"end"' not in line][:-3]
    path.write_text("".join(cut) + '{"event": "job", "tri')  # killed mid-write
    info = write_html(str(path), tmp_path / "r.html")
    assert info["stop_reason"].startswith("running")
    assert 0 < info["n_results"] < 10


SLOW_SEARCH = """
import sys, time
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sktune import BayesSearchCV, Real
X, y = load_iris(return_X_y=True)
BayesSearchCV(LogisticRegression(max_iter=300), {{"C": Real(1e-2, 1e2, log=True)}}, n_iter=30,
              cv=2, random_state=0, journal={path!r},
              callbacks=lambda state: time.sleep(0.3)).fit(X, y)
"""


def test_the_report_reads_a_journal_while_the_search_writes_it(tmp_path):
    path = tmp_path / "live.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(SLOW_SEARCH.format(
        path=str(path)))])
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if path.exists() and sum(e["event"] == "result" for e in read_journal(path)[0]) >= 3:
                break
            time.sleep(0.1)
        out = subprocess.run([sys.executable, "-m", "sktune", "report", str(path), "--json"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert proc.poll() is None  # the search was still running
        info = json.loads(out.stdout[out.stdout.index("{"):])
        assert info["stop_reason"].startswith("running") and 3 <= info["n_results"] < 30
        assert os.path.exists(str(path).rsplit(".", 1)[0] + ".html")
    finally:
        proc.wait(timeout=120)
    assert summary(str(path))["stop_reason"] == "completed"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no headless chromium here")
def test_the_page_renders_in_a_headless_browser(iris, tmp_path):
    path = tmp_path / "hb.jsonl"
    SEARCHES["hyperband"](journal=path).fit(*iris)
    page = tmp_path / "report.html"
    write_html(str(path), page)
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert "Leaderboard" in dom and dom.count("<svg") >= 2
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    f"--screenshot={shot}", "--window-size=1100,2000", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.stat().st_size > 50_000  # a drawn page, not a blank one
    assert np.isfinite(summary(str(path))["best_score"])
