"""Benchmark warm starts of BayesSearchCV (``initial_results``) against cold starts.

One table, cold and warm side by side, medians over seeds with the
interquartile range ``[q1, q3]``. The task: an RBF SVC (``C``, ``gamma``, both
log-scaled) on ``make_classification`` data, 3-fold CV accuracy, 24
evaluations per search, 8 of them quasi-random before the GP.

- **Same data.** Run 1 is a cold search. Then, on the same data and splits:
  a cold search with another seed, and a warm search given run 1 as
  ``initial_results`` (the fingerprints match, so its 24 rows are imported as
  results). Reported: the evaluations each needs until its best reaches run
  1's best (imported rows count: they are results), and, for the warm search
  imported as a prior only (``initial_results_as="prior"``: run 1's 4 best
  configurations are run again first), the same count.
- **Related data.** A source search on related data, then a search on the
  target data seeded from it (the fingerprints differ: ``"prior"``) against
  the cold run 1 on the target, compared by the best CV accuracy after 4, 8,
  12 and 24 evaluations. Two kinds of related data: another
  ``make_classification`` seed (same generator settings), and another random
  half of a larger data set.
- **A misleading prior.** The other seed's results with their scores
  reversed (the worst configurations look best), given as a prior: what a
  wrong warm start costs against the cold start.
- **Held out.** Every data set comes with rows no search sees (150 for a
  300-row set; 300 for the two halves), split off stratified: the best
  configuration of each compared search after its last evaluation, refitted
  on the search's data, is scored there.

Usage::

    python benchmarks/warm_start.py             # 5 seeds, a few minutes on 1 core
    python benchmarks/warm_start.py --seeds 7
    python benchmarks/warm_start.py --quick     # 2 seeds, 12 evaluations (smoke run)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from sktune import BayesSearchCV, Real  # noqa: E402

SPACE = {"C": Real(1e-3, 1e3, log=True), "gamma": Real(1e-5, 1e1, log=True)}
CHECKPOINTS = (4, 8, 12, 24)


def _data(seed, n=300):
    """``n`` rows to search on and ``n / 2`` held out: ``(X, y, X_test, y_test)``."""
    X, y = make_classification(n + n // 2, 20, n_informative=6, n_redundant=4, flip_y=0.05,
                               class_sep=0.8, random_state=seed)
    X, X_test, y, y_test = train_test_split(X, y, test_size=n // 2, stratify=y,
                                            random_state=seed)
    return X, y, X_test, y_test


def _halves(seed):
    """Two random halves of one larger data set (a source and a target split), and the
    held-out rows: ``(Xa, ya), (Xb, yb), (X_test, y_test)``."""
    X, y, X_test, y_test = _data(seed, n=600)
    order = np.random.default_rng(seed).permutation(len(y))
    a, b = order[:300], order[300:]
    return (X[a], y[a]), (X[b], y[b]), (X_test, y_test)


def _search(seed, n_iter, **kw):
    return BayesSearchCV(SVC(), SPACE, n_iter=n_iter, n_initial_points=8, cv=3,
                         random_state=seed, refit=False, **kw)


def _new_rows(search):
    """The indices of the rows the search ran (not imported), in order."""
    res = search.cv_results_
    return np.flatnonzero(~np.asarray(res.get("imported", np.zeros(len(res["params"]), bool))))


def _new_scores(search):
    """The mean CV scores of the trials the search ran, in order."""
    return np.asarray(search.cv_results_["mean_test_score"])[_new_rows(search)]


def _evals_to_reach(search, target, n_iter):
    """New evaluations until the search's best (imported results count) reaches
    ``target``; ``n_iter + 1`` when it never does."""
    res = search.cv_results_
    if "imported" in res and np.max(res["mean_test_score"][res["imported"]]) >= target - 1e-12:
        return 0
    best = np.maximum.accumulate(_new_scores(search))
    hit = np.flatnonzero(best >= target - 1e-12)
    return int(hit[0]) + 1 if len(hit) else n_iter + 1


def _best_after(search, k):
    return float(np.max(_new_scores(search)[:k]))


def _held_out(search, data):
    """Test accuracy of the search's best new configuration, refitted on its data."""
    X, y, X_test, y_test = data
    best = _new_rows(search)[int(np.argmax(_new_scores(search)))]
    params = search.cv_results_["params"][best]
    return float(SVC(**params).fit(X, y).score(X_test, y_test))


