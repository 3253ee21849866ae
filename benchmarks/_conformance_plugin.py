"""pytest plugin of ``sklearn_conformance.py``: run scikit-learn's own search tests with
``GridSearchCV``, ``RandomizedSearchCV`` and ``HalvingRandomSearchCV`` replaced by thin
adapters around one sktune class, and record every test's outcome.

Loaded with ``-p _conformance_plugin`` (``benchmarks/`` on ``PYTHONPATH``); configured by
environment variables so the driver can run it in a fresh process per target:

``SKTUNE_CONFORMANCE_TARGET``
    ``baseline`` (nothing replaced), ``BayesSearchCV``, ``HyperbandSearchCV`` or
    ``PopulationSearchCV``.
``SKTUNE_CONFORMANCE_REPORT``
    JSON file written at the end: ``{nodeid: {"outcome", "message", "uses"}}``, where
    ``uses`` names the scikit-learn searches the test built (replaced ones only).

An adapter is a subclass of the sktune class that takes the scikit-learn class's
arguments (its ``__init__`` signature is the scikit-learn one, so ``get_params``,
``set_params`` and ``clone`` see scikit-learn's names) and hands the sktune class the
equivalent arguments while it fits. It bears the scikit-learn class's name, as a user's
code would see its own class named in messages. It adds no behaviour of its own.
"""

from __future__ import annotations

import inspect
import json
import os

import numpy as np

TARGET = os.environ.get("SKTUNE_CONFORMANCE_TARGET", "baseline")
REPORT = os.environ.get("SKTUNE_CONFORMANCE_REPORT")
REPLACED = ("GridSearchCV", "RandomizedSearchCV", "HalvingRandomSearchCV")

_current = {"nodeid": None}
_uses: dict[str, set] = {}
_results: dict[str, dict] = {}


def _grid_size(param_grid):
    """Candidates of an exhaustive grid (1 for a grid GridSearchCV itself would refuse:
    the sktune class then reports the error)."""
    from sklearn.model_selection import ParameterGrid

    try:
        return max(1, len(ParameterGrid(param_grid)))
    except (TypeError, ValueError):
        return 1


def _space(p):
    return p["param_grid"] if "param_grid" in p else p["param_distributions"]


def _n_candidates(p):
    return _grid_size(p["param_grid"]) if "param_grid" in p else p["n_iter"]


def _one_fit(p):
    """GridSearchCV / RandomizedSearchCV: every candidate is trained once, fully. A grid is
    searched with a fixed seed, as GridSearchCV is deterministic."""
    return {"n_candidates": _n_candidates(p),
            "random_state": p.get("random_state", 0) if "param_grid" not in p else 0}


def _to_bayes(p):
    one = _one_fit(p)
    n = one["n_candidates"]
    return {"search_spaces": _space(p), "n_iter": n,
            "n_initial_points": n if isinstance(n, int) and n >= 1 else 10,
            "random_state": one["random_state"]}


def _to_hyperband(p):
    from sktune.resources import FullFit

    if "n_candidates" in p:  # HalvingRandomSearchCV: one bracket of successive halving
        factor = p["factor"]
        return {"param_distributions": _space(p), "resource": p["resource"],
                "factor": int(factor) if isinstance(factor, float) and factor.is_integer()
                else factor,
                "max_resources": p["max_resources"],
                "min_resources": "auto" if p["min_resources"] in ("smallest", "exhaust")
                else p["min_resources"],
                "n_brackets": 1, "asynchronous": False, "n_candidates": None}
    one = _one_fit(p)  # one rung at the full budget: ASHA starting n candidates
    return {"param_distributions": _space(p), "resource": FullFit(), "min_resources": 1,
            "max_resources": 1, "asynchronous": True, "n_candidates": one["n_candidates"],
            "random_state": one["random_state"]}


def _to_population(p):
    one = _one_fit(p)  # one generation of the evolutionary mode: each member fitted once
    n = one["n_candidates"]
    return {"param_distributions": _space(p), "resource": "fit", "max_resources": 1,
            "perturbation_interval": 1,
            "population_size": max(2, n) if isinstance(n, int) else n,
            "random_state": one["random_state"]}


