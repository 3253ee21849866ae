"""
==========================================
A Pipeline with a conditional search space
==========================================

Some hyperparameters only exist for some choices: ``gamma`` for an RBF SVM but not for
logistic regression, ``n_components`` only when PCA is in the pipeline. As with
``GridSearchCV``'s list of grids, give a **list of spaces**: each one is a sub-space
with its own parameters, and whole estimators can be the choices of a
:class:`~sktune.Categorical`. The search samples and models each sub-space; the
``param_*`` columns of ``cv_results_`` are masked where a parameter does not apply.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sktune import BayesSearchCV, Categorical, Integer, Real

X, y = load_digits(return_X_y=True)
X, y = X[:900], y[:900]

pipe = Pipeline([("scale", StandardScaler()), ("reduce", PCA()), ("clf", SVC())])
space = [
    {  # PCA then an RBF SVM
        "reduce__n_components": Integer(5, 40),
        "clf": Categorical([SVC()]),
        "clf__C": Real(1e-2, 1e2, log=True),
        "clf__gamma": Real(1e-4, 1e-1, log=True),
    },
    {  # no PCA, logistic regression
        "reduce": Categorical(["passthrough"]),
        "clf": Categorical([LogisticRegression(max_iter=500)]),
        "clf__C": Real(1e-3, 1e1, log=True),
    },
]
search = BayesSearchCV(pipe, space, n_iter=14, n_initial_points=6, cv=3, n_jobs=2,
                       random_state=0).fit(X, y)
print("best CV accuracy:", round(search.best_score_, 4))
print("best:", {k: (type(v).__name__ if hasattr(v, "fit") else v)
                for k, v in search.best_params_.items()})

# %%
# ``cv_results_``: the ``param_clf__gamma`` and ``param_reduce__n_components`` columns
# are masked (shown as NaN by pandas) for the logistic-regression trials.
df = pd.DataFrame(search.cv_results_)
df["model"] = [type(p["clf"]).__name__ for p in search.cv_results_["params"]]
print(df[["model", "param_clf__C", "param_clf__gamma", "param_reduce__n_components",
          "mean_test_score"]].round(4).to_string())

# %%
# In the parallel-coordinates view a line stops where its trial has no value.
from sktune.plots import ParallelCoordinatesDisplay

ParallelCoordinatesDisplay.from_search(search)
plt.show()
