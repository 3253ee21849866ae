"""The progress bar of a search (``verbose=1``): results done, best score so far, ETA.

The bar counts results (rows of ``cv_results_``: one per trial, or per trial and rung
for Hyperband, per member and step for PBT). When the scheduler knows how many there
will be (``n_total``) the bar shows a percentage and an ETA; otherwise it shows the count
and the rate. The ETA is the elapsed time per result so far times the results left
(tqdm's ``smoothing=0``), and is shown only once a few results are in (3, and a tenth
of the total): the first result also pays for starting the workers, so an ETA from it
alone says nothing. It writes to stderr through tqdm and disappears when stderr is not a
terminal only if tqdm decides so; ``verbose=0`` shows nothing.

For scikit-learn >= 1.9, ``search.set_callbacks(sklearn.callback.ProgressBar())`` is
supported as well (see :mod:`sktune._compat`).
"""

from __future__ import annotations

import math

__all__ = ["SearchProgress"]

# tqdm's bar, with "?" for the ETA and no rate: before a few results are in
_NO_ETA_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<?{postfix}]"


def results_before_eta(total):
    """Results to wait for before the bar shows an ETA: 3, and a tenth of ``total``."""
    return max(3, math.ceil(0.1 * total))


class SearchProgress:
    """A tqdm progress bar for one ``fit``.

    Parameters
    ----------
    total : int or None
        Results expected, or None if unknown.
    desc : str, default="sktune"
        Label shown left of the bar (the search's class name).
    disable : bool, default=False
        Show nothing (every method still works).

    Attributes
    ----------
    n : int
        Results counted so far.
    best : float
        Best score shown so far (NaN before the first successful result).
    eta_after : int or None
        Results counted before the ETA is shown (None when ``total`` is unknown).

    Examples
    --------
    >>> from sktune.progress import SearchProgress
    >>> bar = SearchProgress(3, desc="demo", disable=True)
    >>> for score in (0.5, 0.7, 0.6):
    ...     bar.update(1)
    ...     bar.set_postfix(best=f"{score:.3f}")
    >>> bar.n
    3
    >>> bar.close()
    """

    def __init__(self, total, desc="sktune", disable=False):
        from tqdm.auto import tqdm

        self.n = 0
        self.best = float("nan")
        self.eta_after = None if total is None else min(total, results_before_eta(total))
        self._bar = tqdm(total=total, unit="trial", desc=desc, leave=True, disable=disable,
                         dynamic_ncols=True, smoothing=0,
                         bar_format=None if self.eta_after is None else _NO_ETA_FORMAT)

    def update(self, n=1):
        """Count ``n`` more results.

        Parameters
        ----------
        n : int, default=1
            Results to add.
        """
        self.n += n
        if self.eta_after is not None and self.n >= self.eta_after:
            self._bar.bar_format = None  # tqdm's own, with the ETA and the rate
        self._bar.update(n)

    def __str__(self):
        return str(self._bar)

    def set_postfix(self, **values):
        """Show ``name=value`` pairs right of the bar (``best=...``).

        Parameters
        ----------
        **values : dict
            Values to show; ``best`` is also kept in :attr:`best`.
        """
        if "best" in values:
            try:
                self.best = float(values["best"])
            except (TypeError, ValueError):
                pass
        self._bar.set_postfix(values, refresh=False)

    def close(self):
        """Finish the bar (draws the final state)."""
        self._bar.close()


def make_progress(verbose, total, desc="sktune"):
    """The bar for ``verbose`` (None when ``verbose`` is 0).

    Parameters
    ----------
    verbose : int or bool
        The search's ``verbose``.
    total : int or None
        Results expected, or None if unknown.
    desc : str, default="sktune"
        Label of the bar.

    Returns
    -------
    bar : SearchProgress or None
    """
    if not verbose:
        return None
    return SearchProgress(total, desc=desc)
