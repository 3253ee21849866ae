"""Benchmark the schedulers' own cost: decisions per result, without training anything.

Drives ASHA, synchronous Hyperband and PBT through their whole schedule with
random scores, as the search loop does (ask for work, tell each result, drop
the models the scheduler releases), and prints the seconds each spends
deciding, for growing numbers of trials. Model training is what a search should
spend its time on; this is the overhead on top, and it must stay small as
searches grow. Median and spread over ``--seeds`` seeds.

Usage::

    python benchmarks/scheduler_overhead.py            # about 30 s
    python benchmarks/scheduler_overhead.py --seeds 5
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sktune import Real
from sktune.proposers import BudgetProposer
from sktune.schedulers import ASHAScheduler, HyperbandScheduler, PBTScheduler
from sktune.schedulers.base import TrialResult
from sktune.space import SearchSpace

SPACE = {"x": Real(0.0, 1.0), "lr": Real(1e-4, 1.0, log=True)}


def _result(work, rng):
    score = float(rng.random())
    result = TrialResult(work=work, test_scores={"score": np.array([score])}, train_scores={},
                         fit_times=np.zeros(1), score_times=np.zeros(1), errors=[None],
                         devices=[None])
    result.score = score
    return result


def drive(scheduler, seed, n_workers=4):
    """Run ``scheduler`` to its end with random scores; (seconds, results, peak models held)."""
    rng = np.random.default_rng(seed)
    held, peak, pending, n_results = set(), 0, [], 0
    start = time.perf_counter()
    while True:
        if scheduler.synchronous:
            pending += [] if pending else scheduler.next_work(10**9)
        else:
            pending += scheduler.next_work(n_workers - len(pending))
        if not pending:
            if scheduler.is_finished():
                break
            continue
        work = pending.pop(0)
        if scheduler.keep_models(work.trial_id):
            held.add(work.trial_id)
        scheduler.on_result(_result(work, rng))
        held -= set(scheduler.take_released())
        peak, n_results = max(peak, len(held)), n_results + 1
    return time.perf_counter() - start, n_results, peak


def make(kind, n, seed):
    proposer = BudgetProposer(SearchSpace(SPACE), random_state=seed)
    if kind == "ASHA":
        return ASHAScheduler(proposer, min_resources=1, max_resources=81, factor=3,
                             n_candidates=n)
    if kind == "Hyperband":
        return HyperbandScheduler(proposer, min_resources=1, max_resources=81, factor=3,
                                  brackets=[0] * max(1, n // 81))
    space = SearchSpace(SPACE)
    initial = space.sample(n, np.random.default_rng(seed))
    return PBTScheduler(space, initial, max_resources=20, perturbation_interval=2,
                        mutable=["lr"], random_state=seed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = {"ASHA": [100, 300, 1000], "Hyperband": [81, 243, 729], "PBT": [16, 64, 256]}
    print(f"{'scheduler':<10} {'trials':>6} {'results':>8} {'peak held':>9} "
          f"{'seconds (median, min..max)':>28} {'us/result':>10}")
    for kind, ns in sizes.items():
        for n in ns:
            runs = [drive(make(kind, n, seed), seed) for seed in range(args.seeds)]
            secs = np.array([r[0] for r in runs])
            med = float(np.median(secs))
            print(f"{kind:<10} {n:>6} {runs[0][1]:>8} {runs[0][2]:>9} "
                  f"{med:>12.3f} ({secs.min():.3f}..{secs.max():.3f}) "
                  f"{1e6 * med / runs[0][1]:>10.0f}")


if __name__ == "__main__":
    main()
