"""scikit-optimize's ``BayesSearchCV`` names, read by sktune's (without importing skopt).

- ``optimizer_kwargs``: the ``skopt.Optimizer`` arguments that have an equivalent are
  mapped onto ``BayesSearchCV``'s parameters; the others are refused in ``fit``, before
  any training, with the sktune parameter to use instead.
- ``fit(X, y, callback=...)``: each callable is called after every trial with an
  :class:`OptimizeState`, a ``scipy.optimize.OptimizeResult`` of the current subspace as
  scikit-optimize builds it (``x_iters``, ``func_vals`` = *negated* scores, since
  scikit-optimize minimises, ``x``, ``fun``, ``space``) that also carries the fields of
  :class:`~sktune.callbacks.SearchState`, so scikit-optimize's stoppers
  (``DeltaYStopper``, ``DeadlineStopper``...) and sktune's (``TimeBudget``...) both work.
- ``optimizer_results_``: one such result per subspace, after ``fit``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.optimize import OptimizeResult

from .space import Categorical
from .space import SearchSpace as _SearchSpace

__all__ = ["OptimizeState", "map_optimizer_kwargs", "check_skopt_params", "FitCallbacks",
           "optimizer_results", "trial_counts"]

_DEFAULTS = {"n_initial_points": 10, "acq_func": "EI", "xi": 0.0, "kappa": 1.96}


def _refuse(search, key, value, hint):
    raise ValueError(
        f"optimizer_kwargs[{key!r}]={value!r} of {type(search).__name__} has no equivalent in "
        f"sktune: {hint} (see the 'Migrating from scikit-optimize' page of the docs)."
    )


def map_optimizer_kwargs(search):
    """``{n_initial_points, acq_func, xi, kappa}``: ``BayesSearchCV``'s values with
    ``optimizer_kwargs`` (scikit-optimize's ``Optimizer`` arguments) mapped onto them.

    Raises ``ValueError`` for an argument sktune has no equivalent of, or one that
    contradicts the search's own parameter.
    """
    out = {k: getattr(search, k) for k in _DEFAULTS}
    kwargs = search.optimizer_kwargs
    if kwargs is None:
        return out
    if not isinstance(kwargs, dict):
        raise ValueError(f"The 'optimizer_kwargs' parameter of {type(search).__name__} must be "
                         f"a dict or None. Got {kwargs!r} instead.")
    mapped = {}
    for key, value in kwargs.items():
        if key == "base_estimator":
            if not (isinstance(value, str) and value.upper() == "GP"):
                _refuse(search, key, value, "BayesSearchCV's surrogate is a Gaussian process "
                        "(a Matern 5/2 kernel with a noise term, fitted for you); remove "
                        "base_estimator, or give 'GP'. For random search use scikit-learn's "
                        "RandomizedSearchCV, or n_initial_points=n_iter")
        elif key in ("n_initial_points", "n_random_starts"):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                _refuse(search, key, value, "BayesSearchCV(n_initial_points=...) takes an "
                        "int >= 1")
            mapped["n_initial_points"] = int(value)
        elif key == "acq_func":
            if value not in ("EI", "PI", "LCB"):
                _refuse(search, key, value, "BayesSearchCV(acq_func=...) takes 'EI' (log "
                        "expected improvement, the default), 'PI' or 'LCB'; scikit-optimize's "
                        "default 'gp_hedge' mixes those three, and the '...ps' variants "
                        "(per second) have no counterpart")
            mapped["acq_func"] = value
        elif key == "acq_func_kwargs":
            for sub, v in dict(value or {}).items():
                if sub == "kappa":
                    mapped["kappa"] = float(v)
                elif sub == "xi":
                    _refuse(search, "acq_func_kwargs", value, "sktune's xi is relative to the "
                            "spread of the scores, scikit-optimize's is in score units; set "
                            "BayesSearchCV(xi=...) (default 0.0: log EI needs no margin)")
                else:
                    _refuse(search, "acq_func_kwargs", value, f"the acquisition takes no "
                            f"{sub!r}; BayesSearchCV has xi= and kappa=")
        elif key == "acq_optimizer":
            if value not in ("auto", "lbfgs"):
                _refuse(search, key, value, "BayesSearchCV always screens random points and "
                        "refines the best with L-BFGS-B (scikit-optimize's 'auto'/'lbfgs'); "
                        "remove acq_optimizer")
        elif key == "initial_point_generator":
            if value != "sobol":
                _refuse(search, key, value, "the first n_initial_points trials come from a "
                        "scrambled Sobol sequence ('sobol'); remove initial_point_generator")
        elif key == "avoid_duplicates":
            if value is not True:
                _refuse(search, key, value, "BayesSearchCV never proposes a configuration twice "
                        "while new ones are left; remove avoid_duplicates")
        elif key == "random_state":
            _refuse(search, key, value, "seed the search with BayesSearchCV(random_state=...) "
                    "(scikit-optimize overrides this key with it too)")
        elif key == "n_jobs":
            _refuse(search, key, value, "the acquisition runs in the main process; "
                    "BayesSearchCV(n_jobs=...) sets how many trial folds run at once")
        elif key == "acq_optimizer_kwargs":
            _refuse(search, key, value, "the acquisition optimiser has no settings to give; "
                    "for parallel proposals use BayesSearchCV(n_points=...) (None: "
                    "asynchronous)")
        elif key == "dimensions":
            _refuse(search, key, value, "the dimensions come from search_spaces")
        else:  # model_queue_size, space_constraint and anything newer
            _refuse(search, key, value, "remove it")
    for name, value in mapped.items():
        own = getattr(search, name)
        if own != _DEFAULTS[name] and own != value:
            raise ValueError(
                f"{type(search).__name__} was given {name}={own!r} and optimizer_kwargs "
                f"setting it to {value!r}: give it once (as {name}=...)."
            )
        out[name] = value
    return out


def check_skopt_params(search):
    """Refuse, before training, the scikit-optimize parameters that do nothing here."""
    who = type(search).__name__
    if getattr(search, "fit_params", None) is not None:
        raise ValueError(
            f"The 'fit_params' parameter of {who} is not used: pass fit parameters to fit, "
            f"as in scikit-learn: search.fit(X, y, **fit_params) (scikit-optimize 0.10 "
            "ignores this parameter without a word)."
        )
    iid = getattr(search, "iid", "deprecated")
    if not (isinstance(iid, str) and iid == "deprecated"):
        raise ValueError(
            f"The 'iid' parameter of {who} has no effect (scikit-learn removed it in 0.24 and "
            "scikit-optimize ignores it): remove it."
        )
    return map_optimizer_kwargs(search)


def trial_counts(space, n_iter):
    """Trials per subspace for scikit-optimize's ``(dict, n_iter)`` pairs (an entry
    without a count gets ``n_iter``), or None when no entry has a count (then
    ``n_iter`` is the number of trials in all)."""
    if all(n is None for n in space.n_iters):
        return None
    return [n_iter if n is None else n for n in space.n_iters]


def _skopt_callback(obj):
    module = type(obj).__module__ or ""
    return module.split(".")[0] == "skopt"


def check_callbacks(callback, owner):
    """``fit``'s ``callback``: a list of callables (as scikit-optimize checks it)."""
    if callback is None:
        return []
    callbacks = [callback] if callable(callback) else callback
    if not isinstance(callbacks, (list, tuple)) or not all(callable(c) for c in callbacks):
        raise ValueError(f"The 'callback' argument of {type(owner).__name__}.fit must be a "
                         f"callable or a list of callables. Got {callback!r} instead.")
    for cb in callbacks:
        if _skopt_callback(cb) and type(cb).__name__ == "StdStopper":
            raise ValueError(
                f"{type(owner).__name__}.fit cannot run scikit-optimize's StdStopper: it reads "
                "the surrogate models scikit-optimize keeps (result.models), and sktune keeps "
                "none. Stop on the scores instead: sktune.callbacks.NoImprovement(patience=...)."
            )
    return list(callbacks)


