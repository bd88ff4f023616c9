"""``sync``: ``argocd app sync`` as a function, recorded in the cluster as Argo CD records it.

:func:`sync` renders the Application, reads the live objects its tracking claims, compares,
plans in Argo CD's order and runs the plan. Around that it keeps the app's status
(:mod:`gitopslib.cluster.status`): before it starts it records the operation as ``Running``
(refused with :class:`~gitopslib.errors.OperationInProgressError` while another one runs);
while it runs, its progress (the executor's message, each task's result so far) is written
there too, throttled (:mod:`gitopslib.operations._progress`); a failed attempt is retried as
``syncPolicy.retry`` says (``retryCount`` recorded); when it ends it records
``operationState``, ``sync``, ``health``, ``resources`` and, for a successful sync that was
neither a dry run nor selective, a new ``history`` entry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gitopslib._timestamps import rfc3339
from gitopslib.cluster.status import StatusRecord, StatusStore
from gitopslib.diff import ComparisonResult, DiffSettings
from gitopslib.errors import GitOpsError
from gitopslib.health import HealthStatus
from gitopslib.manifest import ResourceKey, paused_gc
from gitopslib.models import (
    ApplicationStatus,
    Operation,
    OperationInitiator,
    OperationState,
    RetryStrategy,
    RevisionHistory,
    SyncOperation,
    SyncOperationResource,
    SyncStrategy,
    SyncStrategyApply,
)
from gitopslib.operations._loop import (
    GitSource,
    SyncRequest,
    app_health,
    compare_live,
    context_from,
    execute,
    observe,
    plan_operation,
    record_source,
    resolve_cluster,
    resource_health,
    source_dicts,
)
from gitopslib.operations._progress import OperationRecorder
from gitopslib.project.admission import sync_refusal
from gitopslib.sources import RenderResult
from gitopslib.sources.resolver import RepositoryLike
from gitopslib.sync.context import HealthFunction, OperationContext
from gitopslib.sync.protocol import Cluster
from gitopslib.sync.status import add_history, health_status, resource_statuses, sync_status

__all__ = ["notify", "run_sync", "set_comparison", "status_store", "sync"]

#: Extra time after an operation's own deadline before its Running record counts as stale.
STALE_GRACE = timedelta(seconds=60)


def status_store(cluster: Cluster, ctx: OperationContext) -> StatusStore:
    """The status store of ``cluster`` as ``ctx`` configures it."""
    return StatusStore(
        cluster, namespace=ctx.status_namespace, now=ctx.now, stale_after=ctx.stale_after
    )


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
    retry: RetryStrategy | None = None,
    metrics: Any = None,
    notifier: Any = None,
    clusters: Any = None,
) -> OperationState:
    """Sync ``app`` to ``cluster``: render -> live state -> compare -> plan -> execute, and
    record the operation in the app's status (:func:`gitopslib.app_status` reads it back).

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

    How it runs (clocks, timeout, health, diff settings, retry, observers, cluster registry)
    is the :class:`~gitopslib.sync.context.OperationContext` ``context``; the keywords
    ``settings`` ... ``clusters`` are a shortcut that override its fields. Without
    ``cluster``, the app's destination is resolved through ``clusters``.

    Raises :class:`~gitopslib.errors.OperationInProgressError` while another operation of
    the app runs. Returns the OperationState with the synced revision and source recorded.
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
        on_progress=on_progress,
        retry=retry,
        metrics=metrics,
        notifier=notifier,
        clusters=clusters,
    )
    target = resolve_cluster(app, cluster, ctx)
    request = SyncRequest(
        prune=prune,
        dry_run=dry_run,
        resources=resources,
        sync_options=sync_options,
        force=force,
        project=project,
    )
    return run_sync(app, target, GitSource(repository, repo_root, revision), request, ctx)


# --- the recorded operation -------------------------------------------------------------------


def _operation(app: Any, git: GitSource, request: SyncRequest, ctx: OperationContext) -> Operation:
    """``operation``: what was asked, as Argo CD writes it into ``operationState``."""
    sync_op = SyncOperation()
    if git.revision:
        sync_op.revision = git.revision
    if request.prune is not None:
        sync_op.prune = request.prune
    if request.dry_run:
        sync_op.dry_run = True
    if request.sync_options is not None:
        sync_op.sync_options = list(request.sync_options)
    if request.resources:
        rows = []
        for item in request.resources:
            parts = list(item)
            group, kind, name = parts[0], parts[1], parts[-1]
            row = SyncOperationResource(group=group, kind=kind, name=name)
            if len(parts) == 4 and parts[2]:
                row.namespace = parts[2]
            rows.append(row)
        sync_op.resources = rows
    if request.skip_hooks:
        sync_op.sync_strategy = SyncStrategy(apply=SyncStrategyApply())
    elif request.force:
        sync_op.sync_strategy = SyncStrategy(hook=SyncStrategyApply(force=True))
    if request.source is not None:
        sync_op.source = request.source
    if request.sources is not None:
        sync_op.sources = request.sources
    operation = Operation(sync=sync_op)
    if request.automated:
        operation.initiated_by = OperationInitiator(automated=True)
    else:
        operation.initiated_by = OperationInitiator(username=ctx.initiated_by)
    retry = _retry_strategy(app, ctx)
    if retry is not None:
        operation.retry = retry
    return operation


