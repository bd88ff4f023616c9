"""``gitopslib diff``: unified diff live -> desired, as ``argocd app diff``.

With several apps each gets a header line (``Application NAME``, and the resolved revision
when Git was read); ``-o json|yaml`` gives the same per app as data.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli.base import EXIT_OK, EXIT_PROBLEMS, error_message
from gitopslib.cli.output import emit, one_or_many
from gitopslib.cli.parser import Commands, add_live_flags, add_output_flag, add_source_flags
from gitopslib.cli.session import AppRun, Session, compare_app

if TYPE_CHECKING:
    from gitopslib.diff import ResourceDiff


def _differing(run: AppRun) -> list[ResourceDiff]:
    """The resources that differ, as ``argocd app diff`` prints them."""
    return [
        rd
        for rd in run.comparison.resources
        if rd.status == "OutOfSync"
        and rd.diff
        and not (rd.requires_pruning and rd.ignore_extraneous)
    ]


def _as_data(run: AppRun, revision: str | None, resources: list[ResourceDiff]) -> dict[str, Any]:
    return {
        "application": str(run.app.metadata.name),
        "namespace": run.app.metadata.namespace,
        "revision": revision,
        "synced": not resources,
        "resources": [
            {
                "group": rd.group,
                "kind": rd.kind,
                "namespace": rd.namespace,
                "name": rd.name,
                "status": rd.status,
                "requires_pruning": rd.requires_pruning,
                "diff": rd.diff,
            }
            for rd in resources
        ],
    }


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Diff every app; exit 1 when one differs, 2 when one failed."""
    session = Session(args)
    apps = session.apps()
    differs = False
    data: list[dict[str, Any]] = []
    for app in apps:
        name = str(app.metadata.name)
        with session.guard():
            try:
                result = compare_app(session, app)
            except Exception as exc:
                data.append({"application": name, "error": error_message(exc)})
                raise
            resources = _differing(result)
            differs = differs or bool(resources)
            revision = session.revision_of(result.result)
            if args.output != "text":
                data.append(_as_data(result, revision, resources))
                continue
            if len(apps) > 1 or revision:
                at = f" (revision {revision})" if revision else ""
                status = "" if resources else ": no differences"
                out.write(f"Application {name}{at}{status}\n")
            for rd in resources:
                gk = f"{rd.group}/{rd.kind}" if rd.group else rd.kind
                out.write(f"===== {gk} {rd.namespace}/{rd.name} ======\n")
                out.write(rd.diff if rd.diff.endswith("\n") else rd.diff + "\n")
    if args.output != "text" and data:
        emit(one_or_many(data), args.output, out)
    return session.finish(EXIT_PROBLEMS if differs else EXIT_OK)


def register(commands: Commands) -> None:
    """Add ``diff``."""
    p = commands.add("diff", "Unified diff live -> desired; exit 0 same, 1 different, 2 error.")
    add_source_flags(p)
    add_live_flags(p)
    add_output_flag(p, ("text", "json", "yaml"), "text")
    p.set_defaults(func=run)
