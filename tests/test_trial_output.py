"""What the trials print: expected warnings of partial training are summarised in one
line per search, nets' epoch tables stay out of the trials, the user's filters rule."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sktune import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV, Real

X, y = load_digits(return_X_y=True)
X, y = X[:300] / 16, y[:300]
SUMMARY = "trained to less than the full budget"


def hyperband(**kwargs):
    # an iteration budget: rungs at max_iter 1, 3 and 9 stop lbfgs before it converges
    return HyperbandSearchCV(LogisticRegression(), {"C": Real(1e-2, 1e2, log=True)},
                             resource="max_iter", max_resources=9, min_resources=1, cv=2,
                             random_state=0, **kwargs)


def convergence(record):
    return [w for w in record if issubclass(w.category, ConvergenceWarning)]


def summaries(record):
    return [w for w in convergence(record) if SUMMARY in str(w.message)]


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_partial_training_warnings_are_one_line_per_search(n_jobs, recwarn):
    warnings.simplefilter("always")  # every warning raised is shown (recwarn restores)
    before_filters, before_show = list(warnings.filters), warnings.showwarning
    search = hyperband(n_jobs=n_jobs).fit(X, y)
    got = convergence(recwarn.list)
    summary = summaries(recwarn.list)
    assert len(summary) == 1
    text = str(summary[0].message)
    n = int(text.split("HyperbandSearchCV: ")[1].split()[0])
    partial = np.asarray(search.cv_results_["n_resources"]) < 9
    assert n >= partial.sum()  # at least one per partial result (one fold each, or more)
    assert "lbfgs failed to converge" in text and "\n" not in text
    assert summary[0].filename == __file__  # it points at the user's line
    # no single warning of a partial rung is left; those at the full budget are shown
    for w in got:
        if w is not summary[0]:
            # (scikit-learn < 1.6 does not say how many iterations ran)
            msg = str(w.message)
            assert "after 9 iteration" in msg or "after " not in msg, msg
    # the warnings machinery is as it was
    assert warnings.filters == before_filters and warnings.showwarning is before_show
    with pytest.warns(UserWarning, match="still shown"):
        warnings.warn("still shown", stacklevel=1)


def test_the_users_filters_rule_the_summary(recwarn):
    warnings.simplefilter("always")
    hyperband().fit(X, y)
    assert len(summaries(recwarn.list)) == 1
    recwarn.clear()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    hyperband().fit(X, y)
    assert convergence(recwarn.list) == []  # hidden, the summary too


def test_threads_show_the_warnings_as_usual(recwarn):
    from joblib import parallel_config

    warnings.simplefilter("always")
    with parallel_config(backend="threading"):
        hyperband(n_jobs=2).fit(X, y)
    got = convergence(recwarn.list)
    # catch_warnings is process-wide: a thread's warnings are not collected, but shown
    assert any("after 1 iteration" in str(w.message) or "after " not in str(w.message)
               for w in got) and not summaries(got)
    recwarn.clear()
    hyperband(n_jobs=None).fit(X, y)  # in the main thread: summarised
    assert len(summaries(recwarn.list)) == 1


def test_full_training_warnings_are_not_summarised(recwarn):
    warnings.simplefilter("always")
    BayesSearchCV(LogisticRegression(max_iter=2), {"C": Real(1e-2, 1e2, log=True)}, n_iter=3,
                  n_initial_points=2, cv=2, random_state=0).fit(X, y)
    got = convergence(recwarn.list)
    assert len(got) >= 3 and not summaries(got)  # every fit trains fully: shown as usual
    recwarn.clear()
    hyperband().fit(X, y)
    assert len(summaries(recwarn.list)) == 1


def test_pbt_steps_before_the_last_are_partial(recwarn):
    warnings.simplefilter("always")
    PopulationSearchCV(LogisticRegression(), {"C": Real(1e-2, 1e2, log=True)},
                       resource="max_iter", mutable_params=["C"], population_size=2,
                       max_resources=4, perturbation_interval=2, cv=2, random_state=0).fit(X, y)
    summary = summaries(recwarn.list)
    assert len(summary) == 1 and "PopulationSearchCV" in str(summary[0].message)


# -- skorch nets -------------------------------------------------------------------------------
def _net(verbose):
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")

    class MLP(torch.nn.Module):
        def __init__(self, width=16):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(),
                                           torch.nn.Linear(width, 10))

        def forward(self, X):
            return self.net(X)

    return skorch.NeuralNetClassifier(MLP, criterion=torch.nn.CrossEntropyLoss, max_epochs=2,
                                      lr=0.1, train_split=None, verbose=verbose)


def _xy():
    return X.astype(np.float32), y.astype(np.int64)


def test_nets_print_no_epoch_table_inside_trials_but_in_the_refit(capsys):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    Xf, yf = _xy()
    for estimator in (_net(1), make_pipeline(FunctionTransformer(), _net(1))):
        search = BayesSearchCV(estimator, {"lr" if hasattr(estimator, "module") else
                                           "neuralnetclassifier__lr": Real(1e-2, 0.3, log=True)},
                               n_iter=2, n_initial_points=2, cv=2, random_state=0).fit(Xf, yf)
        out = capsys.readouterr().out
        assert out.count("train_loss") == 1  # one epoch table: the refit's
        assert search.best_estimator_.get_params()["verbose" if hasattr(estimator, "module")
                                                  else "neuralnetclassifier__verbose"] == 1
    assert estimator.get_params()["neuralnetclassifier__verbose"] == 1  # not changed in place
    # verbose=10 (scikit-learn's most detailed level) keeps the nets' output in trials
    HyperbandSearchCV(_net(1), {"lr": Real(1e-2, 0.3, log=True)}, max_resources=2,
                      min_resources=1, cv=2, random_state=0, verbose=10).fit(Xf, yf)
    assert capsys.readouterr().out.count("train_loss") > 1
