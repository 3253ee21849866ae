"""A skorch net trained in steps (Hyperband's rungs, PBT's intervals) is the net trained
once: same weights, same history, with and without LRScheduler and EarlyStopping.

Steps run as separate jobs, each fold model crossing a process boundary as bytes, so
these tests go through ``run_job``, the function every worker runs.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import check_scoring

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")
from skorch.callbacks import EarlyStopping, LRScheduler  # noqa: E402

from sktune._evaluate import Data, Job, run_job  # noqa: E402
from sktune.resources import Epochs  # noqa: E402


def digits():
    X, y = load_digits(return_X_y=True)
    return X[:240].astype(np.float32) / 16.0, y[:240].astype(np.int64)


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 24), torch.nn.ReLU(),
                                       torch.nn.Dropout(0.2), torch.nn.Linear(24, 10))

    def forward(self, X):
        return self.net(X)


def make_net(callbacks=None, max_epochs=9):
    return skorch.NeuralNetClassifier(
        MLP, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=0.2,
        max_epochs=max_epochs, batch_size=32, train_split=None, iterator_train__shuffle=True,
        callbacks=callbacks, verbose=0)


CALLBACKS = {
    "none": lambda: None,
    "step_lr": lambda: [("sched", LRScheduler(policy=torch.optim.lr_scheduler.StepLR,
                                              step_size=2, gamma=0.5))],
    "cosine_lr": lambda: [("sched", LRScheduler(policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                                                T_max=9))],
    # patience long enough to carry over a step boundary, threshold strict enough to stop
    "early_stopping": lambda: [("stop", EarlyStopping(monitor="train_loss", patience=3,
                                                      threshold=0.15))],
}


def train_in_steps(net, X, y, budgets, seed=7):
    data = Data(estimator=net, X=X, y=y, splits=[(np.arange(200), np.arange(200, 240))],
                fit_params={}, scorers={"score": check_scoring(net)}, return_train_score=False,
                resource=Epochs(), device_param=None)
    model, start = None, 0
    for stop in budgets:
        res = run_job(Job(trial_id=0, fold=0, params={}, start=start, stop=stop, seed=seed,
                          model=model, return_model=True), data)
        assert res.error is None, res.traceback
        model, start = res.model, stop
    return model.unpack()


def weights(net):
    return [p.detach().numpy().copy() for p in net.module_.parameters()]


def history(net):
    keys = ("epoch", "train_loss", "event_lr")
    return [{k: row[k] for k in keys if k in row} for row in net.history]


@pytest.mark.parametrize("callbacks", sorted(CALLBACKS))
def test_a_net_continued_1_3_9_epochs_is_the_net_trained_9_at_once(callbacks):
    X, y = digits()
    stepped = train_in_steps(make_net(CALLBACKS[callbacks]()), X, y, [1, 3, 9])
    once = train_in_steps(make_net(CALLBACKS[callbacks]()), X, y, [9])
    assert history(stepped) == history(once)
    for a, b in zip(weights(stepped), weights(once)):
        np.testing.assert_array_equal(a, b)
    if callbacks == "early_stopping":
        assert len(once.history) < 9  # it did stop early, at the same epoch in both


def test_a_net_that_stopped_early_is_not_trained_on():
    X, y = digits()
    cb = [("stop", EarlyStopping(monitor="train_loss", patience=1, threshold=0.5))]
    net = train_in_steps(make_net(cb), X, y, [3, 9, 27])
    assert len(net.history) < 3
