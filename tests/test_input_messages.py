"""Bad devices fail before any training, naming the parameter and the fix (issue 20)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _exec_helpers import CountingClassifier
from sklearn.datasets import load_iris

from sktune import BayesSearchCV, Real
from sktune.execution import check_devices

X, Y = load_iris(return_X_y=True)
GOOD = {"shrink": Real(0.0, 0.5)}


def _search(space, estimator=None, **params):
    params = dict(n_iter=2, n_initial_points=2, cv=2, random_state=0, refit=False) | params
    return BayesSearchCV(estimator or CountingClassifier(), space, **params)


def _fit_error(space, exc=ValueError, **params):
    """The message of the error ``fit`` raises, checked to come before any ``fit`` call."""
    search = _search(space, **params)
    CountingClassifier.fit_calls = 0
    with pytest.raises(exc) as info:
        search.fit(X, Y)
    assert CountingClassifier.fit_calls == 0, "an estimator was fitted before the error"
    return str(info.value)


# -- devices -------------------------------------------------------------------------
class NoDeviceClassifier(CountingClassifier):
    """A classifier without a ``device`` parameter."""

    def __init__(self, shrink=0.0):
        self.shrink = shrink


def test_gpu_is_refused_with_a_hint():
    msg = _fit_error(GOOD, devices="gpu")
    assert msg.startswith("The 'devices' parameter of BayesSearchCV"), msg
    assert "Got 'gpu'" in msg and "'cuda'" in msg and "'auto'" in msg


def test_gpu_in_a_list_is_refused():
    msg = _fit_error(GOOD, devices=["cpu", "gpu:1"])
    assert "'devices' parameter" in msg and "'cuda:1'" in msg


@pytest.mark.parametrize("name, hint", [("cuda0", "'cuda:0'"), ("cuda:01", "'cuda:1'"),
                                        ("CUDA:0", "'cuda:0'"), (" cpu", "'cpu'")])
def test_misspelt_device_names_get_a_suggestion(name, hint):
    msg = _fit_error(GOOD, devices=name)
    assert msg.startswith("The 'devices' parameter of BayesSearchCV"), msg
    assert f"Did you mean {hint}?" in msg


def test_a_device_listed_twice_is_refused():
    msg = _fit_error(GOOD, devices=["fake:0", "fake:1", "fake:0"])
    assert msg.startswith("The 'devices' parameter of BayesSearchCV names 'fake:0' twice"), msg
    assert "trials_per_device=2" in msg
    check_devices(["cpu", "cpu"], _search(GOOD))  # CPU slots may repeat (several cores)


def test_cuda_and_cuda_0_are_the_same_device():
    msg = _fit_error(GOOD, devices=["cuda", "cuda:0"])
    assert "'cuda' and 'cuda:0'" in msg and "trials_per_device" in msg


def test_devices_for_an_estimator_without_a_device_parameter_warn():
    NoDeviceClassifier.fit_calls = 0
    search = _search(GOOD, NoDeviceClassifier(), devices="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning) as info:
            search.fit(X, Y)
    assert NoDeviceClassifier.fit_calls == 0
    msg = str(info.value)
    assert msg.startswith("The 'devices' parameter of BayesSearchCV"), msg
    assert "NoDeviceClassifier has no 'device' parameter" in msg and "device_param" in msg


def test_device_param_typo_names_the_search_and_a_suggestion():
    msg = _fit_error(GOOD, devices="cpu", device_param="devcie")
    assert msg.startswith("The 'device_param' parameter of BayesSearchCV names 'devcie'"), msg
    assert "Did you mean 'device'?" in msg


def _counting_net():
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")

    class CountingNet(skorch.NeuralNetClassifier):
        fit_calls = 0

        def fit(self, X, y=None, **fit_params):
            type(self).fit_calls += 1
            return super().fit(X, y, **fit_params)

    return CountingNet(torch.nn.Sequential(torch.nn.Linear(4, 3)), max_epochs=1,
                       criterion=torch.nn.CrossEntropyLoss, train_split=None, verbose=0)


def _net_error(devices):
    net = _counting_net()
    search = _search({"lr": Real(1e-3, 1e-1, log=True)}, net, devices=devices)
    with pytest.raises(ValueError) as info:
        search.fit(X.astype(np.float32), Y.astype(np.int64))
    assert type(net).fit_calls == 0, "a net was trained before the error"
    return str(info.value)


def test_gpu_for_a_skorch_net_fails_at_once():
    # today every trial fails inside torch ("Expected one of cpu, cuda, ...")
    msg = _net_error("gpu")
    assert msg.startswith("The 'devices' parameter of BayesSearchCV"), msg
    assert "'cuda'" in msg and "'auto'" in msg


def test_a_device_torch_does_not_know_fails_at_once_for_a_net():
    msg = _net_error("tpu")
    assert msg.startswith("The 'devices' parameter of BayesSearchCV"), msg
    assert "torch accepts" in msg and "'mps'" in msg and "Got 'tpu'" in msg


def test_mps_without_mps_support_fails_at_once_for_a_net():
    torch = pytest.importorskip("torch")
    if torch.backends.mps.is_available():
        pytest.skip("this machine has an MPS device")
    msg = _net_error("mps")
    assert msg.startswith("The 'devices' parameter of BayesSearchCV names 'mps'"), msg
