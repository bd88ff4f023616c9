"""``wait``: ``argocd app wait`` as a function.

It polls the app until what was asked holds, with Argo CD's rules (``checkResourceStatus`` of
the argocd CLI): ``sync`` (every resource Synced), ``health`` (the app Healthy),
``suspended`` (Suspended; with ``health``: Healthy or Suspended), ``degraded`` (Degraded;
combinable the same way), ``operation`` (no operation running). With none of them asked it
waits for sync, health and operation. While it waits, a resource whose health turns Degraded
(from anything but Unknown or Degraded) ends the wait at once when health is watched, as the
CLI does.

Each poll reads the live objects, not a cached status: with ``repository``/``repo_root`` the
app is rendered once (at the revision last synced) and every poll compares it with the live
state; without Git each poll re-reads the resources the last operation recorded (a deleted
one is ``OutOfSync`` and ``Missing``), and the recorded operation state.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from gitopslib.cluster.status import StatusStore
from gitopslib.errors import OperationError, WaitTimeoutError
from gitopslib.health import HealthStatus, HealthStatusCode, aggregate_health
from gitopslib.manifest import CLUSTER_SCOPED_KINDS, ResourceKey
from gitopslib.models import ApplicationStatus, ResourceStatus, SyncStatus
from gitopslib.operations._loop import (
    GitSource,
    app_health,
    compare_live,
    context_from,
    render_app,
    resolve_cluster,
    resource_health,
)
from gitopslib.operations._sync import notify, status_store
from gitopslib.sources import RenderResult
from gitopslib.sources.resolver import RepositoryLike
from gitopslib.sync.context import OperationContext
from gitopslib.sync.protocol import Cluster
from gitopslib.sync.status import health_status, resource_statuses

__all__ = ["wait"]


def _name(app: Any) -> str:
    return str(getattr(getattr(app, "metadata", None), "name", None) or "?")


def _health_ok(status: str, *, health: bool, suspended: bool, degraded: bool) -> bool:
    """The argocd CLI's health rule for the flags asked."""
    wanted: set[str] = set()
    if health:
        wanted.add("Healthy")
    if suspended:
        wanted.add("Suspended")
    if degraded:
        wanted.add("Degraded")
    return not wanted or status in wanted


def _describe(row: ResourceStatus) -> str:
    kind = f"{row.group}/{row.kind}" if row.group else str(row.kind)
    where = f"{row.namespace}/{row.name}" if row.namespace else str(row.name)
    parts = [f"{kind} {where}:", row.status or "Unknown"]
    if row.health is not None and row.health.status:
        parts.append(row.health.status)
        if row.health.message:
            parts.append(f"({row.health.message})")
    return " ".join(parts)


def wait(
    app: Any,
    cluster: Cluster | None = None,
    *,
    health: bool = True,
    sync: bool = True,
    operation: bool = True,
    suspended: bool = False,
    degraded: bool = False,
    timeout: float = 300.0,
    repository: RepositoryLike | None = None,
    repo_root: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    on_progress: Callable[[ApplicationStatus], None] | None = None,
    poll_interval: float | None = None,
    context: OperationContext | None = None,
    clusters: Any = None,
) -> ApplicationStatus:
    """Wait until ``app`` matches what was asked (see the module docs) and return its status
    as last seen (``sync``, ``health``, ``resources``, ``operation_state``).

    ``timeout`` seconds (0: forever) on the context's clock; on timeout
    :class:`~gitopslib.errors.WaitTimeoutError` names every resource still not Synced or not
    Healthy, with its health message (``.pending`` lists them). ``on_progress`` receives the
    status after every poll; polls are ``poll_interval`` seconds apart (default: the
    context's).

    >>> # docs: see docs/sync-execution.md ("Waiting")
    """
    if not (health or sync or operation or suspended or degraded):
        health = sync = operation = True
    ctx = context_from(context, poll_interval=poll_interval, clusters=clusters)
    target = resolve_cluster(app, cluster, ctx)
    store = status_store(target, ctx)
    name = _name(app)
    rendered: RenderResult | None = None
    if repository is not None or repo_root is not None:
        recorded = store.load(app).status
        at = revision or (recorded.sync.revision if recorded.sync is not None else None)
        rendered = render_app(app, target, GitSource(repository, repo_root, at), ctx)
    deadline = ctx.clock() + timeout if timeout > 0 else None
    previous: dict[tuple[str, str, str, str], str] = {}
    seen: tuple[str, str, str] | None = None
    while True:
        status = _poll(app, target, store, rendered, ctx)
        if on_progress is not None:
            on_progress(status)
        now_seen = _summary(status)
        if now_seen != seen:  # the notifier sees each change of sync, health or phase once
            notify(app, status, ctx)
            seen = now_seen
        app_health_code = status.health.status if status.health is not None else "Unknown"
        sync_code = status.sync.status if status.sync is not None else "Unknown"
        state = status.operation_state
        in_progress = state is not None and state.phase in ("Running", "Terminating")
        ready = (
            _health_ok(app_health_code or "", health=health, suspended=suspended, degraded=degraded)
            and (not sync or sync_code == "Synced")
            and (not operation or not in_progress)
        )
        if ready:
            return status
        for row in status.resources or []:
            key = (row.group or "", row.kind or "", row.namespace or "", row.name or "")
            now_health = row.health.status if row.health is not None else ""
            before = previous.get(key)
            if (
                health
                and not degraded
                and before not in (None, "Unknown", "Degraded")
                and now_health == "Degraded"
            ):
                raise OperationError(
                    f"application '{name}' health state has transitioned from {before} "
                    f"to {now_health}: {_describe(row)}",
                    app=name,
                )
            previous[key] = now_health or ""
        if deadline is not None and ctx.clock() >= deadline:
            raise _timed_out(name, timeout, status, sync=sync, operation=operation)
        ctx.sleep(ctx.poll_interval)


