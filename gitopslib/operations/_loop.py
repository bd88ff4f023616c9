"""One sync attempt, piece by piece: render, live state, compare, plan, execute.

These are the steps :func:`gitopslib.sync` and :func:`gitopslib.reconcile.reconcile` share;
each takes the :class:`~gitopslib.sync.context.OperationContext` it runs with.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gitopslib.cluster.live import live_state
from gitopslib.diff import ComparisonResult, compare
from gitopslib.errors import OperationError
from gitopslib.health import HealthStatus, HealthStatusCode, aggregate_health
from gitopslib.manifest import ResourceKey, crd_cluster_scoped
from gitopslib.models import OperationState
from gitopslib.project.admission import namespace_permits
from gitopslib.sources import RenderResult, render
from gitopslib.sources.resolver import RepositoryLike
from gitopslib.sync import SyncPlan, SyncPlanOptions, plan_sync
from gitopslib.sync.context import HealthFunction, OperationContext, context_from
from gitopslib.sync.execute import run_plan
from gitopslib.sync.protocol import Cluster
from gitopslib.tracking import app_instance_name

__all__ = [
    "GitSource",
    "SyncRequest",
    "app_health",
    "compare_live",
    "context_from",
    "dest_namespace",
    "execute",
    "known_cluster_scoped",
    "observe",
    "plan_operation",
    "record_source",
    "render_app",
    "resolve_cluster",
    "resource_health",
    "source_dicts",
]


def dest_namespace(app: Any) -> str:
    dest = getattr(app.spec, "destination", None)
    return str(getattr(dest, "namespace", None) or "")


@dataclass(frozen=True)
class GitSource:
    """Where an operation reads Git: a ``GitRepository`` (``revision`` overriding the app's
    ``targetRevision``) or a local checkout ``repo_root``."""

    repository: RepositoryLike | None = None
    repo_root: str | os.PathLike[str] | None = None
    revision: str | None = None


def render_app(app: Any, cluster: Cluster, git: GitSource, ctx: OperationContext) -> RenderResult:
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


def observe(
    app: Any, cluster: Cluster, git: GitSource, ctx: OperationContext
) -> tuple[RenderResult, list[dict[str, Any]], ComparisonResult]:
    """Render the app, read its live state and compare the two."""
    rendered = render_app(app, cluster, git, ctx)
    live, comparison = compare_live(app, cluster, rendered.manifests, ctx)
    return rendered, live, comparison


def compare_live(
    app: Any, cluster: Cluster, manifests: list[dict[str, Any]], ctx: OperationContext
) -> tuple[list[dict[str, Any]], ComparisonResult]:
    """Read the live objects the app's tracking claims (plus those ``manifests`` would
    adopt) and compare ``manifests`` with them, with the context's settings."""
    settings = ctx.settings
    live = live_state(
        app,
        cluster,
        manifests,
        label_key=settings.instance_label_key,
        controller_namespace=settings.controller_namespace,
    )
    return live, compare(manifests, live, app=app, settings=settings)


def resource_health(
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


def app_health(
    comparison: ComparisonResult, rows: list[tuple[ResourceKey, HealthStatus | None]]
) -> HealthStatus:
    by_key = {rd.key: rd for rd in comparison.resources}
    items: list[Any] = []
    for key, status in rows:
        rd = by_key.get(key)
        target = rd.live if rd is not None and rd.live is not None else key
        items.append((target, status))
    return aggregate_health(items)


def source_dicts(app: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]] | None]:
    spec = app.spec
    sources = getattr(spec, "sources", None)
    if sources:
        return None, [s.to_dict() if hasattr(s, "to_dict") else dict(s) for s in sources]
    source = getattr(spec, "source", None)
    if source is None:
        return None, None
    return (source.to_dict() if hasattr(source, "to_dict") else dict(source)), None


def record_source(op: OperationState, app: Any, rendered: RenderResult) -> OperationState:
    if op.sync_result is None:
        return op
    source, sources = source_dicts(app)
    op.sync_result.source = source
    op.sync_result.sources = sources
    if sources is not None:
        op.sync_result.revisions = [r or "" for r in rendered.revisions]
    op.sync_result.revision = rendered.revision or op.sync_result.revision
    return op


@dataclass(frozen=True)
class SyncRequest:
    """What one sync operation asks for (``argocd app sync`` flags): ``prune`` (None: the
    automated policy's), ``dry_run``, selective ``resources``, ``sync_options`` (None: the
    app's), ``force``, ``skip_hooks`` (``syncStrategy.apply``, as a rollback), the
    ``project`` whose rules apply, the ``source``/``sources`` it deploys when they are not
    the app's (a rollback) and whether auto-sync started it (``automated``)."""

    prune: bool | None = None
    dry_run: bool = False
    resources: Collection[Sequence[str]] | None = None
    sync_options: Sequence[str] | None = None
    force: bool = False
    skip_hooks: bool = False
    project: Any = None
    source: dict[str, Any] | None = None
    sources: list[dict[str, Any]] | None = None
    automated: bool = False


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


def plan_operation(
    app: Any,
    comparison: ComparisonResult,
    rendered: RenderResult,
    cluster: Cluster,
    request: SyncRequest,
    started_at: datetime,
    ctx: OperationContext,
) -> SyncPlan:
    dest_ns = dest_namespace(app)
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


def execute(plan: Any, cluster: Cluster, app: Any, ctx: OperationContext) -> OperationState:
    """``run_plan`` with the tracking settings of the context (shared by sync and
    reconcile)."""
    settings = ctx.settings
    return run_plan(
        plan,
        cluster,
        ctx,
        app=app,
        app_instance=app_instance_name(app, settings.controller_namespace),
        destination_namespace=dest_namespace(app),
        tracking_method=settings.tracking_method,
        label_key=settings.instance_label_key,
    )


def resolve_cluster(app: Any, cluster: Cluster | None, ctx: OperationContext) -> Cluster:
    """``cluster`` when given, else the app's destination through ``ctx.clusters``."""
    if cluster is not None:
        return cluster
    if ctx.clusters is None:
        name = getattr(getattr(app, "metadata", None), "name", None) or "?"
        raise OperationError(f"application {name}: no cluster given (pass cluster= or clusters=)")
    resolved: Cluster = ctx.clusters.for_app(app)
    return resolved
