"""The progress bar (verbose=1) and scikit-learn >= 1.9 callbacks (``set_callbacks``)."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sktune import BayesSearchCV, HyperbandSearchCV, Real, _compat
from sktune.progress import SearchProgress, make_progress

X, y = load_iris(return_X_y=True)

needs_callbacks = pytest.mark.skipif(
    not _compat.HAS_SKLEARN_CALLBACKS, reason="sklearn.callback needs scikit-learn >= 1.9"
)


def _bayes(estimator=None, n_iter=4, param="C", **kwargs):
    return BayesSearchCV(SVC() if estimator is None else estimator,
                         {param: Real(1e-2, 1e2, log=True)}, n_iter=n_iter, n_initial_points=2,
                         cv=2, random_state=0, **kwargs)


def _pipeline():
    """A Pipeline: it supports scikit-learn callbacks (nested progress bars)."""
    return make_pipeline(StandardScaler(), SVC())


# -- the tqdm progress bar --------------------------------------------------------------------
def test_verbose_progress_bar_shows_trials_best_and_eta(capsys):
    search = _bayes(verbose=1, n_iter=5).fit(X, y)
    err = capsys.readouterr().err
    assert "BayesSearchCV" in err
    assert "5/5" in err  # trials done out of the total
    best = re.findall(r"best=([0-9.]+)", err)
    assert best and float(best[-1]) == pytest.approx(search.best_score_, abs=5e-4)
    assert re.search(r"<\d\d:\d\d", err)  # the ETA column


def test_no_eta_from_the_first_results_alone():
    # the first result also pays for starting workers: an ETA from it says nothing
    bar = SearchProgress(40, desc="x")
    shown = []
    for _ in range(5):
        bar.update(1)
        shown.append(str(bar))
    bar.close()
    assert bar.eta_after == 4  # 3 results, and a tenth of the total
    assert all("<?" in s and "trial/s" not in s for s in shown[:3])
    assert re.search(r"<\d\d:\d\d, +[0-9.]+trial/s", shown[3]), shown[3]
    assert SearchProgress(2, disable=True).eta_after == 2  # a short search: at its end
    assert SearchProgress(None, disable=True).eta_after is None  # no total: no ETA ever


def test_verbose_zero_is_silent(capsys):
    _bayes(verbose=0).fit(X, y)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_search_progress_object():
    assert make_progress(0, 10) is None
    bar = SearchProgress(3, desc="x", disable=True)
    for s in (0.2, 0.5):
        bar.update(1)
        bar.set_postfix(best=f"{s:.3f}")
    assert bar.n == 2 and bar.best == pytest.approx(0.5)
    bar.close()


# -- scikit-learn callbacks ---------------------------------------------------------------------
class Recorder:
    """A FitCallback that records every hook (setup, begin, end, teardown)."""

    def __init__(self, stop_after=None):
        self.events = []
        self.stop_after = stop_after
        self._leaves = 0

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__))

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__))

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name, context.estimator_name))

    def on_fit_task_end(self, estimator, context):
        self.events.append(("end", context.task_name, context.estimator_name))
        if context.task_name == "candidate-split-evaluation":
            self._leaves += 1
            return self.stop_after is not None and self._leaves >= self.stop_after
        return False


class PropagatedRecorder(Recorder):
    """Auto-propagated: also set on the sub-estimators (the refitted best estimator)."""

    max_propagation_depth = None


def test_no_set_callbacks_before_sklearn_1_9():
    if _compat.HAS_SKLEARN_CALLBACKS:
        assert hasattr(_bayes(), "set_callbacks")
    else:
        assert not hasattr(_bayes(), "set_callbacks")
        _bayes().fit(X, y)  # and fitting is unaffected


@needs_callbacks
def test_hooks_follow_gridsearchcv_task_tree():
    rec = Recorder()
    search = _bayes(n_iter=3).set_callbacks(rec)
    assert search.fit(X, y) is search
    names = [e[1] for e in rec.events]
    assert rec.events[0] == ("setup", "BayesSearchCV")
    assert rec.events[-1] == ("teardown", "BayesSearchCV")
    assert rec.events[1] == ("begin", "fit", "BayesSearchCV")
    assert rec.events[-2] == ("end", "fit", "BayesSearchCV")
    # one leaf per (trial, fold), each begun and ended
    leaves = [e for e in rec.events if e[1] == "candidate-split-evaluation"]
    assert len(leaves) == 2 * 3 * search.n_splits_
    assert names.index("search") < names.index("candidate-split-evaluation")
    assert names.index("refit-with-best-params") > max(
        i for i, n in enumerate(names) if n == "candidate-split-evaluation")
    # the same tasks as GridSearchCV's
    grid_rec = Recorder()
    GridSearchCV(SVC(), {"C": [0.1, 1.0]}, cv=2).set_callbacks(grid_rec).fit(X, y)
    assert {e[1] for e in grid_rec.events if e[0] == "begin"} == {
        e[1] for e in rec.events if e[0] == "begin"}
    # nothing left behind: the search pickles, clones keep the callbacks
    assert not hasattr(search, "_callback_hooks")
    pickle.loads(pickle.dumps(search))
    assert clone(search)._skl_callbacks == [rec]


@needs_callbacks
@pytest.mark.filterwarnings("ignore:The estimator SVC does not support callbacks")
def test_refit_propagates_auto_propagated_callbacks():
    rec = PropagatedRecorder()
    _bayes(_pipeline(), n_iter=2, param="svc__C").set_callbacks(rec).fit(X, y)
    # Pipeline supports callbacks: its own fit is seen, merged into the refit task
    assert any(e[0] == "begin" and e[2] == "Pipeline" for e in rec.events)
    assert rec.events.count(("setup", "BayesSearchCV")) == 1


@needs_callbacks
def test_callback_can_stop_the_search():
    rec = Recorder(stop_after=2)
    search = _bayes(n_iter=6).set_callbacks(rec).fit(X, y)
    assert len(search.cv_results_["params"]) < 6
    assert hasattr(search, "best_estimator_")


@needs_callbacks
def test_hooks_with_hyperband_unknown_or_known_total():
    rec = Recorder()
    search = HyperbandSearchCV(
        SGDClassifier(loss="log_loss", random_state=0), {"alpha": Real(1e-5, 1e-1, log=True)},
        max_resources=9, min_resources=1, factor=3, cv=2, random_state=0, n_brackets=1,
    ).set_callbacks(rec).fit(X, y)
    leaves = [e for e in rec.events if e[0] == "end" and e[1] == "candidate-split-evaluation"]
    assert len(leaves) == len(search.cv_results_["params"]) * search.n_splits_


@needs_callbacks
def test_sklearn_progressbar_on_sktune_search(capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    search = _bayes(_pipeline(), n_iter=3, param="svc__C", n_jobs=2)
    search.set_callbacks(ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "BayesSearchCV - fit" in out and "BayesSearchCV - search" in out
    # the refit's estimator supports callbacks: its bar is nested under the refit task
    assert "refit-with-best-params | Pipeline - fit" in out
    assert "100%" in out and not re.search(r"\b[0-9]{1,2}%", out)
    assert np.isfinite(search.best_score_)
