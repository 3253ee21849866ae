"""One job: advance one fold model of one trial and score it.

This runs in the worker. It must not depend on which worker runs it: all
randomness comes in through ``job.seed``.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sklearn
from sklearn.base import clone

from ._compat import (
    cloudpickle_module,
    num_rows,
    propagate_callbacks,
    safe_split,
    skorch_net,
    slice_per_sample,
)
from ._scoring import compute_scores
from ._warn import collect_partial_training_warnings, warn
from .resources import final_step, set_params_in_place


@dataclass
class Data:
    """What every job of one ``fit`` shares (sent once per worker, see :class:`DataFile`)."""

    estimator: Any
    X: Any
    y: Any
    splits: list
    fit_params: dict
    scorers: dict
    return_train_score: bool
    resource: Any
    device_param: str | None
    classes: Any = None
    score_params: dict = field(default_factory=dict)  # metric name -> its scorer's metadata
    pack_models: bool = True  # fold models cross process boundaries as PackedModel
    sklearn_config: dict | None = None  # the caller's sklearn.get_config(), set in the workers
    measure_size: bool = False  # record each fold model's pickled size (objective model_size)
    error_score: Any = np.nan  # a fold whose scorer raises gets it, as in GridSearchCV


@dataclass(frozen=True)
class Step:
    """An earlier training step of a fold model, rerun to rebuild a lost model."""

    params: dict
    start: float
    stop: float | None
    seed: int  # the seed of the job that ran it


@dataclass
class Job:
    trial_id: int
    fold: int
    params: dict
    start: float
    stop: float | None
    seed: int
    model: Any = None  # a fold model to continue; None starts from a clone
    return_model: bool = False
    device: str | None = None
    replay: tuple = ()  # Steps that rebuild a lost model to ``start`` (when ``model`` is None)
    partial: bool = False  # trains to less than the search's full budget (see _warn.py)
    # scikit-learn's callback context of this job (>= 1.9): its auto-propagated
    # callbacks reach the fold model's fit, as in GridSearchCV
    callback_ctx: Any = None


@dataclass
class JobResult:
    trial_id: int
    fold: int
    test_scores: dict = field(default_factory=dict)
    train_scores: dict = field(default_factory=dict)
    fit_time: float = 0.0
    score_time: float = 0.0
    error: str | None = None
    model: Any = None
    device: str | None = None
    n_test: int = 0
    traceback: str | None = None
    exception: BaseException | None = None  # kept (if picklable) for error_score="raise"
    wall_time: float = 0.0  # the whole job, as measured in the worker
    trained: dict = field(default_factory=dict)  # what training did unlike asked, see _trained
    model_size: float | None = None  # bytes of the pickled fold model (when measured)
    warnings: list = field(default_factory=list)  # expected warnings of partial training


@dataclass(frozen=True)
class DataFile:
    """Where a process worker finds the shared :class:`Data` (read once per worker)."""

    path: str
    stamp: float
    n_threads: int | None = None


_DATA_CACHE: dict = {}
_THREAD_CAP: dict = {}


def _resolve_data(data):
    if not isinstance(data, DataFile):
        return data
    key = (data.path, data.stamp)
    if key not in _DATA_CACHE:
        import pickle

        with open(data.path, "rb") as f:
            loaded = pickle.load(f)
        _DATA_CACHE.clear()  # keep one fit's data per worker
        _DATA_CACHE[key] = loaded
    _cap_worker_threads(data.n_threads)
    return _DATA_CACHE[key]


def _expose_main_classes(estimator):
    """Name the user's ``__main__`` classes in this worker's ``__main__`` too.

    Classes from a script or notebook reach a worker by value (cloudpickle); plain
    pickle, which skorch uses through ``torch.save``, then cannot send a fitted
    model back. Registered under their own name, they pickle by reference, and the
    parent resolves them to its own classes.
    """
    main = sys.modules.get("__main__")
    if main is None:
        return
    for obj in [estimator, *estimator.get_params(deep=True).values()]:
        cls = obj if isinstance(obj, type) else type(obj)
        name = getattr(cls, "__qualname__", "")
        if getattr(cls, "__module__", None) == "__main__" and "<" not in name:
            if getattr(main, name, None) is None:
                setattr(main, name, cls)


def cap_threads(n):
    """Cap the BLAS/OpenMP (threadpoolctl) and torch threads of this process at ``n``.

    Parameters
    ----------
    n : int
        Threads per library.

    Returns
    -------
    restore : callable
        Gives the previous limits back.
    """
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(limits=n)
    torch = sys.modules.get("torch")
    torch_before = None if torch is None else torch.get_num_threads()
    if torch is not None:
        torch.set_num_threads(n)

    def restore():
        limits.restore_original_limits()
        if torch_before is not None:
            torch.set_num_threads(torch_before)

    return restore


def _cap_worker_threads(n):
    """Cap this worker process's threads at ``n``: once, and again once torch is imported."""
    key = (n, "torch" in sys.modules)
    if n is None or _THREAD_CAP.get("key") == key:
        return
    cap_threads(n)
    _THREAD_CAP["key"] = key


