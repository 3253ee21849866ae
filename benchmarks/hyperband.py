"""Benchmark HyperbandSearchCV against full-budget random search, scikit-learn's halving
search and Optuna's pruners, over several seeds.

Three tuning tasks where the hyperparameters matter, all with 3-fold CV and a
budget of up to ``R=27`` units (epochs / passes), ``factor=3``, and a quarter of
the rows held out for the test score:

- ``mlp``: a skorch MLP (hidden size, dropout, learning rate, momentum, weight
  decay) on a 4-class problem made with ``make_classification`` (redundant and
  noisy features, flipped labels);
- ``sgd``: a ``StandardScaler`` + ``SGDClassifier`` pipeline trained with
  ``partial_fit`` (loss, penalty, alpha, l1_ratio, learning-rate schedule, eta0)
  on a 5-class problem with 300 features of which 12 are informative: the
  regularisation (kind and strength) and the step size decide between about 35%
  and 80% accuracy, and few random configurations come near the top.
- ``mlp-large``: the ``mlp`` task's net on a larger problem, 4,000 rows (3,000 to
  search on), 40 features of which 16 informative, 6 classes.

Methods, side by side:

- ``sktune sync``: synchronous Hyperband (all brackets of the table), random proposals;
- ``sktune ASHA``: ``asynchronous=True``, one bracket from 1 unit;
- ``sktune bayes``: synchronous Hyperband with BOHB-style GP proposals;
- ``sktune ASHA bayes``: ASHA with the same GP proposals;
- ``sktune tpe``: synchronous Hyperband with BOHB-style TPE proposals: the defaults of
  ``HyperbandSearchCV`` (the other sktune rows pass ``proposer="random"`` unless named);
- ``sktune curves``: ``stopping="curves"``, learning-curve stopping (random proposals),
  with its default epoch budget: what ``sktune sync`` trains;
- ``sktune curves+``: the same with one bracket more (``n_brackets=5`` for R=27): about
  the epochs ``sktune ASHA`` trains, which are more than synchronous Hyperband's;
- ``random full``: ``RandomizedSearchCV``, every configuration trained the full R
  (``--n-random``, 40 by default, so that 1/3 of its epochs is about what
  synchronous Hyperband trains);
- ``sklearn halving``: ``HalvingRandomSearchCV`` on the same budget parameter
  (``max_epochs`` / ``sgd__max_iter``), which retrains every rung from scratch; its
  ``n_candidates`` is chosen so that it trains about as many epochs as
  ``sktune sync``, and it samples with its own seed (with the same seed its
  candidates would start with random search's);
- ``optuna ASHA`` / ``optuna hyperband``: Optuna's ``SuccessiveHalvingPruner`` /
  ``HyperbandPruner`` with its default TPE sampler, the objective training the 3
  fold models one epoch at a time and reporting their mean score; as many trials
  as synchronous Hyperband has results (69 for R=27, 22 for R=9). Optuna runs its
  trials in threads (``n_jobs`` of ``study.optimize``).

Each seed draws a new data set, CV split and search seed. The default is 10 seeds: the
best of random search's 40 configurations itself varies a lot from one data set to the
next (on ``sgd`` from 0.65 to 0.77), and over 5 seeds a goal's verdict can hang on one
lucky draw. Per seed the script
prints a table (best mean CV score at the full budget, accuracy of the refitted
best configuration on a held-out test set, epochs trained during the search, all
folds together and refit excluded, wall time, worker utilisation = busy time /
(workers x wall)); at the end, per task, the medians over the seeds with the
spread of the best CV score, and the issue's goals evaluated on the medians:

1. reach random search's (median) best CV score with at most 1/3 of its epochs;
   for sktune the score used is the best one among the results that had
   finished when 1/3 of random search's epochs was spent (``CV@1/3``; equal to
   the final score when the whole search fits in that budget). ``random 1/3``
   is random search stopped after its first third of configurations (from the
   same run, no refit): plain random search at that budget;
2. at about the same budget, score at least as well as ``HalvingRandomSearchCV``;
3. ASHA worker utilisation >= 90%;
4. on the held-out test set (what a user judges a search by), the refitted best of
   each sktune mode scores at least as well as ``random full``, ``random 1/3`` (the
   best of random search's first third of configurations, refitted: random search at
   about synchronous Hyperband's budget) and ``sklearn halving``: medians over the
   seeds, and the number of seeds where the same-seed result is at least as good.

The summary also gives the spread (min..max over the seeds) of the held-out test
score and the median gap between best CV and test (``CV-test``).

Every method gets ``--n-jobs`` workers (default 2, one BLAS/torch thread each).
All run one after another in one child process, and before each one its worker
pool is started and warmed (a tiny untimed search on a subset), so starting
worker processes and importing torch in them counts against none of them.

Usage::

    python benchmarks/hyperband.py                # full run: 10 seeds, ~2 h on 2 cores
    python benchmarks/hyperband.py --quick        # smoke run: 1 seed, R=9, ~2 min
    python benchmarks/hyperband.py --only sgd --seeds 5 --first-seed 10

Ctrl-C (or SIGTERM) stops the run and prints the summary of the seeds that finished.
Optuna is only needed here; when it is missing its rows read ``n/a``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from concurrent.futures.process import BrokenProcessPool  # noqa: E402
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
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sktune import Categorical, HyperbandSearchCV, Real  # noqa: E402
from sktune.schedulers import hyperband_epochs, hyperband_plan  # noqa: E402

METHODS = ["sktune sync", "sktune ASHA", "sktune bayes", "sktune ASHA bayes", "sktune tpe",
           "sktune curves", "sktune curves+", "random full", "sklearn halving", "optuna ASHA",
           "optuna hyperband"]
SKTUNE = ["sktune sync", "sktune ASHA", "sktune bayes", "sktune ASHA bayes", "sktune tpe",
          "sktune curves", "sktune curves+"]
TASKS = ["mlp", "sgd", "mlp-large"]
FACTOR = 3
CURVE_THRESHOLD = 0.05  # HyperbandSearchCV's default
# the net tasks' problems: rows (quick, full), features, informative ones, classes;
# mlp-large is the >= 3,000-row task
NET_PROBLEMS = {"mlp": ((1500, 2400), 30, 12, 4), "mlp-large": ((2000, 4000), 40, 16, 6)}


# -- tasks ------------------------------------------------------------------------------------------
def make_task(name, quick, seed):
    """Data, estimator, sktune space, its scipy twin, the budget parameter and R."""
    R = 9 if quick else 27
    is_net = name in NET_PROBLEMS
    if is_net:
        import torch
        from skorch import NeuralNetClassifier
        from skorch.toy import MLPModule  # importable in every worker (a local class is not)

        rows, n_features, n_informative, n_classes = NET_PROBLEMS[name]
        X, y = make_classification(
            n_samples=rows[not quick], n_features=n_features, n_informative=n_informative,
            n_redundant=8, n_classes=n_classes, n_clusters_per_class=2, class_sep=1.0,
            flip_y=0.03, random_state=seed)
        estimator = NeuralNetClassifier(
            MLPModule, module__input_units=n_features, module__output_units=n_classes,
            module__num_hidden=2,
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
        # many noise features, few informative ones: the kind and strength of the
        # regularisation matter, and so does the step size within R passes
        n = 2000 if quick else 2400
        X, y = make_classification(
            n_samples=n, n_features=300, n_informative=12, n_redundant=0, n_classes=5,
            n_clusters_per_class=1, class_sep=1.0, flip_y=0.02, random_state=seed)
        estimator = Pipeline([
            ("scale", StandardScaler()),  # fitted once per fold, before the budget starts
            ("sgd", SGDClassifier(max_iter=R, tol=None, random_state=0)),
        ])
        space = {
            "sgd__loss": Categorical(["hinge", "log_loss", "modified_huber"]),
            "sgd__penalty": Categorical(["l2", "l1", "elasticnet"]),
            "sgd__alpha": Real(1e-7, 1e-1, log=True),
            "sgd__l1_ratio": Real(0.0, 1.0),
            "sgd__learning_rate": Categorical(["constant", "optimal", "invscaling", "adaptive"]),
            "sgd__eta0": Real(1e-4, 1.0, log=True),
        }
        budget_param = "sgd__max_iter"
    else:
        raise ValueError(name)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed)
    if is_net:  # the net has no scaler step: scale with the training part once
        scaler = StandardScaler().fit(X_train)
        X_train = scaler.transform(X_train).astype(X.dtype)
        X_test = scaler.transform(X_test).astype(X.dtype)
    return dict(name=name, X=X_train, y=y_train, X_test=X_test, y_test=y_test, is_net=is_net,
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
    return sum(hyperband_epochs(bracket) for bracket in hyperband_plan(1, R, FACTOR))


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


def _random_epochs(task, n_random, n_splits=3):
    return n_random * task["R"] * n_splits


def _best_within(search, cap):
    """Best mean CV score among the results finished before ``cap`` epochs (all folds).

    Results are taken in the order the search recorded them; a result's cost is the
    budget its trial trained since its previous rung (training continues). Among the
    results inside the cap, the best one at the highest budget reached counts, as for
    ``best_score_``. Returns ``(score, epochs counted)``.
    """
    res = search.cv_results_
    n_splits = search.n_splits_
    trained, used, inside = {}, 0.0, []
    for i, (tid, r) in enumerate(zip(res["trial_id"], res["n_resources"])):
        step = float(r) - trained.get(int(tid), 0.0) if search.resource_.continues else float(r)
        trained[int(tid)] = float(r)
        if (used + step) * n_splits > cap + 1e-9:
            break
        used += step
        inside.append(i)
    if not inside:
        return float("nan"), 0.0
    budgets = np.asarray(res["n_resources"], dtype=float)[inside]
    scores = np.asarray(res["mean_test_score"], dtype=float)[inside]
    top = scores[budgets == budgets.max()]
    best = float(np.nanmax(top)) if np.isfinite(top).any() else float("nan")
    return best, used * n_splits


def run_sktune(task, method, n_jobs, seed, n_random):
    kw = dict(min_resources=1, max_resources=task["R"], factor=FACTOR, cv=_cv(seed),
              n_jobs=n_jobs, random_state=seed, proposer="random")
    if method in ("sktune ASHA", "sktune ASHA bayes"):
        # one bracket from 1 unit, as many configurations as train about the same epochs
        # as synchronous Hyperband (about 3 units per configuration with factor 3)
        n_rungs = int(math.floor(math.log(task["R"]) / math.log(FACTOR) + 1e-9)) + 1
        per_config = 1 + (n_rungs - 1) * (FACTOR - 1) / FACTOR
        kw.update(asynchronous=True, n_candidates=int(
            round(_hyperband_epochs(task["R"]) / per_config)))
    if method in ("sktune bayes", "sktune ASHA bayes"):
        kw.update(proposer="bayes")
    if method == "sktune tpe":
        kw.update(proposer="tpe")
    if method == "sktune curves":  # its default budget: sync Hyperband's epochs
        kw.update(stopping="curves", curve_threshold=CURVE_THRESHOLD)
    if method == "sktune curves+":  # one bracket more: about the epochs ASHA trains here
        n_table = len(hyperband_plan(1, task["R"], FACTOR))
        kw.update(stopping="curves", curve_threshold=CURVE_THRESHOLD, n_brackets=n_table + 1)
    search = HyperbandSearchCV(clone(task["estimator"]), task["space"], **kw)
    t0 = time.perf_counter()
    search.fit(task["X"], task["y"])
    wall = search.search_time_
    cv_third, epochs_third = _best_within(search, _random_epochs(task, n_random) / 3)
    return dict(
        cv=search.best_score_, test=search.score(task["X_test"], task["y_test"]),
        epochs=search.resources_used_ * search.n_splits_, wall=wall,
        total=time.perf_counter() - t0, cv_third=cv_third, epochs_third=epochs_third,
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
    # random search stopped after its first third of configurations (sampling order)
    third = max(1, n_random // 3)
    # its held-out score: the best of that first third, refitted as the search refits
    first = search.cv_results_["mean_test_score"][:third]
    best_first = search.cv_results_["params"][int(np.nanargmax(first))]
    refit_first = clone(est).set_params(**best_first).fit(task["X"], task["y"])
    test_third = refit_first.score(task["X_test"], task["y_test"])
    return dict(cv=search.best_score_, test=search.score(task["X_test"], task["y_test"]),
                test_third=test_third,
                epochs=n_random * task["R"] * search.n_splits_, wall=wall, total=total,
                util=_sklearn_util(search, wall, n_jobs), configs=n_random,
                cv_third=float(np.nanmax(search.cv_results_["mean_test_score"][:third])),
                all_scores=[float(v) for v in search.cv_results_["mean_test_score"]],
                epochs_third=third * task["R"] * search.n_splits_, configs_third=third)


def run_halving(task, n_jobs, seed, n_random):
    n_candidates = _halving_candidates(task["R"], _hyperband_epochs(task["R"]))
    search = HalvingRandomSearchCV(
        clone(task["estimator"]), _scipy_space(task["space"]), n_candidates=n_candidates,
        resource=task["budget_param"], min_resources=1, max_resources=task["R"],
        factor=FACTOR, cv=_cv(seed), n_jobs=n_jobs, random_state=seed + 10_000)
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


def _split_pipeline(estimator):
    """``(preprocessing or None, final estimator, final step's parameter prefix)``."""
    if isinstance(estimator, Pipeline):
        name = estimator.steps[-1][0]
        return Pipeline(estimator.steps[:-1]), estimator.steps[-1][1], name + "__"
    return None, estimator, ""


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
    classes = np.unique(y)
    is_net = task["is_net"]
    # a pipeline's preprocessing has no searched parameter: fit it once per fold, then
    # train the final step one pass at a time with partial_fit
    pre, final, prefix = _split_pipeline(task["estimator"])
    folds = []
    for tr, te in _cv(seed).split(X, y):
        if pre is None:
            folds.append((X[tr], y[tr], X[te], y[te]))
        else:
            p = clone(pre).fit(X[tr], y[tr])
            folds.append((p.transform(X[tr]), y[tr], p.transform(X[te]), y[te]))
    counter = {"epochs": 0, "busy": 0.0}
    lock = threading.Lock()

    def advance(model, Xtr, ytr):
        if is_net:
            if not model.initialized_:
                model.initialize()
            model.partial_fit(Xtr, ytr, epochs=1)
        else:
            model.partial_fit(Xtr, ytr, classes=classes)

    def objective(trial):
        if is_net:
            import torch

            torch.set_num_threads(1)
        params = _optuna_params(trial, task["space"])
        own = {k[len(prefix):]: v for k, v in params.items()}
        models = [clone(final).set_params(**own) for _ in folds]
        t0 = time.perf_counter()
        try:
            score = float("nan")
            for epoch in range(1, R + 1):
                scores = []
                for model, (Xtr, ytr, Xte, yte) in zip(models, folds):
                    advance(model, Xtr, ytr)
                    scores.append(model.score(Xte, yte))
                with lock:
                    counter["epochs"] += len(folds)
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
        warnings.simplefilter("ignore", RuntimeWarning)
        if method.startswith("sktune"):
            return run_sktune(task, method, n_jobs, seed, n_random)
        if method == "random full":
            return run_random(task, n_jobs, seed, n_random)
        if method == "sklearn halving":
            return run_halving(task, n_jobs, seed, n_random)
        n_trials = sum(sum(b["n_candidates"]) for b in hyperband_plan(1, task["R"], FACTOR))
        return run_optuna(task, method, n_jobs, seed, n_trials)


# -- the child process that runs every method --------------------------------------------------
_HEAVY = "import time, torch, skorch, sktune._evaluate; time.sleep(0.2)"


def _warm_pool(n_jobs):
    """Start the shared joblib worker pool (the one sktune and scikit-learn use) and
    import the heavy modules in every worker, before anything is timed."""
    from joblib import Parallel, delayed

    exec(_HEAVY)
    t0 = time.perf_counter()
    # ``exec`` pickles by reference, unlike a function of this script (``__mp_main__`` in
    # the child); the sleep spreads the jobs over every worker
    Parallel(n_jobs=n_jobs)(delayed(exec)(_HEAVY) for _ in range(4 * n_jobs))
    return time.perf_counter() - t0


def _warm_method(task, method, n_jobs):
    """Start the worker pool this method uses, untimed, with a tiny search on a subset.

    sktune's and scikit-learn's searches do not share one loky pool (the pool restarts
    when they alternate), so each method gets its own pool warmed up like this: no
    method pays for starting worker processes and importing torch in them.
    """
    if method.startswith("optuna"):
        return  # threads in this process
    X, y = task["X"][:240], task["y"][:240]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method.startswith("sktune"):
            HyperbandSearchCV(
                clone(task["estimator"]), task["space"], min_resources=1, max_resources=3,
                factor=FACTOR, asynchronous=True, n_candidates=4 * n_jobs, cv=2, n_jobs=n_jobs,
                refit=False, random_state=0).fit(X, y)
        else:
            from joblib import Parallel, delayed

            est = clone(task["estimator"]).set_params(**{task["budget_param"]: 1})
            RandomizedSearchCV(est, _scipy_space(task["space"]), n_iter=2 * n_jobs, cv=2,
                               n_jobs=n_jobs, refit=False, random_state=0).fit(X, y)
            Parallel(n_jobs=n_jobs)(delayed(exec)(_HEAVY) for _ in range(4 * n_jobs))


def _run_one(name, quick, method, n_jobs, seed, n_random):
    task = make_task(name, quick, seed)
    _warm_method(task, method, n_jobs)
    return run_method(task, method, n_jobs, seed, n_random)


def _stop_pool():
    # an idle reusable loky pool keeps the process from exiting until its workers time out
    from joblib.externals.loky import reusable_executor

    pool = getattr(reusable_executor, "_executor", None)
    if pool is not None:
        pool.shutdown(wait=True, kill_workers=True)


class _Child:
    """One spawned process, kept for the whole benchmark, that runs the methods."""

    def __init__(self, n_jobs):
        self.n_jobs = n_jobs
        self.pool = None

    def _start(self):
        self.pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
        warm = self.pool.submit(_warm_pool, self.n_jobs).result()
        print(f"  (worker pool started and warmed in {warm:.1f}s, not timed)", flush=True)

    def run(self, *args):
        if self.pool is None:
            self._start()
        try:
            return self.pool.submit(_run_one, *args).result()
        except BrokenProcessPool as exc:  # the child died: start a new one for what follows
            self.pool.shutdown(wait=False)
            self.pool = None
            return {"error": f"child process died: {exc}"}
        except Exception as exc:  # keep the other rows
            return {"error": f"{type(exc).__name__}: {exc}"}

    def kill(self):
        if self.pool is not None:
            for proc in list(getattr(self.pool, "_processes", {}).values()):
                try:  # the child's worker processes first, then the child
                    import psutil

                    for sub in psutil.Process(proc.pid).children(recursive=True):
                        sub.kill()
                except Exception:
                    pass
                proc.kill()
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def close(self):
        if self.pool is not None:
            try:
                self.pool.submit(_stop_pool).result()
            finally:
                self.pool.shutdown(wait=True)


# -- report ------------------------------------------------------------------------------------------
def _print_table(title, header, widths, rows):
    print(f"\n{title}")
    print("".join(h.ljust(w) if i == 0 else h.rjust(w)
                  for i, (h, w) in enumerate(zip(header, widths))))
    print("-" * sum(widths))
    for row in rows:
        print("".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                      for i, (c, w) in enumerate(zip(row, widths))))


