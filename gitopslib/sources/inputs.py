"""Which paths of a repository decide a source's render, and a digest of just those.

A render cache keyed by the commit SHA re-renders every app of a repository on every commit
(Argo CD does, unless an app names its paths in ``argocd.argoproj.io/manifest-generate-paths``).
Keyed by the content of the paths the source reads instead, a commit that touches one app's
folder re-renders exactly that app.

The paths of a source are its own path plus the paths its spec names: Helm value files and
file parameters, Jsonnet library paths, the app's ``manifest-generate-paths``; ``$ref``
value files are keyed through the referenced source. When a source may read anything else, the
answer is None and the whole repository keys the render, as before: Config Management
Plugins, a symlink anywhere under the app's path, a kustomization that reaches outside it
(``..``, absolute paths), a Helm dependency on a ``file://`` chart outside it, a path that
needs the build environment, or a glob in ``manifest-generate-paths``.

>>> from types import SimpleNamespace as NS
>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "apps" / "web").mkdir(parents=True)
>>> src = NS(path="apps/web", helm=NS(value_files=["../shared/values.yaml"], file_parameters=[]),
...          directory=None)
>>> app = NS(metadata=NS(annotations={}))
>>> input_paths(app, src, "Helm", root, root / "apps" / "web")
['apps/shared/values.yaml', 'apps/web']
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Any

__all__ = ["ANNOTATION_MANIFEST_GENERATE_PATHS", "input_paths", "path_digest"]

#: Argo CD's annotation naming the paths an app's manifests depend on (``;``-separated;
#: relative to the app's path, or to the repository root when they start with ``/``).
ANNOTATION_MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"

_KUSTOMIZATIONS = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
_FILE_DEPENDENCY = re.compile(r"file://([^\s\"'#]+)")
_GLOB = re.compile(r"[*?\[]")


def _rel(base: str, raw: str) -> str | None:
    """``raw`` (relative to ``base``; from the root when it starts with ``/``) as a clean
    repository-relative path, or None when it leaves the repository."""
    joined = raw.lstrip("/") if raw.startswith("/") else posixpath.join(base, raw)
    clean = posixpath.normpath(joined)
    if clean == ".":
        return ""
    if clean == ".." or clean.startswith("../") or clean.startswith("/"):
        return None
    return clean


def _scan(app_dir: Path) -> tuple[bool, list[Path], list[Path]] | None:
    """(whether a symlink is under ``app_dir``, kustomization files, Chart.yaml files); None
    when the folder cannot be read."""
    symlink = False
    kustomizations: list[Path] = []
    charts: list[Path] = []
    stack = [str(app_dir)]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return None
        for entry in entries:
            if entry.is_symlink():
                symlink = True
            elif entry.is_dir():
                if entry.name != ".git":
                    stack.append(entry.path)
            elif entry.name in _KUSTOMIZATIONS:
                kustomizations.append(Path(entry.path))
            elif entry.name == "Chart.yaml":
                charts.append(Path(entry.path))
    return symlink, kustomizations, charts


def _reaches_out(text: str) -> bool:
    """Whether a kustomization may name a path outside its folder tree."""
    return ".." in text or re.search(r"(^|[\s\"'\[,:-])/[A-Za-z0-9_.]", text) is not None


def _file_dependencies_inside(chart: Path, app_dir: Path) -> bool:
    text = chart.read_text(errors="replace")
    for target in _FILE_DEPENDENCY.findall(text):
        if target.startswith("/"):
            return False
        resolved = os.path.normpath(str(chart.parent / target))
        if os.path.commonpath([resolved, str(app_dir)]) != str(app_dir):
            return False
    return True


def _spec_paths(app: Any, source: Any, source_type: str, base: str) -> list[str] | None:
    """Paths the source's spec and the app's annotation name (None: not knowable)."""
    out: list[str] = []
    annotations = getattr(getattr(app, "metadata", None), "annotations", None) or {}
    generate = annotations.get(ANNOTATION_MANIFEST_GENERATE_PATHS)
    if generate:
        for raw in str(generate).split(";"):
            raw = raw.strip()
            if not raw:
                continue
            if _GLOB.search(raw):
                return None
            rel = _rel(base, raw)
            if rel is None:
                return None
            out.append(rel)
    helm = getattr(source, "helm", None)
    if source_type == "Helm" and helm is not None:
        files = [str(v) for v in getattr(helm, "value_files", None) or []]
        files += [str(f.path) for f in getattr(helm, "file_parameters", None) or []]
        for raw in files:
            if raw.startswith("$"):
                ref_name, sep, _rest = raw[1:].partition("/")
                if sep and "{" not in ref_name:
                    continue  # a $ref file: keyed through the referenced source
                return None  # a build variable decides the path
            if "$" in raw:
                return None
            if "://" in raw:
                continue  # refused by the renderer anyway
            rel = _rel(base, raw)
            if rel is None:
                return None
            out.append(rel)
    directory = getattr(source, "directory", None)
    jsonnet = getattr(directory, "jsonnet", None) if directory is not None else None
    for lib in getattr(jsonnet, "libs", None) or []:
        rel = _rel("", str(lib))
        if rel is None:
            return None
        out.append(rel)
    return out


def input_paths(
    app: Any,
    source: Any,
    source_type: str,
    repo_root: Path,
    app_dir: Path,
    *,
    resolved_root: Path | None = None,
) -> list[str] | None:
    """The repository-relative paths whose content decides what ``source`` renders, sorted
    (``""`` is the whole repository), or None when the source may read anything in it.
    ``app_dir`` is resolved (confined); ``resolved_root``: ``repo_root.resolve()`` when the
    caller already knows it."""
    if source_type not in ("Directory", "Helm", "Kustomize"):
        return None
    real_root = resolved_root if resolved_root is not None else repo_root.resolve()
    base = os.path.relpath(app_dir, real_root).replace(os.sep, "/")
    base = "" if base == "." else base
    if base.startswith(".."):
        return None
    named = _spec_paths(app, source, source_type, base)
    if named is None:
        return None
    if base == "":
        return [""]
    scanned = _scan(app_dir)
    if scanned is None:
        return None
    symlink, kustomizations, charts = scanned
    if symlink:
        return None
    for kustomization in kustomizations:
        if _reaches_out(kustomization.read_text(errors="replace")):
            return None
    if source_type == "Helm" and not all(_file_dependencies_inside(c, app_dir) for c in charts):
        return None
    paths = {base, *named}
    if "" in paths:
        return [""]
    return sorted(paths)


def path_digest(path: Path) -> str:
    """A content digest of a folder (every file under it) or a file; ``missing`` when
    nothing is there."""
    from gitopslib.sources.cache import tree_digest

    if path.is_symlink() or not path.exists():
        return "missing" if not path.is_symlink() else "link:" + str(path.readlink())
    if path.is_dir():
        return tree_digest(path)
    import hashlib

    return hashlib.blake2b(path.read_bytes(), digest_size=20).hexdigest()
