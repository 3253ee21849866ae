"""The scikit-learn face: :class:`BaseSearch` and the three searches built on it."""

from .base import BaseSearch, FitContext
from .bayes import BayesSearchCV
from .hyperband import HyperbandSearchCV
from .population import PopulationSearchCV

__all__ = ["BaseSearch", "FitContext", "BayesSearchCV", "HyperbandSearchCV",
           "PopulationSearchCV"]
