"""``gitopslib health``: health of the live objects of Applications (or of ``--live``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli.base import CLIError
from gitopslib.cli.output import table
from gitopslib.cli.parser import Commands, add_live_flags, add_source_flags
from gitopslib.cli.session import Session, apps_of, compare_app, read_live

if TYPE_CHECKING:
    pass


def run(args: argparse.Namespace, out: TextIO) -> int:
    from gitopslib.health import (
        HealthStatus,
        HealthStatusCode,
        aggregate_health,
        assess_health,
    )
    from gitopslib.manifest import key_of

    session = Session(args)
    rows: list[tuple[str, str, str, str]] = []
    overall: list[HealthStatus] = []

    def judge(items: list[tuple[dict[str, Any] | None, str, str]]) -> HealthStatus:
        parts: list[tuple[dict[str, Any], HealthStatus | None]] = []
        for live, kind, where in items:
            if live is None:
                hs: HealthStatus | None = HealthStatus(HealthStatusCode.MISSING, "not found")
                obj: dict[str, Any] = {"kind": kind, "metadata": {"name": where}}
            else:
                hs = assess_health(live, lua_dir=args.lua_dir)
                obj = live
            parts.append((obj, hs))
            rows.append((kind, where, str(hs.status) if hs else "-", hs.message if hs else ""))
        return aggregate_health(parts)

    if args.apps:
        for app in apps_of(args):
            run = compare_app(session, app)
            items = []
            for rd in run.comparison.resources:
                if rd.hook or rd.skip or rd.requires_pruning or rd.status == "":
                    continue
                where = f"{rd.namespace}/{rd.name}" if rd.namespace else rd.name
                items.append((rd.live, rd.kind, where))
            hs = judge(items)
            overall.append(hs)
            rows.append(("Application", str(app.metadata.name), str(hs.status), hs.message))
    else:
        if not args.live:
            raise CLIError("health needs Application files or --live DIR")
        items = []
        for obj in read_live(Path(args.live)):
            key = key_of(obj)
            where = f"{key.namespace}/{key.name}" if key.namespace else key.name
            items.append((obj, key.kind, where))
        overall.append(judge(items))
    if args.output == "json":
        data = [{"kind": k, "name": n, "status": s, "message": m} for k, n, s, m in rows]
        out.write(json.dumps(data, indent=2) + "\n")
    else:
        out.write(table([("KIND", "NAMESPACE/NAME", "HEALTH", "MESSAGE"), *rows]))
    worst = aggregate_health(overall)
    return 0 if worst.status == HealthStatusCode.HEALTHY else 1


def register(commands: Commands) -> None:
    """Add ``health``."""
    p = commands.add("health", "Health of the live objects of Applications (or of --live).", "*")
    add_source_flags(p)
    add_live_flags(p)
    p.add_argument("-o", "--output", choices=("table", "json"), default="table")
    p.add_argument("--lua-dir", metavar="DIR", help="Lua health scripts in Argo CD's layout")
    p.set_defaults(func=run)
