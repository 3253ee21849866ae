"""Guesses on dimensions (``guess=``, piBO): where they change proposals, and where not."""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier

from sktune import BayesSearchCV, Categorical, HyperbandSearchCV, Integer, Real
from sktune._guess import FLOOR, agreement, decay
from sktune.proposers import GPProposer, RandomProposer, TPEProposer
from sktune.proposers.budget import BudgetProposer
from sktune.proposers.tpe import _Parzen
from sktune.space import Subspace

SPACE = {"x": Real(-2.0, 2.0), "lr": Real(1e-4, 1e-1, log=True), "k": Integer(1, 20),
         "kind": Categorical(["a", "b", "c"])}
GUESSED = {"x": Real(-2.0, 2.0, guess=(-1.5, 0.05)),
           "lr": Real(1e-4, 1e-1, log=True, guess=stats.loguniform(1e-2, 2e-2)),
           "k": Integer(1, 20, guess=stats.poisson(4)),
           "kind": Categorical(["a", "b", "c"], guess={"c": 0.9})}


def _score(p):
    return (-(p["x"] - 0.5) ** 2 - (math.log10(p["lr"]) + 2) ** 2 - 0.1 * abs(p["k"] - 7)
            - (p["kind"] != "b"))


def _run(proposer, n, budget=False):
    out = []
    for i in range(n):
        [p] = proposer.ask(1)
        out.append(p)
        if budget:
            proposer.tell(p, _score(p), budget=1 + i % 2)
        else:
            proposer.tell(p, _score(p))
    return out


def _digest(configs):
    rounded = [{k: float(f"{v:.6g}") if isinstance(v, float) else v for k, v in c.items()}
               for c in configs]
    return hashlib.sha256(json.dumps(rounded, sort_keys=True).encode()).hexdigest()[:16]


# -- without a guess: as before -----------------------------------------------------------------
# digests of the proposals of the code before guesses existed (commit fe6d8b5), per stack of
# numerical libraries (scipy's Sobol scrambling and numpy's samplers differ between them), floats
# to 6 significant digits (OpenBLAS kernels move a GP proposal by ~1e-8); "gp" recorded again
# when the GP's length-scale prior and early fresh starts changed (guesses untouched by that)
BEFORE = {
    "numpy=2.4.6 scipy=1.17.1": {"random": "ceb526030fe8ebab", "gp": "14e7f647fdfc1f2f",
                                 "tpe": "44f192b7162b8230", "budget_tpe": "a3ca386fbebef122"},
    "numpy=1.24.4 scipy=1.10.1": {"random": "c7e8b965dea9745b", "gp": "891f7445de135013",
                                  "tpe": "9d71019591bb3713", "budget_tpe": "9506d55181e29c9c"},
}


def _before(name):
    import scipy

    stack = f"numpy={np.__version__} scipy={scipy.__version__}"
    if stack not in BEFORE:
        pytest.skip(f"no digests of the code before guesses recorded for {stack}")
    return BEFORE[stack][name]


@pytest.mark.parametrize("name, make, n, budget", [
    ("random", lambda: RandomProposer(SPACE, random_state=0), 12, False),
    ("gp", lambda: GPProposer(SPACE, n_initial_points=5, random_state=0), 9, False),
    ("tpe", lambda: TPEProposer(SPACE, n_initial_points=5, random_state=0), 15, False),
    ("budget_tpe", lambda: BudgetProposer(SPACE, model="tpe", random_state=0), 20, True),
])
def test_without_a_guess_proposals_are_those_of_before(name, make, n, budget):
    assert _digest(_run(make(), n, budget)) == _before(name)


# -- the initial design and random proposals -----------------------------------------------------
def test_every_second_draw_follows_the_guess_the_others_are_the_plain_sobol_points():
    plain = RandomProposer(SPACE, random_state=3).ask(20)
    guessed = RandomProposer(GUESSED, random_state=3).ask(20)
    assert guessed[1::2] == plain[1::2]  # the exploring draws: unchanged
    near = guessed[0::2]
    assert np.median([abs(p["x"] + 1.5) for p in near]) < 0.3  # spread 0.05 of a width of 4
    assert sum(1e-2 <= p["lr"] <= 2e-2 for p in near) >= 8
    assert 3 <= np.median([p["k"] for p in near]) <= 5
    assert sum(p["kind"] == "c" for p in near) >= 8
    assert np.median([abs(p["x"] + 1.5) for p in plain]) > 0.5


