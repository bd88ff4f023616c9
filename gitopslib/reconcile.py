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

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitopslib.cluster.live import live_state
from gitopslib.diff import ComparisonResult, DiffSettings, compare
from gitopslib.errors import OperationError
from gitopslib.health import HealthStatus, HealthStatusCode, aggregate_health
from gitopslib.manifest import ResourceKey, crd_cluster_scoped
from gitopslib.models import OperationState
from gitopslib.project.admission import namespace_permits, sync_refusal
from gitopslib.sources import RenderResult, render
from gitopslib.sources.resolver import RepositoryLike
from gitopslib.sync import SyncPlan, SyncPlanOptions, plan_sync
from gitopslib.sync.context import HealthFunction, OperationContext
from gitopslib.sync.execute import run_plan
from gitopslib.sync.protocol import Cluster
from gitopslib.tracking import app_instance_name

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


# --- pieces ---------------------------------------------------------------------------------


def _dest_namespace(app: Any) -> str:
    dest = getattr(app.spec, "destination", None)
    return str(getattr(dest, "namespace", None) or "")


@dataclass(frozen=True)
class GitSource:
    """Where an operation reads Git: a ``GitRepository`` (``revision`` overriding the app's
    ``targetRevision``) or a local checkout ``repo_root``."""

    repository: RepositoryLike | None = None
    repo_root: str | os.PathLike[str] | None = None
    revision: str | None = None


def _render(app: Any, cluster: Cluster, git: GitSource, ctx: OperationContext) -> RenderResult:
    options = dict(ctx.render_options or {})
    version = getattr(cluster, "server_version", None)
    apis = getattr(cluster, "api_versions", None)
    if "kube_version" not in options and isinstance(version, str) and version:
        options["kube_version"] = version.lstrip("v")
    elif "kube_version" not in options and callable(version):
        options["kube_version"] = str(version()).lstrip("v") or None
    if "api_versions" not in options and callable(apis):
        options["api_versions"] = list(apis())
    return render(
        app, repo_root=git.repo_root, repository=git.repository, revision=git.revision, **options
    )


def _observe(
    app: Any, cluster: Cluster, git: GitSource, ctx: OperationContext
) -> tuple[RenderResult, list[dict[str, Any]], ComparisonResult]:
    """Render the app, read its live state and compare the two."""
    settings = ctx.settings
    rendered = _render(app, cluster, git, ctx)
    live = live_state(
        app,
        cluster,
        rendered.manifests,
        label_key=settings.instance_label_key,
        controller_namespace=settings.controller_namespace,
    )
    comparison = compare(rendered.manifests, live, app=app, settings=settings)
    return rendered, live, comparison


def _resource_health(
    comparison: ComparisonResult, health: HealthFunction
) -> list[tuple[ResourceKey, HealthStatus | None]]:
    rows: list[tuple[ResourceKey, HealthStatus | None]] = []
    for rd in comparison.resources:
        if rd.hook or getattr(rd, "skip", False) or (rd.status == "" and rd.desired is None):
            continue
        if rd.live is None:
            rows.append((rd.key, HealthStatus(HealthStatusCode.MISSING)))
        else:
            rows.append((rd.key, health(rd.live)))
    return rows


def _app_health(
    comparison: ComparisonResult, rows: list[tuple[ResourceKey, HealthStatus | None]]
) -> HealthStatus:
    by_key = {rd.key: rd for rd in comparison.resources}
    items: list[Any] = []
    for key, status in rows:
        rd = by_key.get(key)
        target = rd.live if rd is not None and rd.live is not None else key
        items.append((target, status))
    return aggregate_health(items)


def _source_dicts(app: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]] | None]:
    spec = app.spec
    sources = getattr(spec, "sources", None)
    if sources:
        return None, [s.to_dict() if hasattr(s, "to_dict") else dict(s) for s in sources]
    source = getattr(spec, "source", None)
    if source is None:
        return None, None
    return (source.to_dict() if hasattr(source, "to_dict") else dict(source)), None


def _record_source(op: OperationState, app: Any, rendered: RenderResult) -> OperationState:
    if op.sync_result is None:
        return op
    source, sources = _source_dicts(app)
    op.sync_result.source = source
    op.sync_result.sources = sources
    if sources is not None:
        op.sync_result.revisions = [r or "" for r in rendered.revisions]
    op.sync_result.revision = rendered.revision or op.sync_result.revision
    return op


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
    source, sources = _source_dicts(app)
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


