"""
=============================================
Resuming an interrupted search from a journal
=============================================

``journal="run.jsonl"`` makes a search write one JSON line per finished job, flushed
to disk as it happens. If the search is interrupted (Ctrl-C, a crash, a lost
session), calling ``fit`` again with the same journal resumes it: finished jobs are read
back instead of being run, and with a fixed ``random_state`` the final ``cv_results_``
are the same as those of an uninterrupted run.

Here a callback stands in for Ctrl-C: it interrupts the first run after 6 trials.
"""

# %%
import json
import os
import tempfile

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from sktune import BayesSearchCV, Categorical, Real

X, y = load_diabetes(return_X_y=True)
space = {"alpha": Real(1e-4, 1e3, log=True), "fit_intercept": Categorical([True, False])}
folder = tempfile.mkdtemp()
journal = os.path.join(folder, "run.jsonl")


def search(**kwargs):
    return BayesSearchCV(Ridge(), space, n_iter=12, n_initial_points=4, cv=3,
                         random_state=0, **kwargs)


def interrupt_after_six(state):
    if state.n_trials == 6:
        raise KeyboardInterrupt  # what Ctrl-C does in the middle of fit


try:
    search(journal=journal, callbacks=interrupt_after_six).fit(X, y)
except KeyboardInterrupt:
    print("interrupted")

# %%
# The journal holds everything that finished before the interruption: a ``start``
# line with the configuration's fingerprint, then one ``job`` line per CV fold and
# one ``result`` line per trial. It is plain JSON.
with open(journal) as f:
    events = [json.loads(line) for line in f]
print([e["event"] for e in events][:8], "...")
print(sum(e["event"] == "result" for e in events), "trials recorded")

# %%
# Resuming: the same search, the same journal. The six finished trials are read back
# (18 jobs), the other six are run.
resumed = search(journal=journal).fit(X, y)
print("jobs read back from the journal:", resumed.n_replayed_jobs_)

# %%
# The result is the one an uninterrupted search gives.
uninterrupted = search().fit(X, y)
same = np.array_equal(resumed.cv_results_["mean_test_score"],
                      uninterrupted.cv_results_["mean_test_score"])
print("identical to an uninterrupted run:", same)
print("best:", resumed.best_params_, round(resumed.best_score_, 4))

# %%
# Drawn together, the resumed search lies on the uninterrupted one, the six trials
# read back from the journal (left of the dotted line) as the six it ran after.
from sktune.plots import ConvergenceDisplay

disp = ConvergenceDisplay.from_search(uninterrupted, name="uninterrupted")
ConvergenceDisplay.from_search(resumed, name="resumed", ax=disp.ax_)
disp.ax_.axvline(6.5, ls=":", color="0.4")
disp.ax_.set_title("Interrupted after 6 trials, resumed from the journal")

# %%
# A journal written by another configuration is refused rather than mixed in.
try:
    BayesSearchCV(Ridge(), {"alpha": Real(1e-2, 1e2, log=True)}, n_iter=12, cv=3,
                  random_state=0, journal=journal).fit(X, y)
except ValueError as exc:
    print(exc)
