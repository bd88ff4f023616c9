"""``gitopslib get``: an Application's recorded status, as ``argocd app get``: sync, health,
the last operation (a running one with its message: what it waits for) and the resources
table with the operation's results (so far) merged in."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from gitopslib._timestamps import parse_rfc3339
from gitopslib.cli.operating import add_cluster_flags, connect, emit_model, one_app
from gitopslib.cli.output import table
from gitopslib.cli.parser import Commands
from gitopslib.models._duration import format_go_duration

if TYPE_CHECKING:
    from gitopslib.models import Application, ApplicationStatus, OperationState, ResourceStatus


def status_text(
    app: Application,
    status: ApplicationStatus,
    *,
    wide: bool = False,
    now: datetime | None = None,
) -> str:
    """The status as ``argocd app get`` prints it: a header, the last (or running)
    operation and the resources with the operation's results merged in (``now``: the
    moment a running operation's duration runs to, the current time unless given)."""
    source = app.spec.all_sources()[0] if app.spec.all_sources() else None
    dest = app.spec.destination
    sync = status.sync
    lines = [
        f"Name:               {app.metadata.name}",
        f"Project:            {app.spec.project or 'default'}",
        f"Server:             {(dest.server or dest.name) if dest else ''}",
        f"Namespace:          {(dest.namespace or '') if dest else ''}",
        f"Repo:               {source.repo_url if source else ''}",
        f"Target:             {(source.target_revision or '') if source else ''}",
        f"Path:               {(source.path or source.chart or '') if source else ''}",
        f"Sync Status:        {sync.status if sync else 'Unknown'}"
        + (f" (revision {sync.revision})" if sync and sync.revision else ""),
        f"Health Status:      {status.health.status if status.health else 'Unknown'}",
    ]
    text = "\n".join(lines) + "\n"
    if status.operation_state is not None:
        text += "\n" + operation_text(status.operation_state, now=now)
    rows = resource_rows(status, wide=wide)
    if rows:
        header: tuple[str, ...] = ("KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK")
        header = (*header, "MESSAGE")
        if wide:
            header = ("GROUP", *header, "HEALTH MESSAGE")
        text += "\n" + table([header, *rows])
    return text


def operation_text(state: OperationState, *, now: datetime | None = None) -> str:
    """The operation's lines, as ``argocd app get`` prints them: ``Operation: Sync`` once it
    has a sync result, ``Duration`` finished minus started (``now`` minus started while it
    runs), and a running one shows what it waits for in ``Message``."""
    result = state.sync_result
    revisions = result.revisions if result is not None else None
    revision = ", ".join(revisions) if revisions else (result.revision if result else None)
    lines = ["Operation:          Sync"] if result is not None else []
    if revision:
        lines.append(f"Sync Revision:      {revision}")
    lines.append(f"Phase:              {state.phase or 'Unknown'}")
    if state.started_at:
        lines.append(f"Start:              {state.started_at}")
    if state.finished_at:
        lines.append(f"Finished:           {state.finished_at}")
    started = parse_rfc3339(state.started_at)
    if started is not None:
        end = parse_rfc3339(state.finished_at) or now or datetime.now(UTC)
        seconds = int(end.timestamp()) - int(started.timestamp())
        lines.append(f"Duration:           {go_duration(seconds)}")
    if state.retry_count:
        lines.append(f"Retry Count:        {state.retry_count}")
    if state.message:
        lines.append(f"Message:            {state.message}")
    return "\n".join(lines) + "\n"


def go_duration(seconds: int) -> str:
    """Whole ``seconds`` as Go's ``time.Duration`` prints them (what Argo CD shows).

    >>> [go_duration(s) for s in (0, 5, 90, 3600, 7205, -61)]
    ['0s', '5s', '1m30s', '1h0m0s', '2h0m5s', '-1m1s']
    """
    return format_go_duration(seconds * 1_000_000_000)


def resource_rows(status: ApplicationStatus, *, wide: bool = False) -> list[tuple[str, ...]]:
    """One row per resource, in ``argocd app get``'s order (its ``getResourceStates``): the
    last operation's results first, as it ran them (a recorded resource with its sync status
    and health and the result's message; otherwise, as for a hook or a resource the status
    does not list yet, the hook phase under STATUS and the result's code under HEALTH: a
    running operation's results so far), then every
    other recorded resource, sorted by group, kind, namespace and name."""
    recorded = {_key(r.group, r.kind, r.namespace, r.name): r for r in status.resources or []}
    rows: list[tuple[str, ...]] = []
    state = status.operation_state
    results = state.sync_result.resources if state and state.sync_result else None
    for res in results or []:
        key = _key(res.group, res.kind, res.namespace, res.name)
        r = recorded.pop(key, None)
        if r is not None and not res.hook_type:
            rows.append(_recorded_row(r, message=res.message or ""))
        else:
            # as Argo CD: the hook phase under STATUS, the result's code under HEALTH
            phase, code = res.hook_phase or "", res.status or ""
            rows.append((*key, phase, code, res.hook_type or "", res.message or "", ""))
    rows += [_recorded_row(recorded[key]) for key in sorted(recorded, key="/".join)]
    return [row if wide else row[1:8] for row in rows]


def _recorded_row(r: ResourceStatus, message: str = "") -> tuple[str, ...]:
    """A recorded resource's row (all columns of ``-o wide``)."""
    health = r.health
    health_status, health_message = (
        (health.status or "", health.message or "") if health else ("", "")
    )
    return (
        *_key(r.group, r.kind, r.namespace, r.name),
        r.status or "",
        health_status,
        "",
        message,
        health_message,
    )


def _key(
    group: str | None, kind: str | None, namespace: str | None, name: str | None
) -> tuple[str, str, str, str]:
    return (group or "", kind or "", namespace or "", name or "")


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Print the status; exit 0 (it reports, it does not judge)."""
    from gitopslib.operations import app_status

    app = one_app(args)
    with connect(args, app) as cluster:
        status = app_status(app, cluster)
    report_status(app, status, args.output, out)
    return 0


def report_status(app: Application, status: ApplicationStatus, output: str, out: TextIO) -> None:
    """Print ``status`` as ``-o`` asks: :func:`status_text` (``wide``: more columns) or the
    ApplicationStatus as JSON/YAML (``get`` and ``wait``)."""
    if output in ("json", "yaml"):
        emit_model(status, output, out)
    else:
        out.write(status_text(app, status, wide=output == "wide"))


def register(commands: Commands) -> None:
    """Add ``get``."""
    p = commands.add("get", "An Application's recorded sync, health and resources.", "")
    p.add_argument("app", metavar="APP", help="the Application's YAML file")
    add_cluster_flags(p, git=False)
    p.set_defaults(func=run)
