"""Search spaces: explicit dimensions with a unit-cube transform.

Every dimension maps a value to a coordinate in ``[0, 1]`` (``to_unit`` /
``from_unit``), which is what samplers and perturbation work in, and to a
feature vector for surrogate models (``to_features``: one-hot for categoricals,
log scale where asked).
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping

import numpy as np

from ._compat import skorch_prefixes
from ._guess import agreement, parse_choice_guess, parse_range_guess
from ._warn import warn

__all__ = ["Real", "Integer", "Categorical", "Distribution", "SearchSpace", "Subspace"]


def _num(v):
    """``v`` as users read it: numpy scalars as plain numbers."""
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return repr(int(v))
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        return repr(float(v))
    return repr(v)


def _check_bounds(cls, low, high, log):
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
            raise ValueError(f"{cls}: '{name}' must be a finite number. Got {_num(v)} instead.")
    got = f"Got low={_num(low)}, high={_num(high)}"
    if low > high:
        raise ValueError(f"{cls}: 'low' must be smaller than 'high'. {got}; swap them.")
    if low == high:
        raise ValueError(f"{cls}: 'low' must be smaller than 'high'. {got}; for a fixed value "
                         f"give a list of one choice, [{_num(low)}].")
    if log and low <= 0:
        raise ValueError(
            f"{cls}: a log scale needs a positive 'low'. Got low={_num(low)}; "
            "use log=False or a positive lower bound."
        )


class _Dimension:
    """Common behaviour of the three dimension types (immutable)."""

    __slots__ = ()
    n_features = 1
    guess = None  # the user's belief (see sktune._guess); None: no belief

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **kwargs):
        for key, value in kwargs.items():
            object.__setattr__(self, key, value)

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        if "guess" in self.__slots__:  # pickled before guesses existed
            state = {"guess": None, **state}
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
        scikit-optimize's spelling of ``log``, accepted for migration (not a
        belief about the value: that is ``guess``).
    guess : float, (float, float), frozen scipy.stats distribution or None, default=None
        Your best guess of a good value, which the search tries first and weighs
        less as results come in (see :ref:`guesses`): a value (the centre, with
        a spread of 0.15), a ``(centre, spread)`` pair, the spread a fraction of
        the range in the search scale (log where ``log=True``), or a
        distribution of the value (``scipy.stats.norm(0.5, 0.1)``).

    Examples
    --------
    >>> from sktune import Real
    >>> Real(1e-4, 1e-1, log=True).from_unit(0.5)
    0.00316...
    >>> Real(1e-4, 1e-1, log=True, guess=(1e-2, 0.1))  # 1e-2, give or take 0.3 decades
    Real(0.0001, 0.1, log=True, guess=(0.01, 0.1))
    """

    __slots__ = ("low", "high", "log", "guess")

    def __init__(self, low, high, *, log=False, prior=None, guess=None):
        log = _prior_to_log(prior, log, "Real")
        _check_bounds("Real", low, high, log)
        self._set(low=float(low), high=float(high), log=bool(log), guess=None)
        if guess is not None:
            self._set(guess=parse_range_guess(self, guess, f"Real({_num(low)}, {_num(high)}"
                                              f"{', log=True' if log else ''})"))

    def __repr__(self):
        return f"Real({self.low!r}, {self.high!r}, log={self.log}{_guess_text(self)})"

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
        scikit-optimize's spelling of ``log`` (not a belief: that is ``guess``).
    guess : float, (float, float), frozen scipy.stats distribution or None, default=None
        Your best guess of a good value, as for :class:`Real`; a discrete
        distribution (``scipy.stats.poisson(3)``) gives each integer its
        probability.

    Examples
    --------
    >>> from sktune import Integer
    >>> Integer(1, 10).from_unit(1.0)
    10
    """

    __slots__ = ("low", "high", "log", "guess")

    def __init__(self, low, high, *, log=False, prior=None, guess=None):
        log = _prior_to_log(prior, log, "Integer")
        for name, v in (("low", low), ("high", high)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool):
                whole = (isinstance(v, numbers.Real) and not isinstance(v, bool)
                         and math.isfinite(v) and float(v).is_integer())
                raise ValueError(
                    f"Integer: '{name}' must be an int. Got {_num(v)} instead; "
                    + (f"write {int(v)}, or " if whole else "") + "use Real for a continuous range."
                )
        _check_bounds("Integer", low, high, log)
        self._set(low=int(low), high=int(high), log=bool(log), guess=None)
        if guess is not None:
            self._set(guess=parse_range_guess(self, guess, f"Integer({low}, {high}"
                                              f"{', log=True' if log else ''})"))

    def __repr__(self):
        return f"Integer({self.low!r}, {self.high!r}, log={self.log}{_guess_text(self)})"

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


class Distribution(_Dimension):
    """Any other frozen ``scipy.stats`` distribution, searched through its quantiles.

    What ``RandomizedSearchCV`` takes (``expon(scale=10)``, ``norm(0, 1)``,
    ``poisson(3)``...) is a dimension too: a point of the unit interval is mapped
    through the quantile function, so random proposals are draws from the
    distribution itself, and the models (GP, TPE) search the quantile scale with
    the distribution as a prior. Tails beyond the ``1e-6`` quantiles are cut off (an
    unbounded distribution has a finite range). A discrete distribution gives ints.
    Bounded ``uniform``, ``loguniform`` and ``randint`` become :class:`Real` and
    :class:`Integer` dimensions instead.

    Parameters
    ----------
    dist : frozen scipy.stats distribution

    Examples
    --------
    >>> from scipy.stats import expon
    >>> from sktune.space import Distribution
    >>> round(Distribution(expon(scale=10)).from_unit(0.5), 3)  # the median
    6.931
    """

    __slots__ = ("dist", "discrete", "low", "high", "log", "_text")
    _TAIL = 1e-6

    def __init__(self, dist):
        family = getattr(dist.dist, "name", type(dist.dist).__name__)
        args = [_num(a) for a in dist.args] + [f"{k}={_num(v)}" for k, v in dist.kwds.items()]
        text = f"scipy.stats.{family}({', '.join(args)})"
        with np.errstate(all="ignore"):
            low, high = float(dist.ppf(self._TAIL)), float(dist.ppf(1 - self._TAIL))
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise ValueError(f"{text} has no usable range (its {self._TAIL:g} and "
                             f"1 - {self._TAIL:g} quantiles are {low} and {high}); check its "
                             "parameters.")
        discrete = hasattr(dist.dist, "pmf")
        if discrete:
            low, high = int(low), int(high)
        self._set(dist=dist, discrete=discrete, low=low, high=high, log=False, _text=text)

    def __repr__(self):
        return f"Distribution({self._text})"

    def _value(self, v):
        return int(round(float(v))) if self.discrete else float(v)

    def to_unit(self, value):
        v = float(value)
        if self.discrete:  # the middle of the value's step of the CDF
            u = 0.5 * (float(self.dist.cdf(v - 1)) + float(self.dist.cdf(v)))
        else:
            u = float(self.dist.cdf(v))
        return min(max(u, 0.0), 1.0)

    def from_unit(self, u):
        u = min(max(float(u), self._TAIL), 1 - self._TAIL)
        return self._value(min(max(float(self.dist.ppf(u)), self.low), self.high))

    def contains(self, value):
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            return False
        if self.discrete and not float(value).is_integer():
            return False
        low, high = (float(b) for b in self.dist.support())
        return low <= value <= high

    def perturb(self, value, rng, factors=(0.8, 1.2)):
        """Multiply by one of ``factors`` (0 steps by a share of the range) and clip."""
        factor = factors[rng.integers(len(factors))]
        new = value * factor if value != 0 else (factor - 1) * (self.high - self.low)
        new = self._value(min(max(new, self.low), self.high))
        if self.discrete and new == value:
            step = 1 if factor > 1 else -1
            new = value + step if self.low <= value + step <= self.high else value - step
        return self._value(min(max(new, self.low), self.high))


class Categorical(_Dimension):
    """A dimension over a finite list of choices.

    Parameters
    ----------
    choices : sequence
        The values (any objects, hashable or not); at least one. A value that
        repeats an earlier one is dropped with a warning. Values are the same
        when they are one object, or of one type and equal: ``1``, ``True`` and
        ``1.0`` are three choices, and so are two estimators (compared by
        identity). A str is refused (``["abc"]`` is one choice), and so is a set
        (no fixed order).
    prior : None, default=None
        Accepted (and ignored) for scikit-optimize compatibility: without a
        ``guess`` choices are drawn uniformly.
    transform : None, default=None
        Accepted (and ignored) for scikit-optimize compatibility.
    guess : dict, list of float or None, default=None
        Your belief of which choices are good, as weights: ``{choice: weight}``
        (weights summing to at most 1 leave the rest to the choices not named)
        or one weight per choice; see :ref:`guesses`.

    Examples
    --------
    >>> from sktune import Categorical
    >>> Categorical(["relu", "tanh"]).from_unit(0.9)
    'tanh'
    >>> Categorical(["rbf", "linear", "poly"], guess={"rbf": 0.6})
    Categorical(['rbf', 'linear', 'poly'], guess=[0.6, 0.2, 0.2])
    """

    __slots__ = ("choices", "guess")

    def __init__(self, choices, *, prior=None, transform=None, guess=None):
        self._set(choices=tuple(_check_choices(choices, "Categorical")), guess=None)
        if guess is not None:
            self._set(guess=parse_choice_guess(self.choices, guess, "Categorical"))

    def __repr__(self):
        return f"Categorical({list(self.choices)!r}{_guess_text(self)})"

    @property
    def n_features(self):
        return len(self.choices)

    def index(self, value):
        # the choice that is ``value``, else one of its type equal to it, else any equal one
        for same in (_is, _same_choice, _safe_eq):
            for i, c in enumerate(self.choices):
                if same(c, value):
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


def _is(a, b):
    return a is b


def _same_choice(a, b):
    """One object, or equal values of one type (``1``, ``True``, ``1.0`` differ)."""
    return a is b or (type(a) is type(b) and _safe_eq(a, b))


def _check_choices(choices, where, warn_where=None):
    """The list of ``choices``, checked, with repeats dropped (a warning names them)."""
    if isinstance(choices, (str, bytes)):
        raise ValueError(f"{where}: 'choices' must be a list of values, not a str. Got "
                         f"{choices!r}; write [{choices!r}] for one choice.")
    if isinstance(choices, (set, frozenset)):
        raise ValueError(f"{where}: 'choices' must be a list, not a set: a set has no fixed "
                         "order, so one random_state would not give one search. Write "
                         "sorted(...) or a list.")
    try:
        choices = list(choices)
    except TypeError:
        raise ValueError(
            f"{where}: 'choices' must be a list of values. Got {choices!r} instead."
        ) from None
    if len(choices) == 0:
        raise ValueError(f"{where}: 'choices' is empty; give at least one value.")
    unique, repeats, seen = [], [], set()
    for c in choices:
        try:  # hashable values: by (type, value), as _same_choice compares them
            key = (type(c), c)
            repeated = key in seen
            seen.add(key)
        except Exception:  # unhashable, or an __eq__ that raises
            repeated = any(_same_choice(u, c) for u in unique)
        if not repeated:
            unique.append(c)
        elif not any(_same_choice(r, c) for r in repeats):
            repeats.append(c)
    if repeats:
        shown = ", ".join(repr(r) for r in repeats[:5]) + (", ..." if len(repeats) > 5 else "")
        left = repr(unique) if len(unique) <= 10 else f"{len(unique)} choices"
        warn(f"{warn_where or where}: the choices repeat {shown}; the repeats are dropped, "
             f"leaving {left}.")
    return unique


_PRIORS = ("uniform", "log-uniform", "loguniform")


def _prior_to_log(prior, log, cls):
    if prior is None:
        return log
    if prior in ("log-uniform", "loguniform"):
        return True
    if prior == "uniform":
        return False
    hint = ""
    if not isinstance(prior, str):  # a belief about the value, in the wrong keyword
        hint = "; a best guess of the value (a centre, or a distribution) goes in 'guess='"
    raise ValueError(f"{cls}: 'prior' must be 'uniform' or 'log-uniform' (scikit-optimize's "
                     f"scale). Got {prior!r} instead{hint}.")


def _guess_text(dim):
    return "" if dim.guess is None else f", guess={dim.guess!r}"


def to_dimension(name, spec, *, where=None):
    """Turn what users write (skopt, scipy.stats, lists) into a dimension.

    ``where`` names the entry in messages (default: "Search space entry 'name'").
    """
    where = where or f"Search space entry {name!r}"
    try:
        return _to_dimension(spec, where)
    except (ValueError, TypeError) as exc:
        if str(exc).startswith(where):
            raise
        raise (TypeError if isinstance(exc, TypeError) else ValueError)(
            f"{where}: {exc}") from None


def _to_dimension(spec, where):
    if isinstance(spec, _Dimension):
        return spec
    if _is_skopt_dimension(spec):
        return _from_skopt(spec)
    if hasattr(spec, "rvs") and hasattr(spec, "dist"):
        return _from_scipy(spec)
    if hasattr(spec, "rvs") and hasattr(spec, "freeze"):  # scipy.stats.norm itself
        name = getattr(spec, "name", "")
        try:  # with its default parameters, as scipy's rvs draws it
            return _from_scipy(spec())
        except (TypeError, ValueError):
            form = _SCIPY_FORMS.get(name, (f"{name}(...)",))[0]
            raise ValueError(f"scipy.stats.{name} must be frozen with its parameters, as "
                             f"scipy.stats.{form}. Got the distribution itself.") from None
    if isinstance(spec, range):  # as scikit-learn's searches take it: these choices
        if spec.step == 1 and len(spec) > 1:
            return Integer(spec.start, spec.stop - 1)
        return Categorical(_check_choices(list(spec), "Categorical", warn_where=where))
    if isinstance(spec, tuple) and len(spec) >= 2 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in spec[:2]
    ):
        if len(spec) == 2 or (len(spec) == 3 and isinstance(spec[2], str)):
            return _from_tuple(spec)  # skopt's (low, high[, prior])
        if any(isinstance(v, str) and v in _PRIORS for v in spec[2:]):
            raise ValueError(f"a (low, high, prior) tuple has 3 items. Got {len(spec)} items, "
                             f"{_tuple_text(spec)}; for a list of choices write a list.")
    if isinstance(spec, (list, tuple, np.ndarray)):
        return Categorical(_check_choices(spec, "Categorical", warn_where=where))
    one = f"; for one fixed choice write [{spec!r}]" if isinstance(spec, str) else ""
    raise ValueError(
        "must be a Real, Integer or Categorical, a list of choices, a scipy.stats "
        f"distribution or a (low, high[, prior]) tuple. Got {spec!r} instead{one}."
    )


def _tuple_text(spec):
    return "(" + ", ".join(_num(v) for v in spec) + ")"


def _from_tuple(spec):
    low, high = spec[0], spec[1]
    prior = spec[2] if len(spec) == 3 else "uniform"
    if not (isinstance(prior, str) and prior in _PRIORS):
        raise ValueError(
            "the third item of a (low, high, prior) tuple must be the prior 'uniform' or "
            f"'log-uniform'. Got {prior!r} instead; for a list of choices write a list, "
            f"[{_tuple_text(spec)[1:-1]}]."
        )
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


# the scipy.stats families read as dimensions: (call form, what valid parameters are)
_SCIPY_FORMS = {
    "uniform": ("uniform(loc, scale)", "covers [loc, loc + scale] and needs a finite scale > 0"),
    "loguniform": ("loguniform(a, b)", "needs 0 < a < b"),
    "reciprocal": ("reciprocal(a, b)", "needs 0 < a < b"),
    "randint": ("randint(low, high)", "draws low, ..., high - 1 and needs low < high"),
}


def _from_scipy(dist):
    family = getattr(dist.dist, "name", "")
    args = [_num(a) for a in dist.args] + [f"{k}={_num(v)}" for k, v in dist.kwds.items()]
    text = f"scipy.stats.{family}({', '.join(args)})"
    if family not in _SCIPY_FORMS:  # expon, norm, poisson...: searched by quantiles
        return Distribution(dist)
    form, needs = _SCIPY_FORMS[family]
    with np.errstate(all="ignore"):  # invalid parameters give a NaN support
        low, high = (float(v) for v in dist.support())
    if math.isnan(low) or math.isnan(high):
        raise ValueError(f"{text} has invalid parameters (its support is ({low}, {high})): "
                         f"{form} {needs}.")
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{text} is not bounded (its support is [{low}, {high}]).")
    if family == "randint":
        if low == high:
            raise ValueError(f"{text} draws the one value {int(low)}; for a fixed value give a "
                             f"list of one choice, [{int(low)}], or widen it ({form} {needs}).")
        return Integer(int(low), int(high))
    if family == "uniform":
        return Real(low, high)
    loc = dist.kwds.get("loc", dist.args[2] if len(dist.args) > 2 else 0)
    if loc != 0:  # a + scale * Y is log-uniform only for a = 0
        raise ValueError(f"{text} is shifted by loc={_num(loc)}, which is not log-uniform any "
                         "more; drop loc (scale is fine), or write Real(low, high, log=True).")
    return Real(low, high, log=True)


class _Where:
    """Where an entry sits, for messages: the parameter of a search and a sub-space index."""

    def __init__(self, owner=None, index=None):
        self.owner, self.index = owner, index  # owner: "The 'search_spaces' parameter of X"

    def entry(self, name):
        at = f"entry {name!r}" + ("" if self.index is None else
                                  f" of the sub-space at index {self.index}")
        return f"{self.owner}: {at}" if self.owner else f"Search space {at}"

    def whole(self, text):
        """``text`` ("must be ...") said of the sub-space, or of the whole space."""
        if self.index is not None:
            return f"{self.owner or 'Search space'}: the sub-space at index {self.index} {text}"
        return f"{self.owner} {text}" if self.owner else f"A search space {text}"


class Subspace:
    """One mapping of parameter name to dimension (immutable)."""

    def __init__(self, mapping: Mapping, *, _where=None):
        where = _where or _Where()
        if not isinstance(mapping, Mapping):  # {} is one configuration: the estimator's own
            raise ValueError(where.whole(
                f"must be a dict of parameter name to dimension. Got {mapping!r} instead."
            ))
        dims = {}
        for name, spec in mapping.items():
            if not isinstance(name, str):
                raise ValueError(f"{where.entry(name)}: the keys must be parameter names (str). "
                                 f"Got {name!r} ({type(name).__name__}) instead.")
            dims[name] = to_dimension(name, spec, where=where.entry(name))
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

    @property
    def has_guess(self) -> bool:
        """Whether any dimension holds a ``guess``."""
        return any(d.guess is not None for d in self.dimensions)

    def through_guess(self, U, gamma=1.0) -> np.ndarray:
        """Uniform points ``U`` (rows in the unit cube) moved to follow the guesses.

        Each column of a dimension with a ``guess`` goes through the quantile
        function of the guess raised to ``gamma`` (1: the guess itself; towards
        0: flatter); the other columns are returned as they are.
        """
        U = np.array(U, dtype=float, copy=True)
        for j, d in enumerate(self.dimensions):
            if d.guess is not None:
                U[..., j] = d.guess.ppf(U[..., j], gamma)
        return U

    def log_guess(self, params_list) -> np.ndarray:
        """The guesses' joint log density (on the unit cube) at each configuration."""
        out = np.zeros(len(params_list))
        for n, d in zip(self.names, self.dimensions):
            if d.guess is not None:
                out += d.guess.log_density([d.to_unit(p[n]) for p in params_list])
        return out

    def guess_agreement(self, observed) -> float:
        """How far ``observed`` ``(params, score)`` pairs bear the guesses out, in [0, 1]
        (see :func:`sktune._guess.agreement`); only this subspace's pairs count."""
        pairs = [(p, s) for p, s in observed if self.contains(p)]
        if len(pairs) < 4:
            return 1.0
        return agreement(self.log_guess([p for p, _ in pairs]), [s for _, s in pairs])

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
        (categorical), frozen ``scipy.stats`` distributions (``uniform``,
        ``loguniform`` and ``randint`` as :class:`Real` and :class:`Integer`, others as a
        :class:`Distribution`), scikit-optimize dimensions or
        ``(low, high[, prior])`` tuples. A list of ``(dict, n_iter)`` pairs, as
        scikit-optimize accepts, is a list of subspaces with a number of trials
        each (see ``n_iters``; :class:`~sktune.BayesSearchCV` runs exactly that
        many in each). Repeated choices are dropped with a warning (see
        :class:`Categorical`); errors name the entry and its sub-space (its
        index in the list).

    Attributes
    ----------
    subspaces : tuple of Subspace
        The subspaces, in the order given.
    n_iters : tuple of int or None
        The trials asked for each subspace by a ``(dict, n_iter)`` pair; None
        for a subspace given without a count.

    Examples
    --------
    >>> from sktune import SearchSpace, Real
    >>> space = SearchSpace({"C": Real(1e-3, 1e3, log=True), "kernel": ["rbf", "linear"]})
    >>> len(space.sample(3, rng=0))
    3
    """

    def __init__(self, spaces):
        self.subspaces, self.n_iters = _subspaces(spaces, None)

    @classmethod
    def _from_param(cls, spaces, param, owner):
        """The space of the ``param`` parameter of ``owner``: messages name both."""
        space = cls.__new__(cls)
        space.subspaces, space.n_iters = _subspaces(
            spaces, f"The {param!r} parameter of {type(owner).__name__}")
        return space

    def _with_n_iters(self, n_iters):
        """A copy with these per-subspace trial counts (None: no count)."""
        space = type(self).__new__(type(self))
        space.subspaces, space.n_iters = self.subspaces, tuple(n_iters)
        return space

    def __repr__(self):
        if any(n is not None for n in self.n_iters):
            pairs = [(s, n) for s, n in zip(self.subspaces, self.n_iters)]
            return f"SearchSpace({pairs!r})"
        return f"SearchSpace({list(self.subspaces)!r})"

    def __eq__(self, other):
        return isinstance(other, SearchSpace) and self.subspaces == other.subspaces and (
            self.n_iters == other.n_iters)

    def __hash__(self):
        return hash((self.subspaces, self.n_iters))

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

    def check_estimator_params(self, estimator, param_name="search_spaces", owner=None):
        """Raise if a name is not a parameter of ``estimator`` (nested names too).

        ``owner``, the search, is named in the message.
        """
        params = estimator.get_params(deep=True)
        valid = set(params)
        of = "" if owner is None else f" of {type(owner).__name__}"
        for i, s in enumerate(self.subspaces):
            for name in s.names:
                if name not in valid and not _routed_by_prefix(estimator, params, name) and (
                        not _set_params_takes(estimator, s, name)):
                    close = sorted(p for p in valid if p.split("__")[-1] == name.split("__")[-1])
                    close = close or difflib.get_close_matches(name, sorted(valid), n=1)
                    hint = f" Did you mean {close[0]!r}?" if close else ""
                    where = _Where(f"The {param_name!r} parameter{of}",
                                   i if len(self.subspaces) > 1 else None)
                    raise ValueError(
                        f"{where.entry(name)} is not a parameter of {type(estimator).__name__}."
                        f"{hint} Check the list with estimator.get_params().keys()."
                    )


def _subspaces(spaces, owner):
    """``(subspaces, n_iters)``: the subspaces and the count of each ``(dict, n_iter)``."""
    if isinstance(spaces, SearchSpace):
        return spaces.subspaces, spaces.n_iters
    if isinstance(spaces, Mapping):
        spaces = [spaces]
    if not isinstance(spaces, (list, tuple)) or len(spaces) == 0:
        raise ValueError(_Where(owner).whole(
            f"must be a dict or a non-empty list of dicts. Got {spaces!r} instead."))
    subs, counts = [], []
    for i, s in enumerate(spaces):
        where = _Where(owner, None if len(spaces) == 1 else i)
        n_iter = None
        if _is_counted(s):  # scikit-optimize's (space, n_iter) form
            s, n_iter = s
            if not isinstance(n_iter, numbers.Integral) or isinstance(n_iter, bool) or (
                    n_iter < 1):
                raise ValueError(where.whole(
                    f"is given as a (space, n_iter) pair whose n_iter must be an int >= 1 "
                    f"(the trials to run in that sub-space). Got {n_iter!r} instead."))
            n_iter = int(n_iter)
        subs.append(s if isinstance(s, Subspace) else Subspace(s, _where=where))
        counts.append(n_iter)
    return tuple(subs), tuple(counts)


def _is_counted(entry):
    return isinstance(entry, tuple) and len(entry) == 2 and isinstance(
        entry[0], (Mapping, Subspace)) and not isinstance(entry[1], (Mapping, Subspace))


def _set_params_takes(estimator, subspace, name):
    """Whether ``set_params`` of a copy of ``estimator`` takes ``name`` (with a value of
    its dimension), as the search will set it: along with the searched parameters it is
    nested in (``clf__C`` where ``clf`` is searched among estimators), and on estimators
    whose ``set_params`` takes more than ``get_params`` lists."""
    from sklearn.base import clone

    point = subspace.from_unit(np.full(len(subspace), 0.5))
    given = {k: v for k, v in point.items() if k == name or name.startswith(k + "__")}
    try:
        clone(estimator).set_params(**clone(given, safe=False))
    except Exception:  # noqa: BLE001 - any refusal: the name is not a parameter
        return False
    return True


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
