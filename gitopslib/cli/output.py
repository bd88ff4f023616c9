"""Output formats shared by commands: JSON/YAML, plain tables, Markdown and Mermaid plans."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from gitopslib.sync import SyncPlan


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as left-aligned columns two spaces apart (the last column unpadded)."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [str(c).ljust(widths[i]) for i, c in enumerate(row[:-1])]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return "\n".join(lines) + "\n"


def plan_markdown(plan: SyncPlan) -> str:
    def cell(text: object) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| phase | wave | action | kind | namespace/name | reason |",
        "|---|---:|---|---|---|---|",
    ]
    for t in [*plan.tasks, *plan.sync_fail_tasks]:
        where = f"{t.namespace}/{t.name}" if t.namespace else t.name
        reason = t.reason
        if t.invalid:
            reason = f"INVALID: {t.invalid}; {reason}"
        elif t.skipped:
            reason = f"SKIPPED: {reason}"
        lines.append(
            "| "
            + " | ".join(cell(c) for c in (t.phase, t.wave, t.action, t.kind, where, reason))
            + " |"
        )
    if not plan.tasks and not plan.sync_fail_tasks:
        lines.append("| | | | | nothing to do | |")
    for warning in plan.warnings:
        lines.append(f"\n> warning: {cell(warning)}")
    return "\n".join(lines) + "\n"


_MERMAID_NODE = re.compile(r"^(\s*)(subgraph )?([A-Za-z_]\w*)(?=[\[(])")
_MERMAID_EDGE = re.compile(r"^(\s*)([A-Za-z_]\w*) (-->|-\.->)(\|[^|]*\|)? ([A-Za-z_]\w*)$")


def mermaid_of_many(plans: Sequence[SyncPlan]) -> str:
    """One Mermaid flowchart for several plans: each app's diagram in a subgraph of its
    own, node ids prefixed so the apps do not share nodes (concatenated ``flowchart``
    blocks are not a valid diagram)."""
    from gitopslib.sync import escape_mermaid

    lines = ["flowchart TD"]
    for i, plan in enumerate(plans):
        prefix = f"app{i}_"
        title = escape_mermaid(plan.app_name or f"app {i + 1}")
        lines.append(f'  subgraph app{i}["Application {title}"]')
        for line in plan.to_mermaid().splitlines()[1:]:
            edge = _MERMAID_EDGE.match(line)
            if edge:
                indent, src, arrow, label, dst = edge.groups()
                line = f"{indent}{prefix}{src} {arrow}{label or ''} {prefix}{dst}"
            else:
                line = _MERMAID_NODE.sub(rf"\1\2{prefix}\3", line, count=1)
            lines.append(f"  {line}")
        lines.append("  end")
    return "\n".join(lines) + "\n"


def emit(data: Any, fmt: str, out: TextIO) -> None:
    """Write ``data`` as ``json`` (indented, sorted keys) or ``yaml`` (block style)."""
    if fmt == "json":
        out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        import yaml

        out.write(yaml.safe_dump(data, sort_keys=False))


def one_or_many(items: list[Any]) -> Any:
    """One app's data as an object, several as a list (as ``plan -o json`` always did)."""
    return items[0] if len(items) == 1 else items
