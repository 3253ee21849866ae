"""Benchmark sktune's execution layer: workers, GridSearchCV parity, Dask, and GPU sharing.

Prints side by side, in one run:

1. wall time of one search of skorch nets on the digits (8 configurations x
   3 CV folds) with ``n_jobs=1`` and ``n_jobs=2`` (goal: ratio <= 0.6 on
   2 cores);
2. scikit-learn's ``GridSearchCV`` on exactly the same candidates and splits,
   with the same ``n_jobs`` (goal: sktune's time per trial <= 1.1x
   GridSearchCV's);
3. the same sktune search on a ``dask.distributed.LocalCluster`` (2 worker
   processes, loopback) through ``joblib.parallel_config(backend="dask")``;

and with ``--gpu`` (needs a CUDA device):

4. trials per second with 1, 2 and 4 concurrent small-net trials sharing one
   GPU (``devices=["cuda:0"]``, ``trials_per_device=k``, ``n_jobs=k``;
   goal: >= 3x at 4).

Every timed run follows an untimed warm-up run of the same kind, so worker
pools are warm for both libraries (a cold worker importing torch costs seconds
either way). Every job trains on one thread (``n_jobs=1`` runs in this
process, which is set to one torch thread; workers are capped by both
libraries), so the n_jobs ratio measures parallel jobs, not BLAS threads.

Usage::

    python benchmarks/parallel.py              # CPU tables (about 5 min on 2 idle cores)
    python benchmarks/parallel.py --quick      # smoke run
    python benchmarks/parallel.py --gpu        # also the GPU table
    python benchmarks/parallel.py --gpu --no-cpu
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
import warnings

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402
from skorch import NeuralNetClassifier  # noqa: E402

from sktune.proposers.base import Proposer  # noqa: E402
from sktune.schedulers.fifo import FIFOScheduler  # noqa: E402
from sktune.search import BaseSearch  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)


class MLP(torch.nn.Module):
    def __init__(self, width=64, depth=1, n_in=64, n_out=10):
        super().__init__()
        layers, d = [], n_in
        for _ in range(depth):
            layers += [torch.nn.Linear(d, width), torch.nn.ReLU()]
            d = width
        layers.append(torch.nn.Linear(d, n_out))
        self.net = torch.nn.Sequential(*layers)

    def forward(self, X):
        return self.net(X)


def make_net(max_epochs, device="cpu"):
    return NeuralNetClassifier(
        MLP, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=1e-3,
        max_epochs=max_epochs, batch_size=64, train_split=None, verbose=0, device=device,
    )


class _ListProposer(Proposer):
    def __init__(self, space, items):
        super().__init__(space)
        self.items, self.i = list(items), 0

    def ask(self, n, *, pending=()):
        out = self.items[self.i:self.i + n]
        self.i += len(out)
        return [dict(p) for p in out]


class CandidateSearch(BaseSearch):
    """sktune's search loop over a fixed list of candidates (GridSearchCV's job)."""

    _space_param = "space"

    def __init__(self, estimator, space, candidates, *, n_jobs=None, cv=None, refit=False,
                 devices=None, trials_per_device=1, random_state=0, n_points=None):
        self.estimator, self.space, self.candidates = estimator, space, candidates
        self.n_jobs, self.cv, self.refit = n_jobs, cv, refit
        self.devices, self.trials_per_device = devices, trials_per_device
        self.random_state, self.n_points = random_state, n_points
        self.scoring, self.verbose, self.error_score = None, 0, np.nan
        self.return_train_score, self.callbacks, self.device_param = False, None, None
        self.journal, self.trial_timeout = None, None

    def _make_scheduler(self, space, rng, context):
        n = len(self.candidates)
        sched = FIFOScheduler(_ListProposer(space, self.candidates), n,
                              batch_size=self.n_points or n)
        sched.n_total = n
        return sched


def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y.astype(np.int64)


def grid(quick):
    lrs, widths, depths = [3e-3, 1e-2], [32, 96], [1, 2]
    if quick:
        depths = [1]
    return {"lr": lrs, "module__width": widths, "module__depth": depths}


def candidates_of(param_grid):
    keys = sorted(param_grid)
    return [dict(zip(keys, v)) for v in itertools.product(*(param_grid[k] for k in keys))]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def cpu_tables(quick, repeats=1):
    torch.set_num_threads(1)  # one thread per job, in this process as in the workers
    X, y = digits()
    param_grid = grid(quick)
    cands = candidates_of(param_grid)
    epochs = 4 if quick else 10
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    space = {k: list(v) for k, v in param_grid.items()}
    n = len(cands)

    def sk(n_jobs):
        return CandidateSearch(make_net(epochs), space, cands, n_jobs=n_jobs, cv=cv).fit(X, y)

    def gs(n_jobs):
        return GridSearchCV(make_net(epochs), param_grid, cv=cv, n_jobs=n_jobs,
                            refit=False).fit(X, y)

    print(f"\nCPU: {n} skorch nets x 3 folds on the digits, {epochs} epochs, "
          f"{joblib.cpu_count()} usable cores (warm pools)")
    print(f"{'library':<14}{'run':<32}{'wall s':>9}{'s/trial':>10}  notes")

    def show(lib, run, wall, per, extra=""):
        print(f"{lib:<14}{run:<32}{wall:>9.2f}{per:>10.3f}  {extra}", flush=True)

    results = {}
    for n_jobs in (1, 2):
        if n_jobs > 1:  # warm both libraries' worker pools
            sk(n_jobs), gs(n_jobs)
        runs = {"sktune": [], "GridSearchCV": []}
        for _ in range(repeats):  # alternate, so that a change of machine load hits both
            runs["sktune"].append(timed(lambda n_jobs=n_jobs: sk(n_jobs)))
            runs["GridSearchCV"].append(timed(lambda n_jobs=n_jobs: gs(n_jobs)))
        for name, timings in runs.items():
            wall, search = min(timings, key=lambda r: r[0])
            results[(name, n_jobs)] = (wall, search)
            extra = f"min of {repeats}: " + ", ".join(f"{t:.1f}" for t, _ in timings)
            if name == "sktune":
                util = search.busy_time_ / (search.search_time_ * search.n_workers_)
                extra += f"; utilisation {util:.0%}"
            show(name, f"n_jobs={n_jobs}", wall, wall / n, extra)

    try:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=":0") as cluster, Client(cluster):
            with joblib.parallel_config(backend="dask"):
                sk(-1), gs(-1)  # warm the workers
                runs = {"sktune": [], "GridSearchCV": []}
                for _ in range(repeats):
                    runs["sktune"].append(timed(lambda: sk(-1)))
                    runs["GridSearchCV"].append(timed(lambda: gs(-1)))
                for name, timings in runs.items():
                    wall, search = min(timings, key=lambda r: r[0])
                    if name == "sktune":
                        results[("dask", 2)] = (wall, search)
                    extra = f"min of {repeats}: " + ", ".join(f"{t:.1f}" for t, _ in timings)
                    show(name, "Dask LocalCluster, 2 workers", wall, wall / n, extra)
    except ImportError as exc:
        show("sktune", f"Dask n/a ({exc})", np.nan, np.nan)
    s1, s2 = results[("sktune", 1)][0], results[("sktune", 2)][0]
    g1, g2 = results[("GridSearchCV", 1)][0], results[("GridSearchCV", 2)][0]
    print(f"\nsktune n_jobs=2 / n_jobs=1 wall time: {s2 / s1:.2f} (goal <= 0.6)")
    print(f"sktune / GridSearchCV time per trial: n_jobs=1 {s1 / g1:.2f}, n_jobs=2 {s2 / g2:.2f} "
          "(goal <= 1.1)")
    ref = results[("sktune", 1)][1].cv_results_["mean_test_score"]
    same = [np.array_equal(ref, results[k][1].cv_results_["mean_test_score"])
            for k in [("sktune", 2), ("dask", 2)] if k in results]
    print(f"sktune scores identical for n_jobs=1, n_jobs=2 and Dask: {all(same)}")


def gpu_table(quick):
    if not torch.cuda.is_available():
        print("\nGPU: no CUDA device visible; skipped.")
        return
    from sktune.execution import resolve_devices

    X, y = digits()
    n_trials = 8 if quick else 16
    rng = np.random.default_rng(0)
    cands = [{"lr": float(10 ** rng.uniform(-3, -2)), "module__width": int(rng.integers(32, 129))}
             for _ in range(n_trials)]
    space = {"lr": (1e-3, 1e-2), "module__width": (32, 128)}
    epochs = 5 if quick else 15
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    auto = resolve_devices("auto")
    initialised = torch.cuda.is_initialized()
    print(f"\nGPU: devices='auto' -> {auto}; CUDA initialised in this process after resolving "
          f"them: {initialised}")
    rows = []
    base = None
    for k in (1, 2, 4):
        def run(cands=cands, k=k):
            return CandidateSearch(make_net(epochs, device="cuda:0"), space, cands, n_jobs=k,
                                   cv=cv, devices=["cuda:0"], trials_per_device=k).fit(X, y)

        CandidateSearch(make_net(1, device="cuda:0"), space, cands[:k], n_jobs=k, cv=cv,
                        devices=["cuda:0"], trials_per_device=k).fit(X, y)  # warm workers
        wall, search = timed(run)
        rate = n_trials / wall
        base = base or rate
        devices = sorted(set(search.cv_results_["device"]))
        rows.append((k, wall, rate, rate / base, devices, search.n_workers_))
    print(f"{n_trials} trials x 2 folds, {epochs} epochs, small MLPs on the digits")
    print(f"{'concurrent':>10}{'wall s':>9}{'trials/s':>10}{'speed-up':>10}  devices recorded")
    for k, wall, rate, speed, devices, workers in rows:
        print(f"{k:>10}{wall:>9.2f}{rate:>10.2f}{speed:>9.2f}x  {devices} ({workers} workers)")
    print(f"speed-up at 4 concurrent trials: {rows[-1][3]:.2f}x (goal >= 3)")
    print(f"CUDA initialised in this (parent) process after the searches: "
          f"{torch.cuda.is_initialized()}; device: {torch.cuda.get_device_name(0)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller, faster run")
    parser.add_argument("--gpu", action="store_true", help="also the one-GPU sharing table")
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU tables")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per row (min kept)")
    args = parser.parse_args(argv)
    if not args.no_cpu:
        cpu_tables(args.quick, args.repeats)
    if args.gpu:
        gpu_table(args.quick)


if __name__ == "__main__":
    main()
