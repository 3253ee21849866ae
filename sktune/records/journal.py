"""The journal: an append-only JSON-lines record of a search, to resume it.

``journal="run.jsonl"`` on a search appends one line per event as it happens,
each flushed and ``fsync``'ed:

- ``start``: a fingerprint of the configuration (search space, estimator
  parameters, CV splits, scoring, data, the search's own settings) and the
  seed entropy of the run;
- ``job``: one finished job (one CV fold of one piece of work), with its
  scores, times, device and error text;
- ``result``: one finished piece of work, as the row of ``history_``;
- ``end``: the search loop finished.

Calling ``fit`` again with the same journal resumes: every job found in the
journal is read back instead of being run, in the order the search asks for
it, so the proposer and scheduler see the same results in the same order and
a synchronous search with a fixed ``random_state`` ends with the same
``cv_results_`` as an uninterrupted run. A journal written for another
configuration is refused. Only complete lines count: a line torn by a crash
is dropped (and cut from the file before new lines are appended).

A journal is plain JSON: reading one never runs code. Non-finite numbers are
written as ``null`` and parameters that JSON cannot hold are written as their
``repr`` (used to check that the same configuration is resumed, never to
rebuild it).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import numbers
import os

import numpy as np

from .._keys import params_key, stable_repr, to_json

__all__ = ["Journal", "read_journal", "JOURNAL_VERSION"]

JOURNAL_VERSION = 1

# search settings that may change between a run and its resumption
_RESUME_FREE = {
    "n_jobs", "verbose", "callbacks", "journal", "devices", "trials_per_device",
    "device_param", "trial_timeout", "n_iter", "random_state", "estimator", "refit",
    "pre_dispatch",
    "holdout_candidates", "holdout_repeats",  # PopulationSearchCV's replays, after the loop
}
# scikit-optimize's names and parameters added later: left out at their defaults (the
# fingerprints of searches that do not use them stay what they were, older journals resume);
# fit_params and iid are refused unless default
_LEFT_OUT_AT = {"optimizer_kwargs": None, "fit_params": None, "iid": "deprecated",
                "objectives": None, "constraints": None, "racing": False,
                "initial_points": None,
                "initial_results_as": "auto", "holdout": None, "stopping": "halving",
                "curve_threshold": 0.05}
# settings fingerprinted by their contents, not their repr (a fitted search's repr shows
# none of its results): the search adds the part itself (``initial_results``)
_BY_CONTENT = {"initial_results"}



def _hash(obj) -> str:
    return hashlib.sha256(obj if isinstance(obj, bytes) else str(obj).encode()).hexdigest()[:16]


def _data_hash(X, y):
    import joblib

    try:
        return joblib.hash((X, y))
    except Exception:  # unhashable inputs: shape only
        return _hash(repr((getattr(X, "shape", len(X)), getattr(y, "shape", None))))


def fingerprint(search, space, splits, X, y):
    """Component hashes of everything that decides a search's results."""
    h = hashlib.sha256()
    for train, test in splits:
        h.update(np.asarray(train, dtype=np.int64).tobytes())
        h.update(b"|")
        h.update(np.asarray(test, dtype=np.int64).tobytes())
        h.update(b"#")
    params = search.get_params(deep=False)
    settings = {
        k: stable_repr(v) for k, v in sorted(params.items())
        if k not in _RESUME_FREE and k != search._space_param and k not in _BY_CONTENT
        and not (k in _LEFT_OUT_AT and v == _LEFT_OUT_AT[k])
    }
    if isinstance(search.random_state, numbers.Integral):
        settings["random_state"] = int(search.random_state)
    estimator = {k: stable_repr(v) for k, v in sorted(search.estimator.get_params(deep=True).items())}
    parts = {
        "search": _hash(type(search).__name__ + json.dumps(settings, sort_keys=True)),
        "space": _hash(stable_repr(space)),
        "estimator": _hash(type(search.estimator).__name__ + json.dumps(estimator, sort_keys=True)),
        "cv": h.hexdigest()[:16],
        "scoring": _hash(stable_repr(search.scoring)),
        "data": _data_hash(X, y),
    }
    return parts


