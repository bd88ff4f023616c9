"""``rollback``: ``argocd app rollback APP ID`` as a function.

Argo CD's rules (``server/application.go`` ``Rollback`` and the CLI's ``findRevisionHistory``):
refused while automated sync is enabled ("rollback cannot be initiated when auto-sync is
enabled"); the id must be in ``status.history`` (no id: the entry before the last, which needs
at least two deployments); the entry must record its source. The rollback is a sync of exactly
that entry's revision(s) and source(s) with ``syncStrategy.apply`` (hooks are not run), the
app's sync options and ``prune`` as asked, recorded as a new history entry.
"""

from __future__ import annotations

import os
from typing import Any

from gitopslib.errors import OperationError
from gitopslib.models import ApplicationSource, OperationState, RevisionHistory
from gitopslib.operations._loop import GitSource, SyncRequest, context_from, resolve_cluster
from gitopslib.operations._sync import run_sync, status_store
from gitopslib.sources.resolver import RepositoryLike
from gitopslib.sync.context import OperationContext
from gitopslib.sync.protocol import Cluster

__all__ = ["find_history", "rollback"]


def _name(app: Any) -> str:
    return str(getattr(getattr(app, "metadata", None), "name", None) or "?")


def find_history(
    app: Any, history: list[RevisionHistory], history_id: int | None
) -> RevisionHistory:
    """The entry ``history_id`` of ``history`` (None: the one before the last), or a
    one-line :class:`~gitopslib.errors.OperationError` naming the app and the known ids."""
    name = _name(app)
    if not history:
        raise OperationError(
            f"application {name} has no deployment history (it was never synced)", app=name
        )
    if history_id is None:
        if len(history) < 2:
            raise OperationError(
                f"application '{name}' should have at least two successful deployments",
                app=name,
            )
        return history[-2]
    for entry in history:
        if entry.id == history_id:
            return entry
    known = ", ".join(str(e.id) for e in history)
    raise OperationError(
        f"application {name} does not have deployment with id {history_id} (history ids: {known})",
        app=name,
    )


def rollback(
    app: Any,
    history_id: int | None = None,
    cluster: Cluster | None = None,
    repository: RepositoryLike | None = None,
    repo_root: str | os.PathLike[str] | None = None,
    *,
    prune: bool = False,
    dry_run: bool = False,
    project: Any = None,
    context: OperationContext | None = None,
    clusters: Any = None,
    timeout: float | None = None,
) -> OperationState:
    """Redeploy the revision(s) and source(s) of history entry ``history_id`` (None: the
    previous deployment) and record it as a new history entry; see the module docs.

    Raises :class:`~gitopslib.errors.OperationError` while automated sync is enabled, for an
    unknown id or an app never synced, and
    :class:`~gitopslib.errors.OperationInProgressError` while another operation runs.
    """
    name = _name(app)
    policy = getattr(getattr(app, "spec", None), "sync_policy", None)
    automated = getattr(policy, "automated", None) if policy is not None else None
    if automated is not None and getattr(automated, "enabled", None) is not False:
        raise OperationError(
            f"application {name}: rollback cannot be initiated when auto-sync is enabled",
            app=name,
        )
    if getattr(getattr(app, "metadata", None), "deletion_timestamp", None):
        raise OperationError(f"application {name}: application is deleting", app=name)
    ctx = context_from(context, clusters=clusters, timeout=timeout)
    target = resolve_cluster(app, cluster, ctx)
    history = list(status_store(target, ctx).load(app).status.history or [])
    entry = find_history(app, history, history_id)
    if not entry.source and not entry.sources:
        raise OperationError(
            f"application {name}: cannot rollback to revision deployed with Argo CD v0.11 or "
            "lower. sync to revision instead.",
            app=name,
        )
    spec = app.spec.model_copy(deep=True)
    revision = entry.revision
    if entry.sources:
        sources = [ApplicationSource.model_validate(s) for s in entry.sources]
        for source, rev in zip(sources, entry.revisions or [], strict=False):
            if rev:
                source.target_revision = rev
        spec.source = None
        spec.sources = sources
        revision = None
    else:
        spec.source = ApplicationSource.model_validate(entry.source)
    rolled = app.model_copy(update={"spec": spec})
    options = getattr(policy, "sync_options", None) if policy is not None else None
    request = SyncRequest(
        prune=prune,
        dry_run=dry_run,
        sync_options=list(options) if options else None,
        skip_hooks=True,
        project=project,
        source=entry.source,
        sources=entry.sources,
    )
    return run_sync(rolled, target, GitSource(repository, repo_root, revision), request, ctx)
