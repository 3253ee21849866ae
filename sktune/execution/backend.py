"""What every backend does the same way, and the texts of failed jobs."""

from __future__ import annotations

import re
import traceback
from concurrent.futures import FIRST_COMPLETED
from concurrent.futures import wait as futures_wait

from .._evaluate import JobResult


class Backend:
    """Runs jobs handed out by an :class:`~sktune.execution.Executor` and returns futures.

    Subclasses override what their workers do differently; the defaults suit a
    pool of ``concurrent.futures``.

    Parameters
    ----------
    capacity : int
        Jobs in flight at most.
    timeout : float or None
        The executor's time limit per job.
    trials_per_device : int
        Slots per device.

    Attributes
    ----------
    name : str
        Short name of the backend.
    pack_models : bool
        Whether fold models cross process boundaries (as ``PackedModel``).
    n_restarts : int
        Times the workers were restarted.
    """

    name = "base"
    pack_models = True

    def __init__(self, capacity, timeout=None, trials_per_device=1):
        self.capacity = capacity
        self.timeout = timeout
        self.trials_per_device = trials_per_device
        self.n_restarts = 0

    def start(self, data):
        """Get the workers ready for the jobs sharing ``data``."""

    def close(self, futures, interrupted):
        """Release the workers; ``futures`` are the abandoned jobs still in flight."""

    def submit(self, job):
        """Start ``job`` (on ``job.device``) and return its future."""
        raise NotImplementedError

    def wait(self, futures, timeout):
        """The futures done within ``timeout`` seconds (None: until one is)."""
        done, _ = futures_wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return done

    def is_worker_death(self, exc):
        """Whether a job's ``exc`` means its worker died (and broke the jobs in flight)."""
        return False

    def error_text(self, exc):
        """The error of a job whose future raised ``exc`` (a worker death excepted)."""
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return f"the job could not be run: {text}"

    def restart(self):
        """Start fresh workers after a worker death."""
        self.n_restarts += 1

    def stop_late(self, late, others):
        """Stop the jobs past the time limit (``late``) where the workers allow it.

        Returns
        -------
        stopped_others : bool
            Whether the jobs of ``others`` were stopped too, and must run again.
        """
        return False


def failed(job, text):
    """The result of a job that failed in the parent (``text`` is its error)."""
    return JobResult(job.trial_id, job.fold, error=text, device=job.device)


def exit_code_text(exc):
    """How the worker ended, as the text of ``exc`` tells it."""
    text = str(exc)
    found = re.search(r"exit codes? of the workers? (?:are|is) (\{[^}]*\})", text)
    return f" with exit code {found.group(1)}" if found else f" ({type(exc).__name__}: {text[:200]})"


def worker_died_text(exc):
    """The error of a job that killed its worker."""
    return (
        f"WorkerDiedError: the worker process running this job died{exit_code_text(exc)}: killed, "
        "crashed or out of memory. It died again when run alone, so this job caused it."
    )
