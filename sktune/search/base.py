"""The scikit-learn face shared by the three searches.

A search = proposer + scheduler + resource, run by :class:`~sktune.loop.SearchLoop`.
Subclasses validate their own parameters and build those parts
(``_make_resource``, ``_make_scheduler``) from a :class:`FitContext`.
"""

from __future__ import annotations

import numbers
import os
import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import indexable
from sklearn.utils.metadata_routing import UNUSED

from .. import _compat
from .._evaluate import Data, apply_device, job_seed, seed_estimator, seeded_torch
from .._models import ModelStore, parse_size
from .._routing import route_fit, search_router
from .._scoring import Metrics, build_scorers
from .._validation import BOOL, CALLABLE, NONE, Check, Interval, Options, validate_params
from .._warn import warn
from ..diagnosis import diagnose_learning_curves
from ..events import EventStream, JournalWriter, Progress, SklearnHooks, StopCallbacks, VerbosePrinter
from ..execution import Executor, check_devices, refit_device
from ..loop import SearchLoop
from ..objectives import Objectives, explain_choice, pareto_ranks_by_level
from ..plots import _resource_label
from ..racing import FoldRace, decisions_from_rows
from ..records import History, Journal, ReplayingExecutor, build_cv_results
from ..records.journal import check_journal_path, fingerprint
from ..records.rows import check_failures, result_to_row
from ..resources import FullFit, quiet_trial_nets
from ..schedulers.base import TrialResult, Work
from ..selection import standard_error, tied_with_best
from ..space import SearchSpace
from ..warm_start import (
    TASK_PARTS,
    FirstPoints,
    best_configurations,
    check_points,
    choose_use,
    n_seeds,
    read_initial_results,
)
from ._checks import check_data, make_splits
from ._delegation import DelegationMixin


def _is_device_list(v):
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(d, str) for d in v)


_COMMON_CONSTRAINTS = {
    "estimator": [Check(lambda v: hasattr(v, "fit"), "an estimator with a 'fit' method")],
    "scoring": [NONE, Check(lambda v: isinstance(v, (str, list, tuple, set, dict)), "a str, "
                "list or dict of metrics"), CALLABLE],
    "n_jobs": [NONE, Check(lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool)
                           and v != 0, "an int other than 0")],
    "refit": [BOOL, Check(lambda v: isinstance(v, str), "a metric name"), CALLABLE],
    "cv": [NONE, Interval(int, 2, None), Check(lambda v: hasattr(v, "split") or (
        hasattr(v, "__iter__") and not isinstance(v, str)), "a CV splitter or an iterable")],
    "verbose": [Interval(int, 0, None), BOOL],
    "random_state": [NONE, Interval(int, 0, 2**32 - 1), Check(
        lambda v: isinstance(v, (np.random.RandomState, np.random.Generator)),
        "a numpy RandomState or Generator")],
    "error_score": [Options("raise"), Interval(float, None, None),
                    Check(lambda v: isinstance(v, float) and np.isnan(v), "nan")],
    "return_train_score": [BOOL],
    "callbacks": [NONE, CALLABLE, Check(lambda v: isinstance(v, (list, tuple)) and all(
        callable(c) for c in v), "a list of callables")],
    "devices": [NONE, Options("auto"), Check(lambda v: isinstance(v, str) and v != "",
                                              "a device name"), Check(_is_device_list,
                                              "a non-empty list of device names")],
    "trials_per_device": [Interval(int, 1, None)],
    "device_param": [NONE, Check(lambda v: isinstance(v, str), "a parameter name")],
    "journal": [NONE, Check(lambda v: isinstance(v, (str, os.PathLike)) and os.fspath(v) != "",
                            "a file path (str or os.PathLike)")],
    "trial_timeout": [NONE, Interval(float, 0, None, closed="neither")],
    "objectives": [NONE, Check(lambda v: isinstance(v, (list, tuple, dict)) and all(
        isinstance(k, str) for k in v), "a list of metric or cost names, or a dict of them")],
    "constraints": [NONE, Check(lambda v: isinstance(v, dict) and all(
        isinstance(k, str) for k in v), "a dict of metric or cost names to bounds")],
    "racing": [BOOL, Interval(float, 0, 0.5, closed="neither")],
    "initial_points": [NONE, Check(lambda v: isinstance(v, (list, tuple)) and all(
        isinstance(p, dict) for p in v), "a list of dicts of parameter values")],
    "initial_results": [NONE, Check(lambda v: isinstance(v, (str, os.PathLike, dict)) or hasattr(
        v, "cv_results_") or hasattr(v, "columns") or hasattr(v, "fit"),
        "a fitted search, its cv_results_ (dict or DataFrame) or a journal path")],
    "initial_results_as": [Options("auto", "results", "prior")],
}