def _retry_strategy(app: Any, ctx: OperationContext) -> RetryStrategy | None:
    if ctx.retry is not None:
        return ctx.retry
    policy = getattr(getattr(app, "spec", None), "sync_policy", None)
    retry = getattr(policy, "retry", None) if policy is not None else None
    return retry if isinstance(retry, RetryStrategy) else None


def _deadline(start: datetime, ctx: OperationContext, retry: RetryStrategy | None) -> datetime:
    """When this operation is over even if its process died: every attempt's timeout plus
    the backoff between them, plus a grace period."""
    limit = (retry.limit or 0) if retry is not None else 0
    attempts = 1 + (limit if limit >= 0 else 100)  # a negative limit: unbounded retries
    total = ctx.timeout * attempts
    if retry is not None:
        total += sum(retry.retry_delay(n).total_seconds() for n in range(attempts - 1))
    return start + timedelta(seconds=total) + STALE_GRACE


def notify(app: Any, status: ApplicationStatus, ctx: OperationContext) -> None:
    """Hand the app, with ``status`` as just recorded, to the notifier."""
    if ctx.notifier is None:
        return
    if hasattr(app, "model_copy"):
        view = app.model_copy(update={"status": status.model_copy(deep=True)})
    else:
        view = app
    ctx.observe("notifier.process", getattr(ctx.notifier, "process", None), view)


def _record(
    store: StatusStore,
    app: Any,
    record: StatusRecord | None,
    status: ApplicationStatus,
    ctx: OperationContext,
    deadline: datetime | None = None,
) -> StatusRecord | None:
    if record is None:  # OperationContext(record_status=False)
        return None
    with paused_gc():  # the status of every resource, serialised: bulk work on trees
        new = store.save(app, record, status, deadline=deadline)
    notify(app, new.status, ctx)
    return new


def run_sync(
    app: Any, cluster: Cluster, git: GitSource, request: SyncRequest, ctx: OperationContext
) -> OperationState:
    """One recorded sync operation with everything resolved (the body of :func:`sync`)."""
    store = status_store(cluster, ctx)
    started = ctx.now()
    retry = _retry_strategy(app, ctx)
    deadline = _deadline(started, ctx, retry)
    running = OperationState(
        operation=_operation(app, git, request, ctx),
        phase="Running",
        message="",
        started_at=rfc3339(started),
    )
    if request.dry_run:
        # a dry run changes nothing in the cluster, its status record included
        if ctx.record_status:
            store.check_idle(app)
        op, _rendered = _attempt(app, cluster, git, request, ctx)
        op.operation, op.started_at = running.operation, running.started_at
        _observe_sync(app, op, request, ctx)
        return op
    recorder = OperationRecorder(store, app, running, deadline, ctx)
    attempt_ctx = ctx
    if ctx.record_status:
        notify(app, recorder.begin().status, ctx)
        attempt_ctx = ctx.replace(on_progress=recorder)  # the progress goes into the record
    rendered: RenderResult | None = None
    count = 0
    limit = (retry.limit or 0) if retry is not None else 0
    while True:
        try:
            op, rendered = _attempt(app, cluster, git, request, attempt_ctx)
        except GitOpsError as exc:
            failed = running.model_copy(deep=True)
            failed.phase, failed.message = "Error", str(exc)
            failed.finished_at = rfc3339(ctx.now())
            if count:
                failed.retry_count = count
            record = recorder.current()
            status = _previous(record)
            status.operation_state = failed
            _record(store, app, record, status, ctx)
            _observe_sync(app, failed, request, ctx)
            raise
        terminated = (op.message or "").startswith("Operation terminated")
        retryable = op.phase in ("Failed", "Error") and not terminated
        if retry is None or not retryable or not (limit < 0 or count < limit):
            break
        delay = retry.retry_delay(count).total_seconds()
        count += 1
        at = ctx.now() + timedelta(seconds=delay)
        waiting = op.model_copy(deep=True)
        waiting.operation = running.operation
        waiting.phase = "Running"
        waiting.message = f"{op.message}. Retrying attempt #{count} at {at.strftime('%H:%M:%S')}."
        waiting.retry_count = count
        waiting.started_at = running.started_at
        record = recorder.current()
        status = _previous(record)
        status.operation_state = waiting
        recorder.recorded(_record(store, app, record, status, ctx, deadline))
        recorder.retry_count = count
        ctx.sleep(delay)
    op.operation = running.operation
    op.started_at = running.started_at
    if count:
        op.retry_count = count
        if op.phase != "Succeeded":
            op.message = f"{op.message} (retried {count} times)."
    record = recorder.current()
    if record is not None:
        with paused_gc():  # a fresh comparison: bulk work on acyclic trees
            status = _status_after(app, cluster, record.status, op, rendered, request, ctx)
        _record(store, app, record, status, ctx)
    _observe_sync(app, op, request, ctx)
    return op


