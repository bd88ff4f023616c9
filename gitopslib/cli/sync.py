"""``gitopslib sync``: sync an Application to a cluster, as ``argocd app sync`` (the
operation is recorded in the cluster: ``history``, ``get`` and ``wait`` read it back)."""

from __future__ import annotations

import argparse
from typing import TextIO

from gitopslib.cli.base import CLIError
from gitopslib.cli.loading import load_projects, project_for
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


def _resource(text: str) -> tuple[str, str, str]:
    """``GROUP:KIND:NAME`` (Argo CD's ``--resource``; the group may be empty)."""
    parts = text.split(":")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise CLIError(f"--resource {text!r}: expected GROUP:KIND:NAME (group may be empty)")
    return parts[0], parts[1], parts[2]


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Sync; exit 0 when the operation succeeded, 1 when it failed or ran out of time."""
    from gitopslib.models import RetryStrategy
    from gitopslib.operations import sync

    app = one_app(args)
    projects = load_projects(args.project) if args.project else None
    resources = [_resource(r) for r in args.resource or []]
    retry = RetryStrategy(limit=args.retry_limit) if args.retry_limit is not None else None
    progress = Progress()
    with connect(args, app) as cluster:
        state = sync(
            app,
            cluster,
            revision=args.revision,
            dry_run=args.dry_run,
            prune=True if args.prune else None,
            project=project_for(app, projects),
            resources=resources or None,
            sync_options=args.sync_option or None,
            force=args.force,
            timeout=args.timeout,
            on_progress=progress.operation,
            retry=retry,
            **git_source(args, app),
        )
    return report_operation(app, state, args, out)


def register(commands: Commands) -> None:
    """Add ``sync``."""
    p = commands.add("sync", "Sync an Application to a cluster (as argocd app sync).", "")
    p.add_argument("app", metavar="APP", help="the Application's YAML file")
    add_cluster_flags(p)
    p.add_argument("--revision", metavar="REV", help="sync this revision, not targetRevision")
    add_operation_flags(p)
    p.add_argument("--force", action="store_true", help="replace resources that must be")
    p.add_argument(
        "--resource",
        action="append",
        metavar="GROUP:KIND:NAME",
        help="sync only this resource (repeatable)",
    )
    p.add_argument(
        "--sync-option",
        action="append",
        metavar="OPTION",
        help="sync option, e.g. ServerSideApply=true (repeatable; replaces the app's)",
    )
    p.add_argument(
        "--retry-limit", type=int, metavar="N", help="retry a failed sync N times (-1: forever)"
    )
    p.add_argument("--project", metavar="FILE", help="AppProject YAML whose rules apply")
    p.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="give up after this long (default: none)"
    )
    p.set_defaults(func=run)
