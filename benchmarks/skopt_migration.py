"""Time scikit-optimize's documented BayesSearchCV example against sktune's, same code.

The "minimal example" of scikit-optimize's "Scikit-learn hyperparameter search
wrapper" page (SVC on digits, four dimensions, ``cv=3``), run with each library's
``BayesSearchCV`` and only the import changed, ``n_jobs=1``, one seed per repeat.
Prints the wall time of ``fit`` per run, the median and the spread (min-max), and
the best CV score, so the speed is compared at a similar result.

Needs scikit-optimize (``pip install -e ".[bench]"``)::

    python benchmarks/skopt_migration.py              # n_iter=20, 3 seeds
    python benchmarks/skopt_migration.py --n-iter 32 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC


def run(impl, n_iter, seed):
    if impl == "sktune":
        from sktune import BayesSearchCV
    else:
        from skopt import BayesSearchCV
    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, train_size=0.75, test_size=.25,
                                              random_state=0)
    opt = BayesSearchCV(
        SVC(),
        {
            'C': (1e-6, 1e+6, 'log-uniform'),
            'gamma': (1e-6, 1e+1, 'log-uniform'),
            'degree': (1, 8),
            'kernel': ['linear', 'poly', 'rbf'],
        },
        n_iter=n_iter, cv=3, n_jobs=1, random_state=seed,
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # skopt: "objective has been evaluated at point before"
        warnings.simplefilter("ignore", UserWarning)
        opt.fit(X_train, y_train)
    return time.perf_counter() - t0, opt.best_score_, len(opt.cv_results_["params"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    import sklearn
    import skopt

    import sktune

    print(f"scikit-learn {sklearn.__version__}, scikit-optimize {skopt.__version__}, "
          f"sktune {sktune.__version__}; n_iter={args.n_iter}, cv=3, n_jobs=1")
    summary = {}
    for impl in ("sktune", "skopt"):
        times, scores = [], []
        for seed in range(args.repeats):
            t, score, n = run(impl, args.n_iter, seed)
            assert n == args.n_iter
            times.append(t)
            scores.append(score)
            print(f"  {impl:7s} seed {seed}: {t:7.1f} s  best CV score {score:.4f}", flush=True)
        summary[impl] = (statistics.median(times), min(times), max(times),
                         statistics.median(scores))
    print(f"\n{'':8s}{'median s':>10s}{'min-max s':>16s}{'median best':>13s}")
    for impl, (med, lo, hi, score) in summary.items():
        print(f"{impl:8s}{med:10.1f}{f'{lo:.1f}-{hi:.1f}':>16s}{score:13.4f}")
    print(f"\nscikit-optimize / sktune (medians): {summary['skopt'][0] / summary['sktune'][0]:.1f}x")


if __name__ == "__main__":
    main()
