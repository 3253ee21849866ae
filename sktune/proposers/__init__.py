"""Proposers decide *which* configuration to try next."""

from .base import Proposer, SpaceExhaustedWarning
from .gp import GPProposer
from .random import RandomProposer

__all__ = ["Proposer", "RandomProposer", "GPProposer", "SpaceExhaustedWarning"]
