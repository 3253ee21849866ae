"""Benchmark sktune's Bayesian optimisation against random search, Optuna and scikit-optimize.

Prints three side-by-side tables:

1. median simple regret (best value found minus the known minimum) after 30
   and 60 evaluations over several seeds on Branin, Hartmann-6, Rosenbrock-5,
   Ackley-5 and a mixed integer/categorical function, each optimiser driven
   sequentially (one proposal, one evaluation), and the "q=4" variants by
   ask/tell with four trials pending (four asked, then four told); Optuna is
   5.0 with its samplers' defaults (GPSampler, TPESampler: multivariate and
   constant liar); after each table, on how many functions sktune's median
   regret is <= Optuna GPSampler's and <= 0.1x random search's;
2. milliseconds per proposal with 10/50/100/200/400 observations of a 5-D
   function (CPU time of the process, so that other load on the machine does
   not count), and the CPU seconds of one whole 200-trial search, sktune's GP
   against Optuna's GPSampler;
3. a real tuning task on data shipped with scikit-learn (SVC on the digits,
   cross-validated accuracy): BayesSearchCV vs RandomizedSearchCV vs Optuna
   with the same number of trials and CV splits (it separates nobody: every
   method is within seed spread; ``benchmarks/bayesmark.py`` is the real-task
   suite).

Usage::

    python benchmarks/bayes.py            # full run (about 10 min on 2 cores)
    python benchmarks/bayes.py --quick    # smoke run (< 1 min)
    python benchmarks/bayes.py --seeds 10 --only regret

Optuna and scikit-optimize are only needed here (``pip install sktune[bench]``);
a missing or broken peer is shown as ``n/a`` with the reason. Every process
uses one BLAS/torch thread so that timings compare like with like.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

try:  # Optuna's GPSampler runs on torch: one thread, like everything else here
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _functions import FUNCTIONS  # noqa: E402

from sktune.proposers import GPProposer, RandomProposer  # noqa: E402
from sktune.space import Categorical, Integer, Real  # noqa: E402

METHODS = ["sktune GP", "random", "optuna GP", "optuna TPE", "skopt GP", "sktune GP q=4",
           "optuna GP q=4"]
# Optuna's TPE with four trials pending: not in the default set
EXTRA = ["optuna TPE q=4", "sktune GP q=4 liar"]
PENDING = 4  # trials pending at a time in the "q=4" variants (ask four, then tell four)
# the same model with its hyperparameters fitted through scikit-learn's GaussianProcessRegressor
# (instead of sktune's lean likelihood): not in the default set, for the record
SKLEARN_GP = "sktune GP/sklearn"
N_INITIAL = 10  # random/Sobol start of every model-based method


# -- peers ----------------------------------------------------------------------------------------
def _peer_status():
    status = {}
    try:
        import optuna  # noqa: F401
        import torch  # noqa: F401
        from optuna.samplers import GPSampler  # noqa: F401
    except Exception as exc:  # pragma: no cover - depends on the environment
        status["optuna"] = f"{type(exc).__name__}: {exc}"
    try:
        import skopt

        opt = skopt.Optimizer([(0.0, 1.0), (0.0, 1.0)], random_state=0, n_initial_points=2)
        for _ in range(3):
            x = opt.ask()
            opt.tell(x, float(sum(v * v for v in x)))
    except Exception as exc:  # pragma: no cover - depends on the environment
        status["skopt"] = f"{type(exc).__name__}: {exc}"
    return status


def _optuna_value(trial, name, dim):
    if isinstance(dim, Real):
        return trial.suggest_float(name, dim.low, dim.high, log=dim.log)
    if isinstance(dim, Integer):
        return trial.suggest_int(name, dim.low, dim.high, log=dim.log)
    return trial.suggest_categorical(name, list(dim.choices))


def _skopt_dims(space):
    import skopt.space as ss

    dims = []
    for name, dim in space.items():
        if isinstance(dim, Real):
            dims.append(ss.Real(dim.low, dim.high, prior="log-uniform" if dim.log else "uniform",
                                name=name))
        elif isinstance(dim, Integer):
            dims.append(ss.Integer(dim.low, dim.high,
                                   prior="log-uniform" if dim.log else "uniform", name=name))
        else:
            dims.append(ss.Categorical(list(dim.choices), name=name))
    return dims


# -- one optimisation run: the trace of values, in evaluation order -------------------------------
def run_proposer(proposer, fn, n_evals, q=1):
    """Ask ``q`` points (``q - 1`` pending while each is chosen), evaluate, tell them all."""
    values = []
    while len(values) < n_evals:
        batch = proposer.ask(min(q, n_evals - len(values)))
        for params in batch:
            value = fn(params)
            proposer.tell(params, -value)  # proposers maximise
            values.append(value)
    return values


def run_optuna(sampler_name, fn, n_evals, seed, q=1):
    """Optuna 5.0 with its defaults (10 startup trials for both samplers), driven by ask/tell
    with ``q`` trials pending at a time (the samplers see the pending ones as RUNNING)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if sampler_name == "GP":
        sampler = optuna.samplers.GPSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    values = []
    while len(values) < n_evals:
        trials = [study.ask() for _ in range(min(q, n_evals - len(values)))]
        batch = [{n: _optuna_value(t, n, d) for n, d in fn.space.items()} for t in trials]
        for trial, params in zip(trials, batch):
            value = fn(params)
            study.tell(trial, value)
            values.append(value)
    return values


