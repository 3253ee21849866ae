"""PopulationSearchCV: population based training with cross-validation."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import clone, is_classifier

from .._compat import num_rows
from .._validation import BOOL, Check, Interval, Options
from .._warn import warn
from ..execution import refit_device
from ..proposers.base import SpaceExhaustedWarning, space_size
from ..proposers.grid import GridProposer, covers_space
from ..proposers.random import RandomProposer
from ..resources import FullFit, ParamBudget, SampleCount, WarmStart, final_step, make_resource
from ..resources import set_params_in_place as _set_changed
from ..schedulers.pbt import PBTScheduler
from ._checks import PRE_DISPATCH_CONSTRAINT, check_no_subspace_counts
from ._holdout import carve_holdout, holdout_problem, replay_jobs, run_replays
from .base import MODEL_MEMORY_CONSTRAINT, BaseSearch

__all__ = ["PopulationSearchCV"]


def _is_factors(v):
    return (
        isinstance(v, (list, tuple)) and len(v) > 0
        and all(isinstance(f, numbers.Real) and not isinstance(f, bool) and f > 0 for f in v)
    )


def _is_names(v):
    return isinstance(v, (list, tuple, set, frozenset)) and all(isinstance(n, str) for n in v)


_AUTO_GENERATIONS = 10  # generations when the budget is not given


class PopulationSearchCV(BaseSearch):
    """Population based training (PBT) over hyperparameters, with cross-validation.

    A population of ``population_size`` members, each a configuration drawn
    at random from ``param_distributions`` with its own k fold models, trains
    in steps of ``perturbation_interval`` budget units (skorch epochs,
    ``partial_fit`` passes, ``warm_start`` trees or iterations). After each
    step members are ranked by mean CV score (the refit metric when several
    are given). Members in the bottom ``quantile_fraction`` **exploit**: they
    continue from a copy of all k fold models of a member drawn from the top
    quantile (weights *and* optimizer state) and take its hyperparameters.
    Then they **explore**: each mutable hyperparameter is multiplied by one of
    ``perturbation_factors`` and clipped to its range (integers: at least one
    step; categoricals: a neighbouring choice), or, with probability
    ``resample_probability``, drawn anew. Training is never restarted: the
    result of a search is a *schedule* of hyperparameters over the budget
    (``best_schedule_``), which ``refit=True`` replays on all the data.

    Which score is which: ``best_score_`` (``mean_test_score``) is the one PBT
    selected on, round after round on the same folds, and it is optimistic;
    ``best_holdout_score_`` (``holdout_test_score``) comes from replaying the
    best final schedules on rows kept out of the search (``holdout``), and is
    the estimate to report.

    Only "hot" hyperparameters can change while training continues: those the
    resource adapter reports (skorch ``lr``, ``batch_size``, ``optimizer__*``
    and user callbacks' parameters; ``eta0``, ``alpha``... of SGD models;
    ``learning_rate_init`` of MLPs; ``learning_rate`` of histogram gradient
    boosting). Other searched parameters (``module__*``, layer sizes) are drawn
    once per member and stay fixed (a member that exploits takes them from the
    member it copies, with its weights); naming one in ``mutable_params`` is an
    error, raised before any training.

    **Evolutionary mode.** An estimator that cannot continue training (no
    ``partial_fit``, no ``warm_start``; or ``resource="fit"``) is searched in
    evolutionary mode: every generation refits each member from scratch with
    its exploited and perturbed hyperparameters, every searched parameter is
    mutable, and the budget axis counts generations. ``cv_results_["mode"]``
    and ``mode_`` say ``"evolutionary"`` (``"pbt"`` otherwise).

    Parameters
    ----------
    estimator : estimator object
        The estimator (or Pipeline) to tune: a skorch net, an estimator with
        ``partial_fit`` or a ``warm_start`` ensemble (any other estimator is
        searched in evolutionary mode).
    param_distributions : dict, list of dict or SearchSpace
        Parameter names mapped to :class:`~sktune.Real`, :class:`~sktune.Integer`,
        :class:`~sktune.Categorical`, lists of choices or bounded ``scipy.stats``
        distributions. The initial population is drawn from it (scrambled
        Sobol) and explored values are clipped to it.
    population_size : int, default=8
        Number of members trained side by side.
    max_resources : int or "auto", default="auto"
        Budget each member is trained for: epochs, ``partial_fit`` passes, trees...
        ``"auto"`` takes the estimator's own budget (skorch ``max_epochs``,
        ``max_iter``, ``n_estimators``); in evolutionary mode without a budget
        it is 10 generations.
    perturbation_interval : int or "auto", default="auto"
        Budget of one step, between two exploit/explore decisions. ``"auto"``
        gives 10 steps (``max_resources // 10``, at least 1).
    mutable_params : list of str or None, default=None
        Searched parameters explore may change. ``None``: every searched
        parameter that is hot for this estimator (every searched parameter in
        evolutionary mode). A parameter the estimator sets itself in training
        (``lr`` under a skorch ``LRScheduler``) is refused: the value PBT records
        and perturbs would not be the one in use.
    quantile_fraction : float, default=0.25
        Fraction of the population that exploits (the bottom) and that is
        copied (the top), in ``(0, 0.5]``.
    resample_probability : float, default=0.25
        Probability that explore draws a parameter anew from its distribution
        instead of perturbing it.
    perturbation_factors : tuple of float, default=(0.8, 1.2)
        Factors continuous and integer values are multiplied by when explored.
    burn_in : int, default=0
        Budget a member trains for before it may exploit.
    synchronous : bool, default=True
        ``True``: generations in lock step (every member finishes a step before
        any exploits), reproducible under a fixed ``random_state`` whatever
        ``n_jobs``. ``False``: asynchronous PBT, as in the paper: a member
        exploits as soon as its own step ends, ranked against the latest scores
        of the others, so no worker waits (results then depend on timing).
    holdout : float in (0, 0.5) or None, default=None
        Fraction of the rows kept out of every CV fold: never trained on nor
        scored during the search, so no exploit decision sees them (whole
        groups when ``groups`` is given, stratified for a classifier, drawn
        from ``random_state``). After the search the schedules of the best
        final members are replayed from scratch, on fresh seeds, on the other
        rows and scored on the holdout (``holdout_test_score`` in
        ``cv_results_``, ``best_holdout_score_``). PBT selects over many rounds
        on the same folds, copying the fold models that happen to score best on
        them, so its best mean CV score is optimistic; the holdout score is the
        estimate not used by those decisions. ``None``: no holdout (the search
        selects and reports on the CV folds alone). Use ``None`` for time-ordered
        data, where a random holdout would look into the future.
    holdout_candidates : int, default=3
        How many final members with distinct schedules are replayed (the best by
        mean CV score first); with more than one, the best mean holdout score
        picks ``best_index_`` among them, so a schedule whose CV score came from
        lucky fold models is not chosen. The chosen one's holdout score then is
        the best of ``holdout_candidates`` (mildly optimistic); with 1 it picks
        nothing. With a callable ``refit`` or ``objectives`` only the best row is
        replayed.
    holdout_repeats : int, default=3
        Replays per candidate, each from its own seed (the mean is reported, the
        spread in ``std_holdout_test_score``): a schedule that trains well only
        from some initialisations shows here. Estimators seeded by their own
        ``random_state`` replay identically.
    resource : "auto", "fit", str or Resource, default="auto"
        How training advances (see :func:`sktune.resources.make_resource`):
        ``"auto"`` picks skorch epochs, ``partial_fit`` passes or ``warm_start``
        growth, and the evolutionary mode (``"fit"``) for other estimators.
    scoring : str, callable, list, dict or None, default=None
        Metric(s) as in :class:`~sklearn.model_selection.GridSearchCV`. With
        several, members are ranked by the ``refit`` metric (by the first of
        ``scoring`` when ``refit`` is False or a callable).
    n_jobs : int or None, default=None
        Jobs (member x fold) run at once; -1 uses all cores.
    refit : bool, str or callable, default=True
        Replay ``best_schedule_`` on all data (``best_estimator_``); with several
        metrics, the name of the metric that ranks members.
    cv : int, CV splitter, iterable or None, default=None
        Cross-validation (5-fold, stratified for classifiers, when None).
    verbose : int, default=0
        1 shows a progress bar; 2 also prints a line per (member, step).
    random_state : int, RandomState, Generator or None, default=None
        Seeds the initial population, exploit and explore, and per step the
        estimators' unset ``random_state`` and torch.
    error_score : "raise" or float, default=np.nan
        Score of a failed step; the member then exploits a top member (or
        stops if there is none).
    return_train_score : bool, default=False
        Also score the training folds.
    callbacks : callable or list of callables, default=None
        Called with a :class:`~sktune.callbacks.SearchState` after each step;
        returning True stops the search.
    devices : None, "auto", str or list of str, default=None
        Device slots for the estimators' ``device`` parameter (skorch):
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``; ``"auto"`` uses every visible CUDA
        device. Checked before training (``"gpu"``, repeats and missing CUDA
        devices are refused).
    trials_per_device : int, default=1
        Jobs that may share one device at a time.
    device_param : str or None, default=None
        The parameter that receives the device.
    journal : str, path-like or None, default=None
        A JSON-lines file recording every finished job (one fold of one step).
        Calling ``fit`` again with the same file reads the finished jobs back
        instead of running them. Fold models are not journaled: after a resume,
        the first step that should continue a lost model rebuilds it by rerunning
        the steps that trained it (their hyperparameters and seeds), so a resumed
        synchronous search is the uninterrupted one.
    trial_timeout : float or None, default=None
        Seconds one job (one fold of one step) may run before it is failed
        (scored ``error_score``; the member then exploits).
    max_model_memory : int, str or None, default="2GB"
        Memory for the fold models kept between training steps (bytes, or a
        size such as ``"500MB"``). Past it, the models waiting longest are
        written to a temporary folder and read back when their trial
        continues; None keeps every model in memory. Models trained in this
        process (``n_jobs=1``, threads) are always kept in memory.
    pre_dispatch : int, str or None, default="2*n_jobs"
        Accepted for code written for ``GridSearchCV``; it has nothing to limit
        here: at most ``n_jobs`` jobs are handed out at a time, and the data is
        sent once per worker.

    objectives : list of str, dict or None, default=None
        Several objectives: metrics of ``scoring`` (maximised) and costs sktune
        measures itself (minimised): ``"fit_time"``, ``"score_time"`` (seconds
        per fold) and ``"model_size"`` (bytes of the pickled fold model); a dict
        ``{name: "max" | "min"}`` sets the directions. ``cv_results_`` then has
        ``pareto_rank`` and the search ``pareto_front_``; trials are ranked by
        non-dominated sorting (see the user guide), and ``refit`` picks among
        the rows meeting ``constraints``.
    constraints : dict of str to float or None, default=None
        Bounds the best must meet, such as ``{"fit_time": 30}`` (an upper bound
        for a minimised name, a lower bound for a maximised one); with
        ``objectives``. ``refit_explanation_`` says how the best was chosen.

    initial_points : list of dict or None, default=None
        The first members of the initial population (at most
        ``population_size``); the other members are drawn from the space.
    initial_results : fitted search, dict, DataFrame, str, path-like or None, default=None
        Results of an earlier search to start from: a fitted search (sktune's,
        ``GridSearchCV``, ``RandomizedSearchCV``, ``HalvingGridSearchCV``,
        ``HalvingRandomSearchCV``), its ``cv_results_`` (a dict or a pandas
        DataFrame) or the ``journal`` file of an sktune search. Every row must set
        each parameter of one sub-space of the new space, within its bounds
        (otherwise ``fit`` raises before any training, naming the parameter).
        See ``initial_results_as`` and :ref:`warm-start`.
    initial_results_as : {"auto", "prior"}, default="auto"
        PopulationSearchCV always uses ``initial_results`` as a prior: the best
        of them (up to half of ``population_size``) are members of the initial
        population, after ``initial_points``. A member's training must run to be
        continued and exploited, so ``"results"`` is refused.

    Attributes
    ----------
    cv_results_ : dict of numpy arrays
        One row per (member, step), with the ``param_*`` values in force
        during that step, scikit-learn's keys and ``member_id``, ``parent_id``
        (the member copied before the step, -1 if none), ``step``,
        ``n_resources`` (budget at the end of the step), ``mode`` (``"pbt"`` or
        ``"evolutionary"``), ``trial_id``, ``status``, ``error``, ``device``.
        ``mean_test_<metric>`` is what the search selected on (over many rounds,
        on the same folds); with ``holdout``, ``holdout_test_<metric>`` and
        ``std_holdout_test_<metric>`` are the mean and spread of the replays'
        scores on the holdout, for the replayed final rows (NaN elsewhere), an
        estimate no exploit decision used.
    task_fingerprint_ : dict
        Hashes of the data, CV splits, scoring and estimator of this fit; a later
        search given this one as ``initial_results`` compares them with its own.
    initial_results_use_ : {"results", "prior"} or None
        How ``initial_results`` were used (None without them).
    holdout_indices_ : ndarray of int or None
        The rows of the holdout (None with ``holdout=None``).
    best_holdout_score_ : float
        ``holdout_test_<refit metric>`` of ``best_index_``: the estimate of the
        chosen schedule not used by PBT's selection (NaN with ``holdout=None``,
        or when the search was interrupted). Compare it with ``best_score_``,
        the selected (optimistic) CV score.
    n_models_spilled_ : int
        Fold models written to disk during the search (see ``max_model_memory``).
    best_schedule_ : list of dict
        The winning lineage's hyperparameters over the budget, following the
        copies back through the parents: one ``{"start", "stop", "params",
        "member_id", "trial_id"}`` per step, in training order, with
        ``"params_in_use"`` where training ended the step with other values
        (a learning rate a skorch ``LRScheduler`` decayed; ``cv_results_`` then
        has ``effective_<param>`` columns).
    lineage_ : list of dict
        Every exploit: ``step``, ``n_resources`` (budget of the copied models),
        ``member_id``, ``parent_id``, ``trial_id`` (the step that continued from
        the copy), ``source_trial_id``, ``score``, ``parent_score``,
        ``params_before``, ``params_copied``, ``params_after`` (explored).
    best_params_ : dict
        The final hyperparameters of the winning lineage.
    best_score_ : float
        Mean CV score of the best member at the end of its training: the score
        PBT selected on, optimistic (see ``best_holdout_score_``).
    best_score_std_error_ : float
        The standard error of ``best_score_`` (the standard deviation of the best's
        fold scores over the square root of their number). ``cv_results_``'s
        ``tied_with_best`` column marks the trials a paired test on the same folds
        cannot tell apart from the best (see :mod:`sktune.selection`).
    best_index_ : int
    best_estimator_ : estimator
        Trained on all data by replaying ``best_schedule_`` (``refit=True``).
    pareto_front_ : list of int
        With ``objectives``: the rows of ``cv_results_`` on the Pareto front
        (among those at the highest budget reached).
    refit_explanation_ : str
        With ``objectives``: how ``best_index_`` was chosen.
    resource_ : Resource
    mode_ : {"pbt", "evolutionary"}
    mutable_params_ : list of str
    max_resources_ : int
    perturbation_interval_ : int
    n_steps_ : int
    population_size_ : int
    learning_curves_ : list of CurveDiagnosis
        The three best members' learning curves over their steps (train scores
        with ``return_train_score=True``) with a plain verdict and its reason;
        see :ref:`diagnosis`.
    scorer_, n_splits_, multimetric_, refit_time_, search_time_, history_
        As in :class:`~sktune.BayesSearchCV`.

    See Also
    --------
    HyperbandSearchCV : Early stopping of poor configurations along a budget.
    BayesSearchCV : Gaussian-process Bayesian optimisation.

    References
    ----------
    .. [1] M. Jaderberg et al. "Population Based Training of Neural Networks".
       arXiv:1711.09846, 2017.
    .. [2] A. Li et al. "A Generalized Framework for Population Based
       Training". KDD 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sktune import PopulationSearchCV, Real
    >>> X, y = load_digits(return_X_y=True)
    >>> search = PopulationSearchCV(
    ...     SGDClassifier(learning_rate="constant", random_state=0),
    ...     {"eta0": Real(1e-4, 1e-1, log=True), "alpha": Real(1e-6, 1e-2, log=True)},
    ...     population_size=4, max_resources=6, perturbation_interval=2, cv=2,
    ...     random_state=0)
    >>> bool(search.fit(X / 16, y).best_score_ > 0.85)
    True
    >>> [step["stop"] for step in search.best_schedule_]
    [2, 4, 6]
    """

    _space_param = "param_distributions"
    _extra_constraints = {
        "max_model_memory": MODEL_MEMORY_CONSTRAINT,
        "pre_dispatch": PRE_DISPATCH_CONSTRAINT,
        "population_size": [Interval(int, 2, None)],
        "max_resources": [Options("auto"), Interval(int, 1, None)],
        "perturbation_interval": [Options("auto"), Interval(int, 1, None)],
        "mutable_params": [Check(lambda v: v is None, "None"), Check(_is_names, "a list of "
                                                                     "parameter names")],
        "quantile_fraction": [Interval(float, 0, 0.5, closed="right")],
        "resample_probability": [Interval(float, 0, 1)],
        "perturbation_factors": [Check(_is_factors, "a non-empty tuple of positive numbers")],
        "burn_in": [Interval(int, 0, None)],
        "synchronous": [BOOL],
        "holdout": [Check(lambda v: v is None, "None"), Interval(float, 0, 0.5, closed="neither")],
        "holdout_candidates": [Interval(int, 1, None)],
        "holdout_repeats": [Interval(int, 1, None)],
        "resource": [Check(lambda v: isinstance(v, str) or hasattr(v, "advance"),
                           "'auto', 'fit', a resource name or a Resource")],
    }

    def __init__(
        self, estimator, param_distributions, *, population_size=8, max_resources="auto",
        perturbation_interval="auto", mutable_params=None, quantile_fraction=0.25,
        resample_probability=0.25, perturbation_factors=(0.8, 1.2), burn_in=0,
        synchronous=True, holdout=None, holdout_candidates=3, holdout_repeats=3,
        resource="auto", scoring=None, n_jobs=None, refit=True, cv=None, verbose=0,
        random_state=None, error_score=np.nan, return_train_score=False, callbacks=None,
        devices=None, trials_per_device=1, device_param=None, journal=None,
        trial_timeout=None, max_model_memory="2GB", objectives=None, constraints=None,
        initial_points=None, initial_results=None, initial_results_as="auto",
        pre_dispatch="2*n_jobs",
    ):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.population_size = population_size
        self.max_resources = max_resources
        self.perturbation_interval = perturbation_interval
        self.mutable_params = mutable_params
        self.quantile_fraction = quantile_fraction
        self.resample_probability = resample_probability
        self.perturbation_factors = perturbation_factors
        self.burn_in = burn_in
        self.synchronous = synchronous
        self.holdout = holdout
        self.holdout_candidates = holdout_candidates
        self.holdout_repeats = holdout_repeats
        self.resource = resource
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.callbacks = callbacks
        self.devices = devices
        self.trials_per_device = trials_per_device
        self.device_param = device_param
        self.journal = journal
        self.trial_timeout = trial_timeout
        self.max_model_memory = max_model_memory
        self.objectives = objectives
        self.constraints = constraints
        self.initial_points = initial_points
        self.initial_results = initial_results
        self.initial_results_as = initial_results_as
        self.pre_dispatch = pre_dispatch

    # -- validation and parts ------------------------------------------------------------
    def _resolve_resource(self, estimator):
        if isinstance(self.resource, str) and self.resource == "fit":
            return FullFit()
        resource = make_resource(estimator, self.resource)
        if self.resource == "auto" and isinstance(resource, SampleCount):
            return FullFit()  # cannot continue: evolutionary mode over generations
        return resource

    def _mutable(self, space, resource, *, warn_unexplored=False):
        names = set(space.names)
        continues = bool(resource.continues)
        hot = set(resource.hot_params(self.estimator)) if continues else names
        scheduled = resource.scheduled_params(self.estimator) if continues else {}
        _check_not_scheduled(self.mutable_params, scheduled, names, warn_unexplored)
        hot -= set(scheduled)
        if self.mutable_params is not None:
            unknown = sorted(set(self.mutable_params) - names)
            if unknown:
                raise ValueError(
                    f"The 'mutable_params' parameter names {unknown}, which "
                    f"{'is' if len(unknown) == 1 else 'are'} not searched in "
                    f"'param_distributions' (searched: {sorted(names)})."
                )
            cold = sorted(set(self.mutable_params) - hot)
            if cold:
                raise ValueError(
                    f"The 'mutable_params' parameter names {cold}, which cannot change while "
                    f"training continues: setting {'it' if len(cold) == 1 else 'them'} would "
                    f"rebuild the {type(final_step(self.estimator)[0]).__name__} (as skorch's "
                    "module__* parameters do) and lose the trained weights, so it would not be "
                    "population based training. Parameters that may change in training: "
                    f"{sorted(hot) or 'none'}. Leave the others out of 'mutable_params' (they "
                    "are then drawn once per member and kept), or use resource='fit' for the "
                    "evolutionary mode, which refits every generation."
                )
            mutable = set(self.mutable_params)
        else:
            mutable = names & hot
            if not mutable and names:  # an empty space is one configuration, as in GridSearchCV
                kind = type(final_step(self.estimator)[0]).__name__
                raise ValueError(
                    f"None of the searched parameters {sorted(names)} can change while a "
                    f"{kind} trains, so population based training has nothing to explore. "
                    f"Search at least one of {sorted(hot) or '(none)'}, or use resource='fit' "
                    "for the evolutionary mode."
                )
        return sorted(mutable), continues

    def _make_resource(self, estimator, space, context):
        check_no_subspace_counts(space, self)
        resource = self._resolve_resource(estimator)
        self._mutable(space, resource)  # bad mutable_params fail before any training
        return resource

    def _budget(self, resource, context):
        """``(max_resources, perturbation_interval, budgeted)``."""
        final, prefix = final_step(self.estimator)
        budgeted = not isinstance(resource, FullFit)
        maximum = self.max_resources
        if maximum == "auto":
            maximum = _AUTO_GENERATIONS
            if budgeted:
                maximum = resource.default_budget(self.estimator, context.n_samples)
                if not isinstance(maximum, numbers.Integral) or maximum < 1:
                    raise ValueError(
                        "max_resources='auto' needs the estimator's own budget "
                        f"({_budget_name(resource)}), which is {maximum!r} here; "
                        "give 'max_resources' as an int."
                    )
        interval = self.perturbation_interval
        if interval == "auto":
            interval = 1 if not budgeted else max(1, maximum // 10)
        if interval > maximum:
            raise ValueError(
                f"The 'perturbation_interval' parameter ({interval}) must not exceed "
                f"'max_resources' ({maximum})."
            )
        return int(maximum), int(interval), budgeted

    def _make_scheduler(self, space, rng, context):
        resource = self.resource_
        mutable, continues = self._mutable(space, resource, warn_unexplored=True)
        maximum, interval, budgeted = self._budget(resource, context)
        self.max_resources_, self.perturbation_interval_ = maximum, interval
        # capped where members of one configuration only repeat it: evolutionary mode, or
        # an empty space (one configuration, nothing to explore)
        size = self.population_size if continues and space.names else \
            _capped_population(self, space)
        given = self._warm["points"]
        if len(given) > size:
            raise ValueError(
                f"The 'initial_points' parameter of {type(self).__name__} has {len(given)} "
                f"points, more than the population's {size} members (population_size): each "
                "point is one member of the initial population.")
        with warnings.catch_warnings():  # members may share a configuration (small spaces)
            warnings.simplefilter("ignore", SpaceExhaustedWarning)
            # a population as large as a finite space holds it all, in a grid's order
            cold = not given and self._warm["imported"] is None
            first = GridProposer(space) if cold and covers_space(space, size) else \
                RandomProposer(space, random_state=rng)
            initial = self._with_first_points(first, size).ask(size)
        return PBTScheduler(
            space, initial, max_resources=maximum, perturbation_interval=interval,
            mutable=mutable, quantile_fraction=self.quantile_fraction,
            resample_probability=self.resample_probability,
            perturbation_factors=tuple(self.perturbation_factors), burn_in=self.burn_in,
            continues=continues, budgeted=budgeted, synchronous=self.synchronous,
            random_state=rng,
        )

    _imports_as_results = False  # imported results choose the initial population

    # -- the holdout ---------------------------------------------------------------------
    def _search_splits(self, splits, X, y, split_params, entropy):
        """The CV splits without the holdout rows (``holdout_indices_``)."""
        self.holdout_indices_ = None
        if self.holdout is None:
            return splits
        out, holdout = carve_holdout(
            splits, num_rows(X), y, split_params.get("groups"), self.holdout, entropy,
            stratify=y is not None and is_classifier(self.estimator))
        problem = holdout_problem(out, holdout, self)
        if problem:
            warn(problem)
            return splits
        self.holdout_indices_ = holdout
        return out

    def _after_search(self, history, data, scheduler, entropy):
        """Replay the best final members' schedules on the rows outside the holdout and
        score them on it; with several, the best holdout score picks ``best_index_``."""
        self.best_holdout_score_ = np.nan
        if self.holdout_indices_ is None:
            return
        names = sorted(self._metrics.names)
        n_rows = len(history.rows)
        for name in names:
            self.cv_results_[f"holdout_test_{name}"] = np.full(n_rows, np.nan)
            self.cv_results_[f"std_holdout_test_{name}"] = np.full(n_rows, np.nan)
        if not hasattr(self, "best_index_") or self.stop_reason_ == "interrupted":
            return
        candidates = self._holdout_candidates(history, scheduler)
        self._score_replays(history, data, scheduler, entropy, candidates, names)
        metric = self._refit_metric
        scores = self.cv_results_[f"holdout_test_{metric}"][candidates]
        if len(candidates) > 1 and np.isfinite(scores).any():
            best = candidates[int(np.nanargmax(scores))]  # ties: the better CV score
            if best != self.best_index_:
                self.best_score_ = np.float64(self.cv_results_[f"mean_test_{metric}"][best])
                self._adopt_best(history, scheduler, best)
        self.best_holdout_score_ = np.float64(
            self.cv_results_[f"holdout_test_{metric}"][self.best_index_])

    def _score_replays(self, history, data, scheduler, entropy, candidates, names):
        """``holdout_test_*`` and ``std_holdout_test_*`` of the ``candidates`` rows: the
        mean and spread of ``holdout_repeats`` replays of their schedules."""
        schedules = [(int(history.rows[i]["trial_id"]),
                      scheduler.schedule(history.rows[i]["trial_id"])) for i in candidates]
        repeats = self.holdout_repeats
        results = run_replays(data, self.holdout_indices_,
                              replay_jobs(schedules, repeats, entropy), self.n_jobs,
                              refit_device(self.devices))
        for k, i in enumerate(candidates):
            mine = results[k * repeats:(k + 1) * repeats]
            for name in names:
                values = np.array([np.nan if r.error else r.test_scores.get(name, np.nan)
                                   for r in mine], dtype=float)
                if np.isfinite(values).any():  # a failed replay (diverged) is left out
                    self.cv_results_[f"holdout_test_{name}"][i] = np.nanmean(values)
                    self.cv_results_[f"std_holdout_test_{name}"][i] = np.nanstd(values)

    def _holdout_candidates(self, history, scheduler):
        """Rows to replay: the best one, and with ``holdout_candidates`` > 1 (and neither
        a callable ``refit`` nor ``objectives``) the next best rows at the full budget
        with other schedules, by mean CV score."""
        best = int(self.best_index_)
        if self.holdout_candidates == 1 or callable(self.refit) or self._objectives is not None:
            return [best]
        means = self.cv_results_[f"mean_test_{self._refit_metric}"]
        rows = sorted(np.flatnonzero(history.eligible() & ~np.isnan(means)),
                      key=lambda i: (-means[i], i))
        out, seen = [best], {_schedule_key(scheduler, history.rows[best])}
        for i in rows:
            key = _schedule_key(scheduler, history.rows[i])
            if len(out) >= self.holdout_candidates:
                break
            if key not in seen:
                out.append(int(i))
                seen.add(key)
        return out

    # -- results and refit -------------------------------------------------------------
    def _refit_best(self, estimator, X, y, fit_params):
        resource = self.resource_
        schedule = self.best_schedule_
        kwargs = dict(fit_params=fit_params, classes=self._classes)
        if not resource.continues:
            stop = schedule[-1]["stop"] if isinstance(resource, (ParamBudget, SampleCount)) else None
            estimator.set_params(**clone(schedule[-1]["params"], safe=False))
            return resource.advance(estimator, X, y, start=0, stop=stop, **kwargs)
        estimator.set_params(**clone(schedule[0]["params"], safe=False))
        for step in schedule:
            _set_changed(estimator, clone(step["params"], safe=False))
            estimator = resource.advance(
                estimator, X, y, start=step["start"], stop=step["stop"], **kwargs)
        return estimator


def _capped_population(search, space):
    """``population_size``, capped at the size of a finite space in evolutionary mode (a
    generation refits every member from its configuration: two members of one
    configuration would score it twice), with RandomizedSearchCV's warning for n_iter."""
    size = space_size(space)
    if search.population_size > size:
        warn(f"The total space of parameters {int(size)} is smaller than population_size="
             f"{search.population_size}. Running {int(size)} members. For exhaustive "
             "searches, use GridSearchCV.")
        return int(size)
    return search.population_size


