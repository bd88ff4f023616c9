"""``status`` and ``operation`` of an Application, as typed but tolerant models.

Argo CD adds status and operation fields over time, so these models keep keys they do not
know (read, kept and written back); the types of the keys they do know are still checked.
Timestamps stay RFC 3339 strings, exactly as written.

>>> state = OperationState(phase="Succeeded", message="successfully synced")
>>> state.is_completed, state.to_dict()
(True, {'phase': 'Succeeded', 'message': 'successfully synced'})
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gitopslib.models._base import OpenModel
from gitopslib.models._common import Info, RetryStrategy

__all__ = [
    "AppHealthStatus",
    "ApplicationCondition",
    "ApplicationStatus",
    "ApplicationSummary",
    "ComparedTo",
    "Operation",
    "OperationInitiator",
    "OperationState",
    "ResourceResult",
    "ResourceStatus",
    "RevisionHistory",
    "SyncOperation",
    "SyncOperationResource",
    "SyncResult",
    "SyncStatus",
    "SyncStrategy",
    "SyncStrategyApply",
]

#: Operation phases that are final.
COMPLETED_PHASES = frozenset({"Failed", "Error", "Succeeded"})


class OperationInitiator(OpenModel):
    """Who started an operation: a user name, or ``automated: true`` for auto-sync."""

    username: str | None = None
    automated: bool | None = None


class SyncStrategyApply(OpenModel):
    """``syncStrategy.apply`` / ``syncStrategy.hook``: ``force`` passes ``--force``."""

    force: bool | None = None


class SyncStrategy(OpenModel):
    """``apply`` (kubectl apply only, hooks skipped) or ``hook`` (the default)."""

    apply: SyncStrategyApply | None = None
    hook: SyncStrategyApply | None = None


class SyncOperationResource(OpenModel):
    """A resource picked for a selective sync (namespace optional)."""

    group: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None


class SyncOperation(OpenModel):
    """``operation.sync``: what a sync should do."""

    revision: str | None = None
    revisions: list[str] | None = None
    prune: bool | None = None
    dry_run: bool | None = None
    sync_strategy: SyncStrategy | None = None
    resources: list[SyncOperationResource] | None = None
    source: dict[str, Any] | None = None
    sources: list[dict[str, Any]] | None = None
    manifests: list[str] | None = None
    sync_options: list[str] | None = None
    auto_heal_attempts_count: int | None = None


class Operation(OpenModel):
    """``operation``: a requested sync (the controller starts it and clears it)."""

    sync: SyncOperation | None = None
    initiated_by: OperationInitiator | None = None
    info: list[Info] | None = None
    retry: RetryStrategy | None = None


# --- status ----------------------------------------------------------------------------------


class ResourceResult(OpenModel):
    """The outcome of one resource (or hook) in a sync: ``status`` is ``Synced``,
    ``SyncFailed``, ``Pruned``, ``PruneSkipped``; hooks also carry ``hookPhase``."""

    group: str | None = None
    version: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    status: str | None = None
    message: str | None = None
    hook_type: str | None = None
    hook_phase: str | None = None
    sync_phase: str | None = None
    images: list[str] | None = None


class SyncResult(OpenModel):
    """``operationState.syncResult``: per-resource results and the revision(s) synced."""

    resources: list[ResourceResult] | None = None
    revision: str | None = None
    revisions: list[str] | None = None
    source: dict[str, Any] | None = None
    sources: list[dict[str, Any]] | None = None
    managed_namespace_metadata: dict[str, Any] | None = None


class OperationState(OpenModel):
    """``status.operationState``: the running or last operation.

    ``phase`` is ``Running``, ``Terminating``, ``Failed``, ``Error`` or ``Succeeded``.
    """

    operation: Operation | None = None
    phase: str | None = None
    message: str | None = None
    sync_result: SyncResult | None = None
    started_at: str | None = None
    finished_at: str | None = None
    retry_count: int | None = None

    @property
    def is_completed(self) -> bool:
        """Whether ``phase`` is final (Failed, Error or Succeeded)."""
        return self.phase in COMPLETED_PHASES


class ComparedTo(OpenModel):
    """``status.sync.comparedTo``: what the last comparison was made against."""

    source: dict[str, Any] | None = None
    sources: list[dict[str, Any]] | None = None
    destination: dict[str, Any] | None = None
    ignore_differences: list[dict[str, Any]] | None = None


class SyncStatus(OpenModel):
    """``status.sync``: ``Synced``, ``OutOfSync`` or ``Unknown`` at a revision."""

    status: str | None = None
    compared_to: ComparedTo | None = None
    revision: str | None = None
    revisions: list[str] | None = None


class AppHealthStatus(OpenModel):
    """``status.health`` (and a resource's ``health``): status code and message."""

    status: str | None = None
    message: str | None = None
    last_transition_time: str | None = None


class ResourceStatus(OpenModel):
    """``status.resources[]``: one managed resource as the app last saw it."""

    group: str | None = None
    version: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    status: str | None = None
    health: AppHealthStatus | None = None
    hook: bool | None = None
    requires_pruning: bool | None = None
    sync_wave: int | None = None
    requires_deletion_confirmation: bool | None = None


class RevisionHistory(OpenModel):
    """``status.history[]``: one successful sync."""

    id: int | None = None
    revision: str | None = None
    revisions: list[str] | None = None
    source: dict[str, Any] | None = None
    sources: list[dict[str, Any]] | None = None
    deployed_at: str | None = None
    deploy_started_at: str | None = None
    initiated_by: OperationInitiator | None = None


class ApplicationCondition(OpenModel):
    """``status.conditions[]`` (``SyncError``, ``ComparisonError``, ``...Warning``)."""

    type: str | None = None
    message: str | None = None
    last_transition_time: str | None = None


class ApplicationSummary(OpenModel):
    """``status.summary``: external URLs and images of the app."""

    external_urls: list[str] | None = Field(default=None, alias="externalURLs")
    images: list[str] | None = None


class ApplicationStatus(OpenModel):
    """``status`` of an Application (tolerant: unknown keys are kept)."""

    resources: list[ResourceStatus] | None = None
    sync: SyncStatus | None = None
    health: AppHealthStatus | None = None
    history: list[RevisionHistory] | None = None
    conditions: list[ApplicationCondition] | None = None
    reconciled_at: str | None = None
    observed_at: str | None = None
    operation_state: OperationState | None = None
    source_type: str | None = None
    source_types: list[str] | None = None
    summary: ApplicationSummary | None = None
    resource_health_source: str | None = None
    controller_namespace: str | None = None
    source_hydrator: dict[str, Any] | None = None
