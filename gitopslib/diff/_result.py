"""Result types of a comparison, shared by the diff engine (which fills them) and the sync
planner (which reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gitopslib.manifest import ResourceKey

__all__ = ["ComparisonResult", "ResourceDiff", "SyncStatus"]

SyncStatus = Literal["Synced", "OutOfSync", "Unknown"]


@dataclass
class ResourceDiff:
    """The comparison of one resource: desired (from Git) against live (from the cluster).

    ``status`` is ``""`` for hooks and objects Argo CD gives no sync status (Skip hooks,
    objects tracked by someone else). ``desired``/``live`` are the objects as given (live may
    carry status and server fields); ``normalized_desired``/``normalized_live`` are what was
    compared. ``diff`` and ``patch`` are only computed for resources that differ, with Secret
    values masked.
    """

    group: str
    kind: str
    namespace: str
    name: str
    status: SyncStatus | Literal[""]
    desired: dict[str, Any] | None = None
    live: dict[str, Any] | None = None
    requires_pruning: bool = False
    hook: bool = False
    wave: int = 0
    modified: bool = False
    diff: str = ""
    patch: list[dict[str, Any]] = field(default_factory=list)
    normalized_desired: dict[str, Any] | None = None
    normalized_live: dict[str, Any] | None = None
    ignore_extraneous: bool = False
    #: Paths (JSON pointers) that ignoreDifferences rules removed; for RespectIgnoreDifferences.
    ignored_paths: list[str] = field(default_factory=list)
    #: ``argocd.argoproj.io/hook: Skip``: occupies its key (never applied, never pruned).
    skip: bool = False
    #: Rules that could not be applied (a jq timeout, a bad pointer) and similar notes.
    warnings: list[str] = field(default_factory=list)

    @property
    def key(self) -> ResourceKey:
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    def explain(self) -> list[Any]:
        """Each differing path with its likely cause and a minimal ignoreDifferences rule
        that would silence it (a list of :class:`gitopslib.diff.DriftReason`); [] when the
        resource does not differ."""
        from gitopslib.diff.explain import explain

        return explain(self)

    def __repr__(self) -> str:
        # Objects are left out on purpose: they may hold Secret values.
        return (
            f"ResourceDiff({self.key!s}, status={self.status!r}, modified={self.modified}, "
            f"requires_pruning={self.requires_pruning}, hook={self.hook}, wave={self.wave})"
        )


@dataclass
class ComparisonResult:
    """Desired state against live state for one Application."""

    sync_status: SyncStatus
    resources: list[ResourceDiff]
    app: Any = None
    #: Conditions found while comparing (e.g. the same resource twice in Git: last one wins).
    warnings: list[str] = field(default_factory=list)

    def by_key(self) -> dict[ResourceKey, ResourceDiff]:
        return {r.key: r for r in self.resources}

    @property
    def out_of_sync(self) -> list[ResourceDiff]:
        return [r for r in self.resources if r.status == "OutOfSync"]
