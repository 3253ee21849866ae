"""The one place that may touch private scikit-learn API or version differences."""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.utils import _safe_indexing  # documented public helper despite its name

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2] if p.isdigit())


def safe_split(estimator, X, y, indices, train_indices=None):
    """Rows ``indices`` of ``X`` and ``y`` (square kernel matrices sliced on both axes)."""
    is_pairwise = is_pairwise_estimator(estimator)
    if is_pairwise:
        if not hasattr(X, "shape"):
            raise ValueError("Precomputed kernels or affinity matrices have to be passed as arrays.")
        cols = indices if train_indices is None else train_indices
        X_sub = X[np.ix_(indices, cols)]
    else:
        X_sub = _safe_indexing(X, indices)
    y_sub = None if y is None else _safe_indexing(y, indices)
    return X_sub, y_sub


def is_pairwise_estimator(estimator):
    if SKLEARN_VERSION >= (1, 6):
        from sklearn.utils import get_tags

        return bool(get_tags(estimator).input_tags.pairwise)
    return bool(getattr(estimator, "_get_tags", dict)().get("pairwise", False))


def index_rows(value, indices):
    return _safe_indexing(value, indices)


def search_tags(search, tags):
    """Tags of a search: those of the estimator it wraps (scikit-learn >= 1.6)."""
    from copy import deepcopy

    from sklearn.utils import get_tags

    sub = get_tags(search.estimator)
    tags.estimator_type = sub.estimator_type
    tags.classifier_tags = deepcopy(sub.classifier_tags)
    tags.regressor_tags = deepcopy(sub.regressor_tags)
    tags.input_tags.pairwise = sub.input_tags.pairwise
    tags.input_tags.sparse = sub.input_tags.sparse
    tags.target_tags.required = sub.target_tags.required
    return tags


def search_more_tags(search):
    """Tags for scikit-learn < 1.6 (the ``_more_tags`` protocol)."""
    est = search.estimator
    more = getattr(est, "_get_tags", lambda: {})()
    return {
        "pairwise": more.get("pairwise", False),
        "requires_y": more.get("requires_y", False),
        "_xfail_checks": {
            "check_supervised_y_2d": "DataConversionWarning not caught",
            "check_requires_y_none": "Doesn't fail gracefully",
        },
    }


def estimator_type(search):
    return getattr(search.estimator, "_estimator_type", None)
