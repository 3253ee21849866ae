"""Objectives of a multi-objective search, and the constraints on the refit choice.

An objective is a metric of ``scoring`` (maximised, as scikit-learn's scorers
are) or a cost sktune measures itself (minimised): ``fit_time`` and
``score_time`` (seconds per fold) and ``model_size`` (bytes of the pickled fold
model). Internally every objective is turned into one to maximise.
"""

from __future__ import annotations

import numbers

import numpy as np

from .pareto import pareto_ranks

__all__ = ["Objectives", "COSTS"]

#: What sktune measures itself, all minimised.
COSTS = ("fit_time", "score_time", "model_size")


class Objectives:
    """The objectives of a search and the constraints of its refit choice.

    Parameters
    ----------
    objectives : list of str or dict of str to {"max", "min"}
        Metric names of ``scoring`` and costs (:data:`COSTS`); a dict sets the
        direction of each (a metric is maximised and a cost minimised by default).
    constraints : dict of str to float or None
        Bounds the refit choice must meet: an upper bound for a minimised name,
        a lower bound for a maximised one (any metric or cost, objective or not).
    metrics : list of str
        The metric names of the search's ``scoring``.
    owner : str
        The search, named in error messages.
    """

    def __init__(self, objectives, constraints, metrics, owner):
        items = objectives.items() if isinstance(objectives, dict) else [
            (name, None) for name in objectives]
        self.names, self.signs = [], []
        for name, direction in items:
            self._check_name(name, metrics, owner, "objectives")
            if direction not in (None, "max", "min"):
                raise ValueError(f"The 'objectives' parameter of {owner}: the direction of "
                                 f"{name!r} must be 'max' or 'min'. Got {direction!r} instead.")
            default = "min" if name in COSTS else "max"
            self.names.append(name)
            self.signs.append(1.0 if (direction or default) == "max" else -1.0)
        if len(self.names) < 2:
            raise ValueError(f"The 'objectives' parameter of {owner} needs at least two "
                             f"objectives. Got {self.names}; for one, use 'scoring' and 'refit'.")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"The 'objectives' parameter of {owner} names an objective twice: "
                             f"{self.names}.")
        self.signs = np.array(self.signs)
        self.constraints = {}
        for name, bound in (constraints or {}).items():
            self._check_name(name, metrics, owner, "constraints")
            if not isinstance(bound, numbers.Real) or isinstance(bound, bool) or not np.isfinite(
                    bound):
                raise ValueError(f"The 'constraints' parameter of {owner}: the bound of "
                                 f"{name!r} must be a finite number. Got {bound!r} instead.")
            self.constraints[name] = float(bound)
        self.measure_size = "model_size" in self.names or "model_size" in self.constraints

    @staticmethod
    def _check_name(name, metrics, owner, param):
        if name not in metrics and name not in COSTS:
            raise ValueError(
                f"The {param!r} parameter of {owner} names {name!r}, which is neither a metric "
                f"of 'scoring' ({list(metrics)}) nor a cost sktune measures ({list(COSTS)}).")

    # -- values ------------------------------------------------------------------------------
    def sign_of(self, name):
        if name in self.names:
            return self.signs[self.names.index(name)]
        return -1.0 if name in COSTS else 1.0

    @staticmethod
    def value(row, name):
        """The row's mean of ``name`` over its folds (NaN when it failed)."""
        if any(e is not None for e in row["errors"]):
            return np.nan
        if name in COSTS:
            values = row.get(name)
            return float(np.mean(values)) if values is not None else np.nan
        return float(np.mean(row["test"][name])) if name in row["test"] else np.nan

    def maximised(self, rows):
        """Objective values of ``rows`` as an array to maximise, shape (n_rows, n_objectives)."""
        return np.array([[self.value(r, n) for n in self.names] for r in rows],
                        dtype=float).reshape(len(rows), len(self.names)) * self.signs

    def feasible(self, row):
        """Whether ``row`` meets every constraint."""
        for name, bound in self.constraints.items():
            v = self.value(row, name)
            if not np.isfinite(v) or (v > bound if self.sign_of(name) < 0 else v < bound):
                return False
        return True

    def describe(self):
        parts = [f"{'max' if s > 0 else 'min'} {n}" for n, s in zip(self.names, self.signs)]
        return ", ".join(parts)

    def describe_constraints(self):
        return " and ".join(f"{n} {'<=' if self.sign_of(n) < 0 else '>='} {b:g}"
                            for n, b in self.constraints.items())


def pareto_ranks_by_level(objectives, rows, levels):
    """Pareto rank of every row among the rows of its level (one budget), 1 = front."""
    ranks = np.zeros(len(rows), dtype=int)
    for level in np.unique(levels):
        idx = np.flatnonzero(levels == level)
        ranks[idx] = pareto_ranks(objectives.maximised([rows[i] for i in idx]))
    return ranks


def explain_choice(objectives, rows, index, metric, eligible, feasible):
    """One sentence: how row ``index`` was chosen as the best."""
    n_eligible, n_feasible = int(np.sum(eligible)), int(np.sum(feasible))
    value = Objectives.value(rows[index], metric)
    text = f"Row {index}: the best mean {metric} ({value:.4g})"
    if objectives.constraints:
        if n_feasible:
            text += (f" among the {n_feasible} of {n_eligible} results meeting "
                     f"{objectives.describe_constraints()}")
        else:
            text += (f" of all {n_eligible} results: none meets "
                     f"{objectives.describe_constraints()}")
    else:
        text += f" of the {n_eligible} results"
    costs = ", ".join(f"{n}={Objectives.value(rows[index], n):.4g}"
                      for n in objectives.names if n != metric)
    return text + (f" ({costs}); objectives: {objectives.describe()}." if costs else
                   f"; objectives: {objectives.describe()}.")
