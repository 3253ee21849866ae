"""A search's report: a JSON-friendly summary and one self-contained HTML page.

Both are built from ``cv_results_``: of a fitted search, or rebuilt from a
search's journal file, which may still be being written (a second terminal can
watch a long search with ``python -m sktune report search.jsonl``). The page
needs no server and nothing online: its plots are inline SVG.
"""

from __future__ import annotations

import html
import io
import time

import numpy as np

from .records.journal import read_journal
from .records.rows import build_cv_results
from .selection import standard_error
from .space import Categorical, Real, SearchSpace

__all__ = ["summary", "journal_results", "write_html"]


def journal_results(path):
    """``cv_results_`` and facts about the run, read from a journal file.

    Parameters
    ----------
    path : str or path-like
        The ``journal=`` file of a search, finished or still running.

    Returns
    -------
    cv_results : dict
        As the search's ``cv_results_`` (scores of failed folds are NaN).
    run : dict
        ``started`` (ISO time), ``finished`` (bool), ``n_jobs`` (fold jobs done).

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktune import BayesSearchCV, Real
    >>> from sktune.report import journal_results
    >>> path = os.path.join(tempfile.mkdtemp(), "search.jsonl")
    >>> X, y = load_iris(return_X_y=True)
    >>> _ = BayesSearchCV(LogisticRegression(max_iter=500), {"C": Real(1e-2, 1e2, log=True)},
    ...                   n_iter=3, cv=3, random_state=0, journal=path).fit(X, y)
    >>> results, run = journal_results(path)
    >>> len(results["params"]), run["finished"]
    (3, True)
    """
    events, _ = read_journal(path)
    rows = [e["row"] for e in events if e.get("event") == "result"]
    start = next((e for e in events if e.get("event") == "start"), {})
    run = {"started": start.get("time"), "n_jobs": sum(e.get("event") == "job" for e in events),
           "finished": any(e.get("event") == "end" for e in events)}
    if not rows:
        return {}, run
    metrics = sorted(rows[0]["test"]) or ["score"]
    results = build_cv_results(rows, metrics, len(rows[0]["fit_time"]),
                               return_train_score=any(r["train"] for r in rows),
                               error_score=np.nan, error_fill=np.nan)
    return results, run


def summary(source, *, metric=None):
    """The summary of a search: best parameters, CV mean and standard error, budget used
    and why it stopped, as plain JSON-friendly values.

    Parameters
    ----------
    source : fitted search, dict or str
        A fitted search, a ``cv_results_`` dict, or a journal path.
    metric : str, default=None
        The metric; by default the search's refit metric (or the only one).

    Returns
    -------
    summary : dict

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktune import BayesSearchCV, Real
    >>> from sktune.report import summary
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(LogisticRegression(max_iter=500), {"C": Real(1e-2, 1e2,
    ...                        log=True)}, n_iter=4, cv=3, random_state=0).fit(X, y)
    >>> s = summary(search)
    >>> s["n_results"], s["stop_reason"], sorted(s["best_params"])
    (4, 'completed', ['C'])
    """
    return _summary(source, *_results_of(source), metric)


def _summary(source, results, run, stop, metric):
    metric = _metric(results, metric if metric is not None else _refit_metric(source))
    out = {"n_results": len(results.get("params", [])), "metric": metric, "stop_reason": stop,
           "started": run.get("started")}
    if not out["n_results"]:
        return {**out, "best_params": None, "best_score": None}
    mean = np.asarray(results[f"mean_test_{metric}"], dtype=float)
    best = getattr(source, "best_index_", None)  # a fitted search knows its own best
    best = _best_row(results, mean) if best is None else int(best)
    n_splits = sum(k.startswith("split") and k.endswith(f"_test_{metric}") for k in results)
    out.update({
        "best_index": best,
        "best_params": None if best is None else _plain(results["params"][best]),
        "best_score": None if best is None else float(mean[best]),
        "best_score_stderr": None if best is None else float(
            standard_error(results, metric)[best]),
        "n_failed": int(np.sum(np.asarray(results["status"]) == "failed")),
        "n_splits": n_splits,
        "fit_time_total": float(np.sum(np.asarray(results["mean_fit_time"]) * results.get(
            "folds_run", n_splits))),  # a raced trial's mean is over the folds it ran
    })
    if "n_resources" in results:
        out["n_resources_max"] = float(np.nanmax(np.asarray(results["n_resources"], float)))
    return out


def _results_of(source):
    if isinstance(source, dict):
        return source, {}, "unknown"
    if hasattr(source, "cv_results_"):
        return source.cv_results_, {}, getattr(source, "stop_reason_", "completed")
    results, run = journal_results(source)
    return results, run, "completed" if run["finished"] else "running or stopped (no end yet)"


def _refit_metric(source):
    refit = getattr(source, "refit", None)
    return refit if isinstance(refit, str) else None


def _metric(results, metric):
    names = sorted(k[len("mean_test_"):] for k in results if k.startswith("mean_test_"))
    if metric is None:
        return names[0] if len(names) == 1 else ("score" if "score" in names or not names
                                                  else names[0])
    if names and metric not in names:
        raise ValueError(f"metric={metric!r} is not a metric of this search; it has {names}.")
    return metric