_MAPPINGS = {"BayesSearchCV": (_to_bayes, ("GridSearchCV", "RandomizedSearchCV")),
             "HyperbandSearchCV": (_to_hyperband, REPLACED),
             "PopulationSearchCV": (_to_population, ("GridSearchCV", "RandomizedSearchCV"))}


def make_adapter(sktune_cls, sklearn_cls, mapping):
    """A subclass of ``sktune_cls`` constructed with ``sklearn_cls``'s arguments."""
    signature = inspect.signature(sklearn_cls.__init__)
    name = sklearn_cls.__name__
    own = {k: v.default for k, v in inspect.signature(sktune_cls.__init__).parameters.items()
           if v.default is not inspect.Parameter.empty and k not in signature.parameters}

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for key, value in list(bound.arguments.items())[1:]:
            setattr(self, key, value)
        _uses.setdefault(_current["nodeid"], set()).add(name)

    __init__.__signature__ = signature

    def fit(self, X, y=None, **params):
        _uses.setdefault(_current["nodeid"], set()).add(name)
        given = self.get_params(deep=False)
        mapped = {**own, **mapping(given)}  # the sktune defaults, then the mapped values
        saved = {k: self.__dict__[k] for k in mapped if k in self.__dict__}
        self.__dict__.update(mapped)  # the sktune arguments, while the sktune fit runs
        try:
            return sktune_cls.fit(self, X, y, **params)
        finally:
            for key in mapped:
                self.__dict__.pop(key, None)
            self.__dict__.update(saved)

    fit.__doc__ = sktune_cls.fit.__doc__
    return type(name, (sktune_cls,), {"__init__": __init__, "fit": fit,
                                       "__module__": __name__, "__doc__": sktune_cls.__doc__})


def pytest_configure(config):
    if TARGET == "baseline":
        return
    import sklearn.model_selection as ms
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401

    import sktune

    mapping, names = _MAPPINGS[TARGET]
    for name in names:
        adapter = make_adapter(getattr(sktune, TARGET), getattr(ms, name), mapping)
        globals()[name] = adapter  # picklable: found again as _conformance_plugin.<name>
        setattr(ms, name, adapter)


def _adapter_names(value):
    if isinstance(value, type) and value.__module__ == __name__:
        return {value.__name__}
    if type(value).__module__ == __name__:
        return {type(value).__name__}
    if isinstance(value, (list, tuple)):
        return set().union(*(_adapter_names(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(_adapter_names(v) for v in value.values())) if value else set()
    return set()


def pytest_collection_modifyitems(session, config, items):
    # of the metaestimators' routing tests, only the searches' cases
    other = [i for i in items if "test_metaestimators_metadata_routing" in i.nodeid
             and "SearchCV" not in i.nodeid]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [i for i in items if i not in other]
    _uses.pop(None, None)  # searches built at import time count where they are given
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        for value in params.values():
            found = _adapter_names(value)
            if found:
                _uses.setdefault(item.nodeid, set()).update(found)


def pytest_runtest_setup(item):
    _current["nodeid"] = item.nodeid


def pytest_runtest_teardown(item):
    _current["nodeid"] = item.nodeid


def pytest_runtest_logreport(report):
    entry = _results.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    if report.failed:
        if entry["outcome"] != "failed":
            entry["outcome"] = "failed"
            crash = getattr(report.longrepr, "reprcrash", None)
            entry["message"] = (crash.message if crash is not None
                                else str(report.longrepr)).splitlines()[0][:300] \
                if report.longrepr else ""
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "xfailed" if hasattr(report, "wasxfail") else "skipped"
    elif report.when == "call" and hasattr(report, "wasxfail") and entry["outcome"] == "passed":
        entry["outcome"] = "xpassed"


def pytest_sessionfinish(session, exitstatus):
    if not REPORT:
        return
    out = {nodeid: {**entry, "uses": sorted(_uses.get(nodeid, ()))}
           for nodeid, entry in _results.items()}
    with open(REPORT, "w") as f:
        json.dump(out, f, indent=0, sort_keys=True, default=lambda o: np.asarray(o).tolist())