def run_skopt(fn, n_evals, seed):
    import skopt

    names = list(fn.space)
    opt = skopt.Optimizer(_skopt_dims(fn.space), base_estimator="GP", acq_func="gp_hedge",
                          n_initial_points=N_INITIAL, random_state=seed)
    values = []
    for _ in range(n_evals):
        x = opt.ask()
        params = {n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, x)}
        value = fn(params)
        opt.tell(x, value)
        values.append(value)
    return values


def run_one(method, fn_key, seed, n_evals):
    """Best value after each evaluation (a trace of length ``n_evals``) and the wall time."""
    fn = FUNCTIONS[fn_key]
    warnings.filterwarnings("ignore")
    start = _clock()
    strategy = "liar" if method.endswith(" liar") else "fantasy"
    base = method.removesuffix(" liar")
    q = PENDING if base.endswith(" q=4") else 1
    base = base.removesuffix(" q=4")
    if base in ("sktune GP", SKLEARN_GP):
        kernel_fit = "sklearn" if base == SKLEARN_GP else "direct"
        values = run_proposer(GPProposer(fn.space, n_initial_points=N_INITIAL,
                                         kernel_fit=kernel_fit, pending_strategy=strategy,
                                         random_state=seed), fn, n_evals, q)
    elif method == "random":
        values = run_proposer(RandomProposer(fn.space, random_state=seed), fn, n_evals)
    elif base == "optuna GP":
        values = run_optuna("GP", fn, n_evals, seed, q)
    elif base == "optuna TPE":
        values = run_optuna("TPE", fn, n_evals, seed, q)
    elif method == "skopt GP":
        values = run_skopt(fn, n_evals, seed)
    else:
        raise ValueError(method)
    return np.minimum.accumulate(values), _clock() - start


# -- tables ---------------------------------------------------------------------------------------
def _fmt(v):
    if v is None:
        return "n/a"
    if v == 0:
        return "0"
    if abs(v) >= 100 or abs(v) < 1e-2:
        return f"{v:.2e}"
    return f"{v:.4f}"


def _print_table(title, header, rows, first_width=24):
    widths = [first_width] + [max(11, len(h) + 1) for h in header[1:]]
    print(f"\n{title}")
    print("".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header,
                                                                                        widths))))
    print("-" * sum(widths))
    for row in rows:
        print("".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                      for i, (c, w) in enumerate(zip(row, widths))))


def _load_cache(path, n_evals):
    if not path or not Path(path).exists():
        return {}
    data = json.loads(Path(path).read_text())
    return data.get(str(n_evals), {})


def _save_cache(path, n_evals, traces):
    data = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    data[str(n_evals)] = traces
    Path(path).write_text(json.dumps(data))


