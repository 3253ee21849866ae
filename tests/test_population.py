"""PopulationSearchCV: real population based training on real (tiny) models."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktune import Categorical, Integer, PopulationSearchCV, Real, SearchSpace
from sktune._compat import SKLEARN_VERSION
from sktune.resources import Epochs
from sktune.schedulers.base import TrialResult
from sktune.schedulers.pbt import PBTScheduler

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")
from skorch import NeuralNetClassifier  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

X, y = make_classification(n_samples=160, n_features=8, n_informative=5, random_state=0)
X = X.astype(np.float32)
y = y.astype(np.int64)


class MLP(torch.nn.Module):
    def __init__(self, num_units=8):
        super().__init__()
        self.seq = torch.nn.Sequential(
            torch.nn.Linear(8, num_units), torch.nn.ReLU(), torch.nn.Linear(num_units, 2)
        )

    def forward(self, X):
        return torch.softmax(self.seq(X), dim=-1)


class RecordLR(Callback):
    """Store the learning rate the optimizer really used in each epoch."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("lr_used", net.optimizer_.param_groups[0]["lr"])


def make_net(**kw):
    params = dict(
        module=MLP, max_epochs=6, lr=0.05, optimizer=torch.optim.SGD,
        optimizer__momentum=0.9, batch_size=32, train_split=None, verbose=0,
        callbacks=[("record_lr", RecordLR())],
    )
    params.update(kw)
    return NeuralNetClassifier(**params)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Nets this small train fastest on one thread (and 2 cores are shared by the suite)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


NET_SPACE = {"lr": Real(1e-3, 0.5, log=True), "module__num_units": Integer(4, 12)}
SGD_SPACE = {"eta0": Real(1e-4, 1e-1, log=True), "alpha": Real(1e-6, 1e-2, log=True)}


class RecordingEpochs(Epochs):
    """Epochs that snapshot the fold model before and after every call."""

    def __init__(self):
        self.calls = []

    def advance(self, estimator, X, y, **kw):
        before = _snapshot(estimator)
        estimator = super().advance(estimator, X, y, **kw)
        self.calls.append((kw["start"], kw["stop"], before, _snapshot(estimator)))
        return estimator


def _snapshot(net):
    if not getattr(net, "initialized_", False):
        return None
    return {
        "module": copy.deepcopy(net.module_.state_dict()),
        "optimizer": copy.deepcopy(net.optimizer_.state_dict()),
    }