def test_the_guess_is_drawn_with_its_own_probabilities():
    dim = Categorical(["a", "b", "c"], guess=[0.2, 0.5, 0.3])
    u = dim.guess.ppf(np.random.default_rng(0).random(20000))
    freq = np.bincount([["a", "b", "c"].index(dim.from_unit(v)) for v in u]) / len(u)
    expected = FLOOR / 3 + (1 - FLOOR) * np.array([0.2, 0.5, 0.3])
    np.testing.assert_allclose(freq, expected, atol=0.01)
    k = Integer(0, 30, guess=stats.poisson(6))
    u = k.guess.ppf(np.random.default_rng(1).random(20000))
    values = np.array([k.from_unit(v) for v in u])
    assert abs(values.mean() - (1 - FLOOR) * 6 - FLOOR * 15) < 0.2


def test_a_guess_contradicted_by_the_results_stops_steering_the_draws():
    sub = Subspace({"x": Real(0.0, 1.0, guess=(0.9, 0.05))})
    good_far = [({"x": v}, -abs(v - 0.1)) for v in np.linspace(0, 1, 12)]
    assert sub.guess_agreement(good_far) == 0.0
    assert sub.guess_agreement([({"x": v}, -abs(v - 0.9)) for v in np.linspace(0, 1, 12)]) > 0.8
    proposer = RandomProposer({"x": sub.dimensions[0]}, random_state=0)
    for p, s in good_far:
        proposer.tell(p, s)
    draws = [p["x"] for p in proposer.ask(40)[0::2]]
    assert np.mean(np.array(draws) > 0.75) < 0.5  # uniform: a quarter, not the guess's ~1


def test_agreement_is_a_floored_rank_correlation():
    assert agreement([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]) == pytest.approx(1.0)
    assert agreement([1, 2, 3, 4, 5], [50, 40, 30, 20, 10]) == 0.0
    assert agreement([1, 2, 3], [3, 2, 1]) == 1.0  # too few results to say
    assert agreement([1, 1, 1, 1], [1, 2, 3, 4]) == 1.0  # nothing to compare


def test_the_guess_flattens_as_trials_accumulate():
    dim = Real(0.0, 1.0, guess=(0.2, 0.05))
    q = np.linspace(0.01, 0.99, 99)
    assert decay(10, 5) == decay(10, 10) == 1.0 and decay(10, 1000) == 0.01
    early = dim.guess.ppf(q, decay(10, 10))
    late = dim.guess.ppf(q, decay(10, 1000))
    assert np.max(np.abs(early - 0.2)[10:-10]) < 0.1
    assert np.max(np.abs(late - q)) < 0.02  # nearly uniform: nearly independent of the guess


def test_late_gp_proposals_are_nearly_independent_of_the_guess():
    space = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
    wrong = {"x": Real(0.0, 1.0, guess=(0.9, 0.05)), "y": Real(0.0, 1.0, guess=(0.9, 0.05))}
    design = np.random.default_rng(0).random((150, 2))
    picks = []
    for s in (space, wrong):
        gp = GPProposer(s, random_state=0)
        for x, y in design:
            gp.tell({"x": x, "y": y}, -((x - 0.3) ** 2 + (y - 0.4) ** 2))
        [p] = gp.ask(1)
        picks.append(np.array([p["x"], p["y"]]))
        if s is wrong:
            assert gp._guess_weight[1] <= 10 / 150
    for p in picks:
        assert np.linalg.norm(p - [0.3, 0.4]) < 0.1
    assert np.linalg.norm(picks[0] - picks[1]) < 0.1


def test_gp_acquisition_is_weighted_by_the_guess_early():
    space = {"x": Real(0.0, 1.0, guess=(0.8, 0.05))}
    gp = GPProposer(space, n_initial_points=4, random_state=0)
    for x in (0.1, 0.45, 0.55, 0.9):  # flat scores: the guess decides
        gp.tell({"x": x}, 0.0)
    [p] = gp.ask(1)
    assert abs(p["x"] - 0.8) < 0.1
    assert gp._guess_weight[1] == 1.0