def _f(x, fmt=".4f"):
    return "n/a" if x is None or not np.isfinite(x) else format(x, fmt)


def report_seed(task_name, seed, results):
    rand = results.get("random full")
    rand_epochs = rand["epochs"] if rand and "error" not in rand else None
    header = ["method", "configs", "best CV", "CV@1/3", "test acc", "epochs", "vs random",
              "wall s", "util"]
    widths = [18, 8, 9, 9, 9, 8, 10, 8, 7]
    rows = []
    for method in METHODS:
        r = results.get(method)
        if r is None:
            continue
        if "error" in r:
            rows.append([method] + ["n/a"] * 7 + [r["error"][:60]])
            continue
        ratio = _f(r["epochs"] / rand_epochs, ".2f") if rand_epochs else "n/a"
        rows.append([method, r["configs"], _f(r["cv"]), _f(r.get("cv_third")), _f(r["test"]),
                     int(r["epochs"]), ratio, _f(r["wall"], ".1f"),
                     f"{100 * r['util']:.0f}%"])
        if method == "random full":
            rows.append(["random 1/3", r["configs_third"], _f(r["cv_third"]),
                         _f(r["cv_third"]), _f(r["test_third"]), int(r["epochs_third"]),
                         _f(r["epochs_third"] / rand_epochs, ".2f"), "n/a", "n/a"])
    _print_table(f"task {task_name}, seed {seed}", header, widths, rows)


