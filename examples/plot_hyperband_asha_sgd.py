"""
==========================================================
Asynchronous successive halving with ``partial_fit``
==========================================================

With ``asynchronous=True``, :class:`~sktune.HyperbandSearchCV` runs ASHA: whenever a
worker is free it promotes a configuration that is in the top third of its rung so far,
or starts a new one. No worker waits for a rung to fill.

Here the budget is the number of ``partial_fit`` passes of an ``SGDClassifier`` inside a
Pipeline: the scaler is fitted once per fold, and each promotion makes more passes over
the same model.
"""

# %%
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktune import Categorical, HyperbandSearchCV, Real

X, y = make_classification(n_samples=6000, n_features=40, n_informative=15, n_classes=3,
                           flip_y=0.05, random_state=0)
pipe = make_pipeline(StandardScaler(), SGDClassifier(random_state=0))
space = {
    "sgdclassifier__loss": Categorical(["hinge", "log_loss", "modified_huber"]),
    "sgdclassifier__alpha": Real(1e-7, 1e-1, log=True),
    "sgdclassifier__learning_rate": Categorical(["optimal", "invscaling", "adaptive"]),
    "sgdclassifier__eta0": Real(1e-4, 1.0, log=True),
}
search = HyperbandSearchCV(
    pipe, space, resource="partial_fit", min_resources=1, max_resources=27,
    asynchronous=True, n_candidates=60, cv=3, n_jobs=2, random_state=0,
)
search.fit(X, y)
print("resource:", search.resource_.describe())
print(f"best CV accuracy {search.best_score_:.3f} at {search.max_resources_} passes")
print("results per budget:", dict(zip(search.n_resources_, search.n_candidates_)))
print(f"passes per fold: {search.resources_used_:.0f} "
      f"(every configuration to the end: {27 * search.n_trials_})")
print(f"workers busy {100 * search.busy_time_ / (search.n_workers_ * search.search_time_):.0f}% "
      "of the time")

# %%
# Scores along the budget
# -----------------------
import matplotlib.pyplot as plt

from sktune.plots import RungDisplay

disp = RungDisplay.from_search(search)
disp.ax_.set_title("ASHA, SGDClassifier partial_fit passes")
plt.show()

# %%
# ``cv_results_`` has one row per (configuration, rung), with the budget and bracket.
import pandas as pd

df = pd.DataFrame(search.cv_results_)
print(df[["trial_id", "rung", "n_resources", "mean_test_score"]]
      .sort_values("mean_test_score", ascending=False).head(8))
print(np.unique(df["status"]))
