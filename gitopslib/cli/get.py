"""``gitopslib get``: an Application's recorded status, as ``argocd app get``: sync, health,
the last operation and the resources table."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from gitopslib.cli.operating import add_cluster_flags, connect, emit_model, one_app
from gitopslib.cli.output import table
from gitopslib.cli.parser import Commands

if TYPE_CHECKING:
    from gitopslib.models import Application, ApplicationStatus


def status_text(app: Application, status: ApplicationStatus, *, wide: bool = False) -> str:
    """The status as ``argocd app get`` prints it: a header and the resources."""
    source = app.spec.all_sources()[0] if app.spec.all_sources() else None
    dest = app.spec.destination
    sync = status.sync
    state = status.operation_state
    lines = [
        f"Name:               {app.metadata.name}",
        f"Project:            {app.spec.project or 'default'}",
        f"Server:             {(dest.server or dest.name) if dest else ''}",
        f"Namespace:          {(dest.namespace or '') if dest else ''}",
        f"Repo:               {source.repo_url if source else ''}",
        f"Target:             {source.target_revision if source else ''}",
        f"Path:               {(source.path or source.chart or '') if source else ''}",
        f"Sync Status:        {sync.status if sync else 'Unknown'}"
        + (f" (revision {sync.revision})" if sync and sync.revision else ""),
        f"Health Status:      {status.health.status if status.health else 'Unknown'}",
    ]
    if state is not None:
        lines.append(f"Operation:          {state.phase} {state.message or ''}".rstrip())
    text = "\n".join(lines) + "\n"
    rows = []
    for r in status.resources or []:
        health = r.health.status if r.health else ""
        row = [r.kind or "", r.namespace or "", r.name or "", r.status or "", health or ""]
        if wide:
            row = [r.group or "", *row, r.health.message or "" if r.health else ""]
        rows.append(tuple(row))
    header: tuple[str, ...] = ("KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH")
    if wide:
        header = ("GROUP", *header, "MESSAGE")
    if rows:
        text += "\n" + table([header, *rows])
    return text


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Print the status; exit 0 (it reports, it does not judge)."""
    from gitopslib.operations import app_status

    app = one_app(args)
    with connect(args, app) as cluster:
        status = app_status(app, cluster)
    if args.output in ("json", "yaml"):
        emit_model(status, args.output, out)
    else:
        out.write(status_text(app, status, wide=args.output == "wide"))
    return 0


def register(commands: Commands) -> None:
    """Add ``get``."""
    p = commands.add("get", "An Application's recorded sync, health and resources.", "")
    p.add_argument("app", metavar="APP", help="the Application's YAML file")
    add_cluster_flags(p, git=False)
    p.set_defaults(func=run)
