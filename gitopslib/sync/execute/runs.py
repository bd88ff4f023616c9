"""The record of one task during the operation (:class:`_Run`, Argo CD's syncTask) and the
states it goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gitopslib.manifest import ResourceKey
from gitopslib.sync.plan import SyncTask

_COMPLETED = frozenset({"Succeeded", "Failed", "Error"})
_PHASE_OF_RESULT = {
    "Synced": "Running",
    "SyncFailed": "Failed",
    "Pruned": "Succeeded",
    "PruneSkipped": "Succeeded",
}


@dataclass(eq=False)
class _Run:
    """The mutable state of one task during the operation (Argo CD's syncTask)."""

    task: SyncTask
    target: dict[str, Any] | None
    live: dict[str, Any] | None
    sync_status: str = ""
    op_state: str = ""
    message: str = ""
    skip_dry_run: bool = False

    @property
    def is_hook(self) -> bool:
        return self.task.is_hook

    @property
    def is_prune(self) -> bool:
        return self.task.is_prune

    @property
    def pending(self) -> bool:
        return self.op_state == ""

    @property
    def running(self) -> bool:
        return self.op_state == "Running"

    @property
    def completed(self) -> bool:
        return self.op_state in _COMPLETED

    @property
    def successful(self) -> bool:
        return self.op_state == "Succeeded"

    @property
    def key(self) -> ResourceKey:
        return self.task.key

    @property
    def delete_before_creation(self) -> bool:
        return (
            self.is_hook
            and self.pending
            and self.live is not None
            and "BeforeHookCreation" in self.task.hook_delete_policies
        )

    def describe(self) -> str:
        return f"{self.task.group}/{self.task.kind}/{self.task.name}"
