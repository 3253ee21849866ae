"""The one place that may touch private scikit-learn or joblib API, or version differences."""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import sklearn
from sklearn.utils import _safe_indexing  # documented public helper despite its name

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2] if p.isdigit())


def safe_split(estimator, X, y, indices, train_indices=None):
    """Rows ``indices`` of ``X`` and ``y`` (square kernel matrices sliced on both axes)."""
    is_pairwise = is_pairwise_estimator(estimator)
    if is_pairwise:
        if not hasattr(X, "shape"):
            raise ValueError("Precomputed kernels or affinity matrices have to be passed as arrays.")
        cols = indices if train_indices is None else train_indices
        X_sub = X[np.ix_(indices, cols)]
    else:
        X_sub = _safe_indexing(X, indices)
    y_sub = None if y is None else _safe_indexing(y, indices)
    return X_sub, y_sub


def is_pairwise_estimator(estimator):
    if SKLEARN_VERSION >= (1, 6):
        from sklearn.utils import get_tags

        return bool(get_tags(estimator).input_tags.pairwise)
    return bool(getattr(estimator, "_get_tags", dict)().get("pairwise", False))


def skorch_net(estimator):
    return any(c.__module__.split(".")[0] == "skorch" for c in type(estimator).__mro__)


def takes_2d_input_only(estimator):
    """Whether ``estimator`` (a Pipeline: its first step) declares that it takes only
    2-D arrays (scikit-learn's input tags), so 1-D numeric X cannot work."""
    while hasattr(estimator, "steps") and estimator.steps:  # the step that receives X
        estimator = estimator.steps[0][1]
    if estimator is None or isinstance(estimator, str) or type(estimator).__name__ in (
            "FunctionTransformer", "FeatureUnion") or skorch_net(estimator):
        return False  # passes anything on, or may (a net's module decides)
    try:
        if SKLEARN_VERSION >= (1, 6):
            from sklearn.utils import get_tags

            tags = get_tags(estimator).input_tags
            return bool(tags.two_d_array and not tags.one_d_array and not tags.string
                        and not tags.dict)
        return list(getattr(estimator, "_get_tags", dict)().get("X_types", [])) == ["2darray"]
    except Exception:  # an estimator whose tags cannot be read: let it decide in fit
        return False


def index_rows(value, indices):
    return _safe_indexing(value, indices)


def num_rows(value):
    """Rows of an array-like, as scikit-learn counts them; None for anything else."""
    from sklearn.utils.validation import _num_samples

    if isinstance(value, (str, dict)):
        return None
    try:
        return _num_samples(value)
    except TypeError:
        return None


def slice_per_sample(params, indices, n_rows):
    """``params`` with every per-sample value (``n_rows`` long) cut to ``indices``."""
    return {key: index_rows(value, indices) if num_rows(value) == n_rows else value
            for key, value in params.items()}


# -- metadata routing (sktune._routing) ------------------------------------------------------
# scikit-learn >= 1.7 sends fit's sample_weight to the scorers with routing off too (#30743)
SCORERS_GET_SAMPLE_WEIGHT = SKLEARN_VERSION >= (1, 7)


def scorer_accepts_sample_weight(scorer):
    """Whether ``scorer`` takes ``sample_weight``, as scikit-learn's searches decide it."""
    accept = getattr(scorer, "_accept_sample_weight", None)
    if callable(accept):
        return bool(accept())
    import inspect

    try:
        return "sample_weight" in inspect.signature(scorer).parameters
    except (TypeError, ValueError):
        return False


def multimetric_scorer(scorers):
    """scikit-learn's router of several scorers (its routing, its error messages)."""
    from sklearn.metrics._scorer import _MultimetricScorer

    return _MultimetricScorer(scorers=dict(scorers), raise_exc=True)


def raise_for_params(params, owner, method):
    """Reject metadata passed with routing off, with scikit-learn's error."""
    from sklearn.utils.metadata_routing import _raise_for_params

    _raise_for_params(params, owner, method)


def search_tags(search, tags):
    """Tags of a search: those of the estimator it wraps (scikit-learn >= 1.6)."""
    from copy import deepcopy

    from sklearn.utils import get_tags

    sub = get_tags(search.estimator)
    tags.estimator_type = sub.estimator_type
    tags.classifier_tags = deepcopy(sub.classifier_tags)
    tags.regressor_tags = deepcopy(sub.regressor_tags)
    tags.input_tags.pairwise = sub.input_tags.pairwise
    tags.input_tags.sparse = sub.input_tags.sparse
    tags.target_tags.required = sub.target_tags.required
    return tags