def _summary(status: ApplicationStatus) -> tuple[str, str, str]:
    state = status.operation_state
    return (
        str(status.sync.status if status.sync is not None else ""),
        str(status.health.status if status.health is not None else ""),
        str(state.phase if state is not None else ""),
    )


def _timed_out(
    name: str, timeout: float, status: ApplicationStatus, *, sync: bool, operation: bool
) -> WaitTimeoutError:
    pending = [
        _describe(row)
        for row in status.resources or []
        if row.status != "Synced"
        or (row.health is not None and row.health.status not in ("Healthy", None))
    ]
    state = status.operation_state
    if operation and state is not None and state.phase in ("Running", "Terminating"):
        pending.append(f"operation {state.phase}: {state.message or 'no message'}")
    detail = "; ".join(pending) if pending else "no resource is pending"
    app_health = status.health.status if status.health is not None else "Unknown"
    app_sync = status.sync.status if status.sync is not None else "Unknown"
    return WaitTimeoutError(
        f"application {name}: timed out ({timeout:g}s) waiting for the app to match the "
        f"desired state ({app_sync}, {app_health}): {detail}",
        app=name,
        pending=pending,
    )


def _poll(
    app: Any,
    cluster: Cluster,
    store: StatusStore,
    rendered: RenderResult | None,
    ctx: OperationContext,
) -> ApplicationStatus:
    """The app's status as the live objects say now."""
    status = store.load(app).status.model_copy(deep=True)
    if rendered is not None:
        _live, comparison = compare_live(app, cluster, rendered.manifests, ctx)
        rows = resource_health(comparison, ctx.health)
        sync_status = status.sync.model_copy() if status.sync is not None else SyncStatus()
        sync_status.status = comparison.sync_status
        status.sync = sync_status
        status.health = health_status(app_health(comparison, rows))
        status.resources = resource_statuses(comparison, rows)
        return status
    if not status.resources:
        return status
    items: list[Any] = []
    rows_out: list[ResourceStatus] = []
    for row in status.resources:
        key = ResourceKey(row.group or "", row.kind or "", row.namespace or "", row.name or "")
        if (key.group, key.kind) in CLUSTER_SCOPED_KINDS:
            key = key._replace(namespace="")
        new = row.model_copy(deep=True)
        live = cluster.get(key)
        if live is None:
            new.status = "OutOfSync"
            hs: HealthStatus | None = HealthStatus(HealthStatusCode.MISSING)
            items.append((key, hs))
        else:
            hs = ctx.health(live)
            items.append((live, hs))
        new.health = health_status(hs)
        if new.health is None:
            new.__pydantic_fields_set__.discard("health")
        rows_out.append(new)
    status.resources = rows_out
    out_of_sync = any(r.status != "Synced" for r in rows_out)
    sync_status = status.sync.model_copy() if status.sync is not None else SyncStatus()
    sync_status.status = "OutOfSync" if out_of_sync else "Synced"
    status.sync = sync_status
    status.health = health_status(aggregate_health(items))
    return status
