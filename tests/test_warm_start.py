"""Warm starts: ``initial_results`` (earlier results) and ``initial_points`` (tried first)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, RandomizedSearchCV

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, PopulationSearchCV, Real

X, Y = make_classification(150, 6, n_informative=4, random_state=0)
X_OTHER, Y_OTHER = make_classification(150, 6, n_informative=4, random_state=1)
SPACE = {"C": Real(1e-3, 1e2, log=True)}
GRID = {"C": [0.01, 0.1, 1.0, 10.0]}


class CountingLR(LogisticRegression):
    """A LogisticRegression that counts its fits (in this process: the default n_jobs)."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        CountingLR.fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


def _grid():
    return GridSearchCV(LogisticRegression(), GRID, cv=3).fit(X, Y)


def _bayes(**kw):
    params = dict(n_iter=2, n_initial_points=2, cv=3, random_state=0)
    return BayesSearchCV(CountingLR(), SPACE, **{**params, **kw})


def _fit_error(search, x=X, y=Y):
    """The message of ``fit``'s error, checked to come before any training."""
    CountingLR.fits = 0
    with pytest.raises(ValueError) as info:
        search.fit(x, y)
    assert CountingLR.fits == 0, "an estimator was fitted before the error"
    return str(info.value)


# -- imported as results ---------------------------------------------------------------------
def test_grid_results_are_imported_rows_not_refitted():
    grid = _grid()
    CountingLR.fits = 0
    search = _bayes(n_iter=1, initial_results=grid, initial_results_as="results").fit(X, Y)
    # one new trial on 3 folds, and the refit: the 4 imported rows trained nothing
    assert CountingLR.fits == 3 + 1
    res = search.cv_results_
    assert list(res["imported"]) == [True] * 4 + [False]
    assert search.initial_results_use_ == "results"
    assert res["params"][:4] == grid.cv_results_["params"]
    for k in range(3):
        np.testing.assert_array_equal(res[f"split{k}_test_score"][:4],
                                      grid.cv_results_[f"split{k}_test_score"])
    np.testing.assert_allclose(res["mean_test_score"][:4], grid.cv_results_["mean_test_score"])
    assert list(res["trial_id"][:4]) == [-1, -2, -3, -4]
    assert pd.DataFrame(res)["imported"].dtype == bool


def test_imported_results_count_toward_the_best():
    grid = _grid()
    # the one new trial is poor: the best is the grid's best, refitted
    search = _bayes(n_iter=1, initial_points=[{"C": 1e-3}], initial_results=grid,
                    initial_results_as="results").fit(X, Y)
    assert search.cv_results_["imported"][search.best_index_]
    assert search.best_params_ == grid.best_params_
    assert search.best_score_ == pytest.approx(grid.best_score_)
    assert search.best_estimator_.C == grid.best_params_["C"]


def test_the_proposer_learns_imported_results():
    grid = RandomizedSearchCV(LogisticRegression(), {"C": list(np.logspace(-3, 2, 12))},
                              n_iter=8, cv=3, random_state=0).fit(X, Y)
    warm = _bayes(n_iter=3, n_initial_points=4, initial_results=grid,
                  initial_results_as="results").fit(X, Y)
    cold = _bayes(n_iter=3, n_initial_points=4).fit(X, Y)
    new = [p["C"] for p, imp in zip(warm.cv_results_["params"], warm.cv_results_["imported"])
           if not imp]
    # 8 results exceed n_initial_points: no quasi-random design, the GP proposes at once,
    # and never an imported configuration again
    assert not set(new) & {p["C"] for p in grid.cv_results_["params"]}
    assert new != [p["C"] for p in cold.cv_results_["params"]]


def test_dataframe_and_dict_import_alike():
    grid = _grid()
    a = _bayes(n_iter=1, initial_results=grid.cv_results_, initial_results_as="results")
    b = _bayes(n_iter=1, initial_results=pd.DataFrame(grid.cv_results_),
               initial_results_as="results")
    ra, rb = a.fit(X, Y).cv_results_, b.fit(X, Y).cv_results_
    assert ra["params"] == rb["params"]
    np.testing.assert_array_equal(ra["mean_test_score"], rb["mean_test_score"])


