"""How much of scikit-learn's own search test suite passes with sktune's searches.

Runs the test modules that ship inside the installed scikit-learn wheel
(``sklearn/model_selection/tests/test_search.py``, ``test_successive_halving.py`` and the
search cases of ``sklearn/tests/test_metaestimators_metadata_routing.py``) with pytest,
once as they are (the baseline) and once per sktune class with ``GridSearchCV``,
``RandomizedSearchCV`` and ``HalvingRandomSearchCV`` replaced, where the tests import
them, by thin adapters around the sktune class (``_conformance_plugin.py``, loaded with
``-p``). No test code is copied: the tests run from the installed wheel.

What each adapter maps (everything else is passed through under its own name):

- ``GridSearchCV(est, param_grid)`` and ``RandomizedSearchCV(est, param_distributions,
  n_iter)`` are searches that train each candidate once, fully. ``BayesSearchCV`` gets
  ``n_iter`` (the grid's size for a grid) and as many ``n_initial_points``;
  ``HyperbandSearchCV`` one rung at the full budget (``resource=FullFit()``,
  ``min_resources=max_resources=1``, ASHA starting ``n_iter`` candidates);
  ``PopulationSearchCV`` one generation of its evolutionary mode (``resource="fit"``,
  ``max_resources=1``, ``population_size=n_iter``, at least 2). A grid is searched with
  ``random_state=0`` (GridSearchCV is deterministic); ``pre_dispatch`` is ignored.
- ``HalvingRandomSearchCV`` -> ``HyperbandSearchCV`` with one bracket (successive
  halving): ``resource``, ``factor``, ``max_resources`` as given, ``min_resources``
  ``"smallest"``/``"exhaust"`` -> ``"auto"``; ``n_candidates`` and
  ``aggressive_elimination`` are ignored (the bracket's size follows the Hyperband table).

A test counts for a replaced class when it built one (or was given one as a parameter);
the table gives, per sktune class and replaced class, the tests that pass unpatched, those
of them that pass with the sktune class, and the ratio. The ids that differ, with the
first line of each failure, go to ``--out``. Tests of GridSearchCV-only features are
excluded (``EXCLUDED`` below, with the reason for each).

Usage::

    python benchmarks/sklearn_conformance.py                # all, ~5 min on 2 cores
    python benchmarks/sklearn_conformance.py --targets BayesSearchCV -k "pandas"
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sklearn

TARGETS = ("BayesSearchCV", "HyperbandSearchCV", "PopulationSearchCV")
REPLACES = {"BayesSearchCV": ("GridSearchCV", "RandomizedSearchCV"),
            "HyperbandSearchCV": ("GridSearchCV", "RandomizedSearchCV", "HalvingRandomSearchCV"),
            "PopulationSearchCV": ("GridSearchCV", "RandomizedSearchCV")}
SKLEARN_DIR = Path(sklearn.__file__).parent
MODULES = {
    "search": SKLEARN_DIR / "model_selection" / "tests" / "test_search.py",
    "halving": SKLEARN_DIR / "model_selection" / "tests" / "test_successive_halving.py",
    "routing": SKLEARN_DIR / "tests" / "test_metaestimators_metadata_routing.py",
}

# Tests of what only an exhaustive grid (or scikit-learn's halving plan) does, by test
# function name: excluded from every count, baseline included.
EXCLUDED = {
    # scikit-learn's successive-halving plan, which HyperbandSearchCV's bracket table replaces
    "test_n_iterations": "n_required_iterations_ / n_possible_iterations_ of sklearn's plan",
    "test_min_max_resources": "the plans of min_resources='exhaust'/'smallest' and their "
                              "n_required_iterations_",
    "test_aggressive_elimination": "sklearn's aggressive_elimination option",
    "test_random_search": "candidates per iteration for n_candidates='exhaust' or an int "
                          "(a Hyperband bracket starts factor**s)",
    "test_random_search_discrete_distributions": "n_candidates=10 for the first iteration",
    "test_input_errors_randomized": "n_candidates and min_resources both 'exhaust'",
    "test_base_estimator_inputs": "the samples per iteration of sklearn's plan for "
                                  "n_candidates=60, min_resources='exhaust'",
    "test_select_best_index": "calls the private static _select_best_index of sklearn's class",
    # the exact draws of scikit-learn's ParameterSampler
    "test_search_with_2d_array": "asserts the 3 candidates ParameterSampler draws for seed 0",
}


def _run(target, report, select, timeout):
    env = {**os.environ, "SKTUNE_CONFORMANCE_TARGET": target,
           "SKTUNE_CONFORMANCE_REPORT": str(report),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent),
                                          os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory() as tmp:
        ini = Path(tmp) / "pytest.ini"  # not the project's settings
        ini.write_text("[pytest]\n")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-p", "_conformance_plugin", "-c", str(ini), "--rootdir", str(SKLEARN_DIR),
               f"--timeout={timeout}", "-W", "ignore", "--tb=no", "--no-header",
               *[str(m) for m in MODULES.values()]]
        if select:
            cmd += ["-k", select]
        print(f"[{target}] running", flush=True)
        subprocess.run(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    return json.loads(Path(report).read_text())


def _function(nodeid):
    return nodeid.split("::")[-1].split("[")[0]


def _module(nodeid):
    for key, path in MODULES.items():
        if path.name in nodeid:
            return key
    return "?"


def tabulate(baseline, results):
    """Rows of (target, replaced class, module, baseline passes, sktune passes) and the
    differing ids per target."""
    rows, diffs = [], {}
    for target, res in results.items():
        used = {i: set(e["uses"]) for i, e in res.items()
                if e["uses"] and _function(i) not in EXCLUDED}
        diffs[target] = sorted(
            (i, res[i]["outcome"], res[i]["message"]) for i in used
            if baseline.get(i, {}).get("outcome") == "passed" and res[i]["outcome"] != "passed")
        for name in (*REPLACES[target], "all"):
            for module in (*MODULES, "all"):
                ids = [i for i, u in used.items() if (name == "all" or name in u)
                       and (module == "all" or _module(i) == module)]
                base = [i for i in ids if baseline.get(i, {}).get("outcome") == "passed"]
                ok = [i for i in base if res[i]["outcome"] == "passed"]
                if base:
                    rows.append((target, name, module, len(base), len(ok)))
    return rows, diffs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--out", default="sklearn_conformance_differences.txt",
                        help="file for the ids that pass unpatched and not with sktune")
    parser.add_argument("--reports", default=None,
                        help="folder for the per-run JSON reports (kept; reused with --reuse)")
    parser.add_argument("--reuse", action="store_true", help="read existing reports, run none")
    parser.add_argument("-k", dest="select", default=None, help="pytest -k expression")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per test")
    args = parser.parse_args(argv)
    folder = Path(args.reports or tempfile.mkdtemp(prefix="sktune-conformance-"))
    folder.mkdir(parents=True, exist_ok=True)

    def get(target):
        report = folder / f"{target}.json"
        if args.reuse and report.exists():
            return json.loads(report.read_text())
        return _run(target, report, args.select, args.timeout)

    baseline = get("baseline")
    results = {t: get(t) for t in args.targets}
    rows, diffs = tabulate(baseline, results)
    print(f"\nscikit-learn {sklearn.__version__}: tests passing unpatched, and with the "
          "sktune class in place of the scikit-learn one")
    print(f"{'sktune class':20} {'replaces':22} {'module':8} {'baseline':>8} {'sktune':>7} "
          f"{'%':>6}")
    for target, name, module, base, ok in rows:
        print(f"{target:20} {name:22} {module:8} {base:8d} {ok:7d} {100 * ok / base:6.1f}")
    with open(args.out, "w") as f:
        f.write(f"# scikit-learn {sklearn.__version__}: pass unpatched, not with sktune\n")
        for target, items in diffs.items():
            f.write(f"\n## {target} ({len(items)})\n")
            for nodeid, outcome, message in items:
                f.write(f"{nodeid.split('sklearn/', 1)[-1]}\t{outcome}\t{message}\n")
    if EXCLUDED:
        print("\nexcluded:")
        for name, why in EXCLUDED.items():
            print(f"  {name}: {why}")
    print(f"\ndiffering ids: {args.out}; reports: {folder}")


if __name__ == "__main__":
    main()
