"""scikit-learn's own estimator checks, and the rule against private sklearn imports."""

import re
from pathlib import Path

import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktune import BayesSearchCV, Real
from sktune._compat import SKLEARN_VERSION


def _searches():
    # Configured as scikit-learn configures its own searches for these checks.
    common = dict(n_iter=2, n_initial_points=2, cv=2, random_state=0, error_score="raise")
    return [
        BayesSearchCV(LogisticRegression(), {"C": Real(0.1, 10.0, log=True)}, **common),
        BayesSearchCV(Ridge(), {"alpha": Real(0.1, 10.0, log=True)}, **common),
        BayesSearchCV(Pipeline([("pca", PCA()), ("ridge", Ridge())]),
                      {"ridge__alpha": Real(0.1, 10.0, log=True)}, **common),
    ]


# The failures scikit-learn also expects of its own GridSearchCV / RandomizedSearchCV.
_EXPECTED = {
    "check_supervised_y_2d": "DataConversionWarning not caught (as for sklearn's searches)",
    "check_requires_y_none": "Doesn't fail gracefully (as for sklearn's searches)",
}

if SKLEARN_VERSION >= (1, 6):
    _decorate = parametrize_with_checks(_searches(), expected_failed_checks=lambda est: _EXPECTED)
else:
    _decorate = parametrize_with_checks(_searches())


@_decorate
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_no_private_sklearn_imports_outside_compat():
    pattern = re.compile(r"^\s*(from|import)\s+sklearn[\w.]*\._\w+", re.M)
    offenders = []
    for path in Path(__file__).parents[1].joinpath("sktune").rglob("*.py"):
        if path.name == "_compat.py":
            continue
        if pattern.search(path.read_text()):
            offenders.append(str(path))
    assert offenders == []


def test_core_imports_without_extras():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'skorch', 'dask', 'distributed', 'matplotlib'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import sktune\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X, y = load_iris(return_X_y=True)\n"
        "s = sktune.BayesSearchCV(LogisticRegression(max_iter=200), {'C': sktune.Real(.1, 10)},"
        " n_iter=2, cv=2).fit(X, y)\n"
        "print('ok', round(s.best_score_, 2))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


@pytest.mark.parametrize("name", ["BayesSearchCV", "HyperbandSearchCV", "PopulationSearchCV",
                                  "Real", "Integer", "Categorical", "SearchSpace"])
def test_public_classes_exported(name):
    import inspect

    import sktune

    assert name in sktune.__all__
    obj = getattr(sktune, name)
    assert inspect.isclass(obj) and obj.__name__ == name
    assert obj.__module__.startswith("sktune.") and not obj.__module__.split(".")[-1].startswith("_")