def _best_row(results, mean):
    """The best row at the largest budget reached (all rows without a budget)."""
    ok = np.isfinite(mean)
    if "n_resources" in results:
        budgets = np.asarray(results["n_resources"], dtype=float)
        if ok.any():
            ok &= budgets >= np.nanmax(budgets[ok])
    if not ok.any():
        return None
    return int(np.flatnonzero(ok)[np.argmax(mean[ok])])


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


# -- the page ---------------------------------------------------------------------------------
def write_html(source, path, *, metric=None, title=None):
    """Write the report of a search (or of its journal) as one self-contained HTML page.

    Parameters
    ----------
    source : fitted search or str
        A fitted search, or a journal path (finished or still running).
    path : str or path-like
        Where to write the page.
    metric : str, default=None
        The metric; by default the refit metric.
    title : str, default=None
        The page title.

    Returns
    -------
    summary : dict
        What :func:`summary` returns (the page shows it).

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktune import BayesSearchCV, Real
    >>> from sktune.report import write_html
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(LogisticRegression(max_iter=500), {"C": Real(1e-2, 1e2,
    ...                        log=True)}, n_iter=3, cv=3, random_state=0).fit(X, y)
    >>> page = os.path.join(tempfile.mkdtemp(), "report.html")
    >>> write_html(search, page)["n_results"]
    3
    """
    read = _results_of(source)  # a journal is read once
    results = read[0]
    info = _summary(source, *read, metric)
    title = title or f"sktune report ({info['n_results']} results)"
    parts = [f"<h1>{html.escape(title)}</h1>", _summary_table(info)]
    if info["n_results"]:
        parts += [_leaderboard(results, info), *_figures(source, results, info)]
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(parts)
            + f"<footer>Written {time.strftime('%Y-%m-%d %H:%M:%S')}</footer></body></html>")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return info


_CSS = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:left}th{background:#f3f3f3}figure{margin:1.5em 0}"
        "footer{color:#888;font-size:small;margin-top:3em}")


def _summary_table(info):
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in info.items())
    return f"<h2>Summary</h2><table>{rows}</table>"


def _leaderboard(results, info, n=10):
    metric = info["metric"]
    mean = np.asarray(results[f"mean_test_{metric}"], dtype=float)
    order = [i for i in np.argsort(-np.where(np.isfinite(mean), mean, -np.inf)) if
             np.isfinite(mean[i])][:n]
    extra = [k for k in ("n_resources", "member_id", "status") if k in results]
    head = "".join(f"<th>{h}</th>" for h in ["rank", f"mean {metric}", "std", *extra, "params"])
    body = ""
    for r, i in enumerate(order, 1):
        cells = [r, f"{mean[i]:.4f}", f"{results[f'std_test_{metric}'][i]:.4f}",
                 *[results[k][i] for k in extra], _plain(results["params"][i])]
        body += "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"
    return f"<h2>Leaderboard (top {len(order)})</h2><table><tr>{head}</tr>{body}</table>"


def _figures(source, results, info):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from . import plots

    metric = None if info["metric"] == "score" else info["metric"]
    makers = [("Convergence", lambda ax: plots.ConvergenceDisplay.from_cv_results(
        results, metric=metric, ax=ax))]
    if "rung" in results:
        makers.append(("Rungs", lambda ax: plots.RungDisplay.from_cv_results(
            results, metric=metric, ax=ax)))
    if "member_id" in results and "parent_id" in results:
        makers.append(("Lineage", lambda ax: plots.LineageDisplay.from_cv_results(
            results, metric=metric, ax=ax)))
    out = [_figure(name, make) for name, make in makers]
    out.append(_importance_figure(source, results, info))
    return [f for f in out if f]


def _figure(name, make):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    try:
        make(ax)
    except Exception as exc:  # a plot that cannot be drawn must not lose the page
        plt.close(fig)
        return f"<h2>{name}</h2><p>Not drawn: {html.escape(str(exc))}</p>"
    return f"<h2>{name}</h2><figure>{_svg(fig)}</figure>"


def _importance_figure(source, results, info):
    from .importance import ImportanceDisplay, importance_from_cv_results

    space = _space_of(source, results)
    try:
        imp = importance_from_cv_results(results, space, metric=info["metric"])
    except ValueError as exc:
        return f"<h2>Hyperparameter importance</h2><p>{html.escape(str(exc))}</p>"
    disp = ImportanceDisplay(imp).plot()
    return f"<h2>Hyperparameter importance</h2><figure>{_svg(disp.figure_)}</figure>"


def _space_of(source, results):
    """The searched space; for a journal, read off the values tried."""
    param = getattr(source, "_space_param", None)
    if param is not None:
        return SearchSpace(getattr(source, param))
    names = sorted({k for p in results["params"] for k in p})
    space = {}
    for name in names:
        values = [p[name] for p in results["params"] if name in p]
        numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                      for v in values)
        if numeric and len(set(values)) > 2:
            low, high = float(min(values)), float(max(values))
            space[name] = Real(low, high, log=low > 0 and high / low > 100)
        else:
            seen = {}
            for v in values:
                seen.setdefault(repr(v), v)
            space[name] = Categorical(list(seen.values()))
    return space


def _svg(fig):
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]
