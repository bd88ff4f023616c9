"""The whole loop for controllers: render, read live state, compare, judge health, plan, sync.

:func:`sync` is ``argocd app sync`` as a function: it renders the Application from Git (or a
local checkout), reads the live objects its tracking claims (plus any live object a desired
one would adopt) from a :class:`~gitopslib.sync.protocol.Cluster`, compares, plans in Argo
CD's order and runs the plan, returning the :class:`~gitopslib.models.OperationState`.

:func:`reconcile` is one pass of Argo CD's application controller: the same render, live
state and comparison, the app's health, the plan, and, when the app's automated sync policy
says so (argocd-semantics.md §4.2-§4.3), the sync itself: it refuses to wipe out every
resource without ``allowEmpty``, does not retry a revision whose sync already failed, and
self-heals (a selective sync of the drifted resources, hooks skipped) when ``selfHeal`` is on.

>>> import pathlib, tempfile
>>> from gitopslib.cluster import MemoryCluster
>>> from gitopslib.models import Application
>>> repo = pathlib.Path(tempfile.mkdtemp())
>>> _ = (repo / "cm.yaml").write_text(
...     "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: settings}\\ndata: {a: '1'}\\n")
>>> app = Application.from_yaml(
...     "apiVersion: argoproj.io/v1alpha1\\nkind: Application\\nmetadata: {name: demo}\\n"
...     "spec: {source: {repoURL: 'https://example.com/r.git', path: .},"
...     " destination: {name: in-cluster, namespace: prod}}\\n")
>>> cluster = MemoryCluster()
>>> sync(app, cluster=cluster, repo_root=repo).phase
'Succeeded'
>>> reconcile(app, cluster, repo_root=repo).comparison.sync_status
'Synced'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitopslib._timestamps import rfc3339
from gitopslib.cluster.live import live_state
from gitopslib.diff import ComparisonResult, DiffSettings
from gitopslib.errors import ClusterError, OperationError
from gitopslib.health import HealthStatus
from gitopslib.manifest import ResourceKey
from gitopslib.models import ApplicationCondition, OperationState
from gitopslib.operations._loop import (
    GitSource,
    SyncRequest,
    app_health,
    context_from,
    observe,
    plan_operation,
    resolve_cluster,
    resource_health,
    source_dicts,
)
from gitopslib.operations._sync import notify, run_sync, set_comparison, status_store, sync
from gitopslib.sources import RenderResult
from gitopslib.sources.resolver import RepositoryLike
from gitopslib.sync import SyncPlan
from gitopslib.sync.context import HealthFunction, OperationContext
from gitopslib.sync.protocol import Cluster

_log = logging.getLogger("gitopslib.operations")

__all__ = [
    "AutoSyncDecision",
    "GitSource",
    "ReconcileResult",
    "SyncRequest",
    "auto_sync_decision",
    "live_state",
    "reconcile",
    "run_reconcile",
    "run_sync",
    "sync",
]


@dataclass(frozen=True)
class AutoSyncDecision:
    """Whether the automated policy syncs now, and why (``condition``: the ``SyncError``
    message Argo CD would set, e.g. "auto-sync will wipe out all resources"). ``self_heal``:
    the sync is a selective self-heal of ``resources``.

    >>> AutoSyncDecision(False, "automated sync is not enabled").sync
    False
    """

    sync: bool
    reason: str
    condition: str | None = None
    self_heal: bool = False
    resources: tuple[tuple[str, str, str, str], ...] = ()


@dataclass
class ReconcileResult:
    """One reconcile pass: what Git renders, how the cluster compares, health, the plan, the
    auto-sync decision and (if it synced) the operation."""

    render: RenderResult
    live: list[dict[str, Any]]
    comparison: ComparisonResult
    health: HealthStatus
    resource_health: list[tuple[ResourceKey, HealthStatus | None]]
    plan: SyncPlan
    auto_sync: AutoSyncDecision
    operation: OperationState | None = None
    conditions: list[dict[str, str]] = field(default_factory=list)

    @property
    def sync_status(self) -> str:
        """``Synced`` or ``OutOfSync`` (before any sync this pass ran)."""
        return self.comparison.sync_status


def _automated(app: Any) -> Any:
    policy = getattr(app.spec, "sync_policy", None)
    automated = getattr(policy, "automated", None) if policy is not None else None
    if automated is None or getattr(automated, "enabled", None) is False:
        return None
    return automated


def _already_attempted(app: Any, rendered: RenderResult) -> tuple[bool, OperationState | None]:
    status = getattr(app, "status", None)
    last = getattr(status, "operation_state", None) if status is not None else None
    if last is None:
        return False, None
    result = last.sync_result
    if result is None:
        return last.is_completed, last
    source, sources = source_dicts(app)
    if sources is not None:
        same_rev = list(result.revisions or []) == [r or "" for r in rendered.revisions]
        same_src = result.sources is None or result.sources == sources
    else:
        same_rev = (result.revision or "") == (rendered.revision or "")
        same_src = result.source is None or result.source == source
    return same_rev and same_src, last


def auto_sync_decision(
    app: Any,
    comparison: ComparisonResult,
    rendered: RenderResult,
    *,
    project: Any = None,
    now: datetime | None = None,
) -> AutoSyncDecision:
    """Argo CD's auto-sync rules (§4.2-§4.3) for one reconcile: whether to sync, and why.

    ``project`` (a :class:`gitopslib.project.AppProject`) brings the sync windows.

    >>> from types import SimpleNamespace as NS
    >>> app = NS(spec=NS(sync_policy=None))
    >>> auto_sync_decision(app, ComparisonResult("OutOfSync", []), None).reason  # type: ignore
    'automated sync is not enabled'
    """
    automated = _automated(app)
    if automated is None:
        return AutoSyncDecision(False, "automated sync is not enabled")
    if getattr(app, "operation", None) is not None:
        return AutoSyncDecision(False, "an operation is already in progress")
    if getattr(app.metadata, "deletion_timestamp", None):
        return AutoSyncDecision(False, "the application is being deleted")
    if comparison.sync_status != "OutOfSync":
        return AutoSyncDecision(False, f"sync status is {comparison.sync_status}")
    if project is not None:
        decision = project.sync_decision(app, now or datetime.now(UTC), manual=False)
        if not decision.allowed:
            return AutoSyncDecision(False, f"blocked by sync window: {decision.reason}")
    prune = bool(getattr(automated, "prune", False))
    out_of_sync = [r for r in comparison.resources if r.status == "OutOfSync"]
    if not prune and out_of_sync and all(r.requires_pruning for r in out_of_sync):
        return AutoSyncDecision(
            False, "only resources that require pruning differ and automated prune is off"
        )
    attempted, last = _already_attempted(app, rendered)
    revision = rendered.revision or ""
    if attempted and last is not None:
        if last.phase != "Succeeded":
            message = f"Failed last sync attempt to {revision}: {last.message or ''}"
            return AutoSyncDecision(False, "the last sync of this revision failed", message)
        if not getattr(automated, "self_heal", False):
            return AutoSyncDecision(False, "already synced this revision; selfHeal is off")
        drifted = tuple(
            (r.group, r.kind, r.namespace, r.name)
            for r in comparison.resources
            if r.status == "OutOfSync"
        )
        return AutoSyncDecision(True, "self-heal", self_heal=True, resources=drifted)
    managed = [r for r in comparison.resources if not r.hook and r.status != ""]
    if (
        prune
        and not getattr(automated, "allow_empty", False)
        and managed
        and all(r.requires_pruning for r in managed)
    ):
        return AutoSyncDecision(
            False,
            "refused: every resource would be pruned",
            "auto-sync will wipe out all resources",
        )
    return AutoSyncDecision(True, f"OutOfSync at revision {revision}")


def reconcile(
    app: Any,
    cluster: Cluster | None = None,
    repository: RepositoryLike | None = None,
    repo_root: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    *,
    project: Any = None,
    auto_sync: bool = True,
    context: OperationContext | None = None,
    settings: DiffSettings | None = None,
    render_options: Mapping[str, Any] | None = None,
    health: HealthFunction | None = None,
    timeout: float | None = None,
    poll_interval: float | None = None,
    wave_delay: float | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    now: Callable[[], datetime] | None = None,
    metrics: Any = None,
    notifier: Any = None,
    clusters: Any = None,
) -> ReconcileResult:
    """One controller pass over ``app``: comparison, health, plan and, if the automated
    policy says so (and ``auto_sync`` is True), the sync (``result.operation``).

    The auto-sync rules read the last operation from ``app.status`` as the caller passes
    it (a controller passes the status it keeps, e.g. ``app.status =
    gitopslib.app_status(app, cluster=...)``); an operation running according to the
    status recorded in the cluster stops auto-sync. The pass records the comparison
    (``status.sync``, ``health``, ``resources``, ``reconciledAt``, ``conditions``) there,
    and the sync it starts as :func:`sync` does. ``result.conditions`` holds ``SyncError``
    conditions (refused wipe-out, failed revision). ``context`` and the keywords after it
    work as for :func:`sync`.
    """
    ctx = context_from(
        context,
        settings=settings,
        render_options=render_options,
        health=health,
        timeout=timeout,
        poll_interval=poll_interval,
        wave_delay=wave_delay,
        clock=clock,
        sleep=sleep,
        now=now,
        metrics=metrics,
        notifier=notifier,
        clusters=clusters,
    )
    target = resolve_cluster(app, cluster, ctx)
    return run_reconcile(
        app, target, GitSource(repository, repo_root, revision), ctx, project, auto_sync
    )


def run_reconcile(
    app: Any,
    cluster: Cluster,
    git: GitSource,
    ctx: OperationContext,
    project: Any = None,
    auto_sync: bool = True,
) -> ReconcileResult:
    """One reconcile pass with everything resolved (the body of :func:`reconcile`)."""
    begun = ctx.clock()
    wall = ctx.now
    store = status_store(cluster, ctx)
    recorded = store.load(app)
    view = app
    rendered, live, comparison = observe(view, cluster, git, ctx)
    rows = resource_health(comparison, ctx.health)
    health = app_health(comparison, rows)
    automated = _automated(view)
    prune = bool(getattr(automated, "prune", False)) if automated is not None else None
    started = wall()
    request = SyncRequest(prune=prune, project=project)
    plan = plan_operation(view, comparison, rendered, cluster, request, started, ctx)
    if recorded.running is not None and not store.stale(recorded):
        decision = AutoSyncDecision(False, "an operation is already in progress")
    else:
        decision = auto_sync_decision(view, comparison, rendered, project=project, now=wall())
    result = ReconcileResult(
        render=rendered,
        live=live,
        comparison=comparison,
        health=health,
        resource_health=rows,
        plan=plan,
        auto_sync=decision,
    )
    if decision.condition:
        result.conditions.append({"type": "SyncError", "message": decision.condition})
    if decision.sync and auto_sync:
        selection = None
        if decision.self_heal:
            # self-heal is a selective sync of the drifted resources (§4.3)
            selection = [(g, k, ns, n) for g, k, ns, n in decision.resources] or None
        sync_request = SyncRequest(
            prune=prune, resources=selection, project=project, automated=True
        )
        op = run_sync(view, cluster, git, sync_request, ctx)
        if op.operation is not None and op.operation.initiated_by is not None:
            op.operation.initiated_by.username = None
            op.operation.initiated_by.automated = True
        result.operation = op
    else:
        if ctx.record_status:
            _record_comparison(view, store, result, ctx)
    ctx.observe(
        "metrics.record_reconcile",
        getattr(ctx.metrics, "record_reconcile", None),
        view,
        max(ctx.clock() - begun, 0.0),
    )
    return result


def _record_comparison(
    app: Any, store: Any, result: ReconcileResult, ctx: OperationContext
) -> None:
    """Write what this pass saw into the recorded status (best effort: a conflict with a
    running operation, or a read-only cluster, leaves the record as it is)."""
    try:
        record = store.load(app)
        if record.running is not None and not store.stale(record):
            return
        status = record.status.model_copy(deep=True)
        source, sources = source_dicts(app)
        set_comparison(
            status,
            app,
            result.comparison,
            result.resource_health,
            result.health,
            result.render,
            source=source,
            sources=sources,
            reconciled_at=rfc3339(ctx.now()),
        )
        if result.conditions or status.conditions:
            status.conditions = [
                ApplicationCondition(type=c["type"], message=c["message"])
                for c in result.conditions
            ]
        store.save(app, record, status)
    except (ClusterError, OperationError) as exc:
        _log.info("reconcile of %s: status not recorded: %s", getattr(app, "name", "?"), exc)
        return
    view = app.model_copy(update={"status": status}) if hasattr(app, "model_copy") else app
    ctx.observe("metrics.record_app", getattr(ctx.metrics, "record_app", None), view)
    # health that turns Healthy after the sync ended (on-deployed) is seen here
    notify(app, status, ctx)
