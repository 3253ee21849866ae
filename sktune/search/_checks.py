"""Checks of the data and the CV splits of one ``fit``, before any training."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import is_classifier, is_regressor

from .._compat import num_rows, takes_2d_input_only
from .._validation import Check
from .._warn import warn
from ..proposers.base import space_size, subspace_size
from ..space import Subspace


def make_splits(cv, X, y, split_params, owner):
    """The (train, test) splits of ``cv`` (computed once per fit), checked;
    ``split_params`` (such as ``groups``) go to ``cv.split``."""
    try:
        splits = list(cv.split(X, y, **split_params))
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"The 'cv' parameter of {type(owner).__name__} could not split the data: {exc}"
        ) from exc
    splits = check_splits(splits, num_rows(X), owner)
    groups = split_params.get("groups")
    expected = cv.get_n_splits(X, y, groups) if hasattr(cv, "get_n_splits") else len(splits)
    if expected != len(splits):  # as scikit-learn's searches check
        raise ValueError(
            f"The 'cv' parameter of {type(owner).__name__}: cv.split and cv.get_n_splits "
            f"return inconsistent results. Expected {expected} splits, got {len(splits)}."
        )
    return splits


def check_splits(splits, n_rows, owner):
    """The CV splits as (train, test) index arrays; reject those that cannot work: none,
    an empty fold, indices out of range. Boolean masks of the rows are taken, as
    scikit-learn's searches take them, and turned into indices."""
    who = type(owner).__name__
    if not splits:
        raise ValueError(
            f"The 'cv' parameter of {who} gave no train/test splits (an empty iterable?). "
            "No fits were performed. Was the CV iterator empty? Were there no candidates? "
            "Pass an int, a CV splitter or a non-empty list of (train, test) index arrays."
        )
    checked = []
    for k, split in enumerate(splits):
        if not (isinstance(split, (tuple, list)) and len(split) == 2):
            raise ValueError(f"The 'cv' parameter of {who}: split {k} is not a (train, test) "
                             f"pair of index arrays. Got {split!r}.")
        pair = []
        for name, part in zip(("train", "test"), split):
            idx = np.asarray(part)
            mask = idx.dtype == bool
            if mask:
                if idx.shape != (n_rows,):
                    raise ValueError(
                        f"The 'cv' parameter of {who}: the {name} fold of split {k} is a "
                        f"boolean mask of shape {idx.shape}; a mask needs one value per row "
                        f"of X ({n_rows}).")
                idx = np.flatnonzero(idx)
            if idx.size == 0:
                raise ValueError(f"The 'cv' parameter of {who}: the {name} fold of split {k} "
                                 "is empty.")
            if not np.issubdtype(idx.dtype, np.integer) or idx.min() < -n_rows or (
                    idx.max() >= n_rows):
                raise ValueError(
                    f"The 'cv' parameter of {who}: the {name} fold of split {k} has indices "
                    f"outside the {n_rows} rows of X."
                )
            pair.append(idx if mask else part)
        checked.append(tuple(pair) if isinstance(split, tuple) else pair)
    return checked


def _is_1d_numbers(X):
    if not isinstance(X, (np.ndarray, list, tuple)):
        return False  # dataframes, sparse matrices and custom containers are not 1-D
    try:
        values = np.asarray(X)
    except (ValueError, TypeError):
        return False
    return values.ndim == 1 and values.dtype.kind in "biuf"


def check_data(estimator, X, y, fit_params, owner):
    """Reject data the estimator cannot take, as far as that is known without fitting."""
    who = type(owner).__name__
    n = num_rows(X)
    if _is_1d_numbers(X) and takes_2d_input_only(estimator):
        raise ValueError(
            f"X passed to {who}.fit is 1-D (shape {np.shape(X)}), but "
            f"{type(estimator).__name__} takes a 2-D array of shape (n_samples, n_features). "
            "Reshape it with X.reshape(-1, 1) if it holds a single feature, or "
            "X.reshape(1, -1) if it is a single sample."
        )
    if y is None and (is_classifier(estimator) or is_regressor(estimator)):
        kind = "classifier" if is_classifier(estimator) else "regressor"
        raise ValueError(f"{who}.fit needs y: {type(estimator).__name__} is a {kind} (it "
                         "requires y to be passed, but the target y is None).")
    if y is not None and (is_classifier(estimator) or is_regressor(estimator)):
        values = np.asarray(y)
        if values.dtype.kind == "f" and np.isnan(values).any():
            raise ValueError(
                f"y passed to {who}.fit contains NaN ({int(np.isnan(values).sum())} values); "
                f"{type(estimator).__name__} cannot learn from missing targets. Drop those "
                "rows or impute the targets first."
            )
    for key, value in fit_params.items():
        if key.split("__")[-1] == "sample_weight" and not isinstance(
                value, (str, dict, numbers.Number)):
            length = num_rows(value)
            if length is not None and length != n:
                raise ValueError(
                    f"The fit parameter {key!r} passed to {who}.fit has {length} values, but "
                    f"X has {n} rows: it must have one value per row."
                )


def capped_n_iter(n_iter, space, quiet=False):
    """``n_iter``, capped at the size of a finite space (or subspace) with
    scikit-learn's warning (as ``RandomizedSearchCV`` does), so no configuration is
    scored twice."""
    size = subspace_size(space) if isinstance(space, Subspace) else space_size(space)
    if n_iter > size:
        if not quiet:
            what = "sub-space" if isinstance(space, Subspace) else "total space"
            warn(f"The {what} of parameters {int(size)} is smaller than n_iter={n_iter}. "
                 f"Running {int(size)} iterations. For exhaustive searches, use GridSearchCV.")
        return int(size)
    return n_iter


def _is_pre_dispatch(v):
    return v is None or (isinstance(v, str) and v.strip() != "") or (
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1)


# GridSearchCV's pre_dispatch: accepted, with nothing to limit (see the searches' docs)
PRE_DISPATCH_CONSTRAINT = [Check(_is_pre_dispatch, "None, an int >= 1 or a str such as "
                                 "'2*n_jobs'")]


def check_no_subspace_counts(space, owner):
    """Refuse scikit-optimize's ``(dict, n_iter)`` pairs where a search cannot honour them."""
    if any(n is not None for n in space.n_iters):
        raise ValueError(
            f"The {owner._space_param!r} parameter of {type(owner).__name__} holds "
            "(space, n_iter) pairs: per-sub-space trial counts are BayesSearchCV's (and "
            f"scikit-optimize's) form. {type(owner).__name__} spreads its trials over the "
            "sub-spaces in turn: pass the dicts alone."
        )