def test_sktune_search_on_the_same_task_is_imported_automatically():
    first = _bayes(n_iter=4).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # checked by the fingerprint: no warning
        second = _bayes(n_iter=2, initial_results=first).fit(X, Y)
    assert second.initial_results_use_ == "results"
    assert second.cv_results_["imported"].sum() == 4
    assert second.task_fingerprint_ == first.task_fingerprint_


def test_journal_is_a_source(tmp_path):
    path = tmp_path / "first.jsonl"
    first = _bayes(n_iter=4, journal=str(path)).fit(X, Y)
    second = _bayes(n_iter=1, initial_results=str(path)).fit(X, Y)
    assert second.initial_results_use_ == "results"
    np.testing.assert_allclose(second.cv_results_["mean_test_score"][:4],
                               first.cv_results_["mean_test_score"])


def test_halving_search_imports_its_fits_on_every_sample(tmp_path):
    x, y = X[:144], Y[:144]  # "exhaust": the last iteration trains on all 144 samples
    halving = HalvingGridSearchCV(LogisticRegression(), {"C": list(np.logspace(-3, 2, 9))},
                                  cv=3, factor=3, min_resources="exhaust").fit(x, y)
    last = halving.cv_results_["n_resources"] == 144
    search = _bayes(n_iter=1, initial_results=halving, initial_results_as="results").fit(x, y)
    imported = [p for p, i in zip(search.cv_results_["params"], search.cv_results_["imported"])
                if i]
    assert imported == [p for p, ok in zip(halving.cv_results_["params"], last) if ok]
    # by default its last iteration stops short of every sample: no complete fit to import
    short = HalvingGridSearchCV(LogisticRegression(), {"C": list(np.logspace(-3, 2, 9))},
                                cv=3, factor=3).fit(X, Y)
    journal = tmp_path / "never.jsonl"
    assert "none of the initial_results" in _fit_error(
        _bayes(initial_results=short, initial_results_as="results", journal=str(journal)))
    assert not journal.exists()  # refused before the journal is opened


def test_hyperband_counts_imported_top_rung_results():
    sgd = SGDClassifier(random_state=0)
    space = {"alpha": Real(1e-5, 1e-1, log=True), "penalty": Categorical(["l2", "l1"])}
    common = dict(max_resources=9, cv=3, resource="partial_fit")
    first = HyperbandSearchCV(sgd, space, random_state=0, **common).fit(X, Y)
    second = HyperbandSearchCV(sgd, space, random_state=1, initial_results=first,
                               **common).fit(X, Y)
    res = second.cv_results_
    top = first.cv_results_["n_resources"] == 9
    assert second.initial_results_use_ == "results"
    assert res["imported"].sum() == top.sum()
    assert set(res["n_resources"][res["imported"]]) == {9}
    assert second.best_score_ >= first.best_score_


# -- imported as a prior ---------------------------------------------------------------------
def test_other_data_is_a_prior_and_seeds_the_first_trials():
    first = _bayes(n_iter=6, n_initial_points=4).fit(X_OTHER, Y_OTHER)
    second = _bayes(n_iter=4, n_initial_points=4, initial_results=first).fit(X, Y)
    assert second.initial_results_use_ == "prior"
    assert "imported" not in second.cv_results_
    order = np.argsort(-first.cv_results_["mean_test_score"], kind="stable")
    best_two = [first.cv_results_["params"][i] for i in order[:2]]  # half of 4 initial points
    assert second.cv_results_["params"][:2] == best_two


def test_unverifiable_source_warns_and_is_a_prior():
    grid = _grid()
    with pytest.warns(UserWarning, match="initial_results_as='results'"):
        search = _bayes(n_iter=2, initial_results=grid).fit(X, Y)
    assert search.initial_results_use_ == "prior"
    assert search.cv_results_["params"][0] == grid.best_params_  # the grid's best first


def test_population_initial_population():
    sgd = SGDClassifier(random_state=0)
    space = {"alpha": Real(1e-5, 1e-1, log=True)}
    points = [{"alpha": 1e-4}, {"alpha": 1e-2}]
    search = PopulationSearchCV(sgd, space, population_size=4, max_resources=4,
                                perturbation_interval=2, cv=2, random_state=0,
                                initial_points=points).fit(X, Y)
    res = pd.DataFrame(search.cv_results_)
    first = res[res["step"] == 0].sort_values("member_id")
    assert list(first["params"])[:2] == points
    assert len(first) == 4


