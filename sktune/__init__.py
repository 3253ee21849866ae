"""sktune: hyperparameter search as a job for the computer.

Drop-in replacements for scikit-learn's ``GridSearchCV``:
:class:`BayesSearchCV` (Gaussian-process Bayesian optimisation),
:class:`HyperbandSearchCV` (Hyperband / ASHA) and
:class:`PopulationSearchCV` (population based training).
"""

from .search import BayesSearchCV, HyperbandSearchCV, PopulationSearchCV
from .space import Categorical, Integer, Real, SearchSpace

__version__ = "0.1.0.dev0"

__all__ = [
    "BayesSearchCV",
    "HyperbandSearchCV",
    "PopulationSearchCV",
    "Real",
    "Integer",
    "Categorical",
    "SearchSpace",
    "__version__",
]
