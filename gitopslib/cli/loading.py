"""Reading the inputs: Application files and folders, AppProject files."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from gitopslib.cli.base import CLIError
from gitopslib.errors import ValidationError

if TYPE_CHECKING:
    from gitopslib.models import Application
    from gitopslib.project import AppProject

YAML_SUFFIXES = (".yaml", ".yml")


def application_docs(path: Path) -> list[Application]:
    """The Application documents of one YAML file; documents of other kinds are skipped."""
    from gitopslib.models import Application, load_documents

    return [d for d in load_documents(path, skip_other_kinds=True) if isinstance(d, Application)]


def _in_chart_templates(folder: Path, rel: tuple[str, ...]) -> bool:
    """Whether ``folder/rel`` lies in the ``templates/`` folder of a Helm chart under
    ``folder``: Go templates, not YAML (an app-of-apps chart's Applications among them)."""
    return any(
        part == "templates" and (folder.joinpath(*rel[:i]) / "Chart.yaml").is_file()
        for i, part in enumerate(rel[:-1])
    )


def yaml_files(folder: Path) -> list[Path]:
    skip = {".git", "node_modules", "charts"}
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if any(part in skip or part.startswith(".") for part in rel[:-1]):
            continue
        if path.suffix in YAML_SUFFIXES and path.is_file():
            if _in_chart_templates(folder, rel):
                continue
            out.append(path)
    return out


_APP_KIND = re.compile(r"""^kind:\s*["']?Application["']?\s*(?:#.*)?$""", re.M)


def application_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files to read: given files as they are, folders searched recursively for YAML
    files that hold an Application document."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                f
                for f in yaml_files(path)
                if _APP_KIND.search(f.read_text(encoding="utf-8", errors="replace"))
            )
        elif path.is_file():
            files.append(path)
        else:
            raise CLIError(f"{path}: no such file or folder")
    return files


def no_application(file: Path) -> NoReturn:
    """Raise the error for a file named on the command line that holds no Application: the
    located ``kind`` problem when a document's kind is not an Argo CD one (a typo such as
    ``Aplication``), else which documents it does hold."""
    from gitopslib.models import load_documents

    others = load_documents(file)  # raises, naming file:line, for an unknown kind
    found = (
        ", ".join(
            f"{d.kind} {getattr(getattr(d, 'metadata', None), 'name', None)!r}" for d in others
        )
        or "it is empty"
    )
    raise ValidationError(f"no Application document in this file (found {found})", file=str(file))


def load_applications(paths: Sequence[str | os.PathLike[str]]) -> list[Application]:
    """Every Application in the given files and folders (folders are searched recursively;
    documents of other kinds are skipped; a malformed Application is an error naming
    file:line).

    >>> [a.metadata.name for a in load_applications(["examples/01-directory-app/application.yaml"])]
    ['guestbook']
    """
    apps: list[Application] = []
    for file in application_files(paths):
        found = application_docs(file)
        if not found and file in map(Path, paths):
            no_application(file)
        apps.extend(found)
    if not apps:
        raise CLIError(f"no Application found in {', '.join(str(p) for p in paths)}")
    return apps


def load_projects(path: str) -> list[AppProject]:
    """Every AppProject of a file or folder, with the rules Argo CD applies when a project
    is saved (sync windows, role policies) checked at their file and line."""
    from gitopslib.models import load_documents
    from gitopslib.project import AppProject

    files = yaml_files(Path(path)) if Path(path).is_dir() else [Path(path)]
    projects: list[AppProject] = []
    for file in files:
        for doc in load_documents(file, skip_other_kinds=True, kinds={"AppProject": AppProject}):
            if isinstance(doc, AppProject):
                projects.append(doc)
    if not projects:
        raise CLIError(f"{path}: no AppProject document found")
    return projects


def project_for(app: Application, projects: Sequence[AppProject] | None) -> AppProject | None:
    """The AppProject the app names; Argo CD's built-in ``default`` when it names that one
    and no file defines it; None when no projects were given."""
    from gitopslib.project import AppProject

    if projects is None:
        return None
    wanted = app.spec.project or "default"
    for proj in projects:
        if proj.metadata.name == wanted:
            return proj
    if wanted == "default":
        return AppProject.default()
    raise CLIError(
        f"Application {app.metadata.name!r} names project {wanted!r}, which none of the "
        "given AppProject files defines"
    )