def test_population_members_start_from_the_best_imported():
    sgd = SGDClassifier(random_state=0)
    space = {"alpha": Real(1e-5, 1e-1, log=True)}
    earlier = BayesSearchCV(sgd, space, n_iter=5, n_initial_points=5, cv=2,
                            random_state=0).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a prior by design here: no warning
        search = PopulationSearchCV(sgd, space, population_size=4, max_resources=4,
                                    perturbation_interval=2, cv=2, random_state=0,
                                    initial_results=earlier).fit(X, Y)
    assert search.initial_results_use_ == "prior"
    order = np.argsort(-earlier.cv_results_["mean_test_score"], kind="stable")
    res = pd.DataFrame(search.cv_results_)
    first = res[res["step"] == 0].sort_values("member_id")
    assert list(first["params"])[:2] == [earlier.cv_results_["params"][i] for i in order[:2]]


def test_population_refuses_results():
    sgd = SGDClassifier(random_state=0)
    search = PopulationSearchCV(sgd, {"alpha": Real(1e-5, 1e-1, log=True)}, population_size=4,
                                initial_results=_grid(), initial_results_as="results")
    with pytest.raises(ValueError, match="initial population"):
        search.fit(X, Y)


# -- points tried first ----------------------------------------------------------------------
def test_initial_points_are_evaluated_first():
    points = [{"C": 0.5}, {"C": 20.0}, {"C": 0.002}]
    search = _bayes(n_iter=5, n_initial_points=3, initial_points=points).fit(X, Y)
    assert search.cv_results_["params"][:3] == points
    assert len(search.cv_results_["params"]) == 5


def test_hyperband_initial_points_open_the_first_bracket():
    points = [{"alpha": 1e-3}, {"alpha": 3e-2}]
    search = HyperbandSearchCV(SGDClassifier(random_state=0), {"alpha": Real(1e-5, 1e-1, log=True)},
                               max_resources=9, cv=3, resource="partial_fit", random_state=0,
                               initial_points=points).fit(X, Y)
    assert search.cv_results_["params"][:2] == points


# -- bad imports fail before any training ----------------------------------------------------------
@pytest.mark.parametrize("results, fragment", [
    ({"params": [{"C": 1.0, "tol": 0.1}], "split0_test_score": [0.9], "split1_test_score": [0.9],
      "split2_test_score": [0.9]}, "'tol', which is not searched"),
    ({"params": [{"C": 1e4}], "split0_test_score": [0.9], "split1_test_score": [0.9],
      "split2_test_score": [0.9]}, "sets 'C' to 10000.0, outside the search space"),
    ({"params": [{}], "split0_test_score": [0.9], "split1_test_score": [0.9],
      "split2_test_score": [0.9]}, "gives no value to 'C'"),
    ({"params": [{"C": 1.0}], "split0_test_score": [0.9], "split1_test_score": [0.9]},
     "2 CV folds, this search 3"),
    ({"params": [{"C": 1.0}], "split0_test_acc": [0.9], "split1_test_acc": [0.9],
      "split2_test_acc": [0.9]}, "no scores for 'score'"),
    ({"params": [{"C": 1.0}], "mean_test_score": [0.9]}, "split<k>_test_<metric>"),
    ({"C": [1.0]}, "without a 'params' key"),
])
def test_bad_imports_are_refused_before_training(results, fragment):
    message = _fit_error(_bayes(initial_results=results, initial_results_as="results"))
    assert fragment in message
    assert "initial_results" in message or "initial_results_as" in message


def test_other_sources_are_refused_before_training(tmp_path):
    assert "unfitted GridSearchCV" in _fit_error(_bayes(initial_results=GridSearchCV(
        LogisticRegression(), GRID)))
    assert "not a file" in _fit_error(_bayes(initial_results=str(tmp_path / "none.jsonl")))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("hello\nworld\n")
    assert "not an sktune journal" in _fit_error(_bayes(initial_results=str(bad)))
    assert "must be None or a fitted search" in _fit_error(_bayes(initial_results=[1, 2]))


