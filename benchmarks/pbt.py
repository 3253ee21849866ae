"""Population based training vs random search vs Hyperband at equal training budget.

Task: a small MLP (skorch) trained with plain SGD on scikit-learn's digits,
where the learning-rate *schedule* matters (a high rate early is fast, a low
one late is precise). Every search tunes ``lr`` on a log scale over
``[1e-3, 1]`` with 3-fold CV, ``max_epochs`` per configuration, and about the
same number of training epochs per fold in all:

- ``PopulationSearchCV``: ``population`` members x ``max_epochs`` epochs,
  exploit/explore every ``interval`` epochs (the result is a schedule);
- ``RandomizedSearchCV`` (scikit-learn): ``population`` configurations x
  ``max_epochs`` epochs, each from scratch at a fixed rate;
- ``HyperbandSearchCV`` (sktune, when available): ``max_resources=max_epochs``,
  factor 3, with as many brackets as fit the same budget;
- a fixed-rate baseline (``lr=0.1``, ``max_epochs`` epochs; one configuration).

Reported per seed: best mean CV accuracy (what each search selects on), the
test accuracy of the refitted estimator on a held-out quarter, the epochs
trained per fold (measured from the searches' records) and wall time. Medians
over the seeds at the bottom. PBT's best CV score comes after ten rounds of
selection on the same folds, so it is more optimistic than the others'
best-of-n; the held-out column is the unbiased comparison.

Run ``python benchmarks/pbt.py`` (default: 5 seeds; 13.5 min wall measured on a
busy 2-core machine, about 3.5 min of CPU) or ``--quick`` (2 seeds, smaller
budget, about 1.5 min).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

SPACE_LOW, SPACE_HIGH = 1e-3, 1.0


def make_data(seed):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)


def _mlp_class():
    import torch

    class MLP(torch.nn.Module):
        """64 -> 64 -> 64 -> 10 with ReLU; logits (cross-entropy loss)."""

        def __init__(self, num_units=64):
            super().__init__()
            self.seq = torch.nn.Sequential(
                torch.nn.Linear(64, num_units), torch.nn.ReLU(),
                torch.nn.Linear(num_units, num_units), torch.nn.ReLU(),
                torch.nn.Linear(num_units, 10),
            )

        def forward(self, X):
            return self.seq(X)

    MLP.__qualname__ = "MLP"  # picklable as a module-level name (skorch deep-copies by pickling)
    return MLP


MLP = _mlp_class()


def make_net(max_epochs, lr=0.1, seed=0):
    import torch
    from skorch import NeuralNetClassifier

    torch.manual_seed(seed)
    return NeuralNetClassifier(
        MLP, criterion=torch.nn.CrossEntropyLoss, max_epochs=max_epochs, lr=lr,
        optimizer=torch.optim.SGD, batch_size=64, train_split=None,
        iterator_train__shuffle=True, verbose=0,
    )


def epochs_per_fold(search):
    """Epochs actually trained per fold, from the search's records."""
    return float(sum((r["stop"] or 0) - (r["start"] or 0) for r in search.history_))


def run_pbt(data, seed, a):
    from sktune import PopulationSearchCV, Real

    X_tr, X_te, y_tr, y_te = data
    search = PopulationSearchCV(
        make_net(a.max_epochs, seed=seed), {"lr": Real(SPACE_LOW, SPACE_HIGH, log=True)},
        population_size=a.population, max_resources=a.max_epochs,
        perturbation_interval=a.interval, cv=3, n_jobs=a.n_jobs, random_state=seed,
    ).fit(X_tr, y_tr)
    return search.best_score_, search.score(X_te, y_te), epochs_per_fold(search), search


def run_random(data, seed, a):
    from scipy.stats import loguniform
    from sklearn.model_selection import RandomizedSearchCV

    X_tr, X_te, y_tr, y_te = data
    search = RandomizedSearchCV(
        make_net(a.max_epochs, seed=seed), {"lr": loguniform(SPACE_LOW, SPACE_HIGH)},
        n_iter=a.population, cv=3, n_jobs=a.n_jobs, random_state=seed,
    ).fit(X_tr, y_tr)
    return (search.best_score_, search.score(X_te, y_te),
            float(a.population * a.max_epochs), search)