def read_journal(path):
    """The events of a journal file, and the byte length of its complete lines.

    A last line without its newline, or that is not valid JSON, is a torn
    write from a crash and is left out. A bad line elsewhere is an error.

    Parameters
    ----------
    path : str or path-like
        The journal (the ``journal=`` file of a search).

    Returns
    -------
    events : list of dict
        The events, in the order written (each has an ``"event"`` key).
    n_bytes : int
        Length of the complete lines (where a resumed run appends).

    Examples
    --------
    >>> import json, os, tempfile
    >>> from sktune.records import read_journal
    >>> path = os.path.join(tempfile.mkdtemp(), "search.jsonl")
    >>> with open(path, "w") as f:  # a crash left the last line half written
    ...     print(json.dumps({"event": "start"}), file=f)
    ...     _ = f.write('{"event": "res')
    >>> events, n_bytes = read_journal(path)
    >>> [e["event"] for e in events], n_bytes
    (['start'], 19)
    """
    with open(path, "rb") as f:
        raw = f.read()
    events, good = [], 0
    lines = raw.split(b"\n")
    complete = lines[:-1]  # the piece after the last newline, if any, is a torn write
    for i, line in enumerate(complete):
        try:
            event = json.loads(line.decode("utf-8"))
            if not isinstance(event, dict) or "event" not in event:
                raise ValueError("not an event")
        except ValueError as exc:
            if i == len(complete) - 1:
                break  # a torn last line
            raise ValueError(
                f"The 'journal' file {os.fspath(path)!r} is not a sktune journal: line {i + 1} is "
                f"not a JSON event ({exc})."
            ) from None
        events.append(event)
        good += len(line) + 1
    return events, good


class Journal:
    """An open journal: replayed jobs and the writer of new events.

    Parameters
    ----------
    path : str or path-like
        The JSON-lines file (created if missing).
    parts : dict
        The configuration fingerprint (:func:`fingerprint`).
    entropy : int or None
        Seed entropy of a fresh run (None: drawn at random).
    """

    def __init__(self, path, parts, entropy):
        self.path = os.fspath(path)
        self.parts = parts
        self.replay: dict = {}
        self.rows: list = []  # the result rows of earlier runs (their racing decisions)
        self.n_replayed = 0
        self.resumed = False
        events = []
        size = 0
        if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
            events, size = read_journal(self.path)
        starts = [e for e in events if e.get("event") == "start"]
        if events and not starts:
            raise ValueError(
                f"The 'journal' file {self.path!r} has no start event: it is not a sktune journal."
            )
        if starts:
            first = starts[0]
            if first.get("version") != JOURNAL_VERSION:
                raise ValueError(
                    f"The 'journal' file {self.path!r} has version {first.get('version')!r}; this "
                    f"sktune reads version {JOURNAL_VERSION}."
                )
            old = first.get("parts", {})
            differ = sorted(k for k in set(old) | set(parts) if old.get(k) != parts.get(k))
            if differ:
                raise ValueError(
                    f"The 'journal' file {self.path!r} was written by a search with a different "
                    f"configuration (it differs in: {', '.join(differ)}), so its results cannot "
                    "be resumed here. Pass a new journal path, or delete the file to start over."
                )
            entropy = int(first["entropy"])
            self.resumed = True
            for e in events:
                if e.get("event") == "job":
                    asked = e.get("asked_start", e["start"])  # the budget the search asked for
                    key = (e["trial_id"], e["fold"], _num(asked), _num(e["stop"]), e["key"])
                    self.replay[key] = e
                elif e.get("event") == "result":
                    self.rows.append(e["row"])
        elif entropy is None:
            entropy = int(np.random.SeedSequence().entropy)
        self.entropy = int(entropy)
        self._file = open(self.path, "ab")  # noqa: SIM115 - closed by close()
        if self._file.tell() != size:  # cut a torn last line before appending
            self._file.truncate(size)
            self._file.seek(size)
        self.write({
            "event": "start", "version": JOURNAL_VERSION, "parts": parts, "entropy": self.entropy,
            "resumed": self.resumed, "n_jobs_found": len(self.replay),
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        })

    # -- reading back ------------------------------------------------------------
    def take(self, trial_id, fold, start, stop, key):
        """The journaled job for this (trial, fold, budget, params), or None."""
        if not self.replay:
            return None
        event = self.replay.pop((trial_id, fold, _num(start), _num(stop), key), None)
        if event is not None:
            self.n_replayed += 1
        return event

    # -- writing -------------------------------------------------------------------
    def write(self, event):
        if self._file is None:
            return
        line = json.dumps(to_json(event), allow_nan=False, separators=(",", ":")) + "\n"
        self._file.write(line.encode("utf-8"))
        self._file.flush()
        os.fsync(self._file.fileno())

    def job(self, res, job, asked_start, key):
        """Write a finished job: ``start`` is the budget it trained from, ``asked_start``
        (only when it differs: its fold models were lost) the one the search asked for."""
        event = {
            "event": "job", "trial_id": res.trial_id, "fold": res.fold, "start": job.start,
            "stop": job.stop, "key": key, "test": res.test_scores, "train": res.train_scores,
            "fit_time": res.fit_time, "score_time": res.score_time, "wall_time": res.wall_time,
            "error": res.error, "device": res.device, "n_test": res.n_test,
        }
        if _num(asked_start) != _num(job.start):
            event["asked_start"] = asked_start
        if res.trained:
            event["trained"] = res.trained
        if res.model_size is not None:
            event["model_size"] = res.model_size
        self.write(event)

    def result(self, row):
        self.write({"event": "result", "row": row})

    def close(self, finished=False, n_results=0):
        if self._file is None:
            return
        if finished:
            self.write({"event": "end", "n_results": n_results})
        self._file.close()
        self._file = None