def regret_tables(methods, functions, seeds, checkpoints, n_jobs, unavailable, cache=None):
    n_evals = max(checkpoints)
    jobs = [(m, f, s) for f in functions for m in methods for s in seeds
            if _peer_of(m) not in unavailable]
    traces, times = {}, {}
    cached = _load_cache(cache, n_evals)
    todo = []
    for key in jobs:
        if not key[0].startswith("sktune") and "|".join(map(str, key)) in cached:
            trace, seconds = cached["|".join(map(str, key))]
            traces[key], times[key] = np.array(trace), seconds
        else:
            todo.append(key)
    with ProcessPoolExecutor(n_jobs) as pool:
        futures = {(m, f, s): pool.submit(run_one, m, f, s, n_evals) for m, f, s in todo}
        for i, (key, fut) in enumerate(futures.items()):
            traces[key], times[key] = fut.result()
            print(f"  [{i + 1}/{len(todo)}] {key[0]} on {key[1]}, seed {key[2]}: "
                  f"{times[key]:.1f} s", file=sys.stderr, flush=True)
            if cache:
                cached["|".join(map(str, key))] = (traces[key].tolist(), times[key])
                _save_cache(cache, n_evals, cached)
    for c in checkpoints:
        rows = []
        for f in functions:
            fn = FUNCTIONS[f]
            row = [fn.name]
            for m in methods:
                if _peer_of(m) in unavailable:
                    row.append("n/a")
                    continue
                regrets = [fn.regret(traces[m, f, s][c - 1]) for s in seeds]
                row.append(_fmt(float(np.median(regrets))))
            rows.append(row)
        _print_table(f"Median simple regret after {c} evaluations ({len(seeds)} seeds; lower is "
                     "better)", ["function"] + methods, rows)
        _print_checks(traces, methods, functions, seeds, c, unavailable)
    rows = []
    for f in functions:
        row = [FUNCTIONS[f].name]
        for m in methods:
            ok = _peer_of(m) not in unavailable
            row.append(f"{np.mean([times[m, f, s] for s in seeds]):.1f}" if ok else "n/a")
        rows.append(row)
    _print_table(f"CPU seconds per run of {n_evals} evaluations (mean over seeds)",
                 ["function"] + methods, rows)
    return traces


def _print_checks(traces, methods, functions, seeds, c, unavailable):
    """The issue's bars: sktune's median regret <= Optuna GP's, and <= 0.1x random search's."""
    def med(m, f):
        return float(np.median([FUNCTIONS[f].regret(traces[m, f, s][c - 1]) for s in seeds]))

    for ours, peer in (("sktune GP", "optuna GP"), ("sktune GP q=4", "optuna GP q=4")):
        if ours in methods and peer in methods and _peer_of(peer) not in unavailable:
            wins = [f for f in functions if med(ours, f) <= med(peer, f)]
            print(f"  {ours} <= {peer} on {len(wins)}/{len(functions)}: {', '.join(wins)}")
    if "sktune GP" in methods and "random" in methods:
        ok = [f for f in functions if med("sktune GP", f) <= 0.1 * med("random", f)]
        print(f"  sktune GP <= 0.1x random on {len(ok)}/{len(functions)}: {', '.join(ok)}")


def _peer_of(method):
    return "optuna" if method.startswith("optuna") else "skopt" if method.startswith("skopt") \
        else "sktune"


# -- ms per proposal ------------------------------------------------------------------------------
def _clock():
    """CPU seconds of this process (all its threads): robust to other load on the machine."""
    return time.process_time()


def _history(fn, n, seed):
    rng = np.random.default_rng(seed)
    points = RandomProposer(fn.space, random_state=rng).ask(n)
    return [(p, fn(p)) for p in points]


def time_sktune(fn, n, repeats, seed=0, sklearn=False):
    proposer = GPProposer(fn.space, n_initial_points=N_INITIAL,
                          kernel_fit="sklearn" if sklearn else "direct", random_state=seed)
    for p, v in _history(fn, n, seed):
        proposer.tell(p, -v)
    proposer.ask(1)  # first model fit (hyperparameters from scratch) not counted
    elapsed = []
    for _ in range(repeats):
        start = _clock()
        [p] = proposer.ask(1)
        elapsed.append(_clock() - start)
        proposer.tell(p, -fn(p))
    return 1000 * float(np.mean(elapsed))


