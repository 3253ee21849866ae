"""sktune.diagnosis: learning-curve verdicts on hand-built curves and real small searches."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier

from sktune import Categorical, HyperbandSearchCV, PopulationSearchCV, Real
from sktune.diagnosis import (
    VERDICTS,
    CurveDiagnosis,
    CurveDiagnosisDisplay,
    diagnose_learning_curves,
)


# -- hand-built cv_results ------------------------------------------------------------------
def _results(curves, *, std=0.005, train=True):
    """Hyperband-shaped ``cv_results_``: one row per (trial, resource).

    ``curves`` maps a trial id to ``(resources, validation, train)``.
    """
    out = {k: [] for k in ("trial_id", "n_resources", "params", "mean_test_score",
                           "std_test_score", "mean_train_score", "std_train_score", "status")}
    for tid, (res, val, tr) in curves.items():
        for r, v, t in zip(res, val, tr):
            out["trial_id"].append(tid)
            out["n_resources"].append(r)
            out["params"].append({"alpha": 10.0 ** -tid})
            out["mean_test_score"].append(v)
            out["std_test_score"].append(std)
            out["mean_train_score"].append(t)
            out["std_train_score"].append(std)
            out["status"].append("ok" if np.isfinite(v) else "failed")
    if not train:
        del out["mean_train_score"], out["std_train_score"]
    return {k: np.asarray(v) if k != "params" else v for k, v in out.items()}


RES = [1, 3, 9, 27]
GOOD = (RES, [0.80, 0.88, 0.92, 0.925], [0.82, 0.90, 0.935, 0.94])
OVER = (RES, [0.80, 0.88, 0.91, 0.87], [0.84, 0.93, 0.97, 0.99])
GAP = (RES, [0.80, 0.86, 0.89, 0.895], [0.90, 0.97, 0.99, 1.0])
RISING = (RES, [0.60, 0.72, 0.83, 0.93], [0.61, 0.73, 0.84, 0.945])
UNDER = (RES, [0.60, 0.66, 0.68, 0.68], [0.61, 0.67, 0.69, 0.69])
BOTH_FALL = (RES, [0.80, 0.90, 0.82, 0.70], [0.82, 0.93, 0.84, 0.71])


def _only(curves, **kwargs):
    (d,) = diagnose_learning_curves(_results(curves, **kwargs.pop("results", {})), n_best=1,
                                    **kwargs)
    return d


def test_over_fitting_when_validation_falls_while_train_rises():
    d = _only({0: OVER}, resource_name="epochs")
    assert d.verdict == "over-fitting"
    assert d.reason == ("the validation score fell from 0.91 at 9 epochs to 0.87 at 27 "
                        "epochs while the train score kept rising to 0.99")
    assert d.resources == (1.0, 3.0, 9.0, 27.0)
    assert d.validation == pytest.approx(OVER[1]) and d.train == pytest.approx(OVER[2])


def test_over_fitting_from_the_gap_at_the_end():
    d = _only({0: GAP})
    assert d.verdict == "over-fitting"
    assert "the train score 1 is 0.105 above the validation score 0.895 at 27" in d.reason


def test_still_improving_when_the_last_step_rises():
    d = _only({0: RISING}, resource_name="partial_fit")
    assert d.verdict == "still improving"
    assert d.reason.startswith("the validation score still rose from 0.83 after 9 "
                               "partial_fit passes to 0.93 after 27")
    assert "larger budget" in d.reason


def test_under_fitting_below_the_best_trials_validation():
    ds = diagnose_learning_curves(_results({0: GOOD, 1: UNDER}))
    assert [(d.trial_id, d.verdict) for d in ds] == [(0, "good fit"), (1, "under-fitting")]
    assert "train score 0.69 at 27 is 0.235 below the validation score 0.925 of trial 0" in (
        ds[1].reason)


def test_under_fitting_when_train_and_validation_both_fall():
    d = _only({0: BOTH_FALL})
    assert d.verdict == "under-fitting"
    assert "train score fell too, from 0.93 to 0.71" in d.reason


def test_good_fit():
    d = _only({0: GOOD})
    assert d.verdict == "good fit"
    assert "differ by 0.015" in d.reason and "levelled off" in d.reason


def test_noise_hides_differences_within_twice_the_fold_std():
    # the same shapes, with folds that disagree by 0.06: nothing stands out of the noise
    noisy = {"results": {"std": 0.06}}
    assert _only({0: OVER}, **noisy).verdict == "good fit"
    assert _only({0: RISING}, **noisy).verdict == "good fit"
    # and tol is a floor on the noise when the folds agree exactly
    assert _only({0: RISING}, results={"std": 0.0}, tol=0.06).verdict == "good fit"
    assert _only({0: RISING}, results={"std": 0.0}, tol=0.0).verdict == "still improving"


def test_the_best_trials_reached_the_most_resource():
    stopped_early = ([1, 3], [0.95, 0.96], [0.96, 0.97])  # high, but at a lower budget
    results = _results({0: UNDER, 1: GOOD, 2: stopped_early, 3: OVER})
    ids = [d.trial_id for d in diagnose_learning_curves(results, n_best=None)]
    assert ids == [1, 3, 0, 2]
    assert [d.trial_id for d in diagnose_learning_curves(results)] == [1, 3, 0]
    assert len(diagnose_learning_curves(results, n_best=10)) == 4
    d = diagnose_learning_curves(results, n_best=1)[0]
    assert isinstance(d, CurveDiagnosis) and d.params == {"alpha": 0.1}
    assert [results["trial_id"][i] for i in d.rows] == [1] * 4
    assert str(d).startswith("trial 1: good fit (")


def test_failed_and_raced_rows_are_left_out():
    results = _results({0: (RES, [0.80, 0.88, np.nan, 0.90], [0.81, 0.89, 0.9, 0.91])})
    results["status"][1] = "raced"
    d = diagnose_learning_curves(results)[0]
    assert d.resources == (1.0, 27.0) and d.validation == pytest.approx([0.80, 0.90])
    assert d.rows == (0, 3)
    everything_failed = _results({0: (RES, [np.nan] * 4, [np.nan] * 4)})
    assert diagnose_learning_curves(everything_failed) == []


def test_dataframe_input_gives_the_same_diagnoses():
    pd = pytest.importorskip("pandas")
    results = _results({0: GOOD, 1: UNDER, 2: OVER})
    assert diagnose_learning_curves(pd.DataFrame(results)) == diagnose_learning_curves(results)


def test_missing_train_scores_give_a_validation_only_verdict():
    results = _results({0: GOOD, 1: OVER, 2: RISING}, train=False)
    ds = {d.trial_id: d for d in diagnose_learning_curves(results)}
    assert ds[2].verdict == "still improving"
    assert ds[1].verdict == "over-fitting"
    assert ds[0].verdict == "good fit" and "levelled off" in ds[0].reason
    for d in ds.values():
        assert d.train is None and d.train_std is None
        assert "return_train_score=True" in d.reason
    # one point, no train score: nothing to judge
    one = {"params": [{"C": 1.0}], "mean_test_score": [0.8]}
    (d,) = diagnose_learning_curves(one)
    assert d.verdict is None and "return_train_score=True" in d.reason
    assert d.resources is None and str(d).startswith("trial 0: no verdict")


def test_an_error_metric_with_greater_is_better_false():
    # a loss: lower is better, so the loss rising at the end is the validation getting worse
    results = _results({0: (RES, [0.5, 0.3, 0.2, 0.26], [0.48, 0.25, 0.12, 0.05])})
    d = diagnose_learning_curves(results, greater_is_better=False)[0]
    assert d.verdict == "over-fitting"
    assert d.reason == ("the validation score rose from 0.2 at 9 to 0.26 at 27 while the train "
                        "score kept falling to 0.05")
    # read as a score instead, both curves fall from the first point
    assert diagnose_learning_curves(results)[0].verdict == "under-fitting"


def test_metric_of_a_multi_metric_search():
    results = _results({0: GOOD, 1: OVER})
    for stat in ("mean_test", "std_test", "mean_train", "std_train"):
        results[f"{stat}_acc"] = results.pop(f"{stat}_score")
    results["mean_test_f1"] = results["mean_test_acc"][::-1]
    assert diagnose_learning_curves(results, metric="acc")[0].trial_id == 0
    # f1 has no train or std columns: validation only
    d = diagnose_learning_curves(results, metric="f1")[0]
    assert d.train is None and d.validation_std == (0.0,) * 4
    with pytest.raises(ValueError, match=r"The 'metric' parameter must be one of \['acc', 'f1'\]"):
        diagnose_learning_curves(results, metric="score")


@pytest.mark.parametrize("kwargs, name", [
    ({"n_best": 0}, "n_best"), ({"n_best": 1.5}, "n_best"), ({"n_best": True}, "n_best"),
    ({"n_best": "3"}, "n_best"), ({"tol": -0.1}, "tol"), ({"tol": float("nan")}, "tol"),
    ({"greater_is_better": "yes"}, "greater_is_better"),
])
def test_bad_parameters_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"The '{name}' parameter must be"):
        diagnose_learning_curves(_results({0: GOOD}), **kwargs)


def test_cv_results_must_be_a_dict_or_dataframe():
    with pytest.raises(TypeError, match="cv_results_"):
        diagnose_learning_curves([0.8, 0.9])


def test_module_imports_without_matplotlib():
    code = "import sys, sktune.diagnosis; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# -- real small searches --------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


@pytest.fixture(scope="module")
def noisy():
    return make_classification(n_samples=300, n_features=20, n_informative=5, flip_y=0.25,
                               random_state=0)


@pytest.fixture(scope="module")
def sgd_search(digits):
    sgd = SGDClassifier(learning_rate="constant", eta0=0.01, random_state=0)
    return HyperbandSearchCV(sgd, {"alpha": Real(1e-5, 1.0, log=True)}, resource="partial_fit",
                             max_resources=9, cv=3, random_state=0,
                             return_train_score=True).fit(*digits)


def test_hyperband_curves_follow_cv_results(sgd_search):
    results = sgd_search.cv_results_
    ds = diagnose_learning_curves(results, n_best=None)
    assert len(ds) == len(np.unique(results["trial_id"]))
    assert ds[0].rows[-1] == sgd_search.best_index_
    for d in ds:
        assert d.verdict in VERDICTS
        rows = list(d.rows)
        assert set(np.asarray(results["trial_id"])[rows]) == {d.trial_id}
        assert list(d.resources) == sorted(d.resources)
        np.testing.assert_allclose(d.resources, results["n_resources"][rows])
        np.testing.assert_allclose(d.validation, results["mean_test_score"][rows])
        np.testing.assert_allclose(d.train, results["mean_train_score"][rows])
        np.testing.assert_allclose(d.validation_std, results["std_test_score"][rows])


def test_hyperband_deep_trees_on_noisy_labels_over_fit(noisy):
    search = HyperbandSearchCV(
        DecisionTreeClassifier(random_state=0), {"criterion": Categorical(["gini", "entropy"])},
        resource="max_depth", min_resources=1, max_resources=27, n_brackets=1, cv=3,
        random_state=0, return_train_score=True).fit(*noisy)
    d = diagnose_learning_curves(search.cv_results_, resource_name="max_depth")[0]
    assert d.resources[-1] == 27
    assert d.train[-1] == pytest.approx(1.0) and d.validation[-1] < 0.7
    assert d.verdict == "over-fitting" and "at max_depth=27" in d.reason


def test_hyperband_mlp_with_a_small_learning_rate_is_still_improving(digits):
    mlp = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    search = HyperbandSearchCV(mlp, {"learning_rate_init": Real(1e-3, 3e-3, log=True)},
                               resource="partial_fit", max_resources=9, n_brackets=1, cv=3,
                               random_state=0, return_train_score=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(*digits)
    d = diagnose_learning_curves(search.cv_results_)[0]
    assert d.resources == (1.0, 3.0, 9.0)
    assert d.verdict == "still improving"


def test_grid_search_results_get_one_point_verdicts(digits):
    # scikit-learn's own cv_results_: no trial_id, no resource, a trial per row
    grid = GridSearchCV(LogisticRegression(max_iter=500), {"C": [1e-4, 1.0]}, cv=3,
                        return_train_score=True).fit(*digits)
    ds = diagnose_learning_curves(grid.cv_results_)
    assert [d.params["C"] for d in ds] == [1.0, 1e-4]
    assert ds[1].trial_id == 0 and ds[1].resources is None
    assert ds[1].verdict == "under-fitting"
    assert ds[0].verdict in ("over-fitting", "good fit")


def test_population_search_gives_a_curve_per_member(digits):
    sgd = SGDClassifier(learning_rate="constant", eta0=0.01, random_state=0)
    search = PopulationSearchCV(sgd, {"alpha": Real(1e-5, 1e-1, log=True)}, population_size=3,
                                max_resources=4, perturbation_interval=2, cv=2, random_state=0,
                                return_train_score=True).fit(*digits)
    ds = diagnose_learning_curves(search.cv_results_, n_best=None)
    assert sorted(d.trial_id for d in ds) == sorted(set(search.cv_results_["member_id"]))
    assert all(d.resources == (2.0, 4.0) and d.verdict in VERDICTS for d in ds)


# -- display --------------------------------------------------------------------------------
@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_display_from_search_draws_train_and_validation(plt, sgd_search):
    disp = CurveDiagnosisDisplay.from_search(sgd_search, n_best=2)
    assert disp.ax_.figure is disp.figure_
    assert len(disp.diagnoses) == 2 and len(disp.ax_.get_lines()) == 4
    for d in disp.diagnoses:
        lines = disp.lines_[d.trial_id]
        assert lines["validation"].get_linestyle() == "-"
        assert lines["train"].get_linestyle() == "--"
        np.testing.assert_allclose(lines["validation"].get_xdata(), d.resources)
        np.testing.assert_allclose(lines["train"].get_ydata(), d.train)
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend[:2] == [f"trial {d.trial_id}: {d.verdict}" for d in disp.diagnoses]
    assert legend[2:] == ["validation", "train"]
    assert "partial_fit" in disp.ax_.get_xlabel()
    several = len({r for d in disp.diagnoses for r in d.resources}) > 1  # differs by stack
    assert disp.ax_.get_xscale() == ("log" if several else "linear")
    assert "partial_fit passes" in disp.diagnoses[0].reason


def test_display_from_cv_results_on_given_axes(plt):
    fig, ax = plt.subplots()
    results = _results({0: GOOD, 1: OVER, 2: RISING}, train=False)
    disp = CurveDiagnosisDisplay.from_cv_results(results, n_best=None, ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert len(ax.get_lines()) == 3  # no train curves
    assert all(v["train"] is None for v in disp.lines_.values())
    assert ax.get_title() == "Learning curves of the 3 best trials"
    built = CurveDiagnosisDisplay.from_cv_results(results, plot=False)
    assert not hasattr(built, "ax_") and len(built.diagnoses) == 3


def test_display_of_one_point_trials_and_of_nothing(plt, digits):
    results = {"params": [{"C": 1.0}, {"C": 0.1}], "mean_test_score": [0.8, 0.9],
               "mean_train_score": [0.99, 0.91]}
    disp = CurveDiagnosisDisplay.from_cv_results(results)
    assert len(disp.ax_.get_lines()) == 4
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["trial 1", "trial 0"]
    empty = CurveDiagnosisDisplay([]).plot()
    assert empty.lines_ == {} and "no finished trial" in empty.ax_.get_title()
    with pytest.raises(NotFittedError):
        CurveDiagnosisDisplay.from_search(HyperbandSearchCV(SGDClassifier(), {"alpha": [1.0]}))
