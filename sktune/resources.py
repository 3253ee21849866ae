"""Resources: how one estimator is advanced along its training budget.

A resource moves an estimator from budget ``start`` to ``stop`` (epochs,
``partial_fit`` passes, trees, samples...). Continuing resources train the
model they are given further; they never start over:

========================  ==============================================  =========
resource                  one unit of budget                              continues
========================  ==============================================  =========
:class:`Epochs`           one epoch of a skorch net (``partial_fit``)     yes
:class:`PartialFitPasses` one ``partial_fit`` pass over the training fold  yes
:class:`WarmStart`        one tree / boosting iteration (``warm_start``)  yes
:class:`SampleCount`      one training sample (refit on a subsample)       no
:class:`ParamBudget`      one unit of any integer parameter (refit)        no
:class:`FullFit`          no budget: a plain ``fit``                       no
========================  ==============================================  =========

Inside a :class:`~sklearn.pipeline.Pipeline` a continuing resource applies to
the final step: the earlier steps are fitted once, on the first call, and
their ``transform`` is reused when training continues (they are never
refitted). The refitting resources refit the whole pipeline.

``hot_params(estimator)`` names the parameters that may change between two
calls without rebuilding the model (population based training perturbs only
those). For skorch nets these are ``lr``, ``batch_size``, the optimizer's
arguments (``optimizer__momentum``...) and the parameters of user callbacks.
skorch applies ``lr`` and ``optimizer__*`` to the existing optimizer's
parameter groups in place, so the module weights *and* the optimizer state
(momentum buffers, Adam moments) carry over; ``callbacks__*`` re-initialises
the callbacks (their internal state, e.g. an early-stopping counter, restarts)
but not the net. ``module__*`` and ``criterion__*`` rebuild the net and are
never hot.
"""

from __future__ import annotations

import contextlib
import inspect
import numbers

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.validation import check_is_fitted

from ._compat import (
    index_rows,
    mlp_optimizer,
    num_rows,
    skorch_callbacks_continued,
    skorch_net,
    slice_per_sample,
)
from ._routing import routing_enabled

__all__ = [
    "Resource",
    "FullFit",
    "Epochs",
    "PartialFitPasses",
    "WarmStart",
    "SampleCount",
    "ParamBudget",
    "make_resource",
    "set_params_in_place",
]


class Resource:
    """Base class of resource adapters.

    Attributes
    ----------
    name : str
        What the budget counts (shown as ``resource_`` on a search).
    continues : bool
        True when ``advance`` continues training from ``start`` rather than
        refitting from scratch.

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sktune.resources import make_resource
    >>> make_resource(SGDClassifier()).name
    'partial_fit'
    """

    name = "none"
    continues = False

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        """Train ``estimator`` from budget ``start`` to ``stop`` and return it.

        ``stop=None`` means the estimator's own full budget. A continuing
        resource treats an unfitted estimator as being at budget 0.
        """
        raise NotImplementedError

    def hot_params(self, estimator) -> set[str]:
        """Names of parameters that may change between steps without a rebuild."""
        return set()

    def default_budget(self, estimator, n_rows):
        """The full budget for ``max_resources="auto"``: the estimator's own (its
        ``max_epochs``, ``max_iter``, ``n_estimators``...), ``n_rows`` for a sample
        count, or None when there is none."""
        return None

    def trained(self, estimator, params) -> dict:
        """What training actually did, read from the trained ``estimator``:
        ``{"budget": ...}`` where training can end before its budget (early
        stopping), and ``{"params": {name: value}}`` for those of ``params`` whose
        value in use at the end differs from the one set (a learning rate a
        scheduler has decayed)."""
        return {}

    def scheduled_params(self, estimator) -> dict[str, str]:
        """Parameters a part of ``estimator`` sets itself while it trains (name ->
        what sets it), which a search must not perturb between steps."""
        return {}

    def describe(self) -> str:
        return self.name

    def __repr__(self):
        return f"{type(self).__name__}({self.describe()!r})"


