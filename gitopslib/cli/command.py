"""The ``gitopslib`` command: the parser, built from the command modules, and ``main``.

Adding a command is adding a module under ``gitopslib/cli/`` with
``register(commands: Commands)`` and its name to :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from gitopslib.cli.base import EXIT_ERROR, report_error
from gitopslib.cli.parser import Commands, Parser, join_dash_values

#: The command modules under ``gitopslib.cli``, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "render",
    "diff",
    "plan",
    "health",
    "validate",
    "preview",
    "sync",
    "wait",
    "get",
    "history",
    "rollback",
    "notifications",
    "serve",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gitopslib`` command."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("gitopslib")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        __version__ = "unknown"
    parser = Parser(
        prog="gitopslib",
        description="Render, diff, plan and check Argo CD Applications without a cluster.",
    )
    parser.add_argument("--version", action="version", version=f"gitopslib {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error")
    commands = Commands(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    for name in COMMANDS:
        importlib.import_module(f"gitopslib.cli.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the ``gitopslib`` command; returns the exit code.

    >>> main(["validate", "examples/01-directory-app/application.yaml"])
    guestbook: valid
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(join_dash_values(parser, sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else 2
    stream = out or sys.stdout
    func: Callable[[argparse.Namespace, TextIO], int] = args.func
    try:
        code = func(args, stream)
        stream.flush()
        return code
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    except KeyboardInterrupt:
        print("gitopslib: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        report_error(exc, debug=getattr(args, "debug", False))
        return EXIT_ERROR
