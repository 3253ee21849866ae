"""The scikit-learn face shared by the three searches, and the one search loop.

A search = proposer + scheduler + resource. Subclasses only validate their
own parameters and build those parts (``_make_scheduler``, ``_make_resource``).
"""

from __future__ import annotations

import numbers
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
from ._evaluate import Data, Job, apply_device
from ._scoring import build_scorers
from ._validation import BOOL, CALLABLE, NONE, Check, Interval, Options, validate_params
from .callbacks import SearchState
from .execution import Executor, resolve_devices
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
}


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
        space = SearchSpace(getattr(self, self._space_param))
        space.check_estimator_params(self.estimator, self._space_param)
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
        seed_seq = np.random.SeedSequence(_entropy(self.random_state))
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
        self._maybe_refit(X, y, fit_params)
        _compat.callback_hooks(self).end()
        return self

    def _run(self, scheduler, data, seed_seq, n_splits):
        """The search loop: ask the scheduler, run folds, report results."""
        rows, scores = [], []
        in_flight = {}  # trial_id -> (work, {fold: JobResult})
        models = {}  # trial_id -> list of fold models kept for continuation
        callbacks = _as_list(self.callbacks)
        started = time.perf_counter()
        self.best_score_so_far_ = np.nan
        best_params = None
        bar = _progress(self.verbose, getattr(scheduler, "n_total", None), type(self).__name__)
        entropy = seed_seq.entropy
        with Executor(data, self.n_jobs, self.devices, self.trials_per_device) as ex:
            self.n_workers_ = ex.capacity
            while True:
                if scheduler.synchronous:
                    works = scheduler.next_work(10**9) if not in_flight else []
                else:
                    free = ex.capacity - ex.n_pending
                    works = scheduler.next_work(-(-free // n_splits)) if free > 0 else []
                for work in works:
                    in_flight[work.trial_id] = (work, {})
                    fold_models = None
                    if work.start and work.start > 0:
                        src = work.source if work.source is not None else work.trial_id
                        fold_models = models.get(src)
                        if work.source is not None and fold_models is not None:
                            fold_models = _copy_models(fold_models)
                    prev_dev = getattr(work, "_device", None)
                    for k in range(n_splits):
                        seed = np.random.SeedSequence(entropy, spawn_key=(work.trial_id, k))
                        ex.submit(Job(
                            trial_id=work.trial_id, fold=k, params=dict(work.params),
                            start=work.start, stop=work.stop,
                            seed=int(seed.generate_state(1)[0] % (2**31)),
                            model=None if fold_models is None else fold_models[k],
                            return_model=scheduler.keep_models(work.trial_id) or bool(
                                getattr(scheduler, "keeps_models", False)),
                            device=prev_dev,
                        ))
                        _compat.callback_hooks(self).job_begin(work.trial_id, k)
                if not in_flight:
                    if scheduler.is_finished() or not works:
                        break
                    continue
                for res in ex.next_results():
                    work, folds = in_flight[res.trial_id]
                    folds[res.fold] = res
                    if _compat.callback_hooks(self).job_end(res.trial_id, res.fold):
                        scheduler.stop()  # a sklearn.callback hook asked to stop
                    if len(folds) < n_splits:
                        continue
                    del in_flight[res.trial_id]
                    result = self._trial_result(work, folds, n_splits)
                    if result.models is not None and not result.failed:
                        models[work.trial_id] = result.models
                    row = result_to_row(result, self.error_score)
                    rows.append(row)
                    scores.append(result.score)
                    scheduler.on_result(result)
                    for tid in [t for t in models if not scheduler.keep_models(t)]:
                        del models[tid]
                    if np.isfinite(result.score) and not (result.score <= self.best_score_so_far_):
                        self.best_score_so_far_, best_params = result.score, result.params
                    self._report(result, bar, len(rows))
                    state = SearchState(len(rows), self.best_score_so_far_, best_params, result,
                                        time.perf_counter() - started, scores)
                    if any(bool(cb(state)) for cb in callbacks):
                        scheduler.stop()
            self.busy_time_ = ex.busy_time
        if bar is not None:
            bar.close()
        self.search_time_ = time.perf_counter() - started
        self._models = models
        return rows

    def _trial_result(self, work, folds, n_splits):
        ordered = [folds[k] for k in range(n_splits)]
        errors = [r.error for r in ordered]
        if any(e is not None for e in errors) and self.error_score == "raise":
            bad = next(r for r in ordered if r.error is not None)
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
        if self.refit is False:
            return
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

    def _maybe_refit(self, X, y, fit_params):
        if not self.refit:
            return
        est = clone(self.estimator).set_params(**self.best_params_)
        apply_device(est, resolve_devices(self.devices)[0], self.device_param)
        t0 = time.perf_counter()
        with _compat.callback_hooks(self).refit(est):
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
        """Predict with the best estimator. Only available with ``refit=True``."""
        self._check_refitted("predict")
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the best estimator."""
        self._check_refitted("predict_proba")
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the best estimator."""
        self._check_refitted("predict_log_proba")
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the best estimator."""
        self._check_refitted("decision_function")
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("score_samples"))
    def score_samples(self, X):
        """``score_samples`` of the best estimator."""
        self._check_refitted("score_samples")
        return self.best_estimator_.score_samples(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """Transform with the best estimator."""
        self._check_refitted("transform")
        return self.best_estimator_.transform(X)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X):
        """Inverse transform with the best estimator."""
        self._check_refitted("inverse_transform")
        return self.best_estimator_.inverse_transform(X)

    def score(self, X, y=None):
        """Score of the best estimator on ``(X, y)`` with the refit metric.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
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
