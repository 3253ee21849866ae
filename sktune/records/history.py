"""The rows a search recorded, and the one rule for the best of them."""

from __future__ import annotations

import numpy as np

from ..racing import is_raced


class History:
    """The rows a search recorded, and the one rule that picks the best of them.

    The rule: among the rows at the highest *level* that a successful result
    reached (``level(row)``: the budget for Hyperband, whether the full budget
    was trained for PBT, 0 for plain searches), the highest mean test score of
    ``metric``, the first row on ties. A trial that fold racing dropped is never
    the best. The progress bar, callbacks,
    ``best_score_so_far_`` and ``best_index_`` all use it, so a callback never
    sees a best that the search could not pick.

    Parameters
    ----------
    level : callable
        ``level(row) -> float``, from the scheduler.
    metric : str or None
        The metric the best is chosen by (None: no best, as with several
        metrics and ``refit=False``).
    feasible : callable or None
        ``feasible(row) -> bool``: rows that may be the best (the ``constraints``
        of a multi-objective search); every row when None.
    """

    def __init__(self, level, metric, feasible=None):
        self.level = level
        self.metric = metric
        self.feasible = feasible
        self.rows: list[dict] = []
        self.scores: list[float] = []  # the mean test score of each result (NaN: failed)
        self._levels: list[float] = []
        self._best: dict[float, tuple[float, int]] = {}  # level -> (score, row index)
        self._latest: dict[tuple, int] = {}  # (trial id, level) -> index of its latest row
        self._top = None

    def add(self, result, row):
        """Record one result and its row."""
        index, level = len(self.rows), self.level(row)
        self.rows.append(row)
        self.scores.append(result.score)
        self._levels.append(level)
        self._latest[(row["trial_id"], level)] = index
        self._consider(index, level)
        if not result.failed and np.isfinite(result.score):
            self._top = level if self._top is None else max(self._top, level)

    def set_metric(self, metric):
        """Rank by ``metric`` from now on (a callable ``scoring`` settled), rows so far too."""
        self.metric = metric
        self._best = {}
        for index, level in enumerate(self._levels):
            self._consider(index, level)

    def _consider(self, index, level):
        if is_raced(self.rows[index]):
            return
        if self.feasible is not None and not self.feasible(self.rows[index]):
            return
        score = self._row_score(self.rows[index])
        if not np.isnan(score) and (level not in self._best or score > self._best[level][0]):
            self._best[level] = (score, index)

    def _row_score(self, row):
        if self.metric is None or self.metric not in row["test"]:
            return np.nan
        return float(np.mean(row["test"][self.metric]))

    def eligible(self):
        """Which rows the rule may pick (all of them before any success), constraints
        aside."""
        return np.array([(self._top is None or lv == self._top) and not is_raced(row)
                         for lv, row in zip(self._levels, self.rows)])

    def levels(self):
        """The level of each row."""
        return np.array(self._levels, dtype=float)

    def best_at(self, level):
        """The best row at ``level`` so far, or None."""
        best = self._best.get(level)
        return None if best is None else self.rows[best[1]]

    def row_at(self, trial_id, level):
        """The latest row of ``trial_id`` at ``level``, or None."""
        index = self._latest.get((trial_id, level))
        return None if index is None else self.rows[index]

    def best_row(self):
        """The best row so far, or None."""
        best = self._best.get(self._top)
        return None if best is None else self.rows[best[1]]

    def best_score(self):
        """The best row's mean test score so far (NaN before any)."""
        best = self._best.get(self._top)
        return np.nan if best is None else best[0]
