"""Planning a sync: :func:`plan_sync` runs the planner's steps (tasks, prune waves, order)
and returns the :class:`~gitopslib.sync.plan.model.SyncPlan`."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from gitopslib.sync.plan.model import SyncPlan
from gitopslib.sync.plan.options import SyncPlanOptions
from gitopslib.sync.plan.order import _order, _split_sync_fail
from gitopslib.sync.plan.prune_tasks import _apply_prune_last, _mirror_prune_waves
from gitopslib.sync.plan.resource_tasks import _Planner

if TYPE_CHECKING:
    from gitopslib.diff._result import ComparisonResult

__all__ = ["plan_sync"]


def plan_sync(
    comparison: ComparisonResult, app: Any = None, options: SyncPlanOptions | None = None
) -> SyncPlan:
    """Plan a sync of ``comparison`` (desired against live) in Argo CD's order.

    ``app`` (a :class:`gitopslib.models.Application` or its YAML as a dict; default
    ``comparison.app``) supplies sync options, the destination namespace, auto-sync prune
    and managed namespace metadata; ``options`` the operation's settings. Pure and
    deterministic: the same input in any order gives the same plan.

    Raises :class:`~gitopslib.errors.PlanError` for a malformed annotation or option (with
    ``options.strict=False``: a warning on the plan and Argo CD's fallback).

    >>> from gitopslib.diff._result import ComparisonResult
    >>> plan_sync(ComparisonResult("Synced", [])).tasks
    []
    """
    # Planning allocates a few objects per task and frees none of them: pause the cyclic
    # collector meanwhile (as bulk loaders do) instead of letting it rescan the young tasks.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _plan_sync(comparison, app, options)
    finally:
        if paused:
            gc.enable()


def _plan_sync(
    comparison: ComparisonResult, app: Any = None, options: SyncPlanOptions | None = None
) -> SyncPlan:
    planner = _Planner(comparison, app, options)
    opts = planner.opts
    tasks = planner.resource_tasks()
    ns_task = planner.namespace_task()
    if ns_task is not None:
        tasks.append(ns_task)
    prunes = planner.prunes
    app_prune_last = planner.app_opts.has("PruneLast=true")
    _mirror_prune_waves(prunes)
    _apply_prune_last(tasks, prunes if app_prune_last else planner.prune_last, app_prune_last)
    _order(tasks, planner.dest_ns, bool(planner.crd_kinds))
    if opts.dry_run:
        for task in tasks:
            if not task.skipped and task.action != "prune":
                task.add_note("dry run: nothing is changed")
    sync_tasks, fail_tasks = _split_sync_fail(tasks)
    planner.excluded.sort(key=lambda e: (e.kind, e.namespace, e.name, e.group, e.reason))
    return SyncPlan(
        tasks=sync_tasks,
        sync_fail_tasks=fail_tasks,
        excluded=planner.excluded,
        warnings=planner.warnings,
        dry_run=opts.dry_run,
        prune=planner.prune_enabled,
        revision=planner.revision,
        app_name=planner.view.name,
        kind="sync",
    )
