"""
==============================================
Tuning a skorch network with ``BayesSearchCV``
==============================================

A `skorch <https://skorch.readthedocs.io>`_ net is a scikit-learn estimator, so
:class:`~sktune.BayesSearchCV` tunes it like any other: the learning rate, the
optimizer's momentum and, through ``module__*``, the architecture. Each trial trains the
net on every CV fold; the Gaussian-process surrogate picks the next configuration from
the scores so far.

With ``devices=`` the trials run on GPUs (see :ref:`sphx_glr_auto_examples_plot_multi_gpu_devices.py`);
here everything runs on the CPU.
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
    def __init__(self, n_hidden=64, dropout=0.1):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(64, n_hidden), nn.ReLU(), nn.Dropout(dropout),
                                    nn.Linear(n_hidden, 10))

    def forward(self, X):
        return self.layers(X)


net = NeuralNetClassifier(
    MLP, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.SGD, max_epochs=10,
    batch_size=64, train_split=None, iterator_train__shuffle=True, verbose=0,
)

# %%
# The search
# ----------
# ``module__n_hidden`` and ``module__dropout`` go to ``MLP(...)``; ``optimizer__momentum``
# to ``torch.optim.SGD``. An :class:`~sktune.Integer` on a log scale spreads the layer
# sizes evenly over 16..256. (``n_jobs=1`` here because the module class is defined in
# this script; define it in an importable module to train trials in parallel.)
from sktune import BayesSearchCV, Integer, Real

space = {
    "lr": Real(1e-3, 0.5, log=True),
    "optimizer__momentum": Real(0.0, 0.95),
    "module__n_hidden": Integer(16, 256, log=True),
    "module__dropout": Real(0.0, 0.5),
}
search = BayesSearchCV(net, space, n_iter=8, n_initial_points=4, cv=2, random_state=0,
                       n_jobs=1)
search.fit(X_train, y_train)
print("best CV accuracy:", round(search.best_score_, 4))
print("best parameters:", search.best_params_)
print("test accuracy:", round(search.score(X_test, y_test), 4))

# %%
# The refitted best net is a skorch net: its training history is there.
print(search.best_estimator_.history[-1, "train_loss"])

# %%
# Which hyperparameters mattered
# ------------------------------
# A parallel-coordinates view: one line per trial across the hyperparameters (scaled as
# the search space scales them), coloured by the CV score.
import matplotlib.pyplot as plt

from sktune.plots import ParallelCoordinatesDisplay

ParallelCoordinatesDisplay.from_search(search)
plt.show()