def test_results_on_other_data_are_refused():
    first = _bayes(n_iter=2).fit(X_OTHER, Y_OTHER)
    message = _fit_error(_bayes(initial_results=first, initial_results_as="results"))
    assert "another data" in message and "initial_results_as='prior'" in message


def test_bad_initial_points_are_refused_before_training():
    assert "'C' to 500.0, outside" in _fit_error(_bayes(initial_points=[{"C": 500.0}]))
    assert "'gamma', which is not searched" in _fit_error(
        _bayes(initial_points=[{"C": 1.0, "gamma": 1}]))
    assert "more than the 2 trials" in _fit_error(
        _bayes(initial_points=[{"C": 1.0}, {"C": 2.0}, {"C": 3.0}]))


def test_prior_rows_outside_the_space_are_refused():
    grid = GridSearchCV(LogisticRegression(), {"C": [1e3, 1.0]}, cv=3).fit(X, Y)
    message = _fit_error(_bayes(initial_results=grid, initial_results_as="prior"))
    assert "sets 'C' to 1000.0, outside the search space" in message


# -- journals ---------------------------------------------------------------------------------
def test_journaled_warm_start_resumes_the_same(tmp_path):
    grid = _grid()
    path = str(tmp_path / "warm.jsonl")
    first = _bayes(n_iter=3, initial_results=grid, initial_results_as="results",
                   journal=path).fit(X, Y)
    again = _bayes(n_iter=3, initial_results=grid, initial_results_as="results",
                   journal=path).fit(X, Y)
    assert again.n_replayed_jobs_ == 3 * 3  # every new job read back, nothing imported rerun
    assert again.cv_results_["params"] == first.cv_results_["params"]
    np.testing.assert_array_equal(again.cv_results_["mean_test_score"],
                                  first.cv_results_["mean_test_score"])
    # only what the search ran is journaled
    rows = [json.loads(line) for line in open(path)]
    assert sum(r["event"] == "result" for r in rows) == 3 * 2
    other = GridSearchCV(LogisticRegression(), {"C": [0.5, 5.0]}, cv=3).fit(X, Y)
    with pytest.raises(ValueError, match="initial_results"):
        _bayes(n_iter=3, initial_results=other, initial_results_as="results",
               journal=path).fit(X, Y)


# -- another task's results as the GP's prior mean -------------------------------------------
def test_prior_weight_starts_at_one_and_fades_when_misleading():
    from sktune.proposers.transfer import normal_scores, prior_weight

    assert prior_weight(np.array([]), np.array([])) == 1.0
    m = np.linspace(-1, 1, 40)
    assert prior_weight(m, m) == pytest.approx(1.0)
    assert prior_weight(-m, m) == 0.0  # anti-correlated: dropped
    rng = np.random.default_rng(0)
    noise = rng.normal(size=400)
    assert prior_weight(noise, np.linspace(-1, 1, 400)) < 0.1  # uncorrelated: fades
    np.testing.assert_allclose(normal_scores([3.0, 1.0, 2.0]), [0.9674, -0.9674, 0.0], atol=1e-4)


def test_gp_prior_mean_steers_proposals():
    from sktune.proposers import GPProposer

    def f(x):
        return -((x - 0.8) ** 2)

    prior = [({"x": x}, 5 * f(x) + 3) for x in np.linspace(0, 1, 15)]  # another scale
    proposals = {}
    for name, given in {"with": prior, "without": None}.items():
        gp = GPProposer({"x": Real(0.0, 1.0)}, n_initial_points=2, random_state=0,
                        prior_results=given)
        for x in (0.05, 0.3):
            gp.tell({"x": x}, f(x))
        proposals[name] = gp.ask(1)[0]["x"]
    assert abs(proposals["with"] - 0.8) < 0.1
    assert abs(proposals["with"] - 0.8) < abs(proposals["without"] - 0.8)


def test_the_docs_example_runs(tmp_path):
    import re
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "warm_start.rst"
    [code] = re.findall(r"\.\. code-block:: python\n\n(.*?)\n(?=\S)", page.read_text(),
                        flags=re.S)
    script = tmp_path / "warm_start_example.py"
    script.write_text(textwrap.dedent(code))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.splitlines()[0] == "6"
    assert proc.stdout.splitlines()[-1] == "prior"