class FullFit(Resource):
    """Fit the estimator once, to the end (no budget).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktune.resources import FullFit
    >>> X, y = load_iris(return_X_y=True)
    >>> est = FullFit().advance(LogisticRegression(max_iter=500), X, y, start=0, stop=None,
    ...                        fit_params={})
    >>> hasattr(est, "coef_")
    True
    """

    name = "fit"

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        if y is None:
            estimator.fit(X, **fit_params)
        else:
            estimator.fit(X, y, **fit_params)
        return estimator  # not fit's return value: scikit-learn does not rely on it either


# -- helpers -------------------------------------------------------------------------


def _is_pipeline(estimator):
    return hasattr(estimator, "steps") and isinstance(estimator.steps, list)


def final_step(estimator):
    """``(final_estimator, prefix)``: the last step of (nested) pipelines and its
    parameter prefix (``""`` for a bare estimator)."""
    prefix = ""
    while _is_pipeline(estimator):
        name, last = estimator.steps[-1]
        prefix += name + "__"
        estimator = last
    return estimator, prefix


def _is_fitted(estimator):
    if hasattr(estimator, "initialized_") and hasattr(estimator, "module"):  # skorch
        return bool(estimator.initialized_)
    try:
        check_is_fitted(estimator)
    except Exception:
        return False
    return True




#: The search ``verbose`` from which nets print their epoch tables inside trials too.
NET_OUTPUT_VERBOSE = 10


def quiet_trial_nets(estimator, verbose=0):
    """The estimator the trials clone: with its skorch net (a bare net, or a
    Pipeline's final step) at ``verbose=0``, so the epoch tables of every trial and
    fold do not interleave in the output; the refit keeps the net's own ``verbose``.
    A search ``verbose`` of :data:`NET_OUTPUT_VERBOSE` or more keeps it in trials too."""
    net, prefix = final_step(estimator)
    if verbose >= NET_OUTPUT_VERBOSE or not skorch_net(net) or not getattr(net, "verbose", 0):
        return estimator
    return clone(estimator).set_params(**{prefix + "verbose": 0})


def _step_fit_params(pipeline, fit_params):
    """Per step name, the parameters of each of its methods that ``pipeline.fit`` calls:
    the pipeline's own routing with metadata routing on, else ``step__param`` names."""
    if not fit_params:
        return {}
    if routing_enabled():
        routed = process_routing(pipeline, "fit", **fit_params)
        return {name: routed.get(name, {}) for name, _ in pipeline.steps}
    per_step = {name: {} for name, _ in pipeline.steps}
    for key, value in fit_params.items():
        name, sep, param = key.partition("__")
        if not sep or name not in per_step:
            raise ValueError(
                f"Pipeline fit parameters must be named '<step>__<param>'. Got {key!r}."
            )
        per_step[name][param] = value
    return {name: {"fit": p, "fit_transform": p} for name, p in per_step.items()}


def _transform_through(estimator, X, y, fit_params):
    """Run ``X`` through every step but the last of (nested) pipelines.

    The transformers are fitted on the first call (when any of them is
    unfitted) and only applied afterwards. Returns ``(final, Xt, final_params)``.
    """
    if not _is_pipeline(estimator):
        return estimator, X, fit_params
    per_step = _step_fit_params(estimator, fit_params)
    steps = [(n, s) for n, s in estimator.steps[:-1] if s is not None and s != "passthrough"]
    first = any(not _is_fitted(s) for _, s in steps)
    Xt = X
    for name, step in steps:
        params = per_step.get(name, {})
        if first and hasattr(step, "fit_transform"):
            Xt = step.fit_transform(Xt, y, **params.get("fit_transform", {}))
        elif first:  # fit may return None (as scikit-learn allows): transform the step
            step.fit(Xt, y, **params.get("fit", {}))
            Xt = step.transform(Xt, **params.get("transform", {}))
        else:
            Xt = step.transform(Xt, **params.get("transform", {}))
    last_name, last = estimator.steps[-1]
    return _transform_through(last, Xt, y, per_step.get(last_name, {}).get("fit", {}))


