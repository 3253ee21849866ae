"""Records: one row per finished piece of work, and ``cv_results_`` built from them."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.exceptions import FitFailedWarning

from .._warn import warn
from ..racing import folds_run, is_raced, race_info
from ..schedulers.base import TrialResult

_BASE_INFO = ("trial_id", "status", "error", "device")


def result_to_row(result: TrialResult, error_score, metrics=None) -> dict:
    """A JSON-friendly row of one result; each failed fold is scored ``error_score``.

    ``metrics``: the metric names (default: those the result has, else ``"score"``).
    """
    fill = np.nan if error_score == "raise" else float(error_score)
    failed = [e is not None for e in result.errors]
    names = sorted(metrics or result.test_scores) or ["score"]

    def scores(d):
        out = {}
        for m in names:
            values = d.get(m, [fill] * len(failed))
            out[m] = [fill if bad else float(v) for v, bad in zip(values, failed)]
        return out

    row = {
        "trial_id": result.trial_id,
        "params": dict(result.params),
        "info": dict(result.work.info),
        "start": result.work.start,
        "stop": result.work.stop,
        "test": scores(result.test_scores),
        "train": scores(result.train_scores) if result.train_scores else {},
        "fit_time": [float(t) for t in result.fit_times],
        "score_time": [float(t) for t in result.score_times],
        "errors": list(result.errors),
        "devices": [d for d in result.devices],
    }
    trained = result.trained_means
    if trained:  # early stopping, a decayed learning rate...
        row["trained"] = trained
    if result.race is not None:
        row["race"] = dict(result.race)
    if result.model_sizes is not None:
        row["model_size"] = [np.nan if s is None else float(s) for s in result.model_sizes]
    return row


def _rank(means, behind=None):
    """scikit-learn's ranks (1 = best, ties share the lowest rank, NaN last); the rows
    ``behind`` (raced trials) rank after every other finite mean."""
    means = np.asarray(means, dtype=float)
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    nan = np.isnan(means)
    group = np.where(nan, 2, 0)
    if behind is not None:
        group = np.where(np.asarray(behind) & ~nan, 1, group)
    filled = np.where(nan, 0.0, means)
    order = np.lexsort((-filled, group))
    keys = list(zip(group[order], filled[order]))
    ranks = np.empty(len(means), dtype=np.int32)
    rank = 1
    for pos, i in enumerate(order):
        if pos and keys[pos] != keys[pos - 1]:
            rank = pos + 1
        ranks[i] = rank
    return ranks


def _fold_mean_std(arr, n_run):
    """Mean and std over the folds each row ran (the first ``n_run[i]`` of row ``i``)."""
    mean, std = arr.mean(axis=1), arr.std(axis=1)
    for i in np.flatnonzero(n_run < arr.shape[1]):
        run = arr[i, : n_run[i]]
        mean[i], std[i] = run.mean(), run.std()
    return mean, std


def _masked_column(values, present):
    """A ``param_*`` column with GridSearchCV's dtype: the one numpy infers from the values
    present (bool, int, float...), object for strings, sequences and mixed values."""
    given = [v for v, ok in zip(values, present) if ok]
    try:
        inferred = np.array(given)
    except (ValueError, TypeError):  # sequences of different lengths
        dtype = np.dtype(object)
    else:
        dtype = inferred.dtype if inferred.dtype.kind != "U" and inferred.ndim == 1 else object
    col = np.ma.MaskedArray(np.empty(len(values), dtype=dtype), mask=True)
    for i, (v, ok) in enumerate(zip(values, present)):
        if ok:
            col[i] = v
    return col


def build_cv_results(rows, metrics, n_splits, *, return_train_score, error_score, error_fill):
    """``cv_results_`` from rows, with scikit-learn's keys plus ours.

    ``metrics`` are the metric names (``["score"]`` for one metric); ``rows``
    come from :func:`result_to_row`.
    """
    n = len(rows)
    results = {}
    n_run = np.array([folds_run(r) for r in rows], dtype=int)
    raced = np.array([is_raced(r) for r in rows], dtype=bool)
    fit = np.array([r["fit_time"] for r in rows], dtype=float).reshape(n, n_splits)
    sco = np.array([r["score_time"] for r in rows], dtype=float).reshape(n, n_splits)
    results["mean_fit_time"], results["std_fit_time"] = _fold_mean_std(fit, n_run)
    results["mean_score_time"], results["std_score_time"] = _fold_mean_std(sco, n_run)

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
            mean, std = _fold_mean_std(arr, n_run)
            results[f"mean_{which}_{m}"] = mean
            if not np.isfinite(mean).all():  # as GridSearchCV warns
                warn(f"One or more of the {which} scores are non-finite: {mean}")
            results[f"std_{which}_{m}"] = std
            if which == "test":
                results[f"rank_test_{m}"] = _rank(mean, raced)

    results["trial_id"] = np.array([r["trial_id"] for r in rows], dtype=int)
    results["status"] = np.array(
        ["failed" if any(e is not None for e in r["errors"]) else "raced" if is_raced(r)
         else "ok" for r in rows], dtype=object,
    )
    if any(race_info(r) for r in rows):  # a racing search
        results["folds_run"] = n_run
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
    """Warn of failed fits as ``GridSearchCV`` does (``FitFailedWarning``); raise if all failed.

    The failures are counted per fit (one fold of one row) and grouped by error.
    """
    errors = [e for r in rows for e in r["errors"]]
    failed = Counter(e for e in errors if e is not None)
    if not failed:
        return
    n_failed = sum(failed.values())
    details = "Below are more details about the failures:\n" + "\n".join(
        f"{'-' * 80}\n{n} fits failed with the following error:\n{e}" for e, n in failed.items())
    if n_failed == len(errors):
        raise ValueError(
            f"\nAll the {len(errors)} fits failed.\nIt is very likely that your model is "
            "misconfigured.\nYou can try to debug the error by setting error_score='raise'.\n\n"
            + details)
    n_rows = sum(any(e is not None for e in r["errors"]) for r in rows)
    warn(f"\n{n_failed} fits failed out of a total of {len(errors)}.\nThe score on these "
         f"train-test partitions for these parameters will be set to {error_score}.\nIf these "
         "failures are not expected, you can try to debug them by setting error_score='raise'."
         f"\n\n{details}\n{'-' * 80}\nsktune: {n_rows} of the {len(rows)} results failed on at "
         "least one fold (cv_results_['status'] is 'failed', cv_results_['error'] holds the "
         "error).", FitFailedWarning)
