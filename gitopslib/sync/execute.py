"""The sync executor: run a :class:`~gitopslib.sync.plan.SyncPlan` against a cluster, step by
step, exactly as Argo CD's sync state machine does (argocd-semantics.md §1.7-§1.11, §2.3-§2.5).

One call of :func:`execute_plan` drives the whole operation:

1. an invalid plan fails at once ("one or more synchronization tasks are not valid");
2. the destination namespace of ``CreateNamespace=true`` is created first, then every task is
   dry-run (tasks flagged ``skip_dry_run`` are skipped when the API does not know their kind
   yet); a failure ends the operation ("one or more objects failed to apply (dry run)");
3. then (phase, wave) after (phase, wave): prunes first (``Prune=false`` and disabled pruning
   are reported, not run; ``Prune=confirm`` waits for approval), then deletion of hooks with
   ``BeforeHookCreation`` that still exist, then applies grouped by kind;
4. between steps the executor polls the cluster until every task of the step is done: hooks
   complete (Healthy, or no health check), resources Healthy or without a health check, pruned
   objects gone. The final step of plain resources is not waited for. A Degraded resource or a
   failed hook fails the operation: ``SyncFail`` hooks then run, all at once, and the
   operation ends ``Failed``;
5. completed hooks lose the ``argocd.argoproj.io/hook-finalizer`` finalizer; hooks with
   ``HookSucceeded`` / ``HookFailed`` are deleted by the outcome of the whole operation.

Every applied object (except CRDs and the auto-created namespace) carries the app's tracking
(``argocd.argoproj.io/tracking-id`` by default). Polling uses an injectable ``clock`` and
``sleep``, so tests never wait; ``timeout`` bounds the operation, its cluster requests and
their retries included (:mod:`gitopslib.sync.deadline`); then it is terminated like Argo CD's
``Terminate``. A ``ClusterError`` outside any task ends it in ``Error``. The objects of one
kind in one step go to the cluster together (:func:`~gitopslib.sync.protocol.apply_many`:
concurrently where the cluster can), and the live state is re-read with
:func:`~gitopslib.sync.protocol.get_many`. The result
is an :class:`~gitopslib.models.OperationState` with Argo CD's phases, messages and
per-resource results.

>>> from gitopslib.cluster import MemoryCluster
>>> from gitopslib.diff._result import ComparisonResult, ResourceDiff
>>> from gitopslib.sync import plan_sync
>>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}
>>> plan = plan_sync(ComparisonResult("OutOfSync", [
...     ResourceDiff("", "ConfigMap", "prod", "cfg", "OutOfSync", desired=cm)]))
>>> op = execute_plan(plan, MemoryCluster(), app_instance="demo")
>>> op.phase, op.message
('Succeeded', 'successfully synced (all tasks run)')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gitopslib._jsondata import copy_json
from gitopslib.errors import ClusterError, ClusterTimeoutError
from gitopslib.health import HealthStatus, HealthStatusCode
from gitopslib.manifest import (
    CLUSTER_SCOPED_KINDS,
    LABEL_INSTANCE,
    ResourceKey,
    paused_gc,
)
from gitopslib.models import (
    Operation,
    OperationInitiator,
    OperationState,
    ResourceResult,
    SyncOperation,
    SyncResult,
)
from gitopslib.sync._options import AppView
from gitopslib.sync.context import HealthFunction, OperationContext
from gitopslib.sync.deadline import operation_deadline
from gitopslib.sync.plan import SyncPlan, SyncTask
from gitopslib.sync.protocol import ApplyRequest, ApplyResult, Cluster, apply_many, get_many
from gitopslib.tracking import TrackingMethod, instance_name, tracking_id
from gitopslib.tracking import stamp_tracking as _stamp_tracking

__all__ = [
    "ANNOTATION_DELETION_APPROVED",
    "HOOK_FINALIZER",
    "TrackingMethod",
    "execute_plan",
    "run_plan",
    "stamp_tracking",
    "tracking_id",
]

HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"
ANNOTATION_DELETION_APPROVED = "argocd.argoproj.io/deletion-approved"

_COMPLETED = frozenset({"Succeeded", "Failed", "Error"})
_PHASE_OF_RESULT = {
    "Synced": "Running",
    "SyncFailed": "Failed",
    "Pruned": "Succeeded",
    "PruneSkipped": "Succeeded",
}

#: Seconds the clean-up after a timeout (running hooks stopped) may take past the deadline.
_TERMINATE_GRACE = 10.0

# --- tracking -------------------------------------------------------------------------------


def stamp_tracking(
    obj: Mapping[str, Any],
    app_instance: str,
    *,
    destination_namespace: str = "",
    method: TrackingMethod = "annotation",
    label_key: str = LABEL_INSTANCE,
) -> dict[str, Any]:
    """A deep copy of ``obj`` carrying the app's tracking as Argo CD writes it (§7.1-§7.4):
    the tracking-id annotation (``annotation``, the default), the instance label (``label``,
    untruncated) or both (``annotation+label``, label truncated to 63 characters). CRDs are
    never stamped. See :func:`gitopslib.tracking.stamp_tracking`.

    >>> svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ui"}}
    >>> stamp_tracking(svc, "guestbook", destination_namespace="default")["metadata"]["annotations"]
    {'argocd.argoproj.io/tracking-id': 'guestbook:/Service:default/ui'}
    """
    return _stamp_tracking(
        copy_json(dict(obj)),
        app_instance,
        destination_namespace=destination_namespace,
        method=method,
        label_key=label_key,
    )


# --- the run ----------------------------------------------------------------------------------


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


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Executor:
    def __init__(
        self,
        plan: SyncPlan,
        cluster: Cluster,
        *,
        app: Any,
        app_instance: str | None,
        destination_namespace: str,
        tracking_method: TrackingMethod,
        label_key: str,
        prune_confirmed: bool | Callable[[], bool] | None,
        context: OperationContext,
        started_at: datetime,
    ) -> None:
        self.plan = plan
        self.cluster = cluster
        self.app = app
        self.dest_ns = destination_namespace
        self.instance = app_instance
        self.tracking_method = tracking_method
        self.label_key = label_key
        self.ctx = context
        self.health = context.health
        self.prune_confirmed = prune_confirmed
        self.wave_delay = context.wave_delay
        self.sleep = context.sleep
        self.started_at = started_at
        self.dry_run = plan.dry_run
        self.phase = "Running"
        self.message = ""
        self.results: dict[int, _Run] = {}
        self.started = False
        self.waiting_confirmation = False
        self.runs = [self._prepare(t) for t in plan.tasks if not (t.skipped and not t.is_prune)]
        self.fail_runs = [self._prepare(t) for t in plan.sync_fail_tasks]
        # Argo CD judges "multi-step" on every task, including the synced ones that
        # ApplyOutOfSyncOnly filters out of the pending tasks only (§1.7 step 4).
        self.multi_step = len({(t.phase, t.wave) for t in (*plan.tasks, *plan.sync_fail_tasks)}) > 1

    # -- preparation ---------------------------------------------------------------------

    def _auto_namespace(self, task: SyncTask) -> bool:
        """The namespace ``CreateNamespace=true`` adds (not one from Git, which may also have
        moved to PreSync before a hook that needs it)."""
        return (
            task.kind == "Namespace"
            and not task.is_hook
            and any(note.startswith("CreateNamespace=true") for note in task.notes)
        )

    def _prepare(self, task: SyncTask) -> _Run:
        if task.obj is None or task.is_prune:
            return _Run(task, None, task.live)
        obj = copy_json(task.obj)
        meta = obj.setdefault("metadata", {})
        if (task.group, task.kind) in CLUSTER_SCOPED_KINDS:
            meta.pop("namespace", None)
        elif not meta.get("namespace"):
            namespace = task.namespace or self.dest_ns
            if namespace:
                meta["namespace"] = namespace
        if self.instance and not self._auto_namespace(task):
            obj = _stamp_tracking(  # obj is already this run's own copy
                obj,
                self.instance,
                destination_namespace=self.dest_ns,
                method=self.tracking_method,
                label_key=self.label_key,
            )
        if task.is_hook:
            finalizers = list(obj["metadata"].get("finalizers") or [])
            if HOOK_FINALIZER not in finalizers:
                obj["metadata"]["finalizers"] = [*finalizers, HOOK_FINALIZER]
        return _Run(task, obj, task.live)

    # -- results -------------------------------------------------------------------------

    def _set(self, run: _Run, sync_status: str, op_state: str, message: str) -> None:
        run.sync_status = sync_status
        run.op_state = op_state
        if message:
            run.message = message
        self.results.setdefault(id(run), run)

    def _set_phase(self, phase: str, message: str) -> None:
        self.phase = phase
        self.message = message

    def _running_phase(self, runs: Sequence[_Run], pending_deletion: bool) -> None:
        if not runs:
            self._set_phase("Running", "")
            return
        hooks = [r for r in runs if r.is_hook]
        resources = [r for r in runs if not r.is_hook]
        reason = "completion of hook" if hooks else "healthy state of"
        kind = "hooks" if not resources else "resources"
        if pending_deletion:
            reason = "deletion of hook" if hooks else "deletion of"
        first = hooks[0] if hooks else resources[0]
        message = f"waiting for {reason} {first.describe()}"
        if len(runs) > 1:
            message += f" and {len(runs) - 1} more {kind}"
        self._set_phase("Running", message)

    # -- cluster calls -------------------------------------------------------------------

    def _refresh(self) -> None:
        """Re-read the live object of every task still waiting: running tasks, hooks (their
        finalizers and deletion policies), and pruned objects not gone yet. A completed task
        is not read again, so a step costs what is still in flight, not all started so far.
        One batch (:func:`get_many`: one list per kind and namespace where the cluster can)."""
        runs = [
            r
            for r in [*self.runs, *self.fail_runs]
            if r.running or r.is_hook or (r.sync_status == "Pruned" and r.live is not None)
        ]
        found = get_many(self.cluster, [self._live_key(r) for r in runs])
        for run, live in zip(runs, found, strict=True):
            if isinstance(live, ClusterTimeoutError):
                raise live
            if not isinstance(live, ClusterError):
                run.live = live
            elif run.running:
                self._set(run, run.sync_status, "Error", f"Failed to get live resource {live}")

    def _live_key(self, run: _Run) -> ResourceKey:
        key = run.key
        if not key.namespace and (key.group, key.kind) not in CLUSTER_SCOPED_KINDS:
            target = run.target or {}
            namespace = str((target.get("metadata") or {}).get("namespace") or self.dest_ns)
            key = key._replace(namespace=namespace)
        return key

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

    def _delete(self, run: _Run) -> bool:
        return self.cluster.delete(
            self._live_key(run), propagation_policy=run.task.propagation_policy or "foreground"
        )

    def _delete_hooks(self, runs: Sequence[_Run]) -> None:
        if self.dry_run:
            return
        for run in runs:
            try:
                self._delete(run)
            except ClusterError as exc:
                self._set(run, run.sync_status, "Error", f"failed to delete resource: {exc}")

    # -- health ----------------------------------------------------------------------------

    def _health(self, obj: Mapping[str, Any]) -> HealthStatus | None:
        health = self.health(obj)
        if health is None or health.status is None:
            return None
        return health

    def _hook_phase(self, live: Mapping[str, Any]) -> tuple[str, str]:
        name = str((live.get("metadata") or {}).get("name") or "")
        health = self._health(live)
        if health is None:
            return "Succeeded", f"{name} created"
        if health.status in (HealthStatusCode.UNKNOWN, HealthStatusCode.DEGRADED):
            return "Failed", health.message
        if health.status in (HealthStatusCode.PROGRESSING, HealthStatusCode.SUSPENDED):
            return "Running", health.message
        return "Succeeded", health.message

    def _update_running(self) -> None:
        for run in [*self.runs, *self.fail_runs]:
            if not run.running or run.live is None:
                continue
            if run.is_hook:
                state, message = self._hook_phase(run.live)
                self._set(run, run.sync_status, state, message)
                continue
            health = self._health(run.live)
            if health is None:
                self._set(run, run.sync_status, "Succeeded", run.message)
            elif health.status is HealthStatusCode.HEALTHY:
                self._set(run, run.sync_status, "Succeeded", health.message)
            elif health.status is HealthStatusCode.DEGRADED:
                self._set(run, run.sync_status, "Failed", health.message)

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
        approved = _parse_time(str(raw))
        return approved is not None and approved >= self.started_at.replace(microsecond=0)

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
        delete_on_success = [
            r
            for r in all_runs
            if r.is_hook
            and r.live is not None
            and not r.running
            and "HookSucceeded" in r.task.hook_delete_policies
        ]
        delete_on_failure = [
            r
            for r in all_runs
            if r.is_hook
            and r.live is not None
            and not r.running
            and "HookFailed" in r.task.hook_delete_policies
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
            started_at=_rfc3339(self.started_at),
            finished_at=_rfc3339(finished) if finished is not None else None,
        )


def _app_annotations(app: Any) -> Mapping[str, Any]:
    if app is None:
        return {}
    if isinstance(app, Mapping):
        return (app.get("metadata") or {}).get("annotations") or {}
    meta = getattr(app, "metadata", None)
    return getattr(meta, "annotations", None) or {}


def execute_plan(
    plan: SyncPlan,
    cluster: Cluster,
    *,
    app: Any = None,
    app_instance: str | None = None,
    destination_namespace: str | None = None,
    tracking_method: TrackingMethod = "annotation",
    label_key: str = LABEL_INSTANCE,
    health: HealthFunction | None = None,
    prune_confirmed: bool | Callable[[], bool] | None = None,
    timeout: float | None = None,
    poll_interval: float | None = None,
    wave_delay: float | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    now: Callable[[], datetime] | None = None,
    on_progress: Callable[[OperationState], None] | None = None,
    controller_namespace: str = "argocd",
    context: OperationContext | None = None,
) -> OperationState:
    """Run ``plan`` against ``cluster`` until the operation completes; see the module docs.

    ``app`` (model or dict) supplies the tracking instance name (``<name>``, or
    ``<namespace>_<name>`` outside ``controller_namespace``; ``app_instance`` overrides it),
    the destination namespace and the ``deletion-approved`` annotation;
    ``prune_confirmed`` overrides that approval (a bool, or a callable polled while waiting).
    ``health`` judges live objects (default :func:`~gitopslib.health.assess_health`).
    ``poll_interval`` seconds between polls while waiting; ``wave_delay`` seconds after each
    step that is not the last (Argo CD's ``ARGOCD_SYNC_WAVE_DELAY``, 2 s there; 0 here);
    ``timeout`` ends a stuck operation like Argo CD's terminate (``Failed``, "Operation
    terminated..."). ``clock``/``sleep``/``now`` are injectable for tests; ``on_progress``
    receives the operation state after every step. ``context`` (an
    :class:`~gitopslib.sync.context.OperationContext`) carries all of these at once; a
    keyword given here overrides its field.

    Returns an :class:`~gitopslib.models.OperationState`: ``phase`` Succeeded, Failed or
    Error, Argo CD's ``message``, and ``sync_result.resources`` rows (``status`` Synced,
    SyncFailed, Pruned, PruneSkipped; ``hook_phase``; ``message`` such as ``pruned``,
    ``ignored (no prune)`` or ``deployment.apps/web created``).
    """
    ctx = (context or OperationContext()).replace(
        health=health,
        timeout=timeout,
        poll_interval=poll_interval,
        wave_delay=wave_delay,
        clock=clock,
        sleep=sleep,
        now=now,
        on_progress=on_progress,
    )
    view = AppView(app)
    instance = app_instance
    if instance is None and view.name:
        instance = instance_name(view.name, view.namespace, controller_namespace)
    dest_ns = view.destination_namespace
    if destination_namespace is not None:
        dest_ns = destination_namespace
    return run_plan(
        plan,
        cluster,
        ctx,
        app=app,
        app_instance=instance,
        destination_namespace=dest_ns,
        tracking_method=tracking_method,
        label_key=label_key,
        prune_confirmed=prune_confirmed,
    )


def _wants_state(on_progress: Callable[[OperationState], None]) -> bool:
    """Whether ``on_progress`` gets the state after this step. A callback may say it has
    nothing to do now through a ``wanted()`` method (the status recorder between two
    throttled writes): the state of every resource is then not built at every step."""
    wanted = getattr(on_progress, "wanted", None)
    return bool(wanted()) if callable(wanted) else True


def run_plan(
    plan: SyncPlan,
    cluster: Cluster,
    ctx: OperationContext,
    *,
    app: Any,
    app_instance: str | None,
    destination_namespace: str,
    tracking_method: TrackingMethod,
    label_key: str,
    prune_confirmed: bool | Callable[[], bool] | None = None,
) -> OperationState:
    """:func:`execute_plan` with everything resolved: the clocks, timeout, health function
    and progress callback come from ``ctx``."""
    wall = ctx.now
    # each step is bulk work on acyclic trees: the cyclic collector's full passes over every
    # object held are pure overhead during one, so it runs between steps (while waiting)
    with paused_gc():
        executor = _Executor(
            plan,
            cluster,
            app=app,
            app_instance=app_instance,
            destination_namespace=destination_namespace,
            tracking_method=tracking_method,
            label_key=label_key,
            prune_confirmed=prune_confirmed,
            context=ctx,
            started_at=wall(),
        )
    clock, sleep, on_progress, timeout = ctx.clock, ctx.sleep, ctx.on_progress, ctx.timeout
    deadline = clock() + timeout
    timed_out = ""
    try:
        # requests (and their retries) stop at the deadline too, not only the polling
        with operation_deadline(timeout):
            with paused_gc():
                started = executor.first_step()
            if started:
                while True:
                    with paused_gc():
                        acted = executor.step()
                    if executor.phase in _COMPLETED:
                        break
                    if on_progress is not None and _wants_state(on_progress):
                        on_progress(executor.state(None))
                    if clock() >= deadline:
                        waiting = f" while {executor.message}" if executor.message else ""
                        timed_out = f": timed out after {timeout:g}s{waiting}"
                        break
                    if not acted:
                        sleep(max(0.0, min(ctx.poll_interval, deadline - clock())))
    except ClusterTimeoutError as exc:
        # a request ran out of the operation's time: terminated as a timeout, never Succeeded
        timed_out = f": timed out after {timeout:g}s ({exc})"
    except ClusterError as exc:
        # a failure outside any task (reading the cluster): Argo CD's OperationError
        executor.phase, executor.message = "Error", str(exc)
    if timed_out:
        # outside the operation's deadline: stopping running hooks gets a short time of its own
        with operation_deadline(_TERMINATE_GRACE):
            executor.terminate(timed_out)
    with paused_gc():
        final = executor.state(wall())
    if on_progress is not None:
        on_progress(final)
    return final