def _prefixed(names, prefix):
    return {prefix + n for n in names}


def _budget(stop, default):
    if stop is None:
        return int(default)
    return int(round(float(stop)))


# -- continuing resources --------------------------------------------------------------


class Epochs(Resource):
    """Epochs of a skorch net, continued with ``partial_fit``.

    The first call initialises the net and trains ``stop`` epochs; later calls
    train ``stop - start`` more epochs on the same net, so the module weights,
    the optimizer state and ``history`` carry over. ``stop=None`` trains the
    net's ``max_epochs``.

    Examples
    --------
    >>> from sktune.resources import Epochs
    >>> Epochs().name, Epochs().continues
    ('epochs', True)
    """

    name = "epochs"
    continues = True

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        net, Xt, params = _transform_through(estimator, X, y, fit_params)
        done = int(start or 0) if _is_fitted(net) else 0
        if not _is_fitted(net):
            net.initialize()
        elif len(net.history) < done:
            return estimator  # stopped early (EarlyStopping) in its last step: it is done
        n_epochs = _budget(stop, net.max_epochs) - done
        if n_epochs > 0:
            with skorch_callbacks_continued(net) if done else contextlib.nullcontext():
                net.partial_fit(Xt, y, epochs=n_epochs, **params)
        return estimator

    def trained(self, estimator, params):
        """The epochs trained, and the optimizer settings in use at the end where they
        differ from the parameters (an ``LRScheduler`` moves the rate away from ``lr``)."""
        net, prefix = final_step(estimator)
        groups = getattr(getattr(net, "optimizer_", None), "param_groups", None) or [{}]
        used = {}
        for name, value in params.items():
            key = name[len(prefix):] if name.startswith(prefix) else ""
            key = key if key == "lr" else key.removeprefix("optimizer__")
            in_use = groups[0].get(key)
            if _is_number_like(in_use) and _is_number_like(value) and in_use != value:
                used[name] = float(in_use)
        return {"budget": len(net.history or ()), "params": used}

    def scheduled_params(self, estimator):
        net, prefix = final_step(estimator)
        out = {}
        for name, cb in _named_callbacks(getattr(net, "callbacks", None)):
            if _is_lr_scheduler(cb):
                for p in ("lr", "optimizer__lr"):
                    out[prefix + p] = f"its {type(cb).__name__} callback {name!r}"
        return out

    def hot_params(self, estimator):
        net, prefix = final_step(estimator)
        names = {"lr", "batch_size"}
        optimizer = getattr(net, "optimizer", None)
        try:
            sig = inspect.signature(optimizer)
            names |= {  # numeric arguments only (not flags such as foreach or fused)
                f"optimizer__{p}" for p, arg in sig.parameters.items()
                if p not in ("params", "self") and _is_number_like(arg.default)
            }
        except (TypeError, ValueError):
            pass
        all_params = net.get_params(deep=True)
        names |= {k for k in all_params if k.startswith("optimizer__")}
        for name, cb in _named_callbacks(getattr(net, "callbacks", None)):
            if hasattr(cb, "get_params"):  # user callbacks (skorch's defaults log only)
                names |= {f"callbacks__{name}__{p}" for p in cb.get_params(deep=False)}
        return _prefixed(names, prefix)

    def default_budget(self, estimator, n_rows):
        return getattr(final_step(estimator)[0], "max_epochs", None)

    def describe(self):
        return "epochs (skorch partial_fit; continues training)"


def _is_lr_scheduler(callback):
    try:
        from skorch.callbacks import LRScheduler
    except ImportError:
        return False
    cls = callback if isinstance(callback, type) else type(callback)
    return issubclass(cls, LRScheduler)


