"""Multi-objective search: hypervolume at equal evaluations, sktune vs random vs Optuna.

Two tables, medians over seeds with their interquartile range:

1. ZDT1 and ZDT2 (6 inputs, both objectives minimised): the hypervolume of the
   points found, as a fraction of the true Pareto front's, after 30 and 60
   evaluations. sktune is driven ask/tell (ParEGO on its GP, as BayesSearchCV
   with ``objectives`` uses it), against random search and Optuna's default
   multi-objective sampler.
2. A real task on scikit-learn's digits: a random forest's 3-fold CV accuracy
   against its pickled size (``objectives=["score", "model_size"]``), 30 trials:
   BayesSearchCV against random search (sktune's own random proposals) and
   Optuna. Hypervolume per seed is measured against a common reference point
   (accuracy 0, the largest size any method produced) and normalised by the
   best method's on that seed.

Usage::

    python benchmarks/multiobjective.py            # 5 seeds (a few minutes on 2 cores)
    python benchmarks/multiobjective.py --seeds 10 --only zdt

Optuna is only needed here (``pip install sktune[bench]``); without it its
column reads ``n/a``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sktune import BayesSearchCV, Integer, Real  # noqa: E402
from sktune.pareto import hypervolume  # noqa: E402
from sktune.proposers.gp import GPProposer  # noqa: E402
from sktune.proposers.parego import ParEGOProposer  # noqa: E402
from sktune.proposers.random import RandomProposer  # noqa: E402

N_INPUTS = 6


def zdt(x, kind):
    x = np.asarray(x, dtype=float)
    f1 = x[0]
    g = 1 + 9 * x[1:].sum() / (len(x) - 1)
    h = 1 - np.sqrt(f1 / g) if kind == "zdt1" else 1 - (f1 / g) ** 2
    return np.array([f1, g * h])


ZDT_REF = np.array([1.1, 11.0])  # minimisation reference point


def true_front_hv(kind):
    f1 = np.linspace(0, 1, 2001)
    f2 = 1 - np.sqrt(f1) if kind == "zdt1" else 1 - f1**2
    return hypervolume(-np.column_stack([f1, f2]), -ZDT_REF)


def zdt_space():
    return {f"x{i}": Real(0.0, 1.0) for i in range(N_INPUTS)}


def run_sktune(kind, n, seed, model=True):
    space = zdt_space()
    if model:
        proposer = ParEGOProposer(GPProposer(space, n_initial_points=10, random_state=seed), 2,
                                  random_state=seed)
    else:
        proposer = RandomProposer(space, random_state=seed)
    points = []
    for _ in range(n):
        [p] = proposer.ask(1)
        f = zdt([p[f"x{i}"] for i in range(N_INPUTS)], kind)
        points.append(f)
        if model:
            proposer.tell_vector(p, -f)
        else:
            proposer.tell(p, -f[0])
    return np.array(points)


def run_optuna(kind, n, seed):
    try:
        import optuna
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=["minimize", "minimize"],
                                sampler=_default_sampler(optuna, seed))

    def objective(trial):
        return tuple(zdt([trial.suggest_float(f"x{i}", 0, 1) for i in range(N_INPUTS)], kind))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=n)
    return np.array([t.values for t in study.trials])


def _default_sampler(optuna, seed):
    """The sampler create_study picks for several objectives, seeded."""
    cls = type(optuna.create_study(directions=["minimize", "minimize"]).sampler)
    try:
        return cls(seed=seed)
    except TypeError:
        return None


def hv_ratio(points, kind, upto):
    return hypervolume(-points[:upto], -ZDT_REF) / true_front_hv(kind)


def _med(values):
    v = np.asarray([x for x in values if x is not None], dtype=float)
    if not len(v):
        return "n/a"
    q1, q3 = np.percentile(v, [25, 75])
    return f"{np.median(v):.3f} [{q1:.3f}, {q3:.3f}]"


def zdt_table(seeds):
    rows = {}
    for kind in ("zdt1", "zdt2"):
        runs = {"sktune (ParEGO GP)": [], "random": [], "optuna default": []}
        for seed in range(seeds):
            runs["sktune (ParEGO GP)"].append(run_sktune(kind, 60, seed))
            runs["random"].append(run_sktune(kind, 60, seed, model=False))
            runs["optuna default"].append(run_optuna(kind, 60, seed))
            print(f"{kind} seed {seed} done", file=sys.stderr)
        for name, pts in runs.items():
            rows[(kind, name)] = [
                _med([None if p is None else hv_ratio(p, kind, n) for p in pts])
                for n in (30, 60)]
    try:
        import optuna
        sampler = type(optuna.create_study(directions=["minimize", "minimize"]).sampler).__name__
        version = optuna.__version__
    except ImportError:
        sampler, version = "n/a", "n/a"
    print(f"\nZDT1/ZDT2, {N_INPUTS} inputs: hypervolume / true front's (reference {ZDT_REF}), "
          f"median [IQR] over {seeds} seeds; Optuna {version} default sampler: {sampler}")
    print(f"{'function':<8} {'method':<20} {'30 evaluations':>22} {'60 evaluations':>22}")
    for (kind, name), (a, b) in rows.items():
        print(f"{kind:<8} {name:<20} {a:>22} {b:>22}")


FOREST_SPACE = {"n_estimators": Integer(2, 150), "max_depth": Integer(1, 25),
                "min_samples_leaf": Integer(1, 20)}


def forest_points_sktune(X, y, seed, model=True):
    n = 30
    search = BayesSearchCV(RandomForestClassifier(random_state=0), FOREST_SPACE, n_iter=n,
                           n_initial_points=8 if model else n, cv=3, random_state=seed,
                           objectives=["score", "model_size"], refit=True).fit(X, y)
    sizes = [np.mean(r["model_size"]) for r in search.history_]
    return np.column_stack([search.cv_results_["mean_test_score"], sizes])


def forest_points_optuna(X, y, seed):
    try:
        import optuna
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cv = StratifiedKFold(3)

    def objective(trial):
        est = RandomForestClassifier(
            n_estimators=trial.suggest_int("n_estimators", 2, 150),
            max_depth=trial.suggest_int("max_depth", 1, 25),
            min_samples_leaf=trial.suggest_int("min_samples_leaf", 1, 20), random_state=0)
        score = cross_val_score(est, X, y, cv=cv).mean()
        sizes = [len(pickle.dumps(est.fit(X[tr], y[tr]), protocol=5))
                 for tr, _ in cv.split(X, y)]
        return score, float(np.mean(sizes))

    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=_default_sampler(optuna, seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=30)
    return np.array([t.values for t in study.trials])


def forest_table(seeds):
    X, y = load_digits(return_X_y=True)
    ratios = {"BayesSearchCV (ParEGO)": [], "random": [], "optuna default": []}
    for seed in range(seeds):
        pts = {"BayesSearchCV (ParEGO)": forest_points_sktune(X, y, seed),
               "random": forest_points_sktune(X, y, seed, model=False),
               "optuna default": forest_points_optuna(X, y, seed)}
        found = [p for p in pts.values() if p is not None]
        ref = np.array([0.0, -1.1 * max(p[:, 1].max() for p in found)])
        hv = {k: None if p is None else hypervolume(np.column_stack([p[:, 0], -p[:, 1]]), ref)
              for k, p in pts.items()}
        best = max(v for v in hv.values() if v is not None)
        for k, v in hv.items():
            ratios[k].append(None if v is None else v / best)
        print(f"forest seed {seed} done", file=sys.stderr)
    print(f"\nRandom forest on digits, 3-fold accuracy vs pickled size, 30 trials: hypervolume / "
          f"best method's on the seed, median [IQR] over {seeds} seeds")
    for k, v in ratios.items():
        print(f"{k:<24} {_med(v):>22}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", choices=["zdt", "forest"], default=None)
    args = parser.parse_args(argv)
    if args.only in (None, "zdt"):
        zdt_table(args.seeds)
    if args.only in (None, "forest"):
        forest_table(args.seeds)


if __name__ == "__main__":
    main()
