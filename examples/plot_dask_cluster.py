"""
=================================
A search on a Dask cluster
=================================

Inside ``joblib.parallel_config(backend="dask")``, with a ``dask.distributed.Client``
connected to a cluster, a search runs its jobs (one trial on one CV fold) on the Dask
workers: the data is scattered to the workers once, jobs go out as futures and come back
as they finish. In synchronous mode (the default) the results are exactly those of a
local run with the same ``random_state``.

Here the "cluster" is a ``LocalCluster`` of two workers inside this process (threads, so
that this page builds anywhere; ``processes=True`` gives worker processes); point the
``Client`` at a scheduler address to use a real cluster. Jobs that run on a CUDA device
(``devices=["cuda:0"]``) ask for the Dask worker resource ``GPU`` when workers declare
one (``dask worker ... --resources GPU=1``), a share of ``1 / trials_per_device`` each.
"""

# %%
import joblib
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sktune import BayesSearchCV, Real

X, y = load_breast_cancer(return_X_y=True)
model = make_pipeline(StandardScaler(), SVC())
space = {"svc__C": Real(1e-2, 1e3, log=True), "svc__gamma": Real(1e-4, 1e0, log=True)}


def search(**kwargs):
    return BayesSearchCV(model, space, n_iter=12, n_initial_points=4, n_points=2, cv=3,
                         random_state=0, **kwargs)


if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster, Client(cluster):
        with joblib.parallel_config(backend="dask"):
            on_cluster = search(n_jobs=-1).fit(X, y)
        print("workers used:", on_cluster.n_workers_)

    local = search(n_jobs=1).fit(X, y)
    print("best on the cluster:", on_cluster.best_params_, round(on_cluster.best_score_, 4))
    print("same results as a local run:",
          np.array_equal(on_cluster.cv_results_["mean_test_score"],
                         local.cv_results_["mean_test_score"]))

    # The two searches, drawn on one axes: the same points, the same best-so-far line.
    from sktune.plots import ConvergenceDisplay

    disp = ConvergenceDisplay.from_search(local, name="local, n_jobs=1")
    ConvergenceDisplay.from_search(on_cluster, name="Dask cluster", ax=disp.ax_)
    disp.ax_.set_title("Dask and local runs: identical results")
