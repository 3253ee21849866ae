import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktune import BayesSearchCV, Categorical, Integer, Real, SearchSpace


def test_real_log_unit_roundtrip():
    d = Real(1e-4, 1e2, log=True)
    for v in [1e-4, 3e-3, 1.0, 1e2]:
        assert d.from_unit(d.to_unit(v)) == pytest.approx(v)
    assert d.from_unit(0.5) == pytest.approx(1e-1)


def test_integer_covers_every_value_evenly():
    d = Integer(1, 4)
    values = [d.from_unit(u) for u in np.linspace(0, 1, 4000, endpoint=False)]
    counts = np.bincount(values, minlength=5)[1:]
    assert counts.min() == counts.max() == 1000
    assert all(isinstance(v, int) for v in d.sample(10, 0))


def test_integer_log_scale_stays_in_bounds():
    d = Integer(1, 1000, log=True)
    values = d.sample(500, 0)
    assert min(values) >= 1 and max(values) <= 1000
    assert np.median(values) < 100  # log scale puts half the mass below sqrt(1000)


def test_categorical_one_hot_features():
    d = Categorical(["a", "b", None])
    assert d.n_features == 3
    np.testing.assert_array_equal(d.to_features("b"), [0, 1, 0])
    assert d.from_features(np.array([0.1, 0.2, 0.9])) is None


def test_dimensions_are_immutable():
    d = Real(0, 1)
    with pytest.raises(AttributeError):
        d.low = 5


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Real(1, 1), "smaller than 'high'"),
        (lambda: Real(0, 1, log=True), "positive 'low'"),
        (lambda: Integer(0.5, 3), "must be an int"),
        (lambda: Categorical([]), "empty"),
        (lambda: Real(0, float("inf")), "finite"),
        (lambda: Real(1, 2, prior="gaussian"), "prior"),
    ],
)
def test_invalid_dimensions_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_accepts_what_users_write():
    space = SearchSpace(
        {
            "a": stats.loguniform(1e-3, 1e1),
            "b": stats.uniform(2, 3),  # [2, 5]
            "c": stats.randint(1, 5),  # 1..4
            "d": ["x", "y"],
            "e": (1e-6, 1e6, "log-uniform"),
            "f": (2, 9),
        }
    )
    sub = space.subspaces[0]
    dims = dict(zip(sub.names, sub.dimensions))
    assert dims["a"] == Real(1e-3, 1e1, log=True)
    assert dims["b"] == Real(2.0, 5.0)
    assert dims["c"] == Integer(1, 4)
    assert dims["d"] == Categorical(["x", "y"])
    assert dims["e"] == Real(1e-6, 1e6, log=True)
    assert dims["f"] == Integer(2, 9)


def test_skopt_prior_keyword():
    assert Real(1e-6, 1e6, prior="log-uniform") == Real(1e-6, 1e6, log=True)


def test_conditional_subspaces_and_skopt_tuples():
    space = SearchSpace([({"a": Real(0, 1)}, 10), {"b": ["u", "v"]}])
    assert len(space.subspaces) == 2
    samples = space.sample(40, 0)
    assert {tuple(s) for s in samples} == {("a",), ("b",)}
    assert space.subspace_of({"b": "u"}) == 1


def test_perturb_stays_in_range():
    space = SearchSpace({"lr": Real(1e-3, 1.0, log=True), "n": Integer(1, 3), "c": ["a", "b"]})
    rng = np.random.default_rng(0)
    p = {"lr": 1.0, "n": 3, "c": "a"}
    for _ in range(100):
        p = space.perturb(p, rng)
        assert space.subspaces[0].contains(p)


def test_unknown_parameter_named_before_training():
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    search = BayesSearchCV(pipe, {"logisticregression__CC": Real(0.1, 1)}, n_iter=2)
    with pytest.raises(ValueError, match="logisticregression__CC.*not a parameter"):
        search.fit(np.zeros((10, 2)), np.arange(10) % 2)
    search = BayesSearchCV(pipe, {"C": Real(0.1, 1)}, n_iter=2)
    with pytest.raises(ValueError, match="Did you mean 'logisticregression__C'"):
        search.fit(np.zeros((10, 2)), np.arange(10) % 2)
