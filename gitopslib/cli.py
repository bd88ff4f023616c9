"""The ``gitopslib`` command: render, diff, plan, health, validate and preview Applications
from a CI job or a terminal, without a cluster or an Argo CD server.

Every command takes Application YAML files (or folders of them). Where the manifests come
from: ``--repo-root DIR`` (a local checkout, no network) or, without it, each source's
``repoURL`` cloned into the Git cache. Where live state comes from: ``--live DIR`` (YAML
files, e.g. ``kubectl get -o yaml`` dumps), ``--kubeconfig [--context]`` (read-only), or an
empty cluster. Argo CD's override flags (``--helm-set``, ``--values``, ``--kustomize-image``,
``--jsonnet-ext-var-str``, ...) change the app before it is rendered, as ``argocd app set``
would.

Exit codes: 0 success (``diff``: no difference), 1 differences / problems found, 2 error. An
error is one line on stderr; ``--debug`` adds the traceback.

>>> main(["--version"])  # doctest: +ELLIPSIS
gitopslib ...
0
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from gitopslib.errors import GitError, GitOpsError, RenderError, ValidationError
from gitopslib.giturl import mask_credentials

if TYPE_CHECKING:
    from gitopslib.diff import ComparisonResult
    from gitopslib.models import Application
    from gitopslib.project import AppProject
    from gitopslib.sources import RenderResult, Resolver
    from gitopslib.sync import SyncPlan

__all__ = [
    "CLIError",
    "Overrides",
    "apply_overrides",
    "build_parser",
    "load_applications",
    "main",
    "preview_report",
]

_YAML_SUFFIXES = (".yaml", ".yml")
_OUTPUTS = ("table", "json", "yaml", "markdown", "mermaid")


class CLIError(GitOpsError):
    """A usage problem the command line can name (a bad flag value, a missing file)."""


# ---------------------------------------------------------------------------------- output


class _Progress:
    """Progress lines on stderr, only when stderr is a terminal (never in CI logs)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(f"gitopslib: {mask_credentials(message)}", file=self.stream, flush=True)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return "; ".join(lines) if lines else text


# ------------------------------------------------------------------------- loading inputs


def _application_docs(path: Path) -> list[Application]:
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


def _yaml_files(folder: Path) -> list[Path]:
    skip = {".git", "node_modules", "charts"}
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if any(part in skip or part.startswith(".") for part in rel[:-1]):
            continue
        if path.suffix in _YAML_SUFFIXES and path.is_file():
            if _in_chart_templates(folder, rel):
                continue
            out.append(path)
    return out


_APP_KIND = re.compile(r"""^kind:\s*["']?Application["']?\s*(?:#.*)?$""", re.M)


def _application_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files to read: given files as they are, folders searched recursively for YAML
    files that hold an Application document."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                f
                for f in _yaml_files(path)
                if _APP_KIND.search(f.read_text(encoding="utf-8", errors="replace"))
            )
        elif path.is_file():
            files.append(path)
        else:
            raise CLIError(f"{path}: no such file or folder")
    return files


def _no_application(file: Path) -> NoReturn:
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
    for file in _application_files(paths):
        found = _application_docs(file)
        if not found and file in map(Path, paths):
            _no_application(file)
        apps.extend(found)
    if not apps:
        raise CLIError(f"no Application found in {', '.join(str(p) for p in paths)}")
    return apps


def _load_projects(path: str) -> list[AppProject]:
    from gitopslib.models import AppProject as ProjectData
    from gitopslib.models import load_documents
    from gitopslib.project import AppProject

    files = _yaml_files(Path(path)) if Path(path).is_dir() else [Path(path)]
    projects: list[AppProject] = []
    for file in files:
        for doc in load_documents(file, skip_other_kinds=True):
            if isinstance(doc, ProjectData):
                # the policy subclass re-checks what Argo CD refuses when a project is saved
                projects.append(AppProject.from_dict(doc.to_dict(), file=str(file)))
    if not projects:
        raise CLIError(f"{path}: no AppProject document found")
    return projects


def _project_for(app: Application, projects: Sequence[AppProject] | None) -> AppProject | None:
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


# --------------------------------------------------------------------- locating errors

# The source field a render error is about, from the start of its message.
_RENDER_ERROR_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("value file", ("helm", "valueFiles")),
    ("file parameter", ("helm", "fileParameters")),
    ("helm.values", ("helm", "values")),
    ("source path", ("path",)),
    ("app path", ("path",)),
    ("cannot read the app directory", ("path",)),
    ("jsonnet library path", ("directory", "jsonnet", "libs")),
    ("couldn't find plugin", ("plugin",)),
    ("plugin '", ("plugin",)),
    ("multiple application sources defined", ()),
)


