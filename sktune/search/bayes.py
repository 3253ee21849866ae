"""BayesSearchCV: sequential model-based optimisation with a Gaussian process."""

from __future__ import annotations

import numpy as np
from sklearn.utils.metadata_routing import UNUSED

from .._skopt import (
    FitCallbacks,
    check_callbacks,
    check_skopt_params,
    map_optimizer_kwargs,
    optimizer_results,
    trial_counts,
)
from .._validation import NONE, Check, Interval, Options
from ..proposers.gp import GPProposer
from ..proposers.grid import GridProposer, covers_space
from ..proposers.parego import ParEGOProposer
from ..schedulers.fifo import FIFOScheduler
from ..space import SearchSpace
from ..warm_start import prior_scores
from ._checks import PRE_DISPATCH_CONSTRAINT, capped_n_iter
from .base import BaseSearch

__all__ = ["BayesSearchCV"]


class BayesSearchCV(BaseSearch):
    """Bayesian optimisation over hyperparameters, with cross-validation.

    A drop-in successor to scikit-optimize's ``BayesSearchCV``: the first
    ``n_initial_points`` trials come from a scrambled Sobol design, the rest
    maximise an acquisition function of a Gaussian-process surrogate
    (scikit-learn's ``GaussianProcessRegressor``, ARD Matern 5/2 plus noise)
    fitted to the mean CV scores seen so far. Failed trials are kept out of
    the surrogate and never proposed again.

    Parameters
    ----------
    estimator : estimator object
        The estimator (or Pipeline) to tune; cloned for every fold.
    search_spaces : dict, list of dict, list of (dict, int) or SearchSpace
        Parameter names mapped to :class:`~sktune.Real`, :class:`~sktune.Integer`,
        :class:`~sktune.Categorical`, lists of choices, bounded ``scipy.stats``
        distributions or scikit-optimize dimensions; a dimension's ``guess``
        steers the first trials and weighs the model's proposals (see
        :ref:`guesses`). A list of dicts gives
        conditional sub-spaces, searched in turn (``n_iter`` trials in all). A
        list of ``(dict, n_iter)`` pairs, as in scikit-optimize, runs exactly
        that many trials in each sub-space; an entry without a count then gets
        ``n_iter`` (see :attr:`total_iterations`).
    n_iter : int, default=50
        Number of trials (configurations evaluated).
    n_initial_points : int, default=10
        Quasi-random trials before the surrogate model is used; half as many
        where every dimension has a ``guess`` (see :ref:`guesses`).
    acq_func : {"EI", "PI", "LCB"}, default="EI"
        Acquisition: log expected improvement, probability of improvement, or a
        confidence bound (``mean + kappa * std`` on the maximised score).
    xi : float, default=0.0
        Exploration margin of EI and PI, relative to the spread of the scores.
    kappa : float, default=1.96
        Exploration weight of LCB.
    n_points : int or None, default=1
        Trials proposed together per synchronous round (all their folds run in
        parallel). ``None`` makes the search asynchronous: a new trial is
        proposed whenever a worker frees up, taking the trials still running
        into account, so no worker waits for a batch. Trials still running
        (of a round, or on other workers) are integrated out: the acquisition
        is averaged over posterior draws of their scores [1]_. Results
        are then independent of ``n_jobs`` only in synchronous mode.
    scoring : str, callable, list, dict or None, default=None
        Metric(s) as in :class:`~sklearn.model_selection.GridSearchCV` (a callable
        returning a dict is several). The proposer learns the refit metric (the
        first of ``scoring`` when ``refit`` names none).
    n_jobs : int or None, default=None
        Jobs (trial x fold) run at once; -1 uses all cores. Follows
        ``joblib.parallel_config`` (``backend="dask"`` runs on a Dask cluster).
    refit : bool, str or callable, default=True
        Refit the best configuration on all data; a metric name with several
        metrics; a callable taking ``cv_results_`` and returning the best index.
    cv : int, CV splitter, iterable or None, default=None
        Cross-validation (5-fold, stratified for classifiers, when None).
    verbose : int, default=0
        1 shows a progress bar; 2 also prints a line per trial.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the proposals and, per trial, the estimators' unset ``random_state``
        and torch.
    error_score : "raise" or float, default=np.nan
        Score given to a trial that fails; "raise" raises instead.
    return_train_score : bool, default=False
        Also score the training folds.
    callbacks : callable or list of callables, default=None
        Called with a :class:`~sktune.callbacks.SearchState` after each trial;
        returning True stops the search (the best so far is still refitted).
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
        A JSON-lines file recording every finished job as it happens (fsync'ed).
        Calling ``fit`` again with the same file resumes the search: finished
        jobs are read back instead of run again, and in synchronous mode
        (``n_points`` an int) with a fixed ``random_state`` the final
        ``cv_results_`` are the same as without the interruption. A journal of a
        different configuration (space, estimator, cv, scoring, data) is refused.
        See :ref:`failures`.
    trial_timeout : float or None, default=None
        Seconds a job (one CV fold of a trial) may run before it is failed
        (scored ``error_score``). With processes (the default backend) the
        hanging worker is killed and the other running jobs are run again; a
        thread cannot be killed and runs on in the background.
    optimizer_kwargs : dict or None, default=None
        scikit-optimize's ``Optimizer`` arguments, for code written for
        scikit-optimize: ``base_estimator="GP"``, ``n_initial_points``,
        ``acq_func`` (``"EI"``, ``"PI"``, ``"LCB"``), ``acq_func_kwargs={"kappa":
        ...}``, ``acq_optimizer`` (``"auto"``, ``"lbfgs"``),
        ``initial_point_generator="sobol"`` and ``avoid_duplicates=True`` are
        read as the parameters above; any other key or value is refused in
        ``fit``, before training, with the sktune parameter to use instead.
    pre_dispatch : int, str or None, default="2*n_jobs"
        Accepted for code written for ``GridSearchCV`` or scikit-optimize; it
        has nothing to limit here: at most ``n_jobs`` jobs are handed out at a
        time, and the data is sent once per worker.
    fit_params : None, default=None
        scikit-optimize's constructor ``fit_params`` (which scikit-optimize 0.10
        ignores); anything but None is refused in ``fit``: pass fit parameters
        to ``fit``.
    iid : "deprecated", default="deprecated"
        scikit-optimize's (ignored) ``iid``; any other value is refused in ``fit``.

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
        after each fold but the last a paired comparison with the incumbent's
        scores on the same folds estimates the probability that the trial beats
        it over all folds; below ``racing`` (``True``: 0.2) the trial stops. It
        is a row with ``status`` ``"raced"``, its ``folds_run``
        and the mean over those folds, ranked behind every complete trial and
        never the best; the proposer learns that partial mean. Needs ``cv >= 3``;
        not with ``objectives``.

    initial_points : list of dict or None, default=None
        Configurations evaluated first, in order (scikit-optimize's ``x0``,
        Optuna's ``enqueue_trial``); they are part of the ``n_iter`` trials and
        of the initial design.
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
        this data with these CV splits, scoring and estimator, so they are rows
        of ``cv_results_`` (``imported`` is True), are not run again, may be the
        best, and the GP learns them before its first proposal (``n_iter`` new
        trials follow). ``"prior"``: they come from another data set or other
        splits; the best of them (up to half of ``n_initial_points``) are the
        first trials, the GP takes their rank-normalised scores as its prior
        mean (weighted by how well it agrees with this task's scores, see
        :class:`~sktune.proposers.GPProposer`'s ``prior_results``) and
        proposes as soon as those first trials are scored, and none of them is
        reported. ``"auto"``: ``"results"`` when the
        source's fingerprint of data, splits, scoring and estimator matches
        this fit's (sktune's searches and journals keep one), else ``"prior"``
        (with a warning when the source keeps none, as scikit-learn's searches).
        Rows of a budgeted search (Hyperband, PBT) are never complete fits here:
        they serve as a prior only.

    Attributes
    ----------
    cv_results_ : dict of numpy arrays
        One row per trial, with scikit-learn's keys (``params``, ``param_*``,
        ``split{k}_test_<metric>``, ``mean_test_<metric>``, ``rank_test_<metric>``,
        fit and score times) and ours (``trial_id``, ``status``, ``error``,
        ``device``, ``iter``). ``pandas.DataFrame(cv_results_)`` reads it.
    task_fingerprint_ : dict
        Hashes of the data, CV splits, scoring and estimator of this fit; a later
        search given this one as ``initial_results`` compares them with its own.
    initial_results_use_ : {"results", "prior"} or None
        How ``initial_results`` were used (None without them).
    best_estimator_ : estimator
        The best configuration refitted on all data (``refit=True``).
    best_score_ : float
        Mean cross-validated score of the best configuration.
    best_score_std_error_ : float
        The standard error of ``best_score_`` (the standard deviation of the best's
        fold scores over the square root of their number). ``cv_results_``'s
        ``tied_with_best`` column marks the trials a paired test on the same folds
        cannot tell apart from the best (see :mod:`sktune.selection`).
    best_params_ : dict
    best_index_ : int
    scorer_ : callable or dict
    pareto_front_ : list of int
        With ``objectives``: the rows of ``cv_results_`` on the Pareto front
        (among those at the highest budget reached).
    refit_explanation_ : str
        With ``objectives``: how ``best_index_`` was chosen.
    n_splits_ : int
    refit_time_ : float
    multimetric_ : bool
    search_time_ : float
        Wall time of the search, refit excluded.
    history_ : list of dict
        The raw record of every result (JSON-friendly).
    learning_curves_ : list of CurveDiagnosis
        The three best trials' train and validation scores with a plain verdict
        (``"over-fitting"``, ``"under-fitting"``, ``"still improving"``,
        ``"good fit"``) and its reason, from
        :func:`sktune.diagnosis.diagnose_learning_curves`; one point per trial
        here, so the verdict needs ``return_train_score=True``. See
        :ref:`diagnosis`.
    n_workers_ : int
        Jobs run at once.
    busy_time_ : float
        Sum of the wall time of every job run, as measured in its worker;
        ``busy_time_ / (search_time_ * n_workers_)`` is the workers' utilisation.
    n_worker_restarts_ : int
        Times the worker pool was restarted because a worker died or a job ran
        past ``trial_timeout``.
    n_replayed_jobs_ : int
        Jobs read back from ``journal`` instead of being run.
    optimizer_results_ : list of scipy.optimize.OptimizeResult
        One per sub-space, as scikit-optimize gives it: ``x_iters`` (each trial's
        values in sorted parameter-name order), ``func_vals`` (their mean CV
        scores, *negated*: scikit-optimize minimises), ``x`` and ``fun`` (the
        best), ``space``. sktune keeps no ``optimizers_``: the proposals come from
        one :class:`~sktune.proposers.GPProposer` for all sub-spaces, refitted
        as results arrive, not from scikit-optimize ``Optimizer`` objects.

    See Also
    --------
    HyperbandSearchCV : Early stopping of poor trials along a training budget.
    PopulationSearchCV : Population based training.

    References
    ----------
    .. [1] J. Snoek, H. Larochelle, R. P. Adams. "Practical Bayesian Optimization
       of Machine Learning Algorithms". NeurIPS 2012.
    .. [2] D. R. Jones, M. Schonlau, W. J. Welch. "Efficient Global Optimization of
       Expensive Black-Box Functions". J. Global Optim. 13, 1998.
    .. [3] S. Ament et al. "Unexpected Improvements to Expected Improvement for
       Bayesian Optimization". NeurIPS 2023 (log EI).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sktune import BayesSearchCV, Real
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(SVC(), {"C": Real(1e-2, 1e2, log=True)},
    ...                        n_iter=8, n_initial_points=4, cv=3, random_state=0)
    >>> bool(search.fit(X, y).best_score_ > 0.9)
    True
    """

    _space_param = "search_spaces"
    # fit's scikit-optimize ``callback`` is not metadata: no set_fit_request for it
    __metadata_request__fit = {"callback": UNUSED}
    _extra_constraints = {
        "n_iter": [Interval(int, 1, None)],
        "n_initial_points": [Interval(int, 1, None)],
        "acq_func": [Options("EI", "PI", "LCB")],
        "xi": [Interval(float, 0, None)],
        "kappa": [Interval(float, 0, None)],
        "n_points": [NONE, Interval(int, 1, None)],
        "optimizer_kwargs": [NONE, Check(lambda v: isinstance(v, dict), "a dict")],
        "pre_dispatch": PRE_DISPATCH_CONSTRAINT,
    }

    def __init__(
        self, estimator, search_spaces, *, n_iter=50, n_initial_points=10, acq_func="EI",
        xi=0.0, kappa=1.96, n_points=1, scoring=None, n_jobs=None, refit=True, cv=None,
        verbose=0, random_state=None, error_score=np.nan, return_train_score=False,
        callbacks=None, devices=None, trials_per_device=1, device_param=None, journal=None,
        trial_timeout=None, objectives=None, constraints=None, initial_points=None,
        initial_results=None, initial_results_as="auto", optimizer_kwargs=None,
        pre_dispatch="2*n_jobs", fit_params=None, iid="deprecated", racing=False,
    ):
        self.estimator = estimator
        self.search_spaces = search_spaces
        self.n_iter = n_iter
        self.n_initial_points = n_initial_points
        self.acq_func = acq_func
        self.xi = xi
        self.kappa = kappa
        self.n_points = n_points
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
        self.objectives = objectives
        self.constraints = constraints
        self.initial_points = initial_points
        self.initial_results = initial_results
        self.initial_results_as = initial_results_as
        self.optimizer_kwargs = optimizer_kwargs
        self.pre_dispatch = pre_dispatch
        self.fit_params = fit_params
        self.iid = iid
        self.racing = racing

    def fit(self, X, y=None, *, groups=None, callback=None, **fit_params):
        """Run the search, then refit the best configuration on all data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (arrays, sparse matrices and DataFrames are accepted).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets, None for unsupervised learning.
        groups : array-like of shape (n_samples,), default=None
            Group labels for group-aware CV splitters.
        callback : callable or list of callables, default=None
            scikit-optimize's ``fit`` callbacks: each is called after every trial
            with a ``scipy.optimize.OptimizeResult`` of the trial's sub-space
            (``x_iters``, ``func_vals`` = the *negated* mean CV scores, ``x``,
            ``fun``, ``space``) that also has the fields of
            :class:`~sktune.callbacks.SearchState`, so scikit-optimize's stoppers
            (``DeltaYStopper``, ``DeadlineStopper``...) and sktune's
            (:class:`~sktune.callbacks.TimeBudget`...) both work. While they run,
            ``best_score_`` and ``best_params_`` hold the best so far. Returning
            True stops the whole search (scikit-optimize moves on to the next
            sub-space); the best so far is refitted.
        **fit_params : dict
            Passed to the estimator's ``fit``; per-sample values are sliced per fold.

        Returns
        -------
        self : object
            The fitted search.
        """
        self._fit_callbacks = check_callbacks(callback, self)
        try:
            return super().fit(X, y, groups=groups, **fit_params)
        finally:
            self.__dict__.pop("_fit_callbacks", None)

    @property
    def total_iterations(self):
        """Number of trials ``fit`` runs (as scikit-optimize's ``total_iterations``).

        ``n_iter`` in all, or, with ``(dict, n_iter)`` pairs, the sum of their counts
        (``n_iter`` for an entry without one); a finite space caps it at its size.
        """
        space = SearchSpace._from_param(self.search_spaces, self._space_param, self)
        counts = trial_counts(space, self.n_iter)
        if counts is None:
            return capped_n_iter(self.n_iter, space, quiet=True)
        return sum(capped_n_iter(n, sub, quiet=True) for n, sub in zip(counts, space.subspaces))

    @property
    def optimizers_(self):
        raise AttributeError(
            f"{type(self).__name__} has no optimizers_: sktune keeps no scikit-optimize "
            "Optimizer per sub-space (one GPProposer serves them all). optimizer_results_ holds "
            "each sub-space's x_iters and func_vals; to ask and tell by hand use "
            "sktune.proposers.GPProposer."
        )

    def _validate(self, X, y):
        space = super()._validate(X, y)
        self._gp_params = check_skopt_params(self)  # before any training
        return space

    def _listeners(self, scheduler, journal, n_splits):
        events = super()._listeners(scheduler, journal, n_splits)
        callbacks = self.__dict__.get("_fit_callbacks")
        if callbacks:
            events.listeners.append(FitCallbacks(self, scheduler.proposer.space, callbacks))
        return events

    def _finish(self, history, n_splits, scheduler, scorers):
        for name in ("best_score_", "best_params_"):  # the best so far of fit's callbacks
            self.__dict__.pop(name, None)
        super()._finish(history, n_splits, scheduler, scorers)
        self.optimizer_results_ = optimizer_results(
            self, scheduler.proposer.space, self.cv_results_, self._metrics.rank)

    def _make_scheduler(self, space, rng, context):
        gp = self.__dict__.pop("_gp_params", None) or map_optimizer_kwargs(self)
        counts = trial_counts(space, self.n_iter)
        if counts is None:
            n_total = capped_n_iter(self.n_iter, space)
        else:
            counts = [capped_n_iter(n, sub) for n, sub in zip(counts, space.subspaces)]
            space = space._with_n_iters(counts)
            n_total = sum(counts)
        cold = not self._warm["points"] and self._warm["imported"] is None
        if cold and counts is None and covers_space(space, n_total):  # exhaustive: grid order
            return FIFOScheduler(GridProposer(space), n_total, batch_size=self.n_points)
        n_design = gp.get("n_initial_points", 10)
        if self._warm["use"] == "prior":  # another task's results: a prior mean for the GP
            prior = prior_scores(self._warm["imported"].rows, self._metrics.rank)
            gp = {**gp, "prior_results": prior}
            if len(prior) >= 3:  # the prior mean stands in for the rest of the random design
                gp["n_initial_points"] = max(2, len(self._first_points(n_design)))
        proposer = GPProposer(space, random_state=rng, **gp)
        if self._objectives is not None:  # several objectives: ParEGO on the GP
            proposer = ParEGOProposer(proposer, len(self._objectives.names), random_state=rng)
        if len(self._warm["points"]) > n_total:
            raise ValueError(
                f"The 'initial_points' parameter of {type(self).__name__} has "
                f"{len(self._warm['points'])} points, more than the {n_total} trials of the "
                "search (n_iter): raise n_iter or give fewer points.")
        proposer = self._with_first_points(proposer, n_design)
        return FIFOScheduler(proposer, n_total, batch_size=self.n_points)
