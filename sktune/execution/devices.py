"""Devices and worker counts: what the active joblib backend and this machine offer."""

from __future__ import annotations

import difflib
import os
import re

import joblib

from .._compat import active_joblib_backend
from .._warn import warn

__all__ = ["active_backend_name", "check_devices", "cuda_device_count", "effective_n_jobs",
           "refit_device", "resolve_devices"]

_DEVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*(:(0|[1-9][0-9]*))?$")
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


def check_devices(devices, owner, estimator=None, device_param=None):
    """Reject device names that are malformed or repeated, or devices this machine lacks.

    Names are lower case, ``type`` or ``type:index`` ("cpu", "cuda", "cuda:1",
    "mps"); "gpu" is refused for "cuda" (torch's name, and the one sktune counts
    and hands to Dask as a GPU). A device listed twice is refused for
    ``trials_per_device``, except "cpu": CPU slots may repeat. Where the device
    goes to a torch model (skorch), torch must accept the name. The CUDA and MPS
    checks are skipped under a Dask (or other remote) joblib backend, whose
    workers may have devices this process does not see.

    Parameters
    ----------
    devices : None, "auto", str or list of str
        The ``devices`` parameter of ``owner``.
    owner : object
        The search, named in the error messages.
    estimator : estimator, default=None
        The estimator that receives the devices: checked to have a device
        parameter (a warning where it has none), and whether it is a torch model.
    device_param : str or None, default=None
        The parameter of ``estimator`` that receives the device.
    """
    if devices is None:
        return
    who = type(owner).__name__
    target = None if estimator is None else _device_target(estimator, device_param, who)
    if not (isinstance(devices, str) and devices == "auto"):
        names = [devices] if isinstance(devices, str) else list(devices)
        for name in names:
            _check_name(name, who)
        _check_repeats(names, who)
        if _is_torch_model(target):
            for name in names:
                _check_torch_name(name, who, type(target).__name__)
        if active_backend_name() not in REMOTE_BACKENDS:
            _check_cuda_visible([n for n in names if n.split(":")[0] == "cuda"], who)
            _check_mps_visible([n for n in names if n.split(":")[0] == "mps"], who)
    if estimator is not None and target is None and any(
            slot is not None for slot in resolve_devices(devices)):
        warn(f"The 'devices' parameter of {who} is set, but {type(estimator).__name__} has no "
             "'device' parameter (nor a '<step>__device' one): the devices only count job "
             "slots and never reach the estimator. Name its device parameter with "
             "device_param=..., or leave devices=None.")


def _suggest(name):
    """The well-formed name ``name`` probably means, or None."""
    kind, _, index = re.sub(r"\s+", "", name).lower().partition(":")
    glued = re.fullmatch(r"(cpu|cuda|gpu|mps|xpu)([0-9]+)", kind)  # "cuda0"
    if glued and not index:
        kind, index = glued.groups()
    kind = "cuda" if kind == "gpu" else kind
    if index.isdigit():
        index = str(int(index))
    guess = f"{kind}:{index}" if index else kind
    return guess if _DEVICE_NAME.match(guess) and guess != name else None


def _check_name(name, who):
    if not isinstance(name, str):
        raise ValueError(f"The 'devices' parameter of {who} must be None, 'auto' or device "
                         f"names such as 'cpu' or 'cuda:0'. Got {name!r} instead.")
    kind = name.split(":")[0]
    if kind == "gpu" and _DEVICE_NAME.match(name):
        raise ValueError(
            f"The 'devices' parameter of {who} must be None, 'auto' (every visible CUDA "
            "device) or device names as torch writes them: NVIDIA GPUs are 'cuda' or 'cuda:N', "
            f"so {_suggest(name)!r} here. Got {name!r} instead."
        )
    if not _DEVICE_NAME.match(name) or re.fullmatch(r"(cpu|cuda|gpu|mps|xpu)[0-9]+", kind):
        guess = _suggest(name)
        raise ValueError(
            f"The 'devices' parameter of {who} must be None, 'auto' or device names such as "
            "'cpu', 'cuda' or 'cuda:0' (lower case, no spaces, an index without leading "
            f"zeros). Got {name!r} instead." + (f" Did you mean {guess!r}?" if guess else "")
        )


def _check_repeats(names, who):
    seen = {}
    for name in names:
        same = "cuda:0" if name == "cuda" else name  # torch's "cuda" is the current one, 0
        if same in seen and name.split(":")[0] != "cpu":
            also = (f" ({seen[same]!r} and {name!r} are the same device)"
                    if seen[same] != name else "")
            raise ValueError(
                f"The 'devices' parameter of {who} names {same!r} twice{also}; to run several "
                "jobs at once on one device, list it once and set trials_per_device=2 (or more)."
            )
        seen.setdefault(same, name)


def _device_target(estimator, device_param, who):
    """The object whose device parameter gets the devices, as apply_device picks it; or None."""
    params = estimator.get_params(deep=True)
    name = device_param
    if name is None:
        candidates = [p for p in params if p == "device" or p.endswith("__device")]
        name = candidates[-1] if candidates else None
    elif name not in params:
        close = difflib.get_close_matches(name, sorted(params), n=1)
        raise ValueError(
            f"The 'device_param' parameter of {who} names {name!r}, which is not a parameter "
            f"of {type(estimator).__name__}." + (f" Did you mean {close[0]!r}?" if close else "")
        )
    if name is None:
        return None
    return estimator if "__" not in name else params.get(name.rsplit("__", 1)[0])


def _is_torch_model(obj):
    return obj is not None and any(
        c.__module__.split(".")[0] == "skorch" for c in type(obj).__mro__)


def _check_torch_name(name, who, model):
    import torch

    try:
        torch.device(name)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(
            f"The 'devices' parameter of {who} must name devices torch accepts ({model} is a "
            "torch model), such as 'cpu', 'cuda', 'cuda:0' or 'mps'. "
            f"Got {name!r} instead; "
            f"torch says: {exc}"
        ) from None


def _check_cuda_visible(cuda_names, who):
    n_visible = cuda_device_count() if cuda_names else 0
    for name in cuda_names:
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= n_visible:
            raise ValueError(
                f"The 'devices' parameter of {who} names {name!r}, but {n_visible} CUDA "
                "device(s) are visible here. Use devices=None (CPU) or 'auto'."
            )


def _check_mps_visible(mps_names, who):
    if not mps_names:
        return
    try:
        import torch
    except ImportError:  # the estimator decides what "mps" means
        return
    if not torch.backends.mps.is_available():
        raise ValueError(
            f"The 'devices' parameter of {who} names {mps_names[0]!r}, but torch sees no MPS "
            "device (Apple GPU) here. Use devices=None (CPU) or 'auto'."
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