# --- entry points ---------------------------------------------------------------------------


def known_cluster_scoped(
    comparison: ComparisonResult, cluster: Cluster | None = None
) -> set[tuple[str, str]]:
    """The custom kinds known to be cluster-scoped: declared so by a CRD among the desired or
    live objects, or by the cluster's discovery (``cluster_scoped_kinds()``, where the
    cluster has it), so a project's cluster-resource rules see them as such."""
    objs = [o for rd in comparison.resources for o in (rd.desired, rd.live) if o is not None]
    scoped = crd_cluster_scoped(objs)
    discover = getattr(cluster, "cluster_scoped_kinds", None)
    if callable(discover):
        scoped |= set(discover())
    return scoped


def _plan(
    app: Any,
    comparison: ComparisonResult,
    rendered: RenderResult,
    cluster: Cluster,
    request: SyncRequest,
    started_at: datetime,
    ctx: OperationContext,
) -> SyncPlan:
    dest_ns = _dest_namespace(app)
    existing: list[str] | None = None
    if dest_ns:
        found = cluster.get(ResourceKey("", "Namespace", "", dest_ns))
        existing = [dest_ns] if found is not None else []
    options = SyncPlanOptions(
        prune=request.prune,
        dry_run=request.dry_run,
        sync_options=request.sync_options,
        resources=request.resources,
        skip_hooks=request.skip_hooks,
        force=request.force,
        revision=rendered.revision,
        started_at=started_at,
        existing_namespaces=existing,
        permits=request.project,
        namespace_permits=(
            namespace_permits(request.project, app) if request.project is not None else None
        ),
        cluster_scoped_kinds=known_cluster_scoped(comparison, cluster),
        app_instance=app_instance_name(app, ctx.settings.controller_namespace),
    )
    return plan_sync(comparison, app=app, options=options)


def _context(context: OperationContext | None, **changes: Any) -> OperationContext:
    """``context`` (default: Argo CD's defaults) with the keywords the caller gave."""
    return (context or OperationContext()).replace(**changes)


def _resolve_cluster(app: Any, cluster: Cluster | None, ctx: OperationContext) -> Cluster:
    """``cluster`` when given, else the app's destination through ``ctx.clusters``."""
    if cluster is not None:
        return cluster
    if ctx.clusters is None:
        name = getattr(getattr(app, "metadata", None), "name", None) or "?"
        raise OperationError(f"application {name}: no cluster given (pass cluster= or clusters=)")
    resolved: Cluster = ctx.clusters.for_app(app)
    return resolved


def sync(
    app: Any,
    cluster: Cluster | None = None,
    repository: RepositoryLike | None = None,
    repo_root: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    dry_run: bool = False,
    prune: bool | None = None,
    *,
    project: Any = None,
    resources: Collection[Sequence[str]] | None = None,
    sync_options: Sequence[str] | None = None,
    force: bool = False,
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
    on_progress: Callable[[OperationState], None] | None = None,
    metrics: Any = None,
    notifier: Any = None,
    clusters: Any = None,
) -> OperationState:
    """Sync ``app`` to ``cluster``: render -> live state -> compare -> plan -> execute.

    Where Git is: ``repo_root`` (a local checkout) or ``repository`` (a ``GitRepository``;
    ``revision`` overrides ``targetRevision``). ``prune`` (None: the automated policy's),
    ``dry_run``, ``resources`` (selective sync: ``(group, kind, name)`` items), ``sync_options``
    (None: the app's) and ``force`` are the operation's settings, as ``argocd app sync``
    flags. ``project`` (an AppProject): an app the project does not permit (source repo,
    destination, ...) or a sync its windows block fails at once with the reason as message,
    and objects it does not permit fail the sync ("one or more synchronization tasks are not
    valid"): a kind its resource lists deny, a namespaced object whose own namespace its
    destinations do not allow, a cluster-scoped one (custom kinds too, their scope learned
    from CRDs and the cluster's discovery) outside its cluster whitelist.

    How it runs (clocks, timeout, health, diff settings, observers, cluster registry) is the
    :class:`~gitopslib.sync.context.OperationContext` ``context``; the keywords ``settings``
    ... ``clusters`` are a shortcut that override its fields. Without ``cluster``, the app's
    destination is resolved through ``clusters``. Returns the OperationState with the synced
    revision and source recorded (so :func:`reconcile` can tell an attempted revision).
    """
    ctx = _context(
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
        on_progress=on_progress,
        metrics=metrics,
        notifier=notifier,
        clusters=clusters,
    )
    target = _resolve_cluster(app, cluster, ctx)
    request = SyncRequest(
        prune=prune,
        dry_run=dry_run,
        resources=resources,
        sync_options=sync_options,
        force=force,
        project=project,
    )
    return run_sync(app, target, GitSource(repository, repo_root, revision), request, ctx)


