"""Proposers decide *which* configuration to try next."""

from .base import Proposer, SpaceExhaustedWarning
from .gp import GPProposer
from .random import RandomProposer
from .tpe import TPEProposer

__all__ = ["Proposer", "RandomProposer", "GPProposer", "TPEProposer",
           "SpaceExhaustedWarning"]
