"""Plots of a search, as scikit-learn style Display objects.

Each display is built with ``XDisplay.from_search(search)`` (a fitted search) or
``XDisplay.from_cv_results(cv_results, ...)`` (its ``cv_results_``, or a DataFrame
of it), and drawn with ``.plot(ax=None)``, which stores the matplotlib axes in
``ax_`` and the figure in ``figure_``:

- :class:`ConvergenceDisplay`: the score of every result in the order recorded, and
  the best score so far;
- :class:`RungDisplay`: Hyperband's score against resource for every trial, a line
  per trial so promotions show as lines that go on to the next rung;
- :class:`LineageDisplay`: population based training's members over time, exploits
  as jumps from the member copied, and a hyperparameter's schedule;
- :class:`ParallelCoordinatesDisplay`: every trial as a line across the
  hyperparameters, coloured by score.

matplotlib is an optional dependency (``pip install sktune[plot]``); it is imported
only when a display is drawn.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "ConvergenceDisplay",
    "RungDisplay",
    "LineageDisplay",
    "ParallelCoordinatesDisplay",
]


# -- helpers --------------------------------------------------------------------------------
def _pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{caller} requires matplotlib. Install it with `pip install sktune[plot]` "
            "(or `pip install matplotlib`)."
        ) from exc
    return plt


def _get_ax(ax, caller):
    plt = _pyplot(caller)
    if ax is None:
        _, ax = plt.subplots()
    return ax, ax.figure


def _columns(cv_results):
    """``cv_results_`` (dict or DataFrame) as a dict of 1-d sequences."""
    if hasattr(cv_results, "to_dict") and hasattr(cv_results, "columns"):  # DataFrame
        return {c: list(cv_results[c]) for c in cv_results.columns}
    if not isinstance(cv_results, dict) or "params" not in cv_results:
        raise TypeError(
            "cv_results must be a search's cv_results_ (a dict with a 'params' key) or a "
            f"pandas DataFrame of it. Got {type(cv_results).__name__} instead."
        )
    return cv_results


def _metric_key(results, metric):
    if metric is None:
        if "mean_test_score" in results:
            return "mean_test_score", "score"
        keys = sorted(k for k in results if k.startswith("mean_test_"))
        if not keys:
            raise ValueError("cv_results has no 'mean_test_*' column.")
        return keys[0], keys[0][len("mean_test_"):]
    key = f"mean_test_{metric}"
    if key not in results:
        found = sorted(k[len("mean_test_"):] for k in results if k.startswith("mean_test_"))
        raise ValueError(f"The 'metric' parameter must be one of {found}. Got {metric!r} instead.")
    return key, metric


def _search_metric(search, metric):
    if metric is not None:
        return metric
    refit = getattr(search, "refit", True)
    return refit if isinstance(refit, str) else None


def _results_of(search, caller):
    results = getattr(search, "cv_results_", None)
    if results is None:
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"{caller}.from_search needs a fitted search: call fit before plotting."
        )
    return results


def _float(values):
    out = np.empty(len(values), dtype=float)
    for i, v in enumerate(values):
        try:
            out[i] = float(v) if v is not None and v is not np.ma.masked else np.nan
        except (TypeError, ValueError):
            out[i] = np.nan
    return out


def _optional(results, key, n, default=None):
    if key in results:
        return list(results[key])
    return [default] * n


# -- convergence ----------------------------------------------------------------------------
class ConvergenceDisplay:
    """Score of every result in the order recorded, and the best score so far.

    Create it with :meth:`from_search` or :meth:`from_cv_results`. Draw several
    searches on one axes to compare them (``plot(ax=ax)`` with a ``name`` each).

    Parameters
    ----------
    x : ndarray of shape (n_results,)
        Position of each result: its rank in the order recorded, or the
        cumulative training time when it finished.
    scores : ndarray of shape (n_results,)
        Mean cross-validated score of each result (NaN for failed trials).
    n_resources : ndarray of shape (n_results,), default=None
        Resource of each result (Hyperband, PBT); results with less than the most
        are drawn lighter, and only those with the most count for the best so far
        (the legend says so).
    metric_name : str, default="score"
        Name of the metric, for the axis label.
    x_label : str, default="result (in the order finished)"
        Label of the x axis.
    name : str, default=None
        Name of the search, for the legend.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.
    points_ : matplotlib PathCollection
        The scores of the results.
    line_ : matplotlib Line2D
        The best score so far.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sktune import BayesSearchCV, Real
    >>> from sktune.plots import ConvergenceDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(SVC(), {"C": Real(1e-2, 1e2, log=True)},
    ...                        n_iter=6, n_initial_points=3, cv=3, random_state=0).fit(X, y)
    >>> disp = ConvergenceDisplay.from_search(search)
    >>> bool(disp.line_.get_ydata().max() == search.best_score_)
    True
    """

    def __init__(self, x, scores, *, n_resources=None, metric_name="score",
                 x_label="result (in the order finished)", name=None):
        self.x = np.asarray(x, dtype=float)
        self.scores = np.asarray(scores, dtype=float)
        self.n_resources = None if n_resources is None else np.asarray(n_resources, dtype=float)
        self.metric_name = metric_name
        self.x_label = x_label
        self.name = name

    @classmethod
    def from_cv_results(cls, cv_results, *, metric=None, x="result", name=None, ax=None,
                        plot=True):
        """Build (and draw) the display from ``cv_results_``.

        Parameters
        ----------
        cv_results : dict or pandas.DataFrame
            A search's ``cv_results_``; rows are taken in the order given.
        metric : str, default=None
            The metric to plot (``mean_test_<metric>``); by default ``score``, or the
            first metric found.
        x : {"result", "fit_time"}, default="result"
            The x axis: the result's number, or the training time spent so far
            (sum of the folds' fit times), to compare searches by compute.
        name : str, default=None
            Name for the legend.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.
        plot : bool, default=True
            Draw at once (False only builds the display).

        Returns
        -------
        display : ConvergenceDisplay
        """
        results = _columns(cv_results)
        key, metric_name = _metric_key(results, metric)
        scores = _float(results[key])
        n = len(scores)
        if x == "result":
            xs, label = np.arange(1, n + 1), "result (in the order finished)"
        elif x == "fit_time":
            n_splits = sum(1 for k in results if k.startswith("split") and k.endswith(key[4:]))
            fit = _float(results.get("mean_fit_time", [0.0] * n)) * max(n_splits, 1)
            xs, label = np.cumsum(np.nan_to_num(fit)), "training time spent (s, all folds)"
        else:
            raise ValueError(
                f"The 'x' parameter must be one of ['fit_time', 'result']. Got {x!r} instead."
            )
        n_res = _float(results["n_resources"]) if "n_resources" in results else None
        disp = cls(xs, scores, n_resources=n_res, metric_name=metric_name, x_label=label,
                   name=name)
        return disp.plot(ax=ax) if plot else disp

    @classmethod
    def from_search(cls, search, *, metric=None, x="result", name=None, ax=None, plot=True):
        """Build (and draw) the display from a fitted search.

        Parameters
        ----------
        search : BayesSearchCV, HyperbandSearchCV or PopulationSearchCV
            A fitted search (any object with ``cv_results_``).
        metric : str, default=None
            The metric to plot; by default the search's refit metric.
        x : {"result", "fit_time"}, default="result"
            The x axis (see :meth:`from_cv_results`).
        name : str, default=None
            Name for the legend; the search's class name by default.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        plot : bool, default=True
            Draw at once.

        Returns
        -------
        display : ConvergenceDisplay
        """
        results = _results_of(search, cls.__name__)
        return cls.from_cv_results(
            results, metric=_search_metric(search, metric), x=x,
            name=type(search).__name__ if name is None else name, ax=ax, plot=plot,
        )

    def _best_so_far(self):
        scores = self.scores
        if self.n_resources is not None and np.isfinite(self.n_resources).any():
            top = np.nanmax(self.n_resources)
            scores = np.where(self.n_resources >= top, scores, np.nan)
        best = np.full(len(scores), np.nan)
        current = -np.inf
        for i, s in enumerate(scores):
            if np.isfinite(s) and s > current:
                current = s
            best[i] = current if np.isfinite(current) else np.nan
        return best

    def plot(self, ax=None, *, name=None, color=None):
        """Draw the scores and the best score so far.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.
        name : str, default=None
            Legend label (overrides the one given at construction).
        color : color, default=None
            Colour of both the points and the line (matplotlib's cycle by default).

        Returns
        -------
        display : ConvergenceDisplay
            The display, with ``ax_``, ``figure_``, ``points_`` and ``line_``.
        """
        ax, fig = _get_ax(ax, type(self).__name__)
        name = self.name if name is None else name
        best = self._best_so_far()
        budgeted = self.n_resources is not None and np.isfinite(self.n_resources).any()
        what = "best so far"
        if budgeted:  # a score after 1 epoch is not comparable with one after 27
            top = np.nanmax(self.n_resources)
            what = f"best so far, full-budget results only ({top:g})"
        (self.line_,) = ax.step(self.x, best, where="post", color=color, lw=2,
                                label=f"{name} ({what})" if name else what)
        color = self.line_.get_color()
        alpha = np.full(len(self.scores), 0.8)
        if budgeted:
            alpha = np.where(self.n_resources >= top, 0.9, 0.3)
        ok = np.isfinite(self.scores)
        rgba = np.zeros((len(self.scores), 4))
        rgba[:] = _to_rgba(color)
        rgba[:, 3] = alpha
        each = "each result (lighter: lower budgets)" if budgeted else "each result"
        self.points_ = ax.scatter(self.x[ok], self.scores[ok], s=18, c=rgba[ok],
                                  label=f"{name} ({each})" if name else each)
        if (~ok).any():
            ax.plot(self.x[~ok], np.full((~ok).sum(), np.nanmin(self.scores) if ok.any() else 0),
                    "x", color="tab:red", label="failed")
        ax.set_xlabel(self.x_label)
        ax.set_ylabel(f"mean CV {self.metric_name}")
        ax.set_title("Convergence")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self


def _to_rgba(color):
    from matplotlib.colors import to_rgba

    return to_rgba(color)


# -- Hyperband rungs ------------------------------------------------------------------------
class RungDisplay:
    """Hyperband: score against resource for every trial; promotions as connected lines.

    Each trial is a line through its results at increasing resource, so a trial
    promoted to the next rung shows as a line that continues to the right, and a
    trial stopped early as a line that ends. Trials that reached the most resource
    are drawn strongest; one colour per bracket.

    Parameters
    ----------
    trial_ids : ndarray of shape (n_results,)
        The trial of each result.
    n_resources : ndarray of shape (n_results,)
        The resource each result was scored at (epochs, iterations, samples...).
    scores : ndarray of shape (n_results,)
        Mean cross-validated score of each result.
    brackets : ndarray of shape (n_results,), default=None
        Hyperband bracket of each result (colours); one colour when None.
    metric_name : str, default="score"
        Name of the metric, for the axis label.
    resource_name : str, default="n_resources"
        What the resource counts, for the axis label.
    stopped_predictions : ndarray of shape (n_results,), default=None
        Where a learning curve stopped a trial (``HyperbandSearchCV(stopping=
        "curves")``), the score it predicted at the full budget on that row,
        NaN elsewhere: drawn as a dotted line from the trial's last point.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.
    lines_ : dict of int to matplotlib Line2D
        The line of each trial.
    predicted_ : dict of int to matplotlib Line2D
        The dotted extrapolation of each trial a learning curve stopped.
    failed_ : matplotlib Line2D or None
        The failed results (NaN score): red crosses at their resource, along the
        bottom of the axes; None when no result failed.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sktune.plots import RungDisplay
    >>> disp = RungDisplay(trial_ids=[0, 1, 0], n_resources=[1, 1, 3],
    ...                    scores=[0.6, 0.5, 0.8]).plot()
    >>> sorted(disp.lines_)
    [0, 1]
    """

    def __init__(self, trial_ids, n_resources, scores, *, brackets=None, metric_name="score",
                 resource_name="n_resources", stopped_predictions=None):
        self.stopped_predictions = None if stopped_predictions is None else np.asarray(
            stopped_predictions, dtype=float)
        self.trial_ids = np.asarray(trial_ids)
        self.n_resources = np.asarray(n_resources, dtype=float)
        self.scores = np.asarray(scores, dtype=float)
        self.brackets = None if brackets is None else np.asarray(brackets)
        self.metric_name = metric_name
        self.resource_name = resource_name

    @classmethod
    def from_cv_results(cls, cv_results, *, metric=None, resource_name="n_resources", ax=None,
                        plot=True):
        """Build (and draw) the display from ``cv_results_``.

        Parameters
        ----------
        cv_results : dict or pandas.DataFrame
            ``cv_results_`` with ``trial_id`` and ``n_resources`` columns (and
            ``bracket`` if present).
        metric : str, default=None
            The metric to plot.
        resource_name : str, default="n_resources"
            Label of the x axis.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        plot : bool, default=True
            Draw at once.

        Returns
        -------
        display : RungDisplay
        """
        results = _columns(cv_results)
        for col in ("trial_id", "n_resources"):
            if col not in results:
                raise ValueError(
                    f"RungDisplay needs a '{col}' column in cv_results (HyperbandSearchCV "
                    "and PopulationSearchCV record one)."
                )
        key, metric_name = _metric_key(results, metric)
        brackets = results.get("bracket")
        stopped = None
        if "curve_stopped" in results and "curve_prediction" in results:
            flags = np.asarray(results["curve_stopped"], dtype=bool)
            stopped = np.where(flags, _float(results["curve_prediction"]), np.nan)
        disp = cls(
            np.asarray(results["trial_id"]), _float(results["n_resources"]),
            _float(results[key]), brackets=None if brackets is None else np.asarray(brackets),
            metric_name=metric_name, resource_name=resource_name, stopped_predictions=stopped,
        )
        return disp.plot(ax=ax) if plot else disp

    @classmethod
    def from_search(cls, search, *, metric=None, ax=None, plot=True):
        """Build (and draw) the display from a fitted :class:`~sktune.HyperbandSearchCV`.

        Parameters
        ----------
        search : HyperbandSearchCV
            A fitted search whose ``cv_results_`` has ``n_resources``.
        metric : str, default=None
            The metric to plot; the search's refit metric by default.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        plot : bool, default=True
            Draw at once.

        Returns
        -------
        display : RungDisplay
        """
        results = _results_of(search, cls.__name__)
        return cls.from_cv_results(results, metric=_search_metric(search, metric),
                                   resource_name=_resource_label(search), ax=ax, plot=plot)

    def plot(self, ax=None, *, log_x=True):
        """Draw a line per trial through its scores at increasing resource.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        log_x : bool, default=True
            Logarithmic resource axis (rungs grow geometrically).

        Returns
        -------
        display : RungDisplay
            The display, with ``ax_``, ``figure_``, ``lines_`` and ``failed_``.
        """
        ax, fig = _get_ax(ax, type(self).__name__)
        plt = _pyplot(type(self).__name__)
        top = np.nanmax(self.n_resources) if np.isfinite(self.n_resources).any() else np.nan
        levels = [None] if self.brackets is None else sorted(
            {b for b in self.brackets.tolist()}, key=str)
        cmap = plt.get_cmap("tab10")
        colour = {b: cmap(i % 10) for i, b in enumerate(levels)}
        self.lines_ = {}
        for tid in _unique_in_order(self.trial_ids):
            rows = np.flatnonzero(self.trial_ids == tid)
            order = rows[np.argsort(self.n_resources[rows], kind="stable")]
            xs, ys = self.n_resources[order], self.scores[order]
            b = None if self.brackets is None else self.brackets[order[0]]
            reached_top = np.isfinite(top) and xs.max() >= top
            (line,) = ax.plot(xs, ys, "-o", ms=3, lw=1.6 if reached_top else 0.8,
                              alpha=0.95 if reached_top else 0.45, color=colour[b])
            self.lines_[_trial_key(tid)] = line
        self.predicted_ = self._draw_predictions(ax, top)
        failed = ~np.isfinite(self.scores) & np.isfinite(self.n_resources)
        self.failed_ = None
        if failed.any():  # a NaN breaks a line: mark where trials failed
            ok = np.isfinite(self.scores)
            floor = np.nanmin(self.scores[ok]) if ok.any() else 0.0
            (self.failed_,) = ax.plot(self.n_resources[failed], np.full(failed.sum(), floor),
                                      "x", color="tab:red", ms=6, mew=1.5, linestyle="none",
                                      label=f"failed ({int(failed.sum())})")
        from matplotlib.lines import Line2D

        handles = [] if self.brackets is None else [
            Line2D([], [], color=colour[b], marker="o", ms=3, label=f"bracket {b}")
            for b in levels]
        if self.failed_ is not None:
            handles.append(self.failed_)
        if self.predicted_:
            handles.append(Line2D([], [], color="grey", ls=":",
                                  label=f"predicted by its curve ({len(self.predicted_)})"))
        if handles:
            ax.legend(handles=handles, loc="lower right", fontsize="small")
        if log_x and np.nanmin(self.n_resources) > 0:
            ax.set_xscale("log")
            ticks = sorted(set(self.n_resources[np.isfinite(self.n_resources)].tolist()))
            if len(ticks) <= 12:
                ax.set_xticks(ticks)
                ax.set_xticklabels([f"{t:g}" for t in ticks])
                ax.minorticks_off()
        ax.set_xlabel(f"resource ({self.resource_name})")
        ax.set_ylabel(f"mean CV {self.metric_name}")
        ax.set_title("Learning curves: a line per trial, dotted where its curve stopped it"
                     if self.predicted_ else
                     "Hyperband rungs: a line per trial, promotions continue right")
        ax.grid(True, alpha=0.3)
        self.ax_, self.figure_ = ax, fig
        return self

    def _draw_predictions(self, ax, top):
        """Dotted lines from where a curve stopped a trial to its predicted final score."""
        out = {}
        if self.stopped_predictions is None or not np.isfinite(top):
            return out
        for i in np.flatnonzero(np.isfinite(self.stopped_predictions)):
            key = _trial_key(self.trial_ids[i])
            (line,) = ax.plot([self.n_resources[i], top],
                              [self.scores[i], self.stopped_predictions[i]], ":", lw=0.8,
                              alpha=0.45, color=self.lines_[key].get_color())
            out[key] = line
        return out


def _trial_key(tid):
    """A trial id as a key of ``lines_`` (numpy integers as plain ints)."""
    return int(tid) if isinstance(tid, numbers.Integral) else tid


def _resource_label(search):
    """What a search's budget counts (``epochs``, ``partial_fit``...), for axis labels."""
    resource = getattr(search, "resource_", None)
    label = getattr(resource, "name", None) if resource is not None else None
    if not isinstance(label, str) or label in ("none", "fit"):
        label = "n_resources"
    return label


def _unique_in_order(values):
    seen = {}
    for v in np.asarray(values).tolist():
        seen.setdefault(v, None)
    return list(seen)


# -- PBT lineage ----------------------------------------------------------------------------
class LineageDisplay:
    """Population based training: members over time, exploits, and a schedule.

    The top panel shows every member's score against resource; an exploit (a
    member continuing from another member's model) is a dashed grey link from
    the copied member's previous point. The bottom panel shows one hyperparameter
    of every member over time, as a step function: the schedules PBT found. The
    lineage of the best final result is drawn in black in both panels.

    Parameters
    ----------
    member_ids : ndarray of shape (n_results,)
        The population member of each result.
    parent_ids : ndarray of shape (n_results,)
        The member whose model the result's step started from (itself when it
        did not exploit; NaN or -1 for none).
    n_resources : ndarray of shape (n_results,)
        Resource at the end of each step (the x axis).
    scores : ndarray of shape (n_results,)
        Mean cross-validated score of each result.
    param_values : ndarray of shape (n_results,), default=None
        Value of the hyperparameter ``param`` in each step.
    param : str, default=None
        The hyperparameter whose schedule is drawn (no bottom panel if None).
    metric_name : str, default="score"
        Name of the metric.
    lineage_rows : list of int, default=None
        Row indices of the best lineage, oldest first (from the search's
        ``best_schedule_``); reconstructed from ``parent_ids`` when None.
    resource_name : str, default="n_resources"
        What the resource counts (``"epochs"``, ``"partial_fit"`` passes...), for
        the x-axis label.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The score panel.
    axes_ : ndarray of matplotlib Axes
        Both panels (one if ``param`` is None).
    figure_ : matplotlib Figure
        The figure.
    lines_ : dict of int to matplotlib Line2D
        Each member's score line.
    best_lineage_ : list of int
        Row indices of the best final result's lineage, oldest first.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sktune.plots import LineageDisplay
    >>> disp = LineageDisplay(member_ids=[0, 1, 0, 1], parent_ids=[0, 1, 0, 0],
    ...                       n_resources=[1, 1, 2, 2], scores=[0.7, 0.5, 0.8, 0.75],
    ...                       param_values=[0.1, 0.01, 0.1, 0.12], param="lr").plot()
    >>> len(disp.axes_)
    2
    """

    def __init__(self, member_ids, parent_ids, n_resources, scores, *, param_values=None,
                 param=None, metric_name="score", lineage_rows=None,
                 resource_name="n_resources"):
        self.member_ids = np.asarray(member_ids)
        self.parent_ids = _float(list(parent_ids))
        self.n_resources = np.asarray(n_resources, dtype=float)
        self.scores = np.asarray(scores, dtype=float)
        self.param_values = None if param_values is None else list(param_values)
        self.param = param
        self.metric_name = metric_name
        self.lineage_rows = None if lineage_rows is None else list(lineage_rows)
        self.resource_name = resource_name

    @classmethod
    def from_cv_results(cls, cv_results, *, param=None, metric=None, best_schedule=None,
                        resource_name="n_resources", ax=None, plot=True):
        """Build (and draw) the display from ``cv_results_``.

        Parameters
        ----------
        cv_results : dict or pandas.DataFrame
            ``cv_results_`` of :class:`~sktune.PopulationSearchCV`, with
            ``member_id``, ``parent_id`` and ``n_resources`` (or ``step``) columns.
        param : str, default=None
            Hyperparameter whose schedule is drawn; by default the first one that
            changes within a member over time (the one PBT perturbed).
        metric : str, default=None
            The metric to plot.
        best_schedule : list of dict, default=None
            The search's ``best_schedule_`` (entries with a ``trial_id``): the best
            lineage is then read from it rather than reconstructed.
        resource_name : str, default="n_resources"
            What the resource counts, for the x-axis label.
        ax : matplotlib Axes or array of two Axes, default=None
            Where to draw (see :meth:`plot`).
        plot : bool, default=True
            Draw at once.

        Returns
        -------
        display : LineageDisplay
        """
        results = _columns(cv_results)
        if "member_id" not in results:
            raise ValueError("LineageDisplay needs a 'member_id' column in cv_results "
                             "(PopulationSearchCV records one).")
        key, metric_name = _metric_key(results, metric)
        n = len(results[key])
        members = np.asarray(results["member_id"])
        x = results.get("n_resources")
        if x is None:  # no budget column: the steps (or the rows) are the time
            resource_name = "step" if "step" in results else "result"
            x = results.get("step", list(range(n)))
        parents = _optional(results, "parent_id", n)
        params = list(results["params"])
        if param is None:
            param = _changing_param(members, params)
        values = None
        if param is not None:
            values = [p.get(param) if isinstance(p, dict) else None for p in params]
        lineage_rows = None
        if best_schedule and "trial_id" in results:
            row_of = {t: i for i, t in enumerate(np.asarray(results["trial_id"]).tolist())}
            lineage_rows = [row_of[e["trial_id"]] for e in best_schedule
                            if isinstance(e, dict) and e.get("trial_id") in row_of] or None
        disp = cls(members, parents, _float(list(x)), _float(results[key]),
                   param_values=values, param=param, metric_name=metric_name,
                   lineage_rows=lineage_rows, resource_name=resource_name)
        return disp.plot(ax=ax) if plot else disp

    @classmethod
    def from_search(cls, search, *, param=None, metric=None, ax=None, plot=True):
        """Build (and draw) the display from a fitted :class:`~sktune.PopulationSearchCV`.

        Parameters
        ----------
        search : PopulationSearchCV
            A fitted search.
        param : str, default=None
            Hyperparameter whose schedule is drawn (see :meth:`from_cv_results`).
        metric : str, default=None
            The metric to plot; the search's refit metric by default.
        ax : matplotlib Axes or array of two Axes, default=None
            Where to draw.
        plot : bool, default=True
            Draw at once.

        Returns
        -------
        display : LineageDisplay
        """
        results = _results_of(search, cls.__name__)
        return cls.from_cv_results(results, param=param, metric=_search_metric(search, metric),
                                   best_schedule=getattr(search, "best_schedule_", None),
                                   resource_name=_resource_label(search), ax=ax, plot=plot)

    def _x_label(self):
        if self.resource_name in ("step", "result"):
            return self.resource_name
        return f"resource ({self.resource_name}) at the end of each step"

    def _rows_by_member(self):
        rows = {}
        for i, m in enumerate(self.member_ids.tolist()):
            rows.setdefault(m, []).append(i)
        for m in rows:
            rows[m].sort(key=lambda i: (self.n_resources[i], i))
        return rows

    def _previous_row(self, rows, member, i):
        """The row of ``member`` just before row ``i`` in time (by resource)."""
        before = [j for j in rows.get(member, []) if self.n_resources[j] < self.n_resources[i]]
        return before[-1] if before else None

    def _lineage(self):
        ok = np.isfinite(self.scores)
        if not ok.any():
            return []
        final = np.nanmax(self.n_resources[ok])
        cand = np.flatnonzero(ok & (self.n_resources >= final))
        i = int(cand[np.argmax(self.scores[cand])])
        rows, chain = self._rows_by_member(), [i]
        while True:
            parent = self.parent_ids[i]
            member = self.member_ids[i]
            source = member if not np.isfinite(parent) or parent < 0 else _same_type(member,
                                                                                     parent)
            j = self._previous_row(rows, source, i)
            if j is None or j in chain:
                break
            chain.append(j)
            i = j
        return chain[::-1]

    def _schedule_xy(self, idx, values):
        """Steps of a schedule: each value holds from the previous step's end to its own."""
        stops = self.n_resources[idx]
        starts = np.concatenate([[0.0], stops[:-1]])
        xs = np.append(starts, stops[-1])
        ys = np.append(values[idx], values[idx][-1])
        return xs, ys

    def plot(self, ax=None):
        """Draw the members' scores (top) and the schedule of ``param`` (bottom).

        Parameters
        ----------
        ax : matplotlib Axes or sequence of two Axes, default=None
            One Axes draws the score panel only; two draw both; None makes a new
            figure with both (one panel if ``param`` is None).

        Returns
        -------
        display : LineageDisplay
            The display, with ``ax_``, ``axes_``, ``figure_``, ``lines_`` and
            ``best_lineage_``.
        """
        plt = _pyplot(type(self).__name__)
        with_param = self.param is not None and self.param_values is not None
        if ax is None:
            if with_param:
                fig, axes = plt.subplots(2, 1, sharex=True, figsize=(7, 6.5),
                                         gridspec_kw={"height_ratios": [3, 2]})
            else:
                fig, one = plt.subplots()
                axes = np.array([one])
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object))
            fig = axes[0].figure
            with_param = with_param and len(axes) > 1
        rows = self._rows_by_member()
        cmap = plt.get_cmap("viridis")
        n_members = max(len(rows), 1)
        self.lines_ = {}
        score_ax = axes[0]
        for k, (member, idx) in enumerate(sorted(rows.items(), key=lambda t: str(t[0]))):
            colour = cmap(k / max(n_members - 1, 1))
            (line,) = score_ax.plot(self.n_resources[idx], self.scores[idx], "-o", ms=2.5,
                                    lw=0.9, alpha=0.6, color=colour)
            self.lines_[member] = line
            for i in idx:  # exploits: dashed link from the copied member's previous point
                parent = self.parent_ids[i]
                if not np.isfinite(parent) or parent < 0 or parent == _as_float(member):
                    continue
                j = self._previous_row(rows, _same_type(member, parent), i)
                if j is not None:
                    score_ax.plot([self.n_resources[j], self.n_resources[i]],
                                  [self.scores[j], self.scores[i]], "--", color="0.5", lw=0.8,
                                  alpha=0.8)
        self.best_lineage_ = (list(self.lineage_rows) if self.lineage_rows
                              else self._lineage())
        lin = self.best_lineage_
        if lin:
            score_ax.plot(self.n_resources[lin], self.scores[lin], "-", color="black", lw=2.2,
                          label="lineage of the best final member")
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color="0.5", ls="--", label="exploit (copied weights)")]
        if lin:
            handles.insert(0, Line2D([], [], color="black", lw=2.2,
                                     label="lineage of the best final member"))
        score_ax.legend(handles=handles, loc="lower right", fontsize="small")
        score_ax.set_ylabel(f"mean CV {self.metric_name}")
        score_ax.set_title(f"Population based training: {n_members} members")
        score_ax.grid(True, alpha=0.3)
        if with_param:
            pax = axes[1]
            values = _float(self.param_values)
            categorical = not np.isfinite(values).any()
            if categorical:
                levels = sorted({str(v) for v in self.param_values})
                values = np.array([levels.index(str(v)) for v in self.param_values], dtype=float)
                pax.set_yticks(range(len(levels)))
                pax.set_yticklabels(levels)
            for k, (_member, idx) in enumerate(sorted(rows.items(), key=lambda t: str(t[0]))):
                colour = cmap(k / max(n_members - 1, 1))
                pax.step(*self._schedule_xy(idx, values), where="post", color=colour, lw=0.9,
                         alpha=0.6)
            if lin:
                pax.step(*self._schedule_xy(lin, values), where="post", color="black", lw=2.2)
            finite = values[np.isfinite(values)]
            if not categorical and finite.size and finite.min() > 0 and (
                    finite.max() / finite.min() > 20):
                pax.set_yscale("log")
            pax.set_ylabel(self.param)
            pax.set_xlabel(self._x_label())
            pax.set_title(f"schedule of {self.param} (black: best lineage)", fontsize="medium")
            pax.grid(True, alpha=0.3)
        else:
            score_ax.set_xlabel(self._x_label())
        if ax is None:
            fig.tight_layout()
        self.ax_, self.axes_, self.figure_ = score_ax, axes, fig
        return self


