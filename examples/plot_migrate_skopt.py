"""
==================================================
Migrating from scikit-optimize's ``BayesSearchCV``
==================================================

scikit-optimize's repository was archived (read-only) on 28 February 2024; its last
release, 0.10.2, still runs with scikit-learn 1.9.1, though one example of its own
documentation fails there, and it built on a private scikit-learn class.
:class:`sktune.BayesSearchCV` takes its code as it is: the constructor
(``search_spaces``, ``n_iter``, ``n_points``, ``optimizer_kwargs``, ``pre_dispatch``...),
``fit(X, y, callback=...)``, ``total_iterations``, ``optimizer_results_`` and the
search-space forms:

- ``(low, high)`` tuples of ints (integer dimension) or floats (real dimension);
- ``(low, high, "log-uniform")`` for a log scale;
- lists of choices (categorical dimension);
- ``skopt.space.Real``/``Integer``/``Categorical`` objects (sktune reads their bounds
  and ``prior``), or sktune's own :class:`~sktune.Real`, :class:`~sktune.Integer`,
  :class:`~sktune.Categorical` with the same ``prior=`` spelling;
- a list of ``(space, n_iter)`` pairs: that many trials in each sub-space.

The migration is the import line; what sktune has no equivalent of fails at once in
``fit`` with the sktune parameter to use. :ref:`migrating-skopt` lists every name.
"""

# %%
# Code written for scikit-optimize
# --------------------------------
# ``from skopt import BayesSearchCV`` becomes ``from sktune import BayesSearchCV``; the
# rest of the code is unchanged, ``optimizer_kwargs`` included.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from sktune import BayesSearchCV  # was: from skopt import BayesSearchCV

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=0.5, random_state=0)

opt = BayesSearchCV(
    SVC(),
    {
        "C": (1e-6, 1e6, "log-uniform"),
        "gamma": (1e-6, 1e1, "log-uniform"),
        "degree": (1, 8),  # integer valued parameter
        "kernel": ["linear", "poly", "rbf"],  # categorical parameter
    },
    n_iter=12,
    cv=3,
    random_state=0,
    optimizer_kwargs={"base_estimator": "GP", "acq_func": "EI", "n_initial_points": 5},
)
opt.fit(X_train, y_train)
print(f"val. score: {opt.best_score_}")
print(f"test score: {opt.score(X_test, y_test)}")
print("best params:", opt.best_params_)

# %%
# scikit-optimize's attributes
# ----------------------------
# ``optimizer_results_`` holds one ``scipy.optimize.OptimizeResult`` per sub-space, as
# scikit-optimize builds it. scikit-optimize minimises, so ``func_vals`` are the
# *negated* mean CV scores.
res = opt.optimizer_results_[0]
print("trials:", opt.total_iterations, len(res.x_iters))
print("x (sorted names):", res.x, " fun:", res.fun, " -best_score_:", -opt.best_score_)

# %%
# Callbacks and per-sub-space counts
# ----------------------------------
# ``fit(callback=...)`` takes scikit-optimize's callables (``DeltaYStopper``,
# ``DeadlineStopper``... or a function of the result, as here) and sktune's stoppers; a
# list of ``(space, n_iter)`` pairs runs that many trials in each sub-space.
import numpy as np

from sktune.callbacks import TimeBudget


def delta_y_stopper(result, delta=1e-3, n_best=5):
    """scikit-optimize's DeltaYStopper(1e-3): stop when the 5 best are within delta."""
    if len(result.func_vals) < n_best:
        return None
    vals = np.sort(result.func_vals)
    return vals[n_best - 1] - vals[0] < delta


two = BayesSearchCV(
    SVC(),
    [({"C": (1e-3, 1e3, "log-uniform"), "kernel": ["rbf"]}, 8),
     ({"C": (1e-3, 1e3, "log-uniform"), "kernel": ["linear"]}, 4)],
    cv=3, random_state=0,
)
print("total_iterations:", two.total_iterations)
two.fit(X_train, y_train, callback=[delta_y_stopper, TimeBudget(120)])
print("trials per sub-space:", [len(r.x_iters) for r in two.optimizer_results_],
      "stop_reason_:", two.stop_reason_)

# %%
# How sktune read the space, and the search
# -----------------------------------------
# :class:`~sktune.SearchSpace` shows the dimensions it built from those forms, and
# :class:`~sktune.plots.ConvergenceDisplay` the search.
from sktune import Real, SearchSpace
from sktune.plots import ConvergenceDisplay

print(SearchSpace(opt.search_spaces))
print(Real(1e-6, 1e6, prior="log-uniform") == Real(1e-6, 1e6, log=True))
ConvergenceDisplay.from_search(opt)

# %%
# What is different
# -----------------
# * Failed trials are recorded (``cv_results_["status"]``, ``["error"]``) and scored
#   ``error_score`` (default NaN, scikit-optimize's is ``"raise"``) instead of stopping
#   the search; the surrogate never proposes them again.
# * A list of plain dicts runs ``n_iter`` trials in all (scikit-optimize: in each);
#   ``(space, n_iter)`` pairs give scikit-optimize's counts.
# * ``n_points=None`` makes the search asynchronous: a new trial starts whenever a
#   worker frees up.
# * No private scikit-learn import, so new scikit-learn releases do not break it.
import pandas as pd

print(pd.DataFrame(opt.cv_results_)[["param_kernel", "mean_test_score", "status"]].head())
