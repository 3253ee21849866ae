#!/usr/bin/env bash
# Build the HTML documentation, offline, with warnings as errors; runs every example of the
# gallery. Needs the docs extra: pip install -e ".[docs]"  (sphinx, numpydoc, sphinx-gallery,
# pydata-sphinx-theme, matplotlib, torch/skorch for the skorch examples).
# Output: docs/_build/html/index.html
set -euo pipefail
cd "$(dirname "$0")"
export MPLBACKEND=Agg
rm -rf _build auto_examples generated
python -m sphinx -W --keep-going -b html -j 1 . _build/html "$@"
