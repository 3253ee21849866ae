"""``python -m sktune``: command line entry points (``demo``)."""

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
                    "with the three searches, print a leaderboard, save plots).",
    )
    parser.add_argument("command", choices=["demo"], help="what to run")
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    args, rest = parser.parse_known_args(argv[:1])
    if args.command == "demo":
        from .demo import main as demo_main

        return demo_main(argv[1:] + rest)
    return 2  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
