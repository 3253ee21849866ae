"""The README's Python snippets run as they are, each as a script of its own."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _id(code):
    if "skorch" in code:
        return "skorch"
    if "BayesSearchCV" in code:
        return "bayes"
    return "spaces"


@pytest.mark.slow
def test_readme_snippets_run(tmp_path):
    assert sorted(_id(b) for b in BLOCKS) == ["bayes", "skorch", "spaces"]
    for code in BLOCKS:
        if "skorch" in code and importlib.util.find_spec("skorch") is None:
            continue  # the core install: the skorch snippet needs the torch extra
        script = tmp_path / f"readme_{_id(code)}.py"  # not skorch.py: it would shadow skorch
        script.write_text(code)
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=600, env={**os.environ, "MPLBACKEND": "Agg"})
        assert proc.returncode == 0, f"{_id(code)}: {proc.stderr[-3000:]}"
        if "skorch" in code:
            # the epoch tables: one per refit (Hyperband's and PBT's), none from the trials
            assert proc.stdout.count("train_loss") == 2, proc.stdout[-3000:]
