"""A Bayesmark-style real-task suite: every optimiser side by side on scikit-learn tuning problems.

The `bayesmark` package no longer runs on current numpy/scikit-learn, so its
problem set is rebuilt here on the datasets that ship with scikit-learn
(breast cancer, digits, iris, wine; diabetes for regression) and its nine
model families (kNN, SVM, decision tree, random forest, MLP with adam, MLP
with SGD, AdaBoost, lasso, linear/logistic), with Bayesmark's published
search spaces and metrics (nll and accuracy for classifiers, mse and mae for
regressors). As in Bayesmark, every problem splits its data once (80 % to
tune on, 20 % held out), each trial is the mean 5-fold CV loss on the 80 %,
and the held-out loss of the best trial is kept as its generalisation.

Scores are Bayesmark's normalised scores, per problem and evaluation count:
``100 * (baseline - loss) / (baseline - optimum)``, where ``loss`` is the best
CV loss a run found so far, ``optimum`` the best loss found by any run of any
method in the pool, and ``baseline`` the median over seeds of random search's
best-so-far loss after the same number of evaluations (so random search
scores about 0 and the best run 100). A run scores at least -100 (as far
below random search as the best run is above it): where random search comes
close to the optimum the span is tiny, and one unlucky run would otherwise
swamp the mean over problems. The table gives, for each method, the
mean over problems of the median over seeds, the spread of that mean over
seeds, and on how many problems its median beats random search's median.

Deviations from Bayesmark, all applied to every method alike:

- Bayesmark's "logit" reals are searched on a linear scale (sktune, SMAC,
  scikit-optimize and GASearchCV have no logit warp; Optuna has none either);
- the features are standardised with the statistics of the 80 % part;
- ``normalize`` of Lasso/Ridge no longer exists in scikit-learn and is gone;
  the logistic models are one-vs-rest ``LogisticRegression`` (liblinear)
  through ``OneVsRestClassifier``; ``SVC(probability=True)`` only where the
  metric is nll;
- every model gets ``random_state=0``, so the objective is deterministic.

HEBO and DEHB pin numpy below 2 and are not benchmarked here.

Tiers::

    python benchmarks/bayesmark.py --smoke   # 3 cheap problems, 20 evaluations, 3 seeds
    python benchmarks/bayesmark.py           # lite: 16 problems, 64 evaluations, 5 seeds
    python benchmarks/bayesmark.py --full    # all 90 problems, 128 evaluations, 5 seeds

``--methods`` picks optimisers, ``--cache FILE`` keeps every finished run (a
rerun only computes what is missing; ``--rerun BayesSearchCV`` redoes one
method, e.g. after a surrogate change). Runs go to ``--n-jobs`` worker
processes, each with one BLAS thread. Times are CPU seconds of the worker
process (``time.process_time``) per run, and the wall time of the whole run:
on a loaded machine wall time is inflated, CPU time much less.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from sktune.space import Categorical, Integer, Real  # noqa: E402

# -- the problem set ------------------------------------------------------------------------------
DATASETS = {  # name: (loader name in sklearn.datasets, classification?)
    "breast": ("load_breast_cancer", True),
    "digits": ("load_digits", True),
    "iris": ("load_iris", True),
    "wine": ("load_wine", True),
    "diabetes": ("load_diabetes", False),
}
METRICS = {True: ("nll", "acc"), False: ("mse", "mae")}
_SCORING = {"nll": "neg_log_loss", "acc": "accuracy", "mse": "neg_mean_squared_error",
            "mae": "neg_mean_absolute_error"}

# Bayesmark's spaces: (kind, scale, low, high); kinds int/real/bool, scales linear/log/logit
_TREE = {
    "max_depth": ("int", "linear", 1, 15),
    "min_samples_split": ("real", "logit", 0.01, 0.99),
    "min_samples_leaf": ("real", "logit", 0.01, 0.49),
    "min_weight_fraction_leaf": ("real", "logit", 0.01, 0.49),
    "max_features": ("real", "logit", 0.01, 0.99),
    "min_impurity_decrease": ("real", "linear", 0.0, 0.5),
}
_MLP = {
    "hidden_layer_sizes": ("int", "linear", 50, 200),
    "alpha": ("real", "log", 1e-5, 1e1),
    "batch_size": ("int", "linear", 10, 250),
    "learning_rate_init": ("real", "log", 1e-5, 1e-1),
}
_LOGISTIC = {"C": ("real", "log", 1e-2, 1e2), "intercept_scaling": ("real", "log", 1e-2, 1e2)}
SPACES = {
    "kNN": {"n_neighbors": ("int", "linear", 1, 25), "p": ("int", "linear", 1, 4)},
    "SVM": {"C": ("real", "log", 1.0, 1e3), "gamma": ("real", "log", 1e-4, 1e-3),
            "tol": ("real", "log", 1e-5, 1e-1)},
    "DT": _TREE,
    "RF": _TREE,
    "MLP-adam": {**_MLP, "tol": ("real", "log", 1e-5, 1e-1),
                 "validation_fraction": ("real", "logit", 0.1, 0.9),
                 "beta_1": ("real", "logit", 0.5, 0.99),
                 "beta_2": ("real", "logit", 0.9, 1.0 - 1e-6),
                 "epsilon": ("real", "log", 1e-9, 1e-6)},
    "MLP-sgd": {**_MLP, "power_t": ("real", "logit", 0.1, 0.9),
                "tol": ("real", "log", 1e-5, 1e-1),
                "momentum": ("real", "logit", 0.001, 0.999),
                "validation_fraction": ("real", "logit", 0.1, 0.9)},
    "ada": {"n_estimators": ("int", "linear", 10, 100),
            "learning_rate": ("real", "log", 1e-4, 1e1)},
    "lasso": _LOGISTIC,
    "linear": _LOGISTIC,
}
SPACES_REG = {  # where regression differs
    "lasso": {"alpha": ("real", "log", 1e-2, 1e2), "fit_intercept": ("bool",),
              "max_iter": ("int", "log", 10, 5000), "tol": ("real", "log", 1e-5, 1e-1),
              "positive": ("bool",)},
    "linear": {"alpha": ("real", "log", 1e-2, 1e2), "fit_intercept": ("bool",),
               "max_iter": ("int", "log", 10, 5000), "tol": ("real", "log", 1e-4, 1e-1)},
}
MODELS = list(SPACES)


@dataclass(frozen=True)
class Problem:
    model: str
    dataset: str
    metric: str

    @property
    def name(self):
        return f"{self.model}-{self.dataset}-{self.metric}"

    @property
    def is_clf(self):
        return DATASETS[self.dataset][1]

    @property
    def raw_space(self):
        if not self.is_clf and self.model in SPACES_REG:
            return SPACES_REG[self.model]
        return SPACES[self.model]

    @property
    def space(self):
        """The space in sktune's dimensions (parameter names without estimator prefix)."""
        out = {}
        for name, spec in self.raw_space.items():
            if spec[0] == "bool":
                out[name] = Categorical([False, True])
            elif spec[0] == "int":
                out[name] = Integer(spec[2], spec[3], log=spec[1] == "log")
            else:
                out[name] = Real(spec[2], spec[3], log=spec[1] == "log")
        return out

    @property
    def prefix(self):
        return "estimator__" if self.is_clf and self.model in ("lasso", "linear") else ""

    def estimator(self):
        from sklearn import ensemble, linear_model, neighbors, neural_network, svm, tree
        from sklearn.multiclass import OneVsRestClassifier

        clf = self.is_clf
        m = self.model
        if m == "kNN":
            return neighbors.KNeighborsClassifier() if clf else neighbors.KNeighborsRegressor()
        if m == "SVM":
            return (svm.SVC(kernel="rbf", probability=self.metric == "nll", random_state=0)
                    if clf else svm.SVR(kernel="rbf"))
        if m == "DT":
            cls = tree.DecisionTreeClassifier if clf else tree.DecisionTreeRegressor
            return cls(random_state=0)
        if m == "RF":
            cls = ensemble.RandomForestClassifier if clf else ensemble.RandomForestRegressor
            return cls(n_estimators=10, random_state=0)
        if m.startswith("MLP"):
            cls = neural_network.MLPClassifier if clf else neural_network.MLPRegressor
            if m == "MLP-adam":
                return cls(solver="adam", early_stopping=True, random_state=0)
            extra = {} if clf else {"activation": "tanh"}  # as Bayesmark: relu diverges there
            return cls(solver="sgd", early_stopping=True, learning_rate="invscaling",
                       nesterovs_momentum=True, random_state=0, **extra)
        if m == "ada":
            cls = ensemble.AdaBoostClassifier if clf else ensemble.AdaBoostRegressor
            return cls(random_state=0)
        if clf:
            penalty = "l1" if m == "lasso" else "l2"
            return OneVsRestClassifier(linear_model.LogisticRegression(
                penalty=penalty, solver="liblinear", fit_intercept=True))
        if m == "lasso":
            return linear_model.Lasso(random_state=0)
        return linear_model.Ridge(solver="auto", random_state=0)


