"""Resource adapters: each one advances a real model, and the continuing ones
never start over."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    BaggingClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sktune.resources import (
    Epochs,
    FullFit,
    ParamBudget,
    PartialFitPasses,
    Resource,
    SampleCount,
    WarmStart,
    make_resource,
    set_params_in_place,
)

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")
torch.set_num_threads(1)  # tiny nets: extra threads only add overhead
from skorch import NeuralNetClassifier  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

X, y = make_classification(n_samples=240, n_features=8, n_informative=5, random_state=0)
X = X.astype(np.float32)
CLASSES = np.unique(y)


class _MLP(torch.nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(8, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2)
        )

    def forward(self, X):
        return self.net(X)


class EpochCounter(Callback):
    """Counts the epochs actually trained and records the weights each call starts from."""

    def __init__(self):
        self.epochs = 0
        self.start_weights = []

    def on_train_begin(self, net, **kwargs):
        self.start_weights.append(net.module_.net[0].weight.detach().clone())

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


def _net(**kw):
    kw.setdefault("callbacks", [("count", EpochCounter())])
    return NeuralNetClassifier(
        _MLP, max_epochs=4, lr=0.05, optimizer=torch.optim.SGD, optimizer__momentum=0.9,
        criterion=torch.nn.CrossEntropyLoss, batch_size=64, train_split=None, verbose=0, **kw,
    )


class CountingSGD(SGDClassifier):
    """A real SGDClassifier that counts its partial_fit calls and their ``classes``."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        self.calls_ = getattr(self, "calls_", []) + [classes is not None]
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)


class CountingTree(DecisionTreeClassifier):
    """A real decision tree counting how many trees were grown (class-level counter)."""

    grown = 0

    def fit(self, X, y, sample_weight=None, check_input=True):
        CountingTree.grown += 1
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


# -- make_resource ---------------------------------------------------------------------------


@pytest.mark.parametrize("estimator, kind, name", [
    (_net(), Epochs, "epochs"),
    (make_pipeline(StandardScaler(), _net()), Epochs, "epochs"),
    (SGDClassifier(), PartialFitPasses, "partial_fit"),
    (MLPClassifier(), PartialFitPasses, "partial_fit"),
    (RandomForestClassifier(), WarmStart, "n_estimators"),
    (GradientBoostingClassifier(), WarmStart, "n_estimators"),
    (make_pipeline(StandardScaler(), HistGradientBoostingClassifier()), WarmStart, "max_iter"),
    (SVC(), SampleCount, "n_samples"),
    (MLPClassifier(solver="lbfgs"), SampleCount, "n_samples"),
    (LogisticRegression(), SampleCount, "n_samples"),  # warm_start but no growable budget
])
def test_auto_choice(estimator, kind, name):
    resource = make_resource(estimator)
    assert type(resource) is kind
    assert resource.name == name
    assert resource.continues is (kind in (Epochs, PartialFitPasses, WarmStart))
    assert name in resource.describe()


def test_explicit_choices_and_errors():
    assert type(make_resource(SGDClassifier(), "n_samples")) is SampleCount
    assert type(make_resource(RandomForestClassifier(), "n_estimators")) is WarmStart
    budget = make_resource(make_pipeline(StandardScaler(), SVC()), "max_iter")
    assert type(budget) is ParamBudget and budget.param == "svc__max_iter"
    assert not budget.continues and "refits" in budget.describe()
    custom = PartialFitPasses()
    assert make_resource(SVC(), custom) is custom
    with pytest.raises(ValueError, match="integer parameter"):
        make_resource(SVC(), "C")
    with pytest.raises(ValueError, match="'resource' parameter"):
        make_resource(SVC(), "nope")
    with pytest.raises(ValueError, match="skorch"):
        make_resource(SVC(), "epochs")
    with pytest.raises(ValueError, match="partial_fit"):
        make_resource(SVC(), "partial_fit")


def test_base_and_full_fit():
    with pytest.raises(NotImplementedError):
        Resource().advance(SVC(), X, y, start=0, stop=1, fit_params={})
    est = FullFit().advance(SVC(), X, y, start=0, stop=None, fit_params={})
    assert est.score(X, y) > 0.8


