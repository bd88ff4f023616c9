"""Running the tasks of one step (:class:`_TaskRunner`, Argo CD's runTasks): hook finalizers,
prunes, ``BeforeHookCreation`` deletions, then applies grouped by kind."""

from __future__ import annotations

from collections.abc import Sequence

from gitopslib._jsondata import copy_json
from gitopslib.errors import ClusterError, ClusterTimeoutError
from gitopslib.sync.execute.hooks import _HookSteps
from gitopslib.sync.execute.prunes import _PruneSteps
from gitopslib.sync.execute.runs import _PHASE_OF_RESULT, _Run
from gitopslib.sync.protocol import ApplyRequest, ApplyResult, apply_many


class _TaskRunner(_HookSteps, _PruneSteps):
    """The executor's runTasks."""

    # -- running tasks (Argo CD's runTasks) ------------------------------------------------

    def _run_tasks(self, runs: Sequence[_Run], dry_run: bool) -> str:
        dry_run = dry_run or self.dry_run
        state = "successful"
        prunes = [r for r in runs if r.is_prune]
        creates = [r for r in runs if not r.is_prune]
        if not dry_run:
            for run in creates:
                if run.is_hook and run.pending and run.live is not None:
                    error = self._remove_hook_finalizer(run)
                    if error is not None:
                        state = "failed"
                        self._set(
                            run,
                            run.sync_status,
                            "Error",
                            f"failed to remove hook finalizer: {error}",
                        )
        if state != "successful":
            return state
        if not dry_run:
            waiting = [r for r in prunes if r.task.requires_confirmation and not r.task.skipped]
            if waiting and not self._confirmed():
                first = waiting[0]
                api_version = str((first.live or first.task.obj or {}).get("apiVersion") or "")
                message = (
                    f"Waiting for pruning confirmation of {api_version}/{first.task.kind}/"
                    f"{first.task.name}"
                )
                if len(waiting) > 1:
                    message += f" and {len(waiting) - 1} more resources"
                self.message = message
                self.waiting_confirmation = True
                return "pending"
        self.waiting_confirmation = False
        for run in prunes:
            result, message = self._prune(run, dry_run)
            if result == "SyncFailed":
                state = "failed"
            if not dry_run or self.dry_run or result == "SyncFailed":
                self._set(run, result, _PHASE_OF_RESULT[result], message)
        if state != "successful":
            return state
        for run in [r for r in creates if r.delete_before_creation]:
            if dry_run:
                continue
            live_meta = (run.live or {}).get("metadata") or {}
            if live_meta.get("deletionTimestamp"):
                state = "pending" if state == "successful" else state
                continue
            try:
                existed = self._delete(run)
            except ClusterError as exc:
                state = "failed"
                self._set(run, run.sync_status, "Error", f"failed to delete resource: {exc}")
                continue
            if existed:
                state = "pending" if state == "successful" else state
            else:
                run.live = None
        if state != "successful":
            return state
        group: list[_Run] = []
        for run in creates:
            if group and group[0].task.kind != run.task.kind:
                state = self._apply_group(group, state, dry_run)
                group = [run]
            else:
                group.append(run)
        if group:
            state = self._apply_group(group, state, dry_run)
        return state

    def _apply_group(self, runs: Sequence[_Run], state: str, dry_run: bool) -> str:
        # one kind at a time, its objects at once (Argo CD applies them in parallel)
        sendable = [r for r in runs if r.target is not None]
        requests = [self._request(r, dry_run) for r in sendable]
        answers = dict(zip(map(id, sendable), apply_many(self.cluster, requests), strict=True))
        for run in runs:
            result, message = self._outcome(run, dry_run, answers.get(id(run)))
            if result == "skip":
                continue
            if result == "SyncFailed":
                state = "failed"
            if not dry_run or self.dry_run or result == "SyncFailed":
                phase = _PHASE_OF_RESULT[result]
                if self.dry_run and phase == "Running":
                    phase = "Succeeded"
                self._set(run, result, phase, message)
        return state

    def _request(self, run: _Run, dry_run: bool) -> ApplyRequest:
        task = run.task
        target = run.target or {}
        mode = task.apply_mode
        if dry_run and mode == "server-side apply":
            mode = "client-side apply"
        if mode == "update" and run.live is not None:
            target = copy_json(target)
            target["metadata"]["resourceVersion"] = (run.live.get("metadata") or {}).get(
                "resourceVersion"
            )
        return ApplyRequest(
            target,
            mode=mode,  # type: ignore[arg-type]
            dry_run=dry_run,
            force=task.force,
            validate=task.validate,
            exists=run.live is not None,
            live=run.live,
        )

    def _outcome(
        self, run: _Run, dry_run: bool, answer: ApplyResult | ClusterError | None
    ) -> tuple[str, str]:
        task = run.task
        if answer is None:
            return "SyncFailed", f"no manifest for {task.kind} {task.name}"
        if isinstance(answer, ClusterTimeoutError):
            raise answer
        if isinstance(answer, ClusterError):
            if dry_run and task.skip_dry_run and getattr(answer, "status", None) == 404:
                run.skip_dry_run = True
                return "skip", ""
            return "SyncFailed", str(answer)
        if not dry_run:
            run.live = answer.object
        return "Synced", answer.message
