"""Fingerprints of seeded searches: a refactor of the search loop changes none of them.

Every search mode runs once with a fixed ``random_state`` on one worker, and its
``cv_results_`` (timings left out), best configuration, fitted attributes and
journal events are hashed column by column. ``tests/fingerprints.json`` holds
the hashes recorded for each stack of numerical libraries; a stack without a
record is skipped. Floats are compared to 5 significant digits: even on one
stack, OpenBLAS picks its kernels by CPU (AVX-512 or not), and a GP proposal's
last digits (about 1e-8 relative) follow them.

Record the current stack's hashes (only when a change of results is intended,
and say so in the commit)::

    python tests/test_fingerprint.py --record
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktune import (
    BayesSearchCV,
    Categorical,
    HyperbandSearchCV,
    Integer,
    PopulationSearchCV,
    Real,
)

RECORD = Path(__file__).with_name("fingerprints.json")
FITTED = ["best_index_", "best_score_", "best_params_", "n_splits_", "multimetric_",
          "n_resources_", "n_candidates_", "n_iterations_", "n_brackets_", "mode_",
          "best_schedule_", "n_replayed_jobs_"]
_VOLATILE = {"time", "fit_time", "score_time", "wall_time"}


def _data():
    return make_classification(160, 6, n_informative=4, random_state=0)


def _sgd():
    return SGDClassifier(random_state=0)


def _pipe():
    return Pipeline([("scale", StandardScaler()), ("clf", SGDClassifier(random_state=0))])


SGD_SPACE = {"alpha": Real(1e-5, 1e-1, log=True), "penalty": Categorical(["l2", "l1"])}
PIPE_SPACE = {"clf__alpha": Real(1e-5, 1e-1, log=True), "clf__eta0": Real(1e-3, 1.0, log=True),
              "clf__learning_rate": Categorical(["constant", "optimal"])}
LOGREG_SPACE = {"C": Real(1e-3, 1e2, log=True), "fit_intercept": Categorical([True, False]),
                "max_iter": Integer(20, 200)}


def _bayes(**kw):
    return BayesSearchCV(LogisticRegression(), LOGREG_SPACE, n_iter=8, n_initial_points=4,
                         cv=3, random_state=0, **kw)


def _hyperband(**kw):
    params = dict(max_resources=9, factor=3, cv=3, random_state=0, proposer="random")
    return HyperbandSearchCV(_sgd(), SGD_SPACE, **{**params, **kw})


def _pbt(**kw):
    # holdout=None: the loop's results as recorded before the holdout existed (on every
    # stack); pbt_holdout fingerprints the holdout and its replays
    kw = {"holdout": None, **kw}
    return PopulationSearchCV(_pipe(), PIPE_SPACE, mutable_params=["clf__alpha", "clf__eta0"],
                              population_size=4, max_resources=8, perturbation_interval=2, cv=2,
                              random_state=0, **kw)


CASES = {
    "bayes_gp": lambda: _bayes(),
    "bayes_batch": lambda: _bayes(n_points=2),
    "bayes_async": lambda: _bayes(n_points=None),
    "bayes_multimetric": lambda: _bayes(scoring=["accuracy", "roc_auc"], refit="roc_auc",
                                        return_train_score=True),
    "hyperband_sync": lambda: _hyperband(),
    "hyperband_asha": lambda: _hyperband(asynchronous=True, n_candidates=12),
    "hyperband_gp": lambda: _hyperband(proposer="bayes", max_resources=27),
    "hyperband_tpe": lambda: _hyperband(proposer="tpe", max_resources=27),
    "hyperband_samples": lambda: HyperbandSearchCV(
        LogisticRegression(), {"C": Real(1e-3, 1e2, log=True)}, resource="n_samples",
        max_resources=96, min_resources=12, cv=2, random_state=0, proposer="random"),
    "pbt_sync": lambda: _pbt(),
    "pbt_async": lambda: _pbt(synchronous=False),
    "pbt_evolutionary": lambda: PopulationSearchCV(
        LogisticRegression(), {"C": Real(1e-3, 1e2, log=True)}, mutable_params=["C"],
        population_size=4, max_resources=6, perturbation_interval=2, cv=2, random_state=0,
        holdout=None),
    "pbt_holdout": lambda: _pbt(holdout=0.2, holdout_candidates=2, holdout_repeats=2),
}
JOURNAL_CASES = {"hyperband_sync", "pbt_sync", "bayes_batch", "hyperband_resume",
                 "pbt_holdout"}
CASES["hyperband_resume"] = CASES["hyperband_sync"]  # stopped after 7 results, then resumed


def _stop_after(n):
    return lambda state: state.n_trials >= n


def _canon(value):
    """A JSON-able, float-rounded form of a value (estimators by their repr)."""
    if isinstance(value, np.ma.MaskedArray):
        return [None if m else _canon(v) for v, m in zip(value.data.tolist(),
                                                            np.ma.getmaskarray(value))]
    if isinstance(value, np.ndarray):
        return [_canon(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        return value if not isinstance(value, np.bool_) else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(f"{float(value):.5g}")
    return repr(value)


def _digest(value):
    text = json.dumps(_canon(value), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _journal_events(path):
    events = []
    for line in Path(path).read_text().splitlines():
        event = json.loads(line)
        event.pop("time", None)
        for part in (event, event.get("row", {})):
            for key in _VOLATILE:
                part.pop(key, None)
        if "key" in event:  # the parameters as JSON text: their floats to round too
            event["key"] = json.loads(event["key"])
        events.append(event)
    return events


def fingerprint(name, tmp_dir):
    """Hashes of one case: one per cv_results_ column, fitted attribute and journal."""
    X, y = _data()
    search = CASES[name]()
    journal = os.path.join(tmp_dir, f"{name}.jsonl") if name in JOURNAL_CASES else None
    if journal is not None:
        search.set_params(journal=journal)
    if name == "hyperband_resume":
        CASES[name]().set_params(journal=journal, callbacks=[_stop_after(7)]).fit(X, y)
    search.fit(X, y)
    out = {f"cv_results_.{k}": _digest(v) for k, v in search.cv_results_.items()
           if "time" not in k}
    out.update({a: _digest(getattr(search, a)) for a in FITTED if hasattr(search, a)})
    out["predict"] = _digest(search.predict(X[:20])) if hasattr(search, "best_estimator_") else ""
    if journal is not None:
        out["journal"] = _digest(_journal_events(journal))
        # resumed from the complete journal: nothing is fitted again, results are the same
        again = CASES[name]().set_params(journal=journal).fit(X, y)
        out["resumed.cv_results_"] = _digest(
            {k: v for k, v in again.cv_results_.items() if "time" not in k})
        out["resumed.n_replayed_jobs_"] = _digest(again.n_replayed_jobs_)
    return out


def stack_key():
    import joblib
    import scipy
    import sklearn

    return f"sklearn={sklearn.__version__} numpy={np.__version__} scipy={scipy.__version__} " \
           f"joblib={joblib.__version__}"


def _recorded():
    if not RECORD.exists():
        return {}
    return json.loads(RECORD.read_text()).get(stack_key(), {})


@pytest.mark.parametrize("name", sorted(CASES))
def test_fingerprint_is_unchanged(name, tmp_path):
    expected = _recorded().get(name)
    if expected is None:
        pytest.skip(f"no fingerprint recorded for {stack_key()} (python {__file__} --record)")
    got = fingerprint(name, str(tmp_path))
    changed = sorted(k for k in set(expected) | set(got) if expected.get(k) != got.get(k))
    assert not changed, f"{name}: these results changed: {changed}"


def _record():
    import tempfile

    records = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        records[stack_key()] = {name: fingerprint(name, tmp) for name in sorted(CASES)}
    RECORD.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(CASES)} fingerprints for {stack_key()} in {RECORD}")


if __name__ == "__main__":
    if "--record" in sys.argv:
        _record()
    else:
        sys.exit(pytest.main([__file__, "-q"]))
