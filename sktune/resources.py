"""Resources: how one estimator is advanced along its training budget.

A resource moves an estimator from budget ``start`` to ``stop`` (epochs,
``partial_fit`` passes, trees, samples...). :class:`FullFit` is the plain
``fit`` used when the budget is not searched over.
"""

from __future__ import annotations

__all__ = ["Resource", "FullFit"]


class Resource:
    """Base class of resource adapters.

    Attributes
    ----------
    name : str
        What the budget counts (shown as ``resource_`` on a search).
    continues : bool
        True when ``advance`` continues training from ``start`` rather than
        refitting from scratch.
    """

    name = "none"
    continues = False

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        """Train ``estimator`` from budget ``start`` to ``stop`` and return it."""
        raise NotImplementedError

    def hot_params(self, estimator) -> set[str]:
        """Names of parameters that may change between steps without a rebuild."""
        return set()

    def describe(self) -> str:
        return self.name


class FullFit(Resource):
    """Fit the estimator once, to the end (no budget)."""

    name = "fit"

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        if y is None:
            return estimator.fit(X, **fit_params)
        return estimator.fit(X, y, **fit_params)
