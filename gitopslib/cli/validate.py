"""``gitopslib validate``: check Applications (model, project policy, schemas)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli.base import EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS, CLIError, one_line
from gitopslib.cli.loading import (
    application_docs,
    application_files,
    load_projects,
    no_application,
    project_for,
)
from gitopslib.cli.locate import Located, LocatedError, locate, source_field
from gitopslib.cli.output import emit, one_or_many
from gitopslib.cli.overrides import apply_overrides
from gitopslib.cli.parser import Commands, add_output_flag, add_source_flags
from gitopslib.cli.session import Session
from gitopslib.errors import GitOpsError, ValidationError

if TYPE_CHECKING:
    from gitopslib.models import Application
    from gitopslib.project import AppProject


def _schema_message(obj: dict[str, Any], exc: Any) -> str:
    """The schema problem in one line; for a Secret without the offending value (the
    schema's message quotes it, and Secret values never appear in output).

    >>> class Problem:
    ...     validator, validator_value = "type", ["string", "null"]
    ...     message = "12345 is not of type 'string', 'null'"
    >>> _schema_message({"apiVersion": "v1", "kind": "Secret"}, Problem())
    "the value is not of type 'string', 'null'"
    """
    if obj.get("kind") != "Secret" or obj.get("apiVersion") != "v1":
        return one_line(exc.message)
    expected = exc.validator_value
    if exc.validator == "type":
        types = expected if isinstance(expected, list) else [expected]
        return "the value is not of type " + ", ".join(repr(t) for t in types)
    return f"the value does not satisfy the schema's {exc.validator!r} rule"


def _schema_problems(objs: Sequence[dict[str, Any]], version: str) -> list[str]:
    try:
        import kubernetes_validate
    except ImportError:
        raise CLIError(
            "--kube-version validation needs kubernetes-validate: pip install gitopslib[validate]"
        ) from None
    import logging

    logging.getLogger("kubernetes_validate").setLevel(logging.ERROR)
    problems: list[str] = []
    for obj in objs:
        meta = obj.get("metadata") or {}
        what = f"{obj.get('kind')} {meta.get('name') or meta.get('generateName') or '?'}"
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            continue  # custom resources: no published schema to check against
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path) or "(root)"
            problems.append(f"{what}: {where}: {_schema_message(obj, exc)}")
        except kubernetes_validate.utils.VersionNotSupportedError:
            raise CLIError(
                f"--kube-version {version}: no schemas for that version "
                f"(latest: {kubernetes_validate.latest_version()})"
            ) from None
    return problems


@dataclass
class _Report:
    """What validate found in one app (or in a file that holds no valid app)."""

    app: str | None
    file: str | None
    problems: list[Located] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "application": self.app,
            "file": self.file,
            "valid": not self.problems,
            "problems": [p.to_dict() for p in self.problems],
        }


def _file_problem(exc: ValidationError) -> Located:
    return Located(exc.reason, file=exc.file, line=exc.line, column=exc.column, field=exc.field)


def _check_app(
    session: Session, app: Application, projects: list[AppProject] | None
) -> list[Located]:
    from gitopslib.manifest import is_cluster_scoped, key_of

    args = session.args
    problems = _spec_problems(app)
    project = project_for(app, projects)
    if project is not None:
        for v in project.check(app):
            problems.append(
                locate(
                    app, v.field or "spec.project", f"project {project.metadata.name}: {v.message}"
                )
            )
    if not (args.kube_version or args.render):
        return problems
    try:
        result = session.render(app)
    except LocatedError as exc:
        session.exit_code = EXIT_ERROR
        return [*problems, exc.located]
    except GitOpsError as exc:
        session.exit_code = EXIT_ERROR
        return [*problems, locate(app, source_field(app), one_line(str(exc)))]
    where = source_field(app)
    if project is not None:
        dest_ns = app.spec.destination.namespace or ""
        for obj in result.manifests:
            key = key_of(obj, default_namespace=dest_ns)
            namespaced = not is_cluster_scoped(key.group, key.kind)
            if not project.is_resource_permitted(key.group, key.kind, namespaced, key.name):
                gk = f"{key.group}/{key.kind}" if key.group else key.kind
                problems.append(
                    locate(
                        app,
                        where,
                        f"project {project.metadata.name}: resource {gk} {key.name!r} "
                        "is not permitted",
                    )
                )
    if args.kube_version:
        problems.extend(
            locate(app, where, f"rendered {p}")
            for p in _schema_problems(result.manifests, args.kube_version)
        )
    return problems


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Check every app of every file; a file that does not load is a problem of its own and
    the others are still checked. Exit 1 when a problem is found, 2 when a render failed."""
    session = Session(args)
    projects = load_projects(args.project) if args.project else None
    named = {Path(p) for p in args.apps}
    reports: list[_Report] = []
    apps: list[Application] = []
    for raw in args.apps:
        for file in application_files([raw]):
            try:
                found = application_docs(file)
                if not found and file in named:
                    no_application(file)
            except ValidationError as exc:
                reports.append(_Report(None, str(file), [_file_problem(exc)]))
                continue
            for app in found:
                with session.guard():
                    apps.append(apply_overrides(app, session.overrides))
    if not apps and not reports and session.exit_code == EXIT_OK:
        raise CLIError(f"no Application found in {', '.join(args.apps)}")
    for app in apps:
        doc = getattr(app, "_source", None)
        reports.append(
            _Report(
                str(app.metadata.name),
                getattr(doc, "file", None),
                _check_app(session, app, projects),
            )
        )
    if args.output in ("json", "yaml"):
        emit(one_or_many([r.to_dict() for r in reports]), args.output, out)
    else:
        for report in reports:
            if not report.problems:
                out.write(f"{report.app}: valid\n")
            out.writelines(f"{p.text()}\n" for p in report.problems)
    found_any = any(r.problems for r in reports)
    return session.finish(EXIT_PROBLEMS if found_any else EXIT_OK)


def _spec_problems(app: Application) -> list[Located]:
    """What Argo CD's API server refuses in an Application spec that still loads as YAML
    (a snippet without destination or source): its ValidateRepo/ValidateDestination rules,
    each at the line where the field is (or belongs)."""
    problems: list[Located] = []
    dest = app.spec.destination
    if dest is None or not (dest.server or dest.name):
        problems.append(
            locate(app, "spec.destination", "required: set server or name (and namespace)")
        )
    sources = (
        [(("spec", "source"), app.spec.source)]
        if not app.spec.sources
        else [(("spec", "sources", i), s) for i, s in enumerate(app.spec.sources)]
    )
    for path, source in sources:
        if source is None:
            problems.append(locate(app, path, "required: the application has no source"))
            continue
        if not source.repo_url or not (source.path or source.chart or source.ref):
            problems.append(locate(app, path, "repoURL and one of path, chart or ref are required"))
    return problems


def register(commands: Commands) -> None:
    """Add ``validate``."""
    p = commands.add("validate", "Check Applications: model, project policy, schemas.")
    add_source_flags(p)
    p.add_argument("--project", metavar="FILE", help="AppProject YAML file or folder")
    p.add_argument("--render", action="store_true", help="also render and check resources")
    add_output_flag(p, ("text", "json", "yaml"), "text")
    p.set_defaults(func=run)
