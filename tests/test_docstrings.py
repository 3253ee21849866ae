"""numpydoc validation of the public API, and the class docstrings' Examples run."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

# Public modules whose ``__all__`` is the public API.
MODULES = ["sktune", "sktune.callbacks", "sktune.plots", "sktune.progress", "sktune.resources",
           "sktune.records.journal", "sktune.demo", "sktune.importance",
           "sktune.report", "sktune.selection", "sktune.racing", "sktune.diagnosis",
           "sktune.curves"]

# Checks every public class and function passes (numpydoc's codes):
# GL08 no docstring, SS01 no summary, PR01 parameter not documented, PR02 unknown
# parameter, PR07 parameter without description, PR10 "name:type" missing a space,
# RT01 no Returns section (functions returning something), YD01 no Yields section.
CHECKS = {"GL08", "SS01", "PR01", "PR02", "PR07", "PR10", "RT01", "YD01"}
# Public classes and functions must also show a runnable Examples section (EX01).
PUBLIC_CHECKS = CHECKS | {"EX01"}

# The methods users call, checked like the classes (Parameters documented...).
METHOD_NAMES = {"fit", "predict", "predict_proba", "predict_log_proba", "decision_function",
                "score", "score_samples", "transform", "inverse_transform", "from_search",
                "from_cv_results", "plot", "set_callbacks", "update", "set_postfix", "close"}


def _public_objects():
    seen = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr, None)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not getattr(obj, "__module__", "").startswith("sktune"):
                continue
            seen.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return seen


# Public for the searches' own use, not built by users (the ``journal=`` parameter is the API).
INTERNAL = {"sktune.records.journal.Journal"}
PUBLIC = {k: v for k, v in _public_objects().items() if k not in INTERNAL}
# The proposers users may drive with ask / tell (their module also exports the base class).
for _name in ("RandomProposer", "GPProposer", "TPEProposer"):
    _cls = getattr(importlib.import_module("sktune.proposers"), _name)
    PUBLIC[f"{_cls.__module__}.{_cls.__qualname__}"] = _cls


def _methods():
    out = []
    for path, obj in PUBLIC.items():
        if not inspect.isclass(obj):
            continue
        for meth in sorted(METHOD_NAMES):
            if meth in dir(obj) and callable(getattr(obj, meth, None)):
                owner = next((k for k in obj.__mro__ if meth in vars(k)), None)
                if owner is not None and owner.__module__.startswith("sktune"):
                    out.append(f"{path}.{meth}")
    return out


def _errors(path, checks):
    result = numpydoc_validate.validate(path)
    return [f"{code}: {msg}" for code, msg in result["errors"] if code in checks]


def test_public_api_is_found():
    names = {p.rsplit(".", 1)[-1] for p in PUBLIC}
    assert {"BayesSearchCV", "HyperbandSearchCV", "PopulationSearchCV", "ConvergenceDisplay",
            "RungDisplay", "LineageDisplay", "ParallelCoordinatesDisplay"} <= names


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_public_docstring(path):
    errors = _errors(path, PUBLIC_CHECKS)
    assert not errors, f"{path}:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", _methods())
def test_public_method_docstring(path):
    errors = _errors(path, CHECKS)
    assert not errors, f"{path}:\n" + "\n".join(errors)


# The Examples of the classes users start from run as doctests (the others are run by
# ``pytest --doctest-modules sktune`` and by the documentation build).
DOCTESTED = ["sktune.search.bayes.BayesSearchCV", "sktune.search.hyperband.HyperbandSearchCV",
             "sktune.search.population.PopulationSearchCV", "sktune.plots.ConvergenceDisplay",
             "sktune.plots.RungDisplay", "sktune.plots.LineageDisplay",
             "sktune.plots.ParallelCoordinatesDisplay", "sktune.space.Real",
             "sktune.space.SearchSpace", "sktune.progress.SearchProgress",
             "sktune.proposers.tpe.TPEProposer",
             "sktune.importance.hyperparameter_importance",
             "sktune.diagnosis.diagnose_learning_curves",
             "sktune.diagnosis.CurveDiagnosisDisplay", "sktune.diagnosis.CurveDiagnosis",
             "sktune.curves.fit_learning_curve",
             "sktune.curves.CurveFit"]


@pytest.mark.parametrize("path", DOCTESTED)
def test_class_examples_run(path):
    import matplotlib

    matplotlib.use("Agg", force=True)
    module, name = path.rsplit(".", 1)
    obj = getattr(importlib.import_module(module), name)
    finder = doctest.DocTestFinder(recurse=False)
    tests = finder.find(obj, name, globs={})
    assert tests and tests[0].examples, f"{path} has no Examples to run"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {path}"
