"""Hook tasks (:class:`_HookTasks`): one task per sync phase of a hook, named from
``generateName`` where it has no name (§2.4), or the reason a hook gets none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gitopslib.hooks import HookInfo
from gitopslib.sync._options import OptionList
from gitopslib.sync.plan.model import Action, SyncTask, _make_task
from gitopslib.sync.plan.state import _NO_OPTIONS, _meta, _PlannerState

if TYPE_CHECKING:
    from gitopslib.diff._result import ResourceDiff


class _HookTasks(_PlannerState):
    """The planner's hook step."""

    def hook_tasks(
        self,
        rd: ResourceDiff,
        desired: dict[str, Any],
        ann: Mapping[str, Any],
        live: dict[str, Any] | None,
        info: HookInfo,
        tasks: list[SyncTask],
    ) -> None:
        if info.ignored:
            self.exclude(rd, info.describe())
            return
        if not info.sync_phases:
            self.exclude(
                rd,
                f"{'/'.join(info.delete_phases)} hook: runs only when the Application is "
                "deleted (see plan_delete)",
            )
            return
        if self.skip_hooks:
            self.exclude(
                rd,
                "hooks do not run in a selective sync"
                if self.selection
                else "hooks are skipped (skip_hooks)",
            )
            return
        wave, source = self.fast_wave(desired, ann)
        res = OptionList.from_annotations(ann)
        if res.items:
            res.check(f"{rd.kind} {rd.name}", strict=self.strict, warnings=self.warnings)
        meta = _meta(desired)
        given_name = meta.get("name")
        generate = (meta.get("generateName") or None) if not given_name else None
        # the same for every phase of the hook
        hook_live = live if generate is None else None
        bhc = "BeforeHookCreation" in info.delete_policies
        action: Action = "create" if hook_live is None or bhc else "apply"
        namespace = self.namespace_of(rd)
        options = self.merged_options(res)
        described, policy_note = self.hook_notes(info)
        head = [described, self.wave_text(wave, source)]
        if generate is not None:
            head.append(f"named from generateName {generate!r} + revision, phase and start time")
        if hook_live is not None and bhc:
            head.append(f"existing {rd.kind} deleted first (BeforeHookCreation)")
        elif hook_live is not None:
            head.append("existing object re-applied (no BeforeHookCreation)")
        head.append(policy_note)
        live_res = OptionList.from_object(hook_live) if hook_live is not None else _NO_OPTIONS
        settings = bool(self.app_flags or res.items or live_res.items or self.crd_kinds)
        suffixes = self._hook_suffixes
        for phase in info.sync_phases:
            if given_name:
                name = str(given_name)
            else:
                suffix = suffixes.get(phase) or self.hook_suffix(phase)
                name = f"{meta.get('generateName') or ''}{suffix}"
            obj = desired
            if generate is not None:
                obj = dict(desired)
                obj["metadata"] = {**meta, "name": name}
            task = _make_task(
                phase, wave, rd.group, rd.kind, namespace, name, action, options, obj, hook_live
            )
            task.is_hook = True
            task.hook_delete_policies = info.delete_policies
            if source != "default":
                task.wave_source = source
            if generate is not None:
                task.generate_name = generate
            task.propagation_policy = self.propagation
            if settings:
                task.notes = (*head, *self.apply_settings(task, res, live_res, False))
            else:
                task.notes = tuple(head)
            if self.checks_rules:
                self.check_permitted(task)
            tasks.append(task)
