"""Pareto tools for multi-objective search: every objective is *maximised* here.

Non-dominated sorting and crowding distance (Deb et al., 2002, NSGA-II), the
hypervolume a set of points dominates above a reference point, and ParEGO's
augmented Tchebycheff scalarisation (Knowles, 2006). Callers negate the
objectives they minimise (fit time, model size).
"""

from __future__ import annotations

import numpy as np

__all__ = ["pareto_ranks", "crowding_distance", "nsga_order", "hypervolume", "tchebycheff",
           "dominates"]


def dominates(a, b):
    """Whether ``a`` is at least as good as ``b`` everywhere and better somewhere."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(a >= b) and np.any(a > b))


def pareto_ranks(F):
    """Non-domination rank of each row of ``F`` (1: the Pareto front).

    Rows with a NaN are ranked after every finite row (failed results).

    Parameters
    ----------
    F : array-like of shape (n_points, n_objectives)
        Objective values, larger is better.

    Returns
    -------
    ranks : ndarray of int of shape (n_points,)

    Examples
    --------
    >>> from sktune.pareto import pareto_ranks
    >>> pareto_ranks([[1, 0], [0, 1], [0.5, 0.5], [0, 0]]).tolist()
    [1, 1, 1, 2]
    """
    F = np.atleast_2d(np.asarray(F, dtype=float))
    n = len(F)
    ranks = np.zeros(n, dtype=int)
    ok = np.isfinite(F).all(axis=1)
    idx = np.flatnonzero(ok)
    G = F[idx]
    # better[i, j]: point i dominates point j
    ge = (G[:, None, :] >= G[None, :, :]).all(axis=2)
    gt = (G[:, None, :] > G[None, :, :]).any(axis=2)
    better = ge & gt
    n_dominating = better.sum(axis=0)
    rank, current = 1, np.flatnonzero(n_dominating == 0)
    while len(current):
        ranks[idx[current]] = rank
        n_dominating = n_dominating - better[current].sum(axis=0)
        n_dominating[current] = -1
        rank += 1
        current = np.flatnonzero(n_dominating == 0)
    ranks[~ok] = rank if len(idx) else 1
    return ranks


def crowding_distance(F):
    """NSGA-II's crowding distance of each row of ``F`` (within one front).

    Boundary points of every objective get ``inf``; the others the sum over
    objectives of the normalised gap between their neighbours.

    Parameters
    ----------
    F : array-like of shape (n_points, n_objectives)

    Returns
    -------
    distance : ndarray of shape (n_points,)

    Examples
    --------
    >>> from sktune.pareto import crowding_distance
    >>> crowding_distance([[0, 2], [1, 1], [2, 0]]).tolist()
    [inf, 2.0, inf]
    """
    F = np.atleast_2d(np.asarray(F, dtype=float))
    n, m = F.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(F[:, j], kind="stable")
        span = F[order[-1], j] - F[order[0], j]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (F[order[2:], j] - F[order[:-2], j]) / span
    return dist


def nsga_order(F):
    """Indices of the rows of ``F`` best first: by Pareto rank, then by crowding distance
    within a front (NSGA-II), then by position. Rows with a NaN come last.

    Parameters
    ----------
    F : array-like of shape (n_points, n_objectives)

    Returns
    -------
    order : list of int

    Examples
    --------
    >>> from sktune.pareto import nsga_order
    >>> nsga_order([[0, 0], [1, 0], [0, 1], [0.5, 0.5]])
    [1, 2, 3, 0]
    """
    F = np.atleast_2d(np.asarray(F, dtype=float))
    if not len(F):
        return []
    ranks = pareto_ranks(F)
    crowd = np.zeros(len(F))
    for r in np.unique(ranks):
        members = np.flatnonzero(ranks == r)
        if np.isfinite(F[members]).all():
            crowd[members] = crowding_distance(F[members])
    return sorted(range(len(F)), key=lambda i: (ranks[i], -crowd[i], i))


def hypervolume(F, reference):
    """Volume dominated by the rows of ``F`` above ``reference`` (maximisation).

    Exact, by slicing along the first objective (fast in 2-D, fine for tens of
    points in 3-4-D). Points not better than the reference everywhere add nothing.

    Parameters
    ----------
    F : array-like of shape (n_points, n_objectives)
    reference : array-like of shape (n_objectives,)
        A point worse than every point of interest.

    Returns
    -------
    volume : float

    Examples
    --------
    >>> from sktune.pareto import hypervolume
    >>> hypervolume([[1, 2], [2, 1]], [0, 0])
    3.0
    """
    F = np.atleast_2d(np.asarray(F, dtype=float))
    ref = np.asarray(reference, dtype=float)
    F = F[np.isfinite(F).all(axis=1) & (F > ref).all(axis=1)]
    if not len(F):
        return 0.0
    F = F[pareto_ranks(F) == 1]
    return float(_hv(F - ref))


def _hv(P):
    """Hypervolume of points ``P`` (all positive) above the origin."""
    if P.shape[1] == 1:
        return P[:, 0].max()
    if P.shape[1] == 2:
        P = P[np.argsort(-P[:, 0])]
        ys = np.maximum.accumulate(P[:, 1])
        widths = P[:, 0] - np.append(P[1:, 0], 0.0)
        return float(np.sum(widths * ys))
    # slice along the first objective: between consecutive values, the points at least that
    # good in it form a set whose (m-1)-D volume is constant
    xs = np.unique(P[:, 0])[::-1]
    volume = 0.0
    for k, x in enumerate(xs):
        lower = xs[k + 1] if k + 1 < len(xs) else 0.0
        rest = P[P[:, 0] >= x][:, 1:]
        rest = rest[pareto_ranks(rest) == 1]
        volume += (x - lower) * _hv(rest)
    return volume


def tchebycheff(F, weights, *, rho=0.05, bounds=None):
    """ParEGO's augmented Tchebycheff scalarisation (larger is better).

    Each objective is scaled to ``[0, 1]`` over ``bounds`` (default: the range of
    ``F``), then ``s = min_j w_j f_j + rho * sum_j w_j f_j``; a different weight
    vector per proposal draws the search along the whole front.

    Parameters
    ----------
    F : array-like of shape (n_points, n_objectives)
    weights : array-like of shape (n_objectives,)
        Non-negative, summing to one.
    rho : float, default=0.05
    bounds : tuple of arrays (low, high), default=None

    Returns
    -------
    scalar : ndarray of shape (n_points,)

    Examples
    --------
    >>> from sktune.pareto import tchebycheff
    >>> tchebycheff([[1, 0], [0, 1], [0.6, 0.6]], [0.5, 0.5]).round(2).tolist()
    [0.02, 0.02, 0.33]
    """
    F = np.atleast_2d(np.asarray(F, dtype=float))
    w = np.asarray(weights, dtype=float)
    low, high = (np.nanmin(F, axis=0), np.nanmax(F, axis=0)) if bounds is None else bounds
    span = np.where(np.asarray(high) - np.asarray(low) > 0, np.asarray(high) - np.asarray(low), 1)
    U = (F - low) / span
    return np.min(w * U, axis=1) + rho * np.sum(w * U, axis=1)
