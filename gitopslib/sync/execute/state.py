"""What the executor keeps for one operation (:class:`_ExecutorState`): the plan's tasks
prepared as runs (namespace, tracking, hook finalizer), their results and the operation's
phase and message, the live state re-read from the cluster, and the health of what runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from gitopslib._jsondata import copy_json
from gitopslib.errors import ClusterError, ClusterTimeoutError
from gitopslib.health import HealthStatus, HealthStatusCode
from gitopslib.manifest import CLUSTER_SCOPED_KINDS, ResourceKey
from gitopslib.sync.context import OperationContext
from gitopslib.sync.execute.runs import _Run
from gitopslib.sync.plan import SyncPlan, SyncTask
from gitopslib.sync.protocol import Cluster, get_many
from gitopslib.tracking import TrackingMethod
from gitopslib.tracking import stamp_tracking as _stamp_tracking

HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"


class _ExecutorState:
    """The executor's state and the reads every step shares."""

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

    def _delete(self, run: _Run) -> bool:
        return self.cluster.delete(
            self._live_key(run), propagation_policy=run.task.propagation_policy or "foreground"
        )

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
