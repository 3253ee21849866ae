"""scikit-learn's own estimator checks, and the rule against private library API."""

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
}

if SKLEARN_VERSION >= (1, 6):
    _decorate = parametrize_with_checks(_searches(), expected_failed_checks=lambda est: _EXPECTED)
else:
    _decorate = parametrize_with_checks(_searches())


@_decorate
def test_sklearn_compatible(estimator, check):
    check(estimator)


# Private API of scikit-learn, joblib/loky and skorch: imports, and the attributes sktune
# would otherwise reach into (MLP's optimizer, skorch's registries, joblib's backend).
_PRIVATE = [
    re.compile(r"^\s*(from|import)\s+sklearn[\w.]*\._\w+", re.M),
    re.compile(r"^\s*from\s+(sklearn|joblib|skorch)[\w.]*\s+import\s+[^\n]*\b_\w+", re.M),
    re.compile(r"\bjoblib\.(_\w+|externals\b|executor\b|parallel\.get_active_backend)"),
    re.compile(r"^\s*from\s+joblib[\w.]*\s+import\s+[^\n]*\bget_active_backend\b", re.M),
    re.compile(r"^\s*(from|import)\s+loky\b", re.M),
    re.compile(r"""["'.](_optimizer|_optimizers|_modules|_criteria|_backend|_workers)\b"""),
    re.compile(r"\bBrokenProcessPool\b"),
]


def test_no_private_library_api_outside_compat():
    package = Path(__file__).parents[1] / "sktune"
    offenders = [f"{path.relative_to(package)}: {found.group(0).strip()}"
                 for path in sorted(package.rglob("*.py")) if path.name != "_compat.py"
                 for pattern in _PRIVATE if (found := pattern.search(path.read_text()))]
    assert offenders == []
    # the guard sees what it guards against
    compat = (package / "_compat.py").read_text()
    assert sum(bool(p.search(compat)) for p in _PRIVATE) >= 4


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
