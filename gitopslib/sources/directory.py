"""The ``Directory`` source type: plain YAML and JSON files, and Jsonnet, read the way Argo
CD's repo server reads them.

* Only ``*.yaml``, ``*.yml``, ``*.json`` and ``*.jsonnet`` are read (unless
  ``disableExtensionFilter``); subdirectories only with ``recurse``; files in walk order
  (names sorted byte-wise, directories visited where they sort).
* ``include``/``exclude`` are globs on the path relative to the app directory, ``exclude``
  first; ``*`` crosses ``/`` and ``{a,b}`` alternatives work (gobwas semantics).
* A YAML file may hold several documents; empty documents are skipped. A file whose documents
  are not Kubernetes objects (no ``kind``) is ignored, unless an earlier document in it was an
  object or it looks like a manifest (``apiVersion:``, ``kind:`` and ``metadata:`` all
  present), which is an error. A JSON file must hold exactly one object.
* Every file must resolve inside the repository (symlinks included), and the combined size of
  the non-Jsonnet files is capped (Argo CD's 10M by default).
* A file containing ``+argocd:skip-file-rendering`` (e.g. in a comment) is skipped; so are
  dangling symlinks and anything that is not a regular file.
* ``.jsonnet`` files are evaluated with go-jsonnet: ``extVars``/``tlas`` (string or
  ``code``), values env-substituted with the build environment; import paths are the app
  directory plus ``libs`` (relative to the repository root), and every import must stay
  inside the repository.

>>> from gitopslib.sources.directory import glob_match
>>> glob_match("{config.json,env-usw2/*}", "env-usw2/deploy.yaml")
True
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import math
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from gitopslib.diff.normalize import parse_quantity
from gitopslib.errors import EngineNotFoundError, ManifestError, PathEscapeError, RenderError
from gitopslib.globs import compile_glob, glob_match
from gitopslib.manifest import (
    MAX_DEPTH,
    iter_yaml_documents,
    load_yaml_documents,
    paused_gc,
    too_deep,
)
from gitopslib.sources._base import (
    RenderContext,
    build_env,
    confined_path,
    envsubst,
    is_inside,
)
from gitopslib.sources._sandbox import engine_call
from gitopslib.sources._sops_manifests import decrypt_manifest_file

__all__ = [
    "DEFAULT_MAX_COMBINED_SIZE",
    "MAX_COMBINED_SIZE_ENV",
    "SKIP_FILE_RENDERING_MARKER",
    "DirectoryRenderer",
    "compile_glob",
    "glob_match",
    "jsonnet_version",
    "load_yaml_documents",
    "max_combined_size",
    "paused_gc",
]

#: Argo CD's ``ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE`` default ("10M"):
#: a directory is parsed whole in memory (Python objects take 10-20x the file bytes), so an
#: unbounded default would let one repository take a shared process's memory. Raise it per
#: render with ``options={"max_combined_size": n}`` (bytes or a quantity such as ``"100M"``;
#: 0 means no limit) or for the process with that environment variable, as in Argo CD.
DEFAULT_MAX_COMBINED_SIZE = 10_000_000
MAX_COMBINED_SIZE_ENV = "ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE"


def max_combined_size(options: Mapping[str, Any]) -> int:
    """The directory input limit in bytes: ``options["max_combined_size"]``, else the
    ``ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE`` environment variable, else
    :data:`DEFAULT_MAX_COMBINED_SIZE`. Accepts bytes or a Kubernetes quantity (``"100M"``,
    ``"1Gi"``); 0 means no limit.

    >>> [max_combined_size({"max_combined_size": v}) for v in ("100M", "1Ki", 0)]
    [100000000, 1024, 0]
    """
    raw = options.get("max_combined_size")
    where = "options['max_combined_size']"
    if raw is None:
        raw, where = os.environ.get(MAX_COMBINED_SIZE_ENV), MAX_COMBINED_SIZE_ENV
    if raw is None or raw == "":
        return DEFAULT_MAX_COMBINED_SIZE
    if isinstance(raw, int) and not isinstance(raw, bool):
        return max(0, raw)
    try:
        size = parse_quantity(str(raw))
    except ValueError:
        size = None
    if size is None or size < 0:
        raise RenderError(
            f"{where} is {raw!r}: expected bytes or a quantity such as 10M or 1Gi",
            source_type="Directory",
            path=None,
        )
    return math.ceil(size)  # as Go's Quantity.Value(), which Argo CD reads: rounded up


#: A file whose bytes contain this marker is skipped by directory rendering (Argo CD's
#: ``skipFileRenderingMarker``), whatever its extension.
SKIP_FILE_RENDERING_MARKER = b"+argocd:skip-file-rendering"

_MANIFEST_FILE = re.compile(r"^.*\.(yaml|yml|json|jsonnet)$", re.DOTALL)


def _is_object(doc: Any) -> bool:
    kind = doc.get("kind") if isinstance(doc, dict) else None
    return isinstance(kind, str) and kind != ""


def _objects_from_yaml(data: bytes, rel: str) -> list[dict[str, Any]]:
    """Argo CD's ``getObjsFromYAMLOrJSON`` for a YAML file."""
    objs: list[dict[str, Any]] = []
    problem: str | None = None
    line: int | None = None
    docs: list[Any] = []
    try:
        # libyaml stops at the first bad document; keep what came before it, as Go does.
        docs.extend(iter_yaml_documents(data, file=rel))
    except ManifestError as exc:
        problem, line = exc.message, exc.line
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        if not _is_object(doc):
            problem = (
                f"document {index + 1} is not a Kubernetes object (it has no `kind`)"
                if isinstance(doc, dict)
                else f"document {index + 1} is a {type(doc).__name__}, not a Kubernetes object"
            )
            break
        objs.append(doc)
    if problem is None:
        return objs
    looks_like_manifest = b"apiVersion:" in data and b"kind:" in data and b"metadata:" in data
    if objs or looks_like_manifest:
        raise ManifestError(f"failed to unmarshal: {problem}", file=rel, line=line)
    return []  # an unrelated YAML file (values, CI config...): ignored, as Argo CD does