def _located_render_error(app: Application, exc: GitOpsError) -> str:
    """``exc`` as one line that names the Application's file, line and the source field the
    error is about (``escape.yaml:9:11: spec.source.path: source path '..' leaves ...``).

    >>> from gitopslib.errors import PathEscapeError
    >>> from gitopslib.models import Application
    >>> app = Application.from_yaml("examples/01-directory-app/application.yaml")
    >>> err = PathEscapeError("source path '..' leaves the repository root", path="..")
    >>> print(_located_render_error(app, err))
    examples/01-directory-app/application.yaml:13:11: spec.source.path: source path '..' ...
    """
    message = _one_line(str(exc))
    spec = app.spec
    bad = getattr(exc, "path", None)
    base: tuple[str | int, ...]
    sources = list(spec.sources or [])
    if sources:
        index = next(
            (
                i
                for i, s in enumerate(sources)
                if bad is not None
                and (bad == s.path or bad in ((s.helm.value_files or []) if s.helm else []))
            ),
            0 if len(sources) == 1 else None,
        )
        base = ("spec", "sources") if index is None else ("spec", "sources", index)
        source = sources[index] if index is not None else None
    else:
        base, source = ("spec", "source"), spec.source
    field: tuple[str | int, ...] = base
    if source is not None:
        for head, sub in _RENDER_ERROR_FIELDS:
            if message.startswith(head):
                field = (*base, *sub)
                break
        value_files = (source.helm.value_files or []) if source.helm else []
        if field[-1:] == ("valueFiles",) and bad in value_files:
            field = (*field, value_files.index(bad))
    name = ".".join(str(p) for p in field)
    redundant = ".".join(str(p) for p in field[len(base) :]) + ": "
    if message.startswith(redundant):
        message = message[len(redundant) :]
    name = re.sub(r"\.(\d+)", r"[\1]", name)
    doc = getattr(app, "_source", None)
    file = getattr(doc, "file", None)
    locations = getattr(doc, "locations", None)
    line = column = None
    if locations is not None:
        line, column = locations.of(field)
    if file is None:
        return f"Application {app.metadata.name!r}: {name}: {message}"
    where = file + (f":{line}" if line else "") + (f":{column}" if line and column else "")
    return f"{where}: {name}: {message}"


# ---------------------------------------------------------------------------- overrides


