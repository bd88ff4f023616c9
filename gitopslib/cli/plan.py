"""``gitopslib plan``: the ordered sync plan (phases, waves, hooks, prunes)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from gitopslib.cli.base import EXIT_OK, EXIT_PROBLEMS, one_line
from gitopslib.cli.loading import load_projects, project_for
from gitopslib.cli.output import emit, mermaid_of_many, one_or_many, plan_markdown
from gitopslib.cli.parser import Commands, add_live_flags, add_output_flag, add_source_flags
from gitopslib.cli.session import Session, compare_app, plan_of
from gitopslib.giturl import mask_credentials

if TYPE_CHECKING:
    from gitopslib.sync import SyncPlan

PLAN_OUTPUTS = ("table", "json", "yaml", "markdown", "mermaid")


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Plan every app; exit 1 when a plan has invalid tasks or a project refuses the app, 2
    when an app failed (the others are still planned)."""
    session = Session(args)
    projects = load_projects(args.project) if args.project else None
    plans: list[SyncPlan] = []
    revisions: list[str | None] = []
    refused = False
    apps = session.apps()
    for app in apps:
        with session.guard():
            project = project_for(app, projects)
            if project is not None:
                # Argo CD refuses to sync an app its project does not admit (source
                # repository, destination, namespace): say so, and exit 1 as for a plan with
                # invalid tasks
                for violation in project.check(app):
                    refused = True
                    print(
                        f"gitopslib: {app.metadata.name}: project {project.metadata.name}: "
                        f"{mask_credentials(one_line(violation.message))}",
                        file=sys.stderr,
                    )
            result = compare_app(session, app)
            plans.append(plan_of(result, project, True if args.prune else None))
            revisions.append(session.revision_of(result.result))
    code = EXIT_OK if all(p.valid for p in plans) and not refused else EXIT_PROBLEMS
    fmt = args.output
    if fmt in ("json", "yaml"):
        if plans:
            emit(one_or_many([p.to_dict() for p in plans]), fmt, out)
        return session.finish(code)
    for i, (plan, revision) in enumerate(zip(plans, revisions, strict=True)):
        title = plan.app_name or "app"
        at = f" (revision {revision})" if revision else ""
        if fmt == "markdown":
            out.write(f"{'' if i == 0 else chr(10)}### {title}{at}\n\n{plan_markdown(plan)}")
        elif fmt == "mermaid":
            if len(plans) > 1:
                out.write(mermaid_of_many(plans))
                break
            out.write(plan.to_mermaid().rstrip("\n") + "\n")
        else:
            if len(apps) > 1 or revision:
                out.write(f"{'' if i == 0 else chr(10)}Application {title}{at}\n")
            out.write(plan.render_table().rstrip("\n") + "\n")
    return session.finish(code)


def register(commands: Commands) -> None:
    """Add ``plan``."""
    p = commands.add("plan", "The ordered sync plan (phases, waves, hooks, prunes).")
    add_source_flags(p)
    add_live_flags(p)
    add_output_flag(p, PLAN_OUTPUTS, "table")
    p.add_argument("--project", metavar="FILE", help="AppProject YAML: deny rules mark tasks")
    p.add_argument("--prune", action="store_true", help="allow prunes (as argocd app sync --prune)")
    p.set_defaults(func=run)
