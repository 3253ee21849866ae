"""Bad search spaces and devices fail before any training, naming the entry and the fix (issue 20)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _exec_helpers import CountingClassifier
from scipy import stats
from sklearn.datasets import load_iris

from sktune import BayesSearchCV, Categorical, Integer, Real, SearchSpace
from sktune.execution import check_devices

X, Y = load_iris(return_X_y=True)
OWNER = "The 'search_spaces' parameter of BayesSearchCV: "
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


def _in_subspace_1(spec):
    return [GOOD, {"shrink": spec}]


# -- 1. space errors name the entry (and the sub-space) ----------------------------------
def test_reversed_bounds_name_the_entry_and_the_subspace():
    msg = _fit_error(_in_subspace_1((10.0, 1.0)))
    assert msg.startswith(OWNER + "entry 'shrink' of the sub-space at index 1: Real"), msg
    assert "low=10.0, high=1.0" in msg and "swap" in msg


def test_equal_bounds_suggest_a_list_of_one_choice():
    msg = _fit_error({"shrink": (0.5, 0.5)})
    assert msg.startswith(OWNER + "entry 'shrink': Real"), msg
    assert "[0.5]" in msg


@pytest.mark.parametrize("bound", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_bounds_name_the_entry(bound):
    msg = _fit_error(_in_subspace_1((0.0, bound)))
    assert msg.startswith(OWNER + "entry 'shrink' of the sub-space at index 1: "), msg
    assert "'high' must be a finite number" in msg and repr(bound) in msg


def test_numpy_bounds_are_shown_as_plain_numbers():
    msg = _fit_error({"shrink": (np.float64(1.0), np.float64(0.1))})
    assert "entry 'shrink'" in msg and "low=1.0, high=0.1" in msg and "np.float64" not in msg


def test_log_prior_with_a_non_positive_low_names_the_entry():
    msg = _fit_error(_in_subspace_1((0.0, 1.0, "log-uniform")))
    assert msg.startswith(OWNER + "entry 'shrink' of the sub-space at index 1: "), msg
    assert "positive 'low'" in msg


def test_unknown_prior_of_a_tuple_names_the_entry_and_the_priors():
    msg = _fit_error({"shrink": (0.1, 1.0, "log")})
    assert msg.startswith(OWNER + "entry 'shrink': "), msg
    assert "'uniform' or 'log-uniform'" in msg and "Got 'log'" in msg and "list" in msg


def test_a_range_tuple_with_extra_items_is_refused():
    # today a silent Categorical of four "choices" (0.1, 1.0, 'uniform', 3)
    msg = _fit_error({"shrink": (0.1, 1.0, "uniform", 3)})
    assert msg.startswith(OWNER + "entry 'shrink': "), msg
    assert "4 items" in msg and "(low, high, prior)" in msg


@pytest.mark.parametrize("empty", [[], (), np.array([])], ids=["list", "tuple", "array"])
def test_empty_choices_name_the_entry(empty):
    msg = _fit_error(_in_subspace_1(empty))
    assert msg.startswith(OWNER + "entry 'shrink' of the sub-space at index 1: "), msg
    assert "empty" in msg


def test_a_string_is_not_split_into_choices():
    with pytest.raises(ValueError, match=r"not a str.*\['abc'\]"):
        Categorical("abc")


def test_a_set_of_choices_is_refused_for_its_missing_order():
    with pytest.raises(ValueError, match="set.*sorted"):
        Categorical({"a", "b"})


def test_a_string_entry_suggests_a_list():
    msg = _fit_error({"shrink": "abc"})
    assert msg.startswith(OWNER + "entry 'shrink': "), msg
    assert "['abc']" in msg


def test_non_string_keys_name_the_key_and_the_subspace():
    msg = _fit_error([GOOD, {3: [1, 2]}])
    assert msg.startswith(OWNER + "entry 3 of the sub-space at index 1: "), msg
    assert "parameter names (str)" in msg


@pytest.mark.parametrize("bad", [5, "C"], ids=["int", "str"])
def test_a_bad_subspace_is_named_by_its_index(bad):
    msg = _fit_error([GOOD, bad])
    assert msg.startswith(OWNER + "the sub-space at index 1 must be a dict"), msg


def test_scipy_randint_with_nan_names_the_entry_not_a_cast():
    msg = _fit_error(_in_subspace_1(stats.randint(0, float("nan"))))
    assert "cannot convert" not in msg
    assert msg.startswith(OWNER + "entry 'shrink' of the sub-space at index 1: "
                          "scipy.stats.randint(0, nan)"), msg
    assert "invalid parameters" in msg and "low < high" in msg


def test_scipy_randint_reversed_says_what_randint_needs():
    msg = _fit_error({"shrink": stats.randint(5, 1)})
    assert msg.startswith(OWNER + "entry 'shrink': scipy.stats.randint(5, 1)"), msg
    assert "low < high" in msg


def test_scipy_uniform_with_a_negative_scale_says_what_uniform_needs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from scipy's support() either
        msg = _fit_error({"shrink": stats.uniform(loc=0, scale=-1)})
    assert msg.startswith(OWNER + "entry 'shrink': scipy.stats.uniform(loc=0, scale=-1)"), msg
    assert "scale > 0" in msg


def test_scipy_loguniform_reversed_says_what_loguniform_needs():
    msg = _fit_error({"shrink": stats.loguniform(1.0, 0.1)})
    assert "entry 'shrink'" in msg and "0 < a < b" in msg


def test_scipy_randint_of_one_value_suggests_a_list():
    msg = _fit_error({"shrink": stats.randint(1, 2)})
    assert msg.startswith(OWNER + "entry 'shrink': scipy.stats.randint(1, 2)"), msg
    assert "one value" in msg and "[1]" in msg


def test_a_shifted_loguniform_is_not_read_as_log_uniform():
    # today read as Real(1.001, 2.0, log=True), which is not the distribution asked for
    msg = _fit_error({"shrink": stats.loguniform(1e-3, 1.0, loc=1.0)})
    assert "entry 'shrink'" in msg and "loc" in msg


def test_a_scipy_distribution_without_a_range_names_the_subspace():
    msg = _fit_error(_in_subspace_1(stats.norm(0, -1)))
    assert msg.startswith(OWNER + "entry 'shrink' of the sub-space at index 1: scipy.stats.norm"), msg
    assert "no usable range" in msg


def test_an_unfrozen_scipy_distribution_asks_for_its_parameters():
    msg = _fit_error({"shrink": stats.loguniform})  # norm, uniform... take their defaults
    assert msg.startswith(OWNER + "entry 'shrink': "), msg
    assert "frozen" in msg and "loguniform(a, b)" in msg


def test_integer_with_float_bounds_suggests_an_int_or_real():
    with pytest.raises(ValueError, match=r"Integer: 'low' must be an int\. Got 1\.0.*write 1.*Real"):
        Integer(1.0, 5)


def test_unknown_parameter_names_the_search_and_the_subspace():
    msg = _fit_error([GOOD, {"shrnk": Real(0.0, 0.5)}])
    assert msg.startswith(OWNER + "entry 'shrnk' of the sub-space at index 1 is not a parameter "
                          "of CountingClassifier."), msg
    assert "Did you mean 'shrink'?" in msg


def test_searchspace_alone_names_the_entry():
    with pytest.raises(ValueError, match=r"^Search space entry 'C' of the sub-space at index 1: Real"):
        SearchSpace([{"C": (0.1, 1.0)}, {"C": (10.0, 1.0)}])


# -- 2. duplicate choices ---------------------------------------------------------------
def test_duplicate_choices_warn_before_training_naming_the_entry():
    search = _search([GOOD, {"shrink": [0.1, 0.2, 0.1, 0.2, 0.3]}])
    CountingClassifier.fit_calls = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning) as info:
            search.fit(X, Y)
    assert CountingClassifier.fit_calls == 0
    msg = str(info.value)
    assert msg.startswith(OWNER + "entry 'shrink' of the sub-space at index 1: "), msg
    assert "0.1, 0.2" in msg and "[0.1, 0.2, 0.3]" in msg


def test_duplicate_choices_are_dropped_in_order():
    with pytest.warns(UserWarning, match="repeat"):
        space = SearchSpace({"x": ["b", "a", "b", None, None, [1], [1]]})
    assert space.subspaces[0].dimensions[0].choices == ("b", "a", None, [1])
    with pytest.warns(UserWarning, match="repeat"):
        assert Categorical([3, 3]).choices == (3,)


def test_equal_values_of_other_types_are_distinct_choices():
    est_a, est_b = CountingClassifier(), CountingClassifier()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = Categorical([1, True, 1.0, est_a, est_b, np.array([1, 2]), np.array([1, 2])])
    assert len(d.choices) == 7
    # each is found as itself: True is not taken for 1, nor 1.0 for True
    assert [d.index(c) for c in d.choices] == list(range(7))
    assert d.index(np.int64(1)) == 0  # a value of another type still finds an equal choice


# -- 3. devices -------------------------------------------------------------------------
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
