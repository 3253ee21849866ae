"""Benchmark the dimensions' guesses (priors, piBO): good, misleading and none.

For each problem the *target* is random search's best after 60 evaluations (the
median over the seeds of sktune's Sobol ``RandomProposer`` without a guess). Each
method then runs up to ``--max-evals`` evaluations per seed, and the table shows
how many evaluations it needed to reach the target: the median over the seeds,
with the 25-75 % range, and ``>N`` where a run never reached it (counted as
``N + 1`` in the median). Methods:

- ``random``, ``GP`` and ``TPE``: sktune's ``RandomProposer`` (what Hyperband's
  first rungs draw from), ``GPProposer`` and ``TPEProposer`` with their defaults
  (10 initial points, guess_strength 10);
- ``none`` / ``good`` / ``bad``: the space without a guess; with a good guess
  (near the optimum, spread 0.1 of each range); with a misleading one (centred
  on the worst of 1024 Sobol points of the space for the synthetic functions,
  on C = 0.01, gamma = 1 for the SVC, spread 0.1, as confident as the good one).

Problems: Branin (2-D), Hartmann-6 and the mixed real/log/int/categorical
function of ``benchmarks/_functions.py`` (minimised), and SVC on 800 digits
(C and gamma on log scales, 3-fold CV accuracy, maximised; the good guess is
the textbook C = 10, gamma = 1e-3, not the measured optimum).

The must-show lines: a good guess reaches random search's 60-evaluation best in
<= 10 evaluations; a misleading guess needs <= 1.5x the evaluations of no guess.

Usage::

    python benchmarks/priors.py            # 5 seeds, 90 evaluations (10-15 min on 2 cores)
    python benchmarks/priors.py --quick    # smoke run (< 1 min)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import qmc  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _functions import FUNCTIONS  # noqa: E402

from sktune.proposers import GPProposer, RandomProposer, TPEProposer  # noqa: E402
from sktune.space import Categorical, Integer, Real, Subspace  # noqa: E402

PROPOSERS = {"random": RandomProposer, "GP": GPProposer, "TPE": TPEProposer}
GUESSES = ("none", "good", "bad")
SPREAD = 0.1
SHIFT = 0.05  # the good guess sits this far (unit scale, every coordinate) off the optimum
TARGET_EVALS = 60

# known minimisers of the synthetic functions
OPTIMA = {
    "branin": {"x0": math.pi, "x1": 2.275},
    "hartmann6": dict(zip([f"x{i}" for i in range(6)],
                          [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573])),
    "mixed": {"x": 0.6, "lr": 10 ** -2.8, "units": 37, "layers": 3, "optimizer": "adam"},
}


def with_guess(space, centre, shift=0.0):
    """``space`` with a guess on every dimension, centred on ``centre`` (moved ``shift``
    towards the middle of the unit cube); a categorical's guess puts 0.6 on its value."""
    out = {}
    for name, dim in space.items():
        if isinstance(dim, Categorical):
            out[name] = Categorical(list(dim.choices), guess={centre[name]: 0.6})
            continue
        u = dim.to_unit(centre[name])
        u = u + shift if u < 0.5 else u - shift
        cls = Integer if isinstance(dim, Integer) else Real
        out[name] = cls(dim.low, dim.high, log=dim.log, guess=(dim.from_unit(u), SPREAD))
    return out


def worst_point(fn):
    sub = Subspace(fn.space)
    points = [sub.from_unit(u) for u in qmc.Sobol(len(sub), seed=0).random(1024)]
    return max(points, key=fn)


# -- the SVC task ---------------------------------------------------------------------------------
def svc_task():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True)
    X, y = X[:800], y[:800]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    space = {"C": Real(1e-2, 1e3, log=True), "gamma": Real(1e-5, 1.0, log=True)}

    def loss(params):  # 1 - accuracy, minimised like the synthetic functions
        return 1.0 - cross_val_score(SVC(**params), X, y, cv=cv).mean()

    return space, loss, {"C": 10.0, "gamma": 1e-3}, {"C": 1e-2, "gamma": 1.0}


def problems():
    for key in OPTIMA:
        fn = FUNCTIONS[key]
        yield fn.name, fn.space, fn, OPTIMA[key], SHIFT, worst_point(fn)
    space, loss, good, bad = svc_task()
    yield "SVC on digits (1 - acc)", space, loss, good, 0.0, bad


# -- runs -----------------------------------------------------------------------------------------
def run(proposer_cls, space, f, seed, n):
    proposer = proposer_cls(space, random_state=seed)
    values = []
    for _ in range(n):
        [params] = proposer.ask(1)
        value = float(f(params))
        values.append(value)
        proposer.tell(params, -value)
    return np.minimum.accumulate(values)


def evals_to(best, target):
    hit = np.flatnonzero(best <= target + 1e-12)
    return int(hit[0]) + 1 if len(hit) else None


def cell(counts, n):
    vals = np.array([n + 1 if c is None else c for c in counts], dtype=float)
    med = np.median(vals)
    lo, hi = np.percentile(vals, [25, 75])
    text = lambda v: f">{n}" if v > n else f"{v:.0f}"  # noqa: E731
    return f"{text(med)} [{text(lo)}-{text(hi)}]", med


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-evals", type=int, default=90)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    seeds, n = (range(2), 30) if args.quick else (range(args.seeds), args.max_evals)
    target_evals = min(TARGET_EVALS, n)
    columns = [(p, g) for p in PROPOSERS for g in GUESSES]
    rows, verdicts = [], []
    started = time.time()
    for name, space, f, good, shift, bad in problems():
        spaces = {"none": space, "good": with_guess(space, good, shift),
                  "bad": with_guess(space, bad)}
        curves = {("random", "none"): [run(RandomProposer, space, f, s, n) for s in seeds]}
        target = float(np.median([c[target_evals - 1] for c in curves[("random", "none")]]))
        for key in columns:
            if key not in curves:
                curves[key] = [run(PROPOSERS[key[0]], spaces[key[1]], f, s, n) for s in seeds]
        cells, medians = [], {}
        for key in columns:
            text, medians[key] = cell([evals_to(c, target) for c in curves[key]], n)
            cells.append(text)
        rows.append((name, f"{target:.4g}", cells))
        for p in ("GP", "TPE", "random"):
            ratio = medians[(p, "bad")] / medians[(p, "none")]
            verdicts.append(f"{name:<26} {p:<6}  good: {medians[(p, 'good')]:>4.0f} evals "
                            f"({'<= 10: met' if medians[(p, 'good')] <= 10 else '> 10: MISSED'})"
                            f"   bad / none: {ratio:4.2f}x "
                            f"({'<= 1.5x: met' if ratio <= 1.5 else '> 1.5x: MISSED'})")
    print(f"\nEvaluations to reach random search's {target_evals}-evaluation best "
          f"(median [25-75 %] over {len(seeds)} seeds, at most {n} evaluations)\n")
    head = f"{'problem':<26} {'target':>8}  " + "  ".join(f"{p + ' ' + g:<14}" for p, g in columns)
    print(head)
    print("-" * len(head))
    for name, target, cells in rows:
        print(f"{name:<26} {target:>8}  " + "  ".join(f"{c:<14}" for c in cells))
    print("\nMust-show lines (medians):")
    print("\n".join(verdicts))
    print(f"\n({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