def _objects_from_json(data: bytes, rel: str) -> list[dict[str, Any]]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        text = data.decode("utf-8", errors="replace")
        try:
            doc, end = json.JSONDecoder().raw_decode(text.lstrip())
        except json.JSONDecodeError as exc:
            raise ManifestError(
                f"failed to unmarshal JSON: {exc.msg}", file=rel, line=exc.lineno, column=exc.colno
            ) from None
        except RecursionError:
            raise ManifestError("failed to unmarshal JSON: nested too deeply", file=rel) from None
        if text.lstrip()[end:].strip():
            raise ManifestError(
                "found multiple objects; only single objects are allowed in JSON files", file=rel
            ) from None
    where = too_deep(doc)
    if where is not None:
        raise ManifestError(
            f"failed to unmarshal JSON: nested deeper than {MAX_DEPTH} levels (at {where})",
            file=rel,
        )
    if not _is_object(doc):
        raise ManifestError("failed to unmarshal: not a Kubernetes object (no `kind`)", file=rel)
    return [doc]


# --- Jsonnet -------------------------------------------------------------------------------


def _gojsonnet() -> Any:
    try:
        import _gojsonnet
    except ImportError:
        raise EngineNotFoundError(
            "Jsonnet files need go-jsonnet, which is not installed: pip install gitopslib[jsonnet]",
            engine="jsonnet",
            extra="jsonnet",
            source_type="Directory",
            path=None,
        ) from None
    return _gojsonnet


def _require_gojsonnet() -> None:
    """Fail here, with the extra to install, when go-jsonnet is missing (without loading its Go
    runtime into this process: evaluation happens in an engine worker)."""
    if importlib.util.find_spec("_gojsonnet") is None:
        _gojsonnet()


