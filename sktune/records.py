"""Records: one row per finished piece of work, and ``cv_results_`` built from them."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .schedulers.base import TrialResult

_BASE_INFO = ("trial_id", "status", "error", "device")


def result_to_row(result: TrialResult, error_score) -> dict:
    """A JSON-friendly row of one result (failed folds scored ``error_score``)."""
    n = len(result.errors)
    fill = np.full(n, np.nan if error_score == "raise" else float(error_score))

    def scores(d, metrics):
        return {m: [float(v) for v in d.get(m, fill)] for m in metrics}

    metrics = sorted(result.test_scores) or ["score"]
    return {
        "trial_id": result.trial_id,
        "params": dict(result.params),
        "info": dict(result.work.info),
        "start": result.work.start,
        "stop": result.work.stop,
        "test": scores(result.test_scores, metrics),
        "train": scores(result.train_scores, metrics) if result.train_scores else {},
        "fit_time": [float(t) for t in result.fit_times],
        "score_time": [float(t) for t in result.score_times],
        "errors": list(result.errors),
        "devices": [d for d in result.devices],
    }


def _rank(means):
    means = np.asarray(means, dtype=float)
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return rankdata(-filled, method="min").astype(np.int32)


def _masked_column(values, present):
    col = np.ma.MaskedArray(np.empty(len(values), dtype=object), mask=True)
    for i, (v, ok) in enumerate(zip(values, present)):
        if ok:
            col[i] = v
    try:  # numeric columns as numbers, as scikit-learn >= 1.5 does
        if all(ok for ok in present) and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values
        ):
            return np.ma.MaskedArray(np.asarray(values), mask=False)
    except (TypeError, ValueError):
        pass
    return col


def build_cv_results(rows, metrics, n_splits, *, return_train_score, error_score, error_fill):
    """``cv_results_`` from rows, with scikit-learn's keys plus ours.

    ``metrics`` are the metric names (``["score"]`` for one metric); ``rows``
    come from :func:`result_to_row`.
    """
    n = len(rows)
    results = {}
    fit = np.array([r["fit_time"] for r in rows], dtype=float).reshape(n, n_splits)
    sco = np.array([r["score_time"] for r in rows], dtype=float).reshape(n, n_splits)
    results["mean_fit_time"], results["std_fit_time"] = fit.mean(axis=1), fit.std(axis=1)
    results["mean_score_time"], results["std_score_time"] = sco.mean(axis=1), sco.std(axis=1)

    names = sorted({k for r in rows for k in r["params"]})
    for name in names:
        present = [name in r["params"] for r in rows]
        values = [r["params"].get(name) for r in rows]
        results[f"param_{name}"] = _masked_column(values, present)
    results["params"] = [dict(r["params"]) for r in rows]

    sets = ["test", "train"] if return_train_score else ["test"]
    for which in sets:
        for m in metrics:
            arr = np.array(
                [r[which].get(m, [error_fill] * n_splits) for r in rows], dtype=float
            ).reshape(n, n_splits)
            for k in range(n_splits):
                results[f"split{k}_{which}_{m}"] = arr[:, k]
            mean = arr.mean(axis=1)
            results[f"mean_{which}_{m}"] = mean
            results[f"std_{which}_{m}"] = arr.std(axis=1)
            if which == "test":
                results[f"rank_test_{m}"] = _rank(mean)

    results["trial_id"] = np.array([r["trial_id"] for r in rows], dtype=int)
    results["status"] = np.array(
        ["failed" if any(e is not None for e in r["errors"]) else "ok" for r in rows],
        dtype=object,
    )
    results["error"] = np.array(
        [next((e for e in r["errors"] if e is not None), "") for r in rows], dtype=object
    )
    results["device"] = np.array(
        [",".join(sorted({str(d) for d in r["devices"]})) for r in rows], dtype=object
    )
    info_keys = sorted({k for r in rows for k in r["info"]})
    for key in info_keys:
        values = [r["info"].get(key) for r in rows]
        if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
            results[key] = np.asarray(values)
        else:
            results[key] = np.array(values, dtype=object)
    return results


class History:
    """The rows a search recorded, and the one rule that picks the best of them.

    The rule: among the rows at the highest *level* that a successful result
    reached (``level(row)``: the budget for Hyperband, whether the full budget
    was trained for PBT, 0 for plain searches), the highest mean test score of
    ``metric``, the first row on ties. The progress bar, callbacks,
    ``best_score_so_far_`` and ``best_index_`` all use it, so a callback never
    sees a best that the search could not pick.

    Parameters
    ----------
    level : callable
        ``level(row) -> float``, from the scheduler.
    metric : str or None
        The metric the best is chosen by (None: no best, as with several
        metrics and ``refit=False``).
    """

    def __init__(self, level, metric):
        self.level = level
        self.metric = metric
        self.rows: list[dict] = []
        self.scores: list[float] = []  # the mean test score of each result (NaN: failed)
        self._levels: list[float] = []
        self._best: dict[float, tuple[float, int]] = {}  # level -> (score, row index)
        self._top = None

    def add(self, result, row):
        """Record one result and its row."""
        index, level = len(self.rows), self.level(row)
        self.rows.append(row)
        self.scores.append(result.score)
        self._levels.append(level)
        score = self._row_score(row)
        if not np.isnan(score) and (level not in self._best or score > self._best[level][0]):
            self._best[level] = (score, index)
        if not result.failed and np.isfinite(result.score):
            self._top = level if self._top is None else max(self._top, level)

    def _row_score(self, row):
        if self.metric is None or self.metric not in row["test"]:
            return np.nan
        return float(np.mean(row["test"][self.metric]))

    def eligible(self):
        """Which rows the rule may pick (all of them before any success)."""
        return np.array([self._top is None or lv == self._top for lv in self._levels])

    def best_row(self):
        """The best row so far, or None."""
        best = self._best.get(self._top)
        return None if best is None else self.rows[best[1]]

    def best_score(self):
        """The best row's mean test score so far (NaN before any)."""
        best = self._best.get(self._top)
        return np.nan if best is None else best[0]
