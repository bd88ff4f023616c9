"""Readable views of a :class:`~gitopslib.sync.plan.SyncPlan`: a text table and a Mermaid
flowchart (for pull-request comments). Both are deterministic: the same plan gives the same
bytes.

>>> from gitopslib.sync.plan import SyncPlan, SyncTask
>>> plan = SyncPlan(tasks=[SyncTask("Sync", 0, "", "ConfigMap", "ns", "cfg", "create")])
>>> print(render_table(plan).splitlines()[0])
PHASE  WAVE  ACTION  KIND       NAMESPACE/NAME  REASON
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitopslib.sync.plan import SyncPlan, SyncTask

__all__ = ["escape_mermaid", "render_table", "to_mermaid"]

_HEADER = ("PHASE", "WAVE", "ACTION", "KIND", "NAMESPACE/NAME", "REASON")
#: Tasks listed per wave box in the flowchart before "... and N more".
MAX_TASKS_PER_NODE = 12


def _where(task: SyncTask) -> str:
    return f"{task.namespace}/{task.name}" if task.namespace else task.name


def _reason(task: SyncTask) -> str:
    if task.invalid:
        return f"INVALID: {task.invalid}; {task.reason}"
    if task.skipped:
        return f"SKIPPED: {task.reason}"
    return task.reason


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def render_table(plan: SyncPlan) -> str:
    """The plan as a fixed-width table: phase, wave, action, kind, namespace/name, reason.

    SyncFail tasks, excluded objects and warnings follow in their own sections.
    """
    rows: list[tuple[str, ...]] = [_HEADER]
    for task in [*plan.tasks, *plan.sync_fail_tasks]:
        rows.append(
            (task.phase, str(task.wave), task.action, task.kind, _where(task), _reason(task))
        )
    lines = _table(rows)
    if plan.excluded:
        lines.append("")
        lines.append("Not part of the sync:")
        sub: list[tuple[str, ...]] = [("KIND", "NAMESPACE/NAME", "REASON")]
        for item in plan.excluded:
            where = f"{item.namespace}/{item.name}" if item.namespace else item.name
            sub.append((item.kind, where, item.reason))
        lines.extend("  " + line for line in _table(sub))
    if plan.warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  - {w}" for w in plan.warnings)
    if not plan.valid:
        lines.append("")
        lines.append("The sync would fail: one or more synchronization tasks are not valid.")
    return "\n".join(lines) + "\n"


def escape_mermaid(text: str) -> str:
    """``text`` made safe inside a double-quoted Mermaid label (entity codes).

    >>> escape_mermaid('a "b" <c> #1 & d')
    'a #quot;b#quot; #lt;c#gt; #35;1 #amp; d'
    """
    out = text.replace("#", "#35;")
    # "#35;" itself contains '#', so escape the rest without touching it again
    return (
        out.replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("`", "#96;")
        .replace("\n", " ")
    )


def _task_line(task: SyncTask) -> str:
    mark = ""
    if task.invalid:
        mark = " (INVALID)"
    elif task.skipped:
        mark = " (skipped)"
    hook = " hook" if task.is_hook else ""
    return escape_mermaid(f"{task.action} {task.kind}{hook} {_where(task)}{mark}")


def _node_label(title: str, tasks: list[SyncTask]) -> str:
    lines = [f"<b>{escape_mermaid(title)}</b>"]
    shown = tasks[:MAX_TASKS_PER_NODE]
    lines.extend(_task_line(t) for t in shown)
    if len(tasks) > len(shown):
        lines.append(f"... and {len(tasks) - len(shown)} more")
    return "<br/>".join(lines)


def to_mermaid(plan: SyncPlan) -> str:
    """A Mermaid ``flowchart TD``: one subgraph per phase, one box per wave listing its tasks,
    arrows labelled with the health gate between waves; SyncFail hooks apart.
    """
    lines = ["flowchart TD"]
    start_label = "delete start" if plan.kind == "delete" else "sync start"
    lines.append(f'  start(["{start_label}"])')
    waves = plan.waves()
    phase_index: dict[str, int] = {}
    current_phase: str | None = None
    for index, wave in enumerate(waves):
        if wave.phase != current_phase:
            if current_phase is not None:
                lines.append("  end")
            phase_index.setdefault(wave.phase, len(phase_index))
            lines.append(
                f'  subgraph phase{phase_index[wave.phase]}["{escape_mermaid(wave.phase)}"]'
            )
            current_phase = wave.phase
        label = _node_label(f"wave {wave.wave}", list(wave.tasks))
        lines.append(f'    w{index}["{label}"]')
    if current_phase is not None:
        lines.append("  end")
    previous = "start"
    for index in range(len(waves)):
        if index == 0:
            lines.append(f"  start --> w{index}")
        else:
            lines.append(f"  {previous} -->|all done and Healthy| w{index}")
        previous = f"w{index}"
    end_label = "deleted" if plan.kind == "delete" else "synced"
    lines.append(f'  done(["{end_label}"])')
    if waves:
        gate = "all done and Healthy" if waves[-1].gated else "applied, not health-gated"
        lines.append(f"  {previous} -->|{gate}| done")
    else:
        lines.append("  start --> done")
    if plan.sync_fail_tasks:
        label = _node_label("SyncFail: all at once", plan.sync_fail_tasks)
        lines.append('  subgraph syncfail["SyncFail (only when the sync fails)"]')
        lines.append(f'    fail["{label}"]')
        lines.append("  end")
        lines.append("  start -.->|any task fails| fail")
    return "\n".join(lines) + "\n"
