"""What a change does to a sync: compare two plans task by task.

Tasks are matched by identity (group, kind, namespace, name; a ``generateName`` hook by its
``generateName``, so a new revision does not look like a new hook) and, for hooks in several
phases, by phase. Each difference becomes one sentence.

>>> from gitopslib.sync.plan import SyncPlan, SyncTask
>>> old = SyncPlan(tasks=[SyncTask("PreSync", 0, "batch", "Job", "ns", "migrate", "create",
...                                is_hook=True)])
>>> new = SyncPlan(tasks=[SyncTask("Sync", 3, "batch", "Job", "ns", "migrate", "create",
...                                is_hook=True)])
>>> str(compare_plans(old, new))
'Job migrate moved from PreSync wave 0 to Sync wave 3'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gitopslib.sync.plan import SyncPlan, SyncTask

__all__ = ["ChangeKind", "PlanChange", "PlanComparison", "compare_plans"]

ChangeKind = Literal[
    "moved", "added", "removed", "now-pruned", "no-longer-pruned", "action", "skipped", "valid"
]


@dataclass(frozen=True, slots=True)
class PlanChange:
    """One difference between two plans; ``message`` says it in a sentence."""

    kind: ChangeKind
    message: str
    before: SyncTask | None = None
    after: SyncTask | None = None


@dataclass
class PlanComparison:
    """All differences from one plan to another, in the new plan's order (removals last).

    ``str()`` joins the messages with "; "; an empty comparison is falsy.
    """

    changes: list[PlanChange] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        """The change sentences."""
        return [c.message for c in self.changes]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __str__(self) -> str:
        return "; ".join(self.messages) if self.changes else "no change"


def _label(task: SyncTask) -> str:
    return f"{task.kind} {task.generate_name or task.name}"


def _where(task: SyncTask) -> str:
    return f"{task.phase} wave {task.wave}"


def _removes(task: SyncTask) -> bool:
    return task.action in ("prune", "delete") and not task.skipped


def _pair(
    old: list[SyncTask], new: list[SyncTask]
) -> list[tuple[SyncTask | None, SyncTask | None]]:
    pairs: list[tuple[SyncTask | None, SyncTask | None]] = []
    rest_old = list(old)
    rest_new: list[SyncTask] = []
    for task in new:
        match = next((o for o in rest_old if o.phase == task.phase), None)
        if match is not None:
            rest_old.remove(match)
            pairs.append((match, task))
        else:
            rest_new.append(task)
    for task in rest_new:
        if rest_old:
            pairs.append((rest_old.pop(0), task))
        else:
            pairs.append((None, task))
    pairs.extend((o, None) for o in rest_old)
    return pairs


def _describe(before: SyncTask | None, after: SyncTask | None) -> list[PlanChange]:
    if before is None and after is not None:
        if _removes(after):
            return [PlanChange("now-pruned", f"{_label(after)} will now be pruned", None, after)]
        return [
            PlanChange(
                "added",
                f"{_label(after)} is new: {after.action} in {_where(after)}",
                None,
                after,
            )
        ]
    if after is None and before is not None:
        if _removes(before):
            return [
                PlanChange("no-longer-pruned", f"{_label(before)} will no longer be pruned", before)
            ]
        return [PlanChange("removed", f"{_label(before)} is no longer synced", before)]
    assert before is not None and after is not None
    out: list[PlanChange] = []
    if _removes(after) and not _removes(before):
        out.append(PlanChange("now-pruned", f"{_label(after)} will now be pruned", before, after))
    elif _removes(before) and not _removes(after):
        why = f" ({after.reason.split(';')[0]})" if after.skipped else ""
        out.append(
            PlanChange(
                "no-longer-pruned", f"{_label(after)} will no longer be pruned{why}", before, after
            )
        )
    elif before.action != after.action:
        out.append(
            PlanChange(
                "action",
                f"{_label(after)}: {before.action} becomes {after.action}",
                before,
                after,
            )
        )
    if (before.phase, before.wave) != (after.phase, after.wave):
        out.append(
            PlanChange(
                "moved",
                f"{_label(after)} moved from {_where(before)} to {_where(after)}",
                before,
                after,
            )
        )
    if before.skipped != after.skipped and not (_removes(before) or _removes(after)):
        state = "skipped" if after.skipped else "no longer skipped"
        out.append(
            PlanChange(
                "skipped",
                f"{_label(after)} is now {state} ({after.reason.split(';')[0]})",
                before,
                after,
            )
        )
    if bool(before.invalid) != bool(after.invalid):
        text = f"is now invalid: {after.invalid}" if after.invalid else "is now permitted"
        out.append(PlanChange("valid", f"{_label(after)} {text}", before, after))
    return out


def compare_plans(old: SyncPlan, new: SyncPlan) -> PlanComparison:
    """Differences from ``old`` to ``new``: moves between phases/waves, new prunes, new and
    removed tasks, action changes, skips and validity.
    """
    old_tasks = [*old.tasks, *old.sync_fail_tasks]
    new_tasks = [*new.tasks, *new.sync_fail_tasks]
    old_by: dict[tuple[str, str, str, str], list[SyncTask]] = {}
    for task in old_tasks:
        old_by.setdefault(task.identity, []).append(task)
    new_by: dict[tuple[str, str, str, str], list[SyncTask]] = {}
    for task in new_tasks:
        new_by.setdefault(task.identity, []).append(task)
    changes: list[PlanChange] = []
    seen: set[tuple[str, str, str, str]] = set()
    for task in new_tasks:
        ident = task.identity
        if ident in seen:
            continue
        seen.add(ident)
        for before, after in _pair(old_by.get(ident, []), new_by[ident]):
            changes.extend(_describe(before, after))
    for task in old_tasks:
        ident = task.identity
        if ident in seen:
            continue
        seen.add(ident)
        for before in old_by[ident]:
            changes.extend(_describe(before, None))
    return PlanComparison(changes)