@functools.cache
def jsonnet_version() -> str | None:
    """The installed go-jsonnet version, or None when it is not installed.

    Looked up once per process: every Directory cache key holds it, and asking the import
    system and the package metadata costs more than a whole warm render of a small app."""
    if importlib.util.find_spec("_gojsonnet") is None:
        return None
    try:
        return "v" + importlib.metadata.version("gojsonnet").removeprefix("v")
    except importlib.metadata.PackageNotFoundError:
        return str(_gojsonnet().version)


_JSONNET_LOCATION = re.compile(r"(?P<file>[^\s:]+\.(?:jsonnet|libsonnet|json)):(?P<line>\d+)")


class _ConfinedImporter:
    """go-jsonnet's FileImporter (importing file's directory, then the JPaths from last to
    first), refusing anything that resolves outside the repository."""

    def __init__(self, repo_root: Path, jpaths: Sequence[Path]) -> None:
        self.root = repo_root.resolve()
        self.jpaths = list(jpaths)
        self.cache: dict[str, tuple[str, bytes]] = {}
        self.error: Exception | None = None

    def __call__(self, base_dir: str, rel: str) -> tuple[str, bytes]:
        # go-jsonnet's binding garbles exceptions raised here, so a refusal is recorded and
        # surfaced as a Jsonnet `error` the evaluation stops on; the caller re-raises it.
        try:
            return self._find(base_dir, rel)
        except (PathEscapeError, RenderError, OSError) as exc:
            if self.error is None:
                self.error = exc
            return (f"<refused:{rel}>", b"error 'import refused by gitopslib'")

    def _find(self, base_dir: str, rel: str) -> tuple[str, bytes]:
        key = f"{base_dir}\0{rel}"
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        candidates = (
            [Path(rel)]
            if Path(rel).is_absolute()
            else [Path(base_dir) / rel, *(jp / rel for jp in reversed(self.jpaths))]
        )
        for candidate in candidates:
            if not candidate.exists():
                continue
            real = candidate.resolve()
            if not is_inside(real, self.root):
                raise PathEscapeError(
                    f"jsonnet import {rel!r} resolves to {real}, outside the repository root",
                    file=rel,
                    source_type="Directory",
                    path=rel,
                )
            if real.is_dir():
                continue
            found = (str(candidate), real.read_bytes())
            self.cache[key] = found
            return found
        raise RenderError(
            f"couldn't open import {rel!r}: no match locally or in the Jsonnet library paths",
            source_type="Directory",
            path=rel,
        )


def evaluate_jsonnet_here(
    path: str, rel: str, repo_root: str, jpaths: list[str], kwargs: dict[str, Any]
) -> str:
    """Evaluate one Jsonnet file with go-jsonnet in this process and return its JSON text.

    Runs inside an engine worker (:mod:`gitopslib.sources._sandbox`), never in the caller: a
    Go fatal error here ends the worker only.
    """
    engine = _gojsonnet()
    importer = _ConfinedImporter(Path(repo_root), [Path(p) for p in jpaths])
    try:
        out = engine.evaluate_file(path, import_callback=importer, **kwargs)
    except RuntimeError as exc:
        if isinstance(importer.error, PathEscapeError):
            raise PathEscapeError(
                f"failed to evaluate jsonnet {rel!r}: {importer.error}",
                file=importer.error.file,
                source_type="Directory",
                path=rel,
            ) from None
        if importer.error is not None:
            raise RenderError(
                f"failed to evaluate jsonnet {rel!r}: {importer.error}",
                source_type="Directory",
                path=rel,
            ) from None
        message = str(exc).strip()
        where = _JSONNET_LOCATION.search(message)
        line = int(where.group("line")) if where else None
        raise RenderError(
            f"failed to evaluate jsonnet {rel}"
            + (f" ({where.group('file')}:{line})" if where else "")
            + f": {message}",
            source_type="Directory",
            path=rel,
            file=rel,
            line=line,
        ) from None
    if importer.error is not None:
        # The refusal stood in for the file's content and the program never looked at it
        # (``importstr``/``importbin`` of a refused path): the render is still refused.
        cause = importer.error
        raise (
            PathEscapeError(
                f"failed to evaluate jsonnet {rel!r}: {cause}",
                file=cause.file,
                source_type="Directory",
                path=rel,
            )
            if isinstance(cause, PathEscapeError)
            else RenderError(
                f"failed to evaluate jsonnet {rel!r}: {cause}", source_type="Directory", path=rel
            )
        )
    return str(out)


