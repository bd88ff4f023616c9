"""The Application status an operation leaves behind, as pure functions of data.

After a sync Argo CD's controller records ``status.operationState`` (the operation),
``status.sync`` (Synced/OutOfSync at a revision, compared to which source and destination),
``status.health``, ``status.resources`` (one row per managed resource) and, for a successful
sync that was neither a dry run nor selective, a new ``status.history`` entry: ``id`` one more
than the last (0 for the first), truncated to ``spec.revisionHistoryLimit`` (default 10, the
newest kept). These functions build those pieces; storing them is
:mod:`gitopslib.cluster.status`'s job.

>>> from gitopslib.models import RevisionHistory
>>> h = [RevisionHistory(id=i) for i in range(3)]
>>> [e.id for e in add_history(h, RevisionHistory(revision="abc"), limit=2)]
[2, 3]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gitopslib.diff import ComparisonResult
from gitopslib.health import HealthStatus
from gitopslib.manifest import ResourceKey
from gitopslib.models import (
    AppHealthStatus,
    ComparedTo,
    ResourceStatus,
    RevisionHistory,
    SyncStatus,
)

__all__ = [
    "add_history",
    "health_status",
    "resource_statuses",
    "sync_status",
]


def add_history(
    history: Sequence[RevisionHistory], entry: RevisionHistory, *, limit: int = 10
) -> list[RevisionHistory]:
    """``history`` plus ``entry`` (its ``id`` set to the last id + 1, or 0), keeping only the
    newest ``limit`` entries (Argo CD's ``revisionHistoryLimit``; 0 keeps none).

    >>> [e.id for e in add_history([], RevisionHistory(), limit=10)]
    [0]
    """
    next_id = (history[-1].id or 0) + 1 if history else 0
    new = entry.model_copy(deep=True)
    new.id = next_id
    out = [*history, new]
    if limit <= 0:
        return []
    return out[-limit:]


def health_status(health: HealthStatus | None) -> AppHealthStatus | None:
    """``status.health`` (or a resource's ``health``) from a :class:`HealthStatus`."""
    if health is None or health.status is None:
        return None
    out = AppHealthStatus(status=str(health.status))
    if health.message:
        out.message = health.message
    return out


def _version(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    api_version = str(obj.get("apiVersion") or "")
    return api_version.rsplit("/", 1)[-1] if api_version else None


def resource_statuses(
    comparison: ComparisonResult,
    health: Sequence[tuple[ResourceKey, HealthStatus | None]],
) -> list[ResourceStatus]:
    """``status.resources``: every managed resource (hooks and skipped ones left out), with
    its sync status and health, sorted by key as Argo CD sorts them."""
    by_key = dict(health)
    rows: list[ResourceStatus] = []
    for rd in comparison.resources:
        if rd.hook or getattr(rd, "skip", False) or (rd.status == "" and rd.desired is None):
            continue
        row = ResourceStatus(
            group=rd.group,
            version=_version(rd.desired) or _version(rd.live),
            kind=rd.kind,
            namespace=rd.namespace,
            name=rd.name,
            status=rd.status or "Synced",
        )
        hs = health_status(by_key.get(rd.key))
        if hs is not None:
            row.health = hs
        if rd.requires_pruning:
            row.requires_pruning = True
        rows.append(row)
    rows.sort(key=lambda r: (r.group or "", r.kind or "", r.namespace or "", r.name or ""))
    return rows


def sync_status(
    comparison: ComparisonResult,
    *,
    revision: str | None,
    revisions: Sequence[str] | None,
    source: dict[str, Any] | None,
    sources: list[dict[str, Any]] | None,
    destination: dict[str, Any] | None,
) -> SyncStatus:
    """``status.sync``: the comparison's status at the revision(s), and what it compared."""
    compared = ComparedTo()
    if sources is not None:
        compared.sources = sources
    elif source is not None:
        compared.source = source
    if destination:
        compared.destination = destination
    out = SyncStatus(status=comparison.sync_status, compared_to=compared)
    if sources is not None:
        out.revisions = [r or "" for r in revisions or []]
    elif revision:
        out.revision = revision
    return out