class _ResultSpace:
    """The ``space`` of an :class:`OptimizeState`: the subspace's dimensions, in sorted
    name order, and scikit-optimize's ``distance`` between two points (for ``DeltaXStopper``)."""

    def __init__(self, subspace):
        self.dimension_names = list(subspace.names)
        self.dimensions = list(subspace.dimensions)

    @property
    def n_dims(self):
        return len(self.dimensions)

    def distance(self, point_a, point_b):
        total = 0.0
        for dim, a, b in zip(self.dimensions, point_a, point_b):
            total += float(a != b) if isinstance(dim, Categorical) else abs(float(a) - float(b))
        return total

    def __repr__(self):
        return "Space([" + ", ".join(f"{n}: {d!r}" for n, d in zip(self.dimension_names,
                                                                      self.dimensions)) + "])"


class OptimizeState(OptimizeResult):
    """What a ``fit(callback=...)`` callable gets: a ``scipy.optimize.OptimizeResult``
    of the current subspace as scikit-optimize builds it, plus sktune's
    :class:`~sktune.callbacks.SearchState` fields.

    Keys (also attributes): ``x_iters`` (each trial of the subspace as a list of values
    in sorted parameter-name order), ``func_vals`` (their *negated* mean CV scores:
    scikit-optimize minimises), ``x`` and ``fun`` (the best of them), ``space``,
    ``models`` (empty: no surrogate is kept), ``random_state``, ``specs``; and
    ``n_trials``, ``best_score``, ``best_params``, ``last``, ``elapsed``, ``scores``
    over the whole search.
    """


