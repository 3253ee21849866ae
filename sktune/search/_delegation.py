"""What a fitted search delegates to its best estimator (``predict``, ``score``...).

As in scikit-learn's searches, each method exists only with ``refit=True`` and
when the estimator has it: the best estimator once fitted, else the given one
(``available_if``, so ``hasattr`` tells).
"""

from __future__ import annotations

from collections.abc import Mapping

from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._routing import route_score
from .._scoring import build_scorers


def _check_refit(search, attr):
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} was initialized with `refit=False`. {attr} is "
            "available only after refitting on the best parameters (refit=True). Refit one "
            "yourself with best_params_ if you need it."
        )


def _estimator_has(attr):
    def check(self):
        _check_refit(self, attr)
        getattr(self.best_estimator_ if hasattr(self, "best_estimator_") else self.estimator,
                attr)  # raises AttributeError when it has none
        return True

    return check


class DelegationMixin:
    """The best estimator's methods and attributes, on the search."""

    def _check_refitted(self, method):
        _check_refit(self, method)
        check_is_fitted(self)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the best estimator. Only available with ``refit=True``.

        Parameters
        ----------
        X : indexable, length n_samples
            Input data the best estimator accepts (arrays, sparse matrices, DataFrames).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The best estimator's predictions.
        """
        self._check_refitted("predict")
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the best estimator.

        Parameters
        ----------
        X : indexable, length n_samples
            Input data the best estimator accepts (arrays, sparse matrices, DataFrames).

        Returns
        -------
        y_proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns in the order of ``classes_``.
        """
        self._check_refitted("predict_proba")
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the best estimator.

        Parameters
        ----------
        X : indexable, length n_samples
            Input data the best estimator accepts (arrays, sparse matrices, DataFrames).

        Returns
        -------
        y_log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, columns in the order of ``classes_``.
        """
        self._check_refitted("predict_log_proba")
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the best estimator.

        Parameters
        ----------
        X : indexable, length n_samples
            Input data the best estimator accepts (arrays, sparse matrices, DataFrames).

        Returns
        -------
        y_score : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The best estimator's decision function.
        """
        self._check_refitted("decision_function")
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("score_samples"))
    def score_samples(self, X):
        """``score_samples`` of the best estimator.

        Parameters
        ----------
        X : indexable, length n_samples
            Input data the best estimator accepts (arrays, sparse matrices, DataFrames).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The best estimator's ``score_samples``.
        """
        self._check_refitted("score_samples")
        return self.best_estimator_.score_samples(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """Transform with the best estimator.

        Parameters
        ----------
        X : indexable, length n_samples
            Input data the best estimator accepts (arrays, sparse matrices, DataFrames).

        Returns
        -------
        X_new : ndarray or sparse matrix of shape (n_samples, n_features_new)
            ``X`` transformed by the best estimator.
        """
        self._check_refitted("transform")
        return self.best_estimator_.transform(X)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X):
        """Inverse transform with the best estimator.

        Parameters
        ----------
        X : indexable, length n_samples
            Input data the best estimator accepts (arrays, sparse matrices, DataFrames).

        Returns
        -------
        X_original : ndarray or sparse matrix of shape (n_samples, n_features)
            ``X`` mapped back by the best estimator's ``inverse_transform``.
        """
        self._check_refitted("inverse_transform")
        return self.best_estimator_.inverse_transform(X)

    def score(self, X, y=None, **params):
        """Score of the best estimator on ``(X, y)`` with the refit metric.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,), default=None
            Targets (None for unsupervised estimators).
        **params : dict
            Metadata for the scorer (``sample_weight``...), routed to the scorer that
            requests it; only with ``sklearn.set_config(enable_metadata_routing=True)``.

        Returns
        -------
        score : float
            The refit metric of the best estimator on ``(X, y)``.
        """
        self._check_refitted("score")
        routed = route_score(self, *build_scorers(self.estimator, self.scoring), params)
        scorer = self.scorer_
        if isinstance(scorer, Mapping):
            scorer, kw = scorer[self._refit_metric], routed.get(self._refit_metric, {})
        else:
            kw = next(iter(routed.values()))
        est = self.best_estimator_
        value = scorer(est, X, **kw) if y is None else scorer(est, X, y, **kw)
        if isinstance(value, Mapping):  # a callable scoring that returns a dict
            value = value[self._refit_metric]
        return float(value)

    @property
    def classes_(self):
        """Class labels of the best estimator."""
        _estimator_has("classes_")(self)
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self):
        """Number of features seen by the best estimator."""
        try:
            check_is_fitted(self)
        except Exception as exc:
            raise AttributeError(str(exc)) from exc
        if not hasattr(self, "best_estimator_"):
            raise AttributeError(f"{type(self).__name__} has no best_estimator_ (refit=False).")
        return self.best_estimator_.n_features_in_