def _is_size(value):
    try:
        return isinstance(value, str) and parse_size(value) is not None
    except ValueError:
        return False


# searches that keep fold models between training steps (Hyperband, PBT)
MODEL_MEMORY_CONSTRAINT = [NONE, Interval(int, 0, None), Check(
    _is_size, 'a size such as "500MB" or "2GB"')]


@dataclass(frozen=True)
class FitContext:
    """What the parts of a search may know of the data of one ``fit``."""

    n_samples: int
    n_splits: int
    classes: np.ndarray | None  # the class labels of a classifier's y, else None

    @property
    def n_classes(self):
        return 1 if self.classes is None else len(self.classes)


class BaseSearch(DelegationMixin, MetaEstimatorMixin, _compat.CallbackSupportMixin,
                 BaseEstimator):
    """Shared base of :class:`BayesSearchCV`, :class:`HyperbandSearchCV` and
    :class:`PopulationSearchCV` (not meant to be used directly)."""

    _space_param = "search_spaces"
    _extra_constraints: dict = {}
    __metadata_request__fit = {"groups": UNUSED}  # a router: no set_fit_request of its own

    # -- parts subclasses provide ---------------------------------------------
    def _make_scheduler(self, space, rng, context):
        raise NotImplementedError

    def _make_resource(self, estimator, space, context):
        return FullFit()

    def _search_splits(self, splits, X, y, split_params, entropy):
        """The CV splits the search runs on (all of ``splits`` here; PBT keeps a
        holdout out of them)."""
        return splits

    def _after_search(self, history, data, scheduler, entropy):
        """Called once the best row is chosen, before the refit (nothing here)."""

    def _refit_best(self, estimator, X, y, fit_params):
        return self.resource_.advance(
            estimator, X, y, start=0, stop=None, fit_params=fit_params, classes=self._classes
        )

    # -- validation -------------------------------------------------------------
    def _validate(self, X, y):
        params = self.get_params(deep=False)
        validate_params(self, params, {
            k: v for k, v in {**_COMMON_CONSTRAINTS, **self._extra_constraints}.items()
            if k in params
        })
        space = SearchSpace._from_param(getattr(self, self._space_param), self._space_param, self)
        space.check_estimator_params(self.estimator, self._space_param, owner=self)
        check_devices(getattr(self, "devices", None), self, estimator=self.estimator,
                      device_param=getattr(self, "device_param", None))
        check_journal_path(getattr(self, "journal", None), self)
        return space

    # -- fit ------------------------------------------------------------------------
    @_compat.fit_with_callbacks
    def fit(self, X, y=None, *, groups=None, **fit_params):
        """Run the search, then refit the best configuration on all data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (arrays, sparse matrices and DataFrames are accepted).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets, None for unsupervised learning.
        groups : array-like of shape (n_samples,), default=None
            Group labels for group-aware CV splitters (with metadata routing on, they
            go wherever they are requested, as any other metadata).
        **fit_params : dict
            Passed to the estimator's ``fit`` (and ``sample_weight`` to the scorers that
            take it, as ``GridSearchCV`` does); with metadata routing on, each goes to
            the estimator, scorers and splitter that request it. Per-sample values are
            sliced per fold, the others passed as they are.

        Returns
        -------
        self : object
            The fitted search.
        """
        space = self._validate(X, y)
        X, y, groups = indexable(X, y, groups)
        estimator = self.estimator
        # scoring and refit before the data, as GridSearchCV checks them
        scorers, multimetric = build_scorers(estimator, self.scoring)
        refit = _single_metric_refit(self, multimetric)
        self._metrics = Metrics(scorers, multimetric, refit)
        routed = route_fit(self, scorers, multimetric, fit_params, groups)
        check_data(estimator, X, y, fit_params, self)
        cv = check_cv(self.cv, y, classifier=is_classifier(estimator))
        splits = make_splits(cv, X, y, routed.split, self)
        self._test_train_ratio = float(np.mean([len(te) / max(len(tr), 1) for tr, te in splits]))
        classes = np.unique(y) if is_classifier(estimator) and y is not None else None
        context = FitContext(_compat.num_rows(X), len(splits), classes)
        self._objectives = self._check_objectives(scorers, multimetric)
        self._check_racing(len(splits))
        self._classes = classes
        self.resource_ = self._make_resource(estimator, space, context)
        parts = fingerprint(self, space, splits, X, y)
        self.task_fingerprint_ = {k: parts[k] for k in TASK_PARTS}
        self._read_warm_start(space, parts, context)
        journal = self._open_journal(parts)
        seed_seq = np.random.SeedSequence(
            journal.entropy if journal is not None else _entropy(self.random_state))
        # after the journal's fingerprint (of the splits as cv gave them) and seed
        splits = self._search_splits(splits, X, y, routed.split, seed_seq.entropy)
        scheduler = self._make_scheduler(space, np.random.default_rng(seed_seq.spawn(1)[0]),
                                         context)
        n_total = scheduler.n_total  # sklearn.callback hooks (>= 1.9)
        _compat.start_callback_hooks(self, X, y, refit=bool(self.refit),
                                     n_tasks=None if n_total is None else n_total * len(splits),
                                     sample_weight=fit_params.get("sample_weight"),
                                     splits=splits)
        data = Data(
            estimator=estimator, X=X, y=y, splits=splits, fit_params=routed.fit,
            scorers=scorers, score_params=routed.score, return_train_score=self.return_train_score,
            resource=self.resource_, device_param=self.device_param, classes=classes,
            measure_size=self._objectives is not None and self._objectives.measure_size,
            error_score=self.error_score,
        )
        history = self._run(scheduler, data, seed_seq.entropy, len(splits), journal, space)
        if not history.rows:
            if self.stop_reason_ == "interrupted":
                raise KeyboardInterrupt("the search was interrupted before any result")
            raise RuntimeError("The search finished without any result (was it stopped at once?).")
        self._finish(history, len(splits), scheduler, scorers)
        self._after_search(history, data, scheduler, seed_seq.entropy)
        self._maybe_refit(X, y, routed.fit, seed_seq.entropy)
        _compat.callback_hooks(self).end()
        return self

    def _check_objectives(self, scorers, multimetric):
        """The :class:`~sktune.objectives.Objectives` of ``objectives`` and ``constraints``
        (None without them), checked before any training."""
        objectives = getattr(self, "objectives", None)
        constraints = getattr(self, "constraints", None)
        if objectives is None:
            if constraints:
                raise ValueError(
                    f"The 'constraints' parameter of {type(self).__name__} needs 'objectives' "
                    "(at least the refit metric and the constrained cost, e.g. "
                    "objectives=['score', 'fit_time']).")
            return None
        if multimetric is None:
            raise ValueError(
                f"The 'objectives' parameter of {type(self).__name__} needs named metrics: a "
                "callable 'scoring' is known only once it has scored. Pass a dict of scorers.")
        if self.refit is not False and not callable(self.refit) and multimetric and not \
                isinstance(self.refit, str):
            raise ValueError(
                f"With 'objectives', 'refit' names the metric to pick the best by among the "
                f"rows meeting 'constraints' (one of {list(scorers)}), or is a callable.")
        return Objectives(objectives, constraints, list(scorers), type(self).__name__)

    def _check_racing(self, n_splits):
        """Refuse ``racing`` where it cannot work, before any training."""
        if getattr(self, "racing", False) is False:
            return
        name = type(self).__name__
        if self._objectives is not None:
            raise ValueError(
                f"The 'racing' parameter of {name} races on one score; it cannot be used with "
                "'objectives'. Set racing=False for a multi-objective search.")
        if n_splits < 3:
            warn(f"racing={self.racing!r} has no effect with {n_splits} CV folds: a trial "
                 "races from its second fold on, and 2 folds leave too little to save (use "
                 "cv >= 3).")

    def _make_race(self, n_splits, journal):
        """The :class:`~sktune.racing.FoldRace` of ``racing`` (None without racing)."""
        racing = getattr(self, "racing", False)
        if racing is False or n_splits < 3:
            return None
        decided = {} if journal is None else decisions_from_rows(journal.rows)
        return FoldRace(n_splits, _RACING_ALPHA if racing is True else float(racing),
                        decided=decided)

    def get_metadata_routing(self):
        """The metadata routing of the search, as in scikit-learn's searches.

        Returns
        -------
        routing : MetadataRouter
            The estimator (``fit``), the scorer(s) (``score``, and ``fit`` for the
            CV scores) and the splitter (``split``).
        """
        scorers, multimetric = build_scorers(self.estimator, self.scoring)
        return search_router(self, scorers, multimetric)

    def _open_journal(self, parts):
        """Open ``self.journal`` (None without one); a resumed journal brings its seed."""
        path = getattr(self, "journal", None)
        if path is None:
            return None
        entropy = None if self.random_state is None else _entropy(self.random_state)
        imported = self._warm["imported"]
        if imported is not None:  # resumed only with the same imported rows, used the same way
            parts = {**parts, "initial_results": f"{self._warm['use']}:{imported.digest()}"}
        return Journal(path, parts, entropy)

    # -- warm start ------------------------------------------------------------------------
    _imports_as_results = True  # PopulationSearchCV: a member's training must run

    def _read_warm_start(self, space, parts, context):
        """Read and check ``initial_points`` and ``initial_results`` (before any training,
        and before a journal is opened)."""
        name = type(self).__name__
        points = getattr(self, "initial_points", None)
        points = check_points(list(points or ()), space, f"The 'initial_points' parameter of "
                              f"{name}")
        self._warm = {"points": points, "imported": None, "use": None, "results": []}
        self.initial_results_use_ = None
        source = getattr(self, "initial_results", None)
        if source is None:
            return
        imported = read_initial_results(source, self)
        where = f"The 'initial_results' parameter of {name} (from {imported.source})"
        use = getattr(self, "initial_results_as", "auto")
        if not self._imports_as_results:
            if use == "results":
                raise ValueError(
                    f"{name} cannot count initial_results as its results: a member's training "
                    "must run to be continued and exploited. They choose the initial "
                    "population instead: pass initial_results_as='prior' (or 'auto').")
            use = "prior"
        metrics = self._metrics.names or [self._metrics.rank]
        use = choose_use(imported, use, parts, context.n_splits, metrics, self)
        rows = imported.rows
        for row, params in zip(rows, check_points([r.params for r in rows], space, where,
                                                   what="row")):
            row.params = params
        self._warm.update(imported=imported, use=use)
        self.initial_results_use_ = use
        if use == "results":
            results = [r for r in rows if self._counts_as_result(r, context)]
            if not results:
                raise ValueError(
                    f"{name}: none of the initial_results from {imported.source} is a complete "
                    "training as this search runs them (they were trained to another budget). "
                    "Pass initial_results_as='prior'.")
            self._warm["results"] = results

    def _first_points(self, n_design):
        """``initial_points``, then (imported as a prior) the best imported configurations,
        at most half of the ``n_design`` first trials."""
        warm = self._warm
        first = list(warm["points"])
        if warm["use"] == "prior":
            first += best_configurations(warm["imported"].rows, self._metrics.rank,
                                         n_seeds(n_design), exclude=first)
        return first

    def _with_first_points(self, proposer, n_design):
        first = self._first_points(n_design)
        return FirstPoints(proposer, first) if first else proposer

    def _counts_as_result(self, row, context):
        """Whether an imported row is a complete training as this search does them."""
        return row.budget is None

    def _record_imported(self, history, scheduler):
        """Imported as results: their rows first (``imported``), told to the proposer."""
        rows = self._warm["results"]
        names = self._metrics.names or [self._metrics.rank]
        rank = self._metrics.rank
        fill = np.nan if self.error_score == "raise" else float(self.error_score)
        for i, imp in enumerate(rows):
            n = len(imp.fit_time)
            work = Work(-1 - i, dict(imp.params), stop=None, info=scheduler.imported_info())
            result = TrialResult(
                work=work, test_scores={m: np.asarray(imp.test[m]) for m in names},
                train_scores={m: np.asarray(v) for m, v in imp.train.items() if m in names},
                fit_times=np.asarray(imp.fit_time, dtype=float),
                score_times=np.asarray(imp.score_time, dtype=float),
                errors=["failed in the imported search"] * n if imp.failed else [None] * n,
                devices=[None] * n)
            if not imp.failed:
                result.score = float(np.mean(imp.test[rank]))
            row = result_to_row(result, fill, names)
            row["imported"] = True
            if self._objectives is not None:
                result.objectives = self._objectives.maximised([row])[0]
            if not imp.failed:  # a failure is only told (cv_results_ shows what ran)
                history.add(result, row)
            scheduler.tell_imported(result)

    def _listeners(self, scheduler, journal, n_splits):
        """The event stream's listeners: journal, progress bar, printer, callbacks, hooks."""
        bar = _progress(self.verbose, scheduler.n_total, type(self).__name__)
        return EventStream([
            None if journal is None else JournalWriter(journal),
            None if bar is None else Progress(bar),
            VerbosePrinter(self.verbose, n_splits, scheduler.n_total) if self.verbose else None,
            StopCallbacks(_as_list(self.callbacks)),
            SklearnHooks(_compat.callback_hooks(self)),
            _warning_summary(self),
        ])

    def _run(self, scheduler, data, entropy, n_splits, journal, space=None):
        """Run the search loop; the :class:`~sktune.records.History` of its results.

        Ctrl-C ends the search cleanly: no new job starts, the jobs in flight are
        abandoned (a worker finishes the one it runs), the results so far are kept,
        and ``stop_reason_`` says ``"interrupted"``. A second Ctrl-C raises.
        """
        objectives = self._objectives
        history = History(scheduler.level, self._metrics.rank,
                          feasible=None if objectives is None else objectives.feasible)
        self._record_imported(history, scheduler)
        data.estimator = quiet_trial_nets(data.estimator, self.verbose)  # the refit is not
        models = ModelStore(parse_size(getattr(self, "max_model_memory", None)))
        events = self._listeners(scheduler, journal, n_splits)
        events.notify("on_search_begin")
        started = time.perf_counter()
        executor = Executor(data, self.n_jobs, self.devices, self.trials_per_device,
                            timeout=getattr(self, "trial_timeout", None))
        loop = SearchLoop(
            scheduler, ReplayingExecutor(executor, journal), history, events, models,
            n_splits=n_splits, entropy=entropy, metric=self._metrics.rank,
            error_score=self.error_score, started=started, metrics=self._metrics,
            objectives=objectives, space=space, race=self._make_race(n_splits, journal))
        try:
            with executor:
                self.n_workers_ = executor.capacity
                try:
                    loop.run()
                except KeyboardInterrupt:  # keep what is done; no new work starts
                    loop.wind_up()
                    _warn_interrupted(self, len(history.rows))
        finally:
            if hasattr(self, "max_model_memory"):
                self.n_models_spilled_ = models.n_spilled
            models.close()
            if journal is not None:
                journal.close(finished=loop.stop_reason != "interrupted",
                              n_results=len(history.rows))
            events.notify("on_search_end")
        self.busy_time_ = executor.busy_time
        self.n_worker_restarts_ = executor.n_restarts
        self.n_replayed_jobs_ = 0 if journal is None else journal.n_replayed
        self.search_time_ = time.perf_counter() - started
        self.best_score_so_far_ = history.best_score()
        self.stop_reason_ = loop.stop_reason
        return history  # fold models are dropped with the loop: the fitted search stays small

    # -- results ---------------------------------------------------------------------
    def _finish(self, history, n_splits, scheduler, scorers):
        rows = history.rows
        check_failures(rows, self.error_score)
        metrics = self._metrics
        self._refit_metric = metrics.refit_metric
        error_fill = np.nan if self.error_score == "raise" else float(self.error_score)
        self.cv_results_ = build_cv_results(
            rows, sorted(metrics.names), n_splits, return_train_score=self.return_train_score,
            error_score=self.error_score, error_fill=error_fill,
        )
        if any(r.get("imported") for r in rows):
            self.cv_results_["imported"] = np.array([bool(r.get("imported")) for r in rows])
        self.history_ = rows
        self.n_splits_ = n_splits
        self.multimetric_ = metrics.multimetric
        self.scorer_ = scorers if isinstance(self.scoring, (list, tuple, set, dict)) \
            else next(iter(scorers.values()))
        state = scheduler.state()
        for name in scheduler.fitted_attributes:
            setattr(self, name, state[name])
        self.learning_curves_ = diagnose_learning_curves(
            self.cv_results_, metric=metrics.refit_metric, n_best=3,
            resource_name=_resource_label(self))
        if self._objectives is not None:
            self._pareto(history)
        if self.refit is False and metrics.multimetric:
            return  # as scikit-learn: with one metric, best_* exist even without refit
        self._adopt_best(history, scheduler, self._choose_best(history, metrics.refit_metric))

    def _adopt_best(self, history, scheduler, index):
        """Make row ``index`` the best: ``best_index_``, ``best_params_``, its ties and the
        scheduler's state of the best (``best_score_`` is the chooser's)."""
        self.best_index_ = np.int64(index)  # numpy scalars, as GridSearchCV's
        self.best_params_ = dict(self.cv_results_["params"][index])
        self._mark_ties(self._metrics.refit_metric or self._metrics.rank)
        for name, value in scheduler.best_state(history.rows[index]).items():
            setattr(self, name, value)

    def _mark_ties(self, metric):
        """``best_score_std_error_`` and the ``tied_with_best`` column: the rows a paired
        test on the same folds cannot tell apart from the best (:mod:`sktune.selection`)."""
        results, i = self.cv_results_, int(self.best_index_)
        self.best_score_std_error_ = np.float64(standard_error(results, metric)[i])
        results["tied_with_best"] = tied_with_best(results, i, metric,
                                                   test_size=self._test_train_ratio)

    def _choose_best(self, history, metric):
        """The best row by the history's rule (or the callable ``refit``), as GridSearchCV:
        a NaN mean ranks last, and the first row wins when every mean is NaN."""
        if callable(self.refit):
            index = self.refit(self.cv_results_)
            if not isinstance(index, numbers.Integral):
                raise TypeError("best_index_ returned is not an integer")
            if index < 0 or index >= len(history.rows):
                raise IndexError("best_index_ index out of range")
        else:
            means = self.cv_results_[f"mean_test_{metric}"]
            eligible = history.eligible()
            feasible = eligible & self._feasible(history)
            valid = np.flatnonzero(feasible & ~np.isnan(means))
            if not len(valid):  # nothing meets the constraints: the best regardless
                valid = np.flatnonzero(eligible & ~np.isnan(means))
            index = valid[np.argmax(means[valid])] if len(valid) else np.flatnonzero(eligible)[0]
            self.best_score_ = np.float64(means[index])
            if self._objectives is not None:
                self.refit_explanation_ = explain_choice(
                    self._objectives, history.rows, index, metric, eligible, feasible)
        return index

    def _feasible(self, history):
        if self._objectives is None:
            return np.ones(len(history.rows), dtype=bool)
        return np.array([self._objectives.feasible(r) for r in history.rows], dtype=bool)

    def _pareto(self, history):
        """``pareto_rank`` (within each level: rows of one budget) and ``pareto_front_``
        (the non-dominated rows at the highest level reached)."""
        ranks = pareto_ranks_by_level(self._objectives, history.rows, history.levels())
        self.cv_results_["pareto_rank"] = ranks
        eligible = history.eligible()
        self.pareto_front_ = [int(i) for i in np.flatnonzero(eligible & (ranks == 1))]

    def _maybe_refit(self, X, y, fit_params, entropy):
        if not self.refit:
            return
        # clone the values too: an estimator given as a choice must not be fitted in place
        est = clone(self.estimator).set_params(**clone(self.best_params_, safe=False))
        apply_device(est, refit_device(self.devices), self.device_param)
        # seeded like the CV jobs, so the same random_state refits the same model
        seed = job_seed(entropy, (_REFIT_KEY,))
        seed_estimator(est, seed)
        t0 = time.perf_counter()
        with _compat.callback_hooks(self).refit(est), seeded_torch(seed):
            self.best_estimator_ = self._refit_best(est, X, y, fit_params)
        self.refit_time_ = time.perf_counter() - t0
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_

    def _sk_visual_block_(self):
        """The HTML diagram shows ``best_estimator_`` once refitted, as GridSearchCV's."""
        if hasattr(self, "best_estimator_"):
            return _compat.visual_block("best_estimator_", self.best_estimator_)
        return _compat.visual_block("estimator", self.estimator)

    def __sklearn_tags__(self):
        return _compat.search_tags(self, super().__sklearn_tags__())

    def _more_tags(self):  # scikit-learn < 1.6
        return _compat.search_more_tags(self)

    if _compat.SKLEARN_VERSION < (1, 6):  # is_classifier reads this before tags existed
        _estimator_type = property(_compat.estimator_type)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "cv_results_")



