"""Where the metadata of a search's ``fit`` and ``score`` goes, as in scikit-learn's searches.

With ``sklearn.set_config(enable_metadata_routing=True)`` a search is a router:
the estimator's ``fit``, the scorers' ``score`` and the splitter's ``split`` get
what they request (``set_fit_request``, ``set_score_request``), and metadata
that nothing requests raises before any training. With routing off (the
legacy path) every fit parameter goes to the estimator, ``groups`` to the
splitter, and, from scikit-learn 1.7 on, ``sample_weight`` to the scorers that
take it. Fold slicing happens later, in the workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import sklearn
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing

from . import _compat
from ._warn import warn


def routing_enabled():
    """Whether scikit-learn's metadata routing is on (``enable_metadata_routing``)."""
    return bool(sklearn.get_config().get("enable_metadata_routing", False))


@dataclass
class Routed:
    """The metadata of one ``fit``, by destination (values not yet cut to folds).

    Attributes
    ----------
    fit : dict
        To the estimator's ``fit`` (every fold model and the refit).
    score : dict
        Metric name -> the parameters of its scorer.
    split : dict
        To the splitter's ``split``.
    """

    fit: dict
    score: dict
    split: dict


def routing_scorer(scorers, multimetric):
    """The object that stands for the scorers in the router, as in ``GridSearchCV``."""
    if multimetric:
        return _compat.multimetric_scorer(scorers)
    return next(iter(scorers.values()))


def search_router(search, scorers, multimetric):
    """The :class:`~sklearn.utils.metadata_routing.MetadataRouter` of ``search``."""
    router = MetadataRouter(owner=type(search).__name__)
    router.add(estimator=search.estimator,
               method_mapping=MethodMapping().add(caller="fit", callee="fit"))
    router.add(scorer=routing_scorer(scorers, multimetric),
               method_mapping=MethodMapping().add(caller="score", callee="score")
               .add(caller="fit", callee="score"))
    router.add(splitter=search.cv, method_mapping=MethodMapping().add(caller="fit", callee="split"))
    return router


def _per_scorer(scorers, multimetric, params):
    """Split the scorers' metadata between them (each gets what it requests)."""
    if not params:
        return {name: {} for name in scorers}
    if not multimetric:
        return {name: dict(params) for name in scorers}
    routed = process_routing(routing_scorer(scorers, multimetric), "score", **params)
    return {name: dict(routed[name]["score"]) for name in scorers}


def route_fit(search, scorers, multimetric, params, groups):
    """The :class:`Routed` metadata of ``search.fit(X, y, groups=groups, **params)``.

    With routing on this raises scikit-learn's errors for metadata that is not
    requested (or whose request is not set), before any training.
    """
    if routing_enabled():
        params = dict(params) if groups is None else {**params, "groups": groups}
        routed = process_routing(search, "fit", **params)
        return Routed(fit=dict(routed["estimator"]["fit"]),
                      score=_per_scorer(scorers, multimetric, routed["scorer"]["score"]),
                      split=dict(routed["splitter"]["split"]))
    score = {name: {} for name in scorers}
    weights = params.get("sample_weight")
    if weights is not None and _compat.SCORERS_GET_SAMPLE_WEIGHT:
        for name, scorer in scorers.items():
            if _compat.scorer_accepts_sample_weight(scorer):
                score[name] = {"sample_weight": weights}
            else:
                label = f"{name}={scorer}" if multimetric else f"{scorer}"
                warn(f"The scoring {label} does not support sample_weight, which may lead to "
                     f"statistically incorrect results when fitting {search} with "
                     "sample_weight. ")
    return Routed(fit=dict(params), score=score, split={"groups": groups})


def route_score(search, scorers, multimetric, params):
    """Metric name -> the scorer parameters of ``search.score(X, y, **params)``."""
    if not routing_enabled():
        _compat.raise_for_params(params, search, "score")
        return {name: {} for name in scorers}
    routed = process_routing(search, "score", **params)
    return _per_scorer(scorers, multimetric, routed["scorer"]["score"])
