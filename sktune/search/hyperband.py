"""HyperbandSearchCV: Hyperband and asynchronous successive halving (ASHA)."""

from __future__ import annotations

import math

import numpy as np

from .._validation import BOOL, NONE, Check, Interval, Options
from ..proposers.base import space_size
from ..proposers.budget import BudgetProposer
from ..proposers.grid import GridProposer, covers_space
from ..resources import (
    ParamBudget,
    Resource,
    SampleCount,
    final_step,
    make_resource,
)
from ..schedulers.curves import CurveStoppingScheduler
from ..schedulers.halving import (
    ASHAScheduler,
    HyperbandScheduler,
    hyperband_epochs,
    hyperband_plan,
)
from ._checks import PRE_DISPATCH_CONSTRAINT, check_no_subspace_counts
from .base import MODEL_MEMORY_CONSTRAINT, BaseSearch

__all__ = ["HyperbandSearchCV"]

_AUTO_MAX_RUNGS = 5  # "auto" min_resources: at most this many rungs (the paper's R=81, eta=3)


class HyperbandSearchCV(BaseSearch):
    """Hyperband and ASHA over hyperparameters, continuing training across rungs.

    Many configurations start with a small budget (``min_resources`` epochs,
    ``partial_fit`` passes, trees...); the best ``1/factor`` of them, by mean
    cross-validated score, go on with ``factor`` times the budget, and so on up
    to ``max_resources``. Unlike scikit-learn's halving searches, a promoted
    configuration **continues** training its k fold models from where the
    previous rung stopped: a net trained 3 epochs and promoted to 9 trains 6
    more epochs, not 9 from scratch. Only sample-count and named-parameter
    budgets refit, and ``resource_`` says so.

    Hyperband [1]_ runs several *brackets* of successive halving that trade
    the number of configurations for their starting budget (its table for
    ``max_resources=81``, ``factor=3`` has five brackets starting 81, 34, 15, 8
    and 5 configurations at 1, 3, 9, 27 and 81 units). ``asynchronous=True``
    runs ASHA [2]_: a configuration is promoted as soon as it is in the top
    ``1/factor`` of the results its rung has so far, otherwise a new one starts,
    so no worker waits for a rung to fill. New configurations come from a
    multivariate tree-structured Parzen estimator (``proposer="tpe"``, the
    default; ``proposer="bayes"``: the Gaussian-process model of
    :class:`BayesSearchCV`) fitted on the results at the highest budget that
    has enough of them (BOHB [3]_; a third of the proposals stay random);
    ``proposer="random"`` is plain Hyperband.

    Parameters
    ----------
    estimator : estimator object
        The estimator (or Pipeline) to tune; cloned for every fold.
    param_distributions : dict, list of dict or SearchSpace
        Parameter names mapped to :class:`~sktune.Real`, :class:`~sktune.Integer`,
        :class:`~sktune.Categorical`, lists of choices or ``scipy.stats``
        distributions; a dimension's ``guess`` steers the proposals, so the
        first rungs (see :ref:`guesses`). The budget parameter itself may not
        be searched.
    resource : str or Resource, default="auto"
        What the budget counts: ``"epochs"`` (skorch nets, continued with
        ``partial_fit``), ``"partial_fit"`` (passes over the training fold),
        ``"n_estimators"`` / ``"max_iter"`` (grown in place with ``warm_start``:
        forests, bagging, gradient boosting, histogram gradient boosting),
        ``"n_samples"`` (refit on a growing subsample), the name of any integer
        parameter (refit), or a :class:`~sktune.resources.Resource`. ``"auto"``
        picks the first that applies in this order: epochs, ``partial_fit``,
        ``warm_start``, samples. Inside a Pipeline the final step is trained
        along the budget and the other steps are fitted once.
    min_resources : int or "auto", default="auto"
        Budget of the first rung of the most exploratory bracket. ``"auto"``:
        ``max_resources / factor**4`` (five rungs), but at least 1 unit (at least
        ``2 * n_splits * n_classes`` samples for ``"n_samples"``).
    max_resources : int or "auto", default="auto"
        Budget of the last rung, also used by ``refit``. ``"auto"``: the
        estimator's own budget (``max_epochs``, ``max_iter``, ``n_estimators``,
        the size of a training fold, the named parameter's value).
    factor : int, default=3
        The budget grows, and the configurations shrink, by this factor per rung.
    n_brackets : int or None, default=None
        Brackets to run, most exploratory first, cycling through the table (a
        number above its length repeats it). ``None``: the whole table when
        synchronous, one bracket (plain ASHA) when ``asynchronous=True``.
    asynchronous : bool, default=False
        Run ASHA instead of synchronous Hyperband. Results then depend on the
        order in which workers finish.
    n_candidates : int or None, default=None
        With ``asynchronous=True``, configurations to start; by default as many
        as synchronous Hyperband starts in the same brackets. With
        ``stopping="curves"``, the most configurations to start; by default
        they start while the epoch budget lasts.
    stopping : {"halving", "curves"}, default="halving"
        How trials are stopped. ``"halving"``: successive halving at the rungs
        (Hyperband, or ASHA). ``"curves"``: learning-curve extrapolation
        (Domhan et al. [4]_, see :ref:`curve-stopping`): every configuration
        trains towards ``max_resources`` through checkpoints ``min_resources *
        factor**(i/2)``, continuing its fold models and scored at each (a row of
        ``cv_results_``); from the fourth checkpoint on, an ensemble of
        parametric learning-curve families fitted to its mean CV scores
        predicts its score at ``max_resources``, and it stops once the
        probability that it beats the best score reached there is below
        ``curve_threshold``; before that, once three configurations reached
        ``max_resources``, it stops when even the largest gain one of them
        made from the same checkpoint would leave it below the best
        (``cv_results_`` columns ``curve_prediction``, ``curve_p_better``,
        ``curve_bound``, ``curve_stopped``). Configurations start whenever a worker frees up
        (asynchronously, whatever ``asynchronous`` says) while the epochs
        synchronous Hyperband would train over ``n_brackets`` brackets last
        (unless ``n_candidates`` is set), so the two compare at equal budgets.
        Needs a resource that continues training (epochs, ``partial_fit``,
        ``warm_start``). The proposer learns each checkpoint's score at its
        budget and a stopped configuration's predicted score at
        ``max_resources``.
    curve_threshold : float, default=0.05
        With ``stopping="curves"``: the probability of beating the best below
        which a configuration stops (higher stops sooner and tries more
        configurations).
    proposer : {"tpe", "bayes", "random"}, default="tpe"
        BOHB-style model-based configurations, or quasi-random (Sobol) ones:
        ``"tpe"`` with a multivariate tree-structured Parzen estimator (BOHB's
        own model), ``"bayes"`` with the Gaussian process of
        :class:`BayesSearchCV`, ``"random"`` plain Hyperband. Until a budget
        has enough results for a model the proposals are random either way.
        Synchronous brackets run one after another with a model (so each
        sees the earlier ones' results) and all at once with ``"random"``.
        The default was chosen on held-out accuracy (see
        :ref:`hyperband-defaults`).

        .. versionchanged:: 0.1.0
           The default changed from ``"random"`` to ``"tpe"``; pass
           ``proposer="random"`` for the former behaviour.
    scoring : str, callable, list, dict or None, default=None
        Metric(s) as in :class:`~sklearn.model_selection.GridSearchCV` (a callable
        returning a dict is several). Promotion uses the refit metric (the first
        of ``scoring`` when ``refit`` names none).
    n_jobs : int or None, default=None
        Jobs (trial x fold) run at once; -1 uses all cores.
    refit : bool, str or callable, default=True
        Train the best configuration at ``max_resources`` on all the data.
    cv : int, CV splitter, iterable or None, default=None
        Cross-validation (5-fold, stratified for classifiers, when None).
    verbose : int, default=0
        1 shows a progress bar; 2 also prints a line per result.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the proposals and, per trial, the estimators' unset ``random_state``
        and torch.
    error_score : "raise" or float, default=np.nan
        Score of a failed trial (never promoted); "raise" raises instead.
    return_train_score : bool, default=False
        Also score the training folds.
    callbacks : callable or list of callables, default=None
        Called after each result; returning True stops the search.
    devices : None, "auto", str or list of str, default=None
        Device slots for the estimators' ``device`` parameter (skorch):
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``; ``"auto"`` uses every visible CUDA
        device. Checked before training (``"gpu"``, repeats and missing CUDA
        devices are refused).
    trials_per_device : int, default=1
        Jobs that may share one device at a time.
    device_param : str or None, default=None
        The parameter that receives the device; by default ``device`` (or
        ``<step>__device`` inside a Pipeline).
    journal : str, path-like or None, default=None
        A JSON-lines file recording every finished job; ``fit`` with the same
        file resumes the search (see :class:`BayesSearchCV`). Synchronous
        Hyperband with a fixed ``random_state`` replays to the same results:
        fold models are not journaled, so a rung that was running when the
        search stopped first rebuilds its models by rerunning the earlier rungs.
    trial_timeout : float or None, default=None
        Seconds one job (one fold of one rung) may run before it is failed.
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
    racing : bool or float, default=False
        Fold racing (see :ref:`racing`): the folds of a trial run in order, and
        after each fold but the last a paired comparison with a rival's scores on
        the same folds estimates the probability that the trial beats it over
        all folds; below ``racing`` (``True``: 0.2) the trial stops. Every rung
        races. At the top rung the rival is the incumbent trained as far. A
        synchronous rung's trials run their folds in step and race against the
        rung's promotion boundary (the last of the best ``n_i / factor``; at a
        top rung with no incumbent yet, the rung's best); with
        ``asynchronous=True`` the boundary is the trial ranked
        ``(n + 1) // factor`` of the rung's ``n`` results. A trial raced out of a
        rung is never promoted. A raced trial is a row with
        ``status`` ``"raced"``, its ``folds_run`` and the mean over those folds,
        ranked behind every complete trial and never the best; the proposer
        learns that partial mean. Needs ``cv >= 3``; not with ``objectives``.

    initial_points : list of dict or None, default=None
        Configurations evaluated first: the first candidates of the first
        bracket, in order (more go on into the next brackets).
    initial_results : fitted search, dict, DataFrame, str, path-like or None, default=None
        Results of an earlier search to start from: a fitted search (sktune's,
        ``GridSearchCV``, ``RandomizedSearchCV``, ``HalvingGridSearchCV``,
        ``HalvingRandomSearchCV``), its ``cv_results_`` (a dict or a pandas
        DataFrame) or the ``journal`` file of an sktune search. Every row must set
        each parameter of one sub-space of the new space, within its bounds
        (otherwise ``fit`` raises before any training, naming the parameter).
        See ``initial_results_as`` and :ref:`warm-start`.
    initial_results_as : {"auto", "results", "prior"}, default="auto"
        How ``initial_results`` are used. ``"results"``: they were scored on
        this data with these CV splits, scoring and estimator; the rows trained
        to ``max_resources`` (an earlier Hyperband search's top rung, or complete
        fits when ``max_resources="auto"``) count at the top rung: they are rows
        of ``cv_results_`` (``imported`` is True), are not run again, may be the
        best, and the proposer learns them at the top budget; the brackets run
        as planned. ``"prior"``: the best of them (up to half of the first
        bracket) open the first bracket, and none is reported. ``"auto"``:
        ``"results"`` when the source's fingerprint of data, splits, scoring and
        estimator matches this fit's, else ``"prior"`` (with a warning when the
        source keeps none, as scikit-learn's searches).

    Attributes
    ----------
    cv_results_ : dict of numpy arrays
        One row per (trial, rung), with scikit-learn's keys and ``trial_id``,
        ``iter`` (the rung, as in scikit-learn's halving search), ``rung``,
        ``n_resources`` (the budget the row was trained to, averaged over the
        folds: less than the rung's budget where skorch's ``EarlyStopping`` or a
        boosting model's early stopping ended training; a net that stopped is
        not trained further in later rungs) and ``bracket``. Where training used
        other values than the parameters (a learning rate a skorch
        ``LRScheduler`` decayed), ``effective_<param>`` holds the value in use at
        the end, averaged over the folds.
    best_estimator_, best_score_, best_params_, best_index_ :
        The best result among those at the highest budget planned.
    best_score_std_error_ : float
        The standard error of ``best_score_`` (the standard deviation of the best's
        fold scores over the square root of their number). ``cv_results_``'s
        ``tied_with_best`` column marks the trials a paired test on the same folds
        cannot tell apart from the best (see :mod:`sktune.selection`).
    task_fingerprint_ : dict
        Hashes of the data, CV splits, scoring and estimator of this fit; a later
        search given this one as ``initial_results`` compares them with its own.
    initial_results_use_ : {"results", "prior"} or None
        How ``initial_results`` were used (None without them).
    pareto_front_ : list of int
        With ``objectives``: the rows of ``cv_results_`` on the Pareto front
        (among those at the highest budget reached).
    refit_explanation_ : str
        With ``objectives``: how ``best_index_`` was chosen.
    n_models_spilled_ : int
        Fold models written to disk during the search (see ``max_model_memory``).
    resource_ : Resource
        The resource used; ``resource_.continues`` says whether rungs continue.
    n_resources_ : list of int
        The budgets results were scored at, increasing.
    n_candidates_ : list of int
        How many results at each of those budgets.
    n_iterations_ : int
        Number of distinct budgets (rungs).
    n_trials_ : int
        Configurations tried.
    bracket_plan_ : list of dict
        The brackets run: ``bracket``, ``n_candidates`` and ``n_resources`` per rung.
    min_resources_, max_resources_ : int
    resources_used_ : float
        Budget trained per fold, all trials together (epochs, passes, trees...):
        increments when training continues, whole rungs when it refits.
    curve_checkpoints_, n_stopped_early_ : list of int, int
        With ``stopping="curves"``: the budgets trials are scored at, and how
        many trials their curves stopped before ``max_resources``
        (``bracket_plan_`` is then not set).
    learning_curves_ : list of CurveDiagnosis
        The three best trials' learning curves over ``n_resources`` (train
        scores with ``return_train_score=True``) with a plain verdict
        (``"over-fitting"``, ``"under-fitting"``, ``"still improving"``,
        ``"good fit"``) and its reason; see :ref:`diagnosis`.
    scorer_, n_splits_, refit_time_, multimetric_, search_time_, history_ :
        As in :class:`BayesSearchCV`.
    n_workers_ : int
        Jobs run at once.
    busy_time_ : float
        Sum of the wall time of every job, as measured in its worker;
        ``busy_time_ / (n_workers_ * search_time_)`` is the workers' utilisation.

    See Also
    --------
    BayesSearchCV : Bayesian optimisation of fully trained configurations.
    PopulationSearchCV : Population based training.
    sklearn.model_selection.HalvingRandomSearchCV : Successive halving that
        retrains every rung from scratch.

    References
    ----------
    .. [1] L. Li, K. Jamieson, G. DeSalvo, A. Rostamizadeh, A. Talwalkar.
       "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
       Optimization". JMLR 18, 2018.
    .. [2] L. Li, K. Jamieson, A. Rostamizadeh, E. Gonina, J. Ben-tzur, M. Hardt,
       B. Recht, A. Talwalkar. "A System for Massively Parallel Hyperparameter
       Tuning". MLSys 2020.
    .. [3] S. Falkner, A. Klein, F. Hutter. "BOHB: Robust and Efficient
       Hyperparameter Optimization at Scale". ICML 2018.
    .. [4] T. Domhan, J. T. Springenberg, F. Hutter. "Speeding up Automatic
       Hyperparameter Optimization of Deep Neural Networks by Extrapolation of
       Learning Curves". IJCAI 2015.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sktune import HyperbandSearchCV, Real
    >>> X, y = load_digits(return_X_y=True)
    >>> search = HyperbandSearchCV(
    ...     SGDClassifier(random_state=0), {"alpha": Real(1e-6, 1e-1, log=True)},
    ...     resource="partial_fit", max_resources=9, cv=3, random_state=0)
    >>> bool(search.fit(X / 16, y).best_score_ > 0.85)
    True
    >>> search.n_resources_
    [1, 3, 9]
    """

    _space_param = "param_distributions"
    _extra_constraints = {
        "max_model_memory": MODEL_MEMORY_CONSTRAINT,
        "pre_dispatch": PRE_DISPATCH_CONSTRAINT,
        "resource": [Check(lambda v: isinstance(v, (str, Resource)),
                           "a str or a Resource instance")],
        "min_resources": [Options("auto"), Interval(int, 1, None)],
        "max_resources": [Options("auto"), Interval(int, 1, None)],
        "factor": [Interval(int, 2, None)],
        "n_brackets": [NONE, Interval(int, 1, None)],
        "asynchronous": [BOOL],
        "n_candidates": [NONE, Interval(int, 1, None)],
        "proposer": [Options("tpe", "bayes", "random")],
        "stopping": [Options("halving", "curves")],
        "curve_threshold": [Interval(float, 0, 1, closed="neither")],
    }

    def __init__(
        self, estimator, param_distributions, *, resource="auto", min_resources="auto",
        max_resources="auto", factor=3, n_brackets=None, asynchronous=False, n_candidates=None,
        proposer="tpe", scoring=None, n_jobs=None, refit=True, cv=None, verbose=0,
        random_state=None, error_score=np.nan, return_train_score=False, callbacks=None,
        devices=None, trials_per_device=1, device_param=None, journal=None, trial_timeout=None,
        max_model_memory="2GB", objectives=None, constraints=None, initial_points=None,
        initial_results=None, initial_results_as="auto",
        pre_dispatch="2*n_jobs", racing=False, stopping="halving", curve_threshold=0.05,
    ):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor
        self.n_brackets = n_brackets
        self.asynchronous = asynchronous
        self.n_candidates = n_candidates
        self.proposer = proposer
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
        self.racing = racing
        self.stopping = stopping
        self.curve_threshold = curve_threshold

    # -- the parts ----------------------------------------------------------------------
    def _make_resource(self, estimator, space, context):
        check_no_subspace_counts(space, self)
        searched = {name for sub in space.subspaces for name in sub.names}
        _, prefix = final_step(estimator)
        if isinstance(self.resource, str) and searched & {self.resource, prefix + self.resource}:
            _refuse_searched_budget(self.resource, self.resource)  # before its value is read
        resource = make_resource(estimator, self.resource)
        param = getattr(resource, "param", None)
        if param is not None:
            full = param if isinstance(resource, ParamBudget) else prefix + param
            if full in searched:
                _refuse_searched_budget(full, self.resource)
        return resource

    def _budget_bounds(self, context):
        resource, n_splits = self.resource_, context.n_splits
        R = self.max_resources
        if R == "auto":
            R = resource.default_budget(self.estimator,
                                        context.n_samples * (n_splits - 1) // n_splits)
            if not isinstance(R, (int, np.integer)) or isinstance(R, bool) or R < 1:
                raise ValueError(
                    f"max_resources='auto' cannot be read from "
                    f"{type(final_step(self.estimator)[0]).__name__} for resource "
                    f"{resource.describe()!r}; set 'max_resources' to an int."
                )
        R = int(R)
        floor = 2 * n_splits * context.n_classes if isinstance(resource, SampleCount) else 1
        r_min = self.min_resources
        if r_min == "auto":
            r_min = max(floor, R / self.factor ** (_AUTO_MAX_RUNGS - 1))
            r_min = min(r_min, R)
        elif r_min > R:
            raise ValueError(
                f"'min_resources' ({r_min}) must not exceed 'max_resources' ({R}): "
                f"min_resources_={r_min} is greater than max_resources_={R}."
            )
        return r_min, R

    def _make_scheduler(self, space, rng, context):
        r_min, R = self._budget_bounds(context)
        proposer = BudgetProposer(space, model=self.proposer, random_state=rng)
        n_table = int(math.floor(math.log(R / r_min) / math.log(self.factor) + 1e-9)) + 1
        if self.stopping == "curves":
            return self._curve_scheduler(proposer, r_min, R, n_table, space)
        common = dict(min_resources=r_min, max_resources=R, factor=self.factor,
                      continues=self.resource_.continues, n_points=space_size(space))
        if self.asynchronous:
            k = 1 if self.n_brackets is None else self.n_brackets
            scheduler = ASHAScheduler(proposer, brackets=[i % n_table for i in range(k)],
                                      n_candidates=self.n_candidates, **common)
            first_rung = scheduler.n_candidates
        else:
            k = n_table if self.n_brackets is None else self.n_brackets
            scheduler = HyperbandScheduler(proposer, brackets=[i % n_table for i in range(k)],
                                           concurrent=self.proposer == "random", **common)
            first_rung = scheduler.plan[scheduler.brackets[0]]["n_candidates"][0]
        # one bracket whose first rung holds every point of a finite space: a grid, in
        # GridSearchCV's order (with several, the draw decides which bracket gets which)
        if len(set(scheduler.brackets)) == 1 and covers_space(space, first_rung):
            scheduler.proposer = GridProposer(space)
        # given and prior points open the first bracket (and go on into the next ones)
        first_bracket = scheduler.plan[scheduler.brackets[0]]["n_candidates"][0]
        scheduler.proposer = self._with_first_points(scheduler.proposer, first_bracket)
        return scheduler

    def _curve_scheduler(self, proposer, r_min, R, n_table, space):
        if not self.resource_.continues:
            raise ValueError(
                f"stopping='curves' needs a resource that continues training (epochs, "
                f"partial_fit, warm_start); resource_ {self.resource_.describe()!r} refits "
                "at every budget. Use stopping='halving' or another resource."
            )
        if self.objectives is not None:
            raise ValueError(
                "stopping='curves' compares one score with the best one; it cannot rank "
                "several objectives. Use stopping='halving' (MO-ASHA) with 'objectives'."
            )
        k = n_table if self.n_brackets is None else self.n_brackets
        plan = hyperband_plan(r_min, R, self.factor)
        budget = None if self.n_candidates is not None else sum(
            hyperband_epochs(plan[i % n_table]) for i in range(k))
        scheduler = CurveStoppingScheduler(
            proposer, min_resources=r_min, max_resources=R, factor=self.factor,
            budget=budget, n_candidates=self.n_candidates, threshold=self.curve_threshold,
            n_points=space_size(space))
        scheduler.proposer = self._with_first_points(proposer, plan[0]["n_candidates"][0])
        return scheduler

    # -- warm start: imported results at the top rung -------------------------------------
    def _counts_as_result(self, row, context):
        """A row trained to ``max_resources`` (an earlier Hyperband search's top rung), or
        a complete fit when ``max_resources="auto"`` (the estimator's own budget, which a
        plain fit trains)."""
        if row.budget is None:
            return self.max_resources == "auto"
        return abs(float(row.budget) - float(self._budget_bounds(context)[1])) < 1e-9

    def _refit_best(self, estimator, X, y, fit_params):
        stop = None if isinstance(self.resource_, SampleCount) else self.max_resources_
        return self.resource_.advance(
            estimator, X, y, start=0, stop=stop, fit_params=fit_params, classes=self._classes
        )



def _refuse_searched_budget(name, resource):
    raise ValueError(
        f"Cannot use parameter {name} as the resource since it is part of the searched "
        f"parameters: {name!r} is the budget of the search (resource={resource!r}); it "
        "cannot also be searched in 'param_distributions'."
    )
