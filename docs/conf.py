"""Sphinx configuration of the sktune documentation (builds offline)."""

from __future__ import annotations

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

from sklearn.exceptions import FitFailedWarning  # noqa: E402

import sktune  # noqa: E402

project = "sktune"
author = "the sktune developers"
copyright = "the sktune developers"  # noqa: A001
release = sktune.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
root_doc = "index"
default_role = "literal"
nitpicky = False
suppress_warnings = ["config.cache"]  # sphinx-gallery's config holds functions

# -- user guide: failures.rst is written separately; list the pages that exist ---------------
_GUIDE = ["spaces", "algorithms", "resources", "parallel", "distributed", "failures", "results",
          "diagnosis", "warm_start", "multiobjective", "racing", "migrating_skopt", "differences"]
_here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_here, "_userguide_toc.inc"), "w") as _f:
    _f.write(".. toctree::\n   :maxdepth: 2\n\n")
    _f.writelines(f"   {p}\n" for p in _GUIDE if os.path.exists(os.path.join(_here, p + ".rst")))

# -- API reference --------------------------------------------------------------------------
autosummary_generate = True
# no "inherited-members" here: a default that is not a str replaces the directive's own
# option (Sphinx 9), and the class template lists the methods a search inherits
# (predict, score...) with ``:inherited-members: BaseEstimator``
autodoc_default_options = {"members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()  # tests/test_docstrings.py validates instead
numpydoc_xref_param_type = False

# -- gallery: every example runs -------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|/_",
    "download_all_examples": False,
    "plot_gallery": "True",
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"sktune": None},
    # "Examples using X" on the API pages (the class template's minigallery)
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sktune",),
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "min_reported_time": 5,
}
warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")
warnings.filterwarnings("ignore", category=FitFailedWarning)  # examples with failing trials
warnings.filterwarnings("ignore", category=UserWarning, message="One or more of the test scores")

# -- HTML -------------------------------------------------------------------------------------
try:
    import pydata_sphinx_theme  # noqa: F401

    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_prev_next": False,
        "check_switcher": False,
        "navbar_end": ["navbar-icon-links"],
        "footer_start": ["copyright"],
        "footer_end": [],
    }
except ImportError:  # builtin theme: the docs still build
    html_theme = "alabaster"
    html_theme_options = {}
html_title = f"sktune {release}"
html_static_path: list[str] = []
html_show_sourcelink = False


# scikit-learn's generated set_*_request methods and its inherited get_metadata_routing
# document its own glossary: leave them out (an override in sktune is documented)
def _skip_member(app, what, name, obj, skip, options):
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if getattr(obj, "__module__", "") == "sklearn.utils._metadata_requests":
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
