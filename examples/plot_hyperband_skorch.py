"""
=====================================================
Hyperband on a skorch network: training that goes on
=====================================================

:class:`~sktune.HyperbandSearchCV` starts many configurations of a skorch net with a
few epochs each and gives more epochs only to the best ones. A promoted configuration
*continues* training its cross-validation fold models (same weights, same optimizer
state): a net promoted from 3 to 9 epochs trains 6 more epochs, not 9 from scratch, as
scikit-learn's ``HalvingRandomSearchCV`` would.
"""

# %%
# The data and the net
# --------------------
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from skorch.toy import MLPModule

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
y = y.astype(np.int64)
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=900, random_state=0)

torch.set_num_threads(1)  # a net this small trains fastest on one thread

net = NeuralNetClassifier(
    MLPModule, module__input_units=64, module__output_units=10, criterion=torch.nn.CrossEntropyLoss,
    optimizer=torch.optim.SGD, max_epochs=27, batch_size=64, train_split=None,
    iterator_train__shuffle=True, verbose=0,
)

# %%
# The search
# ----------
# The budget is the number of epochs (``resource="auto"`` picks it for a skorch net) from
# 1 to ``max_epochs=27``, growing threefold per rung. Hyperband runs four brackets that
# trade the number of configurations for their starting budget.
from sktune import Categorical, HyperbandSearchCV, Real

space = {
    "lr": Real(1e-3, 0.5, log=True),
    "optimizer__momentum": Real(0.0, 0.95),
    "module__hidden_units": Categorical([16, 32, 64, 128]),
    "module__dropout": Real(0.0, 0.5),
}
search = HyperbandSearchCV(net, space, min_resources=1, factor=3, cv=3, random_state=0)
search.fit(X_train, y_train)

print("resource:", search.resource_.describe())
for bracket in search.bracket_plan_:
    print(f"bracket {bracket['bracket']}: {bracket['n_candidates']} configurations "
          f"at {bracket['n_resources']} epochs")
print(f"best CV accuracy {search.best_score_:.3f} with {search.best_params_}")
print(f"test accuracy {search.score(X_test, y_test):.3f}")

# %%
# What continuing saves
# ---------------------
# ``resources_used_`` counts the epochs trained per fold over the whole search. Retraining
# every rung from scratch would have cost the sum of the rung budgets instead.
n_resources = search.cv_results_["n_resources"]
print(f"{search.n_trials_} configurations, {len(n_resources)} results")
print(f"epochs per fold, continuing: {search.resources_used_:.0f}; "
      f"retraining each rung: {n_resources.sum()}; "
      f"every configuration at 27 epochs: {27 * search.n_trials_}")

# %%
# The rungs
# ---------
# Each line is one configuration going up the rungs; colours are brackets.
import matplotlib.pyplot as plt

from sktune.plots import RungDisplay

disp = RungDisplay.from_search(search)
disp.ax_.set_title("Hyperband on a skorch MLP (digits)")
plt.show()
