"""HyperbandSearchCV: bracket plan, promotion rules, continuation across rungs, and the
scikit-learn contract with each kind of resource."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier, HistGradientBoostingClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sktune import Categorical, HyperbandSearchCV, Integer, Real
from sktune.proposers import BudgetProposer
from sktune.proposers.base import params_key
from sktune.resources import Epochs, PartialFitPasses, Resource, SampleCount, WarmStart
from sktune.schedulers import ASHAScheduler, HyperbandScheduler, hyperband_plan
from sktune.schedulers.base import TrialResult
from sktune.space import SearchSpace

X, y = make_classification(n_samples=200, n_features=8, n_informative=5, random_state=0)
X = X.astype(np.float32)
ALPHA = {"alpha": Real(1e-6, 1e-1, log=True)}


class CountingSGD(SGDClassifier):
    """A real SGDClassifier counting every partial_fit call (all instances together)."""

    calls = 0

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        CountingSGD.calls += 1
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)


class CountingScaler(StandardScaler):
    fits = 0

    def fit(self, X, y=None, sample_weight=None):
        CountingScaler.fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


class CountingTree(DecisionTreeClassifier):
    grown = 0

    def fit(self, X, y, sample_weight=None, check_input=True):
        CountingTree.grown += 1
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models: OpenMP/BLAS threads only add overhead (and stall on a busy machine)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def _increments(search):
    """Budget trained per fold by each row: the rung minus the rung before it (if continued)."""
    res = search.cv_results_
    prev, out = {}, []
    for tid, r in zip(res["trial_id"], res["n_resources"]):
        start = prev.get(tid, 0) if search.resource_.continues else 0
        out.append(r - start)
        prev[tid] = r
    return np.array(out)


# -- the bracket plan ----------------------------------------------------------------------------


def test_plan_is_the_papers_table():
    # Li et al. (2018), Table 1: R=81, eta=3
    plan = hyperband_plan(1, 81, 3)
    assert [b["bracket"] for b in plan] == [4, 3, 2, 1, 0]
    assert [b["n_candidates"] for b in plan] == [
        [81, 27, 9, 3, 1], [34, 11, 3, 1], [15, 5, 1], [8, 2], [5]]
    assert [b["n_resources"] for b in plan] == [
        [1, 3, 9, 27, 81], [3, 9, 27, 81], [9, 27, 81], [27, 81], [81]]


def test_plan_other_ratios():
    plan = hyperband_plan(2, 20, 2)  # ratio 10: s_max = 3
    assert len(plan) == 4 and plan[0]["n_resources"][-1] == 20
    assert plan[0]["n_resources"] == [2, 5, 10, 20] and plan[0]["n_candidates"] == [8, 4, 2, 1]
    assert hyperband_plan(5, 5, 3) == [{"bracket": 0, "n_candidates": [1], "n_resources": [5]}]


# -- scheduler rules with synthetic results -----------------------------------------------------------


def _result(work, score, failed=False):
    return TrialResult(work=work, test_scores={"score": np.array([score])}, train_scores={},
                       fit_times=np.zeros(1), score_times=np.zeros(1),
                       errors=["boom" if failed else None], devices=[None],
                       score=np.nan if failed else score)


def _proposer():
    return BudgetProposer(SearchSpace(ALPHA), random_state=0)


def test_asha_promotion_rules():
    sched = ASHAScheduler(_proposer(), min_resources=1, max_resources=9, factor=3,
                          n_candidates=9)
    assert not sched.synchronous
    works = sched.next_work(2)  # nothing to promote: two new trials at rung 0
    assert [(w.trial_id, w.start, w.stop) for w in works] == [(0, 0, 1), (1, 0, 1)]
    assert works[0].info == {"iter": 0, "rung": 0, "n_resources": 1, "bracket": 2}
    sched.on_result(_result(works[0], 0.5))
    sched.on_result(_result(works[1], 0.9))
    # 2 results at rung 0: floor(2/3) = 0 can be promoted, so a new trial starts
    (w2,) = sched.next_work(1)
    assert (w2.trial_id, w2.stop) == (2, 1)
    sched.on_result(_result(w2, 0.7))
    # 3 results: the best (trial 1) is in the top third and is promoted at once,
    # continuing from budget 1 to 3
    (w3,) = sched.next_work(1)
    assert (w3.trial_id, w3.start, w3.stop, w3.info["rung"]) == (1, 1, 3, 1)
    assert sched.keep_models(1)  # its fold models are continued
    # trial 0 ranks 3rd of 3; with 9 trials at most, rung 0 may promote 3, so it may still be
    # promoted and its models are kept; a failed trial's are dropped
    assert sched.keep_models(0)
    (w4,) = sched.next_work(1)
    sched.on_result(_result(w4, np.nan, failed=True))
    assert not sched.keep_models(w4.trial_id)
    # the promoted trial finishes rung 1; rung 1 has 1 result: nothing to promote from it
    sched.on_result(_result(w3, 0.95))
    (w5,) = sched.next_work(1)
    assert w5.info["rung"] == 0 and w5.trial_id == 4
    sched.on_result(_result(w5, 0.2))
    # the failed trial is never promoted, however many results come in
    for _ in range(20):
        ws = sched.next_work(1)
        if not ws:
            break
        sched.on_result(_result(ws[0], 0.1 + 0.01 * ws[0].trial_id if ws[0].trial_id != 3
                                else 0.0))
    assert sched.is_finished()
    assert 1 not in sched.trials[3].scores
    state = sched.state()
    assert state["n_resources_"] == [1, 3, 9] and state["n_trials_"] == 9
    assert state["n_candidates_"][0] == 9
    # trial 1 (0.95 at rung 1, the best) reached the top rung
    assert 2 in sched.trials[1].scores


def test_asha_promotes_highest_rung_first():
    sched = ASHAScheduler(_proposer(), min_resources=1, max_resources=9, factor=3,
                          n_candidates=20)
    works = sched.next_work(9)
    for w in works:
        sched.on_result(_result(w, w.trial_id / 10))
    # rung 0 has 9 results: the top 3 (trials 8, 7, 6) may be promoted, best first
    ws = sched.next_work(3)
    assert [(w.trial_id, w.info["rung"]) for w in ws] == [(8, 1), (7, 1), (6, 1)]
    for w in ws:
        sched.on_result(_result(w, w.trial_id / 10))
    # rung 1 now has 3 results: its best goes to rung 2 before any rung-0 promotion
    (w,) = sched.next_work(1)
    assert (w.trial_id, w.info["rung"], w.start, w.stop) == (8, 2, 3, 9)
    # trials ranked below what the rung can ever promote have their models released
    assert not sched.keep_models(0)
    assert not sched.keep_models(8)  # at the top rung: nothing continues it


def test_synchronous_hyperband_rungs():
    sched = HyperbandScheduler(_proposer(), min_resources=1, max_resources=9, factor=3,
                               brackets=[0], continues=True)
    works = sched.next_work(100)
    assert len(works) == 9 and all(w.stop == 1 for w in works)
    assert sched.next_work(100) == []  # nothing more until the rung is complete
    for w in works[:-1]:
        sched.on_result(_result(w, w.trial_id / 10, failed=w.trial_id == 7))
    assert sched.next_work(100) == []
    sched.on_result(_result(works[-1], 0.0))
    promoted = sched.next_work(100)
    # top 3 of rung 0 (trial 7 failed, so 6, 5, 4), continued from budget 1 to 3
    assert [(w.trial_id, w.start, w.stop) for w in promoted] == [(6, 1, 3), (5, 1, 3), (4, 1, 3)]
    assert not sched.keep_models(7) and not sched.keep_models(0) and sched.keep_models(6)
    for w in promoted:
        sched.on_result(_result(w, 1 - w.trial_id / 10))
    (last,) = sched.next_work(100)
    assert (last.trial_id, last.start, last.stop) == (4, 3, 9)
    assert not sched.keep_models(4)  # top rung: its models are not needed afterwards
    sched.on_result(_result(last, 0.9))
    assert sched.is_finished()
    assert sched.level({"info": {"n_resources": 9}}) == 9
    assert sched.level({"info": {"n_resources": 3}}) == 3


def test_refitting_resource_starts_every_rung_at_zero():
    sched = HyperbandScheduler(_proposer(), min_resources=1, max_resources=3, factor=3,
                               brackets=[0], continues=False)
    works = sched.next_work(100)
    for w in works:
        sched.on_result(_result(w, w.trial_id))
    (w,) = sched.next_work(100)
    assert (w.start, w.stop) == (0, 3)
    assert not sched.keep_models(w.trial_id)


def test_bohb_proposer_uses_highest_budget_with_enough_data():
    space = SearchSpace({"a": Real(0, 1), "b": Real(0, 1)})
    prop = BudgetProposer(space, model="bayes", min_points=5, random_fraction=0.0,
                          random_state=0)
    assert prop.ask(1) and prop.model_budgets_ == [None]  # no data: random
    rng = np.random.default_rng(0)
    for p in space.sample(12, rng):
        prop.tell(p, -(p["a"] - 0.3) ** 2, budget=1)
    for p in space.sample(3, rng):
        prop.tell(p, -(p["a"] - 0.7) ** 2, budget=3)
    prop.ask(2)
    assert prop.model_budgets_[-2:] == [1, 1]  # budget 3 has too few results
    for p in space.sample(3, rng):
        prop.tell(p, -(p["a"] - 0.7) ** 2, budget=3)
    (p,) = prop.ask(1)
    assert prop.model_budgets_[-1] == 3
    assert abs(p["a"] - 0.7) < 0.35  # drawn towards the optimum at the highest budget


def test_bohb_waits_for_as_many_results_as_the_gp_has_features():
    space = SearchSpace({"a": Real(0, 1), "b": Integer(1, 9),
                         "c": Categorical(list("abcdef")), "d": Categorical([True, False])})
    assert BudgetProposer(space, model="bayes").min_points == 1 + 1 + 6 + 2 + 2
    assert BudgetProposer(SearchSpace({"a": Real(0, 1)}), model="bayes").min_points == 6
    # TPE's densities take a categorical as one dimension
    assert BudgetProposer(space, model="tpe").min_points == 4 + 2


def test_tpe_budget_proposer_draws_towards_the_optimum_at_the_highest_budget():
    space = SearchSpace({"a": Real(0, 1), "kind": Categorical(["x", "y", "z"])})
    prop = BudgetProposer(space, model="tpe", random_fraction=0.0, random_state=0)
    assert prop.min_points == 6
    rng = np.random.default_rng(0)
    for p in space.sample(20, rng):
        prop.tell(p, -(p["a"] - 0.2) ** 2, budget=1)
    for i, a in enumerate(np.linspace(0, 1, 12)):  # budget 3 has its optimum elsewhere
        kind = "z" if a > 0.6 else "xy"[i % 2]
        prop.tell({"a": a, "kind": kind}, -(a - 0.8) ** 2, budget=3)
    proposals = prop.ask(6)
    assert prop.model_budgets_[-6:] == [3] * 6
    assert np.median([p["a"] for p in proposals]) > 0.5
    assert sum(p["kind"] == "z" for p in proposals) >= 4


# -- continuation in real searches ----------------------------------------------------------------


def test_default_proposer_is_bohb_style_tpe():
    # chosen on held-out accuracy (docs: hyperband-defaults): the default search is the
    # TPE-proposed one, not plain Hyperband's random proposals
    def tried(**kw):
        search = HyperbandSearchCV(SGDClassifier(random_state=0), ALPHA, max_resources=9,
                                   factor=3, cv=2, random_state=0, **kw).fit(X, y)
        return [p["alpha"] for p in search.cv_results_["params"]]

    default = tried()
    assert default == tried(proposer="tpe")
    assert sorted(default) != sorted(tried(proposer="random"))


def test_partial_fit_passes_are_continued_not_repeated():
    CountingSGD.calls = 0
    CountingScaler.fits = 0
    search = HyperbandSearchCV(
        make_pipeline(CountingScaler(), CountingSGD(random_state=0)),
        {"countingsgd__alpha": Real(1e-6, 1e-1, log=True)},
        max_resources=9, cv=2, random_state=0, refit=False,
    ).fit(X, y)
    assert isinstance(search.resource_, PartialFitPasses)
    res = search.cv_results_
    increments = _increments(search)
    assert CountingSGD.calls == 2 * increments.sum() == 2 * search.resources_used_
    # far fewer than retraining every rung from scratch
    assert CountingSGD.calls < 2 * np.sum(res["n_resources"])
    assert np.any(res["n_resources"] > _increments(search))
    # the pipeline's scaler is fitted once per trial and fold, never per rung
    assert CountingScaler.fits == 2 * search.n_trials_
    assert search.n_trials_ == 9 + 5 + 3  # R=9, factor 3: brackets of 9, 5 and 3


def test_warm_start_trees_are_grown_once():
    CountingTree.grown = 0
    search = HyperbandSearchCV(
        BaggingClassifier(CountingTree(), random_state=0),
        {"estimator__max_depth": Integer(1, 6)},
        resource="n_estimators", max_resources=9, cv=2, random_state=0, refit=True,
    ).fit(X, y)
    assert isinstance(search.resource_, WarmStart)
    trees_search = 2 * _increments(search).sum()
    assert CountingTree.grown == trees_search + 9  # + the refit at max_resources
    assert search.best_estimator_.n_estimators == 9
    assert len(search.best_estimator_.estimators_) == 9


skorch = pytest.importorskip("skorch")
torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # tiny nets: extra threads only add overhead


class _Module(torch.nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(8, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2))

    def forward(self, X):
        return self.net(X)


class TrainingLog(skorch.callbacks.Callback):
    """Logs (net id, epochs so far, weights) at the start and end of every training call."""

    events: list = []

    def on_train_begin(self, net, **kwargs):
        TrainingLog.events.append(("begin", id(net), len(net.history),
                                   net.module_.net[0].weight.detach().clone()))

    def on_train_end(self, net, **kwargs):
        TrainingLog.events.append(("end", id(net), len(net.history),
                                   net.module_.net[0].weight.detach().clone()))

    def on_epoch_end(self, net, **kwargs):
        TrainingLog.events.append(("epoch", id(net), len(net.history), None))


def _net(**kw):
    return skorch.NeuralNetClassifier(
        _Module, max_epochs=9, lr=0.1, optimizer=torch.optim.SGD, optimizer__momentum=0.9,
        criterion=torch.nn.CrossEntropyLoss, batch_size=64, train_split=None, verbose=0,
        callbacks=[("log", TrainingLog())], **kw)


def test_skorch_epochs_continue_from_the_previous_rung():
    TrainingLog.events = []
    search = HyperbandSearchCV(
        _net(), {"lr": Real(1e-3, 0.5, log=True), "module__hidden": Integer(4, 16)},
        min_resources=1, max_resources=9, n_brackets=1, cv=2, random_state=0, refit=False,
    ).fit(X, y)
    assert isinstance(search.resource_, Epochs)
    events = TrainingLog.events
    epochs = sum(1 for e in events if e[0] == "epoch")
    increments = _increments(search)
    assert epochs == 2 * increments.sum() == 2 * (9 * 1 + 3 * 2 + 1 * 6)
    assert epochs < 2 * np.sum(search.cv_results_["n_resources"])  # not 2 * (9 + 9 + 9)
    # every continued call starts from exactly the weights its net ended the last rung with
    last_end = {}
    n_continued = 0
    for kind, net_id, n_epochs, w in events:
        if kind == "end":
            last_end[net_id] = (n_epochs, w)
        elif kind == "begin" and net_id in last_end:
            prev_epochs, prev_w = last_end[net_id]
            assert n_epochs == prev_epochs and torch.equal(w, prev_w)
            n_continued += 1
    assert n_continued == 2 * (3 + 1)  # 3 promotions to rung 1, 1 to rung 2, per fold
    # the promoted rows report the budget they reached
    res = search.cv_results_
    assert sorted(set(res["n_resources"])) == [1, 3, 9]


def test_skorch_search_refit_and_predict():
    search = HyperbandSearchCV(
        make_pipeline(StandardScaler(), _net()), {"neuralnetclassifier__lr": Real(1e-2, 0.5)},
        max_resources=4, factor=2, n_brackets=1, cv=2, random_state=0,
    ).fit(X, y)
    assert search.bracket_plan_ == [{"bracket": 2, "n_candidates": [4, 2, 1],
                                     "n_resources": [1, 2, 4]}]
    assert len(search.best_estimator_[-1].history) == 4  # refit at max_resources
    assert search.score(X, y) > 0.7
    assert search.predict_proba(X).shape == (len(y), 2)


# -- the scikit-learn contract with each resource kind ------------------------------------------------


@pytest.mark.parametrize("estimator, space, resource, kind, top", [
    (SGDClassifier(random_state=0), ALPHA, "auto", PartialFitPasses, 9),
    (HistGradientBoostingClassifier(early_stopping=False, random_state=0),
     {"learning_rate": Real(0.05, 0.5)}, "auto", WarmStart, 9),
    (make_pipeline(StandardScaler(), SVC()), {"svc__C": Real(0.1, 10, log=True)}, "auto",
     SampleCount, None),
    (SGDClassifier(tol=None, random_state=0), ALPHA, "max_iter", None, 9),
])
def test_sklearn_contract(estimator, space, resource, kind, top):
    pd = pytest.importorskip("pandas")
    max_resources = "auto" if kind is SampleCount else 9
    search = HyperbandSearchCV(
        estimator, space, resource=resource, max_resources=max_resources, cv=3,
        scoring=["accuracy", "roc_auc"], refit="roc_auc", return_train_score=True,
        random_state=0,
    ).fit(X, y)
    if kind is not None:
        assert isinstance(search.resource_, kind)
    else:
        assert not search.resource_.continues and search.resource_.name == "max_iter"
    res = search.cv_results_
    n = len(res["params"])
    for key in ["params", "mean_test_roc_auc", "rank_test_accuracy", "split2_test_roc_auc",
                "mean_train_accuracy", "mean_fit_time", "trial_id", "iter", "rung",
                "n_resources", "bracket", "status"]:
        assert len(res[key]) == n, key
    assert pd.DataFrame(res).shape[0] == n
    top_budget = max(res["n_resources"])
    assert search.n_resources_[-1] == top_budget == search.max_resources_
    assert res["n_resources"][search.best_index_] == top_budget
    at_top = res["mean_test_roc_auc"][res["n_resources"] == top_budget]
    assert search.best_score_ == pytest.approx(at_top.max())
    assert search.best_params_ == res["params"][search.best_index_]
    assert search.n_iterations_ == len(search.n_resources_)
    assert sum(search.n_candidates_) == n
    np.testing.assert_array_equal(search.classes_, [0, 1])
    assert search.n_features_in_ == 8
    assert search.predict(X).shape == y.shape
    assert 0.5 < search.score(X, y) <= 1  # roc_auc, the refit metric
    if top is not None:  # the refit trained the best configuration at max_resources
        final = search.best_estimator_
        passes = (final.t_ - 1) / len(y) if kind is PartialFitPasses else final.n_iter_
        assert passes == top


def test_refit_false_and_callable_and_asynchronous_threads():
    search = HyperbandSearchCV(SGDClassifier(random_state=0), ALPHA, max_resources=9, cv=2,
                               refit=False, random_state=0).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    assert not hasattr(search, "predict")  # as GridSearchCV (available_if)
    with pytest.raises(AttributeError, match="no attribute 'predict'|refit=False") as info:
        search.predict(X)
    assert "refit=False" in str(info.value) + str(info.value.__cause__)  # sklearn 1.4: no cause
    with joblib.parallel_config(backend="threading"):
        asha = HyperbandSearchCV(SGDClassifier(random_state=0), ALPHA, max_resources=9, cv=2,
                                 asynchronous=True, n_jobs=2, random_state=0).fit(X, y)
    assert asha.n_trials_ == 9 and asha.n_resources_ == [1, 3, 9]
    assert asha.busy_time_ > 0 and asha.search_time_ > 0
    assert asha.bracket_plan_ == [{"bracket": 2, "n_candidates": [9, 3, 1],
                                   "n_resources": [1, 3, 9]}]


def test_synchronous_results_do_not_depend_on_workers():
    kw = dict(max_resources=9, cv=2, random_state=1)
    one = HyperbandSearchCV(SGDClassifier(), ALPHA, **kw).fit(X, y)
    with joblib.parallel_config(backend="threading"):
        two = HyperbandSearchCV(SGDClassifier(), ALPHA, n_jobs=2, **kw).fit(X, y)
    np.testing.assert_allclose(one.cv_results_["mean_test_score"],
                               two.cv_results_["mean_test_score"])
    assert one.best_params_ == two.best_params_


def test_bayes_proposer_search():
    search = HyperbandSearchCV(
        SGDClassifier(random_state=0), {"alpha": Real(1e-6, 1.0, log=True),
                                        "eta0": Real(1e-3, 1.0, log=True)},
        max_resources=9, min_resources=1, n_brackets=4, proposer="bayes", cv=2,
        random_state=0,
    ).fit(X, y)
    assert search.n_trials_ == 9 + 5 + 3 + 9  # the table, then its first bracket again
    assert search.best_score_ > 0.75


def test_tpe_proposer_search():
    search = HyperbandSearchCV(
        SGDClassifier(random_state=0), {"alpha": Real(1e-6, 1.0, log=True),
                                        "eta0": Real(1e-3, 1.0, log=True),
                                        "learning_rate": ["constant", "invscaling"]},
        max_resources=9, min_resources=1, n_brackets=4, proposer="tpe", cv=2,
        random_state=0,
    ).fit(X, y)
    assert search.n_trials_ == 9 + 5 + 3 + 9
    assert search.best_score_ > 0.75
    # later brackets are proposed by the model: not the configurations random proposals give
    plain = HyperbandSearchCV(
        SGDClassifier(random_state=0), search.param_distributions, max_resources=9,
        min_resources=1, n_brackets=4, cv=2, random_state=0, proposer="random").fit(X, y)
    assert search.cv_results_["params"][-1] != plain.cv_results_["params"][-1]


def test_validation_messages():
    est = SGDClassifier()
    with pytest.raises(ValueError, match=r"The 'factor' parameter of HyperbandSearchCV must "
                       r"be an int in the range \[2, inf\). Got 1 instead."):
        HyperbandSearchCV(est, ALPHA, factor=1).fit(X, y)
    with pytest.raises(ValueError, match="'proposer' parameter"):
        HyperbandSearchCV(est, ALPHA, proposer="gp").fit(X, y)
    with pytest.raises(ValueError, match="must not exceed"):
        HyperbandSearchCV(est, ALPHA, min_resources=10, max_resources=9).fit(X, y)
    with pytest.raises(ValueError, match="cannot also be searched"):
        HyperbandSearchCV(est, {"max_iter": Integer(1, 5)}, resource="max_iter").fit(X, y)
    with pytest.raises(ValueError, match="'resource' parameter"):
        HyperbandSearchCV(est, ALPHA, resource="bogus").fit(X, y)
    with pytest.raises(ValueError, match="max_resources='auto'"):
        HyperbandSearchCV(est, ALPHA, resource=_Custom()).fit(X, y)


class _Custom(Resource):
    """A user resource: the search cannot guess its budget."""

    name = "custom"
    continues = True


def test_journal_replays_a_finished_search(tmp_path):
    path = tmp_path / "hb.jsonl"
    kw = dict(max_resources=9, cv=2, random_state=0, journal=str(path))
    first = HyperbandSearchCV(SGDClassifier(), ALPHA, **kw).fit(X, y)
    again = HyperbandSearchCV(SGDClassifier(), ALPHA, **kw).fit(X, y)
    assert again.n_replayed_jobs_ == 2 * len(first.cv_results_["params"])
    np.testing.assert_allclose(first.cv_results_["mean_test_score"],
                               again.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(first.cv_results_["n_resources"],
                                  again.cv_results_["n_resources"])
    assert first.best_params_ == again.best_params_


# -- fold models past the memory budget go to disk -------------------------------------------------


def test_model_store_spills_the_oldest_models_and_reads_them_back(tmp_path, monkeypatch):
    import tempfile

    from sktune._evaluate import PackedModel
    from sktune._models import ModelStore

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fitted = [SGDClassifier(alpha=a, random_state=0).fit(X, y) for a in (1e-4, 1e-3)]
    packed = [PackedModel(m) for m in fitted]
    size = len(packed[0].blob)
    store = ModelStore(max_bytes=int(2.5 * size))
    store.put(0, packed[:1])
    store.put(1, packed)
    assert store.n_spilled == 1 and store.bytes_in_memory == 2 * size  # trial 0 went to disk
    back = store.get(0)[0].unpack()
    np.testing.assert_array_equal(back.coef_, fitted[0].coef_)
    assert [f.name for f in tmp_path.glob("sktune-models-*/*")] != []
    store.drop(0)
    assert list(tmp_path.glob("sktune-models-*/*")) == []
    store.close()
    assert list(tmp_path.iterdir()) == [] and store.get(1) is None


def test_spilled_fold_models_continue_like_models_in_memory(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    kw = dict(max_resources=9, cv=2, random_state=0, refit=False, n_jobs=2)
    in_memory = HyperbandSearchCV(SGDClassifier(), ALPHA, max_model_memory=None, **kw).fit(X, y)
    on_disk = HyperbandSearchCV(SGDClassifier(), ALPHA, max_model_memory=0, **kw).fit(X, y)
    assert in_memory.n_models_spilled_ == 0
    # every kept fold model went to disk (and came back for its next rung)
    assert on_disk.n_models_spilled_ >= 2 * (9 + 5)
    np.testing.assert_array_equal(in_memory.cv_results_["mean_test_score"],
                                  on_disk.cv_results_["mean_test_score"])
    assert in_memory.resources_used_ == on_disk.resources_used_
    assert list(tmp_path.glob("sktune-models-*")) == []  # the spill folder is removed


@pytest.mark.parametrize("value, n_bytes", [
    ("2GB", 2 * 2**30), ("500MB", 500 * 2**20), ("2GiB", 2 * 2**30), ("1.5G", 3 * 2**29),
    ("100", 100), (" 64 kb ", 64 * 2**10), (0, 0), (10**9, 10**9), (None, None)])
def test_max_model_memory_accepts_sizes(value, n_bytes):
    from sktune._models import parse_size

    assert parse_size(value) == n_bytes
    search = HyperbandSearchCV(SGDClassifier(), ALPHA, max_model_memory=value, max_resources=3,
                               cv=2, refit=False, random_state=0).fit(X, y)
    # models trained in this process (n_jobs=1) are live objects: they always stay in memory
    assert search.n_models_spilled_ == 0
    assert search.n_trials_ == 3 + 2 and np.isfinite(search.best_score_)


def test_max_model_memory_rejects_nonsense_before_training():
    with pytest.raises(ValueError, match=r"The 'max_model_memory' parameter of HyperbandSearchCV "
                       r"must be None, an int .* or a size such as \"500MB\""):
        HyperbandSearchCV(SGDClassifier(), ALPHA, max_model_memory="lots").fit(X, y)


@pytest.mark.parametrize("model", ["bayes", "tpe"])
def test_budget_models_do_not_repropose_configurations_tried_at_other_budgets(model):
    # a small discrete space: a budget's model only knows its own budget's results
    space = SearchSpace({"a": Integer(0, 9), "kind": Categorical(["x", "y"])})
    for seed in range(5):
        prop = BudgetProposer(space, model=model, min_points=6, random_fraction=0.0,
                              random_state=seed)
        tried = prop.ask(12)
        for p in tried:
            prop.tell(p, -abs(p["a"] - 4), budget=1)
        for p in sorted(tried, key=lambda p: abs(p["a"] - 4))[:6]:
            prop.tell(p, -abs(p["a"] - 4), budget=3)
        keys = {params_key(p) for p in tried}
        for p in prop.ask(4):
            assert params_key(p) not in keys
            keys.add(params_key(p))
