"""``python -m sktune demo``: the three searches on two tasks, a leaderboard and plots.

The demo tunes, on scikit-learn's digits data (8x8 images of hand-written digits):

- a scikit-learn pipeline (``StandardScaler`` + ``SGDClassifier``), whose budget is
  the number of ``partial_fit`` passes (epochs of SGD);
- a skorch multi-layer perceptron (skipped with a message when torch or skorch is
  missing), whose budget is the number of training epochs;

each with :class:`~sktune.BayesSearchCV`, :class:`~sktune.HyperbandSearchCV` and
:class:`~sktune.PopulationSearchCV` (a search whose class is not available is skipped
with a message). Every search shows a progress bar. The demo prints a leaderboard
(best CV score, score on a held-out test set, results, epochs trained, wall time)
and writes the plots of :mod:`sktune.plots` as PNG files to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

__all__ = ["run_demo", "main"]


# -- the skorch module ----------------------------------------------------------------------
try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - torch missing: the net is skipped
    torch = None

if torch is not None:

    class DigitsMLP(nn.Module):
        """A one-hidden-layer perceptron for the 64 pixels of the digits images.

        Parameters
        ----------
        n_hidden : int, default=64
            Units of the hidden layer.
        dropout : float, default=0.1
            Dropout probability after the hidden layer.
        """

        def __init__(self, n_hidden=64, dropout=0.1):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(64, n_hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(n_hidden, 10)
            )

        def forward(self, X):
            """Class logits of a batch of images."""
            return self.net(X.to(torch.float32))

else:  # pragma: no cover
    DigitsMLP = None


# -- the searches ---------------------------------------------------------------------------
def _classes():
    """The search classes, by short name."""
    from .search import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV

    return {"bayes": BayesSearchCV, "hyperband": HyperbandSearchCV, "pbt": PopulationSearchCV}


def _pipeline_task(cfg, seed):
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from .space import Categorical, Real

    epochs = cfg["epochs"]
    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("sgd", SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.01,
                              max_iter=epochs, tol=None, random_state=seed)),
    ])
    space = {
        "sgd__alpha": Real(1e-6, 1e-1, log=True),
        "sgd__eta0": Real(1e-4, 1.0, log=True),
        "sgd__penalty": Categorical(["l2", "l1"]),
    }
    pbt_space = {"sgd__alpha": space["sgd__alpha"], "sgd__eta0": space["sgd__eta0"]}
    return {"name": "pipeline", "title": "StandardScaler + SGDClassifier",
            "estimator": pipe, "space": space, "pbt_space": pbt_space, "epochs": epochs,
            "unit": "passes", "schedule": "sgd__eta0"}


def _net_task(cfg, seed):
    from skorch import NeuralNetClassifier

    from .space import Integer, Real

    epochs = cfg["net_epochs"]
    net = NeuralNetClassifier(
        DigitsMLP, criterion=torch.nn.CrossEntropyLoss, max_epochs=epochs, lr=0.05, batch_size=64,
        optimizer=torch.optim.SGD, optimizer__momentum=0.9, module__n_hidden=64,
        module__dropout=0.1, train_split=None, iterator_train__shuffle=True, verbose=0,
        device="cpu",
    )
    space = {
        "lr": Real(1e-3, 0.5, log=True),
        "optimizer__momentum": Real(0.5, 0.99),
        "module__n_hidden": Integer(16, 128, log=True),
        "module__dropout": Real(0.0, 0.5),
    }
    pbt_space = {"lr": space["lr"], "optimizer__momentum": space["optimizer__momentum"]}
    return {"name": "net", "title": "skorch MLP", "estimator": net, "space": space,
            "pbt_space": pbt_space, "epochs": epochs, "unit": "epochs", "schedule": "lr"}


def _net_unavailable():
    """Why the skorch net cannot run here (a message), or None when it can."""
    try:
        import skorch  # noqa: F401
        import torch as _torch  # noqa: F401
    except ImportError:
        return ("torch or skorch is not installed: the skorch net is skipped "
                "(pip install sktune[torch]).")
    if DigitsMLP is None:
        return "torch could not be imported: the skorch net is skipped."
    return None


def _make_search(short, cls, task, cfg, seed, n_jobs):
    common = dict(cv=cfg["cv"], n_jobs=n_jobs, random_state=seed, verbose=1)
    epochs = task["epochs"]
    if short == "bayes":
        return cls(task["estimator"], task["space"], n_iter=cfg["bayes_iter"],
                   n_initial_points=cfg["bayes_init"], **common)
    if short == "hyperband":
        return cls(task["estimator"], task["space"], max_resources=epochs,
                   min_resources=1,
                   factor=cfg["hb_factor"], **_accepted(cls, {"n_brackets": cfg["hb_brackets"]}),
                   **common)
    if short == "pbt":
        return cls(task["estimator"], task["pbt_space"], population_size=cfg["population"],
                   max_resources=epochs, perturbation_interval=max(1, epochs // cfg["pbt_steps"]),
                   **common)
    raise ValueError(short)


def _accepted(cls, kwargs):
    import inspect

    params = inspect.signature(cls.__init__).parameters
    return {k: v for k, v in kwargs.items() if k in params}


_LABELS = {"bayes": "BayesSearchCV", "hyperband": "HyperbandSearchCV",
           "pbt": "PopulationSearchCV"}


def _epochs_trained(search, default_epochs):
    """Training units per fold summed over all results (what the search paid for)."""
    total = 0.0
    continues = bool(getattr(getattr(search, "resource_", None), "continues", False))
    for row in search.history_:
        start, stop = row.get("start") or 0, row.get("stop")
        stop = default_epochs if stop is None else stop
        total += stop - (start if continues else 0)
    return total


def _configs(search):
    results = search.cv_results_
    if "member_id" in results:
        return len(set(np.asarray(results["member_id"]).tolist()))
    return len(set(np.asarray(results["trial_id"]).tolist()))


# -- the main job ---------------------------------------------------------------------------
_FULL = dict(n_samples=None, cv=3, epochs=27, net_epochs=27, bayes_iter=12, bayes_init=5,
             hb_factor=3, hb_brackets=3, population=8, pbt_steps=9)
_QUICK = dict(n_samples=400, cv=2, epochs=9, net_epochs=9, bayes_iter=4, bayes_init=3,
              hb_factor=3, hb_brackets=2, population=4, pbt_steps=3)


def run_demo(out="sktune-demo", *, quick=False, net=True, n_jobs=2, random_state=0,
             stream=None):
    """Tune two tasks with every search class, print a leaderboard and save plots.

    Parameters
    ----------
    out : str or path-like, default="sktune-demo"
        Directory for the PNG files (created if needed).
    quick : bool, default=False
        A much smaller run (fewer samples, trials and epochs) for tests.
    net : bool, default=True
        Also tune the skorch net (skipped with a message if torch or skorch is
        missing).
    n_jobs : int, default=2
        Jobs run at once by each search.
    random_state : int, default=0
        Seed of the data split and of every search.
    stream : file-like, default=None
        Where to print (``sys.stdout`` by default).

    Returns
    -------
    leaderboard : list of dict
        One row per (task, method): ``task``, ``method``, ``best_cv_score``,
        ``test_score``, ``results``, ``configs``, ``epochs``, ``wall_time``.

    Examples
    --------
    >>> from sktune.demo import run_demo
    >>> rows = run_demo("demo-out", quick=True, net=False)  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    stream = sys.stdout if stream is None else stream

    def say(*args):
        print(*args, file=stream, flush=True)

    cfg = dict(_QUICK if quick else _FULL)
    os.makedirs(out, exist_ok=True)
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state)
    if cfg["n_samples"]:
        X_train, y_train = X_train[: cfg["n_samples"]], y_train[: cfg["n_samples"]]
    say(f"sktune demo: digits, {len(X_train)} training and {len(X_test)} test images, "
        f"{cfg['cv']}-fold CV, n_jobs={n_jobs}{' (quick)' if quick else ''}")

    classes = _classes()
    missing = [label for short, label in _LABELS.items() if short not in classes]
    if missing:
        say(f"  not available in this version, skipped: {', '.join(missing)}")

    tasks = [_pipeline_task(cfg, random_state)]
    if net:
        missing_net = _net_unavailable()
        if missing_net:
            say(f"  {missing_net}")
        else:
            tasks.append(_net_task(cfg, random_state))

    board, written = [], []
    threads = torch.get_num_threads() if torch is not None else None
    if threads is not None:
        torch.set_num_threads(1)  # these nets are tiny: one thread each is fastest
    try:
        for task in tasks:
            _run_task(task, classes, cfg, random_state, n_jobs, X_train, y_train, X_test,
                      y_test, board, written, out, say)
    finally:
        if threads is not None:
            torch.set_num_threads(threads)
    say("")
    say(format_leaderboard(board))
    say("\n'epochs' counts training passes per CV fold over all results (rungs and PBT steps"
        " continue training, so a promoted trial pays only for its extra epochs).")
    say(f"\nPlots written to {os.path.abspath(out)}:")
    for path in written:
        say(f"  {os.path.basename(path)}")
    return board


