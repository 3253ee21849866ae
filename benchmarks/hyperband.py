"""Benchmark HyperbandSearchCV against full-budget random search, scikit-learn's halving
search and Optuna's pruners.

Two tuning tasks where the hyperparameters matter, both with 3-fold CV and a
budget of up to ``R=27`` units (epochs / passes), ``factor=3``:

- ``mlp``: a skorch MLP (hidden size, dropout, learning rate, momentum, weight
  decay) on a 4-class problem made with ``make_classification`` (redundant and
  noisy features, flipped labels);
- ``sgd``: ``SGDClassifier`` trained with ``partial_fit`` (loss, penalty, alpha,
  l1_ratio, learning-rate schedule, eta0) on a larger 3-class problem.

Methods, side by side:

- ``sktune sync``: synchronous Hyperband (all brackets of the table), random proposals;
- ``sktune ASHA``: ``asynchronous=True``, one bracket from 1 unit;
- ``sktune bayes``: synchronous Hyperband with BOHB-style GP proposals;
- ``random full``: ``RandomizedSearchCV``, every configuration trained the full R;
- ``sklearn halving``: ``HalvingRandomSearchCV`` on the same budget parameter
  (``max_epochs`` / ``max_iter``), which retrains every rung from scratch; its
  ``n_candidates`` is chosen so that it trains about as many epochs as
  ``sktune sync``;
- ``optuna ASHA`` / ``optuna hyperband``: Optuna's ``SuccessiveHalvingPruner`` /
  ``HyperbandPruner`` with its default TPE sampler, the objective training the 3
  fold models one epoch at a time and reporting their mean score; as many trials
  as synchronous Hyperband has results (69 for R=27, 22 for R=9).

Columns: best mean CV score at the full budget, accuracy of the refitted best
configuration on a held-out test set, epochs trained during the search (all folds
together, refit excluded), wall time, and worker utilisation (busy time /
(workers x wall)). Every method gets ``--n-jobs`` workers (default 2) with one
BLAS/torch thread each.

Usage::

    python benchmarks/hyperband.py            # full run (about 15 min on 2 cores)
    python benchmarks/hyperband.py --quick    # smoke run (about 2 min)
    python benchmarks/hyperband.py --only sgd --seed 1

Optuna is only needed here; when it is missing its rows read ``n/a``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from multiprocessing import get_context  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import loguniform, uniform  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402,F401
from sklearn.linear_model import SGDClassifier  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sktune import Categorical, HyperbandSearchCV, Real  # noqa: E402
from sktune.schedulers import hyperband_plan  # noqa: E402

METHODS = ["sktune sync", "sktune ASHA", "sktune bayes", "random full", "sklearn halving",
           "optuna ASHA", "optuna hyperband"]
FACTOR = 3


# -- tasks ------------------------------------------------------------------------------------------
def make_task(name, quick, seed):
    """Data, estimator, sktune space, its scipy twin, the budget parameter and R."""
    if name == "mlp":
        import torch
        from skorch import NeuralNetClassifier
        from skorch.toy import MLPModule  # importable in every worker (a local class is not)

        n = 2000 if quick else 4000
        X, y = make_classification(
            n_samples=n, n_features=30, n_informative=12, n_redundant=8, n_classes=4,
            n_clusters_per_class=2, class_sep=1.0, flip_y=0.03, random_state=seed)
        R = 9 if quick else 27
        estimator = NeuralNetClassifier(
            MLPModule, module__input_units=30, module__output_units=4, module__num_hidden=2,
            max_epochs=R,
            criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, batch_size=64,
            iterator_train__shuffle=True, train_split=None, verbose=0)
        space = {
            "lr": Real(1e-3, 1.0, log=True),
            "optimizer__momentum": Real(0.0, 0.99),
            "optimizer__weight_decay": Real(1e-6, 1e-2, log=True),
            "module__hidden_units": Categorical([16, 32, 64, 128, 256]),
            "module__dropout": Real(0.0, 0.6),
        }
        budget_param = "max_epochs"
        X = X.astype(np.float32)
        y = y.astype(np.int64)
    elif name == "sgd":
        n = 20000 if quick else 60000
        X, y = make_classification(
            n_samples=n, n_features=60, n_informative=20, n_redundant=15, n_classes=3,
            n_clusters_per_class=3, class_sep=0.8, flip_y=0.05, random_state=seed)
        R = 9 if quick else 27
        estimator = SGDClassifier(max_iter=R, tol=None, random_state=0)
        space = {
            "loss": Categorical(["hinge", "log_loss", "modified_huber"]),
            "penalty": Categorical(["l2", "l1", "elasticnet"]),
            "alpha": Real(1e-7, 1e-1, log=True),
            "l1_ratio": Real(0.0, 1.0),
            "learning_rate": Categorical(["constant", "optimal", "invscaling", "adaptive"]),
            "eta0": Real(1e-4, 1.0, log=True),
        }
        budget_param = "max_iter"
    else:
        raise ValueError(name)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(X_train)  # fitted once on the training part
    X_train = scaler.transform(X_train).astype(X.dtype)
    X_test = scaler.transform(X_test).astype(X.dtype)
    return dict(name=name, X=X_train, y=y_train, X_test=X_test, y_test=y_test,
                estimator=estimator, space=space, budget_param=budget_param, R=R)


def _scipy_space(space):
    out = {}
    for key, dim in space.items():
        if isinstance(dim, Real):
            out[key] = loguniform(dim.low, dim.high) if dim.log else uniform(
                dim.low, dim.high - dim.low)
        else:
            out[key] = list(dim.choices)
    return out


def _cv(seed):
    return StratifiedKFold(3, shuffle=True, random_state=seed)


# -- methods -------------------------------------------------------------------------------------------
def _hyperband_epochs(R):
    """Epochs per fold of synchronous Hyperband over the whole table, continuing training."""
    total = 0
    for bracket in hyperband_plan(1, R, FACTOR):
        prev = 0
        for n_i, r_i in zip(bracket["n_candidates"], bracket["n_resources"]):
            total += n_i * (r_i - prev)
            prev = r_i
    return total


def _halving_candidates(R, target):
    """``n_candidates`` for HalvingRandomSearchCV so its from-scratch epochs match ``target``."""
    best, best_gap = None, None
    n_rungs = int(math.floor(math.log(R) / math.log(FACTOR) + 1e-9)) + 1
    for n in range(FACTOR, 1000):
        n_it = min(n_rungs, 1 + int(math.floor(math.log(n) / math.log(FACTOR) + 1e-9)))
        r0 = R // FACTOR ** (n_it - 1)
        cost = sum(math.ceil(n / FACTOR**i) * r0 * FACTOR**i for i in range(n_it))
        gap = abs(cost - target)
        if best_gap is None or gap < best_gap:
            best, best_gap = n, gap
    return best


def run_sktune(task, method, n_jobs, seed, n_random):
    kw = dict(min_resources=1, max_resources=task["R"], factor=FACTOR, cv=_cv(seed),
              n_jobs=n_jobs, random_state=seed)
    if method == "sktune ASHA":
        # one bracket from 1 unit, as many configurations as train about the same epochs
        # as synchronous Hyperband (about 3 units per configuration with factor 3)
        n_rungs = int(math.floor(math.log(task["R"]) / math.log(FACTOR) + 1e-9)) + 1
        per_config = 1 + (n_rungs - 1) * (FACTOR - 1) / FACTOR
        kw.update(asynchronous=True, n_candidates=int(
            round(_hyperband_epochs(task["R"]) / per_config)))
    elif method == "sktune bayes":
        kw.update(proposer="bayes")
    search = HyperbandSearchCV(clone(task["estimator"]), task["space"], **kw)
    t0 = time.perf_counter()
    search.fit(task["X"], task["y"])
    wall = search.search_time_
    return dict(
        cv=search.best_score_, test=search.score(task["X_test"], task["y_test"]),
        epochs=search.resources_used_ * search.n_splits_, wall=wall,
        total=time.perf_counter() - t0,
        util=search.busy_time_ / (search.n_workers_ * wall), configs=search.n_trials_)


def _sklearn_util(search, wall, n_jobs):
    res = search.cv_results_
    n_splits = search.n_splits_
    busy = np.sum((res["mean_fit_time"] + res["mean_score_time"]) * n_splits)
    return busy / (n_jobs * wall)


def run_random(task, n_jobs, seed, n_random):
    est = clone(task["estimator"]).set_params(**{task["budget_param"]: task["R"]})
    search = RandomizedSearchCV(est, _scipy_space(task["space"]), n_iter=n_random,
                                cv=_cv(seed), n_jobs=n_jobs, random_state=seed)
    t0 = time.perf_counter()
    search.fit(task["X"], task["y"])
    total = time.perf_counter() - t0
    wall = total - search.refit_time_
    return dict(cv=search.best_score_, test=search.score(task["X_test"], task["y_test"]),
                epochs=n_random * task["R"] * search.n_splits_, wall=wall, total=total,
                util=_sklearn_util(search, wall, n_jobs), configs=n_random)


def run_halving(task, n_jobs, seed, n_random):
    n_candidates = _halving_candidates(task["R"], _hyperband_epochs(task["R"]))
    search = HalvingRandomSearchCV(
        clone(task["estimator"]), _scipy_space(task["space"]), n_candidates=n_candidates,
        resource=task["budget_param"], min_resources=1, max_resources=task["R"],
        factor=FACTOR, cv=_cv(seed), n_jobs=n_jobs, random_state=seed)
    t0 = time.perf_counter()
    search.fit(task["X"], task["y"])
    total = time.perf_counter() - t0
    wall = total - search.refit_time_
    epochs = int(np.sum(search.cv_results_["n_resources"])) * search.n_splits_
    return dict(cv=search.best_score_, test=search.score(task["X_test"], task["y_test"]),
                epochs=epochs, wall=wall, total=total,
                util=_sklearn_util(search, wall, n_jobs), configs=n_candidates)


def _optuna_params(trial, space):
    out = {}
    for key, dim in space.items():
        if isinstance(dim, Real):
            out[key] = trial.suggest_float(key, dim.low, dim.high, log=dim.log)
        else:
            out[key] = trial.suggest_categorical(key, list(dim.choices))
    return out


def _advance_one(est, X, y, is_net, classes):
    if is_net:
        if not est.initialized_:
            est.initialize()
        est.partial_fit(X, y, epochs=1)
    else:
        est.partial_fit(X, y, classes=classes)


def run_optuna(task, method, n_jobs, seed, n_trials):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    R = task["R"]
    if method == "optuna ASHA":
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=FACTOR)
    else:
        pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=R,
                                                reduction_factor=FACTOR)
    X, y = task["X"], task["y"]
    splits = list(_cv(seed).split(X, y))
    classes = np.unique(y)
    is_net = task["name"] == "mlp"
    counter = {"epochs": 0, "busy": 0.0}
    lock = threading.Lock()

    def objective(trial):
        if is_net:
            import torch

            torch.set_num_threads(1)
        params = _optuna_params(trial, task["space"])
        models = [clone(task["estimator"]).set_params(**params) for _ in splits]
        t0 = time.perf_counter()
        try:
            score = float("nan")
            for epoch in range(1, R + 1):
                scores = []
                for model, (tr, te) in zip(models, splits):
                    _advance_one(model, X[tr], y[tr], is_net, classes)
                    scores.append(model.score(X[te], y[te]))
                with lock:
                    counter["epochs"] += len(splits)
                score = float(np.mean(scores))
                if not np.isfinite(score):
                    raise optuna.TrialPruned()
                trial.report(score, epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            return score
        finally:
            with lock:
                counter["busy"] += time.perf_counter() - t0

    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs)
    wall = time.perf_counter() - t0
    best = clone(task["estimator"]).set_params(**study.best_params,
                                              **{task["budget_param"]: R})
    best.fit(X, y)
    return dict(cv=study.best_value, test=best.score(task["X_test"], task["y_test"]),
                epochs=counter["epochs"], wall=wall, total=time.perf_counter() - t0,
                util=counter["busy"] / (n_jobs * wall), configs=n_trials)


def run_method(task, method, n_jobs, seed, n_random):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        if method.startswith("sktune"):
            return run_sktune(task, method, n_jobs, seed, n_random)
        if method == "random full":
            return run_random(task, n_jobs, seed, n_random)
        if method == "sklearn halving":
            return run_halving(task, n_jobs, seed, n_random)
        n_trials = sum(sum(b["n_candidates"]) for b in hyperband_plan(1, task["R"], FACTOR))
        return run_optuna(task, method, n_jobs, seed, n_trials)


# -- report -------------------------------------------------------------------------------------
def _print_table(title, rows):
    header = ["method", "configs", "best CV", "test acc", "epochs", "vs random", "wall s",
              "util"]
    widths = [18, 8, 9, 9, 8, 10, 8, 7]
    print(f"\n{title}")
    print("".join(h.ljust(w) if i == 0 else h.rjust(w)
                  for i, (h, w) in enumerate(zip(header, widths))))
    print("-" * sum(widths))
    for row in rows:
        print("".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                      for i, (c, w) in enumerate(zip(row, widths))))


def report(task_name, results):
    rand = results.get("random full")
    rows = []
    for method in METHODS:
        r = results.get(method)
        if r is None:
            continue
        if "error" in r:
            rows.append([method, "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", r["error"][:40]])
            continue
        ratio = f"{r['epochs'] / rand['epochs']:.2f}" if rand and "error" not in rand else "n/a"
        rows.append([method, r["configs"], f"{r['cv']:.4f}", f"{r['test']:.4f}",
                     int(r["epochs"]), ratio, f"{r['wall']:.1f}", f"{100 * r['util']:.0f}%"])
    _print_table(f"task {task_name}", rows)
    checks = []
    ok_rows = {m: r for m, r in results.items() if "error" not in r}
    if rand and "error" not in rand:
        for m in ("sktune sync", "sktune ASHA", "sktune bayes"):
            if m in ok_rows:
                r = ok_rows[m]
                met = r["cv"] >= rand["cv"] and r["epochs"] <= rand["epochs"] / 3
                checks.append(f"{m}: best CV {r['cv']:.4f} vs random {rand['cv']:.4f} with "
                              f"{r['epochs'] / rand['epochs']:.2f} of its epochs -> "
                              f"{'met' if met else 'NOT met'}")
    halv = ok_rows.get("sklearn halving")
    if halv:
        for m in ("sktune sync", "sktune ASHA", "sktune bayes"):
            if m in ok_rows:
                r = ok_rows[m]
                checks.append(f"{m} vs halving ({r['epochs']:.0f} vs {halv['epochs']:.0f} epochs): "
                              f"CV {r['cv']:.4f} vs {halv['cv']:.4f}, test {r['test']:.4f} vs "
                              f"{halv['test']:.4f}")
    if "sktune ASHA" in ok_rows:
        util = ok_rows["sktune ASHA"]["util"]
        checks.append(f"ASHA utilisation {100 * util:.0f}% (goal >= 90%)")
    for line in checks:
        print("  " + line)


def _run_isolated(name, quick, method, n_jobs, seed, n_random):
    task = make_task(name, quick, seed)
    try:
        return run_method(task, method, n_jobs, seed, n_random)
    finally:
        # a reusable loky pool left idle keeps this process from exiting until its workers
        # time out (minutes): stop the workers now
        from joblib.externals.loky import reusable_executor

        pool = getattr(reusable_executor, "_executor", None)
        if pool is not None:
            pool.shutdown(wait=True, kill_workers=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data and R=9 (~2 min)")
    parser.add_argument("--only", choices=["mlp", "sgd"], action="append", default=None)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=None)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-random", type=int, default=None,
                        help="configurations of the full-budget random search (default 40)")
    args = parser.parse_args(argv)
    tasks = args.only or ["mlp", "sgd"]
    methods = args.methods or METHODS
    n_random = args.n_random or (20 if args.quick else 40)
    try:
        import optuna  # noqa: F401
    except ImportError as exc:
        optuna_error = f"optuna missing: {exc}"
    else:
        optuna_error = None
    print(f"sktune Hyperband benchmark: tasks={tasks}, n_jobs={args.n_jobs}, seed={args.seed}, "
          f"quick={args.quick}, cpu_count={os.cpu_count()}")
    for name in tasks:
        task = make_task(name, args.quick, args.seed)
        print(f"\n# {name}: {task['X'].shape[0]} training samples, R={task['R']}, factor={FACTOR},"
              f" 3-fold CV; sktune sync trains {_hyperband_epochs(task['R'])} epochs per fold")
        results = {}
        for method in methods:
            if method.startswith("optuna") and optuna_error:
                results[method] = {"error": optuna_error}
                continue
            t0 = time.perf_counter()
            # each method in a fresh process: its own worker pool, no state carried over
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                try:
                    results[method] = pool.submit(
                        _run_isolated, name, args.quick, method, args.n_jobs, args.seed,
                        n_random).result()
                except Exception as exc:  # keep the other rows
                    results[method] = {"error": f"{type(exc).__name__}: {exc}"}
            r = results[method]
            status = r.get("error") or f"cv={r['cv']:.4f} epochs={r['epochs']:.0f}"
            print(f"  {method:<18} {time.perf_counter() - t0:7.1f}s  {status}", flush=True)
        report(name, results)


if __name__ == "__main__":
    main()