def time_optuna(fn, n, repeats, seed=0):
    import optuna
    from optuna.distributions import FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    dists = {name: FloatDistribution(d.low, d.high) for name, d in fn.space.items()}
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    study.add_trials([optuna.trial.create_trial(params=p, distributions=dists, value=v)
                      for p, v in _history(fn, n, seed)])
    elapsed = []
    for _ in range(repeats + 1):
        start = _clock()
        trial = study.ask(dists)
        elapsed.append(_clock() - start)
        study.tell(trial, fn(trial.params))
    return 1000 * float(np.mean(elapsed[1:]))


def time_skopt(fn, n, repeats, seed=0):
    import skopt

    names = list(fn.space)
    opt = skopt.Optimizer(_skopt_dims(fn.space), base_estimator="GP", acq_func="gp_hedge",
                          n_initial_points=N_INITIAL, random_state=seed)
    hist = _history(fn, n, seed)
    opt.tell([[p[k] for k in names] for p, _ in hist], [v for _, v in hist])
    elapsed = []
    for _ in range(repeats):  # skopt fits and optimises the acquisition inside tell
        start = _clock()
        x = opt.ask()
        opt.tell(x, fn(dict(zip(names, x))))
        elapsed.append(_clock() - start)
    return 1000 * float(np.mean(elapsed))


def timing_table(sizes, unavailable, quick):
    fn = FUNCTIONS["rosenbrock5"]
    warnings.filterwarnings("ignore")
    rows = []
    for n in sizes:
        row = [str(n)]
        row.append(f"{time_sktune(fn, n, 3 if quick else 10):.1f}")
        row.append(f"{time_sktune(fn, n, 3 if quick else 10, sklearn=True):.1f}")
        row.append("n/a" if "optuna" in unavailable else
                   f"{time_optuna(fn, n, 1 if quick else 3):.1f}")
        if "skopt" in unavailable or (quick and n > 50):
            row.append("n/a")
        else:
            row.append(f"{time_skopt(fn, n, 1 if n >= 200 else 2):.1f}")
        rows.append(row)
    _print_table(f"CPU milliseconds per proposal on {fn.name} (mean; one thread)",
                 ["observations", "sktune GP", SKLEARN_GP, "optuna GP", "skopt GP"], rows,
                 first_width=14)


def search_cost_table(n_evals, unavailable):
    """CPU seconds of one whole sequential search (seed 0), sktune's GP against Optuna's."""
    mine = run_one("sktune GP", "rosenbrock5", 0, n_evals)[1]
    theirs = None if "optuna" in unavailable else run_one("optuna GP", "rosenbrock5", 0, n_evals)[1]
    row = [str(n_evals), f"{mine:.1f}", "n/a", "n/a"]
    if theirs is not None:
        row[2:] = [f"{theirs:.1f}", f"{mine / theirs:.2f}x"]
    _print_table(f"CPU seconds of a whole {n_evals}-trial search on "
                 f"{FUNCTIONS['rosenbrock5'].name} (seed 0; one thread)",
                 ["trials", "sktune GP", "optuna GP", "sktune / optuna"], [row], first_width=14)


# -- a real tuning task ---------------------------------------------------------------------------
def _svc_task():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)


_SVC_SPACE = {
    "C": Real(1e-3, 1e3, log=True),
    "gamma": Real(1e-6, 1e1, log=True),
    "kernel": Categorical(["rbf", "sigmoid"]),
}