def run_seed(seed, n_iter):
    target = _data(100 + seed)
    X, y = target[:2]
    run1 = _search(seed, n_iter).fit(X, y)
    best1 = float(np.max(run1.cv_results_["mean_test_score"]))
    cold = _search(1000 + seed, n_iter).fit(X, y)
    warm = _search(1000 + seed, n_iter, initial_results=run1).fit(X, y)
    assert warm.initial_results_use_ == "results"
    prior = _search(1000 + seed, n_iter, initial_results=run1,
                    initial_results_as="prior").fit(X, y)
    out = {
        "same: cold": _evals_to_reach(cold, best1, n_iter),
        "same: warm": _evals_to_reach(warm, best1, n_iter),
        "same: prior": _evals_to_reach(prior, best1, n_iter),
    }
    # related data: another make_classification seed
    Xs, ys = _data(200 + seed)[:2]
    source = _search(seed, n_iter).fit(Xs, ys)
    seeded = _search(seed, n_iter, initial_results=source).fit(X, y)
    assert seeded.initial_results_use_ == "prior"
    misleading = _search(seed, n_iter, initial_results=_reversed(source.cv_results_),
                         initial_results_as="prior").fit(X, y)
    # related data: the two halves of one data set
    (Xa, ya), (Xb, yb), half_test = _halves(300 + seed)
    source_half = _search(seed, n_iter).fit(Xa, ya)
    cold_half = _search(seed, n_iter).fit(Xb, yb)
    seeded_half = _search(seed, n_iter, initial_results=source_half).fit(Xb, yb)
    for k in CHECKPOINTS:
        if k <= n_iter:
            out[f"seed {k}: cold"] = _best_after(run1, k)
            out[f"seed {k}: warm"] = _best_after(seeded, k)
            out[f"split {k}: cold"] = _best_after(cold_half, k)
            out[f"split {k}: warm"] = _best_after(seeded_half, k)
            out[f"wrong {k}: warm"] = _best_after(misleading, k)
    out.update({"seed test: cold": _held_out(run1, target),
                "seed test: warm": _held_out(seeded, target),
                "split test: cold": _held_out(cold_half, (Xb, yb, *half_test)),
                "split test: warm": _held_out(seeded_half, (Xb, yb, *half_test)),
                "wrong test: warm": _held_out(misleading, target)})
    return out


def _reversed(results):
    """A copy of ``cv_results_`` whose test scores are negated: a prior that misleads."""
    test = re.compile(r"^(split\d+_test_|mean_test_)")
    return {k: -np.asarray(v) if test.match(k) else v for k, v in results.items()}


def _stat(values, fmt):
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return f"{fmt.format(med)} [{fmt.format(q1)}, {fmt.format(q3)}]"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-iter", type=int, default=24)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n_seeds, n_iter = (2, 12) if args.quick else (args.seeds, args.n_iter)
    t0 = time.perf_counter()
    runs = [run_seed(s, n_iter) for s in range(n_seeds)]
    table = [("same data: evaluations to reach run 1's best", "same: cold", "same: warm",
              "{:.0f}", "lower")]
    for k in CHECKPOINTS:
        if k <= n_iter:
            table.append((f"other make_classification seed: best CV acc. after {k}",
                          f"seed {k}: cold", f"seed {k}: warm", "{:.3f}", "higher"))
    for k in CHECKPOINTS:
        if k <= n_iter:
            table.append((f"other random half: best CV acc. after {k}",
                          f"split {k}: cold", f"split {k}: warm", "{:.3f}", "higher"))
    for k in CHECKPOINTS:
        if k <= n_iter:
            table.append((f"misleading prior (scores reversed): best after {k}",
                          f"seed {k}: cold", f"wrong {k}: warm", "{:.3f}", "higher"))
    for case, title in (("seed", "other make_classification seed"),
                        ("split", "other random half"), ("wrong", "misleading prior")):
        table.append((f"{title}: held-out acc. after {n_iter}",
                      "split test: cold" if case == "split" else "seed test: cold",
                      f"{case} test: warm", "{:.3f}", "higher"))
    print(f"BayesSearchCV warm starts: SVC(C, gamma), 3-fold CV, {n_iter} evaluations, "
          f"{n_seeds} seeds; median [q1, q3]")
    head = f"{'':<56} {'cold start':>22} {'warm start':>22} {'warm wins':>10}"
    print(head)
    print("-" * len(head))
    for title, cold_key, warm_key, fmt, better in table:
        cold = np.array([r[cold_key] for r in runs], dtype=float)
        warm = np.array([r[warm_key] for r in runs], dtype=float)
        wins = np.sum(warm < cold) if better == "lower" else np.sum(warm > cold)
        ties = np.sum(warm == cold)
        print(f"{title:<56} {_stat(cold, fmt):>22} {_stat(warm, fmt):>22} "
              f"{wins:>4}/{n_seeds} ({ties} ties)")
    prior = np.array([r["same: prior"] for r in runs], dtype=float)
    print(f"{'same data, imported as a prior (rerun): evaluations':<56} {'':>22} "
          f"{_stat(prior, '{:.0f}'):>22}")
    never = n_iter + 1
    print(f"(an evaluation count of {never} means never within {n_iter}; warm: run 1's "
          f"results imported, so 0 new evaluations; {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