def _same_tensors(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_tensors(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_tensors(u, v) for u, v in zip(a, b))
    if torch.is_tensor(a):
        return torch.equal(a, b)
    return a == b


def _net_search(**kw):
    params = dict(
        population_size=4, max_resources=6, perturbation_interval=2, cv=2, random_state=0,
        n_jobs=1,
    )
    params.update(kw)
    return PopulationSearchCV(make_net(), NET_SPACE, **params)


@pytest.fixture(scope="module")
def net_search():
    resource = RecordingEpochs()
    search = _net_search(resource=resource, quantile_fraction=0.5)
    search.fit(X, y)
    return search, resource


def test_exploit_copies_all_fold_models_with_optimizer_state(net_search):
    search, resource = net_search
    assert search.mode_ == "pbt" and search.mutable_params_ == ["lr"]
    assert search.lineage_, "with half the population exploiting, some member must exploit"
    n_splits = search.n_splits_
    # inline execution: calls come in trial order, folds in order
    calls = {(i // n_splits, i % n_splits): c for i, c in enumerate(resource.calls)}
    for event in search.lineage_:
        for k in range(n_splits):
            start, _, before, _ = calls[(event["trial_id"], k)]
            _, src_stop, _, src_after = calls[(event["source_trial_id"], k)]
            assert start == src_stop == event["n_resources"]
            assert _same_tensors(before["module"], src_after["module"])
            # momentum buffers copied; only the explored learning rate differs
            assert _same_tensors(before["optimizer"]["state"], src_after["optimizer"]["state"])
            assert before["optimizer"]["state"], "SGD with momentum has a state to copy"
            lr = before["optimizer"]["param_groups"][0]["lr"]
            assert lr == pytest.approx(event["params_after"]["lr"])


def test_continuing_members_never_restart(net_search):
    search, resource = net_search
    n_splits = search.n_splits_
    calls = {(i // n_splits, i % n_splits): c for i, c in enumerate(resource.calls)}
    res = search.cv_results_
    copied = {e["trial_id"] for e in search.lineage_}
    for t in res["trial_id"]:
        start, stop, before, _ = calls[(t, 0)]
        assert (before is None) == (start == 0)
        if start > 0 and t not in copied:  # continues its own previous step
            prev = max(u for u in res["trial_id"] if u < t and res["member_id"][u] ==
                       res["member_id"][t])
            assert _same_tensors(before["module"], calls[(prev, 0)][3]["module"])


def test_explore_changes_only_hot_params_within_range(net_search):
    search, _ = net_search
    space = SearchSpace(NET_SPACE)
    res = search.cv_results_
    for event in search.lineage_:
        copied, after = event["params_copied"], event["params_after"]
        prev = [i for i in range(len(res["params"])) if res["member_id"][i] == event["member_id"]
                and res["trial_id"][i] < event["trial_id"]][-1]
        assert event["params_before"] == res["params"][prev]
        assert after["module__num_units"] == copied["module__num_units"]  # comes with the weights
        assert after["lr"] != copied["lr"]
        assert space.subspaces[0].contains(after)
    for m in set(res["member_id"]):
        rows = np.flatnonzero(res["member_id"] == m)
        for a, b in zip(rows[:-1], rows[1:]):
            if res["parent_id"][b] == -1:  # no exploit: the member keeps its configuration
                assert res["params"][a] == res["params"][b]


def test_lineage_and_best_schedule_reconstruct(net_search):
    search, _ = net_search
    res = search.cv_results_
    rows = {int(t): i for i, t in enumerate(res["trial_id"])}
    sched = search.best_schedule_
    assert [s["start"] for s in sched] == [0, 2, 4] and [s["stop"] for s in sched] == [2, 4, 6]
    assert sched[-1]["trial_id"] == res["trial_id"][search.best_index_]
    assert search.best_params_ == sched[-1]["params"]
    copies = {e["trial_id"]: e for e in search.lineage_}
    for prev, step in zip(sched[:-1], sched[1:]):
        i = rows[step["trial_id"]]
        assert res["params"][i] == step["params"]
        assert res["n_resources"][i] == step["stop"]
        if step["trial_id"] in copies:  # the lineage jumps to the member it copied
            event = copies[step["trial_id"]]
            assert event["source_trial_id"] == prev["trial_id"]
            assert event["parent_id"] == prev["member_id"] == res["parent_id"][i]
        else:
            assert step["member_id"] == prev["member_id"]
    for event in search.lineage_:
        i = rows[event["trial_id"]]
        assert res["parent_id"][i] == event["parent_id"]
        assert res["member_id"][i] == event["member_id"]
        assert res["params"][rows[event["source_trial_id"]]] == event["params_copied"]
    # one row per (member, step); best chosen from the fully trained members
    assert len(res["trial_id"]) == 4 * 3
    assert sorted(zip(res["member_id"], res["step"])) == [(m, s) for m in range(4) for s in range(3)]
    assert res["n_resources"][search.best_index_] == 6
    assert set(res["mode"]) == {"pbt"}


def test_refit_replays_the_schedule(net_search):
    search, _ = net_search
    expected = [s["params"]["lr"] for s in search.best_schedule_ for _ in range(s["start"], s["stop"])]
    net = search.best_estimator_
    assert net.history[:, "lr_used"] == pytest.approx(expected)
    assert len(net.history) == 6
    assert net.module_.seq[0].out_features == search.best_params_["module__num_units"]
    assert search.score(X, y) > 0.5


def test_non_hot_mutable_param_is_an_error_before_training():
    calls = []

    class Counting(Epochs):
        def advance(self, *a, **kw):
            calls.append(1)
            return super().advance(*a, **kw)

    search = _net_search(mutable_params=["lr", "module__num_units"], resource=Counting())
    with pytest.raises(ValueError, match=r"module__num_units.*rebuild"):
        search.fit(X, y)
    assert not calls
    with pytest.raises(ValueError, match="not searched"):
        _net_search(mutable_params=["batch_size"]).fit(X, y)
    with pytest.raises(ValueError, match="nothing to explore"):
        PopulationSearchCV(make_net(), {"module__num_units": Integer(4, 12)}, cv=2).fit(X, y)


@pytest.mark.parametrize("param, value, match", [
    ("population_size", 1, "population_size"),
    ("quantile_fraction", 0.7, r"quantile_fraction.*\(0, 0.5\]"),
    ("perturbation_factors", (), "perturbation_factors"),
    ("perturbation_interval", 10, "must not exceed"),
])
def test_parameter_validation(param, value, match):
    search = PopulationSearchCV(SGDClassifier(), SGD_SPACE, max_resources=4, cv=2,
                                **{param: value})
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)


def _sgd_search(**kw):
    params = dict(population_size=4, max_resources=6, perturbation_interval=2, cv=2,
                  random_state=3)
    params.update(kw)
    return PopulationSearchCV(SGDClassifier(learning_rate="constant"), SGD_SPACE, **params)


def test_synchronous_runs_are_reproducible_whatever_n_jobs():
    a = _sgd_search(n_jobs=1).fit(X, y)
    b = _sgd_search(n_jobs=2).fit(X, y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    np.testing.assert_allclose(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    assert a.lineage_ == b.lineage_ and a.best_schedule_ == b.best_schedule_
    assert a.lineage_, "the run exploits"
    c = _sgd_search(n_jobs=1, random_state=4).fit(X, y)
    assert c.cv_results_["params"] != a.cv_results_["params"]


def test_members_spilled_to_disk_exploit_and_continue_as_in_memory():
    a = _sgd_search(n_jobs=2, max_model_memory=None).fit(X, y)
    b = _sgd_search(n_jobs=2, max_model_memory=0).fit(X, y)
    assert a.n_models_spilled_ == 0 and b.n_models_spilled_ > 0
    assert a.lineage_ == b.lineage_ and a.lineage_, "the run exploits"
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"],
                                  b.cv_results_["mean_test_score"])


def test_sgd_partial_fit_in_a_pipeline_with_multimetric_scoring():
    search = PopulationSearchCV(
        make_pipeline(StandardScaler(), SGDClassifier(learning_rate="constant")),
        {"sgdclassifier__eta0": Real(1e-4, 1e-1, log=True),
         "sgdclassifier__alpha": Real(1e-6, 1e-2, log=True)},
        population_size=4, max_resources=4, perturbation_interval=1, cv=2, random_state=0,
        scoring=["accuracy", "f1"], refit="f1", burn_in=2,
    ).fit(X, y)
    assert search.resource_.name == "partial_fit"
    res = search.cv_results_
    assert "mean_test_accuracy" in res and "rank_test_f1" in res
    assert search.best_score_ == res["mean_test_f1"][search.best_index_]
    # burn-in: nobody exploits before 2 passes
    assert all(e["n_resources"] >= 2 for e in search.lineage_)
    assert set(res["parent_id"][res["n_resources"] <= 2]) == {-1}
    assert search.best_estimator_[-1].eta0 == search.best_params_["sgdclassifier__eta0"]
    assert search.best_estimator_[-1].t_ > 1  # passes replayed on all data, in place
    with pytest.raises(ValueError, match="refit must be set to a scorer key"):
        _sgd_search(scoring=["accuracy", "f1"]).fit(X, y)


def test_evolutionary_mode_for_estimators_that_cannot_continue():
    search = PopulationSearchCV(
        SVC(), {"C": Real(1e-2, 1e2, log=True), "kernel": Categorical(["rbf", "linear"])},
        population_size=4, max_resources=3, cv=2, random_state=0,
    ).fit(X, y)
    assert search.mode_ == "evolutionary" and set(search.cv_results_["mode"]) == {"evolutionary"}
    assert search.mutable_params_ == ["C", "kernel"]  # everything may change: it refits
    assert len(search.cv_results_["params"]) == 4 * 3
    assert len(search.best_schedule_) == 1 and search.best_schedule_[0]["start"] == 0
    assert search.best_estimator_.C == search.best_params_["C"]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_asynchronous_mode_with_skorch_on_a_device(n_jobs):
    search = _net_search(synchronous=False, n_jobs=n_jobs, devices="cpu", random_state=1,
                         population_size=4, quantile_fraction=0.5)
    search.fit(X, y)
    res = search.cv_results_
    assert set(res["device"]) == {"cpu"}
    assert (res["status"] == "ok").all()
    # every member trains to the end; exploited members continue from the copy's budget
    final = res["n_resources"] == 6
    assert set(res["member_id"][final]) == set(range(4))
    sched = search.best_schedule_
    assert sched[0]["start"] == 0 and sched[-1]["stop"] == 6
    assert all(a["stop"] == b["start"] for a, b in zip(sched[:-1], sched[1:]))
    rows = {int(t): i for i, t in enumerate(res["trial_id"])}
    for e in search.lineage_:
        source = rows[e["source_trial_id"]]
        assert res["n_resources"][source] == e["n_resources"]
        assert res["n_resources"][rows[e["trial_id"]]] == e["n_resources"] + 2
    if n_jobs == 1:  # one member at a time: still the whole population advances together
        assert search.lineage_
        assert list(res["n_resources"][:4]) == [2, 2, 2, 2]


def _result(work, score):
    return TrialResult(work=work, test_scores={"score": np.array([score])}, train_scores={},
                       fit_times=np.zeros(1), score_times=np.zeros(1), errors=[None],
                       devices=[None], score=score)


def test_scheduler_exploit_and_explore_rules():
    space = SearchSpace({"lr": Real(0.01, 1.0, log=True), "units": Integer(1, 10)})
    init = [{"lr": 0.1 * (i + 1), "units": i + 1} for i in range(8)]
    sched = PBTScheduler(space, init, max_resources=40, perturbation_interval=2, mutable=["lr"],
                         quantile_fraction=0.25, resample_probability=0.0, random_state=0)
    assert sched.n_steps == 20 and sched.n_total == 160
    while not sched.is_finished():
        works = sched.next_work(10**9)
        assert len(works) == 8
        failed = works[0].info["step"] == 3  # member 0 fails once: it must exploit
        for w in works:
            m = w.info["member_id"]
            if failed and m == 0:
                res = _result(w, np.nan)
                res.errors = ["boom"]
            else:
                res = _result(w, float(m) + 0.01 * w.info["step"])  # higher member id is better
            sched.on_result(res)
        # only the latest (non final) models of each member are kept
        assert len(sched._keep) <= 8
    assert not sched._keep
    by_step = {}
    for e in sched.lineage:
        by_step.setdefault(e["step"], []).append(e)
        assert e["parent_id"] in (6, 7)  # copied from the top quantile only
        assert e["params_after"]["units"] == e["params_copied"]["units"]
        assert e["params_after"]["lr"] == pytest.approx(e["params_copied"]["lr"] * 0.8) or (
            e["params_after"]["lr"] == pytest.approx(min(e["params_copied"]["lr"] * 1.2, 1.0)))
    assert all(sorted(x["member_id"] for x in v) == [0, 1] for v in by_step.values())
    assert len(by_step) == 19  # after every step but the last


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_skorch_population_on_a_cuda_device():
    search = _net_search(devices="cuda:0", random_state=2, quantile_fraction=0.5).fit(X, y)
    res = search.cv_results_
    assert set(res["device"]) == {"cuda:0"} and (res["status"] == "ok").all()
    assert search.lineage_
    net = search.best_estimator_
    assert next(net.module_.parameters()).is_cuda
    expected = [s["params"]["lr"] for s in search.best_schedule_ for _ in range(s["start"], s["stop"])]
    assert net.history[:, "lr_used"] == pytest.approx(expected)


def test_journal_replays_a_finished_population(tmp_path):
    path = tmp_path / "pbt.jsonl"

    def stop_after(n):
        def callback(state):
            if state.n_trials == n:
                raise KeyboardInterrupt  # as Ctrl-C does
        return callback

    with pytest.warns(UserWarning, match="interrupted"):
        stopped = _sgd_search(journal=path, callbacks=stop_after(4)).fit(X, y)
    assert stopped.stop_reason_ == "interrupted"
    resumed = _sgd_search(journal=path).fit(X, y)  # models were lost: later steps retrain
    assert resumed.n_replayed_jobs_ >= 4 * 2
    assert len(resumed.cv_results_["params"]) == 4 * 3
    again = _sgd_search(journal=path).fit(X, y)
    assert again.n_replayed_jobs_ == 4 * 3 * 2 and again.busy_time_ == 0
    assert again.cv_results_["params"] == resumed.cv_results_["params"]
    assert again.lineage_ == resumed.lineage_ and again.best_schedule_ == resumed.best_schedule_


def test_auto_budget_is_the_estimators_own():
    search = PopulationSearchCV(SGDClassifier(max_iter=3, tol=None), SGD_SPACE, population_size=2,
                                cv=2, random_state=0).fit(X, y)
    assert (search.max_resources_, search.perturbation_interval_, search.n_steps_) == (3, 1, 3)
    assert search.resource_.continues and search.population_size_ == 2
    assert sorted(set(search.cv_results_["n_resources"])) == [1, 2, 3]


def test_perturb_moves_zero_and_clips_to_the_range():
    space = SearchSpace({"momentum": Real(0.0, 0.95), "lr": Real(1e-3, 1.0, log=True),
                         "units": Integer(1, 4), "act": Categorical(["relu", "tanh", "gelu"])})
    rng = np.random.default_rng(0)
    params = {"momentum": 0.0, "lr": 1.0, "units": 4, "act": "relu"}
    seen = set()
    for _ in range(50):
        new = space.perturb(params, rng, names={"momentum", "lr"}, resample_probability=0.0)
        assert new["units"] == 4 and new["act"] == "relu"  # only the named ones change
        assert new["lr"] in (pytest.approx(0.8), 1.0)  # 1.2 is clipped to the top
        seen.add(round(new["momentum"], 3))
    assert seen == {0.0, 0.19}  # 0 cannot be multiplied away: a step of 0.2 x the range
    moved = [space.perturb(params, rng, names={"units", "act"}, resample_probability=0.0)
             for _ in range(30)]
    assert {m["units"] for m in moved} == {3} and {m["act"] for m in moved} == {"tanh"}


def _checked_searches():
    common = dict(population_size=2, max_resources=2, perturbation_interval=1, cv=2,
                  random_state=0, error_score="raise")
    return [  # population based training (partial_fit) and the evolutionary mode (refits)
        PopulationSearchCV(SGDClassifier(random_state=0), {"alpha": Real(1e-5, 1e-2, log=True)},
                           **common),
        PopulationSearchCV(Ridge(), {"alpha": Real(0.1, 10.0, log=True)}, **common),
    ]


_EXPECTED = {  # as for scikit-learn's own searches
    "check_supervised_y_2d": "DataConversionWarning not caught (as for sklearn's searches)",
}
if SKLEARN_VERSION >= (1, 6):
    _checks = parametrize_with_checks(_checked_searches(), expected_failed_checks=lambda e: _EXPECTED)
else:
    _checks = parametrize_with_checks(_checked_searches())


@_checks
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_a_diverged_member_exploits_a_healthy_one():
    search = PopulationSearchCV(
        make_net(max_epochs=3), {"lr": Categorical([0.01, 0.05, np.inf])}, population_size=4,
        max_resources=3, perturbation_interval=1, cv=2, random_state=0, resample_probability=0.0,
    )
    with pytest.warns(FitFailedWarning, match="fits failed") as record:
        search.fit(X, y)
    assert not [w for w in record if "search space" in str(w.message)]  # duplicates are fine
    res = search.cv_results_
    failed = np.flatnonzero(res["status"] == "failed")
    assert len(failed) and "diverged" in res["error"][failed[0]]
    for i in failed:
        later = np.flatnonzero((res["member_id"] == res["member_id"][i]) & (res["trial_id"] >
                                                                           res["trial_id"][i]))
        if len(later):  # its next step starts from a copy: there is nothing of its own to continue
            assert res["parent_id"][later[0]] >= 0
    assert np.isfinite(search.best_score_) and np.isfinite(search.best_params_["lr"])
    assert res["status"][search.best_index_] == "ok"


def test_asynchronous_failed_member_waits_for_a_source():
    space = SearchSpace({"lr": Real(0.01, 1.0, log=True)})
    sched = PBTScheduler(space, [{"lr": 0.1}, {"lr": 0.2}, {"lr": 0.3}], max_resources=4,
                         perturbation_interval=2, mutable=["lr"], synchronous=False,
                         quantile_fraction=0.5, random_state=0)
    first = sched.next_work(2)  # two workers: members 0 and 1 start
    assert [w.info["member_id"] for w in first] == [0, 1]
    failed = _result(first[0], np.nan)
    failed.errors = ["boom"]
    sched.on_result(failed)
    assert [w.info["member_id"] for w in sched.next_work(1)] == [2]  # 0 waits: nothing to copy
    assert sched.next_work(1) == [] and not sched.members[0].dead
    sched.on_result(_result(first[1], 0.9))
    (work,) = sched.next_work(1)  # member 0 now copies member 1 (which keeps its models)
    assert work.info == {"member_id": 0, "parent_id": 1, "step": 1, "n_resources": 4,
                         "mode": "pbt"}
    assert work.source == first[1].trial_id and work.start == 2
    assert sched.keep_models(first[1].trial_id)