# -- skorch epochs -------------------------------------------------------------------------------


def test_epochs_continue_the_same_net():
    torch.manual_seed(0)
    net = _net()
    resource = Epochs()
    resource.advance(net, X, y, start=0, stop=1, fit_params={})
    weights_after_1 = net.module_.net[0].weight.detach().clone()
    module = net.module_
    resource.advance(net, X, y, start=1, stop=3, fit_params={})
    resource.advance(net, X, y, start=3, stop=9, fit_params={})
    counter = dict(net.callbacks_)["count"]
    # 1 + 2 + 6 epochs trained, not 1 + 3 + 9 (the rung budgets)
    assert counter.epochs == 9 and len(net.history) == 9
    assert net.module_ is module  # never rebuilt
    # the second call started from exactly the weights the first one ended with
    assert torch.equal(counter.start_weights[1], weights_after_1)
    assert net.score(X, y) > 0.8


def test_epochs_in_pipeline_do_not_refit_transformers():
    pipe = make_pipeline(StandardScaler(), _net())
    resource = make_resource(pipe)
    resource.advance(pipe, X, y, start=0, stop=2, fit_params={})
    scaler = pipe[0]
    mean = scaler.mean_.copy()
    # continuing on other data must reuse the fitted scaler, not refit it
    resource.advance(pipe, X + 5, y, start=2, stop=4, fit_params={})
    assert pipe[0] is scaler and np.allclose(scaler.mean_, mean)
    assert len(pipe[-1].history) == 4
    assert pipe.predict(X).shape == y.shape


def test_epochs_stop_none_uses_max_epochs():
    net = _net()
    Epochs().advance(net, X, y, start=0, stop=None, fit_params={})
    assert len(net.history) == net.max_epochs


def test_skorch_hot_params_keep_weights_and_optimizer_state():
    from skorch.callbacks import EarlyStopping

    pipe = make_pipeline(_net(callbacks=[
        ("count", EpochCounter()), ("stop", EarlyStopping(monitor="train_loss", patience=50))],
        module__hidden=8))
    resource = make_resource(pipe)
    hot = resource.hot_params(pipe)
    assert {"neuralnetclassifier__lr", "neuralnetclassifier__optimizer__momentum",
            "neuralnetclassifier__batch_size", "neuralnetclassifier__callbacks__stop__patience"
            } <= hot
    assert not any("module__" in h or "criterion" in h for h in hot)
    assert not any(h.endswith(("foreach", "fused", "maximize")) for h in hot)
    resource.advance(pipe, X, y, start=0, stop=2, fit_params={})
    net = pipe[-1]
    w = net.module_.net[0].weight
    weight, buf = w.detach().clone(), net.optimizer_.state[w]["momentum_buffer"].clone()
    set_params_in_place(pipe, {
        "neuralnetclassifier__lr": 0.01, "neuralnetclassifier__optimizer__momentum": 0.5,
        "neuralnetclassifier__module__hidden": 8,  # unchanged: must not rebuild
    })
    w = net.module_.net[0].weight
    assert torch.equal(w, weight)
    assert torch.equal(net.optimizer_.state[w]["momentum_buffer"], buf)
    assert net.optimizer_.param_groups[0]["lr"] == 0.01
    assert net.optimizer_.param_groups[0]["momentum"] == 0.5
    assert net.get_params()["optimizer__momentum"] == 0.5
    # a module parameter is not hot: skorch rebuilds the net
    set_params_in_place(pipe, {"neuralnetclassifier__module__hidden": 4})
    assert net.module_.net[0].weight.shape[0] == 4


# -- partial_fit ------------------------------------------------------------------------------------


