"""Ctrl-C ends a search cleanly (issue 20, point 4): a real SIGINT, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = """
import json, os, signal, sys, warnings
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal delivers Ctrl-C
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sktune import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV, Real

X, y = make_classification(300, 8, random_state=0)
N_JOBS = int(sys.argv[1])
AT = 3  # Ctrl-C when the third result comes in


def ctrl_c_at(n):
    def callback(state):
        if state.n_trials == n:
            os.kill(os.getpid(), signal.SIGINT)
    return callback


searches = {
    "bayes": BayesSearchCV(LogisticRegression(), {"C": Real(1e-3, 1e2, log=True)}, n_iter=12,
                           n_initial_points=4, n_points=2, cv=2, random_state=0),
    "hyperband": HyperbandSearchCV(SGDClassifier(random_state=0),
                                   {"alpha": Real(1e-5, 1e-1, log=True)}, max_resources=9,
                                   cv=2, random_state=0),
    "asha": HyperbandSearchCV(SGDClassifier(random_state=0),
                              {"alpha": Real(1e-5, 1e-1, log=True)}, max_resources=9,
                              asynchronous=True, cv=2, random_state=0),
    "pbt": PopulationSearchCV(SGDClassifier(random_state=0),
                              {"alpha": Real(1e-5, 1e-1, log=True)}, population_size=4,
                              max_resources=8, perturbation_interval=2, cv=2, random_state=0),
}
out = {}
for name, search in searches.items():
    search.set_params(n_jobs=N_JOBS, callbacks=[ctrl_c_at(AT)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    out[name] = {
        "stop_reason": search.stop_reason_, "n_rows": len(search.cv_results_["params"]),
        "best_in_rows": bool(0 <= search.best_index_ < len(search.cv_results_["params"])),
        "predicts": len(search.predict(X[:5])) == 5,
        "warned": any("interrupted (Ctrl-C)" in str(w.message) for w in caught),
    }
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_keeps_the_results_so_far_for_every_search(n_jobs):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(n_jobs)], capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(out) == {"bayes", "hyperband", "asha", "pbt"}
    for name, got in out.items():
        assert got["stop_reason"] == "interrupted", name
        assert got["n_rows"] >= 3, name  # nothing recorded before the interrupt is lost
        assert got["best_in_rows"] and got["predicts"] and got["warned"], (name, got)


def test_a_second_ctrl_c_raises():
    script = textwrap.dedent("""
        import os, signal
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
        from sktune import BayesSearchCV, Real

        class Impatient(LogisticRegression):
            interrupted = False

            def fit(self, X, y):
                if Impatient.interrupted:  # the refit after the first Ctrl-C
                    os.kill(os.getpid(), signal.SIGINT)
                return super().fit(X, y)

        def first_ctrl_c(state):
            if state.n_trials == 2:
                Impatient.interrupted = True
                os.kill(os.getpid(), signal.SIGINT)

        X, y = make_classification(200, 6, random_state=0)
        BayesSearchCV(Impatient(), {"C": Real(0.01, 10.0, log=True)}, n_iter=6, cv=2,
                      n_initial_points=3, callbacks=[first_ctrl_c]).fit(X, y)
        print("not reached")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in proc.stderr
    assert "interrupted (Ctrl-C) after 2 results" in proc.stderr
    assert "not reached" not in proc.stdout