def search_more_tags(search):
    """Tags for scikit-learn < 1.6 (the ``_more_tags`` protocol)."""
    est = search.estimator
    more = getattr(est, "_get_tags", lambda: {})()
    return {
        "pairwise": more.get("pairwise", False),
        "requires_y": more.get("requires_y", False),
        "_xfail_checks": {
            "check_supervised_y_2d": "DataConversionWarning not caught",
            "check_parameters_default_constructible": "a search needs a search space",
        },
    }


def visual_block(key, estimator):
    """The HTML diagram block of a search showing ``estimator`` under ``key``, as
    scikit-learn's searches draw theirs."""
    try:
        from sklearn.utils._repr_html.estimator import _VisualBlock
    except ImportError:  # scikit-learn < 1.7
        from sklearn.utils._estimator_html_repr import _VisualBlock
    return _VisualBlock("parallel", [estimator], names=[f"{key}: {type(estimator).__name__}"],
                        name_details=[str(estimator)])


def estimator_type(search):
    return getattr(search.estimator, "_estimator_type", None)


# -- scikit-learn >= 1.9 callbacks (``sklearn.callback``) ------------------------------------
# ``search.set_callbacks(ProgressBar())`` works on sktune's searches as on GridSearchCV: the
# root task is the fit, with a "search" subtask whose leaves are the (trial, fold) jobs and a
# "refit-with-best-params" subtask. The hooks of the jobs run in the main process as jobs are
# handed out and as their results arrive (so callbacks need not travel to the workers), and
# the refit propagates auto-propagated callbacks to the best estimator as GridSearchCV does.
# On older scikit-learn all of this is a no-op and searches have no ``set_callbacks``.
try:
    from sklearn.callback import CallbackSupportMixin
    from sklearn.callback import with_callbacks as _with_callbacks

    HAS_SKLEARN_CALLBACKS = True
except ImportError:  # scikit-learn < 1.9
    HAS_SKLEARN_CALLBACKS = False

    class CallbackSupportMixin:  # noqa: D101 - stand-in without set_callbacks
        pass


def fit_with_callbacks(fit):
    """Decorate a search's ``fit``: callbacks are torn down and hooks dropped however it ends."""
    if not HAS_SKLEARN_CALLBACKS:
        return fit
    import functools

    managed = _with_callbacks(fit)

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        try:
            return managed(self, *args, **kwargs)
        finally:
            self.__dict__.pop("_callback_hooks", None)

    return wrapper


class _NoHooks:
    """Hooks of a search without scikit-learn callbacks: every call does nothing."""

    def job_begin(self, trial_id, fold):
        return None

    def job_end(self, trial_id, fold):
        return False

    def refit(self, estimator):
        import contextlib

        return contextlib.nullcontext()

    def end(self):
        pass


NO_HOOKS = _NoHooks()