def _previous(record: StatusRecord | None) -> ApplicationStatus:
    return record.status.model_copy(deep=True) if record is not None else ApplicationStatus()


def _observe_sync(
    app: Any, op: OperationState, request: SyncRequest, ctx: OperationContext
) -> None:
    ctx.observe(
        "metrics.record_sync",
        getattr(ctx.metrics, "record_sync", None),
        app,
        op.phase or "",
        dry_run=request.dry_run,
    )


def _attempt(
    app: Any, cluster: Cluster, git: GitSource, request: SyncRequest, ctx: OperationContext
) -> tuple[OperationState, RenderResult | None]:
    """One sync attempt: the project's check, render, compare, plan, execute."""
    project = request.project
    if project is not None:
        refusal = sync_refusal(
            project,
            app,
            ctx.now(),
            manual=not request.automated,
            control_plane=ctx.settings.controller_namespace,
        )
        if refusal:
            moment = rfc3339(ctx.now())
            return OperationState(
                phase="Failed", message=refusal, started_at=moment, finished_at=moment
            ), None
    # bulk work on acyclic trees: the cyclic collector's full passes are pure overhead here
    with paused_gc():
        rendered, _live, comparison = observe(app, cluster, git, ctx)
        plan = plan_operation(app, comparison, rendered, cluster, request, ctx.now(), ctx)
    op = execute(plan, cluster, app, ctx)
    return record_source(op, app, rendered), rendered


def _status_after(
    app: Any,
    cluster: Cluster,
    previous: ApplicationStatus,
    op: OperationState,
    rendered: RenderResult | None,
    request: SyncRequest,
    ctx: OperationContext,
) -> ApplicationStatus:
    """The status an operation leaves: the operation state always; after a real sync the
    fresh comparison (sync, health, resources) and, when it succeeded and was not selective,
    a history entry."""
    status = previous.model_copy(deep=True)
    status.operation_state = op
    if rendered is None or request.dry_run:
        return status
    _live, comparison = compare_live(app, cluster, rendered.manifests, ctx)
    rows = resource_health(comparison, ctx.health)
    source, sources = source_dicts(app)
    if request.source is not None:
        source = request.source
    if request.sources is not None:
        sources = request.sources
    revisions = [r or "" for r in rendered.revisions]
    set_comparison(
        status,
        app,
        comparison,
        rows,
        app_health(comparison, rows),
        rendered,
        source=source,
        sources=sources,
        reconciled_at=op.finished_at,
    )
    if op.phase == "Succeeded" and not request.resources:
        entry = RevisionHistory(
            deployed_at=op.finished_at,
            deploy_started_at=op.started_at,
        )
        if sources is not None:
            entry.revisions = revisions
            entry.sources = sources
        else:
            if rendered.revision:
                entry.revision = rendered.revision
            if source is not None:
                entry.source = source
        if op.operation is not None and op.operation.initiated_by is not None:
            entry.initiated_by = op.operation.initiated_by
        limit = getattr(getattr(app, "spec", None), "effective_revision_history_limit", 10)
        status.history = add_history(list(status.history or []), entry, limit=limit)
    return status


def set_comparison(
    status: ApplicationStatus,
    app: Any,
    comparison: ComparisonResult,
    rows: list[tuple[ResourceKey, HealthStatus | None]],
    health: HealthStatus,
    rendered: RenderResult,
    *,
    source: dict[str, Any] | None,
    sources: list[dict[str, Any]] | None,
    reconciled_at: str | None,
) -> None:
    """Write a comparison into ``status`` as the controller does after comparing:
    ``sync`` (what was compared, at which revisions, to which destination), ``health``
    (kept as it was when unknown), ``resources``, ``reconciledAt`` and the source type(s)
    the render detected (``sourceType``, or ``sourceTypes`` for a multi-source app)."""
    destination = getattr(getattr(app, "spec", None), "destination", None)
    status.sync = sync_status(
        comparison,
        revision=rendered.revision,
        revisions=[r or "" for r in rendered.revisions],
        source=source,
        sources=sources,
        destination=destination.to_dict() if destination is not None else None,
    )
    app_health_status = health_status(health)
    if app_health_status is not None:
        status.health = app_health_status
    status.resources = resource_statuses(comparison, rows)
    status.reconciled_at = reconciled_at
    types = [t for t in rendered.source_types if t]
    if sources is not None:
        status.source_types = types
    elif types:
        status.source_type = types[0]
