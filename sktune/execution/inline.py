"""One worker, no time limit: jobs run in this process as they are handed out."""

from __future__ import annotations

from concurrent.futures import Future

from .._evaluate import run_job
from .backend import Backend


class InlineBackend(Backend):
    """Runs each job at once, in this process; its future is done when ``submit`` returns."""

    name = "inline"
    pack_models = False  # same process: fold models stay as they are

    def start(self, data):
        """Keep ``data`` for the jobs."""
        self.data = data

    def submit(self, job):
        """Run ``job`` now; return its finished future."""
        future = Future()
        future.set_result(run_job(job, self.data))
        return future
