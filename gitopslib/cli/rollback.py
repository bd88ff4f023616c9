"""``gitopslib rollback``: redeploy an earlier history entry, as ``argocd app rollback``."""

from __future__ import annotations

import argparse
from typing import TextIO

from gitopslib.cli.operating import (
    Progress,
    add_cluster_flags,
    add_operation_flags,
    connect,
    git_source,
    one_app,
    report_operation,
)
from gitopslib.cli.parser import Commands


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Roll back; exit 0 when the redeploy succeeded, 1 when it failed."""
    from gitopslib.operations import rollback

    app = one_app(args)
    progress = Progress()
    with connect(args, app) as cluster:
        from gitopslib.sync.context import OperationContext

        state = rollback(
            app,
            args.id,
            cluster,
            prune=args.prune,
            dry_run=args.dry_run,
            timeout=args.timeout,
            context=OperationContext(on_progress=progress.operation),
            **git_source(args, app),
        )
    return report_operation(app, state, args, out)


def register(commands: Commands) -> None:
    """Add ``rollback``."""
    p = commands.add("rollback", "Redeploy an earlier history entry (as argocd app rollback).", "")
    p.add_argument("app", metavar="APP", help="the Application's YAML file")
    p.add_argument(
        "id", nargs="?", type=int, metavar="ID", help="history id (default: the previous one)"
    )
    add_cluster_flags(p)
    add_operation_flags(p)
    p.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="give up after this long (default: none)"
    )
    p.set_defaults(func=run)
