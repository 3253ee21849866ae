"""Results of another task as a prior mean for the GP (warm start from related data).

Scores of another data set are on another scale, and only their order is
trusted: they are turned into normal scores (by rank), a GP is fitted to them
once, and its posterior mean is the prior mean of this task's GP, which then
models what is left (the residuals). The prior's weight starts at 1 and moves
towards the correlation of this task's scores with the prior mean as results
arrive, so a misleading prior fades out (an anti-correlated one after a few
results).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm, rankdata

# results of this task worth as much as the prior in its weight
_PSEUDO_COUNT = 5


def normal_scores(scores):
    """Ranks mapped to standard normal quantiles (ties share their mean rank)."""
    scores = np.asarray(scores, dtype=float)
    return norm.ppf((rankdata(scores) - 0.5) / len(scores))


def prior_weight(y, m):
    """The weight of the prior mean ``m`` for this task's standardised scores ``y``: the
    correlation of ``y`` with ``m``, shrunk towards 1 as if ``_PSEUDO_COUNT`` results agreed
    with the prior, and never below 0. So 1 with no results; an anti-correlated prior is
    dropped after a few results, an uncorrelated one fades as ``5 / (5 + n)``."""
    n = len(y)
    if n < 3 or np.std(m) < 1e-12 or np.std(y) < 1e-12:
        return 1.0
    corr = float(np.corrcoef(y, m)[0, 1])
    return max(0.0, (_PSEUDO_COUNT + n * corr) / (_PSEUDO_COUNT + n))


class PriorMean:
    """The posterior mean of a GP fitted to another task's normal scores.

    Parameters
    ----------
    model : _SubspaceModel
        A fresh GP model of the subspace (its hyperparameters are fitted here).
    Z : ndarray of shape (n, n_features)
        The other task's configurations, encoded.
    scores : array-like of shape (n,)
        Their scores (higher is better).
    """

    def __init__(self, model, Z, scores):
        y = normal_scores(scores)
        model.fit_hyperparameters(Z, y, maxiter=200)
        self.posterior = model.posterior(Z, y)

    def mean(self, Z):
        return self.posterior.predict(Z)[0]


class ShiftedPosterior:
    """A posterior of residuals plus ``weight`` times the prior mean (same interface)."""

    def __init__(self, residual, prior, weight):
        self.residual, self.prior, self.weight = residual, prior, weight

    def predict(self, Z, grad=False):
        if not grad:
            mu, sigma = self.residual.predict(Z)
            pm = self.prior.mean(Z)
            return mu + self.weight * (pm if mu.ndim == 1 else pm[:, None]), sigma
        mu, sigma, d_mu, d_sigma = self.residual.predict(Z, grad=True)
        pm, _, d_pm, _ = self.prior.posterior.predict(Z, grad=True)
        if mu.ndim == 2:  # one column per fantasy of the pending trials
            pm, d_pm = pm[:, None], d_pm[:, None, :]
        return mu + self.weight * pm, sigma, d_mu + self.weight * d_pm, d_sigma
