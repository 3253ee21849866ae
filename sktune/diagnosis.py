"""Learning-curve diagnosis of a search's best trials: train against validation.

:func:`diagnose_learning_curves` reads a search's ``cv_results_`` and gives each of
the best trials a plain verdict, with a one-sentence reason that quotes the numbers:

- ``"over-fitting"``: the validation score fell from its peak while the train score
  did not, or the train score ends well above the validation score, the gap
  having widened with the budget;
- ``"still improving"``: the validation score still rose over the last step of
  the budget, so a larger budget may help;
- ``"under-fitting"``: the train score is below the best trial's validation
  score (another configuration predicts unseen data better than this one fits
  its own training data), or train and validation both fell;
- ``"good fit"``: none of the above.

Hyperband's results give a curve per trial (a row per rung, over ``n_resources``),
population based training's a curve per member; a search without a budget
(:class:`~sktune.BayesSearchCV`) gives one point per trial, judged on its train
and validation scores alone. The rules are a heuristic, see
:func:`diagnose_learning_curves`. :class:`CurveDiagnosisDisplay` draws the curves.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from .plots import (
    _columns,
    _float,
    _get_ax,
    _metric_key,
    _pyplot,
    _resource_label,
    _results_of,
    _search_metric,
)

__all__ = ["CurveDiagnosis", "diagnose_learning_curves", "CurveDiagnosisDisplay"]

VERDICTS = ("over-fitting", "under-fitting", "still improving", "good fit")
_NO_TRAIN = "fit with return_train_score=True to compare with the train score"


@dataclass(frozen=True)
class CurveDiagnosis:
    """The learning curve of one trial and its verdict.

    Returned by :func:`diagnose_learning_curves`; the scores are in the metric's
    own units, ordered by increasing resource.

    Parameters
    ----------
    trial_id : int or object
        The trial (``trial_id``; ``member_id`` for population based training;
        the row number when ``cv_results`` has neither).
    params : dict
        The trial's parameters at its last point.
    resources : tuple of float or None
        The resource of each point; None for a search without a budget.
    train : tuple of float or None
        Mean train score at each point; None without ``mean_train_*`` scores.
    validation : tuple of float
        Mean validation (CV test) score at each point.
    verdict : str or None
        ``"over-fitting"``, ``"under-fitting"``, ``"still improving"`` or
        ``"good fit"``; None for a single point without train scores.
    reason : str
        One sentence saying why, with the numbers.
    train_std : tuple of float or None
        Standard deviation of the train score over the folds, at each point.
    validation_std : tuple of float
        Standard deviation of the validation score over the folds, at each point.
    rows : tuple of int
        The rows of ``cv_results`` the points come from.

    Examples
    --------
    >>> from sktune.diagnosis import diagnose_learning_curves
    >>> results = {"params": [{"C": 1.0}], "mean_test_score": [0.8],
    ...            "mean_train_score": [0.99]}
    >>> print(diagnose_learning_curves(results)[0])  # doctest: +NORMALIZE_WHITESPACE
    trial 0: over-fitting (the train score 0.99 is 0.19 above the validation score 0.8,
    a gap more than five times the noise of 0.01)
    """

    trial_id: object
    params: dict = field(hash=False)  # the other fields are tuples: the whole hashes
    resources: tuple | None
    train: tuple | None
    validation: tuple
    verdict: str | None
    reason: str
    train_std: tuple | None = None
    validation_std: tuple = ()
    rows: tuple = ()

    def __str__(self):
        return f"trial {self.trial_id}: {self.verdict or 'no verdict'} ({self.reason})"


# -- curves from cv_results -----------------------------------------------------------------
@dataclass
class _Curve:
    """Points of one trial, sorted by resource, in "goodness" units (greater is better)."""

    trial_id: object
    rows: list
    res: np.ndarray | None
    val: np.ndarray
    val_std: np.ndarray
    train: np.ndarray | None
    train_std: np.ndarray | None


def _group_key(results):
    for key in ("member_id", "trial_id"):  # PBT: a member's curve spans its steps
        if key in results:
            return key
    return None


def _usable_rows(results, val, res):
    """Rows with a finite score, neither failed nor raced (a mean over fewer folds)."""
    ok = np.isfinite(val)
    if res is not None:
        ok &= np.isfinite(res)
    if "status" in results:
        status = np.asarray(results["status"], dtype=object)
        ok &= ~np.isin(status, ["failed", "raced"])
    return np.flatnonzero(ok)


def _std(results, key, n):
    std = _float(results[key]) if key in results else np.zeros(n)
    return np.nan_to_num(std, nan=0.0)


def _curves(results, key, name, sign):
    n = len(results["params"])
    val = _float(results[key])
    res = _float(results["n_resources"]) if "n_resources" in results else None
    train_key = f"mean_train_{name}"
    train = _float(results[train_key]) if train_key in results else None
    val_std = _std(results, f"std_test_{name}", n)
    train_std = _std(results, f"std_train_{name}", n)
    group = _group_key(results)
    ids = np.asarray(results[group]).tolist() if group else list(range(n))
    rows_of = {}
    for i in _usable_rows(results, val, res).tolist():
        rows_of.setdefault(ids[i], []).append(i)
    curves = []
    for tid, rows in rows_of.items():
        if res is not None:
            rows = _last_per_resource(sorted(rows, key=lambda i: res[i]), res)
        idx = np.asarray(rows)
        t = None if train is None else train[idx]
        if t is not None and not np.isfinite(t).all():
            t = None  # train scores missing for some points: judge on validation only
        curves.append(_Curve(
            trial_id=tid, rows=rows, res=None if res is None else res[idx],
            val=sign * val[idx], val_std=val_std[idx],
            train=None if t is None else sign * t,
            train_std=None if t is None else train_std[idx]))
    return curves


def _last_per_resource(rows, res):
    """One row per resource (the last recorded), rows sorted by resource."""
    out = []
    for i in rows:
        if out and res[out[-1]] == res[i]:
            out[-1] = i
        else:
            out.append(i)
    return out


def _rank(curves):
    """Trials by the budget they reached, then by their last validation score."""
    def key(c):
        top = c.res[-1] if c.res is not None else 0.0
        return (-top, -c.val[-1])

    return sorted(curves, key=key)  # stable: ties keep the order of cv_results


# -- the verdicts ---------------------------------------------------------------------------
class _Words:
    """Numbers and directions for the reasons, in the metric's own units."""

    def __init__(self, sign, resource_name):
        self.sign = sign
        self.resource_name = resource_name
        self.up, self.down = ("rose", "fell") if sign > 0 else ("fell", "rose")
        self.rising = "rising" if sign > 0 else "falling"
        self.above, self.below = ("above", "below") if sign > 0 else ("below", "above")

    def num(self, goodness):
        """A score, given in goodness units, as the metric reports it."""
        return _fmt(self.sign * goodness)

    def at(self, res):
        if res is None:
            return ""
        r = f"{res:g}"
        name = self.resource_name
        if name in (None, "n_resources"):
            return f" at {r}"
        if name == "epochs":
            return f" at {r} epochs"
        if name == "partial_fit":
            return f" after {r} partial_fit passes"
        return f" at {name}={r}"


