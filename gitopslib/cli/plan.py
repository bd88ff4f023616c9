"""``gitopslib plan``: the ordered sync plan (phases, waves, hooks, prunes)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli.base import one_line
from gitopslib.cli.loading import load_projects, project_for
from gitopslib.cli.output import mermaid_of_many, plan_markdown
from gitopslib.cli.parser import Commands, add_live_flags, add_source_flags
from gitopslib.cli.session import Session, apps_of, compare_app, plan_of
from gitopslib.giturl import mask_credentials

if TYPE_CHECKING:
    from gitopslib.sync import SyncPlan

PLAN_OUTPUTS = ("table", "json", "yaml", "markdown", "mermaid")


def run(args: argparse.Namespace, out: TextIO) -> int:
    import yaml

    session = Session(args)
    projects = load_projects(args.project) if args.project else None
    plans: list[SyncPlan] = []
    refused = False
    for app in apps_of(args):
        project = project_for(app, projects)
        if project is not None:
            # Argo CD refuses to sync an app its project does not admit (source repository,
            # destination, namespace): say so, and exit 1 as for a plan with invalid tasks
            for violation in project.check(app):
                refused = True
                print(
                    f"gitopslib: {app.metadata.name}: project {project.metadata.name}: "
                    f"{mask_credentials(one_line(violation.message))}",
                    file=sys.stderr,
                )
        run = compare_app(session, app)
        plans.append(plan_of(run, project, True if args.prune else None))
    fmt = args.output
    if fmt in ("json", "yaml"):
        data: Any = [p.to_dict() for p in plans]
        if len(plans) == 1:
            data = data[0]
        if fmt == "json":
            out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        else:
            out.write(yaml.safe_dump(data, sort_keys=False))
        return 0 if all(p.valid for p in plans) and not refused else 1
    for i, plan in enumerate(plans):
        title = plan.app_name or "app"
        if fmt == "markdown":
            out.write(f"{'' if i == 0 else chr(10)}### {title}\n\n{plan_markdown(plan)}")
        elif fmt == "mermaid":
            if len(plans) > 1:
                out.write(mermaid_of_many(plans))
                break
            out.write(plan.to_mermaid().rstrip("\n") + "\n")
        else:
            if len(plans) > 1:
                out.write(f"{'' if i == 0 else chr(10)}Application {title}\n")
            out.write(plan.render_table().rstrip("\n") + "\n")
    return 0 if all(p.valid for p in plans) and not refused else 1


def register(commands: Commands) -> None:
    """Add ``plan``."""
    p = commands.add("plan", "The ordered sync plan (phases, waves, hooks, prunes).")
    add_source_flags(p)
    add_live_flags(p)
    p.add_argument("-o", "--output", choices=PLAN_OUTPUTS, default="table")
    p.add_argument("--project", metavar="FILE", help="AppProject YAML: deny rules mark tasks")
    p.add_argument("--prune", action="store_true", help="allow prunes (as argocd app sync --prune)")
    p.set_defaults(func=run)
