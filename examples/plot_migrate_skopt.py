"""
==================================================
Migrating from scikit-optimize's ``BayesSearchCV``
==================================================

scikit-optimize is no longer maintained and breaks with recent scikit-learn releases.
:class:`sktune.BayesSearchCV` keeps its constructor (``search_spaces``, ``n_iter``,
``n_points``, ``cv``, ``scoring``, ``refit``, ``n_jobs``, ``random_state``...) and
reads its search-space forms exactly as scikit-optimize reads them:

- ``(low, high)`` tuples of ints (integer dimension) or floats (real dimension);
- ``(low, high, "log-uniform")`` for a log scale;
- lists of choices (categorical dimension);
- ``skopt.space.Real``/``Integer``/``Categorical`` objects (sktune reads their bounds
  and ``prior``), or sktune's own :class:`~sktune.Real`, :class:`~sktune.Integer`,
  :class:`~sktune.Categorical` with the same ``prior=`` spelling;
- a list of ``(space, n_iter)`` pairs for conditional sub-spaces.

The migration is the import line.
"""

# %%
# Code written for scikit-optimize
# --------------------------------
# ``from skopt import BayesSearchCV`` becomes ``from sktune import BayesSearchCV``; the
# rest of the code is unchanged.
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
)
opt.fit(X_train, y_train)
print(f"val. score: {opt.best_score_}")
print(f"test score: {opt.score(X_test, y_test)}")
print("best params:", opt.best_params_)

# %%
# How sktune read the space
# -------------------------
# :class:`~sktune.SearchSpace` shows the dimensions it built from those forms.
from sktune import Real, SearchSpace

print(SearchSpace(opt.search_spaces))
print(Real(1e-6, 1e6, prior="log-uniform") == Real(1e-6, 1e6, log=True))

# %%
# What is different
# -----------------
# * Failed trials are recorded (``cv_results_["status"]``, ``["error"]``) and scored
#   ``error_score`` instead of stopping the search; the surrogate never proposes them
#   again.
# * ``n_points=None`` makes the search asynchronous: a new trial starts whenever a
#   worker frees up.
# * No private scikit-learn import, so new scikit-learn releases do not break it.
# * ``callbacks`` take a :class:`~sktune.callbacks.SearchState` (``TimeBudget``,
#   ``NoImprovement``, ``ScoreThreshold`` are built in) rather than scikit-optimize's
#   ``OptimizeResult``.
import pandas as pd

print(pd.DataFrame(opt.cv_results_)[["param_kernel", "mean_test_score", "status"]].head())