def _fmt(x):
    return f"{x:.3g}"


def _noise(tol, *stds):
    return max([tol, *(float(s) for s in stds)])


def _beyond(diff, noise):
    """Whether ``diff`` is more than twice ``noise`` (a rounding error is not)."""
    return diff > 2 * noise * (1 + 1e-9) + 1e-12


def _verdict(c, best, tol, w):
    """(verdict, reason) of curve ``c``; ``best`` is the best trial's curve."""
    res = (lambda i: None) if c.res is None else (lambda i: float(c.res[i]))
    last = len(c.val) - 1
    peak = int(np.argmax(c.val))
    if peak < last and _beyond(c.val[peak] - c.val[last],
                               _noise(tol, c.val_std[peak], c.val_std[last])):
        return _fell(c, peak, last, res, w, tol)
    if last >= 1:
        noise = _noise(tol, c.val_std[last - 1], c.val_std[last])
        if _beyond(c.val[last] - c.val[last - 1], noise):
            note = "" if c.train is not None else f" ({_NO_TRAIN})"
            return "still improving", (
                f"the validation score still {w.up} from {w.num(c.val[last - 1])}"
                f"{w.at(res(last - 1))} to {w.num(c.val[last])}{w.at(res(last))}, more than "
                f"twice the noise of {_fmt(noise)}: a larger budget may help{note}")
    if c.train is None:
        return _validation_only(c, res, w)
    train, val = w.num(c.train[last]), w.num(c.val[last])
    ref_noise = _noise(tol, c.train_std[last], best.val_std[-1])
    if c is not best and _beyond(best.val[-1] - c.train[last], ref_noise):
        return "under-fitting", (
            f"the train score {train}{w.at(res(last))} is {_fmt(best.val[-1] - c.train[last])} "
            f"{w.below} the validation score {w.num(best.val[-1])} of trial {best.trial_id}: "
            "this configuration fits its own training data worse than that one predicts "
            f"unseen data (its validation score: {val})")
    gap = c.train[last] - c.val[last]
    noise = _noise(tol, math.hypot(c.train_std[last], c.val_std[last]))
    # some gap is normal: it must have widened with the budget, or be wide
    first_gap = c.train[0] - c.val[0]
    widened = last > 0 and _beyond(gap - first_gap, noise)
    if _beyond(gap, noise) and (widened or _beyond(gap, 2.5 * noise)):
        why = (f"widened from {_fmt(first_gap)}{w.at(res(0))}, more than twice the noise of "
               f"{_fmt(noise)}" if widened else
               f"more than five times the noise of {_fmt(noise)}")
        return "over-fitting", (
            f"the train score {train} is {_fmt(gap)} {w.above} the validation score {val}"
            f"{w.at(res(last))}, a gap {why}")
    if _beyond(gap, noise):
        since = "" if last == 0 else f", and did not widen (from {_fmt(first_gap)}{w.at(res(0))})"
        return "good fit", (
            f"the train score {train} is {_fmt(gap)} {w.above} the validation score {val}"
            f"{w.at(res(last))}: a usual gap, less than five times the noise of "
            f"{_fmt(noise)}{since}{_levelled(c, res, w)}")
    return "good fit", (
        f"the train score {train} and the validation score {val}{w.at(res(last))} differ by "
        f"{_fmt(abs(gap))}, less than twice the noise of {_fmt(noise)}{_levelled(c, res, w)}")


def _fell(c, peak, last, res, w, tol):
    moved = (f"the validation score {w.down} from {w.num(c.val[peak])}{w.at(res(peak))} to "
             f"{w.num(c.val[last])}{w.at(res(last))}")
    if c.train is None:
        return "over-fitting", (f"{moved} ({_NO_TRAIN}: without it, unstable training cannot "
                                "be ruled out)")
    if _beyond(c.train[peak] - c.train[last],
               _noise(tol, c.train_std[peak], c.train_std[last])):
        return "under-fitting", (
            f"{moved} and the train score {w.down} too, from {w.num(c.train[peak])} to "
            f"{w.num(c.train[last])}: training got worse with more budget (a learning rate "
            "too high?)")
    trend = f"kept {w.rising} to" if c.train[last] > c.train[peak] else "stayed at"
    return "over-fitting", f"{moved} while the train score {trend} {w.num(c.train[last])}"


def _validation_only(c, res, w):
    if len(c.val) == 1:
        return None, (f"one validation score ({w.num(c.val[0])}) and no train score: "
                      f"nothing to compare; {_NO_TRAIN}")
    return "good fit", (
        f"the validation score levelled off at {w.num(c.val[-1])}{w.at(res(len(c.val) - 1))}"
        f" (from {w.num(c.val[-2])}{w.at(res(len(c.val) - 2))}); train scores were missing, "
        f"so over- and under-fitting cannot be told: {_NO_TRAIN}")


def _levelled(c, res, w):
    if len(c.val) < 2:
        return ""
    return (f", and the validation score levelled off (from {w.num(c.val[-2])}"
            f"{w.at(res(len(c.val) - 2))})")


