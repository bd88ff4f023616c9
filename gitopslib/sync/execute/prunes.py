"""Pruning (:class:`_PruneSteps`): the ``Prune=confirm`` approval and one prune or deletion,
or the reason it is skipped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitopslib._timestamps import parse_rfc3339
from gitopslib.errors import ClusterError, ClusterTimeoutError
from gitopslib.sync.execute.runs import _Run
from gitopslib.sync.execute.state import _ExecutorState

ANNOTATION_DELETION_APPROVED = "argocd.argoproj.io/deletion-approved"


def _app_annotations(app: Any) -> Mapping[str, Any]:
    if app is None:
        return {}
    if isinstance(app, Mapping):
        return (app.get("metadata") or {}).get("annotations") or {}
    meta = getattr(app, "metadata", None)
    return getattr(meta, "annotations", None) or {}


class _PruneSteps(_ExecutorState):
    """The executor's prune steps."""

    # -- confirmation ----------------------------------------------------------------------

    def _confirmed(self) -> bool:
        if self.plan.dry_run:
            return True
        check = self.prune_confirmed
        if callable(check):
            return bool(check())
        if check is not None:
            return check
        raw = _app_annotations(self.app).get(ANNOTATION_DELETION_APPROVED)
        if not raw:
            return False
        approved = parse_rfc3339(str(raw))
        return approved is not None and approved >= self.started_at.replace(microsecond=0)

    def _prune(self, run: _Run, dry_run: bool) -> tuple[str, str]:
        task = run.task
        if task.skipped:
            if task.action == "delete":
                return "PruneSkipped", task.notes[0] if task.notes else "kept"
            if "ignored (no prune)" in task.reason:
                return "PruneSkipped", "ignored (no prune)"
            return "PruneSkipped", "ignored (requires pruning)"
        if dry_run:
            return "Pruned", "pruned (dry run)"
        live_meta = (run.live or {}).get("metadata") or {}
        if not live_meta.get("deletionTimestamp"):
            try:
                self._delete(run)
            except ClusterTimeoutError:
                raise
            except ClusterError as exc:
                return "SyncFailed", str(exc)
        return "Pruned", "pruned"
