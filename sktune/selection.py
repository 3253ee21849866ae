"""Choosing among trials the CV noise cannot tell apart.

A best CV score is an estimate with a standard error, and the runner-up is often
within it. :func:`tied_with_best` says which trials a paired test on the same folds
cannot separate from the best (the corrected resampled t-test of Nadeau and Bengio,
2003, which accounts for the overlap of the training sets of k-fold CV), and
:class:`OneStandardErrorRule` is a callable ``refit`` that picks, among the trials
within one standard error of the best, the simplest by an order you give.

References
----------
.. [1] C. Nadeau and Y. Bengio, "Inference for the Generalization Error", Machine
   Learning 52, 2003.
.. [2] T. Hastie, R. Tibshirani and J. Friedman, "The Elements of Statistical
   Learning", 2nd ed., section 7.10 (the one-standard-error rule).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["standard_error", "tied_with_best", "OneStandardErrorRule"]


def _folds(cv_results, metric):
    keys = sorted((k for k in cv_results if k.startswith("split") and
                   k.endswith(f"_test_{metric}")), key=lambda k: int(k[5:].split("_")[0]))
    if not keys:
        raise KeyError(f"cv_results has no split*_test_{metric} columns (metric={metric!r}).")
    return np.column_stack([np.asarray(cv_results[k], dtype=float) for k in keys])


def _comparable(cv_results):
    """Rows that may be chosen: complete (not failed, not raced) and, with a budget, trained
    to the highest ``n_resources`` a complete row reached."""
    n = len(cv_results["params"])
    ok = np.ones(n, dtype=bool)
    if "status" in cv_results:
        ok &= np.asarray(cv_results["status"]) == "ok"
    if "n_resources" in cv_results and ok.any():
        budget = np.asarray(cv_results["n_resources"], dtype=float)
        ok &= np.isclose(budget, budget[ok].max())
    return ok


def standard_error(cv_results, metric="score"):
    """The standard error of each row's mean test score: the standard deviation of its
    fold scores (``ddof=1``) over the square root of their number.

    Parameters
    ----------
    cv_results : dict
        A search's ``cv_results_``.
    metric : str, default="score"
        The metric (``"score"`` for a single one).

    Returns
    -------
    sem : ndarray of shape (n_rows,)
        NaN for rows with fewer than two scored folds.

    Examples
    --------
    >>> from sktune.selection import standard_error
    >>> res = {"params": [{}], "split0_test_score": [0.8], "split1_test_score": [0.9]}
    >>> round(float(standard_error(res)[0]), 3)
    0.05
    """
    folds = _folds(cv_results, metric)
    k = np.sum(np.isfinite(folds), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.array([np.std(f[np.isfinite(f)], ddof=1) if n > 1 else np.nan
                       for f, n in zip(folds, k)])
        return sd / np.sqrt(k)


def tied_with_best(cv_results, best_index, metric="score", alpha=0.05, test_size=None):
    """Which rows a paired test on the same folds cannot tell apart from the best.

    For each comparable row (complete, at the best's budget) the fold-by-fold
    differences to the best are tested with the corrected resampled t-test: their
    variance is inflated by ``1/k + n_test/n_train`` instead of ``1/k``, as k-fold
    training sets overlap. A row is tied when the two-sided p-value is at least
    ``alpha``; the best is tied with itself.

    Parameters
    ----------
    cv_results : dict
        A search's ``cv_results_``.
    best_index : int
        The row of the best (``best_index_``).
    metric : str, default="score"
        The metric compared.
    alpha : float, default=0.05
        The test's level.
    test_size : float or None, default=None
        ``n_test / n_train`` of the folds; None: ``1 / (k - 1)`` (k-fold CV).

    Returns
    -------
    tied : ndarray of bool, shape (n_rows,)

    Examples
    --------
    >>> import numpy as np
    >>> from sktune.selection import tied_with_best
    >>> res = {"params": [{}, {}, {}],
    ...        "split0_test_score": [0.90, 0.89, 0.60], "split1_test_score": [0.92, 0.92, 0.62],
    ...        "split2_test_score": [0.91, 0.90, 0.61]}
    >>> tied_with_best(res, 0).tolist()
    [True, True, False]
    """
    folds = _folds(cv_results, metric)
    k = folds.shape[1]
    ratio = 1.0 / (k - 1) if test_size is None else float(test_size)
    tied = np.zeros(len(folds), dtype=bool)
    tied[best_index] = True
    comparable = _comparable(cv_results)
    for i in np.flatnonzero(comparable):
        if i == best_index:
            continue
        d = folds[best_index] - folds[i]
        if not np.isfinite(d).all():
            continue
        var = np.var(d, ddof=1) * (1.0 / k + ratio)
        if var <= 0:
            tied[i] = bool(np.all(d == 0))
            continue
        t = d.mean() / np.sqrt(var)
        tied[i] = bool(2 * stats.t.sf(abs(t), k - 1) >= alpha)
    return tied


class OneStandardErrorRule:
    """A callable ``refit``: the simplest trial within one standard error of the best.

    Among the complete trials (at the highest budget, for Hyperband and PBT), the
    best mean test score ``m`` and its standard error ``se`` are found; of the trials
    scoring at least ``m - se``, the simplest by ``simplicity`` is chosen (the higher
    mean on ties). This is the rule scikit-learn's example "Balance model complexity
    and cross-validated score" writes by hand.

    Parameters
    ----------
    simplicity : str or callable
        A parameter name (the smaller its value, the simpler; ``"-name"``: the larger,
        the simpler, as for a regularisation strength), or ``key(params)`` returning a
        sortable value, smaller for simpler models.
    metric : str, default="score"
        The metric (the refit metric's name with several).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktune import BayesSearchCV, Real
    >>> from sktune.selection import OneStandardErrorRule
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(LogisticRegression(max_iter=500), {"C": Real(1e-3, 1e2, log=True)},
    ...                        n_iter=8, cv=5, random_state=0,
    ...                        refit=OneStandardErrorRule("C")).fit(X, y)
    >>> search.best_params_["C"] <= search.cv_results_["params"][
    ...     search.cv_results_["rank_test_score"].argmin()]["C"]
    True
    """

    def __init__(self, simplicity, metric="score"):
        self.simplicity = simplicity
        self.metric = metric

    def _key(self, params):
        s = self.simplicity
        if callable(s):
            return s(params)
        if not isinstance(s, str):
            raise TypeError(f"OneStandardErrorRule: 'simplicity' must be a parameter name or a "
                            f"callable. Got {s!r} instead.")
        name, sign = (s[1:], -1) if s.startswith("-") else (s, 1)
        if name not in params:
            raise KeyError(f"OneStandardErrorRule: the parameter {name!r} of 'simplicity' is "
                           f"not in the trials' params {sorted(params)}.")
        return sign * params[name]

    def __call__(self, cv_results):
        means = np.asarray(cv_results[f"mean_test_{self.metric}"], dtype=float)
        ok = _comparable(cv_results) & np.isfinite(means)
        if not ok.any():
            return int(np.nanargmax(means)) if np.isfinite(means).any() else 0
        best = int(np.flatnonzero(ok)[np.argmax(means[ok])])
        se = standard_error(cv_results, self.metric)[best]
        threshold = means[best] - (se if np.isfinite(se) else 0.0)
        within = np.flatnonzero(ok & (means >= threshold))
        params = cv_results["params"]
        return int(min(within, key=lambda i: (self._key(params[i]), -means[i], i)))

    def __repr__(self):
        return f"OneStandardErrorRule({self.simplicity!r}, metric={self.metric!r})"
