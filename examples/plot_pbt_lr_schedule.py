"""
=====================================================================
A learning-rate schedule found by population based training
=====================================================================

:class:`~sktune.PopulationSearchCV` trains a population of skorch nets side by
side. Every two epochs the worst quarter of the population *exploits* (continues
from a copy of a top member's fold models, weights and optimizer state) and
*explores* (multiplies the learning rate by 0.8 or 1.2, or draws a new one). Nothing
is retrained from scratch, so the result is not one learning rate but a *schedule*:
``best_schedule_`` follows the winning lineage back through the members it copied,
and ``refit=True`` replays it on all the data.
"""

# %%
# The data and the net
# --------------------
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from torch import nn

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
y = y.astype(np.int64)
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=900, random_state=0)

torch.set_num_threads(1)  # a net this small trains fastest on one thread


class MLP(nn.Module):
    def __init__(self, n_hidden=64):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(64, n_hidden), nn.ReLU(), nn.Linear(n_hidden, 10))

    def forward(self, X):
        return self.layers(X)


net = NeuralNetClassifier(
    MLP, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.SGD, max_epochs=12,
    batch_size=64, train_split=None, iterator_train__shuffle=True, verbose=0,
)

# %%
# The search
# ----------
# Only "hot" parameters may change while a net trains: ``lr`` (and ``optimizer__*``)
# are applied to the existing optimizer in place. ``module__n_hidden`` would rebuild
# the net, so it is drawn once per member and kept (a member that exploits takes it,
# with the weights, from the member it copies).
from sktune import Integer, PopulationSearchCV, Real

search = PopulationSearchCV(
    net, {"lr": Real(1e-3, 1.0, log=True), "module__n_hidden": Integer(16, 64, log=True)},
    population_size=6, max_resources=12, perturbation_interval=2, cv=2, random_state=0,
)
search.fit(X_train, y_train)
print("mutable:", search.mutable_params_)
print(f"best CV accuracy {search.best_score_:.3f}, test accuracy {search.score(X_test, y_test):.3f}")
print("copies:", [(e["member_id"], e["parent_id"], e["n_resources"]) for e in search.lineage_])

# %%
# Every member's learning rate over the epochs, and the winning schedule
# ----------------------------------------------------------------------
# ``cv_results_`` has a row per (member, step) with the learning rate in force during
# that step; ``parent_id`` marks the steps that started from a copy (dashed links).
# :class:`~sktune.plots.LineageDisplay` draws the members' scores and learning rates,
# with the lineage of ``best_schedule_`` in black.
from sktune.plots import LineageDisplay

disp = LineageDisplay.from_search(search, param="lr")
disp.axes_[-1].set_yscale("log")

# %%
# The refitted net trained with that schedule
# -------------------------------------------
# ``best_estimator_`` was trained on all of ``X_train`` by replaying ``best_schedule_``:
# the learning rate of its optimizer changed at the same epochs.
print([(s["start"], s["stop"], round(s["params"]["lr"], 4)) for s in search.best_schedule_])
print("final lr of the refitted net:", search.best_estimator_.optimizer_.param_groups[0]["lr"])
