"""PopulationSearchCV's holdout: rows kept out of the folds that PBT ranks and exploits on.

PBT selects over many rounds on the same CV folds (every exploit copies the fold
models that happen to score best on them), so the best member's mean CV score
is optimistic. The holdout is never trained on nor scored during the search;
after it, the schedules of the best final members are replayed from scratch, on
fresh seeds, on the other rows, and scored on the holdout.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._compat import num_rows
from .._evaluate import Job, Step, job_seed, run_job

HOLDOUT_KEY = 2**32 - 2  # spawn key of the holdout's draws (no trial has this id)


def carve_holdout(splits, n_rows, y, groups, fraction, entropy, *, stratify):
    """``(search splits, holdout rows)``: ``fraction`` of the rows drawn out of ``splits``.

    Whole groups when ``groups`` is given, per class when ``stratify`` (at least one
    row of a class stays in the search), else rows at random; the draw depends on
    ``entropy`` only.
    """
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(HOLDOUT_KEY,)))
    if groups is not None:
        groups = np.asarray(groups)
        names = rng.permutation(np.unique(groups))
        sizes = np.array([np.sum(groups == g) for g in names])
        n_take = int(np.searchsorted(np.cumsum(sizes), fraction * n_rows)) + 1
        holdout = np.flatnonzero(np.isin(groups, names[:min(n_take, len(names) - 1)]))
    else:
        holdout = np.array([], dtype=np.int64)
        if stratify:
            y = np.asarray(y)
            picked = []
            for label in np.unique(y):
                rows = rng.permutation(np.flatnonzero(y == label))
                picked.append(rows[:min(int(round(fraction * len(rows))), len(rows) - 1)])
            holdout = np.sort(np.concatenate(picked))
        if not len(holdout):  # no class has enough rows (or not a classifier): at random
            holdout = np.sort(rng.permutation(n_rows)[:int(round(fraction * n_rows))])
    out = [(np.setdiff1d(tr, holdout), np.setdiff1d(te, holdout)) for tr, te in splits]
    return out, holdout.astype(np.int64)


def holdout_problem(splits, holdout, owner):
    """Why this holdout cannot be used (no row, or a fold left empty), or None."""
    empty = [k for k, (tr, te) in enumerate(splits) if not len(tr) or not len(te)]
    if len(holdout) and not empty:
        return None
    what = "no row" if not len(holdout) else f"split {empty[0]} empty"
    return (f"The 'holdout' parameter of {type(owner).__name__} ({owner.holdout}) leaves "
            f"{what}: the data is too small for a holdout, so the search runs without one "
            "(best_holdout_score_ is NaN). Pass a larger 'holdout', or holdout=None.")


def replay_jobs(schedules, repeats, entropy):
    """``repeats`` :class:`Job` per schedule: the whole schedule from scratch (the steps
    before the last rebuild the model), each on fresh seeds of the holdout's spawn key."""
    jobs = []
    for rank, (trial_id, schedule) in enumerate(schedules):
        for repeat in range(repeats):
            seeds = [job_seed(entropy, (HOLDOUT_KEY, rank, repeat, k))
                     for k in range(len(schedule))]
            steps = tuple(Step(dict(s["params"]), s["start"], s["stop"], seed)
                          for s, seed in zip(schedule[:-1], seeds))
            last = schedule[-1]
            jobs.append(Job(trial_id, repeat, dict(last["params"]), last["start"],
                            last["stop"], seeds[-1], replay=steps))
    return jobs


def run_replays(data, holdout, jobs, n_jobs, device=None):
    """The :class:`JobResult` of each replay job: trained on every row outside the
    holdout, scored on the holdout."""
    from sklearn.utils.parallel import Parallel, delayed

    rest = np.setdiff1d(np.arange(num_rows(data.X)), holdout)
    replay_data = dataclasses.replace(data, splits=[(rest, holdout)], return_train_score=False,
                                      measure_size=False)
    jobs = [dataclasses.replace(j, fold=0, device=device) for j in jobs]
    if n_jobs in (None, 1) or len(jobs) == 1:
        return [run_job(job, replay_data) for job in jobs]
    return Parallel(n_jobs=n_jobs)(delayed(run_job)(job, replay_data) for job in jobs)