class CallbackHooks(_NoHooks):
    """Calls the ``sklearn.callback`` hooks of a search along its fit (scikit-learn >= 1.9).

    Parameters
    ----------
    search : BaseSearch
        The search being fitted (it holds the callbacks given to ``set_callbacks``).
    X, y : array-like
        The data of the fit, passed to the hooks of the root and refit tasks.
    n_tasks : int or None
        Number of (trial, fold) jobs if known in advance, else None.
    refit : bool
        Whether a refit task follows the search.
    """

    def __init__(self, search, X, y, *, n_tasks, refit, sample_weight=None, splits=()):
        self.search, self.X, self.y = search, X, y
        self.n_tasks = n_tasks
        self.sample_weight, self.splits = sample_weight, splits
        # as GridSearchCV: sample_weight reaches the hooks (a fold's share in its job's)
        self.metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.root = search._init_callback_context(max_subtasks=1 + bool(refit))
        self.root.call_on_fit_task_begin(estimator=search, X=X, y=y, metadata=self.metadata)
        self.ctx = self.root.subcontext(
            task_name="search", max_subtasks=n_tasks, sequential_subtasks=False
        )
        self.ctx.call_on_fit_task_begin(estimator=search)
        # fold models without callback support get no context: GridSearchCV warns at each
        # fit that it propagates nothing to them; the refit here warns once, in its words
        self._to_fold_models = hasattr(search.estimator, "set_callbacks")
        self._jobs = {}
        self._next_id = 0
        self._search_ended = False

    def job_begin(self, trial_id, fold):
        """A (trial, fold) job was handed to the workers; its context (which the job
        carries, to propagate the auto-propagated callbacks to the fold model), or None."""
        if self.n_tasks is not None and self._next_id >= self.n_tasks:
            return None  # more work than announced: keep the task tree valid, skip the hooks
        ctx = self.ctx.subcontext(task_name="candidate-split-evaluation", task_id=self._next_id)
        self._next_id += 1
        self._jobs[(trial_id, fold)] = ctx
        if self._to_fold_models:
            _mark_propagated(ctx, self.search.estimator)
        ctx.call_on_fit_task_begin(estimator=self.search, metadata=self._fold_metadata(fold))
        return ctx if self._to_fold_models else None

    def _fold_metadata(self, fold):
        if self.sample_weight is None or fold >= len(self.splits):
            return self.metadata
        train = self.splits[fold][0]
        return slice_per_sample(self.metadata, train, num_rows(self.X))

    def job_end(self, trial_id, fold):
        """A job's result came back; True when a callback asks to stop the search."""
        ctx = self._jobs.pop((trial_id, fold), None)
        if ctx is None:
            return False
        return bool(ctx.call_on_fit_task_end(estimator=self.search,
                                             metadata=self._fold_metadata(fold)))

    def _end_search(self):
        if not self._search_ended:
            self._search_ended = True
            self.ctx.call_on_fit_task_end(estimator=self.search)

    def refit(self, estimator):
        """Context manager around the refit of the best configuration on all data."""
        import contextlib

        @contextlib.contextmanager
        def manager():
            self._end_search()
            sub = self.root.subcontext(task_name="refit-with-best-params")
            with sub.propagate_callback_context(estimator):
                sub.call_on_fit_task_begin(estimator=self.search, X=self.X, y=self.y,
                                           metadata=self.metadata)
                yield
            sub.call_on_fit_task_end(estimator=self.search, X=self.X, y=self.y,
                                     metadata=self.metadata)

        return manager()

    def end(self):
        """The fit is over (the teardown hooks follow in ``fit_with_callbacks``)."""
        self._end_search()
        self.root.call_on_fit_task_end(estimator=self.search, X=self.X, y=self.y,
                                       metadata=self.metadata)


def start_callback_hooks(search, X, y, *, n_tasks, refit, sample_weight=None, splits=()):
    """Hooks for this fit: :class:`CallbackHooks` if callbacks are set, else a no-op."""
    if not HAS_SKLEARN_CALLBACKS or not getattr(search, "_skl_callbacks", None):
        return NO_HOOKS
    hooks = CallbackHooks(search, X, y, n_tasks=n_tasks, refit=refit,
                          sample_weight=sample_weight, splits=splits)
    search._callback_hooks = hooks  # dropped by fit_with_callbacks when fit ends
    return hooks


def _mark_propagated(ctx, estimator):
    """Name on a job's context the callbacks its ``propagate_callback_context`` will hand
    to the fold model (in the worker, after the job's begin hooks ran here): their hooks
    of this task are those of the fold model's root task, so the context skips them, as
    in GridSearchCV, where the propagation comes first."""
    from sklearn.callback import AutoPropagatedCallback

    depth = ctx._propagation_depth
    auto = [cb for cb in ctx._callbacks if isinstance(cb, AutoPropagatedCallback) and (
        cb.max_propagation_depth is None or depth < cb.max_propagation_depth)]
    if auto:
        ctx._propagated_callbacks = auto


def propagate_callbacks(ctx, estimator):
    """Context manager: a job's auto-propagated callbacks on ``estimator`` while it trains
    (``ctx`` is the job's callback context; None: nothing to propagate)."""
    import contextlib

    if ctx is None:
        return contextlib.nullcontext()
    return ctx.propagate_callback_context(estimator)


def callback_hooks(search):
    """The hooks of the fit in progress (a no-op outside ``fit``)."""
    return search.__dict__.get("_callback_hooks", NO_HOOKS)


