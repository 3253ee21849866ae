"""Warnings that point at the user's line, however deep sktune and scikit-learn call."""

from __future__ import annotations

import os
import sys
import warnings

import sklearn

_INSIDE = tuple(os.path.dirname(m.__file__) + os.sep
                for m in (sys.modules[__name__.split(".")[0]], sklearn))


def warn(message, category=UserWarning):
    """``warnings.warn`` at the first frame outside sktune and scikit-learn."""
    level, frame = 2, sys._getframe(1)  # stacklevel 2: the caller of this function
    while frame is not None and frame.f_code.co_filename.startswith(_INSIDE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
