"""Proposals along a training budget: random, or from a model at one budget (BOHB)."""

from __future__ import annotations

import numpy as np

from .base import Proposer, params_key
from .gp import GPProposer
from .random import RandomProposer
from .tpe import TPEProposer

__all__ = ["BudgetProposer", "tell_at_budget"]

_MODELS = {"bayes": GPProposer, "tpe": TPEProposer}


class BudgetProposer(Proposer):
    """Random proposals, then BOHB-style proposals from a model at one budget.

    Observations are kept per budget. Once some budget has ``min_points``
    finite results, new configurations come from a model fitted on the results
    at the *highest* such budget: a :class:`GPProposer` (``model="bayes"``) or a
    :class:`TPEProposer` (``model="tpe"``, BOHB's own choice); a fraction
    ``random_fraction`` of them stay random (exploration, as in BOHB). With
    ``model="random"`` the proposals are always random (plain Hyperband).

    Parameters
    ----------
    space : SearchSpace
    model : {"random", "bayes", "tpe"}, default="random"
    min_points : int or None, default=None
        Results needed at a budget before its model is used; ``None`` means
        ``max(n_features + 2, 6)`` for the GP, where ``n_features`` counts what it
        sees (one feature per real or integer, one per category of a
        categorical), and ``max(n_dimensions + 2, 6)`` for TPE, whose densities
        take a categorical as one dimension.
    random_fraction : float, default=1/3
    random_state : int, Generator or None
    guess_strength : float, default=10.0
        How long the dimensions' guesses hold (see :ref:`guesses`): the random
        proposals follow them as :class:`RandomProposer` draws (the first
        rungs of Hyperband start from the guesses), and so do the budgets'
        models.
    """

    def __init__(self, space, *, model="random", min_points=None, random_fraction=1 / 3,
                 random_state=None, guess_strength=10.0):
        super().__init__(space, random_state=random_state)
        self.guess_strength = guess_strength
        self.model = model
        if model == "tpe":  # one input per dimension
            n_inputs = max(len(s) for s in self.space.subspaces)
        else:  # the GP sees one feature per real/int and one per category (one-hot)
            n_inputs = max(s.n_features for s in self.space.subspaces)
        self.min_points = min_points if min_points is not None else max(n_inputs + 2, 6)
        self.random_fraction = random_fraction
        self._random = RandomProposer(self.space, random_state=self.rng,
                                      observations=self.observations,
                                      guess_strength=guess_strength)
        self._models: dict[float, Proposer] = {}  # budget -> model of its results
        self.model_budgets_: list = []  # budget whose model made each proposal (None: random)

    def _budget_model(self):
        if self.model not in _MODELS:
            return None, None
        ready = [b for b, m in self._models.items()
                 if sum(np.isfinite(s) for _, s in m.observed) >= self.min_points]
        if not ready:
            return None, None
        budget = max(ready)
        return budget, self._models[budget]

    def ask(self, n, *, pending=()):
        budget, model = self._budget_model()
        out = []
        for _ in range(n):
            taken = list(pending) + out
            params = None
            if model is not None and self.rng.random() >= self.random_fraction:
                params = self._model_point(model, taken)
            self.model_budgets_.append(budget if params is not None else None)
            if params is None:
                params = self._random.ask(1, pending=taken)[0]
            out.append(params)
        return out

    def _model_point(self, model, taken):
        """A new configuration from a budget's model, or None after a few repeats.

        A budget's model knows only its own budget's results, so it may propose a
        configuration that was tried at another budget; that one is handed back to
        it as pending, and it is asked again.
        """
        keys = {params_key(p) for p in taken}
        refused = []
        for _ in range(3):
            params = model.ask(1, pending=list(taken) + refused)[0]
            if self._is_new(params, keys):
                return params
            refused.append(params)
        return None

    def tell(self, params, score, budget=None):
        self.observations.add(params, score, budget)
        if self.model in _MODELS and budget is not None and budget not in self._models:
            self._models[budget] = _MODELS[self.model](
                self.space, n_initial_points=1, random_state=self.rng,
                observations=self.observations.at(budget), guess_strength=self.guess_strength,
            )


def tell_at_budget(proposer, params, score, budget):
    """Tell ``proposer`` a result at ``budget`` when it keeps results per budget (a
    :class:`BudgetProposer`, also through a warm start's ``FirstPoints``, which hands out
    given points first), else the score alone (a grid)."""
    if isinstance(getattr(proposer, "proposer", proposer), BudgetProposer):
        proposer.tell(params, score, budget=budget)
    else:
        proposer.tell(params, score)
