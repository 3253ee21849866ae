"""Devices and worker counts: what the active joblib backend and this machine offer."""

from __future__ import annotations

import os
import re

import joblib

from .._compat import active_joblib_backend

__all__ = ["active_backend_name", "check_devices", "cuda_device_count", "effective_n_jobs",
           "refit_device", "resolve_devices"]

_DEVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*(:[0-9]+)?$")
_BACKEND_NAMES = ("dask", "threading", "loky", "sequential", "multiprocessing")
# workers elsewhere: they may have GPUs and cores this process does not see
REMOTE_BACKENDS = frozenset({"dask", "other"})


def cuda_device_count():
    """Number of visible CUDA devices, without initialising CUDA in this process.

    ``torch.cuda.device_count`` asks NVML first, without initialising the CUDA
    driver in this process (``torch.cuda.is_available`` would), so workers forked
    later stay safe.

    Returns
    -------
    n : int
        0 without torch or a CUDA build.
    """
    try:
        import torch
    except ImportError:
        return 0
    if not torch.backends.cuda.is_built():
        return 0
    return int(torch.cuda.device_count())


def resolve_devices(devices, trials_per_device=1):
    """Device slots for ``devices``.

    Parameters
    ----------
    devices : None, "auto", str or list of str
        ``"auto"`` means every visible CUDA device, or the CPU when there is none.
    trials_per_device : int
        Slots per device.

    Returns
    -------
    slots : list of str or None
        ``[None]`` for the CPU.
    """
    if devices is None:
        return [None]
    if isinstance(devices, str) and devices == "auto":
        devices = [f"cuda:{i}" for i in range(cuda_device_count())]
        if not devices:
            return [None]
    elif isinstance(devices, str):
        devices = [devices]
    return [d for d in devices for _ in range(int(trials_per_device))]


def refit_device(devices):
    """The device the best configuration is refitted on: the first of ``devices``.

    Parameters
    ----------
    devices : None, "auto", str or list of str
        As the searches take it.

    Returns
    -------
    device : str or None
        None for the CPU.
    """
    return resolve_devices(devices)[0]


def check_devices(devices, owner):
    """Reject device names that are malformed, or CUDA devices this machine lacks.

    The CUDA check is skipped under a Dask (or other remote) joblib backend,
    whose workers may have GPUs this process does not see.

    Parameters
    ----------
    devices : None, "auto", str or list of str
        The ``devices`` parameter of ``owner``.
    owner : object
        The search, named in the error messages.
    """
    if devices is None or (isinstance(devices, str) and devices == "auto"):
        return
    names = [devices] if isinstance(devices, str) else list(devices)
    who = type(owner).__name__
    for name in names:
        if not isinstance(name, str) or not _DEVICE_NAME.match(name):
            raise ValueError(
                f"The 'devices' parameter of {who} must be None, 'auto' or device names such as "
                f"'cpu' or 'cuda:0'. Got {name!r} instead."
            )
    if active_backend_name() not in REMOTE_BACKENDS:
        _check_cuda_visible([n for n in names if n.split(":")[0] == "cuda"], who)


def _check_cuda_visible(cuda_names, who):
    n_visible = cuda_device_count() if cuda_names else 0
    for name in cuda_names:
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= n_visible:
            raise ValueError(
                f"The 'devices' parameter of {who} names {name!r}, but {n_visible} CUDA "
                "device(s) are visible here. Use devices=None (CPU) or 'auto'."
            )


def active_backend():
    """The active joblib backend's short name (see :func:`active_backend_name`) and n_jobs."""
    backend, n_jobs = active_joblib_backend()
    name = type(backend).__name__.lower()
    return next((key for key in _BACKEND_NAMES if key in name), "other"), n_jobs


def active_backend_name():
    """The active joblib backend.

    Returns
    -------
    name : str
        "loky", "threading", "dask", "sequential", "multiprocessing" or "other".
    """
    return active_backend()[0]


def effective_n_jobs(n_jobs):
    """Workers that ``n_jobs`` means under the active joblib backend.

    Parameters
    ----------
    n_jobs : int or None
        As joblib reads it (-1: all cores); None takes the backend's default.

    Returns
    -------
    n : int
        At least 1.
    """
    name, default = active_backend()
    if n_jobs is None:
        n_jobs = default if default not in (None, 0) else 1
    count = _WORKER_COUNTS.get(name, _joblib_workers)
    return count(n_jobs)


def _joblib_workers(n_jobs):
    return max(1, joblib.effective_n_jobs(n_jobs)) if n_jobs != 0 else 1


def _dask_workers(n_jobs):
    if n_jobs >= 0:
        return _joblib_workers(n_jobs)
    from distributed import get_client

    return max(1, sum(get_client().nthreads().values()))


def _other_workers(n_jobs):
    try:
        return max(1, joblib.effective_n_jobs(n_jobs))
    except Exception:  # some backends cannot tell before they start
        return max(1, os.cpu_count() or 1)


_WORKER_COUNTS = {"dask": _dask_workers, "other": _other_workers}
