"""Models whose classes live in a user's script (``__main__``) continue across processes."""

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("skorch")

SCRIPT = textwrap.dedent(
    """
    import numpy as np, torch
    from sklearn.datasets import load_digits
    from skorch import NeuralNetClassifier
    from sktune import HyperbandSearchCV, PopulationSearchCV, Real

    class MyModule(torch.nn.Module):  # defined in __main__, as in any user's script
        def __init__(self, width=16):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(),
                                           torch.nn.Linear(width, 10))

        def forward(self, X):
            return self.net(X)

    if __name__ == "__main__":
        X, y = load_digits(return_X_y=True)
        X, y = (X[:300] / 16).astype(np.float32), y[:300]
        net = NeuralNetClassifier(MyModule, criterion=torch.nn.CrossEntropyLoss,
                                  max_epochs=4, train_split=None, verbose=0)
        space = {"lr": Real(1e-2, 0.5, log=True)}
        hb = HyperbandSearchCV(net, space, resource="epochs", max_resources=4, factor=2,
                               cv=2, n_jobs=2, random_state=0).fit(X, y)
        pbt = PopulationSearchCV(net, space, population_size=2, max_resources=4,
                                 perturbation_interval=2, cv=2, n_jobs=2,
                                 random_state=0).fit(X, y)
        for s in (hb, pbt):
            assert (s.cv_results_["status"] == "ok").all(), s.cv_results_["error"]
        print("ok", round(hb.best_score_, 3), round(pbt.best_score_, 3))
    """
)


@pytest.mark.slow
def test_script_classes_continue_in_worker_processes(tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=240, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("ok")
