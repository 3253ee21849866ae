"""The proposer interface: *which* configuration to try next."""

from __future__ import annotations

import numpy as np

from ..space import SearchSpace


def params_key(params) -> str:
    """A hashable, order-free key of a configuration (for de-duplication)."""
    return repr(sorted((k, repr(v)) for k, v in params.items()))


class Proposer:
    """Base class: ``ask`` for configurations, ``tell`` their scores (higher is better).

    A proposer never runs anything. ``tell`` with a NaN score records a failed
    trial: the configuration is not proposed again and does not enter a model.
    """

    def __init__(self, space: SearchSpace, *, random_state=None):
        self.space = SearchSpace(space)
        self.rng = np.random.default_rng(random_state)
        self.observed: list[tuple[dict, float]] = []
        self._seen: set[str] = set()

    def ask(self, n: int, *, pending=()) -> list[dict]:
        raise NotImplementedError

    def tell(self, params: dict, score: float) -> None:
        self.observed.append((dict(params), float(score)))
        self._seen.add(params_key(params))

    def _is_new(self, params, taken) -> bool:
        key = params_key(params)
        return key not in self._seen and key not in taken
