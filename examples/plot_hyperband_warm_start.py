"""
==========================================================
Hyperband over trees grown with ``warm_start``
==========================================================

Gradient boosting grows its model one tree (or one boosting iteration) at a time.
With ``resource="max_iter"``, :class:`~sktune.HyperbandSearchCV` grows each fold's
``HistGradientBoostingClassifier`` in place with ``warm_start=True``: a configuration
promoted from 9 to 27 iterations trains 18 more, it is not refitted from scratch.
"""

# %%
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier

from sktune import HyperbandSearchCV, Integer, Real

X, y = load_breast_cancer(return_X_y=True)
space = {
    "learning_rate": Real(1e-3, 0.5, log=True),
    "max_leaf_nodes": Integer(4, 64, log=True),
    "l2_regularization": Real(1e-6, 10.0, log=True),
    "min_samples_leaf": Integer(2, 50, log=True),
}
search = HyperbandSearchCV(
    HistGradientBoostingClassifier(early_stopping=False, random_state=0), space,
    resource="max_iter", min_resources=3, max_resources=81, factor=3, cv=3, n_jobs=2,
    random_state=0,
)
search.fit(X, y)
print("resource:", search.resource_.describe())
print(f"best CV accuracy {search.best_score_:.4f} with {search.best_params_}")
print(f"boosting iterations per fold: {search.resources_used_:.0f} "
      f"(every configuration to 81: {81 * search.n_trials_})")
print("the refitted model has", search.best_estimator_.n_iter_, "iterations")

# %%
# Promotions along the budget
# ---------------------------
import matplotlib.pyplot as plt

from sktune.plots import RungDisplay

disp = RungDisplay.from_search(search)
disp.ax_.set_title("HistGradientBoosting grown with warm_start")
plt.show()
