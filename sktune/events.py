"""The search's event stream: the loop notifies, listeners act (as skorch's callbacks).

Events, in the order a search emits them:

- ``on_job_begin(job)``: a (trial, fold) job was handed to the executor;
- ``on_job_end(result)``: its :class:`~sktune._evaluate.JobResult` came back;
- ``on_trial_end(result, row, state)``: every fold of a piece of work is in and
  recorded (``row`` as in ``history_``, ``state`` a :class:`SearchState`);
- ``on_search_end()``: the loop is over (also after an error).

A listener implements any of these methods. One that returns True from
``on_job_end`` or ``on_trial_end`` asks the search to stop: no new work is handed
out and the work in flight is finished.
"""

from __future__ import annotations

import time

from .callbacks import SearchState

__all__ = ["EventStream", "Progress", "VerbosePrinter", "StopCallbacks", "SklearnHooks",
           "JournalWriter"]


class EventStream:
    """Calls each listener's ``on_<event>`` method, in the order given."""

    def __init__(self, listeners):
        self.listeners = [listener for listener in listeners if listener is not None]

    def notify(self, event, *args):
        """Send ``event``; True when a listener asked to stop."""
        stop = False
        for listener in self.listeners:
            method = getattr(listener, event, None)
            if method is not None and method(*args):
                stop = True
        return stop


class Progress:
    """The progress bar (``verbose >= 1``): one tick per recorded result."""

    def __init__(self, bar):
        self.bar = bar

    def on_trial_end(self, result, row, state):
        self.bar.update(1)
        self.bar.set_postfix(best=f"{state.best_score:.4g}")

    def on_search_end(self):
        self.bar.close()


class VerbosePrinter:
    """One line per recorded result (``verbose >= 2``)."""

    def on_trial_end(self, result, row, state):
        if result.failed:
            status = f"failed: {next(e for e in result.errors if e)}"
        else:
            status = f"score={result.score:.4f}"
        extra = "".join(f" {k}={v}" for k, v in result.work.info.items())
        print(f"[sktune] trial {result.trial_id}{extra} {result.params} {status}", flush=True)


class StopCallbacks:
    """The search's ``callbacks``: each is called with the :class:`SearchState`."""

    def __init__(self, callbacks):
        self.callbacks = callbacks

    def on_trial_end(self, result, row, state):
        return any(bool(cb(state)) for cb in self.callbacks)


class SklearnHooks:
    """scikit-learn's callback hooks (>= 1.9): one task per (trial, fold) job."""

    def __init__(self, hooks):
        self.hooks = hooks

    def on_job_begin(self, job):
        self.hooks.job_begin(job.trial_id, job.fold)

    def on_job_end(self, result):
        return self.hooks.job_end(result.trial_id, result.fold)


class JournalWriter:
    """Writes every recorded result to the journal."""

    def __init__(self, journal):
        self.journal = journal

    def on_trial_end(self, result, row, state):
        self.journal.result(row)


def search_state(history, result, started):
    """The :class:`SearchState` after ``result`` was recorded in ``history``."""
    best = history.best_row()
    return SearchState(
        n_trials=len(history.rows), best_score=history.best_score(),
        best_params=None if best is None else best["params"], last=result,
        elapsed=time.perf_counter() - started, scores=history.scores,
    )
