"""
==============================================
Migrating from scikit-learn's ``GridSearchCV``
==============================================

:class:`~sktune.BayesSearchCV` takes the same estimator, ``cv``, ``scoring``,
``refit``, ``n_jobs`` and ``error_score`` as :class:`~sklearn.model_selection.GridSearchCV`
and gives back the same fitted attributes (``best_estimator_``, ``best_params_``,
``best_score_``, ``cv_results_``...). What changes is the space: instead of a grid of
values, give ranges, and a number of trials ``n_iter``.

Here both tune the ``C`` and ``gamma`` of an RBF support vector machine on the digits
data. The grid pays for all 25 combinations; the Bayesian search runs 10 trials.
"""

# %%
# The grid search
# ---------------
import time

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.svm import SVC

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

grid = {"C": np.logspace(-1, 3, 5), "gamma": np.logspace(-5, -1, 5)}
t0 = time.perf_counter()
gs = GridSearchCV(SVC(), grid, cv=3, n_jobs=2).fit(X_train, y_train)
gs_time = time.perf_counter() - t0
print(f"GridSearchCV:  {len(gs.cv_results_['params'])} trials, best CV accuracy "
      f"{gs.best_score_:.4f}, {gs_time:.1f} s")

# %%
# The same search with BayesSearchCV
# ----------------------------------
# Replace the grid with :class:`~sktune.Real` ranges (``log=True`` searches on a log
# scale, as ``np.logspace`` did), and say how many trials to run.
from sktune import BayesSearchCV, Real

space = {"C": Real(1e-1, 1e3, log=True), "gamma": Real(1e-5, 1e-1, log=True)}
t0 = time.perf_counter()
bs = BayesSearchCV(SVC(), space, n_iter=10, n_initial_points=5, cv=3, n_jobs=2,
                   random_state=0).fit(X_train, y_train)
bs_time = time.perf_counter() - t0
print(f"BayesSearchCV: {len(bs.cv_results_['params'])} trials, best CV accuracy "
      f"{bs.best_score_:.4f}, {bs_time:.1f} s")
print("test accuracy: grid", round(gs.score(X_test, y_test), 4),
      "| bayes", round(bs.score(X_test, y_test), 4))

# %%
# Everything downstream stays the same
# ------------------------------------
# ``cv_results_`` has scikit-learn's keys (plus ``trial_id``, ``status``, ``error``,
# ``device`` and ``iter``), so the code that reads it keeps working.
columns = ["param_C", "param_gamma", "mean_test_score", "rank_test_score", "status"]
print(pd.DataFrame(bs.cv_results_)[columns].sort_values("rank_test_score").head())

# %%
# The convergence plot shows each trial's score in the order the search ran them,
# and the best so far; the grid's best is the dashed line.
import matplotlib.pyplot as plt

from sktune.plots import ConvergenceDisplay

disp = ConvergenceDisplay.from_search(bs)
disp.ax_.axhline(gs.best_score_, ls="--", color="0.4", label="GridSearchCV best (25 trials)")
disp.ax_.legend(loc="lower right")
plt.show()
