"""Population based training (Jaderberg et al., 2017) as a scheduler.

A population of members trains in steps of ``perturbation_interval`` budget
units. After a step, a member in the bottom ``quantile_fraction`` of the
population (ranked by mean CV score) *exploits* a member drawn from the top
quantile (it continues from a copy of that member's k fold models and takes
its hyperparameters) and then *explores* (the mutable hyperparameters are
perturbed). Each step of each member is one piece of :class:`Work` with a new
trial id, so ``cv_results_`` holds one row per (member, step); ``Work.source``
names the trial whose fold models the step continues (the member's own
previous step, or the exploited member's latest one).

With a resource that cannot continue training the scheduler runs in
*evolutionary* mode: every step refits from scratch with the exploited and
perturbed hyperparameters, and no fold models are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..pareto import nsga_order
from .base import Scheduler, TrialResult, Work

__all__ = ["PBTScheduler"]


@dataclass
class _Member:
    member_id: int
    params: dict
    position: float = 0  # budget the member's fold models have been trained for
    n_steps: int = 0
    score: float = float("nan")  # mean CV score of the latest finished step
    model_trial: int | None = None  # trial whose stored fold models this member continues
    has_result: bool = False
    failed: bool = False
    pending: bool = False
    dead: bool = False
    objectives: object = None  # the latest step's objective values (multi-objective)


@dataclass
class _Trial:
    trial_id: int
    member_id: int
    parent_id: int  # member copied at the start of this step, -1 if none
    previous: int | None  # trial whose fold models this step continued
    start: float
    stop: float
    step: int
    params: dict
    score: float = float("nan")
    failed: bool = False
    done: bool = False
    info: dict = field(default_factory=dict)
    in_use: dict = field(default_factory=dict)  # values training used unlike params


class PBTScheduler(Scheduler):
    """Population based training over a continuing resource.

    Parameters
    ----------
    space : SearchSpace
        The searched space (perturbation clips to it).
    initial_params : list of dict
        One configuration per member (the initial population).
    max_resources : float
        Budget each member is trained for (the sum of its steps).
    perturbation_interval : float
        Budget of one step (``exploit``/``explore`` happen between steps).
    mutable : collection of str
        Parameters perturbed when exploring; the others stay as the member
        (or the member it copied) had them.
    quantile_fraction : float, default=0.25
        Fraction of the population in the bottom quantile (which exploits) and
        in the top quantile (which is copied).
    resample_probability : float, default=0.25
        Probability that explore resamples a parameter from its dimension
        instead of perturbing it.
    perturbation_factors : tuple of float, default=(0.8, 1.2)
        Factors a continuous (or integer) value is multiplied by when explored.
    burn_in : float, default=0
        Budget a member must have been trained for before it may exploit.
    continues : bool, default=True
        False selects the evolutionary mode (each step refits from scratch).
    budgeted : bool, default=True
        Whether the resource has a budget axis at all (``False`` for a plain
        ``fit``: then every row is a complete fit and may be chosen as best).
    synchronous : bool, default=True
        Synchronous generations (reproducible) or asynchronous steps (a member
        exploits as soon as its own step ends, ranked against the latest
        scores of the others).
    random_state : numpy Generator, int or None
    """

    def __init__(
        self, space, initial_params, *, max_resources, perturbation_interval, mutable,
        quantile_fraction=0.25, resample_probability=0.25, perturbation_factors=(0.8, 1.2),
        burn_in=0, continues=True, budgeted=True, synchronous=True, random_state=None,
    ):
        super().__init__()
        self.space = space
        self.max_resources = max_resources
        self.perturbation_interval = perturbation_interval
        self.mutable = frozenset(mutable)
        self.quantile_fraction = quantile_fraction
        self.resample_probability = resample_probability
        self.perturbation_factors = tuple(perturbation_factors)
        self.burn_in = burn_in
        self.continues = continues
        self.budgeted = budgeted
        self.synchronous = synchronous
        self.rng = np.random.default_rng(random_state)
        self.mode = "pbt" if continues else "evolutionary"
        self.members = [_Member(i, dict(p)) for i, p in enumerate(initial_params)]
        self.n_steps = max(1, math.ceil(max_resources / perturbation_interval - 1e-9))
        self.n_total = len(self.members) * self.n_steps
        self.trials: dict[int, _Trial] = {}
        self.lineage: list[dict] = []
        self._keep: set[int] = set()
        self._next_id = 0
        self._n_pending = 0

    # -- the Scheduler interface -------------------------------------------------------
    def next_work(self, n_free):
        if self.synchronous:
            if self._n_pending:
                return []
            ready = [m for m in self.members if self._can_step(m)]
            decisions = self._decide(ready)
        else:
            # the least trained first, so the population advances together whatever the
            # number of workers (and every member has a score to be ranked by)
            ready = sorted((m for m in self.members if self._can_step(m)),
                           key=lambda m: (m.position, m.n_steps, m.member_id))
            works = []
            for m in ready[: max(0, int(n_free))]:  # each decision sees the ones before it
                works += [self._issue(mm, src) for mm, src in self._decide([m])]
            return works
        return [self._issue(m, src) for m, src in decisions if not m.dead]

    def on_result(self, result: TrialResult):
        trial = self.trials[result.trial_id]
        member = self.members[trial.member_id]
        trial.done = True
        trial.failed = result.failed or not np.isfinite(result.score)
        trial.score = float("nan") if trial.failed else float(result.score)
        trial.in_use = dict(result.trained_means.get("params", {}))
        self._n_pending -= 1
        member.pending = False
        member.has_result = True
        member.n_steps += 1
        member.position = trial.stop
        member.score = trial.score
        member.objectives = result.objectives
        member.failed = trial.failed
        if member.model_trial is not None and member.model_trial != trial.trial_id:
            self._drop(member.model_trial)
        member.model_trial = None
        if self.continues and not trial.failed and trial.trial_id in self._keep:
            member.model_trial = trial.trial_id
        else:
            self._drop(trial.trial_id)
        if member.position >= self.max_resources - 1e-9:
            self._drop(trial.trial_id)
            member.model_trial = None

    def is_finished(self):
        if self._n_pending:
            return False
        return not any(self._can_step(m) for m in self.members)

    def keep_models(self, trial_id):
        return trial_id in self._keep

    def _drop(self, trial_id):
        """This trial's models will not be continued (None: no trial)."""
        if trial_id in self._keep:
            self._keep.discard(trial_id)
            self._release(trial_id)

    def level(self, row):
        """1 for a row trained to the full budget (the best is one of those), else 0."""
        if not self.budgeted:
            return 1.0
        stop = row.get("stop")
        return float(stop is not None and stop >= self.max_resources - 1e-9)

    fitted_attributes = ("lineage_", "mode_", "mutable_params_", "n_steps_", "population_size_")

    def best_state(self, row):
        """``best_schedule_``: the hyperparameters that trained the best row's models."""
        return {"best_schedule_": self.schedule(row["trial_id"])}

    def state(self):
        return {
            "lineage_": [dict(e) for e in self.lineage],
            "mode_": self.mode,
            "mutable_params_": sorted(self.mutable),
            "n_steps_": self.n_steps,
            "population_size_": len(self.members),
        }

    def training_steps(self, trial_id, stop):
        if not self.continues or trial_id not in self.trials:
            return None
        chain = self.schedule(trial_id)
        return chain if abs(chain[-1]["stop"] - stop) < 1e-9 else None

    # -- decisions -------------------------------------------------------------------
    def _can_step(self, m):
        return not m.dead and not m.pending and m.position < self.max_resources - 1e-9

    def _ranking(self):
        """(top, bottom) quantiles of the members with a finished step."""
        scored = sorted((m for m in self.members if m.has_result and not m.dead),
                        key=lambda m: m.member_id)
        if scored and all(m.objectives is not None for m in scored):  # several objectives
            order = [scored[i] for i in nsga_order(np.array([m.objectives for m in scored]))]
        else:
            order = sorted(scored, key=lambda m: (
                -m.score if np.isfinite(m.score) else math.inf, m.member_id))
        n = len(order)
        k = min(max(1, int(n * self.quantile_fraction)), n // 2)
        return order[:k], order[n - k:] if k else []

    def _sources(self, exclude):
        top, _ = self._ranking()
        return [m for m in top if m is not exclude and not m.failed and np.isfinite(m.score)
                and (m.model_trial is not None or not self.continues)
                and m.position < self.max_resources - 1e-9]

    def _decide(self, ready):
        """For each ready member: ``(member, source member or None)``."""
        if not ready:
            return []
        top, bottom = self._ranking()
        bottom_ids = {m.member_id for m in bottom}
        out = []
        for m in ready:
            if not m.has_result:
                out.append((m, None))
                continue
            wants = m.failed or (m.member_id in bottom_ids and m.position >= self.burn_in - 1e-9)
            sources = self._sources(exclude=m) if wants else []
            if wants and sources:
                out.append((m, sources[int(self.rng.integers(len(sources)))]))
            elif m.failed:
                if not self.synchronous and self._n_pending:
                    continue  # asynchronous: a member still training may become a source
                m.dead = True  # nothing to continue from and no one to copy
            else:
                out.append((m, None))
        return out

    def _issue(self, m, source):
        trial_id = self._next_id
        self._next_id += 1
        parent_id = -1
        if source is not None:  # exploit, then explore
            before = dict(m.params)
            params = self.space.perturb(
                source.params, self.rng, names=self.mutable, factors=self.perturbation_factors,
                resample_probability=self.resample_probability,
            )
            self.lineage.append({
                "step": m.n_steps, "n_resources": source.position, "member_id": m.member_id,
                "parent_id": source.member_id, "trial_id": trial_id,
                "source_trial_id": source.model_trial if self.continues else None,
                "score": m.score, "parent_score": source.score,
                "params_before": before, "params_copied": dict(source.params),
                "params_after": dict(params),
            })
            m.params, m.position, parent_id = params, source.position, source.member_id
            previous = source.model_trial
            self._drop(m.model_trial)  # its own models are not continued
            m.model_trial = None
        else:
            previous = m.model_trial
        start = m.position
        stop = min(start + self.perturbation_interval, self.max_resources)
        if not self.continues:
            previous = None
        work = Work(
            trial_id, dict(m.params), start=start if self.continues else 0, stop=stop,
            source=previous if (self.continues and start > 0) else None,
            info={"member_id": m.member_id, "parent_id": parent_id, "step": m.n_steps,
                  "n_resources": stop, "mode": self.mode},
        )
        self.trials[trial_id] = _Trial(
            trial_id, m.member_id, parent_id, previous, start, stop, m.n_steps, dict(m.params),
            info=dict(work.info),
        )
        if self.continues and stop < self.max_resources - 1e-9:
            self._keep.add(trial_id)
        m.pending = True
        self._n_pending += 1
        return work

    # -- results ---------------------------------------------------------------------
    def schedule(self, trial_id):
        """The hyperparameters that trained ``trial_id``'s models, step by step.

        Follows the copies back through the parents to the first step. In
        evolutionary mode the models were trained from scratch at the last
        step, so the schedule is that one step (from budget 0).
        """
        trial = self.trials[trial_id]
        if not self.continues:
            return [{"start": 0, "stop": trial.stop, "params": dict(trial.params),
                     "member_id": trial.member_id, "trial_id": trial.trial_id}]
        chain = []
        t = trial
        while t is not None:
            chain.append({"start": t.start, "stop": t.stop, "params": dict(t.params),
                          "member_id": t.member_id, "trial_id": t.trial_id})
            if t.in_use:  # e.g. the learning rate a scheduler had decayed to
                chain[-1]["params_in_use"] = {**t.params, **t.in_use}
            t = self.trials.get(t.previous) if t.previous is not None else None
        return chain[::-1]