def _single_metric_refit(search, multimetric):
    """``refit``, where a str with one metric is refit=True, as GridSearchCV takes it
    (with a warning when it names another metric than the one scored)."""
    refit = search.refit
    if not isinstance(refit, str) or multimetric is not False:
        return refit
    scoring = "score" if search.scoring is None else search.scoring
    if refit not in (scoring, "score"):
        warn(f"The 'refit' parameter of {type(search).__name__} is {refit!r}, but 'scoring' "
             f"has one metric ({scoring!r}): the best candidate is the best by {scoring!r}, "
             "as in GridSearchCV. Write refit=True to say so, or add the metric to "
             "'scoring'.")
    return True


def _entropy(random_state):
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    return int(random_state)


# racing=True: a trial goes once its win probability is below this (benchmarks/racing.py:
# from fold 1 at 0.2, 62% of the fold fits, held-out loss within the noise on 16 of 16)
_RACING_ALPHA = 0.2
_REFIT_KEY = 2**32 - 1  # the refit's spawn key: no trial has this id


def _warn_interrupted(search, n_results):
    warn(f"{type(search).__name__} was interrupted (Ctrl-C) after {n_results} results: no new "
         "job starts and the search ends with the results so far (stop_reason_ is "
         "'interrupted'; with journal= a later fit resumes it). Press Ctrl-C again to abort.")


def _as_list(callbacks):
    if callbacks is None:
        return []
    return [callbacks] if callable(callbacks) else list(callbacks)


def _progress(verbose, total, desc="sktune"):
    from ..progress import make_progress

    return make_progress(verbose, total, desc)


def _warning_summary(search):
    from ..events import WarningSummary

    return WarningSummary(type(search).__name__)
