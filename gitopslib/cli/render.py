"""``gitopslib render``: the desired manifests of Applications as YAML or JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from gitopslib.cli.base import EXIT_OK, warn
from gitopslib.cli.output import emit
from gitopslib.cli.parser import Commands, add_output_flag, add_source_flags
from gitopslib.cli.session import Session


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Render every app; an app that fails is reported and the others are still printed.
    The resolved revision of each app read from Git goes to stderr (stdout stays YAML)."""
    from gitopslib.manifest import dump_manifests

    session = Session(args)
    docs: list[dict[str, Any]] = []
    for app in session.apps():
        with session.guard():
            result = session.render(app)
            for warning in result.warnings:
                warn(f"{app.metadata.name}: {warning}")
            revision = session.revision_of(result)
            if revision:
                print(f"gitopslib: {app.metadata.name}: revision {revision}", file=sys.stderr)
            docs.extend(result.manifests)
    if args.output == "json":
        emit(docs, "json", out)
    else:
        out.write(dump_manifests(docs))
    return session.finish(EXIT_OK)


def register(commands: Commands) -> None:
    """Add ``render``."""
    p = commands.add("render", "Print the desired manifests of Applications as YAML.")
    add_source_flags(p)
    add_output_flag(p, ("yaml", "json"), "yaml")
    p.set_defaults(func=run)
