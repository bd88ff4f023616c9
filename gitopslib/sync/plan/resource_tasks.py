"""The planner (:class:`_Planner`) and its first step: one task per object of the comparison
(a create or apply in phase Sync, hook tasks, prune tasks, or the reason an object gets
none), and the destination namespace of ``CreateNamespace=true``."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gitopslib.hooks._hooks import parse_hook_annotations
from gitopslib.manifest import (
    ANNOTATION_HOOK,
    ANNOTATION_SYNC_OPTIONS,
    ANNOTATION_SYNC_WAVE,
    HELM_HOOK,
)
from gitopslib.sync._options import OptionList
from gitopslib.sync.plan.hook_tasks import _HookTasks
from gitopslib.sync.plan.model import Action, ExcludedResource, SyncTask
from gitopslib.sync.plan.prune_tasks import _PruneTasks
from gitopslib.sync.plan.state import _NO_ANNOTATIONS, _NO_OPTIONS, _tracked_by

if TYPE_CHECKING:
    from gitopslib.diff._result import ResourceDiff


def _selected(rd: ResourceDiff, selection: Collection[Sequence[str]]) -> bool:
    for item in selection:
        if len(item) == 3:
            group, kind, name = item
            if rd.group == group and rd.kind == kind and rd.name == name:
                return True
        elif len(item) == 4:
            group, kind, namespace, name = item
            if (rd.group, rd.kind, rd.namespace, rd.name) == (group, kind, namespace, name):
                return True
    return False


class _Planner(_HookTasks, _PruneTasks):
    """State shared by the steps of one planning call, and the steps: resource tasks here,
    hook and prune tasks in :mod:`~gitopslib.sync.plan.hook_tasks` and
    :mod:`~gitopslib.sync.plan.prune_tasks`, the settings in :mod:`~gitopslib.sync.plan.state`."""

    def resource_tasks(self) -> list[SyncTask]:
        tasks: list[SyncTask] = []
        append = tasks.append
        apply_out_of_sync_only = self.app_opts.has("ApplyOutOfSyncOnly=true")
        fail_on_shared = self.app_opts.has("FailOnSharedResource=true")
        selection = self.selection
        # Hot loop: one pass over each object's annotations; a plain object (no sync-options
        # on it or on its live copy, no app-level flag to apply) is built inline, attribute by
        # attribute, with its wave read through a per-call cache of annotation strings.
        settings_needed = self.settings_needed
        tail_needed = (
            apply_out_of_sync_only or bool(self.instances) or self.checks_rules or fail_on_shared
        )
        options = self.app_opts.items
        wave_cache = self._wave_cache
        namespace_of = self.namespace_of
        new = object.__new__
        task_class = SyncTask
        for rd in self.comparison.resources:
            desired, live = rd.desired, rd.live
            if desired is not None:
                meta = desired.get("metadata")
                ann = (meta.get("annotations") if meta else None) or _NO_ANNOTATIONS
                if ann and (ANNOTATION_HOOK in ann or HELM_HOOK in ann):
                    info = parse_hook_annotations(
                        desired, ann, strict=self.strict, warnings=self.warnings
                    )
                    if info.skip:
                        self.exclude(rd, "hook: Skip: never applied, never pruned")
                        continue
                    if info.is_hook:
                        self.hook_tasks(rd, desired, ann, live, info, tasks)
                        continue
                if selection is not None and not _selected(rd, selection):
                    self.exclude(rd, "not selected (selective sync)")
                    continue
                raw = ann.get(ANNOTATION_SYNC_WAVE) if ann else None
                wave = wave_cache.get(raw) if raw.__class__ is str else None
                if wave is not None:
                    source = ANNOTATION_SYNC_WAVE
                else:
                    wave, source = self.fast_wave(desired, ann)
                if live is not None:
                    live_meta = live.get("metadata")
                    live_ann = live_meta.get("annotations") if live_meta else None
                    live_options = ANNOTATION_SYNC_OPTIONS in live_ann if live_ann else False
                else:
                    live_options = False
                if settings_needed or live_options or (ann and ANNOTATION_SYNC_OPTIONS in ann):
                    append(
                        self.target_task(
                            rd,
                            desired,
                            ann,
                            live,
                            wave,
                            source,
                            apply_out_of_sync_only,
                            fail_on_shared,
                        )
                    )
                    continue
                # the plain case, as target_task builds it; fields left out (is_hook,
                # hook_delete_policies, live of a create) keep SyncTask's class defaults
                task = new(task_class)
                task.phase = "Sync"
                task.wave = wave
                task.group = rd.group
                task.kind = rd.kind
                task.namespace = rd.namespace or namespace_of(rd)
                task.name = rd.name
                task.sync_options = options
                task.obj = desired
                task.original_wave = wave
                if source != "default":
                    task.wave_source = source
                if live is not None:
                    task.action = "apply"
                    task.live = live
                    task._base = 2
                    task._status = rd.status
                else:
                    task.action = "create"
                    task._base = 1
                if tail_needed:
                    self.target_tail(task, rd, live, apply_out_of_sync_only, fail_on_shared)
                append(task)
            elif live is not None:
                info = self.hook_info(live)
                if info.skip:
                    self.exclude(rd, "hook: Skip: never applied, never pruned")
                    continue
                if rd.hook or info.is_hook:
                    self.exclude(rd, "a live hook object: a sync never prunes hooks")
                    continue
                if not rd.requires_pruning:
                    self.exclude(rd, "live object not claimed by this app's tracking: never pruned")
                    continue
                if self.selection is not None and not _selected(rd, self.selection):
                    self.exclude(rd, "not selected (selective sync)")
                    continue
                append(self.prune_task(rd, live))
        return tasks

    def target_task(
        self,
        rd: ResourceDiff,
        desired: dict[str, Any],
        ann: Mapping[str, Any],
        live: dict[str, Any] | None,
        wave: int,
        source: str,
        apply_out_of_sync_only: bool,
        fail_on_shared: bool,
    ) -> SyncTask:
        res = live_res = _NO_OPTIONS
        options = self.app_opts.items
        if ann and ANNOTATION_SYNC_OPTIONS in ann:
            res = OptionList(str(ann[ANNOTATION_SYNC_OPTIONS]).split(","))
            res.check(f"{rd.kind} {rd.name}", strict=self.strict, warnings=self.warnings)
            options = self.merged_options(res)
        if live is not None:
            live_meta = live.get("metadata")
            live_ann = live_meta.get("annotations") if live_meta else None
            if live_ann and ANNOTATION_SYNC_OPTIONS in live_ann:
                live_res = OptionList(str(live_ann[ANNOTATION_SYNC_OPTIONS]).split(","))
        task = SyncTask(
            "Sync",
            wave,
            rd.group,
            rd.kind,
            rd.namespace or self.namespace_of(rd),
            rd.name,
            "create" if live is None else "apply",
            False,
            (),
            options,
            obj=desired,
            live=live,
            original_wave=wave,
            wave_source=source,
        )
        if live is None:
            task._base = 1
        else:
            task._base = 2
            task._status = rd.status
        if self.settings_needed or res.items or live_res.items:
            extra = self.apply_settings(task, res, live_res, live is not None)
            if extra:
                task.notes = tuple(extra)
        self.target_tail(task, rd, live, apply_out_of_sync_only, fail_on_shared)
        return task

    def target_tail(
        self,
        task: SyncTask,
        rd: ResourceDiff,
        live: dict[str, Any] | None,
        apply_out_of_sync_only: bool,
        fail_on_shared: bool,
    ) -> None:
        """The last steps of a resource task: ApplyOutOfSyncOnly, shared resources, rules."""
        if (
            apply_out_of_sync_only
            and live is not None
            and not rd.modified
            and rd.status == "Synced"
        ):
            task.skipped = True
            task.notes = ("synced, skipped (ApplyOutOfSyncOnly)", task._base_note(), *task.notes)
            task._base = 0
        if live is not None and self.instances:
            owner = _tracked_by(live, rd)
            if owner is not None and owner not in self.instances:
                message = f"Shared resource found: {rd.kind} {rd.name} is tracked by app {owner}"
                if fail_on_shared:
                    task.invalid = f"{message} (FailOnSharedResource=true)"
                else:
                    self.warnings.append(message)
        if self.checks_rules:
            self.check_permitted(task)

    def namespace_task(self) -> SyncTask | None:
        if not self.app_opts.has("CreateNamespace=true"):
            return None
        ns = self.dest_ns
        if not ns:
            self.warnings.append(
                "CreateNamespace=true without a destination namespace does nothing"
            )
            return None
        for rd in self.comparison.resources:
            if rd.desired is not None and rd.kind == "Namespace" and not rd.group and rd.name == ns:
                return None
        mnm = self.view.managed_namespace_metadata
        known = self.opts.existing_namespaces
        exists = None if known is None else ns in known
        if exists and mnm is None:
            self.excluded.append(
                ExcludedResource(
                    "", "Namespace", "", ns, "CreateNamespace=true: namespace exists already"
                )
            )
            return None
        meta: dict[str, Any] = {"name": ns}
        notes = ["CreateNamespace=true: the destination namespace, before everything else"]
        mode = "client-side apply"
        if mnm is not None:
            labels, annotations = mnm
            if labels:
                meta["labels"] = dict(sorted(labels.items()))
            meta["annotations"] = {
                **dict(sorted(annotations.items())),
                "argocd.argoproj.io/sync-options": "ServerSideApply=true",
            }
            notes.append("managedNamespaceMetadata applied (server-side apply)")
            mode = "server-side apply"
        obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
        if exists is None:
            notes.append("created if missing")
        action: Action = "apply" if exists else "create"
        task = SyncTask(
            "PreSync",
            0,
            "",
            "Namespace",
            "",
            ns,
            action,
            sync_options=("ServerSideApply=true",) if mnm is not None else (),
            notes=notes,
            obj=obj,
            apply_mode=mode,
        )
        self.check_permitted(task)
        return task
