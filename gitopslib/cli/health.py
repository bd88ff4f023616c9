"""``gitopslib health``: health of the live objects of Applications (or of ``--live``)."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli.base import EXIT_OK, EXIT_PROBLEMS, CLIError
from gitopslib.cli.output import emit, table
from gitopslib.cli.parser import Commands, add_live_flags, add_output_flag, add_source_flags
from gitopslib.cli.session import Session, compare_app, read_live

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class _Row:
    group: str
    kind: str
    namespace: str
    name: str
    status: str
    message: str

    @property
    def where(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Judge every app's live objects (or ``--live`` alone); exit 1 unless all are Healthy,
    2 when an app failed (the others are still judged)."""
    from gitopslib.health import (
        HealthStatus,
        HealthStatusCode,
        aggregate_health,
        assess_health,
    )
    from gitopslib.manifest import key_of

    session = Session(args)
    rows: list[_Row] = []
    revisions: list[str] = []
    overall: list[HealthStatus] = []

    def judge(items: list[tuple[dict[str, Any] | None, str, str, str, str]]) -> HealthStatus:
        parts: list[tuple[dict[str, Any], HealthStatus | None]] = []
        for live, group, kind, namespace, name in items:
            if live is None:
                hs: HealthStatus | None = HealthStatus(HealthStatusCode.MISSING, "not found")
                obj: dict[str, Any] = {"kind": kind, "metadata": {"name": name}}
            else:
                hs = assess_health(live, lua_dir=args.lua_dir)
                obj = live
            parts.append((obj, hs))
            status, message = (str(hs.status), hs.message) if hs else ("-", "")
            rows.append(_Row(group, kind, namespace, name, status, message))
        return aggregate_health(parts)

    if args.apps:
        for app in session.apps():
            with session.guard():
                result = compare_app(session, app)
                items: list[tuple[dict[str, Any] | None, str, str, str, str]] = []
                for rd in result.comparison.resources:
                    if rd.hook or rd.skip or rd.requires_pruning or rd.status == "":
                        continue
                    items.append((rd.live, rd.group, rd.kind, rd.namespace, rd.name))
                hs = judge(items)
                overall.append(hs)
                meta = app.metadata
                rows.append(
                    _Row(
                        "argoproj.io",
                        "Application",
                        meta.namespace or "",
                        str(meta.name),
                        str(hs.status),
                        hs.message,
                    )
                )
                revision = session.revision_of(result.result)
                if revision:
                    revisions.append(f"Application {meta.name} (revision {revision})")
    else:
        if not args.live:
            raise CLIError("health needs Application files or --live DIR")
        items = []
        for obj in read_live(Path(args.live)):
            key = key_of(obj)
            items.append((obj, key.group, key.kind, key.namespace, key.name))
        overall.append(judge(items))
    if args.output in ("json", "yaml"):
        emit([dataclasses.asdict(r) for r in rows], args.output, out)
    else:
        out.writelines(f"{line}\n" for line in revisions)
        header = ("KIND", "NAMESPACE/NAME", "HEALTH", "MESSAGE")
        out.write(table([header, *((r.kind, r.where, r.status, r.message) for r in rows)]))
    worst = aggregate_health(overall)
    healthy = bool(overall) and worst.status == HealthStatusCode.HEALTHY
    return session.finish(EXIT_OK if healthy else EXIT_PROBLEMS)


def register(commands: Commands) -> None:
    """Add ``health``."""
    p = commands.add("health", "Health of the live objects of Applications (or of --live).", "*")
    add_source_flags(p)
    add_live_flags(p)
    add_output_flag(p, ("table", "json", "yaml"), "table")
    p.add_argument("--lua-dir", metavar="DIR", help="Lua health scripts in Argo CD's layout")
    p.set_defaults(func=run)