def run_hyperband(data, seed, a):
    try:
        from sktune import HyperbandSearchCV
    except ImportError:
        return None
    from sktune import Real

    X_tr, X_te, y_tr, y_te = data
    search = HyperbandSearchCV(
        make_net(a.max_epochs, seed=seed), {"lr": Real(SPACE_LOW, SPACE_HIGH, log=True)},
        min_resources=_min_resources(a), max_resources=a.max_epochs, factor=3,
        n_brackets=_hyperband_brackets(a), cv=3, n_jobs=a.n_jobs, random_state=seed,
    ).fit(X_tr, y_tr)
    return search.best_score_, search.score(X_te, y_te), epochs_per_fold(search), search


def _min_resources(a):
    return max(1, a.max_epochs // 9)


def _hyperband_brackets(a):
    """Most brackets (cycling through the table) whose epochs fit the PBT budget (+10%)."""
    try:
        from sktune.schedulers import hyperband_plan

        plan = hyperband_plan(_min_resources(a), a.max_epochs, 3)
        costs = []
        for bracket in plan:  # continuing across rungs: each survivor trains the increments
            prev, cost = 0, 0
            for n, r in zip(bracket["n_candidates"], bracket["n_resources"]):
                cost, prev = cost + n * (r - prev), r
            costs.append(cost)
    except Exception:  # the plan's form changed: run the whole table
        return None
    budget, total, n = 1.1 * a.population * a.max_epochs, 0, 0
    while total + costs[n % len(costs)] <= budget or n == 0:
        total += costs[n % len(costs)]
        n += 1
    return n


def run_fixed(data, seed, a):
    from sklearn.model_selection import cross_val_score

    X_tr, X_te, y_tr, y_te = data
    cv = cross_val_score(make_net(a.max_epochs, lr=0.1, seed=seed), X_tr, y_tr, cv=3).mean()
    net = make_net(a.max_epochs, lr=0.1, seed=seed).fit(X_tr, y_tr)
    return cv, net.score(X_te, y_te), float(a.max_epochs), None


METHODS = [
    ("PopulationSearchCV", run_pbt),
    ("RandomizedSearchCV", run_random),
    ("HyperbandSearchCV", run_hyperband),
    ("fixed lr=0.1", run_fixed),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, smaller budget")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (5; 2 with --quick)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--population", type=int, default=None)
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--interval", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: tiny nets train fastest on one thread)")
    a = parser.parse_args(argv)
    quick = a.quick
    a.seeds = a.seeds or (2 if quick else 5)
    a.population = a.population or (6 if quick else 8)
    a.max_epochs = a.max_epochs or (12 if quick else 20)
    a.interval = a.interval or (3 if quick else 2)

    import torch

    torch.set_num_threads(a.threads)
    print(f"digits, 3-fold CV, MLP+SGD, lr in [{SPACE_LOW}, {SPACE_HIGH}] (log); "
          f"population/n_iter={a.population}, max_epochs={a.max_epochs}, "
          f"PBT interval={a.interval}, seeds={a.seeds}, n_jobs={a.n_jobs}")
    results = {name: [] for name, _ in METHODS}
    header = (f"{'seed':>4} {'method':<20} {'best CV acc':>11} {'test acc':>9} "
              f"{'epochs/fold':>11} {'time s':>7}")
    print(header)
    print("-" * len(header))
    schedules = []
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        data = make_data(seed)
        for name, fn in METHODS:
            t0 = time.perf_counter()
            out = fn(data, seed, a)
            if out is None:
                print(f"{seed:>4} {name:<20} {'(not available: skipped)':>40}")
                continue
            cv, test, epochs, search = out
            elapsed = time.perf_counter() - t0
            results[name].append((cv, test, epochs, elapsed))
            print(f"{seed:>4} {name:<20} {cv:>11.4f} {test:>9.4f} {epochs:>11.0f} {elapsed:>7.1f}",
                  flush=True)
            if name == "PopulationSearchCV":
                schedules.append([round(s["params"]["lr"], 3) for s in search.best_schedule_])
    print()
    print("medians over seeds")
    print(f"{'method':<20} {'best CV acc':>11} {'test acc':>9} {'epochs/fold':>11} {'time s':>7}  n")
    for name, rows in results.items():
        if not rows:
            print(f"{name:<20} {'skipped':>11}")
            continue
        med = np.median(np.array(rows), axis=0)
        print(f"{name:<20} {med[0]:>11.4f} {med[1]:>9.4f} {med[2]:>11.0f} {med[3]:>7.1f}  {len(rows)}")
    print()
    print("PBT best schedules (lr per step of", a.interval, "epochs):")
    for seed, sched in enumerate(schedules, start=a.first_seed):
        print(f"  seed {seed}: {sched}")


if __name__ == "__main__":
    main()
