"""The built API pages: a search's page lists what it inherits (predict, score...).

Builds the docs (without running the gallery) in a temporary copy; needs the
``docs`` extra (sphinx, numpydoc, sphinx-gallery), skipped without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("numpydoc")

ROOT = Path(__file__).resolve().parents[1]
DELEGATED = ["predict", "predict_proba", "predict_log_proba", "decision_function", "score",
             "score_samples", "transform", "inverse_transform", "classes_"]


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docs")
    ignore = shutil.ignore_patterns("_build", "generated", "auto_examples", "*.inc",
                                    "sg_execution_times.rst")
    shutil.copytree(ROOT / "docs", tmp / "docs", ignore=ignore)
    shutil.copytree(ROOT / "examples", tmp / "examples")
    out = tmp / "html"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-D", "plot_gallery=0",
         str(tmp / "docs"), str(out)], cwd=tmp / "docs", env=env, capture_output=True,
        text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["BayesSearchCV", "HyperbandSearchCV", "PopulationSearchCV"])
def test_search_pages_list_the_inherited_methods(html, name):
    page = (html / "generated" / f"sktune.{name}.html").read_text()
    for member in ["fit", *DELEGATED]:
        assert f'id="sktune.{name}.{member}"' in page, member
    assert f'id="sktune.{name}.get_params"' not in page  # BaseEstimator's are left out
    assert "Examples using" in page  # the gallery examples that use the class


@pytest.mark.slow
def test_bayes_page_has_the_skopt_names(html):
    page = (html / "generated" / "sktune.BayesSearchCV.html").read_text()
    for name in ("total_iterations", "optimizer_kwargs", "optimizer_results_", "callback"):
        assert name in page
    assert (html / "migrating_skopt.html").exists()