def _med(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.median(values)) if values else float("nan")


def _paired(per_seed, method, reference):
    """``(result, reference result)`` for each seed where both finished without error."""
    return [(per_seed[s][method], ref) for s, ref in sorted(reference.items())
            if method in per_seed[s] and "error" not in per_seed[s][method]]


def _versus(pairs, key):
    """The median of ``key`` over the paired results, and the seeds where it is >= the
    reference's."""
    return _med([r[key] for r, _ in pairs]), sum(r[key] >= q[key] for r, q in pairs)


def _each_sktune_versus(per_seed, reference, key):
    """``(method, pairs, median, wins)`` of each sktune mode with results paired with
    ``reference`` (see :func:`_versus`)."""
    for m in SKTUNE:
        pairs = _paired(per_seed, m, reference)
        if pairs:
            yield (m, pairs, *_versus(pairs, key))


def _finished(per_seed, seeds, method):
    """``{seed: result}`` of ``method`` where it finished without error."""
    runs = {s: per_seed[s].get(method) for s in seeds}
    return {s: r for s, r in runs.items() if r and "error" not in r}


def report_summary(task_name, per_seed):
    """Medians over the seeds; ``per_seed`` maps seed -> {method: result}."""
    seeds = sorted(per_seed)
    ok = {m: [per_seed[s][m] for s in seeds if m in per_seed[s] and "error" not in per_seed[s][m]]
          for m in METHODS}
    rand_by_seed = _finished(per_seed, seeds, "random full")
    header = ["method", "seeds", "best CV", "min..max", "CV@1/3", "test acc", "min..max",
              "CV-test", "epochs", "vs random", "wall s", "util"]
    widths = [18, 6, 9, 16, 9, 9, 16, 8, 8, 10, 8, 7]
    rows = []
    for method in METHODS:
        rs = ok[method]
        if not rs:
            if any(method in per_seed[s] for s in seeds):
                rows.append([method, 0] + ["n/a"] * 8)
            continue
        cvs = [r["cv"] for r in rs]
        ratios = [per_seed[s][method]["epochs"] / rand_by_seed[s]["epochs"] for s in seeds
                  if s in rand_by_seed and method in per_seed[s]
                  and "error" not in per_seed[s][method]]
        tests = [r["test"] for r in rs]
        rows.append([method, len(rs), _f(_med(cvs)), f"{min(cvs):.4f}..{max(cvs):.4f}",
                     _f(_med([r.get("cv_third", float("nan")) for r in rs])),
                     _f(_med(tests)), f"{min(tests):.4f}..{max(tests):.4f}",
                     _f(_med([r["cv"] - r["test"] for r in rs]), "+.4f"),
                     int(_med([r["epochs"] for r in rs])),
                     _f(_med(ratios), ".2f"), _f(_med([r["wall"] for r in rs]), ".1f"),
                     f"{100 * _med([r['util'] for r in rs]):.0f}%"])
        if method == "random full":
            thirds = [r["cv_third"] for r in rs]
            t3 = [r["test_third"] for r in rs]
            rows.append(["random 1/3", len(rs), _f(_med(thirds)),
                         f"{min(thirds):.4f}..{max(thirds):.4f}", _f(_med(thirds)),
                         _f(_med(t3)), f"{min(t3):.4f}..{max(t3):.4f}",
                         _f(_med([r["cv_third"] - r["test_third"] for r in rs]), "+.4f"),
                         int(_med([r["epochs_third"] for r in rs])),
                         _f(_med([r["epochs_third"] / r["epochs"] for r in rs]), ".2f"),
                         "n/a", "n/a"])
    _print_table(f"task {task_name}: medians over seeds {seeds} (min..max of the best CV)",
                 header, widths, rows)
    if rand_by_seed:
        every = np.array([v for r in rand_by_seed.values() for v in r["all_scores"]], dtype=float)
        q10, q50, q90 = np.nanpercentile(every, [10, 50, 90])
        print(f"  random configurations at full budget ({every.size}, all seeds): CV 10th "
              f"percentile {q10:.4f}, median {q50:.4f}, 90th {q90:.4f}, best "
              f"{np.nanmax(every):.4f}, worst {np.nanmin(every):.4f}")
    for s in seeds:
        line = "  ".join(f"{m.replace('sktune ', '').replace('optuna ', 'opt-')}="
                         f"{per_seed[s][m]['cv']:.4f}" for m in METHODS
                         if m in per_seed[s] and "error" not in per_seed[s][m])
        print(f"  seed {s} best CV: {line}")

    n = len(seeds)
    print("  goal 1: reach random full's best CV with <= 1/3 of its epochs "
          "(sktune scored by CV@1/3)")
    if rand_by_seed:
        rand_med = _med([r["cv"] for r in rand_by_seed.values()])
        print(f"    random full: median best CV {rand_med:.4f}; random 1/3 (same budget, plain "
              f"random): {_med([r['cv_third'] for r in rand_by_seed.values()]):.4f}")
        for m in SKTUNE:
            if not ok[m]:
                continue
            pairs = _paired(per_seed, m, rand_by_seed)
            third = _med([r["cv_third"] for r, _ in pairs])
            ratio = _med([r["epochs"] / q["epochs"] for r, q in pairs])
            counted = _med([r["epochs_third"] / q["epochs"] for r, q in pairs])
            final = _med([r["cv"] for r, _ in pairs])
            wins = sum(r["cv_third"] >= q["cv"] for r, q in pairs)
            print(f"    {m:<13} median CV@1/3 {third:.4f} (results within {counted:.2f} of "
                  f"random's epochs; final {final:.4f} with {ratio:.2f}) -> "
                  f"{'reached' if third >= rand_med else 'NOT reached'} "
                  f"(same-seed random reached in {wins}/{len(pairs)} seeds)")
    halv = _finished(per_seed, seeds, "sklearn halving")
    if halv:
        h_cv, h_test = _med([r["cv"] for r in halv.values()]), _med([r["test"] for r in halv.values()])
        print(f"  goal 2: at about equal budget, CV >= sklearn halving (median CV {h_cv:.4f}, "
              f"test {h_test:.4f}, epochs {_med([r['epochs'] for r in halv.values()]):.0f})")
        for m, pairs, cv, wins in _each_sktune_versus(per_seed, halv, "cv"):
            print(f"    {m:<13} median CV {cv:.4f}, test {_med([r['test'] for r, _ in pairs]):.4f}"
                  f", epochs {_med([r['epochs'] for r, _ in pairs]):.0f} -> "
                  f"{'met' if cv >= h_cv else 'NOT met'} (per seed: >= halving in {wins}/"
                  f"{len(pairs)})")
    _report_held_out(per_seed, seeds)
    for m in ("sktune ASHA", "sktune ASHA bayes"):
        if not ok[m]:
            continue
        utils = [r["util"] for r in ok[m]]
        print(f"  goal 3: {m} utilisation median {100 * _med(utils):.0f}% (min "
              f"{100 * min(utils):.0f}%, max {100 * max(utils):.0f}%, {n} seeds) -> "
              f"{'met' if _med(utils) >= 0.9 else 'NOT met'} (goal >= 90%)")