def _as_float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _same_type(member, parent):
    """``parent`` (a float from the parent column) as the type of the member ids."""
    if isinstance(member, (numbers.Integral, np.integer)):
        return int(parent)
    return parent


def _changing_param(members, params):
    """The first parameter that changes within a member over time."""
    by_member = {}
    for m, p in zip(members.tolist(), params):
        if isinstance(p, dict):
            by_member.setdefault(m, []).append(p)
    names = sorted({k for ps in by_member.values() for p in ps for k in p})
    for name in names:
        for ps in by_member.values():
            vals = {repr(p.get(name)) for p in ps}
            if len(vals) > 1:
                return name
    return names[0] if names else None


# -- parallel coordinates -------------------------------------------------------------------
class ParallelCoordinatesDisplay:
    """Every trial as a line across the hyperparameters, coloured by its score.

    Each vertical axis is one hyperparameter, scaled to ``[0, 1]`` as the search
    space does (log scale where the dimension is logarithmic; categorical choices
    evenly spaced); the last axis is the score. The best trials are drawn on top,
    thicker. Parameters absent from a trial (conditional spaces) break its line.

    Parameters
    ----------
    names : list of str
        The hyperparameters (axes, in order).
    unit_values : ndarray of shape (n_trials, n_params)
        Each trial's values scaled to ``[0, 1]`` (NaN where absent).
    scores : ndarray of shape (n_trials,)
        Mean cross-validated score of each trial.
    tick_labels : list of list of (float, str), default=None
        For each axis, ``(position, label)`` ticks.
    metric_name : str, default="score"
        Name of the metric.
    n_best : int, default=5
        Trials highlighted.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure.
    lines_ : list of matplotlib Line2D
        One line per trial, in the order of ``scores``.
    colorbar_ : matplotlib Colorbar
        The score colour scale.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sktune.plots import ParallelCoordinatesDisplay
    >>> results = {"params": [{"C": 0.1, "kernel": "rbf"}, {"C": 10.0, "kernel": "linear"}],
    ...            "mean_test_score": [0.8, 0.9]}
    >>> disp = ParallelCoordinatesDisplay.from_cv_results(results)
    >>> disp.names
    ['C', 'kernel']
    """

    def __init__(self, names, unit_values, scores, *, tick_labels=None, metric_name="score",
                 n_best=5):
        self.names = list(names)
        self.unit_values = np.asarray(unit_values, dtype=float)
        self.scores = np.asarray(scores, dtype=float)
        self.tick_labels = tick_labels
        self.metric_name = metric_name
        self.n_best = n_best

    @classmethod
    def from_cv_results(cls, cv_results, *, space=None, metric=None, n_best=5, ax=None,
                        plot=True):
        """Build (and draw) the display from ``cv_results_``.

        With several rows per trial (Hyperband rungs, PBT steps) the last row of
        each trial is used.

        Parameters
        ----------
        cv_results : dict or pandas.DataFrame
            A search's ``cv_results_``.
        space : dict, list of dict or SearchSpace, default=None
            The search space, for exact scaling; inferred from the values when None
            (log scale for positive values spanning more than two decades).
        metric : str, default=None
            The metric used for colours.
        n_best : int, default=5
            Trials highlighted.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        plot : bool, default=True
            Draw at once.

        Returns
        -------
        display : ParallelCoordinatesDisplay
        """
        results = _columns(cv_results)
        key, metric_name = _metric_key(results, metric)
        params = list(results["params"])
        scores = _float(results[key])
        keep = _last_row_per_trial(results, len(params))
        params = [params[i] for i in keep]
        scores = scores[keep]
        names = sorted({k for p in params for k in p})
        dims = _dimensions(space, names)
        unit = np.full((len(params), len(names)), np.nan)
        ticks = []
        for j, name in enumerate(names):
            values = [p.get(name, _MISSING) for p in params]
            scale, tick = _scaler(dims.get(name), [v for v in values if v is not _MISSING])
            for i, v in enumerate(values):
                if v is not _MISSING:
                    unit[i, j] = scale(v)
            ticks.append(tick)
        disp = cls(names, unit, scores, tick_labels=ticks, metric_name=metric_name,
                   n_best=n_best)
        return disp.plot(ax=ax) if plot else disp

    @classmethod
    def from_search(cls, search, *, metric=None, n_best=5, ax=None, plot=True):
        """Build (and draw) the display from a fitted search (scaled by its space).

        Parameters
        ----------
        search : BayesSearchCV, HyperbandSearchCV or PopulationSearchCV
            A fitted search.
        metric : str, default=None
            The metric used for colours; the refit metric by default.
        n_best : int, default=5
            Trials highlighted.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        plot : bool, default=True
            Draw at once.

        Returns
        -------
        display : ParallelCoordinatesDisplay
        """
        results = _results_of(search, cls.__name__)
        space = getattr(search, getattr(search, "_space_param", "search_spaces"), None)
        return cls.from_cv_results(results, space=space, metric=_search_metric(search, metric),
                                   n_best=n_best, ax=ax, plot=plot)

    def plot(self, ax=None, *, cmap="viridis"):
        """Draw one line per trial across the parameter axes and the score axis.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        cmap : str or Colormap, default="viridis"
            Colour map of the scores.

        Returns
        -------
        display : ParallelCoordinatesDisplay
            The display, with ``ax_``, ``figure_``, ``lines_`` and ``colorbar_``.
        """
        plt = _pyplot(type(self).__name__)
        if ax is None:
            fig, ax = plt.subplots(figsize=(1.6 * (len(self.names) + 1) + 2, 4.5))
        else:
            fig = ax.figure
        from matplotlib.colors import Normalize

        ok = np.isfinite(self.scores)
        lo, hi = (np.min(self.scores[ok]), np.max(self.scores[ok])) if ok.any() else (0, 1)
        if hi <= lo:
            hi = lo + 1e-12
        norm = Normalize(lo, hi)
        cm = plt.get_cmap(cmap)
        n_axes = len(self.names) + 1
        xs = np.arange(n_axes)
        score_unit = np.where(ok, (self.scores - lo) / (hi - lo), np.nan)
        order = np.argsort(np.where(ok, self.scores, -np.inf), kind="stable")
        best = set(order[::-1][: self.n_best].tolist()) if ok.any() else set()
        self.lines_ = [None] * len(self.scores)
        for i in order:
            ys = np.append(self.unit_values[i], score_unit[i])
            colour = cm(norm(self.scores[i])) if ok[i] else (0.85, 0.2, 0.2, 0.6)
            (line,) = ax.plot(xs, ys, "-", color=colour, lw=2.2 if i in best else 0.9,
                              alpha=1.0 if i in best else 0.55, zorder=3 if i in best else 2)
            self.lines_[i] = line
        for x in xs:
            ax.axvline(x, color="0.3", lw=0.8, zorder=1)
        ax.set_xticks(xs)
        ax.set_xticklabels(self.names + [f"CV {self.metric_name}"], rotation=15)
        ax.set_xlim(-0.3, n_axes - 0.7)
        ax.set_ylim(-0.05, 1.05)
        ax.set_yticks([])
        for j, tick in enumerate(self.tick_labels or []):
            for pos, label in tick or []:
                ax.text(j + 0.04, pos, label, fontsize=7, va="center", color="0.2", zorder=4)
        for pos, val in ((0.0, lo), (1.0, hi)):
            ax.text(n_axes - 1 + 0.04, pos, f"{val:.4g}", fontsize=7, va="center", zorder=4)
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cm)
        sm.set_array([])
        self.colorbar_ = fig.colorbar(sm, ax=ax, pad=0.02)
        self.colorbar_.set_label(f"mean CV {self.metric_name}")
        ax.set_title(f"Parallel coordinates: {len(self.scores)} trials, best {self.n_best} bold")
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        self.ax_, self.figure_ = ax, fig
        return self