def _pair(flag: str, text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise CLIError(f"{flag} {text!r}: expected NAME=VALUE")
    return name, value


def _upsert(items: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    for i, item in enumerate(items):
        if item.get("name") == entry["name"]:
            items[i] = entry
            return
    items.append(entry)


def _image_name(image: str) -> tuple[str, str]:
    """The (delimiter, name) of a Kustomize image override: ``name=new``, ``name:tag`` or
    ``name@digest``; two overrides replace each other when both agree."""
    for delim in ("=", "@", ":"):
        if delim in image:
            return delim, image.split(delim, 1)[0]
    return ":", image


@dataclass
class Overrides:
    """Argo CD's ``argocd app set`` override flags, applied to one source of an app."""

    helm_set: list[str] = field(default_factory=list)
    helm_set_string: list[str] = field(default_factory=list)
    helm_set_file: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    release_name: str | None = None
    kustomize_images: list[str] = field(default_factory=list)
    name_prefix: str | None = None
    name_suffix: str | None = None
    jsonnet_ext_str: list[str] = field(default_factory=list)
    jsonnet_ext_code: list[str] = field(default_factory=list)
    jsonnet_tla_str: list[str] = field(default_factory=list)
    jsonnet_tla_code: list[str] = field(default_factory=list)
    jsonnet_libs: list[str] = field(default_factory=list)
    source_position: int | None = None

    def empty(self) -> bool:
        """Whether no override is set."""
        return not any(getattr(self, f) for f in vars(self) if f != "source_position") and all(
            v is None for v in (self.release_name, self.name_prefix, self.name_suffix)
        )


def apply_overrides(app: Application, overrides: Overrides) -> Application:
    """A copy of ``app`` with the overrides applied to one of its sources (the only one, or
    ``source_position``, 1-based, of a multi-source app), as ``argocd app set`` does:
    parameters and variables replace same-named ones, ``values`` replaces the value files,
    a Kustomize image replaces the override of the same image name.

    >>> from gitopslib.models import Application
    >>> app = Application.from_yaml("examples/02-helm-app/application.yaml")
    >>> new = apply_overrides(app, Overrides(helm_set=["replicaCount=5"]))
    >>> [(p.name, p.value) for p in new.spec.source.helm.parameters][-1]
    ('replicaCount', '5')
    """
    from gitopslib.models import Application

    if overrides.empty():
        return app
    data = app.to_dict()
    spec = data.setdefault("spec", {})
    sources = spec.get("sources")
    if sources:
        pos = overrides.source_position
        if pos is None:
            if len(sources) != 1:
                raise CLIError(
                    f"Application {app.metadata.name!r} has {len(sources)} sources: "
                    "say which one to override with --source-position N"
                )
            pos = 1
        if not 1 <= pos <= len(sources):
            raise CLIError(f"--source-position {pos}: the app has {len(sources)} sources")
        target = sources[pos - 1]
    else:
        target = spec.get("source")
        if target is None:
            raise CLIError(f"Application {app.metadata.name!r} has no source to override")
    o = overrides
    if o.helm_set or o.helm_set_string or o.helm_set_file or o.values or o.release_name:
        helm = target.setdefault("helm", {})
        params = helm.setdefault("parameters", [])
        for text in o.helm_set:
            name, value = _pair("--helm-set", text)
            _upsert(params, {"name": name, "value": value})
        for text in o.helm_set_string:
            name, value = _pair("--helm-set-string", text)
            _upsert(params, {"name": name, "value": value, "forceString": True})
        if not params:
            helm.pop("parameters")
        for text in o.helm_set_file:
            name, value = _pair("--helm-set-file", text)
            _upsert(helm.setdefault("fileParameters", []), {"name": name, "path": value})
        if o.values:
            helm["valueFiles"] = list(o.values)
        if o.release_name:
            helm["releaseName"] = o.release_name
    if o.kustomize_images or o.name_prefix is not None or o.name_suffix is not None:
        kustomize = target.setdefault("kustomize", {})
        images: list[str] = kustomize.setdefault("images", [])
        for image in o.kustomize_images:
            key = _image_name(image)
            images[:] = [i for i in images if _image_name(i) != key]
            images.append(image)
        if not images:
            kustomize.pop("images")
        if o.name_prefix is not None:
            kustomize["namePrefix"] = o.name_prefix
        if o.name_suffix is not None:
            kustomize["nameSuffix"] = o.name_suffix
    jsonnet_vars = (
        ("extVars", o.jsonnet_ext_str, False, "--jsonnet-ext-var-str"),
        ("extVars", o.jsonnet_ext_code, True, "--jsonnet-ext-var-code"),
        ("tlas", o.jsonnet_tla_str, False, "--jsonnet-tla-str"),
        ("tlas", o.jsonnet_tla_code, True, "--jsonnet-tla-code"),
    )
    if any(items for _, items, _, _ in jsonnet_vars) or o.jsonnet_libs:
        jsonnet = target.setdefault("directory", {}).setdefault("jsonnet", {})
        for list_key, items, code, flag in jsonnet_vars:
            for text in items:
                name, value = _pair(flag, text)
                entry: dict[str, Any] = {"name": name, "value": value}
                if code:
                    entry["code"] = True
                _upsert(jsonnet.setdefault(list_key, []), entry)
        if o.jsonnet_libs:
            jsonnet["libs"] = list(o.jsonnet_libs)
    source = getattr(app, "_source", None)
    changed = Application.from_dict(data, file=getattr(source, "file", None))
    # keep pointing at the lines of the file the user wrote (errors name file:line)
    new_source = getattr(changed, "_source", None)
    locations = getattr(source, "locations", None)
    if new_source is not None and locations is not None:
        new_source.locations = locations
    return changed


def _overrides_from(args: argparse.Namespace) -> Overrides:
    return Overrides(
        helm_set=args.helm_set or [],
        helm_set_string=args.helm_set_string or [],
        helm_set_file=args.helm_set_file or [],
        values=args.values or [],
        release_name=args.release_name,
        kustomize_images=args.kustomize_image or [],
        name_prefix=args.nameprefix,
        name_suffix=args.namesuffix,
        jsonnet_ext_str=args.jsonnet_ext_var_str or [],
        jsonnet_ext_code=args.jsonnet_ext_var_code or [],
        jsonnet_tla_str=args.jsonnet_tla_str or [],
        jsonnet_tla_code=args.jsonnet_tla_code or [],
        jsonnet_libs=args.jsonnet_libs or [],
        source_position=args.source_position,
    )


# ------------------------------------------------------------------ rendering and live state


class _Session:
    """What one command invocation shares: resolvers, caches, live state, progress."""

    def __init__(self, args: argparse.Namespace) -> None:
        plugins_dir = getattr(args, "plugins_dir", None)
        if plugins_dir and not Path(plugins_dir).is_dir():
            raise CLIError(f"--plugins-dir {plugins_dir}: no such folder")
        self.args = args
        self.progress = _Progress()
        self._repos: dict[str, Any] = {}
        self._live: list[dict[str, Any]] | None = None
        self._cluster: Any = None
        self._cache: Any = None

    # rendering

    def resolver(self, app: Application) -> Resolver:
        from gitopslib.sources import Resolver

        args = self.args
        if args.repo_root:
            root = Path(args.repo_root)
            if not root.is_dir():
                raise CLIError(f"--repo-root {root}: no such folder")
            return Resolver(default=root, revision=args.revision)
        from gitopslib.git import GitRepository

        urls: list[str] = []
        for source in app.spec.all_sources():
            if source.chart:
                raise CLIError(
                    f"Application {app.metadata.name!r}: Helm repository charts "
                    f"({source.repo_url} {source.chart}) are not fetched; vendor the chart "
                    "and use --repo-root"
                )
            if source.repo_url and source.repo_url not in urls:
                urls.append(source.repo_url)
        if not urls:
            raise CLIError(f"Application {app.metadata.name!r} names no repoURL")
        repos = {}
        for url in urls:
            if url not in self._repos:
                self.progress(f"fetching {url}")
                git_cache = Path(args.cache_dir) / "git" if args.cache_dir else None
                self._repos[url] = GitRepository(url, cache_dir=git_cache)
            repos[url] = self._repos[url]
        default = repos.pop(urls[0])
        return Resolver(repos, default=default, revision=args.revision)

    def render(self, app: Application) -> RenderResult:
        from gitopslib.sources import RenderCache, render

        if self._cache is None and self.args.cache_dir:
            self._cache = RenderCache(directory=Path(self.args.cache_dir) / "render")
        self.progress(f"rendering {app.metadata.name}")
        resolver = self.resolver(app)
        try:
            return render(
                app,
                resolver=resolver,
                cache=self._cache,
                kube_version=self.args.kube_version,
                api_versions=self.args.api_versions or (),
                plugins_dir=self.args.plugins_dir,
                timeout=self.args.timeout,
            )
        except RenderError as exc:
            raise CLIError(_located_render_error(app, exc)) from exc
        except GitError as exc:
            if self.args.repo_root:
                raise
            raise CLIError(
                f"{_one_line(str(exc))} (to render a local checkout instead: --repo-root DIR)"
            ) from exc

    # live state

    def live(self, app: Application, desired: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        args = self.args
        if args.live:
            if self._live is None:
                self._live = _read_live(Path(args.live))
            return self._live
        if args.kubeconfig or args.context:
            return self._kube_live(app, desired)
        return []

    def _kube_live(
        self, app: Application, desired: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        from gitopslib.cluster import KubernetesCluster, live_state

        if self._cluster is None:
            self.progress("connecting to the cluster")
            self._cluster = KubernetesCluster.from_kubeconfig(
                path=self.args.kubeconfig, context=self.args.context
            )
        return live_state(app, self._cluster, desired)


def _read_live(path: Path) -> list[dict[str, Any]]:
    from gitopslib.manifest import load_manifests

    if path.is_dir():
        try:
            from gitopslib.cluster import SnapshotCluster
        except ImportError:  # pragma: no cover - the cluster package is always shipped
            objs: list[dict[str, Any]] = []
            for file in _yaml_files(path):
                objs.extend(load_manifests(file))
            return objs
        return SnapshotCluster(path).objects()
    if path.is_file():
        from gitopslib.manifest import require_identity

        objs = load_manifests(path)
        require_identity(objs, file=str(path))
        return objs
    raise CLIError(f"--live {path}: no such file or folder")


@dataclass
class _AppRun:
    app: Application
    result: RenderResult
    live: list[dict[str, Any]]
    comparison: ComparisonResult


def _compare(session: _Session, app: Application) -> _AppRun:
    from gitopslib.diff import compare

    result = session.render(app)
    live = session.live(app, result.manifests)
    return _AppRun(app, result, live, compare(result.manifests, live, app=app))


def _plan(run: _AppRun, project: AppProject | None, prune: bool | None) -> SyncPlan:
    from gitopslib.sync import SyncPlanOptions, plan_sync

    options = SyncPlanOptions(
        revision=run.result.revision,
        started_at=0,  # deterministic generateName hook names (see docs/cli.md)
        permits=project,
        prune=prune,
    )
    return plan_sync(run.comparison, app=run.app, options=options)


# ------------------------------------------------------------------------------- commands


def _cmd_render(args: argparse.Namespace, out: TextIO) -> int:
    from gitopslib.manifest import dump_manifests

    session = _Session(args)
    apps = _apps(args)
    docs: list[dict[str, Any]] = []
    for app in apps:
        result = session.render(app)
        for warning in result.warnings:
            print(f"gitopslib: warning: {app.metadata.name}: {warning}", file=sys.stderr)
        docs.extend(result.manifests)
    if args.output == "json":
        json.dump(docs, out, indent=2, sort_keys=True)
        out.write("\n")
    else:
        out.write(dump_manifests(docs))
    return 0


def _cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    session = _Session(args)
    differs = False
    for app in _apps(args):
        run = _compare(session, app)
        for rd in run.comparison.resources:
            if rd.status != "OutOfSync" or not rd.diff:
                continue
            if rd.requires_pruning and rd.ignore_extraneous:
                continue
            differs = True
            gk = f"{rd.group}/{rd.kind}" if rd.group else rd.kind
            out.write(f"===== {gk} {rd.namespace}/{rd.name} ======\n")
            out.write(rd.diff if rd.diff.endswith("\n") else rd.diff + "\n")
    return 1 if differs else 0


def _plan_markdown(plan: SyncPlan) -> str:
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


def _mermaid_of_many(plans: Sequence[SyncPlan]) -> str:
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


def _cmd_plan(args: argparse.Namespace, out: TextIO) -> int:
    import yaml

    session = _Session(args)
    projects = _load_projects(args.project) if args.project else None
    plans: list[SyncPlan] = []
    refused = False
    for app in _apps(args):
        project = _project_for(app, projects)
        if project is not None:
            # Argo CD refuses to sync an app its project does not admit (source repository,
            # destination, namespace): say so, and exit 1 as for a plan with invalid tasks
            for violation in project.check(app):
                refused = True
                print(
                    f"gitopslib: {app.metadata.name}: project {project.metadata.name}: "
                    f"{_one_line(violation.message)}",
                    file=sys.stderr,
                )
        run = _compare(session, app)
        plans.append(_plan(run, project, True if args.prune else None))
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
            out.write(f"{'' if i == 0 else chr(10)}### {title}\n\n{_plan_markdown(plan)}")
        elif fmt == "mermaid":
            if len(plans) > 1:
                out.write(_mermaid_of_many(plans))
                break
            out.write(plan.to_mermaid().rstrip("\n") + "\n")
        else:
            if len(plans) > 1:
                out.write(f"{'' if i == 0 else chr(10)}Application {title}\n")
            out.write(plan.render_table().rstrip("\n") + "\n")
    return 0 if all(p.valid for p in plans) and not refused else 1


def _cmd_health(args: argparse.Namespace, out: TextIO) -> int:
    from gitopslib.health import (
        HealthStatus,
        HealthStatusCode,
        aggregate_health,
        assess_health,
    )
    from gitopslib.manifest import key_of

    session = _Session(args)
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
        for app in _apps(args):
            run = _compare(session, app)
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
        for obj in _read_live(Path(args.live)):
            key = key_of(obj)
            where = f"{key.namespace}/{key.name}" if key.namespace else key.name
            items.append((obj, key.kind, where))
        overall.append(judge(items))
    if args.output == "json":
        data = [{"kind": k, "name": n, "status": s, "message": m} for k, n, s, m in rows]
        out.write(json.dumps(data, indent=2) + "\n")
    else:
        out.write(_table([("KIND", "NAMESPACE/NAME", "HEALTH", "MESSAGE"), *rows]))
    worst = aggregate_health(overall)
    return 0 if worst.status == HealthStatusCode.HEALTHY else 1


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [str(c).ljust(widths[i]) for i, c in enumerate(row[:-1])]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return "\n".join(lines) + "\n"


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
        return _one_line(exc.message)
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


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from gitopslib.manifest import is_cluster_scoped, key_of

    session = _Session(args)
    projects = _load_projects(args.project) if args.project else None
    overrides = _overrides_from(args)
    problems = 0
    apps: list[Application] = []
    for file in _application_files(args.apps):
        # every file is checked: a malformed one is reported and the others still run
        try:
            found = _application_docs(file)
        except ValidationError as exc:
            problems += 1
            out.write(f"{_one_line(str(exc))}\n")
            continue
        apps.extend(apply_overrides(app, overrides) for app in found)
    if not apps and not problems:
        raise CLIError(f"no Application found in {', '.join(args.apps)}")
    for app in apps:
        name = str(app.metadata.name)
        found_problems: list[str] = _spec_problems(app)
        project = _project_for(app, projects)
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


# -------------------------------------------------------------------------------- preview


@dataclass
class _Side:
    app: Application | None = None
    manifests: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def _git(repo: Path, *argv: str) -> str:
    git = shutil.which("git")
    if git is None:
        raise CLIError("preview needs revisions git can resolve; no git binary found")
    proc = subprocess.run(
        [git, "-C", str(repo), *argv], capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise CLIError(f"git {' '.join(argv)}: {_one_line(proc.stderr)}")
    return proc.stdout.strip()


@contextlib.contextmanager
def _tree_at(repo_dir: Path, rev: str, cache_dir: str | None) -> Iterator[tuple[str, Path]]:
    """A read-only tree of the repository at ``rev`` (through the Git cache)."""
    from gitopslib.git import GitRepository

    git_cache = Path(cache_dir) / "git" if cache_dir else None
    repo = GitRepository(str(repo_dir.resolve()), cache_dir=git_cache)
    try:
        sha = repo.resolve(rev)
    except GitError:
        sha = _git(repo_dir, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        repo.fetch()
    with repo.checkout(sha) as root:
        yield sha, Path(root)


def _collect(session: _Session, root: Path, sha: str, selectors: Sequence[str]) -> dict[str, _Side]:
    """Every Application of the tree at one revision (app-of-apps children included), with
    its render or its error, keyed by ``namespace/name``."""
    from gitopslib.sources import Resolver, render_tree

    paths = [root / s for s in selectors if (root / s).exists()]
    names = {s for s in selectors if not (root / s).exists()}
    apps: list[Application] = []
    out: dict[str, _Side] = {}
    # a file that does not load at this revision is a row of the report, not the end of it
    for file in _application_files(paths or ([root] if not selectors else [])):
        try:
            apps.extend(_application_docs(file))
        except ValidationError as exc:
            rel = file.relative_to(root).as_posix()
            message = _one_line(str(exc)).replace(str(file), rel)
            out[rel] = _Side(error=message)
    if names:
        for file in _application_files([root]):
            with contextlib.suppress(ValidationError):
                for app in _application_docs(file):
                    if app.metadata.name in names and app not in apps:
                        apps.append(app)
    resolver = Resolver(default=root, revision=sha)
    for app in apps:
        session.progress(f"rendering {app.metadata.name} at {sha[:8]}")
        tree = render_tree(
            app, resolver, plugins_dir=session.args.plugins_dir, timeout=session.args.timeout
        )
        for node in tree.walk():
            key = f"{node.app.metadata.namespace or ''}/{node.app.metadata.name}"
            if key in out:
                continue
            side = _Side(node.app)
            if node.error is not None:
                message = (
                    _located_render_error(node.app, node.error)
                    if isinstance(node.error, RenderError)
                    else _one_line(str(node.error))
                )
                side.error = message.replace(f"{root}{os.sep}", "")
            elif node.result is not None:
                side.manifests = list(node.result.manifests)
            out[key] = side
    return out


def _rendered_diff(base: Sequence[dict[str, Any]], head: Sequence[dict[str, Any]]) -> str:
    """Unified diff of two renders, object by object, Secret values masked."""
    from gitopslib.diff import mask_secrets
    from gitopslib.manifest import dump_manifests, key_of

    before = {key_of(o): o for o in base}
    after = {key_of(o): o for o in head}
    chunks: list[str] = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if a == b:
            continue
        mb, ma = mask_secrets([b, a])
        lines_b = dump_manifests([mb]).splitlines(keepends=True) if mb is not None else []
        lines_a = dump_manifests([ma]).splitlines(keepends=True) if ma is not None else []
        gk = f"{key.group}/{key.kind}" if key.group else key.kind
        name = f"{gk}/{key.namespace}/{key.name}" if key.namespace else f"{gk}/{key.name}"
        chunks.append(
            "".join(difflib.unified_diff(lines_b, lines_a, f"base/{name}", f"head/{name}"))
        )
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)


def _as_deployed(app: Application, objs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The base render as Argo CD would have left it live: stamped with the app's tracking."""
    from gitopslib.manifest import ANNOTATION_TRACKING_ID, is_cluster_scoped, key_of
    from gitopslib.tracking import app_instance_name, tracking_id

    instance = app_instance_name(app) or str(app.metadata.name)
    dest_ns = app.spec.destination.namespace or ""
    out = []
    for obj in objs:
        key = key_of(obj, default_namespace=dest_ns)
        meta = dict(obj.get("metadata") or {})
        if not is_cluster_scoped(key.group, key.kind) and not meta.get("namespace"):
            meta["namespace"] = dest_ns
        ann = dict(meta.get("annotations") or {})
        ann[ANNOTATION_TRACKING_ID] = tracking_id(instance, {**obj, "metadata": meta}, dest_ns)
        meta["annotations"] = ann
        out.append({**obj, "metadata": meta})
    return out


def preview_report(
    repo_dir: str | os.PathLike[str],
    base: str,
    head: str,
    selectors: Sequence[str] = (),
    *,
    args: argparse.Namespace | None = None,
) -> tuple[str, bool]:
    """The Markdown pull-request preview of a repository between two revisions, and whether
    anything changed. Used by ``gitopslib preview``."""
    from gitopslib.diff import compare
    from gitopslib.sync import SyncPlanOptions, plan_sync

    ns = args or build_parser().parse_args(["preview", "--base", base, "--head", head])
    session = _Session(ns)
    repo = Path(repo_dir)
    with _tree_at(repo, base, ns.cache_dir) as (base_sha, base_root):
        old = _collect(session, base_root, base_sha, selectors)
    with _tree_at(repo, head, ns.cache_dir) as (head_sha, head_root):
        new = _collect(session, head_root, head_sha, selectors)

    summary: list[str] = []
    sections: list[str] = []
    changed_any = False
    for key in sorted(set(old) | set(new)):
        b, h = old.get(key), new.get(key)
        name = key.lstrip("/")
        error = (h.error if h else None) or (b.error if b else None)
        if h is None:
            state = "removed"
        elif b is None:
            state = "added"
        else:
            state = "changed" if (b.manifests != h.manifests or error) else "unchanged"
        if error:
            state = "error"
        diff = ""
        if b is not None or h is not None:
            diff = _rendered_diff(b.manifests if b else [], h.manifests if h else [])
        counts = _count_changes(b.manifests if b else [], h.manifests if h else [])
        summary.append(f"| `{name}` | {state} | {counts} |")
        if state == "unchanged":
            continue
        changed_any = True
        part = [f"## `{name}`: {state}", ""]
        if error:
            part += [f"> **error:** {error}", ""]
        if diff:
            part += [
                "<details open><summary>Rendered diff</summary>",
                "",
                "```diff",
                diff.rstrip("\n"),
                "```",
                "",
                "</details>",
                "",
            ]
        if h is not None and h.app is not None and not h.error:
            live = _as_deployed(b.app, b.manifests) if b and b.app is not None else []
            cmp = compare(h.manifests, live, app=h.app)
            plan = plan_sync(
                cmp,
                app=h.app,
                options=SyncPlanOptions(revision=head_sha, started_at=0, strict=False),
            )
            part += [
                "### Sync plan",
                "",
                _plan_markdown(plan),
                "```mermaid",
                plan.to_mermaid().rstrip("\n"),
                "```",
                "",
            ]
        sections.append("\n".join(part))
    lines = [
        f"# gitopslib preview: `{base_sha[:8]}` → `{head_sha[:8]}`",
        "",
        "| application | change | objects (added/changed/removed) |",
        "|---|---|---|",
        *summary,
        "",
    ]
    if not summary:
        lines.insert(2, "No Application found.\n")
    if not changed_any and summary:
        lines.append("No rendered change.\n")
    return "\n".join(lines + sections).rstrip("\n") + "\n", changed_any


def _count_changes(base: Sequence[dict[str, Any]], head: Sequence[dict[str, Any]]) -> str:
    from gitopslib.manifest import key_of

    before = {key_of(o): o for o in base}
    after = {key_of(o): o for o in head}
    added = len(set(after) - set(before))
    removed = len(set(before) - set(after))
    changed = sum(1 for k in set(before) & set(after) if before[k] != after[k])
    return f"+{added} ~{changed} -{removed}"


def _cmd_preview(args: argparse.Namespace, out: TextIO) -> int:
    repo = Path(args.repo)
    if not repo.is_dir():
        raise CLIError(f"--repo {repo}: no such folder")
    cache_dir = args.cache_dir
    with contextlib.ExitStack() as stack:
        if cache_dir is None:
            args.cache_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="gitopslib-"))
        report, _changed = preview_report(repo, args.base, args.head, args.apps, args=args)
    if args.output_file:
        Path(args.output_file).write_text(report, encoding="utf-8")
    else:
        out.write(report)
    return 0


# --------------------------------------------------------------------------------- parser


def _apps(args: argparse.Namespace) -> list[Application]:
    apps = load_applications(args.apps)
    overrides = _overrides_from(args)
    return [apply_overrides(app, overrides) for app in apps]


def _add_source_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where manifests come from")
    g.add_argument("--repo-root", metavar="DIR", help="render this local checkout (no cloning)")
    g.add_argument("--revision", metavar="REV", help="commit, branch or tag to render")
    g.add_argument("--cache-dir", metavar="DIR", help="Git and render cache folder")
    g.add_argument("--plugins-dir", metavar="DIR", help="folder of CMP plugin.yaml files")
    g.add_argument(
        "--kube-version", metavar="X.Y", help="Kubernetes version for Helm (and schemas)"
    )
    g.add_argument("--api-versions", metavar="API", action="append", help="Helm capabilities")
    g.add_argument("--timeout", type=float, default=90.0, help="seconds per engine run")
    o = p.add_argument_group("overrides (as argocd app set)")
    o.add_argument("--helm-set", action="append", metavar="K=V")
    o.add_argument("--helm-set-string", action="append", metavar="K=V")
    o.add_argument("--helm-set-file", action="append", metavar="K=PATH")
    o.add_argument("--values", action="append", metavar="FILE", help="Helm value files")
    o.add_argument("--release-name", metavar="NAME")
    o.add_argument("--kustomize-image", action="append", metavar="IMAGE")
    o.add_argument("--nameprefix", metavar="PREFIX", help="Kustomize namePrefix")
    o.add_argument("--namesuffix", metavar="SUFFIX", help="Kustomize nameSuffix")
    o.add_argument("--jsonnet-ext-var-str", "--jsonnet-ext-str", action="append", metavar="K=V")
    o.add_argument("--jsonnet-ext-var-code", "--jsonnet-ext-code", action="append", metavar="K=V")
    o.add_argument("--jsonnet-tla-str", action="append", metavar="K=V")
    o.add_argument("--jsonnet-tla-code", action="append", metavar="K=V")
    o.add_argument("--jsonnet-libs", action="append", metavar="DIR")
    o.add_argument("--source-position", type=int, metavar="N", help="1-based source to override")


def _add_live_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("live state (default: an empty cluster)")
    g.add_argument("--live", metavar="DIR", help="YAML files of the live objects")
    g.add_argument("--kubeconfig", metavar="FILE", help="read live objects from this cluster")
    g.add_argument("--context", metavar="NAME", help="kubeconfig context")


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"gitopslib: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gitopslib`` command."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("gitopslib")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        __version__ = "unknown"
    parser = _Parser(
        prog="gitopslib",
        description="Render, diff, plan and check Argo CD Applications without a cluster.",
    )
    parser.add_argument("--version", action="version", version=f"gitopslib {__version__}")
    parser.add_argument("--debug", action="store_true", help="print tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str, apps: str = "+") -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
        if apps:
            p.add_argument("apps", nargs=apps, metavar="APP", help="Application file or folder")
        return p

    p = command("render", "Print the desired manifests of Applications as YAML.")
    _add_source_flags(p)
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    p.set_defaults(func=_cmd_render)

    p = command("diff", "Unified diff live -> desired; exit 0 same, 1 different, 2 error.")
    _add_source_flags(p)
    _add_live_flags(p)
    p.set_defaults(func=_cmd_diff)

    p = command("plan", "The ordered sync plan (phases, waves, hooks, prunes).")
    _add_source_flags(p)
    _add_live_flags(p)
    p.add_argument("-o", "--output", choices=_OUTPUTS, default="table")
    p.add_argument("--project", metavar="FILE", help="AppProject YAML: deny rules mark tasks")
    p.add_argument("--prune", action="store_true", help="allow prunes (as argocd app sync --prune)")
    p.set_defaults(func=_cmd_plan)

    p = command("health", "Health of the live objects of Applications (or of --live).", "*")
    _add_source_flags(p)
    _add_live_flags(p)
    p.add_argument("-o", "--output", choices=("table", "json"), default="table")
    p.add_argument("--lua-dir", metavar="DIR", help="Lua health scripts in Argo CD's layout")
    p.set_defaults(func=_cmd_health)

    p = command("validate", "Check Applications: model, project policy, schemas.")
    _add_source_flags(p)
    p.add_argument("--project", metavar="FILE", help="AppProject YAML file or folder")
    p.add_argument("--render", action="store_true", help="also render and check resources")
    p.set_defaults(func=_cmd_validate)

    p = command("preview", "Markdown report of rendered changes between two revisions.", "*")
    p.add_argument("--base", required=True, metavar="REV")
    p.add_argument("--head", required=True, metavar="REV")
    p.add_argument("--repo", default=".", metavar="DIR", help="Git repository (default: .)")
    p.add_argument("--cache-dir", metavar="DIR")
    p.add_argument("--plugins-dir", metavar="DIR")
    p.add_argument("--timeout", type=float, default=90.0)
    p.add_argument("--output-file", "-O", metavar="FILE", help="write the report here")
    p.set_defaults(func=_cmd_preview, kube_version=None, api_versions=None, revision=None)
    return parser


def _join_dash_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``--flag -value`` as ``--flag=-value`` for flags that take one value, as Argo CD's
    command line reads them (``--namesuffix -prod``; argparse would take ``-prod`` for a
    flag)."""
    takes_value: set[str] = set()
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
            elif action.option_strings and action.nargs is None:
                takes_value.update(s for s in action.option_strings if s.startswith("--"))
    out: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        if item == "--":
            out.extend(items[i:])
            break
        if item in takes_value and i + 1 < len(items) and items[i + 1].startswith("-"):
            out.append(f"{item}={items[i + 1]}")
            i += 2
            continue
        out.append(item)
        i += 1
    return out


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the ``gitopslib`` command; returns the exit code.

    >>> main(["validate", "examples/01-directory-app/application.yaml"])
    guestbook: valid
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(_join_dash_values(parser, sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else 2
    stream = out or sys.stdout
    func: Callable[[argparse.Namespace, TextIO], int] = args.func
    try:
        code = func(args, stream)
        stream.flush()
        return code
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    except KeyboardInterrupt:
        print("gitopslib: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if getattr(args, "debug", False):
            traceback.print_exc(file=sys.stderr)
        if isinstance(exc, (GitOpsError, OSError)):
            message = _one_line(str(exc))
        else:  # a bug of ours: still one line, with a way to see more
            message = f"{type(exc).__name__}: {_one_line(str(exc))} (--debug shows the traceback)"
        print(f"gitopslib: error: {mask_credentials(message)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