def test_a_guess_on_every_dimension_halves_the_random_design():
    guessed = {"x": Real(0.0, 1.0, guess=(0.8, 0.05)), "y": Real(0.0, 1.0, guess=(0.2, 0.05))}
    partly = {"x": guessed["x"], "y": Real(0.0, 1.0)}
    models = {}
    for name, space in (("guessed", guessed), ("partly", partly)):
        gp = GPProposer(space, n_initial_points=6, random_state=0)
        for x in (0.1, 0.5, 0.9):  # three of six: half the design
            gp.tell({"x": x, "y": x}, 0.0)
        [models[name]] = gp.ask(1)
        assert (gp._guess_weight is not None) is (name == "guessed")  # the model proposed
    assert abs(models["guessed"]["x"] - 0.8) < 0.1 and abs(models["guessed"]["y"] - 0.2) < 0.1


def test_tpe_good_density_has_the_guess_as_its_prior_component():
    guess = Real(0.0, 1.0, guess=(0.7, 0.03)).guess
    kind = Categorical(["a", "b"], guess={"b": 0.9}).guess
    U, C = np.array([[0.1]]), np.array([[0]])
    plain = _Parzen(U, C, np.array([2.0]), prior_weight=1.0)
    guessed = _Parzen(U, C, np.array([2.0]), prior_weight=1.0, guesses=([guess], [kind], 1.0))
    rng = np.random.default_rng(0)
    Us, Cs = guessed.sample(2000, rng)
    from_prior = np.abs(Us[:, 0] - 0.1) > 0.3  # mostly the guess: the kernel at 0.1 is narrow
    assert 0.4 < from_prior.mean() < 0.6  # two components of equal weight
    assert np.median(np.abs(Us[from_prior, 0] - 0.7)) < 0.05
    assert np.mean(Cs[from_prior, 0] == 1) > 0.75  # 0.88 from the guess, 0.5 from the kernel
    at = np.array([[0.7], [0.95]])
    cats = np.array([[1], [1]])
    assert np.diff(guessed.log_pdf(at, cats))[0] < -2  # the guess's peak counts
    assert abs(np.diff(plain.log_pdf(at, cats))[0]) < 0.05  # uniform: flat far from 0.1
    late = _Parzen(U, C, np.array([2.0]), prior_weight=1.0, guesses=([guess], [kind], 1e-3))
    np.testing.assert_allclose(late.log_pdf(at, cats), plain.log_pdf(at, cats), atol=0.02)


# -- bad guesses ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make, words", [
    (lambda: Real(1e-4, 1e-1, log=True, guess=0.5), ["Real(0.0001, 0.1, log=True)",
                                                      "centre of 'guess', 0.5", "outside"]),
    (lambda: Real(0, 1, guess=(0.5, 0.0)), ["spread of 'guess'", "> 0", "Got 0.0"]),
    (lambda: Real(0, 1, guess=(0.5, -1)), ["spread of 'guess'", "Got -1"]),
    (lambda: Real(0, 1, guess=(float("nan"), 0.1)), ["centre of 'guess'", "nan"]),
    (lambda: Real(0, 1, guess="high"), ["'guess' must be a value", "'high'"]),
    (lambda: Real(0, 1, guess=stats.norm), ["frozen scipy.stats"]),
    (lambda: Real(0, 1, guess=stats.norm(5, 0.01)), ["no probability inside", "[0.0, 1.0]"]),
    (lambda: Integer(1, 10, guess=(12, 0.1)), ["Integer(1, 10)", "outside the bounds [1, 10]"]),
    (lambda: Categorical(["a", "b"], guess=[0.5, 0.3, 0.2]),
     ["3 weights for 2 choices", "['a', 'b']"]),
    (lambda: Categorical(["a", "b"], guess={"z": 1.0}), ["'z'", "not one of the choices"]),
    (lambda: Categorical(["a", "b"], guess=[1, -1]), ["numbers >= 0"]),
    (lambda: Categorical(["a", "b"], guess=[0, 0]), ["all 0"]),
    (lambda: Categorical(["a", "b", "c"], guess={"a": 0.8, "b": 0.7}),
     ["sum to 1.5", "name all of"]),
    (lambda: Real(0, 1, prior=stats.norm(0.5, 0.1)), ["'prior' must be", "guess="]),
])
def test_bad_guesses_raise_a_clear_error(make, words):
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_a_bad_guess_in_a_search_fails_before_any_training():
    calls = []

    class Counting(LogisticRegression):
        def fit(self, X, y):
            calls.append(1)
            return super().fit(X, y)

    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="centre of 'guess'"):
        BayesSearchCV(Counting(), {"C": Real(1e-2, 1e2, log=True, guess=1e3)}, n_iter=3).fit(X, y)
    assert not calls


