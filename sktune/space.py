"""Search spaces: explicit dimensions with a unit-cube transform.

Every dimension maps a value to a coordinate in ``[0, 1]`` (``to_unit`` /
``from_unit``), which is what samplers and perturbation work in, and to a
feature vector for surrogate models (``to_features``: one-hot for categoricals,
log scale where asked).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from ._compat import skorch_prefixes

__all__ = ["Real", "Integer", "Categorical", "SearchSpace", "Subspace"]


def _check_bounds(cls, low, high, log):
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
            raise ValueError(f"{cls}: '{name}' must be a finite number. Got {v!r} instead.")
    if low >= high:
        raise ValueError(f"{cls}: 'low' must be smaller than 'high'. Got low={low!r}, high={high!r}.")
    if log and low <= 0:
        raise ValueError(
            f"{cls}: a log scale needs a positive 'low'. Got low={low!r}; "
            "use log=False or a positive lower bound."
        )


class _Dimension:
    """Common behaviour of the three dimension types (immutable)."""

    __slots__ = ()
    n_features = 1

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **kwargs):
        for key, value in kwargs.items():
            object.__setattr__(self, key, value)

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        self._set(**state)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __eq__(self, other):
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))

    def sample(self, n, rng):
        """Draw ``n`` values uniformly in the unit (log) scale."""
        rng = np.random.default_rng(rng)
        return [self.from_unit(u) for u in rng.random(n)]

    def to_features(self, value):
        return np.array([self.to_unit(value)])

    def from_features(self, z):
        return self.from_unit(float(z[0]))


class Real(_Dimension):
    """A continuous dimension on ``[low, high]``.

    Parameters
    ----------
    low, high : float
        Bounds, ``low < high``.
    log : bool, default=False
        Search on a log scale (``low`` must then be positive).
    prior : {"uniform", "log-uniform"}, default=None
        scikit-optimize's spelling of ``log``, accepted for migration.

    Examples
    --------
    >>> from sktune import Real
    >>> Real(1e-4, 1e-1, log=True).from_unit(0.5)
    0.00316...
    """

    __slots__ = ("low", "high", "log")

    def __init__(self, low, high, *, log=False, prior=None):
        log = _prior_to_log(prior, log)
        _check_bounds("Real", low, high, log)
        self._set(low=float(low), high=float(high), log=bool(log))

    def __repr__(self):
        return f"Real({self.low!r}, {self.high!r}, log={self.log})"

    def to_unit(self, value):
        lo, hi, v = self.low, self.high, float(value)
        if self.log:
            lo, hi, v = math.log(lo), math.log(hi), math.log(v)
        return min(max((v - lo) / (hi - lo), 0.0), 1.0)

    def from_unit(self, u):
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return float(min(max(math.exp(lo + u * (hi - lo)), self.low), self.high))
        return float(self.low + u * (self.high - self.low))

    def contains(self, value):
        return isinstance(value, numbers.Real) and self.low <= value <= self.high

    def perturb(self, value, rng, factors=(0.8, 1.2)):
        """Multiply by one of ``factors`` and clip to the bounds.

        A value of 0 (which no factor moves) steps by ``factor - 1`` times the
        width of the range instead.
        """
        factor = factors[rng.integers(len(factors))]
        new = value * factor
        if value == 0:
            new = (factor - 1) * (self.high - self.low)
        return float(min(max(new, self.low), self.high))


class Integer(_Dimension):
    """An integer dimension on ``[low, high]`` (both included).

    Parameters
    ----------
    low, high : int
        Bounds, ``low < high``.
    log : bool, default=False
        Search on a log scale (``low`` must then be positive).
    prior : {"uniform", "log-uniform"}, default=None
        scikit-optimize's spelling of ``log``.

    Examples
    --------
    >>> from sktune import Integer
    >>> Integer(1, 10).from_unit(1.0)
    10
    """

    __slots__ = ("low", "high", "log")

    def __init__(self, low, high, *, log=False, prior=None):
        log = _prior_to_log(prior, log)
        for name, v in (("low", low), ("high", high)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool):
                raise ValueError(f"Integer: '{name}' must be an int. Got {v!r} instead.")
        _check_bounds("Integer", low, high, log)
        self._set(low=int(low), high=int(high), log=bool(log))

    def __repr__(self):
        return f"Integer({self.low!r}, {self.high!r}, log={self.log})"

    def _log_edges(self):
        # In log scale each integer owns the slice [log(v - .5), log(v + .5)].
        return math.log(max(self.low - 0.5, self.low / 2)), math.log(self.high + 0.5)

    def to_unit(self, value):
        if not self.log:
            return (float(value) - self.low + 0.5) / (self.high - self.low + 1)
        lo, hi = self._log_edges()
        return min(max((math.log(value) - lo) / (hi - lo), 0.0), 1.0)

    def from_unit(self, u):
        u = min(max(float(u), 0.0), 1.0)
        if not self.log:
            n = self.high - self.low + 1
            return int(self.low + min(int(u * n), n - 1))
        lo, hi = self._log_edges()
        v = math.floor(math.exp(lo + u * (hi - lo)) + 0.5)
        return int(min(max(v, self.low), self.high))

    def contains(self, value):
        return isinstance(value, numbers.Integral) and self.low <= value <= self.high

    def perturb(self, value, rng, factors=(0.8, 1.2)):
        factor = factors[rng.integers(len(factors))]
        new = int(min(max(round(value * factor), self.low), self.high))
        if new == value:  # make sure a step is taken where one is possible (away from a bound)
            step = 1 if factor > 1 else -1
            new = value + step if self.low <= value + step <= self.high else value - step
        return int(min(max(new, self.low), self.high))


class Categorical(_Dimension):
    """A dimension over a finite list of choices.

    Parameters
    ----------
    choices : sequence
        The values (any hashable or not objects); at least one.
    prior : None, default=None
        Accepted (and ignored) for scikit-optimize compatibility: choices are
        drawn uniformly.
    transform : None, default=None
        Accepted (and ignored) for scikit-optimize compatibility.

    Examples
    --------
    >>> from sktune import Categorical
    >>> Categorical(["relu", "tanh"]).from_unit(0.9)
    'tanh'
    """

    __slots__ = ("choices",)

    def __init__(self, choices, *, prior=None, transform=None):
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            try:
                choices = list(choices)
            except TypeError:
                raise ValueError(
                    f"Categorical: 'choices' must be a list of values. Got {choices!r} instead."
                ) from None
        if len(choices) == 0:
            raise ValueError("Categorical: 'choices' is empty; give at least one value.")
        self._set(choices=tuple(choices))

    def __repr__(self):
        return f"Categorical({list(self.choices)!r})"

    @property
    def n_features(self):
        return len(self.choices)

    def index(self, value):
        for i, c in enumerate(self.choices):
            if c is value or _safe_eq(c, value):
                return i
        raise ValueError(f"{value!r} is not one of {list(self.choices)!r}")

    def to_unit(self, value):
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u):
        k = len(self.choices)
        return self.choices[min(int(float(u) * k), k - 1)]

    def to_features(self, value):
        z = np.zeros(len(self.choices))
        z[self.index(value)] = 1.0
        return z

    def from_features(self, z):
        return self.choices[int(np.argmax(z))]

    def contains(self, value):
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def perturb(self, value, rng, factors=None):
        """Move to a neighbouring choice (in list order; the only one at either end)."""
        if len(self.choices) == 1:
            return value
        i = self.index(value)
        step = 1 if rng.random() < 0.5 else -1
        if not 0 <= i + step < len(self.choices):
            step = -step
        return self.choices[i + step]


def _safe_eq(a, b):
    try:
        return bool(a == b)
    except Exception:
        return False


def _prior_to_log(prior, log):
    if prior is None:
        return log
    if prior in ("log-uniform", "loguniform"):
        return True
    if prior == "uniform":
        return False
    raise ValueError(f"'prior' must be 'uniform' or 'log-uniform'. Got {prior!r} instead.")


def to_dimension(name, spec):
    """Turn what users write (skopt, scipy.stats, lists) into a dimension."""
    if isinstance(spec, _Dimension):
        return spec
    if _is_skopt_dimension(spec):
        return _from_skopt(spec)
    if hasattr(spec, "rvs") and hasattr(spec, "dist"):
        return _from_scipy(name, spec)
    if isinstance(spec, tuple) and 2 <= len(spec) <= 3 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in spec[:2]
    ):
        return _from_tuple(name, spec)
    if isinstance(spec, (list, tuple, np.ndarray)):
        return Categorical(list(spec))
    raise ValueError(
        f"Search space entry {name!r} must be a Real, Integer or Categorical, a list of choices, "
        f"a bounded scipy.stats distribution or a (low, high[, prior]) tuple. Got {spec!r} instead."
    )


def _from_tuple(name, spec):
    low, high = spec[0], spec[1]
    prior = spec[2] if len(spec) == 3 else "uniform"
    if not isinstance(prior, str):
        raise ValueError(f"Search space entry {name!r}: the third item of a tuple must be a prior.")
    if all(isinstance(v, numbers.Integral) for v in (low, high)):
        return Integer(low, high, prior=prior)
    return Real(low, high, prior=prior)


def _is_skopt_dimension(spec):
    return type(spec).__module__.startswith("skopt.") and hasattr(spec, "bounds")


def _from_skopt(spec):
    kind = type(spec).__name__
    if kind == "Categorical":
        return Categorical(list(spec.categories))
    prior = getattr(spec, "prior", "uniform")
    cls = Integer if kind == "Integer" else Real
    return cls(spec.low, spec.high, prior=prior)


def _from_scipy(name, dist):
    family = getattr(dist.dist, "name", "")
    if family in ("loguniform", "reciprocal"):
        low, high = dist.support()
        return Real(float(low), float(high), log=True)
    if family == "uniform":
        low, high = dist.support()
        return Real(float(low), float(high))
    if family == "randint":
        low, high = dist.support()
        return Integer(int(low), int(high))
    raise ValueError(
        f"Search space entry {name!r}: scipy.stats.{family} is not supported; a bounded "
        "uniform, loguniform or randint distribution is needed (or a Real/Integer dimension)."
    )


class Subspace:
    """One mapping of parameter name to dimension (immutable)."""

    def __init__(self, mapping: Mapping):
        if not isinstance(mapping, Mapping) or not mapping:
            raise ValueError(
                f"A search space must be a non-empty dict of parameter name to dimension. "
                f"Got {mapping!r} instead."
            )
        dims = {}
        for name, spec in mapping.items():
            if not isinstance(name, str):
                raise ValueError(f"Search space keys must be parameter names. Got {name!r}.")
            dims[name] = to_dimension(name, spec)
        self.names = tuple(sorted(dims))
        self.dimensions = tuple(dims[n] for n in self.names)
        self.n_features = sum(d.n_features for d in self.dimensions)

    def __len__(self):
        return len(self.names)

    def __repr__(self):
        return "{" + ", ".join(f"{n!r}: {d!r}" for n, d in zip(self.names, self.dimensions)) + "}"

    def __eq__(self, other):
        return isinstance(other, Subspace) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))

    def from_unit(self, u) -> dict:
        return {n: d.from_unit(x) for n, d, x in zip(self.names, self.dimensions, u)}

    def to_unit(self, params) -> np.ndarray:
        return np.array([d.to_unit(params[n]) for n, d in zip(self.names, self.dimensions)])

    def to_features(self, params) -> np.ndarray:
        return np.concatenate(
            [d.to_features(params[n]) for n, d in zip(self.names, self.dimensions)]
        )

    def from_features(self, z) -> dict:
        out, i = {}, 0
        for n, d in zip(self.names, self.dimensions):
            out[n] = d.from_features(z[i : i + d.n_features])
            i += d.n_features
        return out

    def sample(self, n, rng) -> list[dict]:
        rng = np.random.default_rng(rng)
        return [self.from_unit(u) for u in rng.random((n, len(self)))]

    def contains(self, params) -> bool:
        return set(params) == set(self.names) and all(
            d.contains(params[n]) for n, d in zip(self.names, self.dimensions)
        )

    def perturb(self, params, rng, *, names=None, factors=(0.8, 1.2), resample_probability=0.25):
        """Explore step of PBT: perturb ``names`` (default: all), or resample them."""
        rng = np.random.default_rng(rng)
        out = dict(params)
        for n, d in zip(self.names, self.dimensions):
            if names is not None and n not in names:
                continue
            if rng.random() < resample_probability:
                out[n] = d.from_unit(rng.random())
            else:
                out[n] = d.perturb(params[n], rng, factors)
        return out


class SearchSpace:
    """A search space: one or several (conditional) subspaces.

    Parameters
    ----------
    spaces : dict or list of dict
        A mapping of parameter name to dimension, or a list of such mappings
        (conditional sub-spaces, as ``GridSearchCV``'s list of grids). Values
        may be :class:`Real`, :class:`Integer`, :class:`Categorical`, plain lists
        (categorical), bounded ``scipy.stats`` distributions (``uniform``,
        ``loguniform``, ``randint``), scikit-optimize dimensions or
        ``(low, high[, prior])`` tuples. A list of ``(dict, n_iter)`` pairs, as
        scikit-optimize accepts, is read as a list of subspaces.

    Examples
    --------
    >>> from sktune import SearchSpace, Real
    >>> space = SearchSpace({"C": Real(1e-3, 1e3, log=True), "kernel": ["rbf", "linear"]})
    >>> len(space.sample(3, rng=0))
    3
    """

    def __init__(self, spaces):
        if isinstance(spaces, SearchSpace):
            self.subspaces = spaces.subspaces
            return
        if isinstance(spaces, Mapping):
            spaces = [spaces]
        if not isinstance(spaces, (list, tuple)) or len(spaces) == 0:
            raise ValueError(
                "A search space must be a dict or a non-empty list of dicts. "
                f"Got {spaces!r} instead."
            )
        subs = []
        for s in spaces:
            if isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], Mapping):
                s = s[0]  # skopt's (space, n_iter) form
            subs.append(s if isinstance(s, Subspace) else Subspace(s))
        self.subspaces = tuple(subs)

    def __repr__(self):
        return f"SearchSpace({list(self.subspaces)!r})"

    def __eq__(self, other):
        return isinstance(other, SearchSpace) and self.subspaces == other.subspaces

    def __hash__(self):
        return hash(self.subspaces)

    @property
    def names(self):
        seen = {}
        for s in self.subspaces:
            seen.update(dict.fromkeys(s.names))
        return tuple(seen)

    def subspace_of(self, params) -> int:
        for i, s in enumerate(self.subspaces):
            if s.contains(params):
                return i
        raise ValueError(f"{params!r} is not in the search space")

    def sample(self, n, rng) -> list[dict]:
        rng = np.random.default_rng(rng)
        k = len(self.subspaces)
        picks = rng.integers(k, size=n) if k > 1 else np.zeros(n, dtype=int)
        return [self.subspaces[i].sample(1, rng)[0] for i in picks]

    def perturb(self, params, rng, **kwargs) -> dict:
        return self.subspaces[self.subspace_of(params)].perturb(params, rng, **kwargs)

    def check_estimator_params(self, estimator, param_name="search_spaces"):
        """Raise if a name is not a parameter of ``estimator`` (nested names too)."""
        params = estimator.get_params(deep=True)
        valid = set(params)
        for s in self.subspaces:
            for name in s.names:
                if name not in valid and not _routed_by_prefix(estimator, params, name):
                    close = sorted(p for p in valid if p.split("__")[-1] == name.split("__")[-1])
                    hint = f" Did you mean {close[0]!r}?" if close else ""
                    raise ValueError(
                        f"The {param_name!r} parameter names {name!r}, which is not a parameter "
                        f"of {type(estimator).__name__}.{hint} Check the list with "
                        "estimator.get_params().keys()."
                    )


def _routed_by_prefix(estimator, params, name):
    """skorch-style ``module__width``: a prefix the (nested) estimator routes itself."""
    parts = name.split("__")
    for i in range(len(parts) - 1):
        owner = estimator if i == 0 else params.get("__".join(parts[:i]))
        routed = set(getattr(owner, "prefixes_", ()))
        if hasattr(owner, "initialize_module"):  # skorch: module__, criterion__, optimizer__
            routed |= skorch_prefixes(owner)
        if parts[i] in routed:
            return True
    return False
