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

The modules: :mod:`~gitopslib.sync.execute.run` (the entry points and the polling loop),
:mod:`~gitopslib.sync.execute.executor` (the state machine),
:mod:`~gitopslib.sync.execute.tasks` (running one step's tasks), with
:mod:`~gitopslib.sync.execute.prunes` and :mod:`~gitopslib.sync.execute.hooks`,
:mod:`~gitopslib.sync.execute.state` (what the executor keeps),
:mod:`~gitopslib.sync.execute.runs` (one task's record) and
:mod:`~gitopslib.sync.execute.tracking` (:func:`stamp_tracking`).

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

from gitopslib.sync.execute.prunes import ANNOTATION_DELETION_APPROVED
from gitopslib.sync.execute.run import execute_plan, run_plan
from gitopslib.sync.execute.state import HOOK_FINALIZER
from gitopslib.sync.execute.tracking import stamp_tracking
from gitopslib.tracking import TrackingMethod, tracking_id

__all__ = [
    "ANNOTATION_DELETION_APPROVED",
    "HOOK_FINALIZER",
    "TrackingMethod",
    "execute_plan",
    "run_plan",
    "stamp_tracking",
    "tracking_id",
]
