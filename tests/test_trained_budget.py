"""Rows record what training did: the budget early stopping ended at, the learning rate
a scheduler had moved to; PBT refuses to perturb what a scheduler sets itself."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier

from sktune import HyperbandSearchCV, PopulationSearchCV, Real

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")
from skorch.callbacks import EarlyStopping, LRScheduler  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300].astype(np.float32) / 16.0, y[:300].astype(np.int64)


def make_net(callbacks, **kw):
    return skorch.NeuralNetClassifier(
        torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)),
        criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, max_epochs=9,
        batch_size=32, train_split=None, callbacks=callbacks, verbose=0, **kw)


def impatient():
    # stops once an epoch fails to halve the training loss: after 2 or 3 epochs
    return EarlyStopping(monitor="train_loss", patience=1, threshold=0.5)


def planned(search):
    """The budget each row's rung asked for."""
    plans = {p["bracket"]: p["n_resources"] for p in search.bracket_plan_}
    res = search.cv_results_
    return np.array([plans[b][r] for b, r in zip(res["bracket"], res["rung"])], dtype=float)


def test_hyperband_rows_record_the_epochs_early_stopping_trained(digits):
    X, y = digits
    search = HyperbandSearchCV(make_net([("stop", impatient())]),
                               {"lr": Real(1e-2, 0.3, log=True)}, max_resources=9, factor=3,
                               cv=2, random_state=0).fit(X, y)
    res = search.cv_results_
    asked = planned(search)
    early = res["n_resources"] < asked
    assert early.any() and (res["n_resources"] <= asked).all()
    assert (res["n_resources"][~early] == asked[~early]).all()
    # a net that stopped early is not trained on in a later rung: its count stays
    rows = {}
    for i, t in enumerate(res["trial_id"]):
        rows.setdefault(t, []).append(i)
    stuck = [ix for ix in rows.values() if len(ix) > 1 and early[ix[0]]]
    assert stuck and all(res["n_resources"][ix[-1]] == res["n_resources"][ix[0]] for ix in stuck)
    # the best is still chosen from the last rung (the budget planned, not reached)
    assert asked[search.best_index_] == asked.max()


def test_hyperband_rows_record_the_iterations_boosting_early_stopping_grew():
    X, y = load_digits(return_X_y=True)
    est = HistGradientBoostingClassifier(early_stopping=True, n_iter_no_change=1, tol=1.0,
                                         validation_fraction=0.2, max_bins=32, random_state=0)
    search = HyperbandSearchCV(est, {"learning_rate": Real(0.05, 0.5, log=True)},
                               resource="max_iter", max_resources=27, factor=3, cv=2,
                               random_state=0).fit(X[:500], y[:500])
    res = search.cv_results_
    assert search.resource_.name == "max_iter"
    asked = planned(search)
    assert (res["n_resources"] < asked).any() and (res["n_resources"] <= asked).all()


def test_pbt_refuses_to_perturb_a_learning_rate_a_scheduler_sets(digits):
    X, y = digits
    sched = LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    search = PopulationSearchCV(make_net([("sched", sched)]), {"lr": Real(1e-2, 0.3, log=True)},
                                mutable_params=["lr"], population_size=2, max_resources=4,
                                perturbation_interval=2, cv=2, random_state=0)
    with pytest.raises(ValueError, match=r"'mutable_params'.*'lr'.*LRScheduler callback 'sched'"):
        search.fit(X, y)
    assert not hasattr(search, "cv_results_")


def test_pbt_records_the_learning_rate_in_use_and_explores_the_rest(digits):
    X, y = digits
    sched = LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    search = PopulationSearchCV(
        make_net([("sched", sched)], optimizer__momentum=0.5),
        {"lr": Real(1e-2, 0.3, log=True), "optimizer__momentum": Real(0.1, 0.9)},
        population_size=4, max_resources=4, perturbation_interval=2, quantile_fraction=0.5,
        cv=2, random_state=0)
    with pytest.warns(UserWarning, match=r"\['lr'\] will not be explored"):
        search.fit(X, y)
    assert search.mutable_params_ == ["optimizer__momentum"]
    res = search.cv_results_
    # StepLR halves the rate every epoch: after 2 and 4 epochs it is lr/4 and lr/16 (the
    # schedule goes on across steps, as in one uninterrupted fit)
    lr = np.array([p["lr"] for p in res["params"]])
    expected = np.where(res["n_resources"] == 2, lr / 4, lr / 16)
    np.testing.assert_allclose(res["effective_lr"], expected, rtol=1e-6)
    best = search.best_index_
    step = search.best_schedule_[-1]
    assert step["params_in_use"]["lr"] == pytest.approx(res["effective_lr"][best])
    assert step["params"]["lr"] == res["params"][best]["lr"]
