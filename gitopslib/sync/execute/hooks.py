"""Hook clean-up (:class:`_HookSteps`): the hook finalizer removed, hooks deleted."""

from __future__ import annotations

from collections.abc import Sequence

from gitopslib.errors import ClusterError
from gitopslib.sync.execute.runs import _Run
from gitopslib.sync.execute.state import HOOK_FINALIZER, _ExecutorState


class _HookSteps(_ExecutorState):
    """The executor's hook steps."""

    def _remove_hook_finalizer(self, run: _Run) -> str | None:
        live = run.live
        if live is None:
            return None
        finalizers = list((live.get("metadata") or {}).get("finalizers") or [])
        if HOOK_FINALIZER not in finalizers:
            return None
        finalizers.remove(HOOK_FINALIZER)
        try:
            run.live = self.cluster.patch(
                self._live_key(run), {"metadata": {"finalizers": finalizers or None}}
            )
        except ClusterError as exc:
            return str(exc)
        return None

    def _delete_hooks(self, runs: Sequence[_Run]) -> None:
        if self.dry_run:
            return
        for run in runs:
            try:
                self._delete(run)
            except ClusterError as exc:
                self._set(run, run.sync_status, "Error", f"failed to delete resource: {exc}")