def caller_sklearn_config(config):
    """Context manager setting the caller's scikit-learn configuration in this worker.

    scikit-learn's configuration is thread-local, so every job sets it, as
    ``sklearn.utils.parallel.delayed`` does for ``GridSearchCV``. Keys this
    scikit-learn does not know (another version on a remote worker) are skipped.
    """
    if not config:
        return contextlib.nullcontext()
    known = sklearn.get_config()
    return sklearn.config_context(**{k: v for k, v in config.items() if k in known})


class DivergedError(FloatingPointError):
    """Training produced a non-finite loss (a NaN *score* is a score, as in GridSearchCV)."""


def apply_device(estimator, device, device_param):
    """Set ``device`` on the estimator (or on a Pipeline's final step)."""
    if device is None:
        return estimator
    params = estimator.get_params(deep=True)
    name = device_param
    if name is None:
        candidates = [p for p in params if p == "device" or p.endswith("__device")]
        name = candidates[-1] if candidates else None
    if name is not None and name in params:
        estimator.set_params(**{name: device})
    return estimator


def job_seed(entropy, key):
    """The seed of one job: drawn from ``SeedSequence(entropy)`` spawned at ``key``."""
    return int(np.random.SeedSequence(entropy, spawn_key=tuple(key)).generate_state(1)[0]
               % (2**31))


