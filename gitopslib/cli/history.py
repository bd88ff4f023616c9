"""``gitopslib history``: an Application's deployments, as ``argocd app history``."""

from __future__ import annotations

import argparse
from typing import TextIO

from gitopslib.cli.operating import add_cluster_flags, connect, emit_model, one_app
from gitopslib.cli.output import table
from gitopslib.cli.parser import Commands


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Print the history (oldest first): id, when, revision and source."""
    from gitopslib.operations import app_status

    app = one_app(args)
    with connect(args, app) as cluster:
        history = list(app_status(app, cluster).history or [])
    if args.output in ("json", "yaml"):
        emit_model(history, args.output, out)
        return 0
    rows = []
    for entry in history:
        source = entry.source or {}
        revision = entry.revision or ", ".join(entry.revisions or [])
        row = [str(entry.id), entry.deployed_at or "", revision]
        if args.output == "wide":
            row += [
                str(source.get("repoURL", "")),
                str(source.get("path") or source.get("chart") or ""),
            ]
        rows.append(tuple(row))
    header = ("ID", "DATE", "REVISION") + (("REPO", "PATH") if args.output == "wide" else ())
    out.write(table([header, *rows]) if rows else f"{app.metadata.name}: no deployments yet\n")
    return 0


def register(commands: Commands) -> None:
    """Add ``history``."""
    p = commands.add("history", "An Application's deployment history (as argocd app history).", "")
    p.add_argument("app", metavar="APP", help="the Application's YAML file")
    add_cluster_flags(p, git=False)
    p.set_defaults(func=run)