def _report_held_out(per_seed, seeds):
    """Goal 4: on the held-out test set, each sktune mode >= random full and >= sklearn
    halving (medians over the seeds, and the seeds where the same-seed result is >=)."""
    print("  goal 4: held-out test accuracy of the refitted best >= random full and >= "
          "sklearn halving (median over seeds; per seed: same-seed wins)")
    for ref_name in ("random full", "random 1/3", "sklearn halving"):
        ref = _finished(per_seed, seeds, ref_name.replace("1/3", "full"))
        if ref_name == "random 1/3":  # random search at about sync Hyperband's budget
            ref = {s: dict(test=r["test_third"], epochs=r["epochs_third"])
                   for s, r in ref.items()}
        if not ref:
            continue
        ref_test = _med([r["test"] for r in ref.values()])
        print(f"    vs {ref_name} (median test {ref_test:.4f}, epochs "
              f"{_med([r['epochs'] for r in ref.values()]):.0f})")
        for m, pairs, test, wins in _each_sktune_versus(per_seed, ref, "test"):
            print(f"      {m:<18} median test {test:.4f} (epochs "
                  f"{_med([r['epochs'] for r, _ in pairs]):.0f}) -> "
                  f"{'met' if test >= ref_test else 'NOT met'} ({wins}/{len(pairs)} seeds >=)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller data, R=9 and one seed (~2 min)")
    parser.add_argument("--only", choices=TASKS, action="append", default=None)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=None)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=None,
                        help="number of seeds (default 10, 1 with --quick)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--n-random", type=int, default=None,
                        help="configurations of the full-budget random search (default 40)")
    args = parser.parse_args(argv)
    tasks = args.only or TASKS
    methods = [m for m in METHODS if m in (args.methods or METHODS)]
    n_random = args.n_random or (20 if args.quick else 40)
    n_seeds = args.seeds or (1 if args.quick else 10)
    seeds = list(range(args.first_seed, args.first_seed + n_seeds))
    try:
        import optuna  # noqa: F401
    except ImportError as exc:
        optuna_error = f"optuna missing: {exc}"
    else:
        optuna_error = None
    print(f"sktune Hyperband benchmark: tasks={tasks}, seeds={seeds}, n_jobs={args.n_jobs}, "
          f"quick={args.quick}, n_random={n_random}, cpu_count={os.cpu_count()}", flush=True)
    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    # SIGTERM too, and SIGINT even where a shell started us in the background with it ignored
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    results = {name: {} for name in tasks}
    child = _Child(args.n_jobs)
    started = time.perf_counter()
    current = None
    try:
        for seed in seeds:
            for name in tasks:
                task = make_task(name, args.quick, seed)
                print(f"\n# {name}, seed {seed}: {task['X'].shape[0]} training samples, "
                      f"R={task['R']}, factor={FACTOR}, 3-fold CV; sktune sync trains "
                      f"{_hyperband_epochs(task['R'])} epochs per fold", flush=True)
                per = results[name][seed] = {}
                current = (name, seed)
                for method in methods:
                    if method.startswith("optuna") and optuna_error:
                        per[method] = {"error": optuna_error}
                        continue
                    t0 = time.perf_counter()
                    per[method] = r = child.run(name, args.quick, method, args.n_jobs, seed,
                                                n_random)
                    status = r.get("error") or f"cv={r['cv']:.4f} epochs={r['epochs']:.0f}"
                    print(f"  {method:<18} {time.perf_counter() - t0:7.1f}s  {status}  "
                          f"[{(time.perf_counter() - started) / 60:.1f} min]", flush=True)
                report_seed(name, seed, per)
                current = None
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: summarise the seeds that finished
        print("\ninterrupted: the summary below covers the finished seeds only", flush=True)
        if current is not None:
            results[current[0]].pop(current[1], None)
        child.kill()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        child.close()
    for name in tasks:
        if not results[name]:
            continue
        print(f"\n{'=' * 40} {name}: summary over {len(results[name])} seed(s) {'=' * 40}")
        report_summary(name, results[name])
    print(f"\ntotal {(time.perf_counter() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
