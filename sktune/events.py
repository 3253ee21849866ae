"""The search's event stream: the loop notifies, listeners act (as skorch's callbacks).

Events, in the order a search emits them:

- ``on_search_begin()``: before the first job;
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
           "JournalWriter", "WarningSummary"]


class EventStream:
    """Calls each listener's ``on_<event>`` method, in the order given."""

    def __init__(self, listeners):
        self.listeners = [listener for listener in listeners if listener is not None]

    def notify(self, event, *args):
        """Send ``event``; what the first listener that asked to stop returned (True,
        or a text saying why), else False."""
        stop = False
        for listener in self.listeners:
            method = getattr(listener, event, None)
            answer = method(*args) if method is not None else None
            if answer and not stop:
                stop = answer
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
    """Text output at GridSearchCV's ``verbose`` levels.

    1: ``Fitting k folds for each of n candidates, totalling N fits`` once; 2: one
    ``END`` line per trial (its parameters, mean score and time); 3: one per fold, with
    its score (and train score), as scikit-learn's ``[CV i/k; j/n] END`` lines.
    ``n`` counts the results the search records (a Hyperband rung or a PBT step is
    one), and is omitted where it is not known in advance.
    """

    def __init__(self, verbose, n_splits, n_total=None):
        self.verbose = int(verbose)
        self.n_splits = n_splits
        self.n_total = n_total
        self._params: dict[int, dict] = {}

    def on_search_begin(self):
        k = self.n_splits
        if self.n_total is None:
            print(f"Fitting {k} folds for each candidate", flush=True)
        else:
            print(f"Fitting {k} folds for each of {self.n_total} candidates, totalling "
                  f"{k * self.n_total} fits", flush=True)

    def on_job_begin(self, job):
        self._params[job.trial_id] = job.params
        if self.verbose >= 10:
            line = f"[CV {self._where(job.trial_id, job.fold)}] START {_params_text(job.params)}"
            print(line + "." * (80 - len(line)), flush=True)

    def on_job_end(self, res):
        if self.verbose < 3:
            return
        params = _params_text(self._params.get(res.trial_id, {}))
        if res.error is not None:
            result = f"{params}; failed: {res.error.splitlines()[-1]}"
        else:
            result = f"{params};{_scores_text(res.test_scores, res.train_scores)}"
        result += f" total time={_short_time(res.fit_time + res.score_time)}"
        head = f"[CV {self._where(res.trial_id, res.fold)}] END "
        print(head + "." * (80 - len(head) - len(result)) + result, flush=True)

    def on_trial_end(self, result, row, state):
        if self.verbose < 2:
            return
        self._params.pop(result.trial_id, None)
        if result.failed:
            status = f"failed: {next(e for e in result.errors if e).splitlines()[-1]}"
        else:
            status = f"mean score: {result.score:.3f}"  # not "score=": GridSearchCV's fold lines
        extra = "".join(f" {k}={v}" for k, v in result.work.info.items()
                        if k in ("n_resources", "member_id", "step"))
        total = float(sum(result.fit_times) + sum(result.score_times))
        n = "" if self.n_total is None else f"/{self.n_total}"
        print(f"[trial {result.trial_id + 1}{n}] END {_params_text(result.params)};{extra} "
              f"{status} total time={_short_time(total)}", flush=True)

    def _where(self, trial_id, fold):
        where = f"{fold + 1}/{self.n_splits}"
        if self.verbose >= 10:  # the candidate too, as scikit-learn
            where += f"; {trial_id + 1}" + ("" if self.n_total is None else f"/{self.n_total}")
        return where


def _params_text(params):
    return ", ".join(f"{k}={params[k]}" for k in sorted(params))


def _short_time(seconds):
    return f" {seconds:5.1f}s" if seconds <= 60 else f"{seconds / 60:4.1f}min"


def _scores_text(test, train):
    if list(test) == ["score"]:
        if train:
            return f", score=(train={train['score']:.3f}, test={test['score']:.3f})"
        return f", score={test['score']:.3f}"
    parts = []
    for name in sorted(test):
        both = f"train={train[name]:.3f}, " if name in train else ""
        parts.append(f" {name}: ({both}test={test[name]:.3f})")
    return "".join(parts)


class StopCallbacks:
    """The search's ``callbacks``: each is called with the :class:`SearchState`."""

    def __init__(self, callbacks):
        self.callbacks = callbacks

    def on_trial_end(self, result, row, state):
        """``"callback: <why>"`` from the first callback that stops the search (its
        ``reason(state)`` if it has one, else its name), else None."""
        for cb in self.callbacks:
            if cb(state):
                why = cb.reason(state) if hasattr(cb, "reason") else getattr(
                    cb, "__name__", type(cb).__name__) + " returned True"
                return f"callback: {why}"
        return None


class SklearnHooks:
    """scikit-learn's callback hooks (>= 1.9): one task per (trial, fold) job."""

    def __init__(self, hooks):
        self.hooks = hooks

    def on_job_begin(self, job):
        job.callback_ctx = self.hooks.job_begin(job.trial_id, job.fold)

    def on_job_end(self, result):
        return self.hooks.job_end(result.trial_id, result.fold)


class WarningSummary:
    """One warning per search for the expected warnings of partial training.

    A job that trains to less than the full budget (a Hyperband rung, a PBT step)
    collects the ``ConvergenceWarning`` its training raises instead of showing it
    (``sktune._warn.collect_partial_training_warnings``): stopping an iterative
    solver early is what the search does. At the end of the search, one warning of
    that category says how many there were. Every other warning, and those of
    training to the full budget, are shown as usual; the filters in force apply to
    the summary as to any warning (``ignore`` hides it, ``error`` raises it).
    """

    def __init__(self, who):
        self.who = who
        self.counts: dict = {}  # category -> [count, first message]

    def on_job_end(self, res):
        for category, message in getattr(res, "warnings", None) or ():
            entry = self.counts.setdefault(category, [0, message])
            entry[0] += 1

    def on_search_end(self):
        from ._warn import warn

        for category, (n, first) in self.counts.items():
            name = category.__name__ + ("s" if n != 1 else "")
            warn(f"{self.who}: {n} {name} while trials trained to less than the full budget "
                 f"(expected: the search stops training early on purpose; summarised here, "
                 f"those at the full budget are shown as usual). First: {first}", category)
        self.counts.clear()


class JournalWriter:
    """Writes every recorded result to the journal."""

    def __init__(self, journal):
        self.journal = journal

    def on_trial_end(self, result, row, state):
        self.journal.result(row)


def search_state(history, result, started, space=None):
    """The :class:`SearchState` after ``result`` was recorded in ``history``."""
    best = history.best_row()
    return SearchState(
        n_trials=len(history.rows), best_score=history.best_score(),
        best_params=None if best is None else best["params"], last=result,
        elapsed=time.perf_counter() - started, scores=history.scores, rows=history.rows,
        space=space,
    )