def run_real(method, seed, n_iter):
    from scipy.stats import loguniform
    from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    from sktune import BayesSearchCV

    warnings.filterwarnings("ignore")
    X_train, X_test, y_train, y_test = _svc_task()
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    start = time.perf_counter()
    if method == "BayesSearchCV":
        search = BayesSearchCV(SVC(), _SVC_SPACE, n_iter=n_iter, n_initial_points=N_INITIAL, cv=cv,
                               random_state=seed).fit(X_train, y_train)
        best_cv, test = search.best_score_, search.score(X_test, y_test)
    elif method == "RandomizedSearchCV":
        dists = {"C": loguniform(1e-3, 1e3), "gamma": loguniform(1e-6, 1e1),
                 "kernel": ["rbf", "sigmoid"]}
        search = RandomizedSearchCV(SVC(), dists, n_iter=n_iter, cv=cv, random_state=seed)
        search.fit(X_train, y_train)
        best_cv, test = search.best_score_, search.score(X_test, y_test)
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = (optuna.samplers.GPSampler(seed=seed, n_startup_trials=N_INITIAL)
                   if method == "optuna GP" else
                   optuna.samplers.TPESampler(seed=seed, n_startup_trials=N_INITIAL))
        study = optuna.create_study(sampler=sampler, direction="maximize")

        def objective(trial):
            params = {n: _optuna_value(trial, n, d) for n, d in _SVC_SPACE.items()}
            return cross_val_score(SVC(**params), X_train, y_train, cv=cv).mean()

        study.optimize(objective, n_trials=n_iter)
        best_cv = study.best_value
        test = SVC(**study.best_params).fit(X_train, y_train).score(X_test, y_test)
    return best_cv, test, time.perf_counter() - start


def real_table(seeds, n_iter, n_jobs, unavailable):
    methods = ["BayesSearchCV", "RandomizedSearchCV", "optuna GP", "optuna TPE"]
    methods = [m for m in methods if not (m.startswith("optuna") and "optuna" in unavailable)]
    with ProcessPoolExecutor(n_jobs) as pool:
        futures = {(m, s): pool.submit(run_real, m, s, n_iter) for m in methods for s in seeds}
        res = {k: f.result() for k, f in futures.items()}
    rows = []
    for m in methods:
        cvs = [res[m, s][0] for s in seeds]
        tests = [res[m, s][1] for s in seeds]
        times = [res[m, s][2] for s in seeds]
        rows.append([m, f"{np.median(cvs):.4f}", f"{np.min(cvs):.4f}", f"{np.median(tests):.4f}",
                     f"{np.mean(times):.1f}"])
    _print_table(
        f"SVC on digits (C, gamma, kernel), {n_iter} trials, 3-fold CV accuracy, {len(seeds)} seeds",
        ["method", "median CV", "worst CV", "median test", "seconds"], rows, first_width=20,
    )


# -- main -----------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (< 1 min)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per function (default 5)")
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--only", choices=["regret", "timing", "real"], action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--functions", nargs="+", choices=list(FUNCTIONS), default=None)
    parser.add_argument("--methods", nargs="+", choices=METHODS + EXTRA + [SKLEARN_GP],
                        default=None)
    parser.add_argument("--peer-cache", default=None, metavar="JSON",
                        help="reuse (and store) the traces of random search and the peers there; "
                        "sktune is always rerun")
    args = parser.parse_args(argv)
    parts = set(args.only or ["regret", "timing", "real"])
    unavailable = _peer_status()
    for peer, reason in unavailable.items():
        print(f"{peer}: n/a ({reason})")
    t0 = time.perf_counter()
    if "regret" in parts:
        if args.quick:
            seeds, checkpoints = range(args.seeds or 2), [15, 25]
            functions = args.functions or ["branin", "mixed"]
            methods = args.methods or ["sktune GP", "random", "optuna TPE"]
        else:
            seeds, checkpoints = range(args.seeds or 5), [30, 60]
            functions = args.functions or list(FUNCTIONS)
            methods = args.methods or METHODS
        regret_tables(methods, functions, list(seeds), checkpoints, args.n_jobs, unavailable,
                      cache=args.peer_cache)
    if "timing" in parts:
        sizes = [10, 50, 200] if args.quick else [10, 50, 100, 200, 400]
        timing_table(sizes, unavailable, args.quick)
        search_cost_table(40 if args.quick else 200, unavailable)
    if "real" in parts:
        seeds = range(1 if args.quick else (args.seeds or 3))
        real_table(list(seeds), 10 if args.quick else 30, args.n_jobs, unavailable)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
