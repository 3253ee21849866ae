"""``python -m sktune``: command line entry points (``demo``, ``report``)."""

from __future__ import annotations

import argparse
import sys


def main(argv=None):
    """Dispatch ``python -m sktune <command> [options]``.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    status : int
        The exit status.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="python -m sktune",
        description="sktune command line. Commands: demo (tune a pipeline and a skorch net "
                    "with the three searches, print a leaderboard, save plots); report "
                    "JOURNAL (an HTML page of a search's journal, also while it runs).",
    )
    parser.add_argument("command", choices=["demo", "report"], help="what to run")
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    args, rest = parser.parse_known_args(argv[:1])
    if args.command == "demo":
        from .demo import main as demo_main

        return demo_main(argv[1:] + rest)
    if args.command == "report":
        return _report(argv[1:])
    return 2  # pragma: no cover - argparse rejects other commands


def _report(argv):
    import json

    parser = argparse.ArgumentParser(
        prog="python -m sktune report",
        description="Write one self-contained HTML page (leaderboard, convergence, rungs, "
                    "lineage, importance) from a search's journal, finished or still running.")
    parser.add_argument("journal", help="the journal= file of a search")
    parser.add_argument("-o", "--output", default=None,
                        help="the page to write (default: the journal's name with .html)")
    parser.add_argument("--metric", default=None, help="the metric (multi-metric searches)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON too")
    args = parser.parse_args(argv)
    from .report import write_html

    out = args.output or (args.journal.rsplit(".", 1)[0] + ".html")
    info = write_html(args.journal, out, metric=args.metric)
    print(f"wrote {out} ({info['n_results']} results, {info['stop_reason']})")
    if args.json:
        print(json.dumps(info, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
