"""Hyperparameter importance of a fitted search: functional ANOVA on a random forest.

A random forest (scikit-learn's) is fitted to the search's results, mapping each
configuration, in the unit cube of the search space, to its mean CV score. The
importance of a hyperparameter is the share of the forest's variance over the
space that its main effect explains (its first-order Sobol index), the quantity
fANOVA (Hutter et al., 2014) computes: here it is estimated per tree by Monte
Carlo over the space (uniform in each dimension's unit scale), then averaged over
the trees, which also gives its spread. The main effects themselves are the
marginal curves (the forest's prediction averaged over all other parameters).

Hyperband and PBT results carry a budget: by default only the rows at the
largest budget count (where there are at least 20), else the budget is a
further input of the forest, held at its largest value while averaging.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from .space import Categorical, SearchSpace

__all__ = ["HyperparameterImportance", "hyperparameter_importance", "importance_from_cv_results",
           "ImportanceDisplay"]

_MIN_ROWS = 8  # fewer results cannot support a forest's estimate
_ENOUGH_AT_TOP = 20  # results at the largest budget to use those alone


@dataclass
class HyperparameterImportance:
    """The result of :func:`hyperparameter_importance`.

    Parameters
    ----------
    importances : dict of str to float
        Share of the explained variance of each hyperparameter's main effect,
        largest first; they sum to 1.
    std : dict of str to float
        Spread of each importance over the forest's trees (normalised the same way).
    first_order : dict of str to float
        Each main effect's share of the *total* variance; ``1 - sum`` is left to
        interactions between hyperparameters.
    marginals : dict of str to tuple
        ``(values, mean, std)`` of each main effect: the hyperparameter's values
        (its choices, or a grid on its scale) and the forest's mean score there.
    n_results : int
        Results the forest was fitted on.
    metric : str
        The score the importances explain.

    Examples
    --------
    >>> from sktune.importance import HyperparameterImportance
    >>> imp = HyperparameterImportance({"alpha": 0.8, "penalty": 0.2}, {"alpha": 0.05,
    ...     "penalty": 0.05}, {"alpha": 0.7, "penalty": 0.15}, {}, n_results=20)
    >>> round(1 - sum(imp.first_order.values()), 2)  # left to interactions
    0.15
    """

    importances: dict
    std: dict
    first_order: dict
    marginals: dict = field(repr=False)
    n_results: int = 0
    metric: str = "score"


def hyperparameter_importance(search, *, metric=None, n_trees=64, n_samples=256,
                              n_grid=24, random_state=0):
    """How much each hyperparameter mattered to a fitted search's score.

    Parameters
    ----------
    search : BayesSearchCV, HyperbandSearchCV or PopulationSearchCV
        A fitted search.
    metric : str, default=None
        The metric (for multi-metric scoring); by default the refit metric.
    n_trees : int, default=64
        Trees of the random forest fitted to the results.
    n_samples : int, default=256
        Points of the space each main effect is averaged over.
    n_grid : int, default=24
        Grid points of a numeric hyperparameter's main effect.
    random_state : int, default=0
        Seeds the forest and the points.

    Returns
    -------
    importance : HyperparameterImportance

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sktune import BayesSearchCV, Categorical, Real
    >>> from sktune.importance import hyperparameter_importance
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = BayesSearchCV(Ridge(), {"alpha": Real(1e-3, 1e3, log=True),
    ...                                  "fit_intercept": Categorical([True, False])},
    ...                        n_iter=12, cv=3, random_state=0).fit(X, y)
    >>> imp = hyperparameter_importance(search)
    >>> sorted(imp.importances) == ["alpha", "fit_intercept"]
    True
    """
    metric = _metric_of(search, search.cv_results_, metric)
    space = SearchSpace(getattr(search, search._space_param))
    return importance_from_cv_results(search.cv_results_, space, metric=metric,
                                      n_trees=n_trees, n_samples=n_samples, n_grid=n_grid,
                                      random_state=random_state)


def importance_from_cv_results(results, space, *, metric="score", n_trees=64, n_samples=256,
                               n_grid=24, random_state=0):
    """:func:`hyperparameter_importance` from ``cv_results_`` and the searched space.

    Parameters
    ----------
    results : dict
        A search's ``cv_results_`` (or one rebuilt from its journal).
    space : SearchSpace, dict or list of dict
        The space the results were searched in.
    metric : str, default="score"
        The metric whose ``mean_test_<metric>`` is explained.
    n_trees, n_samples, n_grid, random_state :
        As for :func:`hyperparameter_importance`.

    Returns
    -------
    importance : HyperparameterImportance

    Examples
    --------
    >>> import numpy as np
    >>> from sktune import Real
    >>> from sktune.importance import importance_from_cv_results
    >>> rng = np.random.default_rng(0)
    >>> params = [{"a": float(a), "b": float(b)} for a, b in rng.random((30, 2))]
    >>> scores = np.array([-(p["a"] - 0.5) ** 2 for p in params])  # only a matters
    >>> imp = importance_from_cv_results({"params": params, "mean_test_score": scores},
    ...                                  {"a": Real(0, 1), "b": Real(0, 1)})
    >>> next(iter(imp.importances))
    'a'
    """
    space = SearchSpace(space)
    if f"mean_test_{metric}" not in results:
        raise ValueError(f"metric={metric!r} is not a metric of these results.")
    sub, rows = _rows_of_one_subspace(space, results, metric)
    budgets = _budgets(results, rows)
    if budgets is not None and np.sum(budgets == budgets.max()) >= _ENOUGH_AT_TOP:
        rows, budgets = rows[budgets == budgets.max()], None
    if len(rows) < _MIN_ROWS:
        raise ValueError(
            f"hyperparameter_importance needs at least {_MIN_ROWS} successful results of one "
            f"subspace; this search has {len(rows)}. Run more trials (n_iter) first."
        )
    X = np.array([sub.to_unit(results["params"][i]) for i in rows])
    if budgets is not None:
        X = np.column_stack([X, _unit(np.log(budgets))])
    y = np.asarray(results[f"mean_test_{metric}"], dtype=float)[rows]
    forest = RandomForestRegressor(n_estimators=n_trees, min_samples_leaf=2,
                                   random_state=random_state).fit(X, y)
    rng = np.random.default_rng(random_state)
    base = rng.random((n_samples, X.shape[1]))
    if budgets is not None:
        base[:, -1] = 1.0  # the largest budget
    effects = {name: _main_effect(forest, base, j, _grid(dim, n_grid))
               for j, (name, dim) in enumerate(zip(sub.names, sub.dimensions))}
    total = np.array([tree.predict(base).var() for tree in forest.estimators_])
    return _summarise(effects, total, sub, len(rows), metric)


def _metric_of(search, results, metric):
    if metric is None:
        refit = getattr(search, "refit", True)
        metric = refit if isinstance(refit, str) else "score"
    if f"mean_test_{metric}" not in results:
        names = sorted(k[len("mean_test_"):] for k in results if k.startswith("mean_test_"))
        raise ValueError(f"metric={metric!r} is not a metric of this search; it has {names}.")
    return metric


def _rows_of_one_subspace(space, results, metric):
    """The subspace with the most successful results, and those rows."""
    scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
    by_sub: dict[int, list[int]] = {}
    for i, params in enumerate(results["params"]):
        if np.isfinite(scores[i]):
            try:
                by_sub.setdefault(space.subspace_of(params), []).append(i)
            except ValueError:
                continue
    if not by_sub:
        return space.subspaces[0], np.array([], dtype=int)
    best = max(by_sub, key=lambda k: (len(by_sub[k]), -k))
    return space.subspaces[best], np.array(by_sub[best])


def _budgets(results, rows):
    if "n_resources" not in results:
        return None
    budgets = np.asarray(results["n_resources"], dtype=float)[rows]
    return None if np.ptp(budgets) == 0 else budgets


def _unit(values):
    span = np.ptp(values)
    return (values - values.min()) / span if span else np.zeros_like(values)


def _grid(dim, n_grid):
    if isinstance(dim, Categorical):
        return np.array([dim.to_unit(c) for c in dim.choices])
    return (np.arange(n_grid) + 0.5) / n_grid


def _main_effect(forest, base, j, grid):
    """Per tree: the prediction at each grid value, averaged over ``base``."""
    points = np.tile(base, (len(grid), 1))
    points[:, j] = np.repeat(grid, len(base))
    per_tree = np.array([tree.predict(points) for tree in forest.estimators_])
    return grid, per_tree.reshape(len(forest.estimators_), len(grid), len(base)).mean(axis=2)


def _summarise(effects, total, sub, n_rows, metric):
    var = {name: curve.var(axis=1) for name, (_, curve) in effects.items()}  # per tree
    explained = np.sum(list(var.values()), axis=0)
    safe = np.where(explained > 0, explained, 1.0)
    share = {n: v / safe for n, v in var.items()}
    order = sorted(share, key=lambda n: -share[n].mean())
    marginals = {}
    for name, dim in zip(sub.names, sub.dimensions):
        grid, curve = effects[name]
        values = list(dim.choices) if isinstance(dim, Categorical) else [
            dim.from_unit(u) for u in grid]
        marginals[name] = (values, curve.mean(axis=0), curve.std(axis=0))
    return HyperparameterImportance(
        importances={n: float(share[n].mean()) for n in order},
        std={n: float(share[n].std()) for n in order},
        first_order={n: float(np.mean(var[n] / np.where(total > 0, total, 1.0))) for n in order},
        marginals={n: marginals[n] for n in order}, n_results=n_rows, metric=metric,
    )


class ImportanceDisplay:
    """Bar chart of hyperparameter importances, and the main-effect curves.

    Create it with :meth:`from_search`.

    Parameters
    ----------
    importance : HyperparameterImportance
        What :func:`hyperparameter_importance` returned.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    bars_ : matplotlib BarContainer

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sktune.importance import HyperparameterImportance, ImportanceDisplay
    >>> imp = HyperparameterImportance({"alpha": 0.8, "penalty": 0.2}, {"alpha": 0.05,
    ...     "penalty": 0.05}, {"alpha": 0.7, "penalty": 0.15}, {}, n_results=20)
    >>> len(ImportanceDisplay(imp).plot().bars_)
    2
    """

    def __init__(self, importance):
        self.importance = importance

    @classmethod
    def from_search(cls, search, *, metric=None, ax=None, plot=True, **kwargs):
        """Compute the importances of a fitted search and draw them.

        Parameters
        ----------
        search : BayesSearchCV, HyperbandSearchCV or PopulationSearchCV
            A fitted search.
        metric : str, default=None
            The metric; by default the refit metric.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        plot : bool, default=True
            Draw at once.
        **kwargs
            Passed to :func:`hyperparameter_importance`.

        Returns
        -------
        display : ImportanceDisplay
        """
        disp = cls(hyperparameter_importance(search, metric=metric, **kwargs))
        return disp.plot(ax=ax) if plot else disp

    def plot(self, ax=None):
        """Horizontal bars, most important on top, with their spread over the trees.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.

        Returns
        -------
        display : ImportanceDisplay
            The display, with ``ax_``, ``figure_`` and ``bars_``.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.45 * len(self.importance.importances) + 1.2))
        names = list(self.importance.importances)[::-1]
        self.bars_ = ax.barh(names, [self.importance.importances[n] for n in names],
                             xerr=[self.importance.std[n] for n in names], color="tab:blue")
        ax.set_xlabel(f"importance (share of explained variance of mean CV "
                      f"{self.importance.metric})")
        ax.set_xlim(0, 1)
        ax.set_title(f"Hyperparameter importance ({self.importance.n_results} results)")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def plot_marginals(self, n_top=3, axes=None):
        """The main effect of the ``n_top`` most important hyperparameters, one axes each.

        Parameters
        ----------
        n_top : int, default=3
            How many hyperparameters to draw.
        axes : sequence of matplotlib Axes, default=None
            One per hyperparameter; a new figure by default.

        Returns
        -------
        display : ImportanceDisplay
            The display, with ``marginal_axes_``.
        """
        import matplotlib.pyplot as plt

        names = list(self.importance.importances)[:n_top]
        if axes is None:
            _, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.2), squeeze=False)
            axes = axes[0]
        for ax, name in zip(axes, names):
            values, mean, std = self.importance.marginals[name]
            if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                   for v in values) and len(values) > 2:
                ax.plot(values, mean, color="tab:blue")
                ax.fill_between(values, mean - std, mean + std, alpha=0.25, color="tab:blue")
                if min(values) > 0 and max(values) / min(values) > 100:
                    ax.set_xscale("log")
            else:
                ax.bar([str(v) for v in values], mean, yerr=std, color="tab:blue")
            ax.set_xlabel(name)
            ax.set_ylabel(f"mean CV {self.importance.metric} (marginal)")
        self.marginal_axes_ = list(axes)
        return self
