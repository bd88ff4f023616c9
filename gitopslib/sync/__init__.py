"""Sync planning: Argo CD's sync order as inspectable data, before anything runs.

:func:`plan_sync` orders every task of a sync the way Argo CD would (phases, waves, kind
order, names, Namespace/CRD dependencies, prune mirroring, PruneLast) and says why each task
is where it is; :func:`plan_delete` does the same for deleting an Application. Plans render as
a table, JSON or a Mermaid flowchart, and :meth:`SyncPlan.compare` explains what a change
moves. Planning is pure: data in, data out. :func:`execute_plan` is the one piece that acts,
driving a :class:`Cluster` it is handed.

The package object is also callable: ``gitopslib.sync(app, cluster=...)`` is design.md's
whole "app sync" (render, compare, plan, execute), implemented in :mod:`gitopslib.reconcile`
and reached here only when called, so the layers stay as they are.

>>> from gitopslib.diff._result import ComparisonResult
>>> plan_sync(ComparisonResult("Synced", [])).waves()
[]
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
import types as _types
from typing import Any as _Any

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


class _CallableSyncPackage(_types.ModuleType):
    """``gitopslib.sync`` is both this package and the ``sync`` operation of the public API."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        # resolved by name at call time: the entry-point layer sits above this package
        return _importlib.import_module("gitopslib.reconcile").sync(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableSyncPackage
