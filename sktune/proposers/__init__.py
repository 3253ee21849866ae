"""Proposers decide *which* configuration to try next."""

from .base import Observations, Proposer, SpaceExhaustedWarning
from .budget import BudgetProposer
from .gp import GPProposer
from .random import RandomProposer
from .tpe import TPEProposer

__all__ = ["Proposer", "RandomProposer", "GPProposer", "TPEProposer", "BudgetProposer",
           "Observations", "SpaceExhaustedWarning"]
