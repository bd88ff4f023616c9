"""``gitopslib wait``: wait until an Application is synced and healthy, as ``argocd app
wait``; exit 0 when it is, 1 when it degraded or the time ran out."""

from __future__ import annotations

import argparse
from typing import TextIO

from gitopslib.cli.get import report_status
from gitopslib.cli.operating import (
    Progress,
    add_cluster_flags,
    connect,
    git_source,
    one_app,
)
from gitopslib.cli.parser import Commands


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Wait; a timeout or a resource turning Degraded is exit 1 with the reason on stderr."""
    from gitopslib.errors import OperationError
    from gitopslib.operations import wait

    app = one_app(args)
    progress = Progress()
    with connect(args, app) as cluster:
        try:
            status = wait(
                app,
                cluster,
                health=args.health,
                sync=args.sync,
                operation=args.operation,
                suspended=args.suspended,
                degraded=args.degraded,
                timeout=args.timeout,
                on_progress=progress.status,
                **(git_source(args, app) if args.sync else {}),
            )
        except OperationError as exc:
            import sys

            from gitopslib.cli.base import error_message

            print(f"gitopslib: {error_message(exc)}", file=sys.stderr)
            return 1
    report_status(app, status, args.output, out)
    return 0


def register(commands: Commands) -> None:
    """Add ``wait``."""
    p = commands.add("wait", "Wait until an Application is synced and healthy.", "")
    p.add_argument("app", metavar="APP", help="the Application's YAML file")
    add_cluster_flags(p)
    p.add_argument("--health", action="store_true", help="wait for health Healthy")
    p.add_argument("--sync", action="store_true", help="wait for sync status Synced")
    p.add_argument("--operation", action="store_true", help="wait for no running operation")
    p.add_argument("--suspended", action="store_true", help="Suspended health counts as done")
    p.add_argument("--degraded", action="store_true", help="Degraded health counts as done")
    p.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="give up after this long, exit 1 (default: 300; 0: forever)",
    )
    p.set_defaults(func=run)
