"""Warnings that point at the user's line, however deep sktune and scikit-learn call."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings

import sklearn
from sklearn.exceptions import ConvergenceWarning

_INSIDE = tuple(os.path.dirname(m.__file__) + os.sep
                for m in (sys.modules[__name__.split(".")[0]], sklearn))


def warn(message, category=UserWarning):
    """``warnings.warn`` at the first frame outside sktune and scikit-learn."""
    level, frame = 2, sys._getframe(1)  # stacklevel 2: the caller of this function
    while frame is not None and frame.f_code.co_filename.startswith(_INSIDE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


#: What training to less than the full budget is expected to raise (an iteration budget
#: stops an iterative solver before it converges, on purpose).
PARTIAL_TRAINING_WARNINGS = (ConvergenceWarning,)


@contextlib.contextmanager
def collect_partial_training_warnings(sink, active=True):
    """Collect into ``sink`` the :data:`PARTIAL_TRAINING_WARNINGS` the block raises, as
    ``(category, first line of the message)``; show every other warning as it would
    have been shown.

    The filters in force decide, as always, which warnings are raised at all (one a
    filter ignores is not collected, one it turns into an error raises). Only in a
    process's main thread (``catch_warnings`` is process-wide): elsewhere, and when
    ``active`` is False, nothing is collected.
    """
    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return
    with warnings.catch_warnings(record=True) as caught:
        try:
            yield
        finally:
            held = list(caught)
    for w in held:
        if issubclass(w.category, PARTIAL_TRAINING_WARNINGS):
            first = (str(w.message).strip().splitlines() or [""])[0]
            sink.append((w.category, first.rstrip(": ")))
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)