# -- public API -----------------------------------------------------------------------------
def _check_params(n_best, greater_is_better, tol):
    if n_best is not None and (not isinstance(n_best, numbers.Integral)
                               or isinstance(n_best, bool) or n_best < 1):
        raise ValueError(
            "The 'n_best' parameter must be an int in the range [1, inf) or None. "
            f"Got {n_best!r} instead.")
    if not isinstance(greater_is_better, (bool, np.bool_)):
        raise ValueError(
            f"The 'greater_is_better' parameter must be a bool. Got {greater_is_better!r} "
            "instead.")
    if (not isinstance(tol, numbers.Real) or isinstance(tol, bool) or not math.isfinite(tol)
            or tol < 0):
        raise ValueError(
            f"The 'tol' parameter must be a float in the range [0, inf). Got {tol!r} instead.")


def diagnose_learning_curves(cv_results, *, metric=None, n_best=3, greater_is_better=True,
                             tol=0.01, resource_name=None):
    """Verdicts on the learning curves (train against validation) of the best trials.

    Rows are grouped into one curve per trial (``trial_id``; ``member_id`` for
    population based training) and sorted by ``n_resources``; failed rows (NaN
    score) and raced rows (a mean over fewer folds) are left out. The best trials
    are those that reached the largest resource, by their last validation score.

    Each verdict is a heuristic, not a test. The noise of a score is its fold
    standard deviation (``std_test_*``, ``std_train_*``), but at least ``tol``; a
    difference counts when it is more than twice the noise. In this order:

    1. the validation score fell from its peak to the last point: ``"over-fitting"``
       when the train score did not fall too, ``"under-fitting"`` when it did
       (the model fits its training data worse with more budget);
    2. the validation score rose over the last step: ``"still improving"``;
    3. the train score at the last point is below the best trial's last
       validation score: this configuration fits its own training data worse
       than another predicts unseen data: ``"under-fitting"``;
    4. the train score is above the validation score at the last point (noise:
       both standard deviations combined) by more than twice the noise, and the
       gap either widened by more than twice the noise since the first point of
       the budget or is more than five times the noise (some gap is normal; one
       that grows with training, or a wide one, is not): ``"over-fitting"``;
    5. otherwise ``"good fit"``.

    Rules 3 and 4 need train scores (``return_train_score=True``); without them
    the verdict rests on the validation curve alone (``"good fit"`` then means
    that it levelled off) and the reason says so. A single point without train
    scores gets no verdict (None). The reference of rule 3 is the best trial, so
    the best trial itself is never under-fitting by that rule.

    Parameters
    ----------
    cv_results : dict or pandas.DataFrame
        A search's ``cv_results_`` (or a DataFrame of it).
    metric : str, default=None
        The metric (``mean_test_<metric>``); by default ``score``, or the first
        metric found.
    n_best : int or None, default=3
        How many of the best trials to diagnose; None for all.
    greater_is_better : bool, default=True
        Whether a larger score is better. scikit-learn's scores already are
        (``neg_*`` for errors); set False for a column of errors or losses.
    tol : float, default=0.01
        The smallest noise, in the metric's units: differences below ``2 * tol``
        never count (the fold standard deviation is 0 with identical folds).
        The default suits scores between 0 and 1 (accuracy, R², AUC).
    resource_name : str, default=None
        What the resource counts (``"epochs"``, ``"partial_fit"``,
        ``"n_estimators"``...), for the reasons.

    Returns
    -------
    diagnoses : list of CurveDiagnosis
        Best first; empty when no row has a finite score.

    Examples
    --------
    >>> from sktune.diagnosis import diagnose_learning_curves
    >>> results = {"trial_id": [0, 0, 0], "n_resources": [3, 9, 27],
    ...            "params": [{"alpha": 1e-4}] * 3,
    ...            "mean_test_score": [0.85, 0.91, 0.87],
    ...            "mean_train_score": [0.88, 0.96, 0.99]}
    >>> diagnosis, = diagnose_learning_curves(results, resource_name="epochs")
    >>> diagnosis.verdict
    'over-fitting'
    >>> print(diagnosis.reason)  # doctest: +NORMALIZE_WHITESPACE
    the validation score fell from 0.91 at 9 epochs to 0.87 at 27 epochs while the train
    score kept rising to 0.99
    """
    _check_params(n_best, greater_is_better, tol)
    results = _columns(cv_results)
    key, name = _metric_key(results, metric)
    sign = 1.0 if greater_is_better else -1.0
    ranked = _rank(_curves(results, key, name, sign))
    if not ranked:
        return []
    best = ranked[0]
    words = _Words(sign, resource_name)
    params = list(results["params"])
    out = []
    for c in ranked if n_best is None else ranked[:n_best]:
        verdict, reason = _verdict(c, best, float(tol), words)
        out.append(CurveDiagnosis(
            trial_id=c.trial_id, params=dict(params[c.rows[-1]]),
            resources=None if c.res is None else tuple(c.res.tolist()),
            train=None if c.train is None else tuple((sign * c.train).tolist()),
            validation=tuple((sign * c.val).tolist()), verdict=verdict, reason=reason,
            train_std=None if c.train_std is None else tuple(c.train_std.tolist()),
            validation_std=tuple(c.val_std.tolist()), rows=tuple(c.rows)))
    return out


# -- display --------------------------------------------------------------------------------
class CurveDiagnosisDisplay:
    """Train (dashed) against validation (solid) curves of the best trials, with verdicts.

    One colour per trial, its fold standard deviation shaded, and its verdict in
    the legend. Create it with :meth:`from_search` or :meth:`from_cv_results`, or
    from the result of :func:`diagnose_learning_curves`.

    Parameters
    ----------
    diagnoses : list of CurveDiagnosis
        The trials to draw, best first.
    metric_name : str, default="score"
        Name of the metric, for the axis label.
    resource_name : str, default="n_resources"
        What the resource counts, for the axis label.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.
    lines_ : dict
        For each trial id, ``{"validation": Line2D, "train": Line2D or None}``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sktune.diagnosis import CurveDiagnosisDisplay
    >>> results = {"trial_id": [0, 0, 1, 1], "n_resources": [3, 9, 3, 9],
    ...            "params": [{"alpha": 1e-4}] * 2 + [{"alpha": 1e-2}] * 2,
    ...            "mean_test_score": [0.80, 0.90, 0.70, 0.71],
    ...            "mean_train_score": [0.82, 0.93, 0.71, 0.73]}
    >>> disp = CurveDiagnosisDisplay.from_cv_results(results)
    >>> [d.verdict for d in disp.diagnoses]
    ['still improving', 'under-fitting']
    >>> len(disp.ax_.get_lines())
    4
    """

    def __init__(self, diagnoses, *, metric_name="score", resource_name="n_resources"):
        self.diagnoses = list(diagnoses)
        self.metric_name = metric_name
        self.resource_name = resource_name

    @classmethod
    def from_cv_results(cls, cv_results, *, metric=None, n_best=3, greater_is_better=True,
                        tol=0.01, resource_name="n_resources", ax=None, plot=True):
        """Diagnose the best trials of ``cv_results_`` and (optionally) draw them.

        Parameters
        ----------
        cv_results : dict or pandas.DataFrame
            A search's ``cv_results_``.
        metric : str, default=None
            The metric; by default ``score``, or the first metric found.
        n_best : int or None, default=3
            How many of the best trials to draw; None for all.
        greater_is_better : bool, default=True
            Whether a larger score is better (see :func:`diagnose_learning_curves`).
        tol : float, default=0.01
            The smallest noise, in the metric's units.
        resource_name : str, default="n_resources"
            What the resource counts, for the axis label and the reasons.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.
        plot : bool, default=True
            Draw at once (False only builds the display).

        Returns
        -------
        display : CurveDiagnosisDisplay
        """
        results = _columns(cv_results)
        _, metric_name = _metric_key(results, metric)
        diagnoses = diagnose_learning_curves(
            results, metric=metric, n_best=n_best, greater_is_better=greater_is_better,
            tol=tol, resource_name=resource_name)
        disp = cls(diagnoses, metric_name=metric_name, resource_name=resource_name)
        return disp.plot(ax=ax) if plot else disp

    @classmethod
    def from_search(cls, search, *, metric=None, n_best=3, tol=0.01, ax=None, plot=True):
        """Diagnose the best trials of a fitted search and (optionally) draw them.

        Parameters
        ----------
        search : HyperbandSearchCV, PopulationSearchCV or BayesSearchCV
            A fitted search (any object with ``cv_results_``); fit it with
            ``return_train_score=True`` for the train curves.
        metric : str, default=None
            The metric; the search's refit metric by default.
        n_best : int or None, default=3
            How many of the best trials to draw; None for all.
        tol : float, default=0.01
            The smallest noise, in the metric's units.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        plot : bool, default=True
            Draw at once.

        Returns
        -------
        display : CurveDiagnosisDisplay
        """
        results = _results_of(search, cls.__name__)
        return cls.from_cv_results(
            results, metric=_search_metric(search, metric), n_best=n_best, tol=tol,
            resource_name=_resource_label(search), ax=ax, plot=plot)

    def plot(self, ax=None, *, log_x=True):
        """Draw the validation (solid) and train (dashed) curve of each trial.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.
        log_x : bool, default=True
            Logarithmic resource axis (Hyperband's rungs grow geometrically).

        Returns
        -------
        display : CurveDiagnosisDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_``.
        """
        ax, fig = _get_ax(ax, type(self).__name__)
        cmap = _pyplot(type(self).__name__).get_cmap("tab10")
        budgeted = any(d.resources is not None for d in self.diagnoses)
        self.lines_ = {}
        for k, d in enumerate(self.diagnoses):
            colour = cmap(k % 10)
            x = np.asarray(d.resources if d.resources is not None else [k], dtype=float)
            label = f"trial {d.trial_id}: {d.verdict or 'no verdict'}"
            val = self._curve(ax, x, d.validation, d.validation_std, colour, "-", label)
            train = None
            if d.train is not None:
                train = self._curve(ax, x, d.train, d.train_std, colour, "--", None)
            self.lines_[d.trial_id] = {"validation": val, "train": train}
        self._axes(ax, budgeted, log_x)
        self.ax_, self.figure_ = ax, fig
        return self

    @staticmethod
    def _curve(ax, x, mean, std, colour, style, label):
        mean = np.asarray(mean, dtype=float)
        std = np.zeros_like(mean) if std is None else np.asarray(std, dtype=float)
        marker = {"marker": "o"} if style == "-" else {"marker": "s", "fillstyle": "none"}
        (line,) = ax.plot(x, mean, style, ms=4, lw=1.6, color=colour, label=label, **marker)
        if len(x) > 1:
            ax.fill_between(x, mean - std, mean + std, color=colour, alpha=0.12, lw=0)
        else:  # one point: its spread as a bar
            ax.vlines(x, mean - std, mean + std, color=colour, alpha=0.5)
        return line

    def _axes(self, ax, budgeted, log_x):
        from matplotlib.lines import Line2D

        handles = [line["validation"] for line in self.lines_.values()]
        handles += [Line2D([], [], color="0.4", ls="-", marker="o", ms=4, label="validation"),
                    Line2D([], [], color="0.4", ls="--", marker="s", ms=4, fillstyle="none",
                           label="train")]
        if self.diagnoses:
            ax.legend(handles=handles, loc="best", fontsize="small")
        if budgeted:
            ticks = sorted({r for d in self.diagnoses for r in (d.resources or ())})
            if log_x and ticks and ticks[0] > 0 and ticks[-1] > ticks[0]:
                ax.set_xscale("log")
                if len(ticks) <= 12:  # the rungs themselves, not powers of ten
                    ax.set_xticks(ticks)
                    ax.set_xticklabels([f"{t:g}" for t in ticks])
                    ax.minorticks_off()
            ax.set_xlabel(f"resource ({self.resource_name})")
        elif self.diagnoses:
            ax.set_xticks(range(len(self.diagnoses)))
            ax.set_xticklabels([f"trial {d.trial_id}" for d in self.diagnoses])
            ax.set_xlim(-0.5, len(self.diagnoses) - 0.5)
        ax.set_ylabel(f"mean CV {self.metric_name}")
        n = len(self.diagnoses)
        ax.set_title("Learning curves: no finished trial" if not n else
                     f"Learning curves of the {n} best trial{'s' if n > 1 else ''}")
        ax.grid(True, alpha=0.3)