def _is_number_like(value):
    if isinstance(value, tuple):
        return len(value) > 0 and all(_is_number_like(v) for v in value)
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _named_callbacks(callbacks):
    out = []
    for cb in callbacks or ():
        if isinstance(cb, tuple):
            out.append(cb)
        else:
            name = cb if isinstance(cb, str) else type(cb).__name__
            out.append((name, cb))
    return out


_PARTIAL_FIT_HOT = {
    # linear models trained by SGD read these at every pass
    "SGDClassifier": ("alpha", "eta0", "l1_ratio", "learning_rate", "power_t"),
    "SGDRegressor": ("alpha", "eta0", "l1_ratio", "learning_rate", "power_t"),
    "SGDOneClassSVM": ("nu", "eta0", "learning_rate", "power_t"),
    "Perceptron": ("alpha", "eta0", "l1_ratio"),
    "PassiveAggressiveClassifier": ("C",),
    "PassiveAggressiveRegressor": ("C",),
    # the MLP's optimizer is synced with these before each pass (see _sync_mlp)
    "MLPClassifier": ("alpha", "batch_size", "learning_rate_init", "momentum"),
    "MLPRegressor": ("alpha", "batch_size", "learning_rate_init", "momentum"),
}


def _sync_mlp(estimator):
    """Make a changed ``learning_rate_init``/``momentum`` reach an MLP's existing optimizer.

    scikit-learn builds the optimizer on the first ``partial_fit`` and keeps it,
    so later changes of these parameters would otherwise be ignored.
    """
    opt = mlp_optimizer(estimator)
    if opt is None:
        return
    lr = getattr(estimator, "learning_rate_init", None)
    if lr is not None and getattr(opt, "learning_rate_init", lr) != lr:
        opt.learning_rate_init = lr
        if type(opt).__name__ == "SGDOptimizer":
            opt.learning_rate = float(lr)
    if hasattr(opt, "momentum") and hasattr(estimator, "momentum"):
        opt.momentum = estimator.momentum


class PartialFitPasses(Resource):
    """Passes of ``partial_fit`` over the training fold.

    One unit of budget is one call of ``partial_fit`` on the whole training
    fold. ``classes`` (all the classes of the full data) is passed on the first
    call, as scikit-learn's incremental classifiers require. ``stop=None``
    trains the estimator's ``max_iter`` passes (one pass when it has none).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sktune.resources import PartialFitPasses
    >>> X, y = load_iris(return_X_y=True)
    >>> res = PartialFitPasses()
    >>> est = res.advance(SGDClassifier(random_state=0), X, y, start=0, stop=2,
    ...                   fit_params={}, classes=[0, 1, 2])
    >>> est = res.advance(est, X, y, start=2, stop=5, fit_params={})  # 3 more passes
    >>> int(est.t_ // len(X))
    5
    """

    name = "partial_fit"
    continues = True

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        est, Xt, params = _transform_through(estimator, X, y, fit_params)
        fitted = _is_fitted(est)
        done = int(start or 0) if fitted else 0
        n_passes = _budget(stop, getattr(est, "max_iter", 1) or 1) - done
        if fitted:
            _sync_mlp(est)
        for _ in range(max(n_passes, 0)):
            if not _is_fitted(est) and classes is not None and is_classifier(est) and (
                "classes" in inspect.signature(est.partial_fit).parameters
            ):
                est.partial_fit(Xt, y, classes=classes, **params)
            elif y is None:
                est.partial_fit(Xt, **params)
            else:
                est.partial_fit(Xt, y, **params)
        return estimator

    def hot_params(self, estimator):
        est, prefix = final_step(estimator)
        names = next((_PARTIAL_FIT_HOT[c.__name__] for c in type(est).__mro__
                      if c.__name__ in _PARTIAL_FIT_HOT), ())
        params = est.get_params(deep=False)
        return _prefixed({n for n in names if n in params}, prefix)

    def default_budget(self, estimator, n_rows):
        return getattr(final_step(estimator)[0], "max_iter", None)

    def describe(self):
        return "partial_fit passes (continues training)"