def _evaluate_jsonnet(
    path: Path, rel: str, ctx: RenderContext, env: Mapping[str, str]
) -> list[dict[str, Any]]:
    _require_gojsonnet()
    jsonnet = getattr(ctx.source.directory, "jsonnet", None) if ctx.source.directory else None
    kwargs: dict[str, Any] = {"ext_vars": {}, "ext_codes": {}, "tla_vars": {}, "tla_codes": {}}
    for attr, plain, code in (
        ("ext_vars", "ext_vars", "ext_codes"),
        ("tlas", "tla_vars", "tla_codes"),
    ):
        for entry in (getattr(jsonnet, attr, None) or []) if jsonnet else []:
            value = envsubst(str(entry.value or ""), env)
            kwargs[code if entry.code else plain][str(entry.name)] = value
    jpaths = [ctx.app_dir]
    for lib in (getattr(jsonnet, "libs", None) or []) if jsonnet else []:
        jpaths.append(confined_path(ctx.repo_root, lib, what="jsonnet library path"))
    out = engine_call(
        "jsonnet",
        {
            "path": str(path),
            "rel": rel,
            "repo_root": str(ctx.repo_root),
            "jpaths": [str(p) for p in jpaths],
            "kwargs": kwargs,
        },
        options=ctx.options,
        timeout=ctx.timeout,
        source_type="Directory",
        path=rel,
    )
    try:
        value = orjson.loads(out)
    except orjson.JSONDecodeError as exc:  # e.g. nested past orjson's depth limit
        raise ManifestError(f"failed to unmarshal generated json: {exc}", file=rel) from None
    where = too_deep(value, MAX_DEPTH + 1)  # +1: the list around the objects
    if where is not None:
        raise ManifestError(
            f"generated json nests deeper than {MAX_DEPTH} levels (at {where}); refusing it",
            file=rel,
        )
    if value is None:
        return []  # `null` unmarshals into an empty list in Argo CD: no objects
    items = value if isinstance(value, list) else [value]
    objs: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if item is None and isinstance(value, list):
            continue
        if not _is_object(item):
            raise ManifestError(
                f"failed to unmarshal generated json: item {index + 1} is not a Kubernetes "
                "object (no `kind`)",
                file=rel,
            )
        objs.append(item)
    return objs


# --- the renderer --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    path: Path
    rel: str
    size: int
    is_jsonnet: bool
    data: bytes = b""


def _walk_go_order(
    app_dir: Path, recurse: bool, prefix: str = ""
) -> Iterator[tuple[Path, str, os.DirEntry[str]]]:
    try:
        entries = sorted(
            os.scandir(app_dir), key=lambda e: e.name.encode("utf-8", "surrogateescape")
        )
    except OSError as exc:
        raise RenderError(
            f"cannot read directory {prefix or '.'}: {exc.strerror}",
            source_type="Directory",
            path=prefix or ".",
        ) from None
    for entry in entries:
        rel = f"{prefix}{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            if recurse:
                yield from _walk_go_order(Path(entry.path), recurse, rel + "/")
            continue
        yield Path(entry.path), rel, entry