ALL_PROBLEMS = [Problem(m, d, metric) for m in MODELS for d, (_, clf) in DATASETS.items()
                for metric in METRICS[clf]]
# cheap-to-medium problems: every family, every dataset but digits, every metric
LITE = [
    Problem("kNN", "breast", "nll"), Problem("kNN", "diabetes", "mse"),
    Problem("SVM", "wine", "nll"), Problem("SVM", "diabetes", "mae"),
    Problem("DT", "wine", "nll"), Problem("DT", "breast", "acc"),
    Problem("DT", "diabetes", "mae"),
    Problem("RF", "iris", "nll"), Problem("RF", "diabetes", "mse"),
    Problem("MLP-adam", "iris", "acc"), Problem("MLP-sgd", "wine", "nll"),
    Problem("ada", "iris", "acc"), Problem("ada", "breast", "nll"),
    Problem("lasso", "breast", "nll"), Problem("lasso", "diabetes", "mse"),
    Problem("linear", "wine", "acc"),
]
SMOKE = [Problem("lasso", "breast", "nll"), Problem("DT", "wine", "nll"),
         Problem("linear", "diabetes", "mae")]
TIERS = {  # problems, evaluations, seeds, checkpoints
    "smoke": (SMOKE, 20, 3, (10, 20)),
    "lite": (LITE, 64, 5, (32, 64)),
    "full": (ALL_PROBLEMS, 128, 5, (32, 64, 128)),
}

