"""``gitopslib validate``: check Applications (model, project policy, schemas)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli.base import CLIError, one_line
from gitopslib.cli.loading import application_docs, application_files, load_projects, project_for
from gitopslib.cli.overrides import apply_overrides, overrides_from
from gitopslib.cli.parser import Commands, add_source_flags
from gitopslib.cli.session import Session
from gitopslib.errors import ValidationError

if TYPE_CHECKING:
    from gitopslib.models import Application


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


def run(args: argparse.Namespace, out: TextIO) -> int:
    from gitopslib.manifest import is_cluster_scoped, key_of

    session = Session(args)
    projects = load_projects(args.project) if args.project else None
    overrides = overrides_from(args)
    problems = 0
    apps: list[Application] = []
    for file in application_files(args.apps):
        # every file is checked: a malformed one is reported and the others still run
        try:
            found = application_docs(file)
        except ValidationError as exc:
            problems += 1
            out.write(f"{one_line(str(exc))}\n")
            continue
        apps.extend(apply_overrides(app, overrides) for app in found)
    if not apps and not problems:
        raise CLIError(f"no Application found in {', '.join(args.apps)}")
    for app in apps:
        name = str(app.metadata.name)
        found_problems: list[str] = _spec_problems(app)
        project = project_for(app, projects)
        if project is not None:
            found_problems.extend(
                f"project {project.metadata.name}: {v.message}" for v in project.check(app)
            )
        if args.kube_version or args.render:
            result = session.render(app)
            if project is not None:
                dest_ns = app.spec.destination.namespace or ""
                for obj in result.manifests:
                    key = key_of(obj, default_namespace=dest_ns)
                    namespaced = not is_cluster_scoped(key.group, key.kind)
                    if not project.is_resource_permitted(key.group, key.kind, namespaced, key.name):
                        gk = f"{key.group}/{key.kind}" if key.group else key.kind
                        found_problems.append(
                            f"project {project.metadata.name}: resource {gk} {key.name!r} "
                            "is not permitted"
                        )
            if args.kube_version:
                found_problems.extend(_schema_problems(result.manifests, args.kube_version))
        if found_problems:
            problems += len(found_problems)
            for line in found_problems:
                out.write(f"{name}: {line}\n")
        else:
            out.write(f"{name}: valid\n")
    return 1 if problems else 0


def _spec_problems(app: Application) -> list[str]:
    """What Argo CD's API server refuses in an Application spec that still loads as YAML
    (a snippet without destination or source): its ValidateRepo/ValidateDestination rules."""
    problems: list[str] = []
    dest = app.spec.destination
    if dest is None or not (dest.server or dest.name):
        problems.append("spec.destination: required: set server or name (and namespace)")
    sources = (
        [("spec.source", app.spec.source)]
        if not app.spec.sources
        else [(f"spec.sources[{i}]", s) for i, s in enumerate(app.spec.sources)]
    )
    for field_path, source in sources:
        if source is None:
            problems.append(f"{field_path}: required: the application has no source")
            continue
        if not source.repo_url or not (source.path or source.chart or source.ref):
            problems.append(f"{field_path}: repoURL and one of path, chart or ref are required")
    return problems


def register(commands: Commands) -> None:
    """Add ``validate``."""
    p = commands.add("validate", "Check Applications: model, project policy, schemas.")
    add_source_flags(p)
    p.add_argument("--project", metavar="FILE", help="AppProject YAML file or folder")
    p.add_argument("--render", action="store_true", help="also render and check resources")
    p.set_defaults(func=run)
