"""Schedulers decide *how much* budget each trial gets, and when."""

from .base import Scheduler, TrialResult, Work
from .curves import CurveStoppingScheduler, curve_checkpoints
from .fifo import FIFOScheduler
from .halving import ASHAScheduler, HyperbandScheduler, hyperband_epochs, hyperband_plan
from .pbt import PBTScheduler

__all__ = ["Scheduler", "Work", "TrialResult", "FIFOScheduler", "PBTScheduler",
           "HyperbandScheduler", "ASHAScheduler", "hyperband_plan", "hyperband_epochs",
           "CurveStoppingScheduler", "curve_checkpoints"]