def test_partial_fit_counts_passes_and_classes():
    est = CountingSGD(random_state=0)
    resource = PartialFitPasses()
    resource.advance(est, X, y, start=0, stop=1, fit_params={}, classes=CLASSES)
    coef = est.coef_.copy()
    resource.advance(est, X, y, start=1, stop=3, fit_params={}, classes=CLASSES)
    resource.advance(est, X, y, start=3, stop=9, fit_params={}, classes=CLASSES)
    assert len(est.calls_) == 9  # 1 + 2 + 6, not 1 + 3 + 9
    assert est.calls_ == [True] + [False] * 8  # classes only on the first call
    assert not np.allclose(est.coef_, coef)
    assert resource.hot_params(est) == {"alpha", "eta0", "l1_ratio", "learning_rate", "power_t"}


def test_partial_fit_regressor_and_pipeline_fit_params():
    pipe = make_pipeline(StandardScaler(), SGDRegressor(random_state=0))
    w = np.ones(len(y))
    PartialFitPasses().advance(pipe, X, y.astype(float), start=0, stop=3, fit_params={
        "sgdregressor__sample_weight": w}, classes=None)
    assert pipe.score(X, y) > 0.3
    with pytest.raises(ValueError, match="<step>__<param>"):
        PartialFitPasses().advance(make_pipeline(StandardScaler(), SGDRegressor()), X, y,
                                   start=0, stop=1, fit_params={"sample_weight": w})


def test_mlp_learning_rate_change_reaches_optimizer():
    est = MLPClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.1,
                        random_state=0)
    resource = PartialFitPasses()
    assert "learning_rate_init" in resource.hot_params(est)
    resource.advance(est, X, y, start=0, stop=2, fit_params={}, classes=CLASSES)
    est.set_params(learning_rate_init=0.001)
    resource.advance(est, X, y, start=2, stop=3, fit_params={}, classes=CLASSES)
    assert est._optimizer.learning_rate == pytest.approx(0.001)


# -- warm start ---------------------------------------------------------------------------------------


def test_warm_start_grows_trees_in_place():
    CountingTree.grown = 0
    est = BaggingClassifier(CountingTree(max_depth=3), n_estimators=50, random_state=0)
    resource = make_resource(est)
    assert type(resource) is WarmStart
    resource.advance(est, X, y, start=0, stop=2, fit_params={})
    first = list(est.estimators_)
    resource.advance(est, X, y, start=2, stop=6, fit_params={})
    resource.advance(est, X, y, start=6, stop=18, fit_params={})
    assert CountingTree.grown == 18  # 2 + 4 + 12, not 2 + 6 + 18
    assert est.estimators_[:2] == first  # the earlier trees are kept
    assert len(est.estimators_) == 18


def test_warm_start_hist_gradient_boosting():
    est = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(early_stopping=False))
    resource = make_resource(est)
    resource.advance(est, X, y, start=0, stop=3, fit_params={})
    assert est[-1].n_iter_ == 3
    resource.advance(est, X, y, start=3, stop=10, fit_params={})
    assert est[-1].n_iter_ == 10 and est[-1].warm_start
    assert resource.hot_params(est) == {"histgradientboostingclassifier__learning_rate",
                                        "histgradientboostingclassifier__l2_regularization"}


# -- refitting resources -------------------------------------------------------------------------


def test_sample_count_stratified_nested_prefixes():
    resource = SampleCount(random_state=1)
    order = resource.order(len(y), y, classifier=True)
    assert sorted(order) == list(range(len(y)))
    for k in (4, 20, 100):  # every class present early, in proportion
        counts = np.bincount(y[order[:k]], minlength=2)
        assert abs(counts[0] - k * np.mean(y == 0)) <= 1
    est = SVC()
    resource.advance(est, X, y, start=0, stop=30, fit_params={})
    assert est.shape_fit_[0] == 30
    resource.advance(est, X, y, start=30, stop=10**6, fit_params={})  # capped at n
    assert est.shape_fit_[0] == len(y)
    assert not resource.continues


def test_param_budget_refits():
    resource = ParamBudget("max_iter")
    est = SGDClassifier(tol=None, random_state=0)
    resource.advance(est, X, y, start=0, stop=3, fit_params={})
    assert est.max_iter == 3 and est.n_iter_ == 3
    resource.advance(est, X, y, start=3, stop=5, fit_params={})
    assert est.n_iter_ == 5  # refitted from scratch: 5 passes, not 3 + 5
