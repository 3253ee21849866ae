"""Fold racing: the same held-out score at fewer fold fits?

Two parts, each method side by side on the same problems and seeds:

- **Bayesmark-style problems** (``benchmarks/bayesmark.py``: its data, spaces, metrics,
  80/20 held-out split and 5-fold CV): ``BayesSearchCV`` without racing and with
  racing variants (``BAYES_METHODS``): ``racing=True`` (alpha 0.2, a look after every
  fold), ``racing=0.05``, the first look after two folds, and a proposer told the worst
  score so far of a raced trial instead of its partial mean.
- **Hyperband** (``benchmarks/hyperband.py``'s ``sgd`` task, 5-fold CV here, as racing
  has little to save with 3): synchronous ``HyperbandSearchCV`` without racing, with
  ``racing=True`` and with ``racing=0.05`` (racing acts at the top rung only); and
  ``asynchronous=True`` (ASHA) without and with ``racing=True``, where every rung races
  (a lower one against its promotion boundary).

- **The standard-error stop** (``--part stop``): ``BayesSearchCV(n_iter=64)`` against the
  same search with ``callbacks=[StandardErrorStop()]``: evaluations saved and held-out
  loss lost (median and worst over seeds).

Per problem: the median over seeds of the held-out loss of the chosen configuration
(refitted on the whole tuning part) with its spread (min-max over seeds), and the fold
fits (Hyperband: epochs x folds) as a fraction of the search without racing. A gap is
"inside the noise" when the median of the per-seed paired differences is smaller than
half the spread of the no-racing method's held-out loss over seeds.

Usage::

    python benchmarks/racing.py             # 16 lite problems x 32 evaluations x 5 seeds
    python benchmarks/racing.py --quick     # 4 problems x 24 evaluations x 3 seeds
    python benchmarks/racing.py --part hyperband --seeds 5
    python benchmarks/racing.py --part stop # StandardErrorStop against n_iter=64
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bayesmark as bm  # noqa: E402

from sktune.racing import folds_run  # noqa: E402

# "racing" is racing=True (alpha 0.2, looks from the first fold); "a=<alpha>" another
# alpha; "from fold 2" the first look after two folds; "told worst": the proposer learns
# the worst score so far of a raced trial instead of its partial mean; "own prior": the
# variance prior of a paired difference is the incumbent's own fold variance, not the
# one pooled over the other complete trials (sktune.racing.PRIOR)
BAYES_METHODS = ["no racing", "racing", "racing, own prior", "racing a=0.05",
                 "racing from fold 2", "racing, told worst"]
HB_METHODS = ["no racing", "racing", "racing, own prior", "racing a=0.05"]
# asynchronous Hyperband (ASHA), where every rung races (against its promotion boundary)
ASHA_METHODS = ["ASHA no racing", "ASHA racing", "ASHA racing, own prior"]
STOP_METHODS = ["fixed n_iter", "StandardErrorStop"]


def _racing(method):
    """The ``racing`` value of a method name: False, True (alpha 0.2) or ``a=<alpha>``."""
    if method.endswith("no racing") or method in ("fixed n_iter", "StandardErrorStop"):
        return False
    return float(method.split("a=")[1].split()[0]) if "a=" in method else True


def _set_rule(method):
    """The racing rule's module settings of ``method`` (reset for every job: the worker
    processes run many)."""
    from sktune import racing

    racing.MIN_FOLDS = 2 if "from fold 2" in method else 1
    racing.PRIOR = "reference" if "own prior" in method else "pooled"


def run_bayes(problem, method, seed, n_evals):
    from sklearn.metrics import get_scorer

    from sktune import BayesSearchCV
    from sktune.callbacks import StandardErrorStop
    from sktune.schedulers.fifo import FIFOScheduler

    FIFOScheduler.raced_told = "worst" if method.endswith("worst") else "partial"
    _set_rule(method)
    space = {problem.prefix + k: d for k, d in problem.space.items()}
    stop = [StandardErrorStop()] if method == "StandardErrorStop" else None
    search = BayesSearchCV(problem.estimator(), space, n_iter=n_evals, random_state=seed,
                           cv=bm._cv(problem), scoring=get_scorer(bm._SCORING[problem.metric]),
                           refit=False, racing=_racing(method), callbacks=stop)
    X, _, y, _ = bm._data(problem.dataset)
    t0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    cpu = time.process_time() - t0
    params = {k[len(problem.prefix):]: v for k, v in search.best_params_.items()}
    res = search.cv_results_
    return dict(cv=-float(search.best_score_), test=bm.generalization(problem, params),
                fits=float(sum(folds_run(r) for r in search.history_)),
                cpu=cpu, raced=int(np.sum(res["status"] == "raced")), evals=len(res["params"]))


def run_hyperband(method, seed, quick):
    import hyperband as hb
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from sktune import HyperbandSearchCV

    _set_rule(method)
    task = hb.make_task("sgd", quick, seed)
    search = HyperbandSearchCV(
        clone(task["estimator"]), task["space"], min_resources=1, max_resources=task["R"],
        factor=hb.FACTOR, cv=StratifiedKFold(5, shuffle=True, random_state=seed),
        random_state=seed, racing=_racing(method), asynchronous=method.startswith("ASHA"),
        proposer="random")  # as measured for docs/racing.rst
    t0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(task["X"], task["y"])
    cpu = time.process_time() - t0
    rows = search.history_
    epochs = sum((r["stop"] - (r["start"] or 0)) * folds_run(r) for r in rows)
    return dict(cv=-float(search.best_score_), test=-search.score(task["X_test"], task["y_test"]),
                fits=float(epochs), cpu=cpu,
                raced=int(np.sum(search.cv_results_["status"] == "raced")))


def _job(args):
    part, name, method, seed, n = args
    if part in ("bayes", "stop"):
        problem = next(p for p in bm.ALL_PROBLEMS if p.name == name)
        return args, run_bayes(problem, method, seed, n)
    return args, run_hyperband(method, seed, quick=bool(n))


def _table(title, header, rows, file):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print(f"\n{title}", file=file)
    for line in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)), file=file)


def summarise(results, problems, methods, seeds, file=sys.stdout):
    """Per problem: held-out loss (median [min, max]) and fold fits per method."""
    base = methods[0]
    header = ["problem"] + [f"{m}: held-out" for m in methods] + \
        [f"{m}: fits" for m in methods[1:]] + ["verdict"]
    rows, ratios, verdicts = [], {m: [] for m in methods[1:]}, {m: [] for m in methods[1:]}
    for name in problems:
        test = {m: np.array([results[(name, m, s)]["test"] for s in seeds]) for m in methods}
        fits = {m: np.array([results[(name, m, s)]["fits"] for s in seeds]) for m in methods}
        spread = test[base].max() - test[base].min()
        row = [name] + [f"{np.median(test[m]):.4g} [{test[m].min():.3g}, {test[m].max():.3g}]"
                        for m in methods]
        verdict = []
        for m in methods[1:]:
            ratio = float(np.median(fits[m] / fits[base]))
            ratios[m].append(ratio)
            row.append(f"{ratio:.0%}")
            gap = float(np.median(test[m] - test[base]))
            noise = abs(gap) <= spread / 2
            verdicts[m].append(noise or gap <= 0)
            word = "noise" if noise else "better" if gap < 0 else "WORSE"
            verdict.append(f"{m}: {gap:+.3g} ({word})")
        rows.append(row + ["; ".join(verdict)])
    _table("Held-out loss (lower is better), median [min, max] over seeds; fold fits as a "
           f"fraction of '{base}'", header, rows, file)
    for m in methods[1:]:
        print(f"{m}: median fold fits {np.median(ratios[m]):.0%} of '{base}' (range "
              f"{min(ratios[m]):.0%}-{max(ratios[m]):.0%}); held-out loss not worse beyond "
              f"the noise on {sum(verdicts[m])} of {len(problems)} problems", file=file)


def print_stop(results, problems, seeds, n_evals, file=sys.stdout):
    """StandardErrorStop against the full ``n_evals``: evaluations saved, held-out loss lost."""
    rows, saved, lost = [], [], []
    for name in problems:
        fixed = [results[(name, "fixed n_iter", s)] for s in seeds]
        stop = [results[(name, "StandardErrorStop", s)] for s in seeds]
        evals = np.array([r["evals"] for r in stop])
        # held-out loss lost relative to the loss scale of the problem (fixed runs' spread)
        diff = np.array([b["test"] - a["test"] for a, b in zip(fixed, stop)])
        rel = diff / max(np.median([abs(r["test"]) for r in fixed]), 1e-12)
        saved.append(1 - np.median(evals) / n_evals)
        lost.append(rel)
        rows.append([name, f"{np.median(evals):.0f} [{evals.min()}, {evals.max()}]",
                     f"{np.median([r['test'] for r in fixed]):.4g}",
                     f"{np.median([r['test'] for r in stop]):.4g}",
                     f"{np.median(rel):+.2%}", f"{rel.max():+.2%}"])
    _table(f"StandardErrorStop against n_iter={n_evals}: evaluations run (median [min, max]); "
           "held-out loss (median) and its relative change (median, worst over seeds)",
           ["problem", "evaluations", "held-out fixed", "held-out stop", "change (median)",
            "change (worst)"], rows, file)
    lost = np.concatenate(lost)
    print(f"evaluations saved: median {np.median(saved):.0%} over problems; held-out loss "
          f"change over all runs: median {np.median(lost):+.2%}, worst {lost.max():+.2%}",
          file=file)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--part", choices=["bayes", "hyperband", "both", "stop"], default="both")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--evals", type=int, default=None)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--methods", nargs="*", default=None, help="BayesSearchCV variants")
    args = ap.parse_args(argv)
    problems = bm.LITE[::4] if args.quick else bm.LITE
    n_evals = args.evals or (24 if args.quick else 32)
    seeds = list(range(args.seeds or (3 if args.quick else 5)))
    jobs = []
    if args.part in ("bayes", "both"):
        methods = args.methods or BAYES_METHODS
        jobs += [("bayes", p.name, m, s, n_evals) for p in problems for m in methods
                 for s in seeds]
    if args.part == "stop":
        n_evals = args.evals or 64
        jobs += [("stop", p.name, m, s, n_evals) for p in problems for m in STOP_METHODS
                 for s in seeds]
    if args.part in ("hyperband", "both"):
        jobs += [("hyperband", f"sgd (Hyperband, R={9 if args.quick else 27})", m, s,
                  int(args.quick)) for m in HB_METHODS + ASHA_METHODS for s in seeds]
    t0 = time.perf_counter()
    results = {}
    with ProcessPoolExecutor(args.n_jobs) as pool:
        for (_, name, method, seed, _), out in pool.map(_job, jobs):
            results[(name, method, seed)] = out
    print(f"{len(jobs)} runs in {time.perf_counter() - t0:.0f} s wall, {args.n_jobs} processes")
    if args.part in ("bayes", "both"):
        print(f"\nBayesSearchCV, {n_evals} evaluations, 5-fold CV, seeds {seeds}")
        summarise(results, [p.name for p in problems], methods, seeds)
        cpu = {m: np.median([results[(p.name, m, s)]["cpu"] for p in problems for s in seeds])
               for m in methods}
        print("median CPU seconds per run: " + ", ".join(f"{m} {v:.1f}" for m, v in cpu.items()))
    if args.part == "stop":
        print_stop(results, [p.name for p in problems], seeds, n_evals)
    if args.part in ("hyperband", "both"):
        name = jobs[-1][1]
        print(f"\nHyperbandSearchCV (synchronous, random proposals), seeds {seeds}")
        summarise(results, [name], HB_METHODS, seeds)
        print(f"\nHyperbandSearchCV(asynchronous=True) (ASHA, random proposals), seeds {seeds}")
        summarise(results, [name], ASHA_METHODS, seeds)


if __name__ == "__main__":
    main()
