"""The scheduler interface: *how much* budget each trial gets, and when.

A scheduler is a pure decision maker. The search loop asks it for work
(``next_work``), runs that work on every CV fold, and reports each finished
piece back (``on_result``). It never touches workers or devices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Work:
    """Advance trial ``trial_id`` with ``params`` from budget ``start`` to ``stop``.

    ``source`` names the trial whose fold models to continue from (PBT's
    exploit); by default a trial continues its own models when ``start > 0``.
    ``info`` holds extra ``cv_results_`` columns (``iter``, ``bracket``...).
    """

    trial_id: int
    params: dict
    start: float = 0
    stop: float | None = None
    source: int | None = None
    info: dict = field(default_factory=dict)


@dataclass
class TrialResult:
    """One finished :class:`Work`: all folds scored."""

    work: Work
    test_scores: dict  # metric -> array of per-fold scores
    train_scores: dict
    fit_times: np.ndarray
    score_times: np.ndarray
    errors: list  # per-fold error text or None
    devices: list
    models: list | None = None
    score: float = float("nan")  # mean test score of the refit metric; NaN if failed
    std_error: float = float("nan")  # of score: the folds' std over the root of their number
    trained: list = field(default_factory=list)  # per fold: where training went unlike asked
    model_sizes: list | None = None  # per fold: bytes of the pickled model (when measured)
    objectives: Any = None  # the objective values to maximise (multi-objective searches)
    race: dict | None = None  # fold racing's record (see sktune.racing); None: not raced

    @property
    def trained_means(self) -> dict:
        """``n_resources`` (the budget reached) and ``params`` (the values in use),
        averaged over the folds, where training differed from the work asked."""
        out = {}
        budgets = [t.get("budget") for t in self.trained]
        if any(b is not None for b in budgets):
            stop = self.work.stop
            out["n_resources"] = float(np.mean([stop if b is None else b for b in budgets]))
        names = sorted({n for t in self.trained for n in t.get("params", {})})
        if names:
            out["params"] = {n: float(np.mean([t.get("params", {}).get(n, self.params[n])
                                               for t in self.trained])) for n in names}
        return out

    @property
    def failed(self) -> bool:
        return any(e is not None for e in self.errors)

    @property
    def trial_id(self) -> int:
        return self.work.trial_id

    @property
    def params(self) -> dict:
        return self.work.params


class Scheduler:
    """Base class of schedulers: pure decisions, told every result.

    The loop owns stopping: once a callback stops the search it asks for no
    more work and finishes what is in flight.

    Attributes
    ----------
    synchronous : bool
        If True the loop waits for all work handed out before asking again
        (results are then independent of worker timing).
    n_total : int or None
        Results the search will record, if known in advance (progress bar,
        scikit-learn's callback hooks).
    fitted_attributes : tuple of str
        The keys of :meth:`state`: fitted attributes the search exposes.
    """

    synchronous = True
    n_total: int | None = None
    fitted_attributes: tuple[str, ...] = ()

    def __init__(self):
        self._released: list[int] = []

    def next_work(self, n_free: int) -> list[Work]:
        """Up to ``n_free`` pieces of work (any number when synchronous)."""
        raise NotImplementedError

    def on_result(self, result: TrialResult) -> None:
        raise NotImplementedError

    def is_finished(self) -> bool:
        raise NotImplementedError

    def keep_models(self, trial_id: int) -> bool:
        """Whether the jobs of this trial's work send their fold models back, to be
        kept for later work."""
        return False

    def take_released(self) -> list[int]:
        """The trials whose kept fold models are no longer needed, as decided since the
        last call (the loop drops them after each result)."""
        released, self._released = self._released, []
        return released

    def _release(self, trial_id: int) -> None:
        self._released.append(trial_id)

    def training_steps(self, trial_id: int, stop: float) -> list[dict] | None:
        """The steps that trained ``trial_id``'s fold models up to budget ``stop``, oldest
        first: dicts with ``trial_id`` (whose job seed the step used), ``params``,
        ``start`` and ``stop``. A resumed search whose models were lost reruns them to
        rebuild the models exactly. None: unknown (the work then trains from scratch)."""
        return None

    def result_info(self, result: TrialResult) -> dict[str, Any]:
        """Extra ``cv_results_`` columns for ``result``'s row, decided once the scheduler
        was told of it (a learning curve's prediction)."""
        return {}

    def imported_info(self) -> dict[str, Any]:
        """The ``cv_results_`` columns of a row imported as a result (``initial_results``)."""
        return {"iter": -1}

    def tell_imported(self, result: TrialResult) -> None:
        """Teach the proposer an imported result (a scheduler with a ``proposer``)."""
        proposer = self.proposer
        if result.objectives is not None and hasattr(proposer, "tell_vector"):
            proposer.tell_vector(result.params, result.objectives)
        else:
            proposer.tell(result.params, np.nan if result.failed else result.score)

    def race_level(self, work: Work) -> float | None:
        """The level at which ``work`` races against the incumbent (fold racing, see
        :mod:`sktune.racing`), or None when it must run all its folds."""
        return None

    def race_rival(self, work: Work) -> int | None:
        """The trial whose row at :meth:`race_level` ``work`` races against, or None for
        the best row there (a rung's promotion boundary, in ASHA)."""
        return None

    def race_cohort(self, work: Work) -> tuple | None:
        """``(key, n_members, n_keep)`` when ``work`` races within a cohort handed out
        together (a synchronous rung): the cohort's members run their folds in step and,
        at each look, those that cannot reach its best ``n_keep`` stop; None otherwise."""
        return None

    def level(self, row: dict) -> float:
        """How far a ``cv_results_`` row went: the best is chosen among the rows of the
        highest level a successful result reached (the budget, for Hyperband)."""
        return 0.0

    def state(self) -> dict[str, Any]:
        """The fitted attributes the search exposes, named in ``fitted_attributes``."""
        return {}

    def best_state(self, row: dict) -> dict[str, Any]:
        """Fitted attributes about the best row, once the search has chosen it."""
        return {}
