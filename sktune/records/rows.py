"""Records: one row per finished piece of work, and ``cv_results_`` built from them."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.stats import rankdata

from .._warn import warn
from ..schedulers.base import TrialResult

_BASE_INFO = ("trial_id", "status", "error", "device")


def result_to_row(result: TrialResult, error_score) -> dict:
    """A JSON-friendly row of one result (failed folds scored ``error_score``)."""
    n = len(result.errors)
    fill = np.full(n, np.nan if error_score == "raise" else float(error_score))

    def scores(d, metrics):
        return {m: [float(v) for v in d.get(m, fill)] for m in metrics}

    metrics = sorted(result.test_scores) or ["score"]
    row = {
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
    trained = result.trained_means
    if trained:  # early stopping, a decayed learning rate...
        row["trained"] = trained
    return row


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
        values = [r.get("trained", {}).get(key, r["info"].get(key)) for r in rows]
        if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
            results[key] = np.asarray(values)
        else:
            results[key] = np.array(values, dtype=object)
    results.update(_values_in_use(rows))
    return results


def _values_in_use(rows):
    """``effective_<param>`` columns where training used other values than the
    parameters (a scheduled learning rate at the end of the step)."""
    names = sorted({n for r in rows for n in r.get("trained", {}).get("params", {})})
    return {f"effective_{n}": np.array(
        [r.get("trained", {}).get("params", {}).get(n, r["params"].get(n, np.nan))
         for r in rows], dtype=float) for n in names}


def check_failures(rows, error_score):
    """Raise if every trial failed; else one warning that groups the failures."""
    ok = [r for r in rows if not any(e is not None for e in r["errors"])]
    if not ok:
        messages = sorted({e for r in rows for e in r["errors"] if e})
        raise ValueError(
            f"All the {len(rows)} trials failed. The errors were:\n" + "\n".join(
                f"- {m}" for m in messages[:10])
        )
    failed = [r for r in rows if any(e is not None for e in r["errors"])]
    if failed:
        groups = defaultdict(int)
        for r in failed:
            groups[next(e for e in r["errors"] if e)] += 1
        text = "\n".join(f"{n} trial(s) failed with: {e}" for e, n in groups.items())
        warn(f"{len(failed)} of the {len(rows)} trials failed and were scored "
             f"error_score={error_score!r}.\n{text}")