def _num(v):
    if v is None:
        return None
    return float(v)


def job_result_from_event(event):
    """A :class:`~sktune._evaluate.JobResult` read back from a ``job`` event."""
    from .._evaluate import JobResult

    def scores(d):
        return {k: (np.nan if v is None else float(v)) for k, v in (d or {}).items()}

    return JobResult(
        trial_id=event["trial_id"], fold=event["fold"], test_scores=scores(event.get("test")),
        train_scores=scores(event.get("train")), fit_time=float(event.get("fit_time") or 0.0),
        score_time=float(event.get("score_time") or 0.0), error=event.get("error"),
        device=event.get("device"), n_test=int(event.get("n_test") or 0),
        trained=dict(event.get("trained") or {}), model_size=event.get("model_size"),
    )


def check_journal_path(value, owner):
    """Reject a journal path that cannot be written (before any training)."""
    if value is None:
        return
    if not isinstance(value, (str, os.PathLike)) or os.fspath(value) == "":
        raise ValueError(
            f"The 'journal' parameter of {type(owner).__name__} must be None or a file path "
            f"(str or os.PathLike). Got {value!r} instead."
        )
    path = os.fspath(value)
    if os.path.isdir(path):
        raise ValueError(
            f"The 'journal' parameter of {type(owner).__name__} must be a file path; "
            f"{path!r} is a directory."
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(
            f"The 'journal' parameter of {type(owner).__name__} names {path!r}, whose folder "
            f"{folder!r} does not exist."
        )
    exists = os.path.exists(path)
    if (exists and not os.access(path, os.W_OK)) or (not exists and not os.access(folder, os.W_OK)):
        raise ValueError(
            f"The 'journal' parameter of {type(owner).__name__} names {path!r}, which cannot be "
            "written."
        )
    if exists and os.path.getsize(path) > 0 and not _starts_like_a_journal(path):
        raise ValueError(
            f"The 'journal' parameter of {type(owner).__name__} names {path!r}, which exists "
            f"and is not a sktune journal: it begins {_first_bytes(path)!r}, not with a "
            "journal's start event. sktune would overwrite it, so it refuses. To start a new "
            "journal, pass a path that does not exist yet (or an empty file)."
        )


def _first_bytes(path, n=40):
    with open(path, "rb") as f:
        head = f.read(n)
    return head.decode("utf-8", errors="replace")


def _starts_like_a_journal(path):
    """Whether the file's first line is a sktune journal's start event."""
    with open(path, "rb") as f:
        line = f.readline(1 << 20)
    try:
        event = json.loads(line.decode("utf-8"))
    except ValueError:
        return False
    return isinstance(event, dict) and event.get("event") == "start" and "version" in event


class ReplayingExecutor:
    """An executor that answers from the journal the jobs it already holds.

    It wraps the search's :class:`~sktune.execution.Executor` (same interface):
    a job the journal finished in an earlier run comes back at once from
    ``submit``; the others run and are journaled as they finish. Without a
    journal it only passes jobs on.
    """

    def __init__(self, executor, journal=None):
        self.executor = executor
        self.journal = journal
        self._asked = {}  # (trial_id, fold) -> (start the search asked for, params key)

    @property
    def capacity(self):
        return self.executor.capacity

    @property
    def n_pending(self):
        return self.executor.n_pending

    def submit(self, job, asked_start):
        """Run ``job`` (``asked_start``: its budget before lost models reset it to 0);
        its result if the journal already holds it, else None."""
        if self.journal is not None:
            key = params_key(job.params)
            event = self.journal.take(job.trial_id, job.fold, asked_start, job.stop, key)
            if event is not None:
                return job_result_from_event(event)
            self._asked[(job.trial_id, job.fold)] = (asked_start, key, job)
        self.executor.submit(job)
        return None

    def next_results(self):
        """Block until a job is done; the finished results (journaled)."""
        results = self.executor.next_results()
        if self.journal is not None:
            for res in results:
                asked_start, key, job = self._asked.pop((res.trial_id, res.fold))
                self.journal.job(res, job, asked_start, key)
        return results
