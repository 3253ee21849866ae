"""Records: what a search keeps of its results.

- :mod:`~sktune.records.history`: the rows in the order recorded, and the rule
  for the best of them;
- :mod:`~sktune.records.rows`: a result as a row, and ``cv_results_`` built from rows;
- :mod:`~sktune.records.journal`: the rows and finished jobs as a JSON-lines file
  that resumes an interrupted search.
"""

from .history import History
from .journal import Journal, ReplayingExecutor, read_journal
from .rows import build_cv_results, result_to_row

__all__ = ["History", "Journal", "ReplayingExecutor", "read_journal", "build_cv_results",
           "result_to_row"]
