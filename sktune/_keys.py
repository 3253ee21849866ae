"""One notion of "the same configuration", for the proposers and the journal.

A configuration's key is the canonical JSON of its values: numpy scalars as
numbers, estimators and other objects by their ``repr`` without memory
addresses, so equal configurations get equal keys in every process and run.
"""

from __future__ import annotations

import json
import math
import numbers
import re

import numpy as np

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def stable_repr(value) -> str:
    """``repr`` without memory addresses (stable from one process to the next)."""
    return _ADDRESS.sub("", repr(value))


def to_json(value):
    """A JSON-friendly copy: numpy scalars and arrays unpacked, non-finite floats as None."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    return {"__repr__": stable_repr(value)}


def params_key(params) -> str:
    """A canonical text of a configuration, equal for equal configurations."""
    return json.dumps(to_json(dict(params)), sort_keys=True, allow_nan=False)
