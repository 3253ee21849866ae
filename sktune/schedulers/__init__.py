"""Schedulers decide *how much* budget each trial gets, and when."""

from .base import Scheduler, TrialResult, Work
from .fifo import FIFOScheduler
from .halving import ASHAScheduler, HyperbandScheduler, hyperband_plan
from .pbt import PBTScheduler

__all__ = ["Scheduler", "Work", "TrialResult", "FIFOScheduler", "PBTScheduler",
           "HyperbandScheduler", "ASHAScheduler", "hyperband_plan"]