class WarmStart(Resource):
    """Grow an integer parameter of a ``warm_start`` estimator in place.

    ``param`` is ``"n_estimators"`` for forests, bagging and gradient boosting
    (new trees are added, the old ones kept) or ``"max_iter"`` for
    ``HistGradientBoosting*`` (new boosting iterations). ``stop=None`` grows the
    parameter to the value the estimator was built with.

    Parameters
    ----------
    param : str, default="n_estimators"
        The parameter of the final step that counts the budget.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sktune.resources import WarmStart
    >>> X, y = load_iris(return_X_y=True)
    >>> res = WarmStart("n_estimators")
    >>> rf = res.advance(RandomForestClassifier(random_state=0), X, y, start=0, stop=5,
    ...                  fit_params={})
    >>> rf = res.advance(rf, X, y, start=5, stop=12, fit_params={})  # 7 more trees
    >>> len(rf.estimators_)
    12
    """

    continues = True

    def __init__(self, param="n_estimators"):
        self.param = param
        self.name = param

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        est, Xt, params = _transform_through(estimator, X, y, fit_params)
        target = _budget(stop, est.get_params(deep=False)[self.param])
        est.set_params(warm_start=True, **{self.param: target})
        if y is None:
            est.fit(Xt, **params)
        else:
            est.fit(Xt, y, **params)
        return estimator

    def hot_params(self, estimator):
        est, prefix = final_step(estimator)
        if type(est).__name__.startswith("HistGradientBoosting"):
            # shrinkage and regularisation are applied to each new tree when it is
            # grown; earlier trees are untouched
            return _prefixed({"learning_rate", "l2_regularization"}, prefix)
        return set()

    def default_budget(self, estimator, n_rows):
        return final_step(estimator)[0].get_params(deep=False).get(self.param)

    def trained(self, estimator, names):
        """Boosting stages actually grown (fewer when early stopping ended it)."""
        est, _ = final_step(estimator)
        grown = getattr(est, "n_estimators_" if self.param == "n_estimators" else "n_iter_", None)
        return {} if grown is None else {"budget": int(grown)}

    def describe(self):
        return f"{self.param} (warm_start; continues training)"


# -- refitting resources ---------------------------------------------------------------


