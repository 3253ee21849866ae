"""Execution: the only package that knows about processes, threads and devices.

An :class:`Executor` runs :class:`~sktune._evaluate.Job` objects and hands back
their results in the order they finish. It keeps at most ``capacity`` jobs in
flight; the rest wait in the parent, so schedulers decide with fresh results.
Each job in flight holds one device slot, and a job that names the device its
trial ran on last gets that device back when it is free. The executor is the
policy (queue, slots, suspects, time limits); a small backend class, chosen
once from the active ``joblib.parallel_config``, runs the jobs:

- one worker (:mod:`~sktune.execution.inline`): jobs run inline, in this
  process (in one loky worker process instead when a time limit is set, so
  that a hanging job can be killed);
- ``loky`` (the default) and ``multiprocessing``
  (:mod:`~sktune.execution.loky_pool`): joblib's reusable loky process pool,
  asked for as ``joblib.Parallel`` does, so its warm workers are shared with
  ``GridSearchCV`` and later searches. Loky starts its workers with fork+exec,
  so CUDA is never initialised in a forked process. The shared data
  (estimator, X, y, splits) is written once to a temporary file that each
  worker reads once; each worker's BLAS/OpenMP/torch threads are capped at
  ``cpu_count // k``;
- ``threading`` (:mod:`~sktune.execution.threads`): a thread pool (thread caps
  set in this process while it runs);
- ``dask`` (:mod:`~sktune.execution.dask_client`): the active
  ``distributed.Client`` (data scattered once). Jobs on a CUDA device ask for
  the worker resource ``GPU`` when workers declare it;
- any other joblib backend (Ray's ``ray``, ...,
  :mod:`~sktune.execution.joblib_rounds`): jobs run in rounds of at most
  ``capacity`` through ``joblib.Parallel``, so the backend does the work.

The caller's scikit-learn configuration (``sklearn.get_config()`` when the
search starts) is set around every job in its worker, as
``sklearn.utils.parallel.delayed`` does for ``GridSearchCV``.

Failure handling: a job never raises (errors come back as text). When a
worker dies (killed, segfault, out of memory) every job in flight is broken;
the ones that finished are kept, the others become *suspects* and are run
again one at a time, so only a job that kills its worker on its own is failed
(and its trial's other suspect folds with it). A job past ``timeout`` seconds
is failed; its worker is killed (process backends) or restarted (Dask) and
the other jobs in flight are run again.

Device helpers and worker counts live in :mod:`~sktune.execution.devices`.
"""

from __future__ import annotations

from .devices import (
    active_backend_name,
    check_devices,
    cuda_device_count,
    effective_n_jobs,
    refit_device,
    resolve_devices,
)
from .executor import Executor

__all__ = ["Executor", "active_backend_name", "check_devices", "cuda_device_count",
           "effective_n_jobs", "refit_device", "resolve_devices"]
