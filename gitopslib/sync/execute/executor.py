"""The executor's state machine (:class:`_Executor`): the first step (validation, namespace,
dry run), one step after another until the operation completes, SyncFail, termination, and
the :class:`~gitopslib.models.OperationState` it reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gitopslib._timestamps import rfc3339
from gitopslib.errors import ClusterError
from gitopslib.manifest import ResourceKey
from gitopslib.models import (
    Operation,
    OperationInitiator,
    OperationState,
    ResourceResult,
    SyncOperation,
    SyncResult,
)
from gitopslib.sync.execute.runs import _Run
from gitopslib.sync.execute.tasks import _TaskRunner


class _Executor(_TaskRunner):
    """One sync operation, step by step (Argo CD's Sync)."""

    # -- SyncFail --------------------------------------------------------------------------

    def _sync_fail(self, failed: Sequence[_Run], message: str) -> bool:
        reasons = [r.message for r in failed]
        error = f"{message}, reason: {','.join(reasons)}" if reasons else message
        if not self.fail_runs:
            self._set_phase("Failed", error)
            return True
        if all(r.completed for r in self.fail_runs):
            bad = [r for r in self.fail_runs if r.sync_status == "SyncFailed" or not r.successful]
            if bad:
                hook_reasons = [r.message for r in bad]
                extra = "one or more SyncFail hooks failed"
                if hook_reasons:
                    extra += f", reason: {','.join(hook_reasons)}"
                error = f"{error}\n{extra}"
            self._set_phase("Failed", error)
            return True
        pending = [r for r in self.fail_runs if not r.completed and not r.running]
        self._run_tasks(pending, False)
        self._running_phase(pending, False)
        return False

    # -- one reconcile of the operation (Argo CD's Sync) ----------------------------------

    def first_step(self) -> bool:
        """Validation, namespace creation and the dry run. False when the operation ended."""
        self.started = True
        if not self.plan.valid:
            for run in [*self.runs, *self.fail_runs]:
                if run.task.invalid:
                    self._set(run, "SyncFailed", "", run.task.invalid)
            self._set_phase("Failed", "one or more synchronization tasks are not valid")
            return False
        dry_runs = [*self.runs, *self.fail_runs]
        ns_run = next(
            (
                r
                for r in self.runs
                if r.task.kind == "Namespace"
                and not r.task.group
                and not r.is_prune
                and r.task.name == self.dest_ns
                and self.dest_ns
            ),
            None,
        )
        if ns_run is not None:
            ns_run.live = self.cluster.get(ResourceKey("", "Namespace", "", self.dest_ns))
            if ns_run.live is None:
                if self._run_tasks([ns_run], False) == "failed":
                    self._sync_fail([ns_run], "the namespace failed to apply")
                    return False
                dry_runs = [r for r in dry_runs if r is not ns_run]
        if self._run_tasks(dry_runs, True) == "failed":
            self._set_phase("Failed", "one or more objects failed to apply (dry run)")
            return False
        return True

    def step(self) -> bool:
        """One pass of the state machine. Returns True when it acted (ran tasks)."""
        self._refresh()
        self._update_running()
        all_runs = [*self.runs, *self.fail_runs]
        multi_step = self.multi_step
        running = [r for r in all_runs if (multi_step or r.is_hook) and r.running]
        if running:
            for run in running:
                if run.live is None and id(run) in self.results:
                    self._set(
                        run,
                        "SyncFailed",
                        "Error",
                        f"Resource {run.describe()} is missing, it might have been deleted",
                    )
            still = [r for r in running if r.running]
            if still:
                self._running_phase(still, False)
                return False
        pending_delete = [
            r
            for r in all_runs
            if r.sync_status == "Pruned"
            and r.live is not None
            and (r.live.get("metadata") or {}).get("deletionTimestamp")
            and not self.dry_run
        ]
        if pending_delete:
            self._running_phase(pending_delete, True)
            return False
        if not self.dry_run:
            for run in all_runs:
                if run.is_hook and run.completed:
                    error = self._remove_hook_finalizer(run)
                    if error is not None:
                        self._set(
                            run,
                            run.sync_status,
                            "Error",
                            f"Failed to remove hook finalizer: {error}",
                        )
        # the hooks finished before this step, deleted by their policy when the sync ends
        finished_hooks = [r for r in all_runs if r.is_hook and r.live is not None and not r.running]
        delete_on_success = [
            r for r in finished_hooks if "HookSucceeded" in r.task.hook_delete_policies
        ]
        delete_on_failure = [
            r for r in finished_hooks if "HookFailed" in r.task.hook_delete_policies
        ]
        failed = [r for r in self.runs if r.sync_status == "SyncFailed"]
        if any(r.completed and not r.successful for r in self.runs):
            self._delete_hooks(delete_on_failure)
            done = self._sync_fail(
                failed, "one or more synchronization tasks completed unsuccessfully"
            )
            return not done
        pending = [r for r in self.runs if r.pending]
        if not pending:
            self._delete_hooks(delete_on_success)
            self._set_phase("Succeeded", "successfully synced (no more tasks)")
            return False
        phase, wave = pending[0].task.phase, pending[0].task.wave
        group = [r for r in pending if (r.task.phase, r.task.wave) == (phase, wave)]
        remaining = [r for r in pending if (r.task.phase, r.task.wave) != (phase, wave)]
        self._set_phase("Running", "one or more tasks are running")
        state = self._run_tasks(group, False)
        if state != "failed" and remaining and self.wave_delay > 0:
            self.sleep(self.wave_delay)
        if state == "failed":
            failed_now = [r for r in group if r.sync_status == "SyncFailed"]
            running_hooks = [r for r in group if r.running]
            if running_hooks:
                if self.fail_runs and not self._sync_fail(
                    failed_now, "one or more objects failed to apply"
                ):
                    running_hooks += self.fail_runs
                self._running_phase(running_hooks, False)
            elif self._sync_fail(failed_now, "one or more objects failed to apply"):
                self._delete_hooks(delete_on_failure)
        elif state == "successful":
            if not remaining and not any(r.is_hook for r in group):
                self._delete_hooks(delete_on_success)
                self._set_phase("Succeeded", "successfully synced (all tasks run)")
            else:
                self._running_phase(group, False)
        else:
            if not self.waiting_confirmation:
                self._running_phase(
                    [r for r in group if r.delete_before_creation or (r.is_prune and r.pending)],
                    True,
                )
            return False
        return True

    def terminate(self, reason: str) -> None:
        """Argo CD's Terminate: stop running hooks (finalizer removed, deleted), then Failed."""
        ok = True
        for run in [*self.runs, *self.fail_runs]:
            if not run.is_hook:
                continue
            if run.completed:
                self._remove_hook_finalizer(run)
                continue
            if not run.running:
                continue
            try:
                run.live = self.cluster.get(self._live_key(run))
                if run.live is not None:
                    self._remove_hook_finalizer(run)
                    self._delete(run)
            except ClusterError as exc:
                ok = False
                self._set(run, run.sync_status, "Error", f"Failed to delete: {exc}")
                continue
            self._set(run, run.sync_status, "Failed", "Terminated")
        self._set_phase(
            "Failed" if ok else "Error",
            ("Operation terminated" if ok else "Operation termination had errors") + reason,
        )

    # -- output ----------------------------------------------------------------------------

    def state(self, finished: datetime | None) -> OperationState:
        rows: list[ResourceResult] = []
        for run in self.results.values():
            task = run.task
            obj = run.target or run.live or task.obj or {}
            api_version = str(obj.get("apiVersion") or "")
            version = api_version.rsplit("/", 1)[-1] if api_version else None
            rows.append(
                ResourceResult(
                    group=task.group,
                    version=version,
                    kind=task.kind,
                    namespace=self._live_key(run).namespace
                    if not task.is_prune
                    else task.namespace,
                    name=task.name,
                    status=run.sync_status or None,
                    message=run.message or None,
                    hook_type=task.phase if task.is_hook else None,
                    hook_phase=run.op_state or None,
                    sync_phase=task.phase,
                )
            )
        operation = Operation(
            sync=SyncOperation(
                revision=self.plan.revision or None,
                prune=self.plan.prune,
                dry_run=self.plan.dry_run or None,
            ),
            initiated_by=OperationInitiator(username="gitopslib"),
        )
        return OperationState(
            operation=operation,
            phase=self.phase,
            message=self.message,
            sync_result=SyncResult(resources=rows, revision=self.plan.revision or None),
            started_at=rfc3339(self.started_at),
            finished_at=rfc3339(finished) if finished is not None else None,
        )
