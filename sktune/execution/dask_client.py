"""joblib's ``dask`` backend: the active ``distributed.Client``."""

from __future__ import annotations

from .._evaluate import run_job
from .._warn import warn
from .backend import Backend, worker_died_text


class DaskBackend(Backend):
    """Jobs as tasks of the active Dask client, the shared data scattered once.

    A job on a CUDA device asks for the worker resource ``GPU`` when workers
    declare it.
    """

    name = "dask"

    def start(self, data):
        """Scatter ``data`` to every worker; find out whether workers declare GPUs."""
        from distributed import get_client

        self.data = data
        self._client = get_client()
        self._data_ref = self._scatter()
        self._gpu_resource = self._workers_declare_gpus()

    def _scatter(self):
        return self._client.scatter(self.data, broadcast=True, hash=False)

    def _workers_declare_gpus(self):
        try:
            workers = self._client.scheduler_info().get("workers", {}).values()
            return any("GPU" in (w.get("resources") or {}) for w in workers)
        except Exception:
            return False

    def close(self, futures, interrupted):
        """Cancel the abandoned tasks."""
        if futures:
            try:
                self._client.cancel(futures)
            except Exception:
                pass

    def submit(self, job):
        """Run ``job`` as a task (holding a share of a GPU when it runs on one)."""
        kwargs = {}
        if self._gpu_resource and isinstance(job.device, str) and job.device.startswith("cuda"):
            kwargs["resources"] = {"GPU": 1.0 / self.trials_per_device}
        return self._client.submit(run_job, job, self._data_ref, pure=False, **kwargs)

    def wait(self, futures, timeout):
        """The tasks done within ``timeout`` seconds."""
        from distributed import wait as dask_wait

        try:
            return dask_wait(futures, timeout=timeout, return_when="FIRST_COMPLETED").done
        except TimeoutError:
            return set()
        except Exception:  # dask's own TimeoutError on older versions
            return {f for f in futures if f.done()}

    def error_text(self, exc):
        """Dask names the task that killed its workers (``KilledWorker``)."""
        if "KilledWorker" in type(exc).__name__:
            return worker_died_text(exc)
        return super().error_text(exc)

    def stop_late(self, late, others):
        """A task cannot be stopped from outside: restart the workers running the late ones
        (all other tasks are cancelled and run again), so no later job waits behind a hung one."""
        hosts = self._hosts_running(late)
        try:
            self._client.cancel(list(late) + list(others))
        except Exception:
            pass
        if not (hosts and self._restart_workers(hosts)):
            warn(
                "A job ran past trial_timeout and its Dask worker could not be restarted; the "
                "task runs on in the background and keeps its worker busy.", RuntimeWarning)
        return True

    def _hosts_running(self, futures):
        keys = {f.key for f in futures}
        try:
            return [w for w, ks in self._client.processing().items() if keys & set(ks)]
        except Exception:
            return []

    def _restart_workers(self, hosts):
        try:
            self._client.restart_workers(hosts)
            self.n_restarts += 1
            self._data_ref = self._scatter()
        except Exception:
            return False
        return True
