"""``python -m sktune demo --quick``: every search on every task, a leaderboard, PNG plots."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("matplotlib")

from sktune import demo  # noqa: E402
from sktune.__main__ import main  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_demo_quick_runs_all_three_searches(tmp_path, capsys):
    # (its run time is not asserted: a timed assertion fails on a loaded machine)
    status = main(["demo", "--quick", "--out", str(tmp_path), "--n-jobs", "1"])
    assert status == 0
    out = capsys.readouterr().out
    methods = ["BayesSearchCV", "HyperbandSearchCV", "PopulationSearchCV"]
    tasks = ["pipeline"] + ([] if demo._net_unavailable() else ["net"])
    # the leaderboard: one row per (task, method), with its columns
    assert "best CV" in out and "test" in out and "epochs" in out and "wall (s)" in out
    rows = [line.split() for line in out.splitlines()
            if line.split()[:1] and line.split()[0] in tasks and len(line.split()) >= 8]
    assert sorted((r[0], r[1]) for r in rows) == sorted((t, m) for t in tasks for m in methods)
    for r in rows:
        best_cv, test = float(r[2]), float(r[-5])
        assert 0.5 < best_cv <= 1 and 0.5 < test <= 1  # digits: far above chance (0.1)
    # Hyperband trains more configurations than Bayes for a similar number of epochs
    by = {(r[0], r[1]): r for r in rows}
    assert int(by["pipeline", "HyperbandSearchCV"][-3]) > int(by["pipeline", "BayesSearchCV"][-3])
    # the plots: valid PNG files, one per kind and task
    for task in tasks:
        for kind in ("convergence", "bayes_parallel_coordinates", "hyperband_rungs",
                     "pbt_lineage"):
            path = tmp_path / f"{task}_{kind}.png"
            assert path.exists(), path
            data = path.read_bytes()
            assert data[:8] == PNG_MAGIC and len(data) > 10_000
        assert f"{task}_convergence.png" in out


def test_demo_run_returns_leaderboard_rows(tmp_path):
    rows = demo.run_demo(tmp_path, quick=True, net=False, n_jobs=1, stream=io.StringIO())
    assert {r["method"] for r in rows} == {"BayesSearchCV", "HyperbandSearchCV",
                                          "PopulationSearchCV"}
    for r in rows:
        assert r["epochs"] > 0 and r["wall_time"] > 0 and r["results"] >= r["configs"] >= 1
    table = demo.format_leaderboard(rows)
    assert table.count("\n") == len(rows) + 1  # header, rule, rows
    assert table.count(" *") == 1  # the task's best is starred


def test_demo_skips_the_net_without_skorch(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "skorch", None)  # import skorch -> ImportError
    assert "pip install sktune[torch]" in demo._net_unavailable()


def test_main_help_and_bad_command(capsys):
    assert main([]) == 2
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["nope"])