def _schedule_key(scheduler, row):
    """Rows with one schedule (members that copied a lineage and kept its values)
    are replayed once."""
    return repr([(s["start"], s["stop"], sorted(s["params"].items()))
                 for s in scheduler.schedule(row["trial_id"])])


def _check_not_scheduled(mutable_params, scheduled, searched, warn_unexplored):
    """PBT must not perturb what the estimator sets itself in training (a skorch
    ``LRScheduler`` sets the rate each epoch): the recorded value would not be the one
    used, and an exploit would undo the schedule."""
    clash = sorted(set(mutable_params or ()) & set(scheduled))
    if clash:
        name = clash[0]
        raise ValueError(
            f"The 'mutable_params' parameter names {name!r}, which the estimator sets "
            f"itself while it trains ({scheduled[name]}): population based training would "
            f"record and perturb a nominal {name!r} that is not the one in use, and each "
            "exploit would reset what the scheduler had decayed. Either leave it out of "
            "'mutable_params' (each member keeps its drawn value and its schedule), or "
            "remove the scheduler callback and let PBT's explore be the schedule."
        )
    if warn_unexplored and mutable_params is None and set(scheduled) & set(searched):
        warn(
            f"{sorted(set(scheduled) & set(searched))} will not be explored by population "
            f"based training: {next(iter(scheduled.values()))} sets it while the net trains. "
            "Each member keeps its drawn value; pass mutable_params to choose what is explored."
        )


def _budget_name(resource):
    """The estimator parameter that holds a resource's own budget."""
    if isinstance(resource, (WarmStart, ParamBudget)):
        return resource.param
    return {"epochs": "max_epochs", "partial_fit": "max_iter"}.get(resource.name, resource.name)
