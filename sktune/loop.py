"""The search loop: ask the scheduler for work, run it on every fold, record the results.

One loop serves every search. The scheduler decides what to run
(:mod:`sktune.schedulers`), the executor runs (trial, fold) jobs
(:mod:`sktune.execution`, wrapped by the journal's replay), the history keeps
the rows and the rule for the best (:class:`~sktune.records.History`), and
listeners of the event stream show progress, call callbacks and write the
journal (:mod:`sktune.events`).

Synchronous schedulers get each round's results in trial order once the round
is complete, so results never depend on worker timing. Asynchronous ones get
each result as soon as its last fold is in.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from ._evaluate import Job, Step, job_seed
from .events import search_state
from .records.rows import result_to_row
from .schedulers.base import TrialResult


@dataclass
class _Flight:
    """A piece of work in flight: its folds back so far and how to hand out the rest."""

    work: object
    folds: dict  # fold -> JobResult
    handed_out: int  # folds handed out (0..handed_out-1)
    job_args: dict  # what every job of this work shares
    reference: object = None  # the incumbent it races against (None: no racing)
    race: dict = field(default_factory=dict)  # the last racing decision
    cohort: object = None  # the _Cohort it races in (None: alone, or no racing)


@dataclass
class _Cohort:
    """Work that races together (a synchronous rung): its members look after the same
    folds, and those that cannot reach the best ``n_keep`` stop."""

    n_members: int
    n_keep: int
    level: float
    n_joined: int = 0  # members dispatched so far
    flights: dict = field(default_factory=dict)  # trial id -> _Flight, of those still racing
    waiting: dict = field(default_factory=dict)  # trial id -> fold scores, at the look


class SearchLoop:
    """Run one search to its end.

    Parameters
    ----------
    scheduler : Scheduler
        Decides the work; told every result.
    executor : ReplayingExecutor
        Runs jobs (answers journaled ones at once).
    history : History
        Where results are recorded.
    events : EventStream
        Notified of jobs and results.
    models : ModelStore
        Fold models kept between the steps of a trial.
    n_splits : int
        CV folds: every piece of work runs as one job per fold.
    entropy : int or None
        Seed entropy; job seeds are spawned from it by (trial, fold).
    metric : str or None
        The metric of a trial's ``score`` (the one that ranks trials).
    error_score : float or "raise"
        As the search's.
    started : float or None
        ``time.perf_counter()`` when the search started (default: now).
    metrics : Metrics or None
        The search's metrics; a callable ``scoring`` is settled by the first fold
        scored (then ``metric`` follows ``metrics.rank``).
    objectives : Objectives or None
        A multi-objective search's objectives: each result carries its values
        (``result.objectives``) to the scheduler.
    space : SearchSpace or None
        The searched space (for callbacks, in :class:`~sktune.callbacks.SearchState`).
    race : FoldRace or None
        Fold racing (:mod:`sktune.racing`): the work the scheduler lets race runs its
        folds in order and stops once it cannot reasonably beat the incumbent.
    """

    def __init__(self, scheduler, executor, history, events, models, *, n_splits, entropy,
                 metric, error_score, started=None, metrics=None, objectives=None, space=None,
                 race=None):
        self.scheduler = scheduler
        self.executor = executor
        self.history = history
        self.events = events
        self.models = models
        self.n_splits = n_splits
        self.entropy = entropy
        self.metric = metric
        self.error_score = error_score
        self.metrics = metrics
        self.objectives = objectives
        self.space = space
        self.race = race
        self.in_flight: dict[int, _Flight] = {}
        self.cohorts: dict[object, _Cohort] = {}
        self.ready: list[TrialResult] = []  # complete, waiting for the end of the round
        self.last_device: dict[tuple, str | None] = {}  # (trial_id, fold) -> device
        self.stopped = False
        self.stop_reason = "completed"  # or "callback", "interrupted"
        self.started = time.perf_counter() if started is None else started
        # the budget of a complete training (Hyperband, PBT); work short of it is partial
        self.full_budget = getattr(scheduler, "max_resources", None)

    # -- the loop ---------------------------------------------------------------------
    def run(self):
        """Run until the scheduler is finished (or a listener stopped the search)."""
        while True:
            works = self.ask()
            complete = [r for work in works for r in self.dispatch(work)]
            if not complete and not self.ready and not self.in_flight:
                if self.stopped or self.scheduler.is_finished() or not works:
                    return self.history
                continue
            if not complete and self.in_flight:
                complete = self.collect()
            for result in self.release(complete):
                self.record(result)

    def ask(self):
        """New work from the scheduler: a whole round when synchronous (and the last
        one is over), else as many trials as there are free job slots."""
        if self.stopped:
            return []
        if self.scheduler.synchronous:
            return [] if self.in_flight or self.ready else self.scheduler.next_work(10**9)
        free = self.executor.capacity - self.executor.n_pending
        per_trial = self.n_splits if self.race is None else self.race.first_wave
        return self.scheduler.next_work(-(-free // per_trial)) if free > 0 else []

    def dispatch(self, work):
        """Hand out the jobs of ``work`` (one per fold; the first ones only when it races);
        the trials the journal completes at once."""
        source = work.trial_id if work.source is None else work.source
        start, fold_models, steps = self._continued_models(work, source)
        reference = self._race_reference(work)
        flight = _Flight(work, {}, 0, reference=reference, job_args=dict(
            start=start, fold_models=fold_models, steps=steps, source=source,
            return_model=self.scheduler.keep_models(work.trial_id)))
        if reference is None:
            flight.cohort = self._join_cohort(flight)
        self.in_flight[work.trial_id] = flight
        races = reference is not None or flight.cohort is not None
        return self._hand_out(flight, self.race.first_wave if races else self.n_splits)

    def _hand_out(self, flight, n):
        """Hand out the next ``n`` folds of ``flight``; the results the journal answers."""
        complete = []
        first, flight.handed_out = flight.handed_out, flight.handed_out + n
        for k in range(first, first + n):  # all counted first: replayed ones wait for the rest
            job = self._job(flight.work, k, **flight.job_args)
            self.events.notify("on_job_begin", job)
            replayed = self.executor.submit(job, flight.work.start)
            if replayed is not None:
                complete.extend(self.on_job_result(replayed))
        return complete

    def _job(self, work, k, *, start, fold_models, steps, source, return_model):
        return Job(
            trial_id=work.trial_id, fold=k, params=dict(work.params), start=start,
            stop=work.stop, seed=job_seed(self.entropy, (work.trial_id, k)),
            model=None if fold_models is None else fold_models[k],
            return_model=return_model,
            device=self.last_device.get((work.trial_id, k), self.last_device.get((source, k))),
            replay=tuple(Step(s["params"], s["start"], s["stop"],
                              job_seed(self.entropy, (s["trial_id"], k))) for s in steps),
            partial=self._partial(work),
        )

    def _race_reference(self, work):
        """The incumbent ``work`` races against, or None (no racing for it)."""
        if self.race is None:
            return None
        level = self.scheduler.race_level(work)
        if level is None:
            return None
        return self.race.reference(self.history, level, self.metric,
                                   self.scheduler.race_rival(work))

    def _join_cohort(self, flight):
        """The cohort ``flight`` races in (see :meth:`Scheduler.race_cohort`), or None."""
        spec = None if self.race is None else self.scheduler.race_cohort(flight.work)
        if spec is None or self.race.min_folds >= self.n_splits:
            return None
        key, n_members, n_keep = spec
        if key not in self.cohorts:
            level = float(self.scheduler.level({"info": flight.work.info}))
            self.cohorts[key] = _Cohort(int(n_members), int(n_keep), level)
        cohort = self.cohorts[key]
        cohort.flights[flight.work.trial_id] = flight
        cohort.n_joined += 1
        return cohort

    def _partial(self, work):
        """Whether ``work`` trains to less than the full budget (its ConvergenceWarnings
        are then expected, and summarised: see :class:`~sktune.events.WarningSummary`)."""
        full = self.full_budget
        return bool(work.stop is not None and isinstance(full, (int, float))
                    and float(work.stop) < float(full) - 1e-9)

    def _continued_models(self, work, source):
        """``(start, fold models, steps)``: the models of ``source`` this work continues
        (copies for an exploit), or ``(0, None, [])`` when it starts afresh. When the
        models were lost (a resumed search) the jobs rebuild them by rerunning the
        ``steps`` that trained them, or, where the scheduler cannot name those, train
        from scratch."""
        if not work.start or work.start <= 0:
            return work.start, None, []
        models = self.models.get(source)
        if models is None:
            steps = self.scheduler.training_steps(source, work.start)
            return (work.start, None, steps) if steps else (0, None, [])
        if work.source is not None:
            models = [copy.deepcopy(m) for m in models]
        return work.start, models, []

    def collect(self):
        """Wait for finished jobs; the trials they complete."""
        return [r for res in self.executor.next_results() for r in self.on_job_result(res)]

    def on_job_result(self, res):
        """File one fold's result; ``[TrialResult]`` once the trial's last fold is in (or
        once racing drops it)."""
        flight = self.in_flight[res.trial_id]
        work, folds = flight.work, flight.folds
        folds[res.fold] = res
        if self.metrics is not None and self.metrics.observe(res.test_scores):
            self.metric = self.metrics.rank
            self.history.set_metric(self.metric)
        self.last_device[(res.trial_id, res.fold)] = res.device
        stop = self.events.notify("on_job_end", res)
        if stop:
            self.stop(stop if isinstance(stop, str) else "callback")
        if len(folds) < flight.handed_out:
            return []
        ordered = [folds[k] for k in range(len(folds))]
        if flight.handed_out < self.n_splits:
            return self._race_on(flight, ordered)
        del self.in_flight[res.trial_id]
        result = assemble(work, ordered, self.metric, self.error_score)
        if flight.reference is not None or flight.cohort is not None:
            result.race = dict(flight.race, folds=self.n_splits, dropped=False)
        return [result]

    def _race_on(self, flight, ordered):
        """After a racing look: drop the trial (its result), or hand out its next fold.
        A failed fold ends the race: the other folds run as without racing."""
        if any(r.error is not None for r in ordered) or self.metric is None:
            if flight.cohort is not None:
                return self._leave_cohort(flight)
            flight.race = {"against": flight.reference.trial_id}
            return self._hand_out(flight, self.n_splits - flight.handed_out)
        scores = [r.test_scores.get(self.metric, np.nan) for r in ordered]
        if flight.cohort is not None:
            flight.cohort.waiting[flight.work.trial_id] = scores
            return self._cohort_look(flight.cohort)
        return self._go_on(flight, self.race.decide(flight.work, scores, flight.reference))

    def _go_on(self, flight, race):
        """Drop the trial after its racing look ``race`` (its result), or hand out its
        next fold."""
        flight.race = race
        if not race["dropped"]:
            return self._hand_out(flight, 1)
        del self.in_flight[flight.work.trial_id]
        ordered = [flight.folds[k] for k in range(len(flight.folds))]
        return [raced_result(flight.work, ordered, self.n_splits, self.metric,
                             self.error_score, race)]

    def _leave_cohort(self, flight):
        """A member whose fold failed runs its other folds as without racing; the
        others may now be all at the look."""
        cohort = flight.cohort
        del cohort.flights[flight.work.trial_id]
        flight.cohort, flight.race = None, {}
        return self._hand_out(flight, self.n_splits - flight.handed_out) + \
            self._cohort_look(cohort)

    def _cohort_look(self, cohort):
        """Once every member of ``cohort`` is at its look: decide them together."""
        racing = list(cohort.flights.values())
        if cohort.n_joined < cohort.n_members or not racing or \
                any(f.work.trial_id not in cohort.waiting for f in racing):
            return []
        members = [(f.work, cohort.waiting[f.work.trial_id]) for f in racing]
        cohort.waiting = {}
        # after one fold the prior comes from the history; later, from the cohort itself
        prior = self.race.cohort_prior(self.history, cohort.level, self.metric) \
            if len(members[0][1]) < 2 else None
        races = self.race.decide_cohort(members, cohort.n_keep, prior)
        for flight in racing:
            if races[flight.work.trial_id]["dropped"] or \
                    flight.handed_out + 1 >= self.n_splits:  # no look after its last fold
                del cohort.flights[flight.work.trial_id]
        out = []
        for flight in racing:
            out += self._go_on(flight, races[flight.work.trial_id])
        return out

    def release(self, complete):
        """The results to record now: all of them, or a whole round in trial order."""
        if not self.scheduler.synchronous:
            return complete
        self.ready.extend(complete)
        if self.in_flight:
            return []
        ready, self.ready = sorted(self.ready, key=lambda r: r.trial_id), []
        return ready

    def record(self, result):
        """Keep the models, write the row, tell the scheduler and the listeners."""
        if result.models is not None and not result.failed:
            self.models.put(result.trial_id, result.models)
        names = None if self.metrics is None else self.metrics.names
        row = result_to_row(result, self.error_score, names)
        if self.objectives is not None:
            result.objectives = self.objectives.maximised([row])[0]
        self.history.add(result, row)
        self.scheduler.on_result(result)
        row["info"].update(self.scheduler.result_info(result))
        for trial_id in self.scheduler.take_released():
            self.models.drop(trial_id)
        state = search_state(self.history, result, self.started, self.space)
        stop = self.events.notify("on_trial_end", result, row, state)
        if stop:
            self.stop(stop if isinstance(stop, str) else "callback")

    def stop(self, reason="callback"):
        """Hand out no more work; the work in flight is finished."""
        if not self.stopped:
            self.stopped, self.stop_reason = True, reason

    def wind_up(self):
        """After an interrupt (the executor has stopped its jobs): record the complete
        results a synchronous round was holding back, drop the unfinished trials."""
        self.stopped, self.stop_reason = True, "interrupted"
        ready, self.ready = sorted(self.ready, key=lambda r: r.trial_id), []
        self.in_flight.clear()
        self.cohorts.clear()
        for result in ready:
            self.record(result)


def assemble(work, ordered, metric, error_score):
    """The :class:`TrialResult` of ``work`` from its folds' results, in fold order.

    With ``error_score="raise"`` a failed fold raises its error (the original
    exception where it could be sent back, as GridSearchCV does).
    """
    errors = [r.error for r in ordered]
    if error_score == "raise" and any(e is not None for e in errors):
        _raise_failed(work, next(r for r in ordered if r.error is not None))
    metrics = sorted({m for r in ordered for m in r.test_scores})
    test = {m: np.array([r.test_scores.get(m, np.nan) for r in ordered]) for m in metrics}
    train = {m: np.array([r.train_scores.get(m, np.nan) for r in ordered]) for m in metrics
             if any(r.train_scores for r in ordered)}
    result = TrialResult(
        work=work, test_scores=test, train_scores=train,
        fit_times=np.array([r.fit_time for r in ordered]),
        score_times=np.array([r.score_time for r in ordered]),
        errors=errors, devices=[r.device for r in ordered],
        trained=[r.trained for r in ordered],
        model_sizes=[r.model_size for r in ordered] if any(
            r.model_size is not None for r in ordered) else None,
        models=[r.model for r in ordered] if all(r.model is not None for r in ordered)
        else None,
    )
    metric = metric or (metrics[0] if len(metrics) == 1 else None)
    if not result.failed and metric in test:
        folds = np.asarray(test[metric], dtype=float)
        result.score = float(np.mean(folds))
        result.std_error = float(np.std(folds) / np.sqrt(len(folds)))
    return result


def raced_result(work, ordered, n_splits, metric, error_score, race):
    """The :class:`TrialResult` of work dropped by racing after the folds ``ordered``: the
    folds not run are NaN, the score is the mean over the folds run."""
    result = assemble(work, ordered, metric, error_score)
    missing = n_splits - len(ordered)

    def pad(values):
        return np.concatenate([np.asarray(values, dtype=float), np.full(missing, np.nan)])

    result.test_scores = {m: pad(v) for m, v in result.test_scores.items()}
    result.train_scores = {m: pad(v) for m, v in result.train_scores.items()}
    result.fit_times, result.score_times = pad(result.fit_times), pad(result.score_times)
    result.errors = result.errors + [None] * missing
    result.devices = result.devices + [None] * missing
    result.trained = result.trained + [{}] * missing
    if result.model_sizes is not None:
        result.model_sizes = result.model_sizes + [None] * missing
    result.models = None  # a raced trial is never continued
    result.race = race
    return result


def _raise_failed(work, bad):
    if bad.exception is not None:
        if hasattr(bad.exception, "add_note"):
            bad.exception.add_note(
                f"sktune: raised by the trial with params {work.params} on fold {bad.fold} "
                "(error_score='raise')."
            )
        raise bad.exception
    raise ValueError(
        f"A trial with params {work.params} failed on fold {bad.fold} and "
        f"error_score='raise':\n{bad.traceback or bad.error}"
    )
