"""BayesSearchCV tuning a real skorch network on scikit-learn's digits."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sktune import BayesSearchCV, Categorical, Integer, Real  # noqa: E402


class MLP(torch.nn.Module):
    def __init__(self, width=32, n_in=64, n_out=10):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_in, width), torch.nn.ReLU(), torch.nn.Linear(width, n_out)
        )

    def forward(self, X):
        return self.net(X)


def digits(n=600):
    X, y = load_digits(return_X_y=True)
    return X[:n].astype(np.float32) / 16.0, y[:n].astype(np.int64)


def make_net(**kwargs):
    params = dict(criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
                  max_epochs=5, batch_size=64, train_split=None, verbose=0)
    params.update(kwargs)
    return skorch.NeuralNetClassifier(MLP, **params)


def test_tunes_lr_width_and_epochs_of_a_skorch_net():
    X, y = digits()
    search = BayesSearchCV(
        make_net(),
        {"lr": Real(1e-4, 3e-2, log=True), "module__width": Integer(8, 64),
         "max_epochs": Integer(2, 8)},
        n_iter=6, n_initial_points=3, cv=2, random_state=0,
    ).fit(X, y)
    res = search.cv_results_
    assert res["status"].tolist() == ["ok"] * 6
    assert search.best_score_ > 0.8
    assert search.best_estimator_.module_.net[0].out_features == search.best_params_[
        "module__width"
    ]
    assert len(search.best_estimator_.history) == search.best_params_["max_epochs"]
    assert search.score(X, y) > 0.85


@pytest.mark.slow
def test_skorch_net_in_a_pipeline_is_deterministic_with_random_state():
    X, y = digits(400)
    pipe = make_pipeline(StandardScaler(), make_net())
    kwargs = dict(n_iter=3, n_initial_points=2, cv=2, random_state=3)
    space = {"neuralnetclassifier__lr": Real(1e-3, 1e-1, log=True)}
    a = BayesSearchCV(pipe, space, **kwargs).fit(X, y).cv_results_
    b = BayesSearchCV(pipe, space, n_jobs=2, **kwargs).fit(X, y).cv_results_
    assert a["params"] == b["params"]
    np.testing.assert_allclose(a["mean_test_score"], b["mean_test_score"])


def test_refit_is_seeded_like_the_cv_jobs_and_leaves_torchs_state_alone():
    X, y = digits(300)
    kwargs = dict(n_iter=2, n_initial_points=2, cv=2, random_state=5)
    space = {"lr": Real(1e-3, 1e-1, log=True)}
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = BayesSearchCV(make_net(max_epochs=2), space, **kwargs).fit(X, y)
    assert torch.equal(torch.rand(3), expected)  # the search ran in this process
    b = BayesSearchCV(make_net(max_epochs=2), space, **kwargs).fit(X, y)
    # two runs with one random_state refit the same net, weight for weight
    for wa, wb in zip(a.best_estimator_.module_.parameters(),
                      b.best_estimator_.module_.parameters()):
        assert torch.equal(wa, wb)
    c = BayesSearchCV(make_net(max_epochs=2), space, **dict(kwargs, random_state=6)).fit(X, y)
    assert not torch.equal(next(a.best_estimator_.module_.parameters()),
                           next(c.best_estimator_.module_.parameters()))


def test_diverging_net_is_a_failed_trial_not_a_chance_level_score():
    from sklearn.datasets import make_regression

    X, y = make_regression(200, 10, random_state=0)
    X, y = X.astype(np.float32), (y[:, None] / 100).astype(np.float32)
    net = skorch.NeuralNetRegressor(
        MLP, module__n_in=10, module__n_out=1, optimizer=torch.optim.SGD, max_epochs=4,
        train_split=None, verbose=0,
    )
    # lr >= 30 diverges to inf/NaN losses on this problem; small ones train fine. (Fixed
    # choices: a drawn lr of 1-10 may keep a finite loss with infinite predictions, which is a
    # scoring failure, as in GridSearchCV, not a failed fit.)
    lrs = Categorical([1e-3, 1e-2, 3e-2, 30.0, 100.0])
    search = BayesSearchCV(net, {"lr": lrs}, n_iter=5, cv=2, random_state=0, error_score=-1e9)
    with pytest.warns(FitFailedWarning, match="fits failed"):
        search.fit(X, y)
    res = search.cv_results_
    lrs = np.array([p["lr"] for p in res["params"]])
    failed = res["status"] == "failed"
    assert failed.any() and (lrs[failed] > 1).all() and not failed[lrs < 0.1].any()
    assert search.best_params_["lr"] < 10