@contextlib.contextmanager
def seeded_torch(seed):
    """Seed torch's CPU generator for the block, and give the caller's state back after."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def seed_estimator(estimator, seed):
    """Give an unseeded ``random_state`` a per-trial seed, so workers do not matter."""
    params = estimator.get_params(deep=True)
    seeds = {p: seed for p, v in params.items() if p.split("__")[-1] == "random_state" and v is None}
    if seeds:
        estimator.set_params(**seeds)


def _check_finite_training(estimator):
    history = getattr(estimator, "history_", None)
    if history is None and hasattr(estimator, "steps"):
        history = getattr(estimator.steps[-1][1], "history_", None)
    if history is None:
        return
    try:
        losses = history[:, "train_loss"]
    except (KeyError, IndexError, TypeError):
        return
    if losses and not all(math.isfinite(v) for v in losses):
        raise DivergedError("training diverged: the train loss is not finite")


class PackedModel:
    """A fold model kept as cloudpickle bytes between training steps.

    It travels between processes even when its classes live in a script's
    ``__main__`` or a notebook (plain pickle cannot send those back from a
    worker), and a copy for PBT's exploit shares the same immutable bytes.
    """

    __slots__ = ("blob",)

    def __init__(self, estimator):
        self.blob = cloudpickle_module().dumps(estimator, protocol=5)

    @classmethod
    def from_blob(cls, blob):
        packed = cls.__new__(cls)
        packed.blob = blob
        return packed

    def unpack(self):
        import pickle

        return pickle.loads(self.blob)

    def __deepcopy__(self, memo):
        return self


def _fold_model(job, data):
    """The model ``job`` trains: its fold model to continue, or a seeded clone, set up."""
    est = job.model.unpack() if isinstance(job.model, PackedModel) else job.model
    if est is None:
        est = clone(data.estimator)
        seed_estimator(est, job.seed)
    # clone the values too, as GridSearchCV does: an estimator given as a choice is one
    # object of the user's space, and every fold of every trial must train its own copy
    params = clone(job.params, safe=False)
    if job.model is None:
        est.set_params(**params)
    else:  # only what changed: re-setting skorch's module__* would rebuild the net
        set_params_in_place(est, params)
    return apply_device(est, job.device, data.device_param)


def _rebuild(job, data, X, y, fit_params):
    """A lost fold model, rebuilt by rerunning the steps that trained it as their jobs
    ran them (their parameters; torch seeded by the first, its generator carried on
    through the others), then set up for ``job``."""
    est = clone(data.estimator)
    seed_estimator(est, job.replay[0].seed)
    est.set_params(**clone(job.replay[0].params, safe=False))
    torch = sys.modules.get("torch")
    if torch is not None:  # run_job gives the caller's generator state back afterwards
        torch.manual_seed(job.replay[0].seed)
    for step in job.replay:
        set_params_in_place(est, clone(step.params, safe=False))
        apply_device(est, job.device, data.device_param)
        est = data.resource.advance(est, X, y, start=step.start, stop=step.stop,
                                    fit_params=fit_params, classes=data.classes)
    set_params_in_place(est, clone(job.params, safe=False))
    return apply_device(est, job.device, data.device_param)


_TORCH_STATE = "_sktune_torch_rng_state"


def _carry_torch_state(est, keep):
    """A continued skorch net draws on from the torch generator state it ended its last
    step with (kept on the net between steps), so training in steps is training once."""
    torch = sys.modules.get("torch")
    net = final_step(est)[0]
    if torch is None or not skorch_net(net):
        return
    if not keep:
        state = net.__dict__.pop(_TORCH_STATE, None)
        if state is not None:
            torch.set_rng_state(state)
    else:
        setattr(net, _TORCH_STATE, torch.get_rng_state())


def _trained(resource, est, job):
    """Where training went other than asked: ``budget`` (the budget reached, when
    early stopping ended it before ``job.stop``) and ``params`` (values in use that
    differ from those set)."""
    trained = resource.trained(est, job.params)
    out = {}
    budget = trained.get("budget")
    if budget is not None and job.stop is not None and budget != round(float(job.stop)):
        out["budget"] = budget
    if trained.get("params"):
        out["params"] = dict(trained["params"])
    return out


def _fold_score_params(data, indices, n_rows):
    return {name: slice_per_sample(params, indices, n_rows)
            for name, params in data.score_params.items()}


def _scores(data, est, X, y, indices, n_rows):
    """The scores of a trained fold model. A scorer that raises is not a failed fit, as
    in GridSearchCV: its fold is scored ``error_score``, with scikit-learn's warning (and
    with ``error_score="raise"`` the error is raised, failing the job)."""
    try:
        return compute_scores(data.scorers, est, X, y, _fold_score_params(data, indices, n_rows))
    except Exception:
        if isinstance(data.error_score, str):  # "raise"
            raise
        warn("Scoring failed. The score on this train-test partition for these parameters "
             f"will be set to {data.error_score}. Details: \n{traceback.format_exc()}")
        return {"score" if name == "__dict__" else name: float(data.error_score)
                for name in data.scorers}


def _fit_and_score(job, data, result):
    """Train the fold model of ``job`` to its budget and score it into ``result``."""
    train, test = data.splits[job.fold]
    result.n_test = len(test)
    if job.return_model:
        _expose_main_classes(data.estimator)
    est = _fold_model(job, data)
    X_train, y_train = safe_split(est, data.X, data.y, train)
    X_test, y_test = safe_split(est, data.X, data.y, test, train)
    n_rows = num_rows(data.X)
    fit_params = slice_per_sample(data.fit_params, train, n_rows)
    if job.model is None and job.replay:
        est = _rebuild(job, data, X_train, y_train, fit_params)
    _carry_torch_state(est, keep=False)
    t0 = time.perf_counter()
    with collect_partial_training_warnings(result.warnings, active=job.partial), \
            propagate_callbacks(job.callback_ctx, est):
        est = data.resource.advance(
            est, X_train, y_train, start=job.start, stop=job.stop,
            fit_params=fit_params, classes=data.classes,
        )
    _check_finite_training(est)
    result.fit_time = time.perf_counter() - t0
    if job.return_model:
        _carry_torch_state(est, keep=True)
    result.trained = _trained(data.resource, est, job)
    t0 = time.perf_counter()
    result.test_scores = _scores(data, est, X_test, y_test, test, n_rows)
    if data.return_train_score:
        result.train_scores = _scores(data, est, X_train, y_train, train, n_rows)
    result.score_time = time.perf_counter() - t0
    if data.measure_size:
        result.model_size = float(len(cloudpickle_module().dumps(est, protocol=5)))
    if job.return_model:
        result.model = PackedModel(est) if data.pack_models else est


def run_job(job: Job, data: Data | DataFile) -> JobResult:
    """Fit-and-score one fold; never raises (errors are returned as text)."""
    started = time.perf_counter()
    result = JobResult(job.trial_id, job.fold, device=job.device)
    try:
        data = _resolve_data(data)
        # torch's state is given back (n_jobs=1 runs here)
        with caller_sklearn_config(data.sklearn_config), seeded_torch(job.seed):
            _fit_and_score(job, data, result)
    except Exception as exc:  # a failing trial never kills the search
        result.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        result.test_scores, result.train_scores = {}, {}
        result.traceback = traceback.format_exc()
        result.exception = _picklable(exc)
    result.wall_time = time.perf_counter() - started
    return result


def _picklable(exc):
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    return exc