class SampleCount(Resource):
    """Refit from scratch on the first ``stop`` samples of the training fold.

    The order of the samples is a fixed shuffle of each fold (stratified for
    classifiers, so small budgets still see every class), the same for every
    trial, so a larger budget always contains the smaller one's samples. It
    does not continue training: every step is a new ``fit`` (as in
    scikit-learn's ``HalvingRandomSearchCV``).

    Parameters
    ----------
    random_state : int, default=0
        Seed of the per-fold shuffle.

    Examples
    --------
    >>> from sktune.resources import SampleCount
    >>> SampleCount().name, SampleCount().continues
    ('n_samples', False)
    """

    name = "n_samples"
    continues = False

    def __init__(self, random_state=0):
        self.random_state = random_state

    def order(self, n, y=None, classifier=False):
        """The fixed order in which the ``n`` training samples are taken."""
        rng = np.random.default_rng(self.random_state)
        perm = rng.permutation(n)
        if not classifier or y is None:
            return perm
        y_perm = np.asarray(y)[perm]
        _, inverse, counts = np.unique(y_perm, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
        rank = np.zeros(n)
        seen = np.zeros(len(counts))
        for i, c in enumerate(inverse):  # position of each sample within its class
            rank[i] = (seen[c] + 0.5) / counts[c]
            seen[c] += 1
        return perm[np.argsort(rank, kind="stable")]

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        n = num_rows(X)
        k = n if stop is None else min(_budget(stop, n), n)
        final, _ = final_step(estimator)
        idx = np.sort(self.order(n, y, is_classifier(final))[:k])
        Xs = index_rows(X, idx)
        ys = None if y is None else index_rows(y, idx)
        params = slice_per_sample(fit_params, idx, n)
        if ys is None:
            estimator.fit(Xs, **params)
        else:
            estimator.fit(Xs, ys, **params)
        return estimator  # not fit's return value: scikit-learn does not rely on it either

    def default_budget(self, estimator, n_rows):
        return n_rows

    def describe(self):
        return "n_samples (refits from scratch on a subsample)"


class ParamBudget(Resource):
    """Any integer parameter as the budget; every step refits from scratch.

    Parameters
    ----------
    param : str
        The parameter (with its ``step__`` prefix inside a Pipeline).

    Examples
    --------
    >>> from sktune.resources import ParamBudget
    >>> ParamBudget("max_iter").continues
    False
    """

    continues = False

    def __init__(self, param):
        self.param = param
        self.name = param

    def advance(self, estimator, X, y, *, start, stop, fit_params, classes=None):
        if stop is not None:
            estimator.set_params(**{self.param: _budget(stop, 0)})
        if y is None:
            estimator.fit(X, **fit_params)
        else:
            estimator.fit(X, y, **fit_params)
        return estimator  # not fit's return value: scikit-learn does not rely on it either

    def default_budget(self, estimator, n_rows):
        return estimator.get_params(deep=True).get(self.param)

    def describe(self):
        return f"{self.param} (refits from scratch)"


# -- changing parameters of a model being trained ------------------------------------------


def _same(a, b):
    if a is b:
        return True
    if isinstance(a, BaseEstimator) and type(a) is type(b):
        # an estimator-valued parameter: the model's own (fitted) copy of the same choice
        pa, pb = a.get_params(deep=False), b.get_params(deep=False)
        return pa.keys() == pb.keys() and all(_same(pa[k], pb[k]) for k in pa)
    if isinstance(a, (list, tuple)) and type(a) is type(b):  # a Pipeline's steps
        return len(a) == len(b) and all(_same(x, z) for x, z in zip(a, b))
    try:
        return bool(type(a) is type(b) and a == b)
    except Exception:  # arrays, objects without a boolean ==
        return False


def _as_set(key, value, params, current):
    """``value`` as the model would hold it: an estimator-valued choice with the values
    that ``params`` set nested (``clf__alpha``) taken from the model's copy, so that it
    compares equal to that copy (the nested values are compared as their own keys)."""
    if not isinstance(value, BaseEstimator):
        return value
    prefix = key + "__"
    nested = {k[len(prefix):]: current[k] for k in params if k.startswith(prefix) and k in current}
    return clone(value).set_params(**nested) if nested else value


def set_params_in_place(estimator, params):
    """Set only the parameters that differ from the estimator's current ones.

    Used on a model that continues training: re-setting an unchanged skorch
    ``module__*`` parameter would rebuild the net. Changed ``optimizer__*``
    values of a skorch net are applied in place by skorch (the optimizer state
    is kept) and also stored on the net, so ``get_params`` and ``clone`` see them.

    Parameters
    ----------
    estimator : estimator object
        The (fitted) estimator or Pipeline to update.
    params : dict
        Parameter names (``step__param`` inside a Pipeline) and their new values.

    Returns
    -------
    estimator : estimator object
        The same estimator, updated.

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sktune.resources import set_params_in_place
    >>> set_params_in_place(SGDClassifier(alpha=1e-4), {"alpha": 1e-3}).alpha
    0.001
    """
    current = estimator.get_params(deep=True)
    changed = {k: v for k, v in params.items()
               if k not in current or not _same(current[k], _as_set(k, v, params, current))}
    for key in [k for k, v in changed.items() if isinstance(v, BaseEstimator)]:
        # a replaced estimator gets its nested values again (``clf`` then ``clf__alpha``)
        changed.update({k: v for k, v in params.items() if k.startswith(key + "__")})
    if not changed:
        return estimator
    estimator.set_params(**changed)
    net, prefix = final_step(estimator)
    if skorch_net(net):
        for key, value in changed.items():
            if key.startswith(prefix + "optimizer__"):
                setattr(net, key[len(prefix):], value)
    return estimator


# -- choosing a resource ------------------------------------------------------------------


def _warm_start_param(final):
    params = final.get_params(deep=False)
    if "warm_start" not in params:
        return None
    if type(final).__name__.startswith("HistGradientBoosting") and "max_iter" in params:
        return "max_iter"
    if "n_estimators" in params:
        return "n_estimators"
    return None


def make_resource(estimator, resource="auto") -> Resource:
    """The :class:`Resource` that advances ``estimator`` along ``resource``.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A Pipeline is judged by its final step.
    resource : str or Resource, default="auto"
        ``"auto"`` picks: :class:`Epochs` for skorch nets, :class:`PartialFitPasses`
        for estimators with ``partial_fit``, :class:`WarmStart` for ``warm_start``
        ensembles (``n_estimators``) and ``HistGradientBoosting*`` (``max_iter``),
        :class:`SampleCount` otherwise. Explicit choices: ``"epochs"``,
        ``"partial_fit"``, ``"n_estimators"``, ``"max_iter"`` (grown in place with
        ``warm_start`` where the estimator supports it, otherwise refitted),
        ``"n_samples"``, the name of any integer parameter (refitted), or a
        :class:`Resource` instance.

    Returns
    -------
    resource : Resource
        The adapter (``resource`` itself when it is already one).

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sktune.resources import make_resource
    >>> make_resource(SGDClassifier()).describe()
    'partial_fit passes (continues training)'
    >>> type(make_resource(RandomForestClassifier())).__name__
    'WarmStart'
    """
    if isinstance(resource, Resource):
        return resource
    final, prefix = final_step(estimator)
    name = type(final).__name__
    if not isinstance(resource, str):
        raise ValueError(
            "The 'resource' parameter must be 'auto', 'epochs', 'partial_fit', 'n_samples', "
            f"the name of an integer parameter, or a Resource instance. Got {resource!r} instead."
        )
    if resource == "auto":
        if skorch_net(final) and hasattr(final, "partial_fit"):
            return Epochs()
        if hasattr(final, "partial_fit"):
            return PartialFitPasses()
        param = _warm_start_param(final)
        if param is not None:
            return WarmStart(param)
        return SampleCount()
    if resource == "epochs":
        if not skorch_net(final):
            raise ValueError(f"resource='epochs' needs a skorch net; {name} is not one.")
        return Epochs()
    if resource == "partial_fit":
        if not hasattr(final, "partial_fit"):
            raise ValueError(
                f"resource='partial_fit' needs an estimator with a partial_fit method; {name} "
                "has none (for MLPs, use solver='sgd' or 'adam')."
            )
        return PartialFitPasses()
    if resource == "n_samples":
        return SampleCount()
    all_params = estimator.get_params(deep=True)
    full = resource if resource in all_params else prefix + resource
    if full not in all_params:
        raise ValueError(
            f"Cannot use resource={resource} which is not supported by estimator "
            f"{type(estimator).__name__}: the 'resource' parameter must be 'auto', 'epochs', "
            f"'partial_fit', 'n_samples' or an integer parameter of "
            f"{type(estimator).__name__}. Got {resource!r} instead."
        )
    value = all_params[full]
    if value is not None and (not isinstance(value, numbers.Integral) or isinstance(value, bool)):
        raise ValueError(
            f"resource={resource!r} must name an integer parameter; its value is {value!r}."
        )
    if full == prefix + resource and _warm_start_param(final) == resource:
        return WarmStart(resource)
    return ParamBudget(full)