_MISSING = object()


def _last_row_per_trial(results, n):
    key = "member_id" if "member_id" in results else "trial_id"  # PBT: one line per member
    if key not in results:
        return list(range(n))
    last = {}
    for i, t in enumerate(np.asarray(results[key]).tolist()):
        last[t] = i
    return sorted(last.values())


def _dimensions(space, names):
    if space is None:
        return {}
    from .space import SearchSpace

    try:
        space = SearchSpace(space)
    except (TypeError, ValueError):
        return {}
    dims = {}
    for sub in space.subspaces:
        for name, dim in zip(sub.names, sub.dimensions):
            dims.setdefault(name, dim)
    return {n: d for n, d in dims.items() if n in names}


def _scaler(dim, values):
    """A function value -> [0, 1] and the tick labels of one axis."""
    from .space import Categorical

    if dim is not None and not isinstance(dim, Categorical):
        lo, hi = dim.low, dim.high
        ticks = [(0.0, f"{lo:.3g}"), (1.0, f"{hi:.3g}")]
        if dim.log:
            mid = math.sqrt(lo * hi)
            ticks.append((0.5, f"{mid:.3g}"))
        return (lambda v: _clip01(dim.to_unit(v))), ticks
    numeric = [v for v in values if isinstance(v, numbers.Real) and not isinstance(v, bool)]
    if dim is None and values and len(numeric) == len(values):
        arr = np.asarray(numeric, dtype=float)
        lo, hi = float(arr.min()), float(arr.max())
        log = lo > 0 and hi / lo > 100
        if log:
            a, b = math.log(lo), math.log(hi)
            span = (b - a) or 1.0
            return (lambda v: (math.log(v) - a) / span), [(0.0, f"{lo:.3g}"), (1.0, f"{hi:.3g}")]
        span = (hi - lo) or 1.0
        return (lambda v: (float(v) - lo) / span), [(0.0, f"{lo:.3g}"), (1.0, f"{hi:.3g}")]
    choices = list(dim.choices) if dim is not None else []
    for v in values:
        if not any(_same(v, c) for c in choices):
            choices.append(v)
    k = len(choices)

    def scale(v):
        idx = next((i for i, c in enumerate(choices) if _same(v, c)), 0)
        return 0.5 if k == 1 else idx / (k - 1)

    ticks = [(0.5 if k == 1 else i / (k - 1), _short(c)) for i, c in enumerate(choices)]
    return scale, ticks


def _same(a, b):
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _short(value, width=14):
    text = value.__name__ if isinstance(value, type) else (
        type(value).__name__ if hasattr(value, "get_params") else str(value))
    return text if len(text) <= width else text[: width - 1] + "…"


def _clip01(u):
    return min(max(float(u), 0.0), 1.0)