class JoblibLokyPool:
    """joblib's reusable loky executor, obtained exactly as ``joblib.Parallel`` gets it.

    joblib restarts its worker pool whenever it is asked for with other
    arguments (thread caps, memmapping options...). Entering a ``Parallel``
    context configures the pool with joblib's own arguments, so the warm
    workers are shared with ``GridSearchCV`` and any other joblib code, and
    neither restarts the other's pool. ``close`` leaves the workers running.
    """

    def __init__(self, n_jobs):
        import joblib

        self._parallel = joblib.Parallel(n_jobs=n_jobs, backend="loky")
        self._parallel.__enter__()
        self.executor = getattr(self._parallel._backend, "_workers", None)
        if self.executor is None:  # another joblib: ask for the pool directly
            self._parallel.__exit__(None, None, None)
            self._parallel = None
            self.executor = _memmapping_executor(n_jobs)

    def close(self):
        if self._parallel is not None:
            self._parallel.__exit__(None, None, None)
            self._parallel = None


def _memmapping_executor(n_jobs):
    import os

    import joblib
    from joblib.executor import get_memmapping_executor

    n_threads = str(max(1, joblib.cpu_count() // n_jobs))
    env = {var: os.environ.get(var, n_threads) for var in (
        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}
    return get_memmapping_executor(n_jobs, timeout=300, env=env)


# -- joblib and loky internals used by sktune.execution ----------------------------------------
def active_joblib_backend():
    """The active joblib backend and its ``n_jobs``, as ``joblib.parallel_config`` set them."""
    from joblib.parallel import get_active_backend

    return get_active_backend()


def is_broken_process_pool(exc):
    """Whether ``exc`` says a loky worker process died and broke the pool."""
    from joblib.externals.loky.process_executor import BrokenProcessPool

    return isinstance(exc, BrokenProcessPool)


def cloudpickle_module():
    """``cloudpickle``, or the copy joblib < 1.5 vendors."""
    try:
        import cloudpickle
    except ImportError:
        from joblib.externals import cloudpickle
    return cloudpickle


# -- scikit-learn and skorch internals used by sktune.resources and sktune.space ---------------
def mlp_optimizer(estimator):
    """The optimizer an MLP built on its first ``partial_fit`` (None before), which
    scikit-learn keeps and would not update from ``learning_rate_init``/``momentum``."""
    return getattr(estimator, "_optimizer", None)


def skorch_prefixes(net):
    """The parameter prefixes a skorch net routes itself: ``module``, ``criterion``,
    ``optimizer`` and the names of the extra modules, criteria and optimizers it has."""
    routed = {"module", "criterion", "optimizer"}
    for attr in ("_modules", "_criteria", "_optimizers"):
        routed |= set(getattr(net, attr, ()))
    return routed


_EARLY_STOPPING_STATE = ("misses_", "dynamic_threshold_", "best_model_weights_", "best_epoch_")


@contextlib.contextmanager
def skorch_callbacks_continued(net):
    """Make the next ``partial_fit`` of ``net`` go on where its callbacks stopped.

    At the start of every ``partial_fit`` skorch builds a new scheduler for an
    ``LRScheduler`` (from the epoch count, one step past the schedule) and resets
    ``EarlyStopping``'s patience. A callback added last (so its ``on_train_begin``
    runs after theirs) puts their state back, so training in pieces is training
    once. Callbacks built for this run only; the net keeps its own list.
    """
    from skorch.callbacks import Callback, EarlyStopping, LRScheduler

    saved = []
    for _, cb in getattr(net, "callbacks_", None) or ():
        if isinstance(cb, LRScheduler) and getattr(cb, "lr_scheduler_", None) is not None:
            groups = getattr(getattr(net, "optimizer_", None), "param_groups", [])
            saved.append((cb, {"lr_scheduler": cb.lr_scheduler_.state_dict(),
                               "lrs": [g["lr"] for g in groups]}))
        elif isinstance(cb, EarlyStopping) and hasattr(cb, "misses_"):
            saved.append((cb, {k: copy.deepcopy(getattr(cb, k)) for k in _EARLY_STOPPING_STATE
                               if hasattr(cb, k)}))
    if not saved:
        yield
        return

    class _Continue(Callback):
        def on_train_begin(self, net, **kwargs):
            for cb, state in saved:
                if "lr_scheduler" in state:
                    cb.lr_scheduler_.load_state_dict(state["lr_scheduler"])
                    for group, lr in zip(net.optimizer_.param_groups, state["lrs"]):
                        group["lr"] = lr
                else:
                    for key, value in state.items():
                        setattr(cb, key, value)

    net.callbacks_.append(("sktune_continue", _Continue()))
    try:
        yield
    finally:
        net.callbacks_[:] = [(n, cb) for n, cb in net.callbacks_ if n != "sktune_continue"]
