"""
====================================================
Several GPUs: one trial per device with ``devices=``
====================================================

With ``devices=["cuda:0", "cuda:1"]`` (or ``devices="auto"`` for every visible CUDA
device) each job of the search (one trial on one CV fold) holds one device slot while it
runs and sets the estimator's ``device`` parameter (a skorch net's, or
``<step>__device`` inside a Pipeline; ``device_param=`` names another). The slot is
returned when the job ends, so each GPU trains one job at a time;
``trials_per_device=2`` lets two small jobs share a GPU.

On a machine with two GPUs the search below would read::

    search = BayesSearchCV(net, space, n_iter=20, cv=3,
                           devices=["cuda:0", "cuda:1"], n_jobs=2)

This page has to build on a CPU-only machine, so it runs the same code with two CPU
"devices": the mechanics (slots, the ``device`` parameter, the ``device`` column of
``cv_results_``) are identical.
"""

# %%
import numpy as np
import torch
from sklearn.datasets import load_digits
from skorch import NeuralNetClassifier
from torch import nn

from sktune import BayesSearchCV, Real

torch.set_num_threads(1)  # a net this small trains fastest on one thread

X, y = load_digits(return_X_y=True)
X = (X[:600] / 16.0).astype(np.float32)
y = y[:600].astype(np.int64)

module = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
net = NeuralNetClassifier(module, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.SGD,
                          max_epochs=8, train_split=None, verbose=0)

# Use every GPU when there is one, otherwise two CPU slots.
n_gpus = torch.cuda.device_count()
devices = [f"cuda:{i}" for i in range(n_gpus)] if n_gpus else ["cpu", "cpu"]
print("device slots:", devices)

# %%
# ``n_jobs`` is the number of jobs at once; with ``devices`` it is usually the number of
# slots. (``n_jobs=1`` keeps this page's build light: jobs then take the slots in turn.)
search = BayesSearchCV(
    net, {"lr": Real(1e-3, 0.5, log=True), "optimizer__momentum": Real(0.0, 0.95)},
    n_iter=6, n_initial_points=3, cv=2, random_state=0, devices=devices, n_jobs=1,
)
search.fit(X, y)
print("best CV accuracy:", round(search.best_score_, 4))

# %%
# The ``device`` column says where each trial's folds ran, and the refitted net sits on
# the first slot.
for trial, device, score in zip(search.cv_results_["trial_id"], search.cv_results_["device"],
                                search.cv_results_["mean_test_score"]):
    print(f"trial {trial}: device={device!r:12} score={score:.4f}")
print("best net on:", search.best_estimator_.device)

# %%
# Each fold's slot, drawn per trial: the jobs take the slots in turn.
import matplotlib.pyplot as plt

slots = sorted({d for ds in search.cv_results_["device"] for d in str(ds).split(",")})
fig, ax = plt.subplots(figsize=(6, 3))
for trial, ds, score in zip(search.cv_results_["trial_id"], search.cv_results_["device"],
                            search.cv_results_["mean_test_score"]):
    for fold, d in enumerate(str(ds).split(",")):
        ax.scatter(trial, slots.index(d) + 0.15 * fold, c=[[score, 0.3, 1 - score]], s=40)
ax.set_yticks(range(len(slots)), slots)
ax.set_xlabel("trial")
ax.set_title("where the folds ran (colour: mean CV accuracy)")
fig.tight_layout()

# %%
# ``devices=None`` (the default) leaves the estimator's ``device`` as it is.
