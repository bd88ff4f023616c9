"""Prune tasks (:class:`_PruneTasks`): one per live object Git no longer has, skipped or
waiting for confirmation as its options say, and their waves: mirrored among themselves
(§1.6), ``PruneLast`` ones after the last Sync wave."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitopslib.sync._options import OptionList, resolve
from gitopslib.sync.plan.model import SyncTask, _make_task
from gitopslib.sync.plan.state import _NO_ANNOTATIONS, _PlannerState

if TYPE_CHECKING:
    from gitopslib.diff._result import ResourceDiff


class _PruneTasks(_PlannerState):
    """The planner's prune step."""

    def prune_task(self, rd: ResourceDiff, live: dict[str, Any]) -> SyncTask:
        meta = live.get("metadata")
        ann = (meta.get("annotations") if meta else None) or _NO_ANNOTATIONS
        wave, source = self.fast_wave(live, ann)
        res = OptionList.from_annotations(ann)
        if res.items:
            res.check(f"live {rd.kind} {rd.name}", strict=self.strict, warnings=self.warnings)
            prune_value = resolve("Prune", res, self.app_opts)
        else:
            prune_value = self.app_prune
        task = _make_task(
            "Sync",
            wave,
            rd.group,
            rd.kind,
            rd.namespace,
            rd.name,
            "prune",
            self.merged_options(res),
            live,
            live,
        )
        if source != "default":
            task.wave_source = source
        task.apply_mode = "delete"
        task.propagation_policy = self.propagation
        if not self.prune_enabled:
            task.skipped = True
            first = "ignored (requires pruning): pruning is not enabled for this sync"
        elif prune_value == "false":
            task.skipped = True
            where = "object" if res.get("Prune") is not None else "app"
            first = f"ignored (no prune): Prune=false on the {where}"
        else:
            first = "pruned (dry run)" if self.opts.dry_run else "pruned: not in Git"
        live_note = f"live wave {wave} ({source})"
        if prune_value == "confirm" and not task.skipped:
            task.requires_confirmation = True
            if not self.opts.prune_confirmed:
                task.notes = (
                    first,
                    "Prune=confirm: waits for argocd.argoproj.io/deletion-approved on the app",
                    live_note,
                    self.propagation_note,
                )
            else:
                task.notes = (first, live_note, self.propagation_note)
        else:
            task.notes = (first, live_note, self.propagation_note)
        if self.checks_rules:
            self.check_permitted(task)
        self.prunes.append(task)
        if res.items and res.has("PruneLast=true"):
            self.prune_last.append(task)
        return task


def _mirror_prune_waves(prunes: list[SyncTask]) -> None:
    """Reverse the order of prune waves among themselves (§1.6)."""
    waves = sorted({t.wave for t in prunes})
    n = len(waves)
    if n < 2:
        return
    mirror = {waves[i]: waves[n - 1 - i] for i in range(n)}
    for task in prunes:
        new = mirror[task.wave]
        if new != task.wave:
            task.add_note(f"prune waves run in reverse: wave {task.wave} -> {new}")
            task.wave = new


def _apply_prune_last(tasks: list[SyncTask], marked: list[SyncTask], app_prune_last: bool) -> None:
    """Move the ``marked`` PruneLast prunes after the last Sync wave (at least wave 1)."""
    if not marked:
        return
    # mirroring permutes the prune waves among themselves, so the maximum is unchanged
    waves = [t.wave for t in tasks if t.phase == "Sync"]
    target = max(0, *waves) + 1
    where = "app" if app_prune_last else "object"
    for task in marked:
        task.add_note(f"PruneLast=true ({where}): after the last Sync wave, in wave {target}")
        task.wave = target
