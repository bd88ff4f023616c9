"""Sync planning: Argo CD's sync order as inspectable data, before anything runs.

:func:`plan_sync` orders every task of a sync the way Argo CD would (phases, waves, kind
order, names, Namespace/CRD dependencies, prune mirroring, PruneLast) and says why each task
is where it is; :func:`plan_delete` does the same for deleting an Application. Plans render as
a table, JSON or a Mermaid flowchart, and :meth:`SyncPlan.compare` explains what a change
moves. Everything here is pure: data in, data out (the executor that acts comes later).

>>> from gitopslib.diff._result import ComparisonResult
>>> plan_sync(ComparisonResult("Synced", [])).waves()
[]
"""

from __future__ import annotations

from gitopslib.sync._kinds import KIND_ORDER, kind_rank
from gitopslib.sync.compare import ChangeKind, PlanChange, PlanComparison, compare_plans
from gitopslib.sync.execute import (
    ANNOTATION_DELETION_APPROVED,
    HOOK_FINALIZER,
    TrackingMethod,
    execute_plan,
    stamp_tracking,
    tracking_id,
)
from gitopslib.sync.plan import (
    Action,
    ExcludedResource,
    ResourcePermitter,
    SyncPlan,
    SyncPlanOptions,
    SyncTask,
    SyncWave,
    plan_delete,
    plan_sync,
)
from gitopslib.sync.protocol import (
    ARGOCD_FIELD_MANAGER,
    ApplyMode,
    ApplyResult,
    Cluster,
    ClusterEvent,
    apply_message,
)
from gitopslib.sync.render import escape_mermaid, render_table, to_mermaid

__all__ = [
    "ANNOTATION_DELETION_APPROVED",
    "ARGOCD_FIELD_MANAGER",
    "HOOK_FINALIZER",
    "KIND_ORDER",
    "Action",
    "ApplyMode",
    "ApplyResult",
    "ChangeKind",
    "Cluster",
    "ClusterEvent",
    "ExcludedResource",
    "PlanChange",
    "PlanComparison",
    "ResourcePermitter",
    "SyncPlan",
    "SyncPlanOptions",
    "SyncTask",
    "SyncWave",
    "TrackingMethod",
    "apply_message",
    "compare_plans",
    "escape_mermaid",
    "execute_plan",
    "kind_rank",
    "plan_delete",
    "plan_sync",
    "render_table",
    "stamp_tracking",
    "to_mermaid",
    "tracking_id",
]
