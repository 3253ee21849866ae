"""The --smoke tier of benchmarks/bayesmark.py, in-process: BayesSearchCV must not lose to
random search on Bayesmark-style problems (real small models, 5-fold CV, held-out split)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bayesmark.py"


@pytest.fixture(scope="module")
def bayesmark():
    spec = importlib.util.spec_from_file_location("_bayesmark_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_problem_set_is_bayesmarks(bayesmark):
    # 9 model families x (4 classification datasets x 2 metrics + diabetes x 2 metrics)
    assert len(bayesmark.ALL_PROBLEMS) == 90
    assert len(bayesmark.LITE) == 16
    assert {p.model for p in bayesmark.LITE} == set(bayesmark.MODELS)
    for p in bayesmark.ALL_PROBLEMS:  # every space builds, and its estimator takes its names
        params = p.estimator().get_params()
        assert all(p.prefix + name in params for name in p.space)


def test_smoke_tier_bayes_not_worse_than_random(bayesmark):
    problems, n_evals, n_seeds, checkpoints = bayesmark.TIERS["smoke"]
    methods = ["BayesSearchCV", bayesmark.RANDOM]
    seeds = list(range(n_seeds))
    results = bayesmark.run_suite(problems, methods, seeds, n_evals, n_jobs=1)
    for (_, _, _), run in results.items():
        assert len(run["losses"]) == n_evals
        assert np.isfinite(run["generalization"])
    rows, scores = bayesmark.summary(results, problems, methods, seeds, n_evals)
    # random search's median sits at 0 by construction; the best run of the pool scores 100,
    # unless random's median already found the pool's best loss (then every score is 0)
    for p in problems:
        assert np.median(scores[bayesmark.RANDOM, p.name]) == pytest.approx(0.0, abs=1e-9)
        best = max(scores[m, p.name].max() for m in methods)
        solved = all((scores[m, p.name] == 0).all() for m in methods)
        assert best == pytest.approx(100.0) or solved
    assert rows["BayesSearchCV"]["mean"] >= rows[bayesmark.RANDOM]["mean"], rows


def test_noise_note_leader_is_ahead_by_the_mean_it_pairs_on(bayesmark):
    # "a" has the better median over seeds, "b" the better mean: the leader is "b", so the
    # paired gap it reports is positive, never a leader shown behind
    rows = {"a": {"mean": 60.0, "per_seed": np.array([60.0, 61.0, 10.0])},
            "b": {"mean": 50.0, "per_seed": np.array([50.0, 52.0, 70.0])}}
    note = bayesmark._noise_note(rows, seeds=[0, 1, 2])
    assert note.startswith("inside noise of the leader b")
    assert "a (+" in note
