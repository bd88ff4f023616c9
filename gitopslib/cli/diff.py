"""``gitopslib diff``: unified diff live -> desired, as ``argocd app diff``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from gitopslib.cli.parser import Commands, add_live_flags, add_source_flags
from gitopslib.cli.session import Session, apps_of, compare_app

if TYPE_CHECKING:
    pass


def run(args: argparse.Namespace, out: TextIO) -> int:
    session = Session(args)
    differs = False
    for app in apps_of(args):
        run = compare_app(session, app)
        for rd in run.comparison.resources:
            if rd.status != "OutOfSync" or not rd.diff:
                continue
            if rd.requires_pruning and rd.ignore_extraneous:
                continue
            differs = True
            gk = f"{rd.group}/{rd.kind}" if rd.group else rd.kind
            out.write(f"===== {gk} {rd.namespace}/{rd.name} ======\n")
            out.write(rd.diff if rd.diff.endswith("\n") else rd.diff + "\n")
    return 1 if differs else 0


def register(commands: Commands) -> None:
    """Add ``diff``."""
    p = commands.add("diff", "Unified diff live -> desired; exit 0 same, 1 different, 2 error.")
    add_source_flags(p)
    add_live_flags(p)
    p.set_defaults(func=run)
