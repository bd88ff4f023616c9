"""``gitopslib render``: the desired manifests of Applications as YAML or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli.parser import Commands, add_source_flags
from gitopslib.cli.session import Session, apps_of
from gitopslib.giturl import mask_credentials

if TYPE_CHECKING:
    pass


def run(args: argparse.Namespace, out: TextIO) -> int:
    from gitopslib.manifest import dump_manifests

    session = Session(args)
    apps = apps_of(args)
    docs: list[dict[str, Any]] = []
    for app in apps:
        result = session.render(app)
        for warning in result.warnings:
            line = f"gitopslib: warning: {app.metadata.name}: {warning}"
            print(mask_credentials(line), file=sys.stderr)
        docs.extend(result.manifests)
    if args.output == "json":
        json.dump(docs, out, indent=2, sort_keys=True)
        out.write("\n")
    else:
        out.write(dump_manifests(docs))
    return 0


def register(commands: Commands) -> None:
    """Add ``render``."""
    p = commands.add("render", "Print the desired manifests of Applications as YAML.")
    add_source_flags(p)
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    p.set_defaults(func=run)
