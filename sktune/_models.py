"""Fold models kept between training steps: in memory, or on disk past a memory budget."""

from __future__ import annotations

import os
import re
import shutil
import tempfile

from ._evaluate import PackedModel

__all__ = ["ModelStore", "parse_size"]

_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(value):
    """Bytes in ``value``: None, a number of bytes, or a str such as "500MB" or "2GB".

    Returns None for None, and raises ``ValueError`` for a str it cannot read.
    """
    if value is None or isinstance(value, (int, float)):
        return value
    found = _SIZE.match(str(value))
    if not found:
        raise ValueError(f"cannot read {value!r} as a size; write it as 500MB or 2GB")
    return int(float(found.group(1)) * _UNITS[found.group(2).upper()])


def _size(model):
    return len(model.blob) if isinstance(model, PackedModel) else 0


class _Spilled:
    """A fold model written to ``path``."""

    __slots__ = ("path",)

    def __init__(self, path):
        self.path = path


class ModelStore:
    """The fold models of each trial, kept to continue training later.

    Packed models (those that came back from worker processes) count against
    ``max_bytes``; past it, the oldest trials' models are written to a
    temporary folder and read back when their trial continues. Live estimators
    (``n_jobs=1`` or threads) stay in memory.

    Parameters
    ----------
    max_bytes : int or None
        Bytes of packed models kept in memory; None means no limit.
    """

    def __init__(self, max_bytes=None):
        self.max_bytes = max_bytes
        self._models = {}  # trial_id -> list of models (PackedModel, live or _Spilled)
        self._bytes = 0
        self._folder = None
        self.n_spilled = 0  # fold models written to disk so far

    def __iter__(self):
        return iter(list(self._models))

    def put(self, trial_id, models):
        self.drop(trial_id)
        self._models[trial_id] = list(models)
        self._bytes += sum(_size(m) for m in models)
        self._spill_past_budget()

    def get(self, trial_id):
        """The models of ``trial_id`` (read back from disk if spilled), or None."""
        models = self._models.get(trial_id)
        if models is None:
            return None
        return [self._read(m) if isinstance(m, _Spilled) else m for m in models]

    def drop(self, trial_id):
        for m in self._models.pop(trial_id, ()):
            if isinstance(m, _Spilled):
                _unlink(m.path)
            else:
                self._bytes -= _size(m)

    def close(self):
        """Forget every model and remove the spill folder."""
        self._models.clear()
        self._bytes = 0
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    @property
    def bytes_in_memory(self):
        return self._bytes

    def _spill_past_budget(self):
        if self.max_bytes is None:
            return
        for trial_id in list(self._models):  # oldest first: they wait longest
            if self._bytes <= self.max_bytes:
                return
            self._models[trial_id] = [self._write(trial_id, k, m)
                                      for k, m in enumerate(self._models[trial_id])]

    def _write(self, trial_id, fold, model):
        if not isinstance(model, PackedModel):
            return model
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="sktune-models-")
        fd, path = tempfile.mkstemp(prefix=f"trial{trial_id}-fold{fold}-", suffix=".pkl",
                                    dir=self._folder)
        with os.fdopen(fd, "wb") as f:
            f.write(model.blob)
        self._bytes -= len(model.blob)
        self.n_spilled += 1
        return _Spilled(path)

    @staticmethod
    def _read(spilled):
        with open(spilled.path, "rb") as f:
            return PackedModel.from_blob(f.read())


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass
