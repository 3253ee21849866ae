"""The scikit-learn face shared by the three searches, and the one search loop.

A search = proposer + scheduler + resource. Subclasses only validate their
own parameters and build those parts (``_make_scheduler``, ``_make_resource``).
"""

from __future__ import annotations

import numbers
import os
import time
import warnings
from collections import defaultdict

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _compat
from ._evaluate import Data, Job, apply_device, job_seed, seed_estimator, seeded_torch
from ._models import ModelStore, parse_size
from ._scoring import build_scorers
from ._validation import BOOL, CALLABLE, NONE, Check, Interval, Options, validate_params
from .callbacks import SearchState
from .execution import Executor, check_devices, resolve_devices
from .journal import Journal, check_journal_path, fingerprint, job_result_from_event, params_key
from .records import build_cv_results, result_to_row
from .resources import FullFit
from .schedulers.base import TrialResult
from .space import SearchSpace


def _estimator_has(attr):
    def check(self):
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


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
}


def _is_size(value):
    try:
        return isinstance(value, str) and parse_size(value) is not None
    except ValueError:
        return False


# searches that keep fold models between training steps (Hyperband, PBT)
MODEL_MEMORY_CONSTRAINT = [NONE, Interval(int, 0, None), Check(
    _is_size, 'a size such as "500MB" or "2GB"')]