def _negated(score, error_score):
    if score is not None and math.isfinite(score):
        return -float(score)
    if isinstance(error_score, numbers.Real):
        return -float(error_score)
    return math.nan


def _result(subspace, points, func_vals, random_state, extra=None):
    func_vals = np.asarray(func_vals, dtype=float)
    finite = np.flatnonzero(np.isfinite(func_vals))
    best = int(finite[np.argmin(func_vals[finite])]) if len(finite) else None
    res = OptimizeState(
        x=None if best is None else list(points[best]),
        fun=math.nan if best is None else float(func_vals[best]),
        func_vals=func_vals, x_iters=[list(p) for p in points], models=[],
        space=_ResultSpace(subspace), random_state=random_state,
        specs={"function": "sktune.BayesSearchCV"},
    )
    res.update(extra or {})
    return res


def _point(subspace, params):
    return [params[n] for n in subspace.names]


def optimizer_results(search, space, cv_results, metric):
    """``optimizer_results_``: one result per subspace, from ``cv_results_``."""
    means = np.asarray(cv_results[f"mean_test_{metric}"], dtype=float)
    per = [([], []) for _ in space.subspaces]
    for params, score in zip(cv_results["params"], means):
        i = _subspace_of(space, params)
        per[i][0].append(_point(space.subspaces[i], params))
        per[i][1].append(_negated(score, search.error_score))
    return [_result(sub, pts, vals, search.random_state)
            for sub, (pts, vals) in zip(space.subspaces, per)]


def _subspace_of(space, params):
    try:
        return space.subspace_of(params)
    except ValueError:  # a value outside every subspace cannot come back; be safe
        names = set(params)
        return next((i for i, s in enumerate(space.subspaces) if set(s.names) == names), 0)


class FitCallbacks:
    """Listener calling ``fit``'s callbacks after every trial (one ``OptimizeState`` of
    the trial's subspace each); True from any stops the search.

    Before the call, the search's ``best_score_`` and ``best_params_`` hold the best
    so far, as scikit-optimize's documented ``on_step`` example reads them.
    """

    def __init__(self, search, space, callbacks):
        self.search = search
        self.space = space if isinstance(space, _SearchSpace) else _SearchSpace(space)
        self.callbacks = callbacks
        self._points = [[] for _ in self.space.subspaces]
        self._vals = [[] for _ in self.space.subspaces]

    def on_trial_end(self, result, row, state):
        i = _subspace_of(self.space, result.params)
        self._points[i].append(_point(self.space.subspaces[i], result.params))
        self._vals[i].append(_negated(None if result.failed else result.score,
                                      self.search.error_score))
        if state.best_params is not None and np.isfinite(state.best_score):
            self.search.best_score_ = float(state.best_score)
            self.search.best_params_ = dict(state.best_params)
        extra = {"n_trials": state.n_trials, "best_score": state.best_score,
                 "best_params": state.best_params, "last": state.last,
                 "elapsed": state.elapsed, "scores": list(state.scores)}
        res = _result(self.space.subspaces[i], self._points[i], self._vals[i],
                      self.search.random_state, extra)
        stop = False
        for cb in self.callbacks:
            decision = cb(res)
            if decision is not None:
                stop = stop or bool(decision)
        return stop