class DirectoryRenderer:
    """Renders ``Directory`` sources: YAML, JSON and Jsonnet files.

    Options read from ``ctx.options``: ``max_combined_size`` (see :func:`max_combined_size`;
    default 10M, 0 means no limit) and ``jsonnet_enabled`` (default True).

    >>> from gitopslib.sources.directory import DirectoryRenderer
    >>> DirectoryRenderer().name
    'Directory'
    """

    name = "Directory"

    def detect(self, app_dir: Path) -> bool:
        """Directory is the fallback type: it claims every directory."""
        return True

    def cache_key(self, ctx: RenderContext) -> str | None:
        """``directory/1``, plus the go-jsonnet version when Jsonnet may be evaluated.

        No file is read here, so a cache hit costs no reads: a render that decrypts a
        SOPS-encrypted file sets ``ctx.contains_secrets`` and is never stored, and the key
        holds the files' content, so a hit is always a render of files that were not
        encrypted."""
        return f"directory/1 libyaml/{yaml.__version__} jsonnet/{jsonnet_version()}"

    def candidates(self, ctx: RenderContext) -> list[_Candidate]:
        """The files this source reads, in order, after filters, symlink and size checks."""
        directory = ctx.source.directory
        recurse = bool(getattr(directory, "recurse", False)) if directory else False
        include = str(getattr(directory, "include", None) or "") if directory else ""
        exclude = str(getattr(directory, "exclude", None) or "") if directory else ""
        no_filter = (
            bool(getattr(directory, "disable_extension_filter", None)) if directory else False
        )
        limit = max_combined_size(ctx.options)
        root = ctx.repo_root.resolve()
        out: list[_Candidate] = []
        total = 0
        for path, rel, entry in _walk_go_order(ctx.app_dir, recurse):
            name = entry.name
            if not no_filter and not _MANIFEST_FILE.match(name):
                continue
            # Argo CD's order (getPotentiallyValidManifestFile): a symlink leaving the
            # repository is an error even when include/exclude would drop it; a dangling
            # symlink and anything that is not a regular file are skipped.
            if entry.is_symlink():
                real = path.resolve()
                if not is_inside(real, root):
                    raise PathEscapeError(
                        f"illegal filepath in symlink: {rel} points outside the repository",
                        file=rel,
                        source_type="Directory",
                        path=rel,
                    )
                try:
                    info = real.stat()
                except OSError:
                    continue  # destination missing: Argo CD skips it with a warning
            else:
                info = entry.stat()
            if not stat.S_ISREG(info.st_mode):
                continue
            if exclude and glob_match(exclude, rel):
                continue
            if include and not glob_match(include, rel):
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise RenderError(
                    f"cannot read {rel}: {exc.strerror}", source_type="Directory", path=rel
                ) from None
            if SKIP_FILE_RENDERING_MARKER in data:
                continue  # the file opted out of rendering (argocd-semantics 9.2)
            size = info.st_size
            is_jsonnet = name.endswith(".jsonnet")
            if not is_jsonnet:
                total += size
                if limit and total > limit:
                    raise RenderError(
                        f"exceeded max combined manifest file size of {limit} bytes "
                        f"(at {rel}); raise options['max_combined_size'] or "
                        f"{MAX_COMBINED_SIZE_ENV} to allow more",
                        source_type="Directory",
                        path=rel,
                    )
            out.append(_Candidate(path, rel, size, is_jsonnet, b"" if is_jsonnet else data))
        return out

    def render(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """The objects of every matching file, in walk order."""
        candidates = self.candidates(ctx)
        jsonnet_enabled = bool(ctx.options.get("jsonnet_enabled", True))
        env: dict[str, str] | None = None
        objs: list[dict[str, Any]] = []
        with paused_gc():
            for cand in candidates:
                if cand.is_jsonnet:
                    if not jsonnet_enabled:
                        continue
                    if env is None:
                        env = build_env(ctx)
                    objs.extend(_evaluate_jsonnet(cand.path, cand.rel, ctx, env))
                    continue
                data = decrypt_manifest_file(cand.data, cand.rel, ctx, "Directory")
                if cand.rel.endswith(".json"):
                    objs.extend(_objects_from_json(data, cand.rel))
                else:
                    objs.extend(_objects_from_yaml(data, cand.rel))
        return objs
