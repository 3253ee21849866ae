"""Successive halving along a training budget: Hyperband and ASHA.

:func:`hyperband_plan` is the bracket table of Hyperband (Li et al. 2018,
Algorithm 1): bracket ``s`` starts ``n`` configurations at budget ``r`` and keeps
the best ``1/factor`` of them at each rung while the budget grows by
``factor``, up to ``max_resources``.

:class:`HyperbandScheduler` runs the brackets synchronously: a rung is decided
when all of its trials are scored, so results do not depend on worker timing.
:class:`ASHAScheduler` is asynchronous successive halving (Li et al. 2020): a
trial is promoted as soon as it is in the top ``1/factor`` of the results its
rung has so far, and otherwise a new trial starts, so no worker waits for a
rung to fill.

A promoted trial *continues* from its fold models (``Work.start`` is the budget
it already has) when the resource continues training; with a refitting
resource (sample count, a named parameter) ``start`` is 0 and each rung refits.
Promotion uses the mean CV score of the refit metric; failed trials are never
promoted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..pareto import nsga_order
from ..proposers.budget import tell_at_budget
from .base import Scheduler, TrialResult, Work

__all__ = ["hyperband_plan", "hyperband_epochs", "HyperbandScheduler", "ASHAScheduler"]


def _n_rungs(min_resources, max_resources, factor):
    """``s_max + 1``: rungs of the most exploratory bracket."""
    ratio = max_resources / min_resources
    return int(math.floor(math.log(ratio) / math.log(factor) + 1e-9)) + 1


def hyperband_plan(min_resources, max_resources, factor=3, *, integer=True):
    """The Hyperband bracket table.

    Parameters
    ----------
    min_resources, max_resources : float
        Smallest and largest budget (``r_min`` and ``R`` of the paper, in the
        resource's own units).
    factor : int, default=3
        ``eta``: the budget grows and the trials shrink by this factor per rung.
    integer : bool, default=True
        Round rung budgets to integers (epochs, passes, trees, samples).

    Returns
    -------
    plan : list of dict
        One dict per bracket, most exploratory first: ``bracket`` (``s``),
        ``n_candidates`` (trials per rung) and ``n_resources`` (budget per rung).
        For ``R=81`` (``r_min=1``) and ``factor=3`` this is the table of the
        paper: ``s=4: n=81,27,9,3,1 at r=1,3,9,27,81``; ``s=3: 34,11,3,1 at
        3,9,27,81``; ``s=2: 15,5,1``; ``s=1: 8,2``; ``s=0: 5 at 81``.
    """
    s_max = _n_rungs(min_resources, max_resources, factor) - 1
    plan = []
    for s in range(s_max, -1, -1):
        n = int(math.ceil((s_max + 1) / (s + 1) * factor**s - 1e-9))
        counts, budgets = [], []
        for i in range(s + 1):
            r = max_resources * float(factor) ** (i - s)
            budgets.append(max(1, int(round(r))) if integer else r)
            counts.append(max(1, int(math.floor(n * float(factor) ** (-i) + 1e-9))))
        plan.append({"bracket": s, "n_candidates": counts, "n_resources": budgets})
    return plan


def hyperband_epochs(bracket, *, continues=True):
    """Budget per fold that one bracket of :func:`hyperband_plan` trains, all its rungs
    together: promoted trials continue (only the increments count) when ``continues``,
    and retrain from scratch otherwise."""
    total, previous = 0, 0
    for n_i, r_i in zip(bracket["n_candidates"], bracket["n_resources"]):
        total += n_i * (r_i - previous)
        previous = r_i if continues else 0
    return total


@dataclass
class _Trial:
    trial_id: int
    params: dict
    bracket: int  # index into the plan
    rung: int = 0  # rung of the latest work handed out
    scores: dict = field(default_factory=dict)  # rung -> mean CV score (-inf: failed)
    objectives: dict = field(default_factory=dict)  # rung -> objective values (multi-objective)
    pending: bool = False  # work handed out, result not back yet
    promoted_from: set = field(default_factory=set)  # rungs it was promoted out of


class _HalvingBase(Scheduler):
    """What the synchronous and asynchronous schedulers share."""

    def __init__(self, proposer, *, min_resources, max_resources, factor=3, brackets=None,
                 continues=True, integer=True, n_points=math.inf):
        super().__init__()
        self.n_points = n_points  # distinct configurations of the space
        self._n_proposed = 0
        self.proposer = proposer
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor
        self.continues = continues
        self.plan = hyperband_plan(min_resources, max_resources, factor, integer=integer)
        self.brackets = list(range(len(self.plan))) if brackets is None else list(brackets)
        self.trials: dict[int, _Trial] = {}
        self._next_id = 0
        self.resources_used_ = 0.0  # budget trained per fold, summed over all work

    # -- helpers --------------------------------------------------------------------------
    def _budgets(self, trial):
        return self.plan[trial.bracket]["n_resources"]

    def _work(self, trial, rung):
        budgets = self._budgets(trial)
        start = budgets[rung - 1] if rung > 0 and self.continues else 0
        trial.rung, trial.pending = rung, True
        if self._is_top(trial):
            self._release(trial.trial_id)  # this work continues them: no later work will
        self.resources_used_ += budgets[rung] - start
        return Work(trial.trial_id, dict(trial.params), start=start, stop=budgets[rung], info={
            "iter": rung, "rung": rung, "n_resources": budgets[rung],
            "bracket": self.plan[trial.bracket]["bracket"],
        })

    def _new_trials(self, n, bracket):
        """Up to ``n`` new trials; fewer when a finite space has fewer configurations left
        (a configuration is trained once, in the first bracket that draws it)."""
        n = int(min(n, self.n_points - self._n_proposed))
        if n <= 0:
            return []
        self._n_proposed += n
        pending = [t.params for t in self.trials.values() if t.pending]
        params = self.proposer.ask(n, pending=pending)
        out = []
        for p in params:
            trial = _Trial(self._next_id, dict(p), bracket)
            self.trials[trial.trial_id] = trial
            self._next_id += 1
            out.append(trial)
        return out

    def _record(self, result: TrialResult):
        trial = self.trials[result.trial_id]
        trial.pending = False
        score = result.score if not result.failed and np.isfinite(result.score) else -np.inf
        # a raced trial ranks behind every complete one (never promoted); the proposer
        # learns its partial mean
        trial.scores[trial.rung] = -np.inf if result.race and result.race.get("dropped") \
            else score
        if result.objectives is not None:
            trial.objectives[trial.rung] = np.asarray(result.objectives, dtype=float)
        budget = self._budgets(trial)[trial.rung]
        tell_at_budget(self.proposer, trial.params, score if np.isfinite(score) else np.nan,
                       budget)
        return trial

    @staticmethod
    def _ranked(trials, rung):
        """Trials scored at ``rung``, best first (ties by trial id); by non-dominated
        sorting and crowding distance when they have several objectives (MO-ASHA)."""
        done = sorted((t for t in trials if rung in t.scores), key=lambda t: t.trial_id)
        if done and all(rung in t.objectives for t in done):
            order = nsga_order(np.array([t.objectives[rung] for t in done]))
            return [done[i] for i in order]
        return sorted(done, key=lambda t: (-t.scores[rung], t.trial_id))

    def _is_top(self, trial):
        return trial.rung == len(self._budgets(trial)) - 1

    def training_steps(self, trial_id, stop):
        """The trial's earlier rungs: same parameters, same job seeds."""
        trial = self.trials.get(trial_id)
        if not self.continues or trial is None:
            return None
        budgets = self._budgets(trial)
        steps = [{"trial_id": trial_id, "params": dict(trial.params),
                  "start": budgets[i - 1] if i else 0, "stop": b}
                 for i, b in enumerate(budgets) if b <= stop + 1e-9]
        return steps if steps and abs(steps[-1]["stop"] - stop) < 1e-9 else None

    # -- what the search exposes ---------------------------------------------------------------
    fitted_attributes = ("n_resources_", "n_candidates_", "n_iterations_", "n_trials_",
                         "bracket_plan_", "min_resources_", "max_resources_", "resources_used_")

    def imported_info(self):
        """The ``cv_results_`` columns of a row imported as a result at the top rung."""
        return {"iter": -1, "rung": -1, "n_resources": self.max_resources, "bracket": -1}

    def tell_imported(self, result):
        """An imported result counts at ``max_resources``."""
        score = np.nan if result.failed else result.score
        self.proposer.tell(result.params, score, budget=self.max_resources)

    def race_level(self, work):
        """Work of the top rung races against the best trained to the same budget (below
        it, a trial competes for a promotion, not for the best: see :meth:`race_cohort`
        and ASHA's :meth:`race_rival`)."""
        trial = self.trials.get(work.trial_id)
        if trial is None or not self._is_top(trial):
            return None
        return float(work.info["n_resources"])

    def level(self, row):
        """The budget: the best is chosen at the highest budget reached successfully."""
        return float(row["info"]["n_resources"])

    def state(self):
        levels = sorted({self._budgets(t)[r] for t in self.trials.values() for r in t.scores})
        counts = [sum(1 for t in self.trials.values() for r in t.scores
                      if self._budgets(t)[r] == b) for b in levels]
        return {
            "n_resources_": levels,
            "n_candidates_": counts,
            "n_iterations_": len(levels),
            "n_trials_": len(self.trials),
            "bracket_plan_": [self.plan[b] for b in dict.fromkeys(self.brackets)],
            "min_resources_": self.min_resources,
            "max_resources_": self.max_resources,
            "resources_used_": float(self.resources_used_),
        }


class HyperbandScheduler(_HalvingBase):
    """Synchronous Hyperband: brackets of successive halving.

    Each rung of a bracket is decided when all its trials are scored: the best
    ``floor(n_i / factor)`` (at least one) go on to the next rung, continuing
    their fold models. With ``concurrent=True`` every bracket advances at once
    (one rung each per round, more parallel work); otherwise brackets run one
    after another, so a model-based proposer sees the earlier brackets' results
    (BOHB). Either way the outcome does not depend on worker timing.

    Parameters
    ----------
    proposer : Proposer
    min_resources, max_resources : int
    factor : int, default=3
    brackets : list of int or None, default=None
        Indices into :func:`hyperband_plan` to run, in order (repeats allowed);
        all brackets, most exploratory first, when None.
    continues : bool, default=True
        Whether the resource continues training (promoted work then starts at
        the budget already trained).
    concurrent : bool, default=False
    """

    synchronous = True

    def __init__(self, proposer, *, min_resources, max_resources, factor=3, brackets=None,
                 continues=True, integer=True, concurrent=False, n_points=math.inf):
        super().__init__(proposer, min_resources=min_resources, max_resources=max_resources,
                         factor=factor, brackets=brackets, continues=continues,
                         integer=integer, n_points=n_points)
        self.concurrent = concurrent
        self._queue = list(range(len(self.brackets)))  # bracket runs not started
        self._active: list[list[_Trial]] = []  # trials of the current rung of each run
        self.n_total = self._planned_results()

    def _planned_results(self):
        """Results the brackets will record (fewer candidates in a small finite space)."""
        left, total = self.n_points, 0
        for b in self.brackets:
            counts = self.plan[b]["n_candidates"]
            first = min(counts[0], left)
            left -= first
            total += sum(min(c, first) for c in counts) if first else 0
        return int(total)

    def next_work(self, n_free):
        while self._queue and (not self._active or self.concurrent):
            starts = self._queue if self.concurrent else self._queue[:1]
            for run in list(starts):
                bracket = self.brackets[run]
                trials = self._new_trials(self.plan[bracket]["n_candidates"][0], bracket)
                if trials:
                    self._active.append(trials)
                self._queue.remove(run)
        return [self._work(t, t.rung) for group in self._active for t in group
                if not t.pending and t.rung not in t.scores]

    def on_result(self, result: TrialResult):
        trial = self._record(result)
        i = next(i for i, group in enumerate(self._active) if trial in group)
        group = self._active[i]
        if any(t.rung not in t.scores for t in group):
            return  # the rung is not complete yet
        rung = trial.rung
        if self._is_top(trial):
            self._active.pop(i)
            return
        n_next = self.plan[trial.bracket]["n_candidates"][rung + 1]
        promoted = [t for t in self._ranked(group, rung) if np.isfinite(t.scores[rung])][:n_next]
        for t in promoted:
            t.promoted_from.add(rung)
            t.rung = rung + 1
        for t in group:
            if t not in promoted:
                self._release(t.trial_id)
        if promoted:
            self._active[i] = promoted
        else:
            self._active.pop(i)

    def is_finished(self):
        return not self._queue and not self._active

    def race_cohort(self, work):
        """A rung's trials race together for its promotions: those that cannot reach
        the rung's best ``n_i / factor`` stop; at the top rung, for the best, when
        :meth:`race_level` finds no incumbent trained as far."""
        trial = self.trials.get(work.trial_id)
        if trial is None:
            return None
        group = next(g for g in self._active if trial in g)
        counts = self.plan[trial.bracket]["n_candidates"]
        n_keep = 1 if self._is_top(trial) else counts[trial.rung + 1]
        return (min(t.trial_id for t in group), trial.rung), len(group), n_keep

    def keep_models(self, trial_id):
        trial = self.trials.get(trial_id)
        if trial is None or not self.continues:
            return False
        if not any(trial in group for group in self._active):
            return False
        # scored (or running) below the top rung: it may be promoted; promoted but not
        # handed out yet: its next work continues these models
        return not self._is_top(trial) or (not trial.pending and trial.rung not in trial.scores)


class ASHAScheduler(_HalvingBase):
    """Asynchronous successive halving (ASHA).

    Whenever a worker frees up: promote the first trial, looking from the top
    rung down, that is in the top ``floor(n / factor)`` of the ``n`` results its
    rung has so far and was not promoted yet; otherwise start a new trial (in
    the brackets in turn) until ``n_candidates`` trials were started. The search
    ends when nothing runs and nothing can be promoted. As in the paper, a rung
    may in the end promote somewhat more than ``1/factor`` of its trials (one
    promoted early can later drop out of the top).

    Parameters
    ----------
    proposer : Proposer
    min_resources, max_resources : int
    factor : int, default=3
    brackets : list of int or None, default=None
        Indices into :func:`hyperband_plan`; new trials go to them in turn.
        ``[0]`` (one bracket from ``min_resources``) is the ASHA of the paper.
    n_candidates : int or None, default=None
        Trials to start; by default as many as synchronous Hyperband would
        start in the same brackets.
    continues : bool, default=True
    """

    synchronous = False

    def __init__(self, proposer, *, min_resources, max_resources, factor=3, brackets=None,
                 n_candidates=None, continues=True, integer=True, n_points=math.inf):
        super().__init__(proposer, min_resources=min_resources, max_resources=max_resources,
                         factor=factor, brackets=[0] if brackets is None else brackets,
                         continues=continues, integer=integer, n_points=n_points)
        if n_candidates is None:
            n_candidates = sum(self.plan[b]["n_candidates"][0] for b in self.brackets)
        self.n_candidates = int(min(n_candidates, n_points))
        self._started = 0

    def _promotable(self):
        """``(trial, rung)`` of the next promotion (highest rung first), or None."""
        best = None
        for bracket in dict.fromkeys(self.brackets):
            members = [t for t in self.trials.values() if t.bracket == bracket]
            n_rungs = len(self.plan[bracket]["n_resources"])
            for rung in range(n_rungs - 2, -1, -1):
                if best is not None and rung <= best[1]:
                    break
                ranked = self._ranked(members, rung)
                top = ranked[: len(ranked) // self.factor]
                found = next((t for t in top if rung not in t.promoted_from
                              and np.isfinite(t.scores[rung])), None)
                if found is not None:
                    best = (found, rung)
                    break
        return best or self._last_promotion()

    def _last_promotion(self):
        """With every trial started and scored and none at the top, the best of the
        highest rung goes on (as synchronous Hyperband promotes at least one): a small
        finite space has too few trials for ``1/factor`` of a rung to be one."""
        if self._started < self.n_candidates or any(t.pending for t in self.trials.values()):
            return None
        for bracket in dict.fromkeys(self.brackets):
            members = [t for t in self.trials.values() if t.bracket == bracket]
            top = len(self.plan[bracket]["n_resources"]) - 1
            if not members or any(top in t.scores for t in members):
                continue
            rung = max(max(t.scores) for t in members)
            ranked = [t for t in self._ranked(members, rung) if np.isfinite(t.scores[rung])]
            if ranked and rung not in ranked[0].promoted_from:
                return ranked[0], rung
        return None

    def next_work(self, n_free):
        works = []
        for _ in range(max(int(n_free), 0)):
            found = self._promotable()
            if found is not None:
                trial, rung = found
                trial.promoted_from.add(rung)
                works.append(self._work(trial, rung + 1))
                continue
            if self._started >= self.n_candidates:
                break
            bracket = self.brackets[self._started % len(self.brackets)]
            trial = self._new_trials(1, bracket)[0]
            self._started += 1
            works.append(self._work(trial, 0))
        return works

    def on_result(self, result: TrialResult):
        trial = self._record(result)
        if not self.continues:
            return
        if not self.keep_models(trial.trial_id):
            self._release(trial.trial_id)
        # the others scored at this rung that it pushed out of reach of a promotion
        members = [t for t in self.trials.values() if t.bracket == trial.bracket]
        limit = self._promotion_limit(trial.bracket, trial.rung)
        for t in self._ranked(members, trial.rung)[limit:]:
            if t is not trial and t.rung == trial.rung and not t.pending:
                self._release(t.trial_id)

    def is_finished(self):
        if any(t.pending for t in self.trials.values()):
            return False
        return self._started >= self.n_candidates and self._promotable() is None

    def _max_reaching(self, bracket, rung):
        """An upper bound on how many trials of ``bracket`` can ever be scored at ``rung``.

        Only the bracket's size: ASHA may promote more than ``1/factor`` of a rung in
        the end (a trial promoted early can later drop out of the top), so the rungs
        above the first are not bounded more tightly.
        """
        return sum(1 for i in range(self.n_candidates)
                   if self.brackets[i % len(self.brackets)] == bracket)

    def keep_models(self, trial_id):
        trial = self.trials.get(trial_id)
        if trial is None or not self.continues or self._is_top(trial):
            return False
        if trial.pending or trial.rung not in trial.scores:
            return True
        rung = trial.rung
        if rung in trial.promoted_from or not np.isfinite(trial.scores[rung]):
            return False
        # could it still be promoted? only if its rank beats the most the rung can ever promote
        members = [t for t in self.trials.values() if t.bracket == trial.bracket]
        rank = self._ranked(members, rung).index(trial)
        return rank < self._promotion_limit(trial.bracket, rung)

    def race_level(self, work):
        """Every rung races: the top one against the best trained as far, a lower one
        against its promotion boundary (see :meth:`race_rival`), once there is one."""
        trial = self.trials.get(work.trial_id)
        if trial is None or self._is_top(trial):
            return super().race_level(work)
        return None if self.race_rival(work) is None else float(work.info["n_resources"])

    def race_rival(self, work):
        """Below the top rung: the trial that would be the last one promoted from the rung
        if this one scored worse than it, that is, of the ``n`` results the rung has, the
        one ranked ``(n + 1) // factor``; None while that is none (or not complete)."""
        trial = self.trials.get(work.trial_id)
        if trial is None or self._is_top(trial):
            return None
        members = [t for t in self.trials.values() if t.bracket == trial.bracket]
        ranked = [t for t in self._ranked(members, trial.rung) if t is not trial]
        k = (len(ranked) + 1) // self.factor
        if k == 0 or not np.isfinite(ranked[k - 1].scores[trial.rung]):
            return None
        return ranked[k - 1].trial_id

    def _promotion_limit(self, bracket, rung):
        """The most trials ``rung`` can ever promote (at least the best one in a small
        finite space, see ``_last_promotion``)."""
        limit = self._max_reaching(bracket, rung) // self.factor
        return max(limit, 1) if math.isfinite(self.n_points) else limit