def _run_task(task, classes, cfg, random_state, n_jobs, X_train, y_train, X_test, y_test,
              board, written, out, say):
    """Fit every search on one task, add its leaderboard rows and save its plots."""
    say(f"\n== {task['title']} ({task['name']}): budget {task['epochs']} {task['unit']} ==")
    searches = {}
    for short, cls in classes.items():
        search = _make_search(short, cls, task, cfg, random_state, n_jobs)
        t0 = time.perf_counter()
        search.fit(X_train, y_train)
        wall = time.perf_counter() - t0
        searches[short] = search
        board.append({
            "task": task["name"], "method": _LABELS[short],
            "best_cv_score": float(search.best_score_),
            "test_score": float(search.score(X_test, y_test)),
            "results": len(search.cv_results_["params"]), "configs": _configs(search),
            "epochs": _epochs_trained(search, task["epochs"]), "wall_time": wall,
        })
    written += _save_plots(task, searches, out)


def format_leaderboard(rows):
    """The leaderboard as a text table.

    Parameters
    ----------
    rows : list of dict
        Rows as returned by :func:`run_demo`.

    Returns
    -------
    table : str
    """
    header = ("task", "method", "best CV", "test", "results", "configs", "epochs", "wall (s)")
    lines = [header]
    best = {}
    for r in rows:
        best[r["task"]] = max(best.get(r["task"], -np.inf), r["best_cv_score"])
    for r in rows:
        mark = " *" if r["best_cv_score"] >= best[r["task"]] else ""
        lines.append((r["task"], r["method"], f"{r['best_cv_score']:.4f}{mark}",
                      f"{r['test_score']:.4f}", str(r["results"]), str(r["configs"]),
                      f"{r['epochs']:g}", f"{r['wall_time']:.1f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = []
    for k, line in enumerate(lines):
        text.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                              for i, (c, w) in enumerate(zip(line, widths))))
        if k == 0:
            text.append("  ".join("-" * w for w in widths))
    return "\n".join(text)