# -- the search's life: parameters, clone, pickle, journal ---------------------------------------
def _search(**kw):
    space = {"C": Real(1e-3, 1e2, log=True, guess=(1.0, 0.1)),
             "fit_intercept": Categorical([True, False], guess={True: 0.9})}
    return BayesSearchCV(LogisticRegression(max_iter=200), space, n_iter=6, n_initial_points=4,
                         cv=2, random_state=0, **kw)


def test_a_guess_survives_clone_get_params_and_pickling():
    X, y = load_iris(return_X_y=True)
    search = _search()
    copy = clone(search)
    assert copy.get_params()["search_spaces"] == search.search_spaces
    assert repr(copy.search_spaces["C"].guess) == "(1.0, 0.1)"
    search.fit(X, y)
    back = pickle.loads(pickle.dumps(search))
    assert back.search_spaces["C"] == Real(1e-3, 1e2, log=True, guess=(1.0, 0.1))
    assert back.search_spaces["C"] != Real(1e-3, 1e2, log=True)
    assert back.search_spaces["fit_intercept"].guess.probabilities()[0] > 0.8
    assert list(back.cv_results_["params"]) == list(search.cv_results_["params"])
    # the first initial point follows the guess: C = 1 give or take 0.5 decades
    assert abs(math.log10(search.cv_results_["params"][0]["C"])) < 0.5


def test_guessed_dimensions_print_and_read_back_as_they_were_written():
    for dim in GUESSED.values():
        text = repr(dim).replace("scipy.stats.", "stats.")
        assert eval(text) == dim  # noqa: S307 - our own repr


def test_a_journaled_search_with_guesses_resumes_to_the_same_proposals(tmp_path):
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "run.jsonl"
    first = _search(journal=path).fit(X, y)
    again = _search(journal=path).fit(X, y)
    assert again.n_replayed_jobs_ == 6 * 2
    assert list(again.cv_results_["params"]) == list(first.cv_results_["params"])
    plain = {"C": Real(1e-3, 1e2, log=True), "fit_intercept": Categorical([True, False])}
    with pytest.raises(ValueError, match="space"):  # another guess: another search
        BayesSearchCV(LogisticRegression(max_iter=200), plain, n_iter=6, n_initial_points=4,
                      cv=2, random_state=0, journal=path).fit(X, y)


def test_hyperband_first_rung_draws_from_the_guess():
    X, y = load_iris(return_X_y=True)
    space = {"alpha": Real(1e-6, 1e0, log=True, guess=(1e-4, 0.05))}
    search = HyperbandSearchCV(SGDClassifier(random_state=0), space, max_resources=9, factor=3,
                               cv=2, random_state=0).fit(X, y)
    first = [p["alpha"] for p, b in zip(search.cv_results_["params"],
                                        search.cv_results_["n_resources"]) if b == 1]
    near = [abs(math.log10(a) + 4) < 0.6 for a in first]
    assert sum(near[0::2]) >= len(near[0::2]) - 1  # the guessed draws, in proposal order


def test_docs_example_runs():
    text = (Path(__file__).resolve().parents[1] / "docs" / "spaces.rst").read_text()
    section = text[text.index(".. _guesses:"):]
    code = re.search(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", section).group(1)
    exec(compile("\n".join(line[3:] for line in code.splitlines()), "spaces.rst", "exec"), {})