METHODS = ["BayesSearchCV", "RandomizedSearchCV", "optuna GP", "optuna TPE", "SMAC3 HPO",
           "skopt GP", "GASearchCV"]
# also available, not in the default set: BayesSearchCV and Optuna's GPSampler with 4 trials
# pending (proposals in batches of four, told when the whole batch is back; "liar": the
# GP's constant liar instead of its default fantasies), and BayesSearchCV whose GP adds
# each trial's squared CV standard error to its noise
EXTRA_METHODS = ["BayesSearchCV q=4", "BayesSearchCV q=4 liar", "optuna GP q=4",
                 "BayesSearchCV fold noise"]
RANDOM = "RandomizedSearchCV"


# -- data and the objective -----------------------------------------------------------------------
@functools.cache
def _data(dataset):
    import sklearn.datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    loader, clf = DATASETS[dataset]
    X, y = getattr(sklearn.datasets, loader)(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X.astype(float), y, test_size=0.2, random_state=0, shuffle=True)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _cv(problem):
    from sklearn.model_selection import KFold, StratifiedKFold

    return StratifiedKFold(5) if problem.is_clf else KFold(5)


class Objective:
    """The mean 5-fold CV loss of one configuration; records every loss in call order."""

    def __init__(self, problem):
        self.problem = problem
        self.losses = []

    def __call__(self, params):
        from sklearn.base import clone
        from sklearn.model_selection import cross_val_score

        p = self.problem
        X, _, y, _ = _data(p.dataset)
        est = clone(p.estimator()).set_params(**{p.prefix + k: _plain(v) for k, v in params.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                score = cross_val_score(est, X, y, cv=_cv(p), scoring=_SCORING[p.metric],
                                        error_score=np.nan).mean()
            except Exception:  # a configuration that fails: the worst loss
                score = np.nan
        loss = -float(score) if np.isfinite(score) else float("inf")
        self.losses.append(loss)
        return loss


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def generalization(problem, params):
    """Held-out loss of ``params`` fitted on the whole tuning part."""
    from sklearn.base import clone
    from sklearn.metrics import get_scorer

    X, X_test, y, y_test = _data(problem.dataset)
    est = clone(problem.estimator()).set_params(
        **{problem.prefix + k: _plain(v) for k, v in params.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(X, y)
            return -float(get_scorer(_SCORING[problem.metric])(est, X_test, y_test))
        except Exception:
            return float("inf")


# -- the optimisers: each returns the list of (params, loss) in evaluation order -----------------
def _search_trace(search, problem, n_evals):
    res = search.cv_results_
    scores = np.asarray(res["mean_test_score"], dtype=float)
    params = [{k[len(problem.prefix):]: v for k, v in p.items()} for p in res["params"]]
    losses = [-s if np.isfinite(s) else float("inf") for s in scores]
    return list(zip(params, losses))[:n_evals]


class _UnitDist:
    """A scipy-style distribution for RandomizedSearchCV: uniform in a dimension's unit scale."""

    def __init__(self, dim):
        self.dim = dim

    def rvs(self, random_state=None):
        rng = random_state if isinstance(random_state, np.random.RandomState) else \
            np.random.RandomState(random_state)
        return self.dim.from_unit(float(rng.uniform()))


def run_sklearn_api(method, problem, seed, n_evals):
    from sklearn.metrics import get_scorer

    est = problem.estimator()
    scoring = get_scorer(_SCORING[problem.metric])
    space = {problem.prefix + k: d for k, d in problem.space.items()}
    common = dict(cv=_cv(problem), scoring=scoring, refit=False, n_jobs=1)
    if method.startswith("BayesSearchCV"):
        from sktune import BayesSearchCV
        from sktune.proposers import GPProposer

        # the GP that BayesSearchCV builds, with or without per-trial noise (set every run:
        # a worker process runs several methods)
        GPProposer.__init__.__kwdefaults__["fold_noise"] = method.endswith("fold noise")
        GPProposer.__init__.__kwdefaults__["pending_strategy"] = (
            "liar" if method.endswith("liar") else "fantasy")
        n_points = 4 if "q=4" in method else 1
        search = BayesSearchCV(est, space, n_iter=n_evals, random_state=seed, n_points=n_points,
                               **common)
    elif method == RANDOM:
        from sklearn.model_selection import RandomizedSearchCV

        dists = {k: (list(d.choices) if isinstance(d, Categorical) else _UnitDist(d))
                 for k, d in space.items()}
        search = RandomizedSearchCV(est, dists, n_iter=n_evals, random_state=seed, **common)
    elif method == "GASearchCV":
        from sklearn_genetic import GASearchCV
        from sklearn_genetic import space as gs

        grid = {}
        for k, d in space.items():
            if isinstance(d, Categorical):
                grid[k] = gs.Categorical(list(d.choices))
            elif isinstance(d, Integer):
                grid[k] = gs.Integer(d.low, d.high)
            else:
                grid[k] = gs.Continuous(d.low, d.high,
                                        distribution="log-uniform" if d.log else "uniform")
        pop = max(4, n_evals // 8)
        np.random.seed(seed)  # noqa: NPY002 - GASearchCV (DEAP) draws from the global ones
        import random

        random.seed(seed)
        search = GASearchCV(est, param_grid=grid, population_size=pop,
                            generations=max(1, n_evals // pop), verbose=False,
                            use_cache=False, **{**common, "refit": False})
    else:
        raise ValueError(method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, _, y, _ = _data(problem.dataset)
        search.fit(X, y)
    return _search_trace(search, problem, n_evals)


def _optuna_suggest(trial, space):
    out = {}
    for name, d in space.items():
        if isinstance(d, Categorical):
            out[name] = trial.suggest_categorical(name, list(d.choices))
        elif isinstance(d, Integer):
            out[name] = trial.suggest_int(name, d.low, d.high, log=d.log)
        else:
            out[name] = trial.suggest_float(name, d.low, d.high, log=d.log)
    return out


def run_optuna(method, problem, seed, n_evals):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sampler = (optuna.samplers.GPSampler(seed=seed) if "GP" in method
               else optuna.samplers.TPESampler(seed=seed))  # Optuna 5.0 defaults
    study = optuna.create_study(sampler=sampler, direction="minimize")
    obj = Objective(problem)
    space = problem.space
    q = 4 if method.endswith("q=4") else 1
    trace = []
    while len(trace) < n_evals:  # ask/tell: q trials pending at a time
        trials = [study.ask() for _ in range(min(q, n_evals - len(trace)))]
        params = [_optuna_suggest(t, space) for t in trials]
        for t, p in zip(trials, params):
            loss = obj(p)
            study.tell(t, loss if np.isfinite(loss) else None,
                       state=None if np.isfinite(loss) else optuna.trial.TrialState.FAIL)
            trace.append((p, loss))
    return trace


def run_smac(problem, seed, n_evals):
    import logging

    from ConfigSpace import Categorical as CSCat
    from ConfigSpace import ConfigurationSpace, Float
    from ConfigSpace import Integer as CSInt
    from smac import HyperparameterOptimizationFacade, Scenario

    logging.getLogger("smac").setLevel(logging.ERROR)
    cs = ConfigurationSpace(seed=seed)
    space = problem.space
    for name, d in space.items():
        if isinstance(d, Categorical):
            cs.add(CSCat(name, [str(c) for c in d.choices]))
        elif isinstance(d, Integer):
            cs.add(CSInt(name, (d.low, d.high), log=d.log))
        else:
            cs.add(Float(name, (d.low, d.high), log=d.log))
    obj = Objective(problem)
    trace = []

    def decode(config):
        out = {}
        for name, d in space.items():
            v = config[name]
            out[name] = {str(c): c for c in d.choices}[v] if isinstance(d, Categorical) else v
        return out

    def train(config, seed=0):
        p = decode(config)
        loss = obj(p)
        trace.append((p, loss))
        return loss if np.isfinite(loss) else 1e10

    with tempfile.TemporaryDirectory() as tmp:
        scenario = Scenario(cs, deterministic=True, n_trials=n_evals, seed=seed,
                            output_directory=Path(tmp))
        smac = HyperparameterOptimizationFacade(scenario, train, overwrite=True,
                                                logging_level=40)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                smac.optimize()
            except Exception as exc:  # a small discrete space runs out of new configurations
                if type(exc).__name__ != "ConfigurationSpaceExhaustedException":
                    raise
    return trace[:n_evals]


def run_skopt(problem, seed, n_evals):
    import skopt
    import skopt.space as ss

    space = problem.space
    dims = []
    for name, d in space.items():
        if isinstance(d, Categorical):
            dims.append(ss.Categorical(list(d.choices), name=name))
        elif isinstance(d, Integer):
            dims.append(ss.Integer(d.low, d.high, prior="log-uniform" if d.log else "uniform",
                                   name=name))
        else:
            dims.append(ss.Real(d.low, d.high, prior="log-uniform" if d.log else "uniform",
                                name=name))
    opt = skopt.Optimizer(dims, base_estimator="GP", acq_func="gp_hedge", random_state=seed)
    obj = Objective(problem)
    trace = []
    names = list(space)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n_evals):
            x = opt.ask()
            p = {n: _plain(v) for n, v in zip(names, x)}
            loss = obj(p)
            opt.tell(x, loss if np.isfinite(loss) else 1e10)
            trace.append((p, loss))
    return trace


def run_one(method, problem, seed, n_evals):
    """One run: its losses in evaluation order, held-out loss of its best, CPU and wall seconds."""
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    warnings.filterwarnings("ignore")
    cpu, wall = time.process_time(), time.perf_counter()
    if method.startswith("BayesSearchCV") or method in (RANDOM, "GASearchCV"):
        trace = run_sklearn_api(method, problem, seed, n_evals)
    elif method.startswith("optuna"):
        trace = run_optuna(method, problem, seed, n_evals)
    elif method == "SMAC3 HPO":
        trace = run_smac(problem, seed, n_evals)
    elif method == "skopt GP":
        trace = run_skopt(problem, seed, n_evals)
    else:
        raise ValueError(method)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    losses = [float(v) for _, v in trace]
    best = int(np.argmin(losses)) if losses else None
    gen = generalization(problem, trace[best][0]) if best is not None else float("inf")
    return {"losses": losses, "generalization": gen, "cpu": cpu, "wall": wall}


# -- peers that are installed ---------------------------------------------------------------------
def peer_status():
    """``{method: reason}`` for the methods that cannot run here."""
    out = {}
    checks = {"optuna": "optuna.samplers", "SMAC3 HPO": "smac", "skopt GP": "skopt",
              "GASearchCV": "sklearn_genetic"}
    import importlib

    for key, module in checks.items():
        try:
            importlib.import_module(module)
        except Exception as exc:  # pragma: no cover - depends on the environment
            out[key] = f"{type(exc).__name__}: {exc}"
    if "optuna" in out:
        for m in ("optuna GP", "optuna TPE", "optuna GP q=4"):
            out[m] = out["optuna"]
    out.pop("optuna", None)
    return out


# -- running a pool of methods and scoring it -----------------------------------------------------
def _key(method, problem, seed, n_evals):
    return f"{method}|{problem.name}|{seed}|{n_evals}"


def run_suite(problems, methods, seeds, n_evals, n_jobs=1, cache=None, rerun=(), log=None):
    """``{(method, problem name, seed): run}`` for every combination (in parallel processes)."""
    cached = json.loads(Path(cache).read_text()) if cache and Path(cache).exists() else {}
    results, todo = {}, []
    for p in problems:
        for m in methods:
            for s in seeds:
                k = _key(m, p, s, n_evals)
                if k in cached and m not in rerun:
                    results[m, p.name, s] = cached[k]
                else:
                    todo.append((m, p, s))
    # slow peers first, so the pool does not end on one long run
    todo.sort(key=lambda t: (t[0] not in ("SMAC3 HPO", "optuna GP", "skopt GP"), t[1].name))
    if n_jobs == 1:
        done = ((t, run_one(*t, n_evals)) for t in todo)
    else:
        pool = ProcessPoolExecutor(n_jobs)
        futures = [(t, pool.submit(run_one, *t, n_evals)) for t in todo]
        done = ((t, f.result()) for t, f in futures)
    for i, ((m, p, s), res) in enumerate(done):
        results[m, p.name, s] = res
        if log:
            print(f"  [{i + 1}/{len(todo)}] {m} on {p.name}, seed {s}: {res['cpu']:.1f} CPU s",
                  file=log, flush=True)
        if cache:
            cached[_key(m, p, s, n_evals)] = res
            Path(cache).write_text(json.dumps(cached))
    if n_jobs != 1 and todo:
        pool.shutdown()
    return results


def normalised_scores(results, problems, methods, seeds, n):
    """``{(method, problem name): array of per-seed normalised scores}`` after ``n`` evaluations."""
    out = {}
    for p in problems:
        runs = [r for (m, name, _), r in results.items() if name == p.name and m in methods]
        opt = min(min(r["losses"]) for r in runs)
        base = float(np.median([_best_at(results[RANDOM, p.name, s], n) for s in seeds]))
        span = base - opt
        for m in methods:
            best = np.array([_best_at(results[m, p.name, s], n) for s in seeds])
            out[m, p.name] = _clip(100 * (base - best) / span if span > 0 else np.zeros(len(seeds)))
    return out


def _clip(scores):
    return np.maximum(scores, -100.0)


def _best_at(run, n):
    losses = run["losses"][:n]
    return float(np.min(losses)) if losses else float("inf")


def generalization_scores(results, problems, methods, seeds):
    """Normalised held-out scores of each run's best configuration (same recipe, final n)."""
    out = {}
    for p in problems:
        gens = {m: np.array([results[m, p.name, s]["generalization"] for s in seeds])
                for m in methods}
        opt = min(float(g.min()) for g in gens.values())
        base = float(np.median(gens[RANDOM]))
        span = base - opt
        for m in methods:
            out[m, p.name] = _clip(100 * (base - gens[m]) / span if span > 0
                                   else np.zeros(len(seeds)))
    return out


def summary(results, problems, methods, seeds, n):
    """Per method: mean over problems of the median score over seeds, the per-seed means
    over problems (their mean is Bayesmark's own aggregate), wins."""
    scores = normalised_scores(results, problems, methods, seeds, n)
    rows = {}
    for m in methods:
        med = np.array([np.median(scores[m, p.name]) for p in problems])
        per_seed = np.mean([scores[m, p.name] for p in problems], axis=0)  # one mean per seed
        base = np.array([np.median(scores[RANDOM, p.name]) for p in problems])
        rows[m] = {"mean": float(med.mean()), "per_seed": per_seed,
                   "wins": int(np.sum(med > base)), "ties": int(np.sum(med == base))}
    return rows, scores


def _noise_note(rows, seeds):
    """Which gaps to the leader (by the mean over seeds, which the gaps are paired on) are
    inside noise (2 standard errors)."""
    leader = max(rows, key=lambda m: rows[m]["per_seed"].mean())
    notes = []
    for m, r in rows.items():
        if m == leader:
            continue
        diff = rows[leader]["per_seed"] - r["per_seed"]
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("inf")
        if diff.mean() < 2 * se:
            notes.append(f"{m} ({diff.mean():+.1f} +- {se:.1f})")
    if notes:
        return f"inside noise of the leader {leader} (mean gap +- s.e. over seeds): " + \
            ", ".join(notes)
    return f"the leader {leader} is ahead of every other method by more than 2 s.e."


def print_tables(results, problems, methods, seeds, checkpoints, unavailable, wall, file=None):
    file = file or sys.stdout
    n_final = max(checkpoints)
    width = max(20, *(len(m) + 1 for m in methods))
    head = f"{'method':<{width}}" + "".join(f"{f'score@{c}':>10}{'+-':>6}{f'mean@{c}':>9}"
                                            for c in checkpoints) + \
        f"{'>random':>9}{'gen@' + str(n_final):>9}{'CPU s/run':>11}{'ms/eval*':>10}"
    print(f"\nBayesmark-style suite: {len(problems)} problems x {n_final} evaluations x "
          f"{len(seeds)} seeds; normalised score (100 = best of pool, 0 = random median)",
          file=file)
    print(head, file=file)
    print("-" * len(head), file=file)
    summaries = {c: summary(results, problems, methods, seeds, c) for c in checkpoints}
    gen = generalization_scores(results, problems, methods, seeds)
    # the objective's own cost: random search's CPU per evaluation is almost all model fitting
    fit_cost = {p.name: np.mean([results[RANDOM, p.name, s]["cpu"] / n_final for s in seeds])
                for p in problems}
    for m in methods:
        line = f"{m:<{width}}"
        for c in checkpoints:
            r = summaries[c][0][m]
            spread = np.percentile(r["per_seed"], 75) - np.percentile(r["per_seed"], 25)
            line += f"{r['mean']:>10.1f}{spread:>6.1f}{r['per_seed'].mean():>9.1f}"
        r = summaries[n_final][0][m]
        wins = f"{r['wins']}/{len(problems)}" if m != RANDOM else "-"
        g = np.mean([np.median(gen[m, p.name]) for p in problems])
        cpu = np.mean([results[m, p.name, s]["cpu"] for p in problems for s in seeds])
        over = np.mean([(results[m, p.name, s]["cpu"] / n_final - fit_cost[p.name]) * 1000
                        for p in problems for s in seeds])
        line += f"{wins:>9}{g:>9.1f}{cpu:>11.1f}{over:>10.0f}"
        print(line, file=file)
    for m, why in unavailable.items():
        print(f"{m:<20}n/a ({why})", file=file)
    print("score: mean over problems of the median over seeds; +- : interquartile range over "
          "seeds of the mean over problems; mean: the mean over problems and seeds (Bayesmark's "
          "aggregate); >random: problems "
          "where the median over seeds beats random search's; gen: the same score on the "
          "held-out 20 % for each run's best; ms/eval*: CPU per evaluation beyond random "
          "search's (optimiser overhead, roughly)", file=file)
    for c in checkpoints:
        print(f"at {c}: {_noise_note(summaries[c][0], seeds)}", file=file)
    print(f"wall time {wall:.0f} s (2 shared cores: wall times are inflated, CPU s less so)",
          file=file)
    return summaries


def print_per_problem(results, problems, methods, seeds, n, file=None):
    file = file or sys.stdout
    scores = normalised_scores(results, problems, methods, seeds, n)
    width = max(len(p.name) for p in problems) + 2
    short = [m.replace("SearchCV", "").replace("optuna ", "o")[:9] for m in methods]
    print(f"\nmedian score per problem after {n} evaluations", file=file)
    print(f"{'problem':<{width}}" + "".join(f"{s:>10}" for s in short), file=file)
    for p in problems:
        print(f"{p.name:<{width}}" + "".join(f"{np.median(scores[m, p.name]):>10.1f}"
                                              for m in methods), file=file)


# -- main -----------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tier = parser.add_mutually_exclusive_group()
    tier.add_argument("--smoke", action="store_true", help="3 cheap problems (minutes)")
    tier.add_argument("--full", action="store_true", help="all 90 problems, 128 evaluations")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--n-evals", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--methods", nargs="+", choices=METHODS + EXTRA_METHODS, default=None)
    parser.add_argument("--problems", nargs="+", default=None,
                        help="problem names such as DT-wine-nll (default: the tier's)")
    parser.add_argument("--cache", default=None, metavar="JSON", help="keep finished runs there")
    parser.add_argument("--rerun", nargs="+", default=(), help="methods to redo despite the cache")
    parser.add_argument("--per-problem", action="store_true", help="also a table per problem")
    args = parser.parse_args(argv)
    problems, n_evals, n_seeds, checkpoints = TIERS["smoke" if args.smoke else
                                                    "full" if args.full else "lite"]
    if args.problems:
        by_name = {p.name: p for p in ALL_PROBLEMS}
        problems = [by_name[name] for name in args.problems]
    if args.n_evals:
        n_evals = args.n_evals
        checkpoints = tuple(sorted({max(1, n_evals // 2), n_evals}))
    seeds = list(range(args.seeds or n_seeds))
    unavailable = peer_status()
    methods = [m for m in (args.methods or METHODS) if m not in unavailable]
    if RANDOM not in methods:
        methods.insert(1, RANDOM)  # the baseline of the normalised score
    start = time.perf_counter()
    results = run_suite(problems, methods, seeds, n_evals, n_jobs=args.n_jobs, cache=args.cache,
                        rerun=set(args.rerun), log=sys.stderr)
    wall = time.perf_counter() - start
    print_tables(results, problems, methods, seeds, checkpoints,
                 {m: w for m, w in unavailable.items() if m in (args.methods or METHODS)}, wall)
    if args.per_problem:
        print_per_problem(results, problems, methods, seeds, n_evals)
    return results


if __name__ == "__main__":
    main()