def _save_plots(task, searches, out):
    import matplotlib.pyplot as plt

    from .plots import ConvergenceDisplay as Convergence
    from .plots import LineageDisplay as Lineage
    from .plots import ParallelCoordinatesDisplay as Parallel
    from .plots import RungDisplay as Rung

    written = []

    def save(fig, name):
        path = os.path.join(out, f"{task['name']}_{name}.png")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(path)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for short, search in searches.items():
        Convergence.from_search(search, x="fit_time", name=_LABELS[short], ax=ax)
    ax.set_title(f"{task['title']}: best CV score against training time spent")
    save(fig, "convergence")
    if "bayes" in searches:
        disp = Parallel.from_search(searches["bayes"])
        disp.ax_.set_title(f"{task['title']}, BayesSearchCV: {disp.ax_.get_title()}")
        save(disp.figure_, "bayes_parallel_coordinates")
    if "hyperband" in searches:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        disp = Rung.from_search(searches["hyperband"], ax=ax)
        ax.set_title(f"{task['title']}, HyperbandSearchCV: a line per trial")
        save(fig, "hyperband_rungs")
    if "pbt" in searches:
        disp = Lineage.from_search(searches["pbt"], param=task["schedule"])
        disp.ax_.set_title(f"{task['title']}, PopulationSearchCV: {disp.ax_.get_title()}")
        save(disp.figure_, "pbt_lineage")
    return written


def main(argv=None):
    """Command line of ``python -m sktune demo``.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after ``demo`` (``sys.argv`` by default).

    Returns
    -------
    status : int
        The exit status.

    Examples
    --------
    >>> from sktune.demo import main
    >>> main(["--quick", "--out", "sktune-demo"])  # doctest: +SKIP
    0
    """
    parser = argparse.ArgumentParser(
        prog="python -m sktune demo",
        description="Tune a scikit-learn pipeline and a skorch net on the digits data with "
                    "BayesSearchCV, HyperbandSearchCV and PopulationSearchCV; print a "
                    "leaderboard and save plots.",
    )
    parser.add_argument("--out", default="sktune-demo",
                        help="directory for the PNG plots (default: ./sktune-demo)")
    parser.add_argument("--quick", action="store_true",
                        help="a much smaller run, for tests (well under a minute)")
    parser.add_argument("--no-net", action="store_true", help="skip the skorch net")
    parser.add_argument("--n-jobs", type=int, default=2, help="jobs at once (default: 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    run_demo(args.out, quick=args.quick, net=not args.no_net, n_jobs=args.n_jobs,
             random_state=args.seed)
    print(f"\nDemo finished in {time.perf_counter() - t0:.1f} s.")
    return 0
