"""Display objects of sktune.plots, drawn on the Agg backend from real small searches."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg", force=True)
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import SGDClassifier  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, PopulationSearchCV, Real  # noqa: E402
from sktune.plots import (  # noqa: E402
    ConvergenceDisplay,
    LineageDisplay,
    ParallelCoordinatesDisplay,
    RungDisplay,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def bayes(iris):
    space = {"C": Real(1e-2, 1e2, log=True), "kernel": Categorical(["rbf", "linear"])}
    return BayesSearchCV(SVC(), space, n_iter=6, n_initial_points=3, cv=2,
                         random_state=0).fit(*iris)


def _sgd():
    return SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.01, random_state=0)


_SGD_SPACE = {"alpha": Real(1e-5, 1e-1, log=True), "eta0": Real(1e-3, 1.0, log=True)}


@pytest.fixture(scope="module")
def hyperband(iris):
    return HyperbandSearchCV(_sgd(), _SGD_SPACE, max_resources=9, min_resources=1, factor=3,
                             cv=2, random_state=0).fit(*iris)


@pytest.fixture(scope="module")
def pbt(iris):
    return PopulationSearchCV(_sgd(), _SGD_SPACE, population_size=4, max_resources=6,
                              perturbation_interval=2, quantile_fraction=0.5, cv=2,
                              random_state=0).fit(*iris)


def _labels(ax):
    return ax.get_xlabel(), ax.get_ylabel(), ax.get_title()


def test_convergence_from_search(bayes):
    disp = ConvergenceDisplay.from_search(bayes)
    assert disp.ax_.figure is disp.figure_
    scores = bayes.cv_results_["mean_test_score"]
    # the points are the scores in the order recorded, the line their running maximum
    np.testing.assert_allclose(disp.points_.get_offsets()[:, 1], scores)
    np.testing.assert_allclose(disp.line_.get_ydata(), np.maximum.accumulate(scores))
    assert disp.line_.get_ydata()[-1] == pytest.approx(bayes.best_score_)
    xlabel, ylabel, title = _labels(disp.ax_)
    assert "result" in xlabel and "score" in ylabel and title == "Convergence"
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert "BayesSearchCV (best so far)" in legend


def test_convergence_several_searches_on_one_axes(bayes, hyperband):
    fig, ax = plt.subplots()
    a = ConvergenceDisplay.from_search(bayes, x="fit_time", ax=ax)
    b = ConvergenceDisplay.from_search(hyperband, x="fit_time", ax=ax)
    assert a.ax_ is b.ax_ is ax and a.figure_ is fig
    assert len(ax.get_lines()) == 2
    assert "training time" in ax.get_xlabel()
    # time spent grows
    assert np.all(np.diff(b.x) >= 0)
    # Hyperband: only the results at the most resource count for the best so far
    res = np.asarray(hyperband.cv_results_["n_resources"], dtype=float)
    scores = np.asarray(hyperband.cv_results_["mean_test_score"])
    top = np.nanmax(np.where(res == res.max(), scores, np.nan))
    assert np.nanmax(b.line_.get_ydata()) == pytest.approx(top)


def test_convergence_from_cv_results_dataframe_and_errors(bayes):
    pd = pytest.importorskip("pandas")
    disp = ConvergenceDisplay.from_cv_results(pd.DataFrame(bayes.cv_results_), name="df")
    assert len(disp.scores) == len(bayes.cv_results_["params"])
    with pytest.raises(ValueError, match="'metric' parameter must be one of"):
        ConvergenceDisplay.from_cv_results(bayes.cv_results_, metric="nope")
    with pytest.raises(ValueError, match="'x' parameter"):
        ConvergenceDisplay.from_cv_results(bayes.cv_results_, x="epochs")
    with pytest.raises(TypeError, match="cv_results_"):
        ConvergenceDisplay.from_cv_results([1, 2, 3])
    with pytest.raises(NotFittedError):
        ConvergenceDisplay.from_search(BayesSearchCV(SVC(), {"C": Real(1, 2)}))


def test_convergence_marks_failed_trials():
    results = {"params": [{"a": 1}, {"a": 2}, {"a": 3}],
               "mean_test_score": np.array([0.5, np.nan, 0.7])}
    disp = ConvergenceDisplay.from_cv_results(results)
    assert len(disp.points_.get_offsets()) == 2
    assert any(line.get_label() == "failed" for line in disp.ax_.get_lines())


def test_rung_display_shows_promotions(hyperband):
    disp = RungDisplay.from_search(hyperband)
    results = hyperband.cv_results_
    trials = np.unique(results["trial_id"])
    assert sorted(disp.lines_) == sorted(trials.tolist())
    # a promoted trial's line goes through each of its rungs, in increasing resource
    tid, counts = np.unique(results["trial_id"], return_counts=True)
    promoted = int(tid[np.argmax(counts)])
    line = disp.lines_[promoted]
    assert len(line.get_xdata()) == counts.max() > 1
    assert np.all(np.diff(line.get_xdata()) > 0)
    # promoted lines are drawn stronger than lines of trials stopped at the first rung
    stopped = int(tid[counts == 1][0])
    reached_top = max(line.get_xdata()) == max(results["n_resources"])
    if reached_top and max(disp.lines_[stopped].get_xdata()) < max(results["n_resources"]):
        assert line.get_linewidth() > disp.lines_[stopped].get_linewidth()
    xlabel, ylabel, _ = _labels(disp.ax_)
    assert "resource" in xlabel and "partial_fit" in xlabel and "score" in ylabel
    assert disp.ax_.get_xscale() == "log"
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()][0].startswith("bracket")


def test_rung_display_marks_failed_trials():
    disp = RungDisplay(trial_ids=[0, 1, 0, 2], n_resources=[1, 1, 3, 1],
                       scores=[0.6, np.nan, 0.8, 0.5]).plot()
    assert disp.failed_ is not None
    assert disp.failed_.get_xdata().tolist() == [1.0] and disp.failed_.get_marker() == "x"
    assert disp.failed_.get_ydata().tolist() == [0.5]  # along the bottom of the scores
    assert "failed (1)" in [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert RungDisplay([0, 0], [1, 3], [0.5, 0.6]).plot().failed_ is None


def test_convergence_says_only_full_budget_results_count(hyperband, bayes):
    disp = ConvergenceDisplay.from_search(hyperband)
    assert "full-budget results only (9)" in disp.line_.get_label()
    assert "lighter: lower budgets" in disp.points_.get_label()
    assert "full-budget" not in ConvergenceDisplay.from_search(bayes).line_.get_label()


def test_lineage_x_axis_names_the_resource(pbt):
    disp = LineageDisplay.from_search(pbt)
    assert disp.axes_[1].get_xlabel() == "resource (partial_fit) at the end of each step"
    one = LineageDisplay.from_cv_results(pbt.cv_results_, ax=plt.subplots()[1],
                                         resource_name="epochs")
    assert one.ax_.get_xlabel() == "resource (epochs) at the end of each step"


def test_rung_display_requires_resource_column(bayes):
    with pytest.raises(ValueError, match="n_resources"):
        RungDisplay.from_search(bayes)


def test_lineage_display_from_pbt(pbt):
    disp = LineageDisplay.from_search(pbt)
    assert len(disp.axes_) == 2 and disp.ax_ is disp.axes_[0]
    assert sorted(disp.lines_) == sorted(set(pbt.cv_results_["member_id"].tolist()))
    # the best lineage is the one of best_schedule_, ending at the best result
    row_of = {t: i for i, t in enumerate(pbt.cv_results_["trial_id"].tolist())}
    assert disp.best_lineage_ == [row_of[e["trial_id"]] for e in pbt.best_schedule_]
    assert disp.param in ("alpha", "eta0")
    assert disp.axes_[1].get_ylabel() == disp.param
    assert "score" in disp.ax_.get_ylabel()
    # exploits are drawn as dashed links
    n_exploits = int(np.sum(np.asarray(pbt.cv_results_["parent_id"]) >= 0))
    assert n_exploits > 0
    dashed = [ln for ln in disp.ax_.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == n_exploits


def test_lineage_display_reconstructs_lineage_without_schedule():
    # member 1 copies member 0 at step 1: the best final result's lineage goes through 0
    disp = LineageDisplay(member_ids=[0, 1, 0, 1], parent_ids=[-1, -1, -1, 0],
                          n_resources=[1, 1, 2, 2], scores=[0.8, 0.3, 0.82, 0.9],
                          param_values=[0.1, 0.01, 0.1, 0.12], param="lr").plot()
    assert disp.best_lineage_ == [0, 3]
    one = LineageDisplay([0, 0], [-1, -1], [1, 2], [0.5, 0.6]).plot()
    assert len(one.axes_) == 1


def test_parallel_coordinates(bayes):
    disp = ParallelCoordinatesDisplay.from_search(bayes)
    assert disp.names == ["C", "kernel"]
    assert len(disp.lines_) == len(bayes.cv_results_["params"])
    assert np.nanmin(disp.unit_values) >= 0 and np.nanmax(disp.unit_values) <= 1
    labels = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert labels == ["C", "kernel", "CV score"]
    assert disp.colorbar_ is not None
    # the best trial is highlighted
    best = int(np.argmax(bayes.cv_results_["mean_test_score"]))
    assert disp.lines_[best].get_linewidth() > min(ln.get_linewidth() for ln in disp.lines_)


def test_parallel_coordinates_conditional_space_and_pbt(pbt):
    results = {"params": [{"C": 0.1, "kernel": "rbf", "gamma": 0.01}, {"C": 10.0,
                                                                        "kernel": "linear"}],
               "mean_test_score": [0.8, 0.9]}
    disp = ParallelCoordinatesDisplay.from_cv_results(results)
    assert np.isnan(disp.unit_values[1, disp.names.index("gamma")])
    pbt_disp = ParallelCoordinatesDisplay.from_search(pbt)
    assert len(pbt_disp.lines_) == pbt.population_size  # one line per member


def test_missing_matplotlib_message(monkeypatch):
    import builtins

    from sktune import plots

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install sktune\[plot\]"):
        plots._pyplot("ConvergenceDisplay")