class BaseSearch(MetaEstimatorMixin, _compat.CallbackSupportMixin, BaseEstimator):
    """Shared base of :class:`BayesSearchCV`, :class:`HyperbandSearchCV` and
    :class:`PopulationSearchCV` (not meant to be used directly)."""

    _space_param = "search_spaces"
    _extra_constraints: dict = {}

    # -- parts subclasses provide ---------------------------------------------
    def _make_scheduler(self, space, rng, n_splits):
        raise NotImplementedError

    def _make_resource(self, estimator):
        return FullFit()

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
        try:
            space = SearchSpace(getattr(self, self._space_param))
        except (ValueError, TypeError) as exc:
            if f"'{self._space_param}'" in str(exc):
                raise
            raise type(exc)(
                f"The '{self._space_param}' parameter of {type(self).__name__} is not a valid "
                f"search space: {exc}"
            ) from exc
        space.check_estimator_params(self.estimator, self._space_param)
        check_devices(getattr(self, "devices", None), self)
        check_journal_path(getattr(self, "journal", None), self)
        if self.devices is not None and self.device_param is not None:
            if self.device_param not in self.estimator.get_params(deep=True):
                raise ValueError(
                    f"The 'device_param' parameter names {self.device_param!r}, which is not a "
                    f"parameter of {type(self.estimator).__name__}."
                )
        return space

    def _check_refit(self, multimetric, metrics):
        refit = self.refit
        if multimetric and refit is True:
            raise ValueError(
                "With several metrics in 'scoring', 'refit' must be the name of the metric to "
                f"select the best candidate with (one of {sorted(metrics)}), a callable, or "
                "False. Got True instead."
            )
        if multimetric and isinstance(refit, str) and refit not in metrics:
            raise ValueError(
                f"The 'refit' parameter must be one of the scoring metrics {sorted(metrics)}. "
                f"Got {refit!r} instead."
            )
        if not multimetric and isinstance(refit, str) and refit != "score":
            raise ValueError(
                "The 'refit' parameter may be a metric name only with several metrics in "
                f"'scoring'. Got {refit!r}; use refit=True."
            )
        if isinstance(refit, str):
            return refit
        return "score" if not multimetric else None

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
            Group labels for group-aware CV splitters.
        **fit_params : dict
            Passed to the estimator's ``fit``; per-sample values are sliced per fold.

        Returns
        -------
        self : object
            The fitted search.
        """
        space = self._validate(X, y)
        X, y, groups = indexable(X, y, groups)
        estimator = self.estimator
        cv = check_cv(self.cv, y, classifier=is_classifier(estimator))
        splits = list(cv.split(X, y, groups))
        n_splits = len(splits)
        scorers, multimetric = build_scorers(estimator, self.scoring)
        metric_names = [m for m in scorers if m != "__dict__"]
        refit_metric = self._check_refit(multimetric, metric_names) if metric_names else None
        self._classes = np.unique(y) if is_classifier(estimator) and y is not None else None
        self.resource_ = self._make_resource(estimator)
        journal = self._open_journal(space, splits, X, y)
        seed_seq = np.random.SeedSequence(
            journal.entropy if journal is not None else _entropy(self.random_state))
        rng = np.random.default_rng(seed_seq.spawn(1)[0])
        scheduler = self._make_scheduler(space, rng, n_splits)
        n_total = getattr(scheduler, "n_total", None)  # sklearn.callback hooks (>= 1.9)
        _compat.start_callback_hooks(self, X, y, refit=bool(self.refit),
                                     n_tasks=None if n_total is None else n_total * n_splits)
        data = Data(
            estimator=estimator, X=X, y=y, splits=splits, fit_params=fit_params,
            scorers=scorers, return_train_score=self.return_train_score,
            resource=self.resource_, device_param=self.device_param, classes=self._classes,
        )
        self._refit_metric = refit_metric
        rows = self._run(scheduler, data, seed_seq, n_splits)
        if not rows:
            raise RuntimeError("The search finished without any result (was it stopped at once?).")
        metrics = sorted({m for r in rows for m in r["test"]})
        if refit_metric is None and not multimetric and "score" not in metrics:
            refit_metric = metrics[0] if len(metrics) == 1 else None
        self._finish(rows, metrics, n_splits, multimetric, refit_metric, scheduler, scorers)
        self._maybe_refit(X, y, fit_params, seed_seq.entropy)
        _compat.callback_hooks(self).end()
        return self

    def _open_journal(self, space, splits, X, y):
        """Open ``self.journal`` (None without one); a resumed journal brings its seed."""
        self._journal = None
        path = getattr(self, "journal", None)
        if path is None:
            return None
        entropy = None if self.random_state is None else _entropy(self.random_state)
        self._journal = Journal(path, fingerprint(self, space, splits, X, y), entropy)
        return self._journal

    def _run(self, scheduler, data, seed_seq, n_splits):
        """The search loop: ask the scheduler, run folds (or read them back from the
        journal), report results.

        Synchronous schedulers get each round's results in trial order once the
        round is complete, so results never depend on worker timing. Asynchronous
        ones get each result as soon as its last fold is in.
        """
        rows, scores = [], []
        in_flight = {}  # trial_id -> (work, {fold: JobResult}, params key)
        ready = []  # complete trials waiting for the end of a synchronous round
        models = ModelStore(parse_size(getattr(self, "max_model_memory", None)))
        last_device = {}  # (trial_id, fold) -> device its last job ran on
        callbacks = _as_list(self.callbacks)
        hooks = _compat.callback_hooks(self)
        journal = getattr(self, "_journal", None)
        started = time.perf_counter()
        self.best_score_so_far_ = np.nan
        best = {"params": None}
        bar = _progress(self.verbose, getattr(scheduler, "n_total", None), type(self).__name__)
        entropy = seed_seq.entropy
        keeps_models = bool(getattr(scheduler, "keeps_models", False))

        def record(result):
            if result.models is not None and not result.failed:
                models.put(result.trial_id, result.models)
            row = result_to_row(result, self.error_score)
            if journal is not None:
                journal.result(row)
            rows.append(row)
            scores.append(result.score)
            scheduler.on_result(result)
            for tid in [t for t in models if not scheduler.keep_models(t)]:
                models.drop(tid)
            if np.isfinite(result.score) and not (result.score <= self.best_score_so_far_):
                self.best_score_so_far_, best["params"] = result.score, result.params
            self._report(result, bar, len(rows))
            state = SearchState(len(rows), self.best_score_so_far_, best["params"], result,
                                time.perf_counter() - started, scores)
            if any(bool(cb(state)) for cb in callbacks):
                scheduler.stop()

        def fold_done(res):
            work, folds, _ = in_flight[res.trial_id]
            folds[res.fold] = res
            last_device[(res.trial_id, res.fold)] = res.device
            if hooks.job_end(res.trial_id, res.fold):
                scheduler.stop()  # a sklearn.callback hook asked to stop
            if len(folds) < n_splits:
                return None
            del in_flight[res.trial_id]
            return self._trial_result(work, folds, n_splits)

        finished = False
        ex = Executor(data, self.n_jobs, self.devices, self.trials_per_device,
                      timeout=getattr(self, "trial_timeout", None))
        try:
            with ex:
                self.n_workers_ = ex.capacity
                while True:
                    if scheduler.synchronous:
                        works = scheduler.next_work(10**9) if not in_flight and not ready else []
                    else:
                        free = ex.capacity - ex.n_pending
                        works = scheduler.next_work(-(-free // n_splits)) if free > 0 else []
                    complete = []
                    for work in works:
                        key = params_key(work.params) if journal is not None else None
                        in_flight[work.trial_id] = (work, {}, key)
                        src = work.source if work.source is not None else work.trial_id
                        start, fold_models = work.start, None
                        if start and start > 0:
                            fold_models = models.get(src)
                            if fold_models is None:
                                start = 0  # models lost (resumed search): train from scratch
                            elif work.source is not None:
                                fold_models = _copy_models(fold_models)
                        return_model = scheduler.keep_models(work.trial_id) or keeps_models
                        for k in range(n_splits):
                            hooks.job_begin(work.trial_id, k)
                            event = None if journal is None else journal.take(
                                work.trial_id, k, work.start, work.stop, key)
                            if event is not None:
                                result = fold_done(job_result_from_event(event))
                                if result is not None:
                                    complete.append(result)
                                continue
                            ex.submit(Job(
                                trial_id=work.trial_id, fold=k, params=dict(work.params),
                                start=start, stop=work.stop,
                                seed=job_seed(entropy, (work.trial_id, k)),
                                model=None if fold_models is None else fold_models[k],
                                return_model=return_model,
                                device=last_device.get((work.trial_id, k),
                                                       last_device.get((src, k))),
                            ))
                    if not complete and not ready and not in_flight:
                        if scheduler.is_finished() or not works:
                            break
                        continue
                    if not complete and in_flight:
                        for res in ex.next_results():
                            if journal is not None:
                                journal.job(res, in_flight[res.trial_id][0],
                                            in_flight[res.trial_id][2])
                            result = fold_done(res)
                            if result is not None:
                                complete.append(result)
                    if scheduler.synchronous:
                        ready.extend(complete)
                        if in_flight:
                            continue
                        complete, ready = sorted(ready, key=lambda r: r.trial_id), []
                    for result in complete:
                        record(result)
                self.busy_time_ = ex.busy_time
                self.n_worker_restarts_ = ex.n_restarts
                self.n_replayed_jobs_ = 0 if journal is None else journal.n_replayed
            finished = True
        finally:
            if hasattr(self, "max_model_memory"):
                self.n_models_spilled_ = models.n_spilled
            models.close()
            if journal is not None:
                journal.close(finished=finished, n_results=len(rows))
            if bar is not None:
                bar.close()
        self.search_time_ = time.perf_counter() - started
        return rows  # fold models are dropped with the loop: the fitted search stays small

    def _trial_result(self, work, folds, n_splits):
        ordered = [folds[k] for k in range(n_splits)]
        errors = [r.error for r in ordered]
        if any(e is not None for e in errors) and self.error_score == "raise":
            bad = next(r for r in ordered if r.error is not None)
            if bad.exception is not None:  # re-raise the original, as GridSearchCV does
                if hasattr(bad.exception, "add_note"):
                    bad.exception.add_note(
                        f"sktune: raised by the trial with params {work.params} on fold "
                        f"{bad.fold} (error_score='raise')."
                    )
                raise bad.exception
            raise ValueError(
                f"A trial with params {work.params} failed on fold {bad.fold} and "
                f"error_score='raise':\n{bad.traceback or bad.error}"
            )
        metrics = sorted({m for r in ordered for m in r.test_scores})
        test = {m: np.array([r.test_scores.get(m, np.nan) for r in ordered]) for m in metrics}
        train = {m: np.array([r.train_scores.get(m, np.nan) for r in ordered]) for m in metrics
                 if any(r.train_scores for r in ordered)}
        result = TrialResult(
            work=work, test_scores=test, train_scores=train,
            fit_times=np.array([r.fit_time for r in ordered]),
            score_times=np.array([r.score_time for r in ordered]),
            errors=errors, devices=[r.device for r in ordered],
            models=[r.model for r in ordered] if all(r.model is not None for r in ordered)
            else None,
        )
        if not result.failed:
            metric = self._refit_metric or (metrics[0] if len(metrics) == 1 else None)
            if metric in test:
                result.score = float(np.mean(test[metric]))
        return result

    def _report(self, result, bar, n_done):
        if bar is not None:
            bar.update(1)
            bar.set_postfix(best=f"{self.best_score_so_far_:.4g}")
        if self.verbose >= 2:
            status = f"failed: {result.errors[0] or [e for e in result.errors if e][0]}" if (
                result.failed) else f"score={result.score:.4f}"
            extra = "".join(f" {k}={v}" for k, v in result.work.info.items())
            print(f"[sktune] trial {result.trial_id}{extra} {result.params} {status}", flush=True)

    # -- results ---------------------------------------------------------------------
    def _finish(self, rows, metrics, n_splits, multimetric, refit_metric, scheduler, scorers):
        error_fill = np.nan if self.error_score == "raise" else float(self.error_score)
        ok = [r for r in rows if not any(e is not None for e in r["errors"])]
        if not ok:
            messages = sorted({e for r in rows for e in r["errors"] if e})
            raise ValueError(
                f"All the {len(rows)} trials failed. The errors were:\n" + "\n".join(
                    f"- {m}" for m in messages[:10])
            )
        failed = [r for r in rows if r not in ok]
        if failed:
            groups = defaultdict(int)
            for r in failed:
                groups[next(e for e in r["errors"] if e)] += 1
            text = "\n".join(f"{n} trial(s) failed with: {e}" for e, n in groups.items())
            warnings.warn(
                f"{len(failed)} of the {len(rows)} trials failed and were scored "
                f"error_score={self.error_score!r}.\n{text}", UserWarning, stacklevel=3,
            )
        metrics = metrics or ["score"]
        self.cv_results_ = build_cv_results(
            rows, metrics, n_splits, return_train_score=self.return_train_score,
            error_score=self.error_score, error_fill=error_fill,
        )
        self.history_ = rows
        self.n_splits_ = n_splits
        self.multimetric_ = multimetric
        self.scorer_ = scorers if multimetric else next(iter(scorers.values()))
        for key, value in scheduler.state().items():
            setattr(self, key, value)
        if self.refit is False and multimetric:
            return  # as scikit-learn: with one metric, best_* exist even without refit
        eligible = np.array([scheduler.is_best_candidate(r) for r in rows])
        if callable(self.refit):
            index = self.refit(self.cv_results_)
            if not isinstance(index, numbers.Integral) or not 0 <= index < len(rows):
                raise TypeError("The callable 'refit' must return a valid row index of "
                                f"cv_results_. Got {index!r}.")
        else:
            metric = refit_metric or metrics[0]
            means = np.where(eligible, self.cv_results_[f"mean_test_{metric}"], np.nan)
            if np.isnan(means).all():
                means = self.cv_results_[f"mean_test_{metric}"]
            index = int(np.nanargmax(means))
            self.best_score_ = float(self.cv_results_[f"mean_test_{metric}"][index])
        self.best_index_ = int(index)
        self.best_params_ = dict(self.cv_results_["params"][index])

    def _maybe_refit(self, X, y, fit_params, entropy):
        if not self.refit:
            return
        # clone the values too: an estimator given as a choice must not be fitted in place
        est = clone(self.estimator).set_params(**clone(self.best_params_, safe=False))
        apply_device(est, resolve_devices(self.devices)[0], self.device_param)
        # seeded like the CV jobs, so the same random_state refits the same model
        seed = job_seed(entropy, (_REFIT_KEY,))
        seed_estimator(est, seed)
        t0 = time.perf_counter()
        with _compat.callback_hooks(self).refit(est), seeded_torch(seed):
            self.best_estimator_ = self._refit_best(est, X, y, fit_params)
        self.refit_time_ = time.perf_counter() - t0
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_

    # -- delegation -----------------------------------------------------------------
    def _check_refitted(self, method):
        check_is_fitted(self)
        if not self.refit:
            raise AttributeError(
                f"This {type(self).__name__} was fitted with refit=False; {method} is available "
                "only after refitting the best configuration (refit=True)."
            )

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

    def score(self, X, y=None):
        """Score of the best estimator on ``(X, y)`` with the refit metric.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,), default=None
            Targets (None for unsupervised estimators).

        Returns
        -------
        score : float
            The refit metric of the best estimator on ``(X, y)``.
        """
        self._check_refitted("score")
        scorer = self.scorer_
        if self.multimetric_:
            scorer = scorer[self._refit_metric]
        if y is None:
            return float(scorer(self.best_estimator_, X))
        return float(scorer(self.best_estimator_, X, y))

    @property
    def classes_(self):
        """Class labels of the best estimator."""
        self._check_refitted("classes_")
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

    def __sklearn_tags__(self):
        return _compat.search_tags(self, super().__sklearn_tags__())

    def _more_tags(self):  # scikit-learn < 1.6
        return _compat.search_more_tags(self)

    if _compat.SKLEARN_VERSION < (1, 6):  # is_classifier reads this before tags existed
        _estimator_type = property(_compat.estimator_type)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "cv_results_")


def _entropy(random_state):
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    return int(random_state)


_REFIT_KEY = 2**32 - 1  # the refit's spawn key: no trial has this id


def _as_list(callbacks):
    if callbacks is None:
        return []
    return [callbacks] if callable(callbacks) else list(callbacks)


def _copy_models(models):
    import copy

    return [copy.deepcopy(m) for m in models]


def _progress(verbose, total, desc="sktune"):
    from .progress import make_progress

    return make_progress(verbose, total, desc)