@dataclass(frozen=True)
class SyncRequest:
    """What one sync operation asks for (``argocd app sync`` flags): ``prune`` (None: the
    automated policy's), ``dry_run``, selective ``resources``, ``sync_options`` (None: the
    app's), ``force``, ``skip_hooks`` (``syncStrategy.apply``, as a rollback), and the
    ``project`` whose rules apply."""

    prune: bool | None = None
    dry_run: bool = False
    resources: Collection[Sequence[str]] | None = None
    sync_options: Sequence[str] | None = None
    force: bool = False
    skip_hooks: bool = False
    project: Any = None


def run_sync(
    app: Any, cluster: Cluster, git: GitSource, request: SyncRequest, ctx: OperationContext
) -> OperationState:
    """One sync attempt with everything resolved (the body of :func:`sync`)."""
    wall = ctx.now
    settings = ctx.settings
    project = request.project
    if project is not None:
        refusal = sync_refusal(
            project, app, wall(), manual=True, control_plane=settings.controller_namespace
        )
        if refusal:
            moment = wall().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return OperationState(
                phase="Failed", message=refusal, started_at=moment, finished_at=moment
            )
    rendered, _live, comparison = _observe(app, cluster, git, ctx)
    started = wall()
    plan = _plan(app, comparison, rendered, cluster, request, started, ctx)
    op = _execute(plan, cluster, app, ctx)
    return _record_source(op, app, rendered)


def _execute(plan: Any, cluster: Cluster, app: Any, ctx: OperationContext) -> OperationState:
    """``run_plan`` with the tracking settings of the context (shared by sync and
    reconcile)."""
    settings = ctx.settings
    return run_plan(
        plan,
        cluster,
        ctx,
        app=app,
        app_instance=app_instance_name(app, settings.controller_namespace),
        destination_namespace=_dest_namespace(app),
        tracking_method=settings.tracking_method,
        label_key=settings.instance_label_key,
    )


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

    ``result.conditions`` holds ``SyncError`` conditions (refused wipe-out, failed revision).
    ``context`` and the keywords after it work as for :func:`sync`.
    """
    ctx = _context(
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
    target = _resolve_cluster(app, cluster, ctx)
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
    wall = ctx.now
    rendered, live, comparison = _observe(app, cluster, git, ctx)
    rows = _resource_health(comparison, ctx.health)
    app_health = _app_health(comparison, rows)
    automated = _automated(app)
    prune = bool(getattr(automated, "prune", False)) if automated is not None else None
    started = wall()
    request = SyncRequest(prune=prune, project=project)
    plan = _plan(app, comparison, rendered, cluster, request, started, ctx)
    decision = auto_sync_decision(app, comparison, rendered, project=project, now=wall())
    result = ReconcileResult(
        render=rendered,
        live=live,
        comparison=comparison,
        health=app_health,
        resource_health=rows,
        plan=plan,
        auto_sync=decision,
    )
    if decision.condition:
        result.conditions.append({"type": "SyncError", "message": decision.condition})
    if not (decision.sync and auto_sync):
        return result
    run = plan
    if decision.self_heal:
        # self-heal is a selective sync of the drifted resources (§4.3): plan it again
        selection = [(g, k, ns, n) for g, k, ns, n in decision.resources] or None
        heal = SyncRequest(prune=prune, resources=selection, project=project)
        run = _plan(app, comparison, rendered, cluster, heal, started, ctx)
    op = _execute(run, cluster, app, ctx)
    if op.operation is not None and op.operation.initiated_by is not None:
        op.operation.initiated_by.username = None
        op.operation.initiated_by.automated = True
    result.operation = _record_source(op, app, rendered)
    return result
