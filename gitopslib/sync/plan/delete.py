"""Planning the deletion of an Application (§2.6): :func:`plan_delete` (PreDelete hooks, the
cascade deletion by wave, highest first, PostDelete hooks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gitopslib.hooks._hooks import HELM_RESOURCE_POLICY
from gitopslib.sync._options import OptionList, resolve
from gitopslib.sync.plan.model import SyncPlan, SyncTask
from gitopslib.sync.plan.options import SyncPlanOptions
from gitopslib.sync.plan.order import _sort_key
from gitopslib.sync.plan.state import _ann, _meta, _PlannerState, _tracked_by

if TYPE_CHECKING:
    from gitopslib.diff._result import ComparisonResult, ResourceDiff

__all__ = ["plan_delete"]

_RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"


def _claimed(rd: ResourceDiff, live: Mapping[str, Any], instances: frozenset[str]) -> bool:
    if rd.requires_pruning:
        return True
    if not instances:
        return False
    owner = _tracked_by(live, rd)
    return owner is not None and owner in instances


def plan_delete(
    comparison: ComparisonResult, app: Any = None, options: SyncPlanOptions | None = None
) -> SyncPlan:
    """Plan the deletion of an Application (§2.6): PreDelete hooks, then the cascade deletion
    of its resources by wave, highest wave first (one wave at a time), then PostDelete hooks.

    Only live objects the app's tracking claims are deleted (``requires_pruning``, or a
    tracking-id / instance label naming the app). ``Delete=false`` and
    ``helm.sh/resource-policy: keep`` keep an object (a skipped task says so);
    ``Delete=confirm``/``Prune=confirm`` mark ``requires_confirmation``. Tasks use phases
    "PreDelete", "Delete" and "PostDelete".

    >>> from gitopslib.diff._result import ComparisonResult
    >>> plan_delete(ComparisonResult("Synced", [])).kind
    'delete'
    """
    planner = _PlannerState(comparison, app, options)
    opts = planner.opts
    finalizers = planner.view.finalizers
    propagation = "foreground"
    for fin in finalizers:
        if fin.startswith(_RESOURCES_FINALIZER + "/"):
            propagation = fin.rsplit("/", 1)[1]
    tasks: list[SyncTask] = []
    for rd in comparison.resources:
        desired, live = rd.desired, rd.live
        if desired is not None:
            info = planner.hook_info(desired)
            for phase in info.delete_phases:
                wave, source = planner.wave_of(desired)
                name = str(_meta(desired).get("name") or _meta(desired).get("generateName"))
                task = SyncTask(
                    phase,
                    0,
                    rd.group,
                    rd.kind,
                    planner.namespace_of(rd),
                    name,
                    "create" if live is None else "apply",
                    is_hook=True,
                    hook_delete_policies=info.delete_policies,
                    obj=desired,
                    live=live,
                    original_wave=wave,
                    wave_source=source,
                    generate_name=_meta(desired).get("generateName") or None,
                    apply_mode="create",
                )
                when = "before" if phase == "PreDelete" else "after"
                notes = [
                    f"{phase} hook ({info.source}): created {when} the resources are deleted;"
                    " all such hooks start together and must become Healthy",
                    "cleaned up afterwards if its delete policy matches the hooks' health ("
                    + ",".join(info.delete_policies)
                    + ")",
                ]
                task.notes = tuple(notes)
                planner.check_permitted(task)
                tasks.append(task)
        if live is None:
            continue
        live_info = planner.hook_info(live)
        if live_info.delete_phases and not live_info.sync_phases:
            planner.exclude(rd, "a live PreDelete/PostDelete hook: cleaned up by its policy")
            continue
        if not _claimed(rd, live, planner.instances):
            planner.exclude(rd, "live object not claimed by this app's tracking: never deleted")
            continue
        wave, source = planner.wave_of(live)
        res = OptionList.from_object(live)
        task = SyncTask(
            "Delete",
            wave,
            rd.group,
            rd.kind,
            rd.namespace,
            rd.name,
            "delete",
            sync_options=planner.merged_options(res),
            obj=live,
            live=live,
            original_wave=wave,
            wave_source=source,
            apply_mode="delete",
            propagation_policy=propagation,
        )
        notes = [f"cascade deletion, highest wave first: {planner.wave_text(wave, source)}"]
        delete_value = resolve("Delete", res, planner.app_opts)
        if not opts.cascade:
            task.skipped = True
            notes.insert(0, "kept: non-cascading deletion")
        elif delete_value == "false":
            task.skipped = True
            notes.insert(0, "kept (Delete=false)")
        elif str(_ann(live).get(HELM_RESOURCE_POLICY, "")).strip() == "keep":
            task.skipped = True
            notes.insert(0, "kept (helm.sh/resource-policy: keep)")
        elif delete_value == "confirm" or resolve("Prune", res, planner.app_opts) == "confirm":
            task.requires_confirmation = True
            notes.append("waits for argocd.argoproj.io/deletion-approved on the app")
        task.notes = tuple(notes)
        planner.check_permitted(task)
        tasks.append(task)
    tasks.sort(key=_sort_key)
    planner.excluded.sort(key=lambda e: (e.kind, e.namespace, e.name, e.group, e.reason))
    return SyncPlan(
        tasks=tasks,
        excluded=planner.excluded,
        warnings=planner.warnings,
        dry_run=opts.dry_run,
        prune=True,
        revision=planner.revision,
        app_name=planner.view.name,
        kind="delete",
    )
