"""Warm starts: earlier results and points to try first (``initial_results``, ``initial_points``).

A search may start from the results of an earlier one: a fitted search
(sktune's, or scikit-learn's ``GridSearchCV``, ``RandomizedSearchCV`` and
``Halving*SearchCV``), its ``cv_results_`` (a dict or a DataFrame), or the
journal file of an sktune search. They are used in one of two ways:

- as **results** (same data, same CV splits, same scoring and estimator):
  they are rows of the new ``cv_results_`` (``imported`` is True), are not
  run again, may be the best, and the proposer learns them first;
- as a **prior** (another data set, other splits): the best of them are the
  first configurations tried, and nothing of them is reported.

This module reads a source into :class:`Imported` rows, checks configurations
against the new search space (:func:`check_points`), decides between the two
uses (:func:`choose_use`) and serves the first points
(:class:`FirstPoints`). The searches wire them in (``BaseSearch``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass

import numpy as np

from ._keys import params_key, to_json
from ._warn import warn
from .space import Categorical, Integer

__all__ = ["Imported", "read_initial_results", "check_points", "choose_use", "FirstPoints"]

# what "same data and CV" means: the journal fingerprint's parts that decide a fold's score
TASK_PARTS = ("data", "cv", "scoring", "estimator")
_SPLIT = re.compile(r"^split(\d+)_test_(.+)$")


@dataclass
class ImportedRow:
    """One imported result: a configuration scored on every CV fold."""

    params: dict
    test: dict  # metric -> per-fold scores
    train: dict
    fit_time: list
    score_time: list
    budget: float | None = None  # the training budget (None: a complete fit)
    failed: bool = False


@dataclass
class Imported:
    """The results of an earlier search, read by :func:`read_initial_results`.

    Attributes
    ----------
    rows : list of ImportedRow
    source : str
        What they came from, for messages ("GridSearchCV", "the journal 'a.jsonl'"...).
    task : dict or None
        The fingerprint parts (data, CV splits, scoring, estimator) of the
        earlier fit, where the source keeps them (sktune's searches and
        journals); None otherwise.
    n_splits : int
    metrics : list of str
        The metrics scored on every fold.
    schedules : bool
        Whether the rows are steps of population based training (their
        parameters changed during training: never complete results).
    """

    rows: list
    source: str
    task: dict | None
    n_splits: int
    metrics: list
    schedules: bool = False

    def digest(self) -> str:
        """A hash of the rows' contents (the journal checks a resumed search uses the same)."""
        text = json.dumps(to_json([[r.params, r.test, r.budget] for r in self.rows]),
                          sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- reading a source --------------------------------------------------------------------
def read_initial_results(value, owner, param="initial_results") -> Imported:
    """Read earlier results from a fitted search, a ``cv_results_`` or a journal path.

    Parameters
    ----------
    value : fitted search, dict, DataFrame, str or path-like
        The source (see the module docstring).
    owner : estimator
        The search that imports them (named in messages).
    param : str, default="initial_results"
        The parameter that holds ``value``.

    Returns
    -------
    imported : Imported
        The rows, with what is known of the task they were scored on.
    """
    where = f"The {param!r} parameter of {type(owner).__name__}"
    if isinstance(value, (str, os.PathLike)):
        return _from_journal(os.fspath(value), where)
    if hasattr(value, "history_") and hasattr(value, "task_fingerprint_"):  # sktune's
        return _from_rows(value.history_, type(value).__name__, dict(value.task_fingerprint_),
                          int(value.n_splits_), where)
    if hasattr(value, "cv_results_"):  # scikit-learn's searches
        return _from_sklearn_search(value, where)
    if hasattr(value, "fit") and hasattr(value, "get_params"):
        raise ValueError(
            f"{where} is an unfitted {type(value).__name__}: fit it first, or pass its "
            "cv_results_ (scikit-learn's clone, as cross_validate calls it, returns an "
            "unfitted copy of an estimator given as a parameter; a cv_results_ is kept).")
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a pandas DataFrame
        value = {c: list(value[c]) for c in value.columns}
    if isinstance(value, dict):
        return _from_cv_results(value, "cv_results_", where)
    raise ValueError(
        f"{where} must be a fitted search (sktune's, GridSearchCV, RandomizedSearchCV, "
        "HalvingGridSearchCV, HalvingRandomSearchCV), its cv_results_ (a dict or a pandas "
        f"DataFrame) or the path of an sktune journal. Got {type(value).__name__} instead.")


def _from_journal(path, where):
    from .records.journal import read_journal

    if not os.path.isfile(path):
        raise ValueError(f"{where} names {path!r}, which is not a file (a journal of an "
                         "earlier sktune search was expected).")
    try:
        events, _ = read_journal(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{where} names {path!r}, which is not an sktune journal: {exc}") \
            from None
    starts = [e for e in events if e.get("event") == "start"]
    if not starts:
        raise ValueError(f"{where} names {path!r}, which is not an sktune journal (no start "
                         "event).")
    parts = starts[0].get("parts", {})
    rows = [e["row"] for e in events if e.get("event") == "result"]
    if not rows:
        raise ValueError(f"{where} names the journal {path!r}, which holds no result yet.")
    n_splits = len(next(iter(rows[0]["test"].values()), []))
    return _from_rows(rows, f"the journal {path!r}", {k: parts.get(k) for k in TASK_PARTS},
                      n_splits, where)


def _from_rows(rows, source, task, n_splits, where):
    """Rows of sktune's ``history_`` (or a journal): per-fold scores and the budget."""
    out, schedules = [], False
    for r in rows:  # rows that search imported too: they were scored on the same task
        info = r.get("info", {})
        schedules = schedules or "member_id" in info
        errors = r.get("errors") or []
        out.append(ImportedRow(
            params=dict(r["params"]), test=_floats(r["test"]), train=_floats(r.get("train")),
            fit_time=list(r.get("fit_time") or [0.0] * n_splits),
            score_time=list(r.get("score_time") or [0.0] * n_splits),
            budget=info.get("n_resources"), failed=any(e is not None for e in errors)))
    metrics = sorted(rows[0]["test"]) if rows else []
    return Imported(out, source, task, n_splits, metrics, schedules=schedules)


def _floats(d):
    return {m: [np.nan if v is None else float(v) for v in vs] for m, vs in (d or {}).items()}


def _from_sklearn_search(search, where):
    results = search.cv_results_
    name = type(search).__name__
    imported = _from_cv_results(results, name, where)
    if "n_resources" in results and hasattr(search, "max_resources_"):
        # successive halving: a row on every sample (n_resources == max_resources_, as
        # min_resources="exhaust" reaches) is a complete fit; the others are budgeted
        if getattr(search, "resource", None) == "n_samples":
            for r in imported.rows:
                if r.budget == search.max_resources_:
                    r.budget = None
    return imported


def _from_cv_results(results, source, where):
    if "params" not in results:
        raise ValueError(f"{where} is a dict without a 'params' key: a cv_results_ was "
                         "expected.")
    splits = {}
    for key in results:
        m = _SPLIT.match(str(key))
        if m:
            splits.setdefault(m.group(2), set()).add(int(m.group(1)))
    if not splits:
        raise ValueError(f"{where} has no 'split<k>_test_<metric>' columns: the per-fold "
                         "scores are needed (cv_results_ as a search writes it).")
    n_splits = max(len(ks) for ks in splits.values())
    metrics = sorted(m for m, ks in splits.items() if ks == set(range(n_splits)))
    n = len(results["params"])
    status = results.get("status")

    def column(key, i, default=np.nan):
        col = results.get(key)
        return default if col is None else col[i]

    rows = []
    for i in range(n):
        test = {m: [float(column(f"split{k}_test_{m}", i)) for k in range(n_splits)]
                for m in metrics}
        train = {m: [float(column(f"split{k}_train_{m}", i)) for k in range(n_splits)]
                 for m in metrics if f"split0_train_{m}" in results}
        budget = column("n_resources", i, None)
        failed = (status is not None and status[i] == "failed") or not all(
            np.isfinite(v).all() for v in test.values())
        rows.append(ImportedRow(
            params=dict(results["params"][i]), test=test, train=train,
            fit_time=[float(column("mean_fit_time", i, 0.0))] * n_splits,
            score_time=[float(column("mean_score_time", i, 0.0))] * n_splits,
            budget=None if budget is None else float(budget), failed=failed))
    return Imported(rows, source, None, n_splits, metrics,
                    schedules="member_id" in results)


# -- checking configurations against the new space ------------------------------------------
def check_points(points, space, where, what="point"):
    """The configurations of ``points`` as the space holds them, or a ``ValueError``.

    Every point must give a value to each parameter of one sub-space and no
    other; values must lie in their dimensions (an integer-valued float of an
    :class:`~sktune.Integer` is read as the int). The message names the first
    bad parameter.

    Parameters
    ----------
    points : list of dict
    space : SearchSpace
    where : str
        The parameter the points come from, for messages.
    what : str, default="point"
        What one point is called in messages.

    Returns
    -------
    points : list of dict
    """
    known = set(space.names)
    out = []
    for i, p in enumerate(points):
        if not isinstance(p, dict):
            raise ValueError(f"{where}: {what} {i} must be a dict of parameter values. Got "
                             f"{p!r} instead.")
        unknown = sorted(set(p) - known)
        if unknown:
            raise ValueError(
                f"{where}: {what} {i} sets {unknown[0]!r}, which is not searched (the search "
                f"space has {sorted(known)}). Add it to the space or leave it out of the "
                f"{what}s.")
        sub = max(space.subspaces, key=lambda s: (len(set(s.names) & set(p)),
                                                  -len(set(s.names) - set(p))))
        missing = sorted(set(sub.names) - set(p))
        if missing or set(p) - set(sub.names):
            name = missing[0] if missing else sorted(set(p) - set(sub.names))[0]
            raise ValueError(
                f"{where}: {what} {i} ({p!r}) gives no value to {name!r}: every {what} "
                f"needs a value for each parameter of one sub-space ({list(sub.names)}).")
        fixed = {}
        for name, dim in zip(sub.names, sub.dimensions):
            v = _as_dimension_value(p[name], dim)
            if not dim.contains(v):
                raise ValueError(
                    f"{where}: {what} {i} sets {name!r} to {p[name]!r}, outside the search "
                    f"space ({name!r}: {dim!r}). Widen the space, or leave that {what} out.")
            fixed[name] = v
        out.append(fixed)
    return out


def _as_dimension_value(v, dim):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(dim, Integer) and isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(dim, Categorical):
        try:
            return dim.choices[dim.index(v)]
        except ValueError:
            return v
    return v


# -- results or prior ---------------------------------------------------------------------
def choose_use(imported, use, task, n_splits, metrics, owner):
    """``"results"`` or ``"prior"``: how the imported rows serve the new search.

    ``use`` is the search's ``initial_results_as``. ``"results"`` needs the same
    number of folds and the new search's metrics, and (where the source has a
    fingerprint) the same data, splits, scoring and estimator; ``"auto"`` picks
    ``"results"`` exactly when the fingerprints match, else ``"prior"`` (with
    a warning when the source has none, so nothing can be checked).
    """
    name = type(owner).__name__
    if use == "prior":
        return "prior"
    differ = None if imported.task is None else [
        k for k in TASK_PARTS if imported.task.get(k) != task.get(k)]
    if use == "auto":
        if differ is None:
            warn(f"{name}: the initial_results from {imported.source} keep no fingerprint of "
                 "their data and CV splits, so they are used as a prior only (the first points "
                 "to try). If they were scored on this data with these CV splits, pass "
                 "initial_results_as='results' to count them as results.")
            return "prior"
        if differ or imported.schedules or not _fits(imported, n_splits, metrics):
            return "prior"
        return "results"
    if differ:
        raise ValueError(
            f"{name}: initial_results_as='results', but the initial_results from "
            f"{imported.source} were scored with another {', '.join(differ)} (their "
            "fingerprint differs). Pass initial_results_as='prior' to use them as a prior.")
    if imported.schedules:
        raise ValueError(
            f"{name}: the initial_results from {imported.source} are steps of population "
            "based training, whose parameters changed while they trained: they cannot count as "
            "results. Pass initial_results_as='prior'.")
    if imported.n_splits != n_splits:
        raise ValueError(
            f"{name}: the initial_results from {imported.source} have {imported.n_splits} CV "
            f"folds, this search {n_splits}: they cannot count as its results. Use the same "
            "cv, or pass initial_results_as='prior'.")
    lacking = [m for m in metrics if m not in imported.metrics]
    if lacking:
        raise ValueError(
            f"{name}: the initial_results from {imported.source} have no scores for "
            f"{lacking[0]!r} (they have {imported.metrics}). Use the same scoring, or pass "
            "initial_results_as='prior'.")
    return "results"


def _fits(imported, n_splits, metrics):
    return imported.n_splits == n_splits and all(m in imported.metrics for m in metrics)


def best_configurations(rows, metric, k, exclude=()):
    """The ``k`` best distinct configurations of ``rows``, best first: those trained to the
    highest budget first (a complete fit counts as the highest), then by mean ``metric``
    (the first metric of the rows when they lack it)."""
    metric = metric if any(metric in r.test for r in rows) else (
        sorted(rows[0].test)[0] if rows and rows[0].test else None)
    scored = [(math.inf if r.budget is None else float(r.budget),
               float(np.mean(r.test[metric])), i, r.params) for i, r in enumerate(rows)
              if not r.failed and metric in r.test and np.isfinite(np.mean(r.test[metric]))]
    seen = {params_key(p) for p in exclude}
    out = []
    for _, _, _, params in sorted(scored, key=lambda t: (-t[0], -t[1], t[2])):
        key = params_key(params)
        if key not in seen and len(out) < k:
            seen.add(key)
            out.append(params)
    return out


def prior_scores(rows, metric):
    """``(params, mean score)`` of the rows at their highest budget (complete fits count as
    the highest), by ``metric`` (the rows' first metric when they lack it)."""
    metric = metric if any(metric in r.test for r in rows) else (
        sorted(rows[0].test)[0] if rows and rows[0].test else None)
    rows = [r for r in rows if not r.failed and metric in r.test]
    budgets = [math.inf if r.budget is None else float(r.budget) for r in rows]
    top = max(budgets, default=None)
    return [(r.params, float(np.mean(r.test[metric]))) for r, b in zip(rows, budgets)
            if b == top and np.isfinite(np.mean(r.test[metric]))]


def n_seeds(n_design):
    """Prior seeds: at most half of the initial design (rounded up), so it keeps exploring."""
    return int(math.ceil(n_design / 2))


# -- the first points ---------------------------------------------------------------------
class FirstPoints:
    """A proposer that hands out ``points`` first, then asks ``proposer``.

    ``tell`` and every other attribute go to the wrapped proposer, which
    learns the first points' scores as its own.

    Parameters
    ----------
    proposer : Proposer
    points : list of dict
    """

    def __init__(self, proposer, points):
        self.proposer = proposer
        self.queue = [dict(p) for p in points]

    def ask(self, n, *, pending=()):
        out = []
        while self.queue and len(out) < n:
            out.append(self.queue.pop(0))
        if len(out) < n:
            out += self.proposer.ask(n - len(out), pending=list(pending) + out)
        return out

    def tell(self, *args, **kwargs):
        return self.proposer.tell(*args, **kwargs)

    def __getattr__(self, name):
        if name == "proposer":  # not set yet (unpickling)
            raise AttributeError(name)
        return getattr(self.proposer, name)

