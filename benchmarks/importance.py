"""Hyperparameter importance: sktune's forest fANOVA against Optuna's evaluators.

Two tables, over several seeds:

1. a synthetic objective of six hyperparameters of which two (``a`` and ``b``)
   matter: how often each method ranks those two on top, and their share of the
   total importance;
2. the same trials given to Optuna (``optuna.trial.create_trial``), and on a
   real task (SGDClassifier on the digits, 60 random trials): the Spearman rank
   correlation between sktune's importances and Optuna's fANOVA and PED-ANOVA
   evaluators on the same trials.

Usage::

    python benchmarks/importance.py            # 5 seeds (about a minute on 2 cores)
    python benchmarks/importance.py --seeds 10

Optuna is only needed here (``pip install sktune[bench]``); without it the Optuna
columns read ``n/a``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import SGDClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sktune import BayesSearchCV, Categorical, Integer, Real  # noqa: E402
from sktune.importance import hyperparameter_importance  # noqa: E402


class TwoOfSix(BaseEstimator, RegressorMixin):
    """R^2 falls with (a, b) away from (0.3, 0.7); c, d, e and kind do nothing."""

    def __init__(self, a=0.5, b=0.5, c=0.5, d=0.5, e=0.5, kind="x"):
        self.a, self.b, self.c, self.d, self.e, self.kind = a, b, c, d, e, kind

    def fit(self, X, y):
        self.mean_, self.scale_ = float(np.mean(y)), float(np.std(y))
        return self

    def predict(self, X):
        penalty = 3 * (self.a - 0.3) ** 2 + 1.5 * abs(self.b - 0.7)
        return np.full(len(X), self.mean_ + self.scale_ * penalty)


SYNTHETIC = {"a": Real(0, 1), "b": Real(0, 1), "c": Real(0, 1), "d": Real(0, 1),
             "e": Real(1e-3, 1, log=True), "kind": Categorical(["x", "y", "z"])}
DIGITS = {"sgdclassifier__alpha": Real(1e-6, 1e-1, log=True),
          "sgdclassifier__eta0": Real(1e-4, 1.0, log=True),
          "sgdclassifier__l1_ratio": Real(0, 1),
          "sgdclassifier__max_iter": Integer(5, 50),
          "sgdclassifier__learning_rate": Categorical(["constant", "optimal", "invscaling"]),
          "sgdclassifier__penalty": Categorical(["l2", "elasticnet"])}


def random_trials(estimator, space, X, y, n, seed):
    return BayesSearchCV(estimator, space, n_iter=n, n_initial_points=n, cv=3,
                         random_state=seed).fit(X, y)


def optuna_importances(search, space):
    """Optuna's fANOVA and PED-ANOVA importances of the search's own trials."""
    try:
        import optuna
        from optuna.importance import (
            FanovaImportanceEvaluator,
            PedAnovaImportanceEvaluator,
            get_param_importances,
        )
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {}
    for name, dim in space.items():
        if isinstance(dim, Categorical):
            dists[name] = optuna.distributions.CategoricalDistribution(list(dim.choices))
        elif isinstance(dim, Integer):
            dists[name] = optuna.distributions.IntDistribution(dim.low, dim.high)
        else:
            dists[name] = optuna.distributions.FloatDistribution(dim.low, dim.high, log=dim.log)
    study = optuna.create_study(direction="maximize")
    res = search.cv_results_
    for params, value in zip(res["params"], res["mean_test_score"]):
        if np.isfinite(value):
            study.add_trial(optuna.trial.create_trial(params=params, distributions=dists,
                                                      value=float(value)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PED-ANOVA is experimental
        return {
            "fanova": get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0)),
            "ped_anova": get_param_importances(study, evaluator=PedAnovaImportanceEvaluator()),
        }


def _top2(imp):
    return set(sorted(imp, key=lambda k: -imp[k])[:2])


def _rank_corr(a, b):
    names = sorted(a)
    return float(spearmanr([a[n] for n in names], [b.get(n, 0.0) for n in names])[0])


def _med(values):
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if not len(v):
        return "n/a"
    q1, q3 = np.percentile(v, [25, 75])
    return f"{np.median(v):.2f} [{q1:.2f}, {q3:.2f}]"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    hits = {"sktune": [], "optuna fANOVA": [], "optuna PED-ANOVA": []}
    share = {k: [] for k in hits}
    corr = {"synthetic": {"fanova": [], "ped_anova": []}, "digits": {"fanova": [], "ped_anova": []}}
    Xd, yd = load_digits(return_X_y=True)
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        X, y = rng.random((80, 2)), rng.random(80)
        search = random_trials(TwoOfSix(), SYNTHETIC, X, y, 60, seed)
        ours = hyperparameter_importance(search, random_state=seed).importances
        theirs = optuna_importances(search, SYNTHETIC) or {}
        for name, imp in [("sktune", ours), ("optuna fANOVA", theirs.get("fanova")),
                          ("optuna PED-ANOVA", theirs.get("ped_anova"))]:
            hits[name].append(None if imp is None else float(_top2(imp) == {"a", "b"}))
            share[name].append(None if imp is None else imp.get("a", 0) + imp.get("b", 0))
        for key in ("fanova", "ped_anova"):
            if key in theirs:
                corr["synthetic"][key].append(_rank_corr(ours, theirs[key]))
        pipe = make_pipeline(StandardScaler(), SGDClassifier(random_state=seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning of short max_iter
            real = random_trials(pipe, DIGITS, Xd[:800], yd[:800], 60, seed)
        ours = hyperparameter_importance(real, random_state=seed).importances
        theirs = optuna_importances(real, DIGITS) or {}
        for key in ("fanova", "ped_anova"):
            if key in theirs:
                corr["digits"][key].append(_rank_corr(ours, theirs[key]))
        print(f"seed {seed} done", file=sys.stderr)
    print(f"\nSynthetic objective, 6 hyperparameters, 2 matter; 60 random trials; "
          f"{args.seeds} seeds (median [IQR])")
    print(f"{'method':<18} {'both on top':>14} {'share of a+b':>20}")
    for name in hits:
        print(f"{name:<18} {_med(hits[name]):>14} {_med(share[name]):>20}")
    print("\nSpearman rank correlation of sktune's importances with Optuna's, same trials")
    print(f"{'task':<12} {'vs fANOVA':>20} {'vs PED-ANOVA':>20}")
    for task, by in corr.items():
        print(f"{task:<12} {_med(by['fanova']):>20} {_med(by['ped_anova']):>20}")


if __name__ == "__main__":
    main()
