"""Synthetic test functions for the optimiser benchmarks (all minimised).

Each :class:`TestFunction` holds its search space (sktune dimensions), its
known minimum ``f_min`` and a callable taking a parameter dict, so every
optimiser sees the same problem through its own space language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sktune.space import Categorical, Integer, Real


@dataclass(frozen=True)
class TestFunction:
    name: str
    space: dict
    f: Callable[[dict], float]
    f_min: float

    def __call__(self, params: dict) -> float:
        return float(self.f(params))

    def regret(self, value: float) -> float:
        return max(float(value) - self.f_min, 0.0)


def _vector(params, n):
    return np.array([params[f"x{i}"] for i in range(n)], dtype=float)


def _branin(p):
    x1, x2 = p["x0"], p["x1"]
    b, c = 5.1 / (4 * np.pi**2), 5 / np.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x1) + 10


_H6_A = np.array([
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
])
_H6_P = 1e-4 * np.array([
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(p):
    x = _vector(p, 6)
    return -float(_H6_ALPHA @ np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)))


def _rosenbrock5(p):
    x = _vector(p, 5)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _ackley5(p):
    x = _vector(p, 5)
    d = len(x)
    return float(
        -20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d))
        - np.exp(np.sum(np.cos(2 * np.pi * x)) / d) + 20 + np.e
    )


_MIXED_OFFSET = {"adam": 0.0, "sgd": 0.6, "rmsprop": 0.3, "adagrad": 1.2}
_MIXED_SCALE = {"adam": 1.0, "sgd": 2.0, "rmsprop": 0.5, "adagrad": 1.0}


def _mixed(p):
    """A smooth "training loss" over a real, a log-real, two integers and a categorical."""
    opt = p["optimizer"]
    s = _MIXED_SCALE[opt]
    return float(
        (p["x"] - 0.6) ** 2 * s
        + 0.5 * (np.log10(p["lr"]) + 2.5 + 0.5 * p["x"]) ** 2
        + ((p["units"] - 37) / 40) ** 2
        + 0.05 * abs(p["layers"] - 3)
        + _MIXED_OFFSET[opt]
    )


FUNCTIONS = {
    "branin": TestFunction(
        "Branin (2-D)", {"x0": Real(-5.0, 10.0), "x1": Real(0.0, 15.0)}, _branin, 0.397887357729738
    ),
    "hartmann6": TestFunction(
        "Hartmann-6", {f"x{i}": Real(0.0, 1.0) for i in range(6)}, _hartmann6, -3.322368011391339
    ),
    "rosenbrock5": TestFunction(
        "Rosenbrock-5", {f"x{i}": Real(-5.0, 10.0) for i in range(5)}, _rosenbrock5, 0.0
    ),
    "ackley5": TestFunction(
        "Ackley-5", {f"x{i}": Real(-32.768, 32.768) for i in range(5)}, _ackley5, 0.0
    ),
    "mixed": TestFunction(
        "Mixed (int/cat, 5-D)",
        {
            "x": Real(-2.0, 2.0),
            "lr": Real(1e-5, 1.0, log=True),
            "units": Integer(1, 256, log=True),
            "layers": Integer(1, 8),
            "optimizer": Categorical(["sgd", "adam", "rmsprop", "adagrad"]),
        },
        _mixed,
        0.0,
    ),
}
