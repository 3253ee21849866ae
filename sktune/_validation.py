"""A small parameter-constraint checker (scikit-learn's own one is private).

Messages follow scikit-learn's form: "The 'factor' parameter of
HyperbandSearchCV must be an int in the range [2, inf). Got 1 instead."
"""

from __future__ import annotations

import math
import numbers


class Interval:
    """Numbers of ``kind`` (int or float) in ``[low, high]`` (``closed`` says which ends)."""

    def __init__(self, kind, low, high, closed="both"):
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def __call__(self, v):
        if isinstance(v, bool):
            return False
        kinds = numbers.Integral if self.kind is int else numbers.Real
        if not isinstance(v, kinds) or (self.kind is float and not math.isfinite(v)):
            return False
        lo_ok = self.low is None or (
            v >= self.low if self.closed in ("both", "left") else v > self.low
        )
        hi_ok = self.high is None or (
            v <= self.high if self.closed in ("both", "right") else v < self.high
        )
        return lo_ok and hi_ok

    def __str__(self):
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        lo = "-inf" if self.low is None else self.low
        hi = "inf" if self.high is None else self.high
        name = "an int" if self.kind is int else "a float"
        return f"{name} in the range {left}{lo}, {hi}{right}"


class Options:
    """One of a fixed set of values (strings usually)."""

    def __init__(self, *values):
        self.values = values

    def __call__(self, v):
        return any(v is x or (type(v) is type(x) and v == x) for x in self.values)

    def __str__(self):
        return "a str among {" + ", ".join(repr(v) for v in self.values) + "}"


class Check:
    """Any value ``predicate`` accepts, described by ``text``."""

    def __init__(self, predicate, text):
        self.predicate, self.text = predicate, text

    def __call__(self, v):
        return bool(self.predicate(v))

    def __str__(self):
        return self.text


NONE = Check(lambda v: v is None, "None")
BOOL = Check(lambda v: isinstance(v, bool), "a bool")
CALLABLE = Check(callable, "a callable")


def validate_params(owner, params, constraints):
    """Raise ``ValueError`` naming the first parameter that fits none of its constraints."""
    for name, options in constraints.items():
        value = params[name]
        if any(check(value) for check in options):
            continue
        texts = [str(c) for c in options]
        allowed = texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]
        raise ValueError(
            f"The {name!r} parameter of {type(owner).__name__} must be {allowed}. "
            f"Got {value!r} instead."
        )
