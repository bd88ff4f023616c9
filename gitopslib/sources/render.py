"""``render(app)``: the desired manifests of an Application, as Argo CD's repo server would
produce them from the same YAML.

Every source of the app (``spec.sources``, else ``spec.source``) is checked out through a
:class:`~gitopslib.sources.resolver.Resolver`, its type detected (argocd-semantics 9.7), and
rendered by the registered renderer. Reference-only sources (``ref`` without ``path`` or
``chart``) render nothing but serve ``$ref/...`` value files. Manifests of all sources are
concatenated in order; ``*List`` objects are expanded; a resource appearing more than once
keeps its last occurrence and a ``RepeatedResourceWarning`` message is recorded.

>>> import pathlib, tempfile
>>> from types import SimpleNamespace as NS
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "cm.yaml").write_text("apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a}\\n")
>>> src = NS(repo_url="https://example.com/r.git", path=".", target_revision="HEAD", chart=None,
...          ref=None, helm=None, kustomize=None, directory=None, plugin=None)
>>> app = NS(metadata=NS(name="demo", namespace="argocd"),
...          spec=NS(project="default", source=src, sources=None,
...                  destination=NS(server=None, name="in-cluster", namespace="default")))
>>> render(app, repo_root=d).manifests[0]["kind"]
'ConfigMap'
"""

from __future__ import annotations

import functools
import logging
import os
import posixpath
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson

from gitopslib.errors import ManifestError, RenderError
from gitopslib.giturl import mask_credentials
from gitopslib.manifest import expand_list_objects, key_of, load_yaml_documents
from gitopslib.observe import RenderRecorder
from gitopslib.sources._base import (
    DEFAULT_TIMEOUT,
    CommandRunner,
    RenderContext,
    SubprocessRunner,
    confined_path,
)
from gitopslib.sources._registry import RendererRegistry, default_registry
from gitopslib.sources.cache import RenderCache, cache_key, tree_digest
from gitopslib.sources.detect import detect_source_type, explicit_type
from gitopslib.sources.inputs import input_paths, path_digest
from gitopslib.sources.renderpass import RenderPass
from gitopslib.sources.resolver import RepositoryLike, ResolvedSource, Resolver
from gitopslib.tracking import app_instance_name

if TYPE_CHECKING:
    from gitopslib.models import Application, ApplicationSource

__all__ = ["RenderResult", "SourceRender", "expand_lists", "render"]

log = logging.getLogger("gitopslib.sources")

#: Files whose content is merged into a source before rendering (argocd-semantics 9.2).
_OVERRIDE_FILES = (".argocd-source.yaml", ".argocd-source-{app}.yaml")
_NOT_OVERRIDABLE = ("chart", "path", "repoURL", "targetRevision")


@dataclass(frozen=True)
class SourceRender:
    """What one source of the app produced."""

    index: int
    source_type: str | None
    revision: str | None
    manifests: list[dict[str, Any]]
    cached: Literal["memory", "disk", "shared"] | None = None
    contains_secrets: bool = False


@dataclass(frozen=True)
class RenderResult:
    """The desired state of one Application.

    ``manifests`` are in a stable order (sources in order, each in its engine's order).
    ``revision``/``source_type`` describe the first source that produced manifests (the only
    one for single-source apps); ``revisions``/``source_types`` list every source (None for
    the type of a reference-only source). ``warnings`` holds Argo CD's
    RepeatedResourceWarning messages. Manifests may be shared with the render cache: copy
    one before editing it. ``contains_secrets``: a renderer decrypted something (SOPS) to
    produce it, so it was not cached.
    """

    manifests: list[dict[str, Any]]
    revision: str | None
    source_type: str
    revisions: tuple[str | None, ...] = ()
    source_types: tuple[str | None, ...] = ()
    warnings: tuple[str, ...] = ()
    sources: tuple[SourceRender, ...] = field(default=(), repr=False)
    contains_secrets: bool = False

    @property
    def cached(self) -> bool:
        """Whether every rendering source came from the cache."""
        rendering = [s for s in self.sources if s.source_type is not None]
        return bool(rendering) and all(s.cached for s in rendering)


#: Argo CD's list expansion, applied to every renderer's output.
expand_lists = expand_list_objects


def _require_kinds(objs: list[dict[str, Any]], source_type: str, path: str) -> list[dict[str, Any]]:
    """Argo CD reads every generated document into an ``Unstructured`` (``kube.SplitYAML``),
    which refuses a document without a ``kind`` ("Object 'Kind' is missing")."""
    for index, obj in enumerate(objs):
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if not isinstance(kind, str) or not kind:
            shown = orjson.dumps(obj).decode()[:200] if isinstance(obj, dict) else repr(obj)
            raise ManifestError(
                f"{source_type} source {path!r}: generated object {index + 1} has no `kind` "
                f"(Object 'Kind' is missing in {shown})"
            )
    return objs


def _spec(value: Any) -> Any:
    """A JSON-able view of a model (pydantic or plain attributes), for cache keys."""
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, dict):
        return {str(k): _spec(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_spec(v) for v in value]
    if hasattr(value, "__dict__"):
        return {k: _spec(v) for k, v in vars(value).items() if v is not None}
    return value


def _all_sources(app: Application) -> list[ApplicationSource]:
    spec = app.spec
    all_sources = getattr(spec, "all_sources", None)
    if callable(all_sources):
        return list(all_sources())
    sources = getattr(spec, "sources", None)
    if sources:
        return list(sources)
    source = getattr(spec, "source", None)
    if source is None:
        raise RenderError(
            f"Application {app.metadata.name!r} has neither spec.source nor spec.sources",
            source_type=None,
            path=None,
        )
    return [source]


def _apply_overrides(
    source: ApplicationSource, app_dir: Path, app_name: str, repo_root: Path
) -> Any:
    """Merge ``.argocd-source.yaml`` and ``.argocd-source-<app>.yaml`` into the source (JSON
    merge patch), as Argo CD does before generating. Returns the (possibly new) source.

    A file that is a symlink leaving ``repo_root`` is refused (PathEscapeError)."""
    files = [app_dir / name.format(app=app_name) for name in _OVERRIDE_FILES]
    present = [f for f in files if f.is_file()]
    if not present or not hasattr(source, "model_dump"):
        return source
    data = source.model_dump(mode="json", by_alias=True, exclude_none=True)
    for path in present:
        # app_dir is confined (resolved under the root); the file itself may be a symlink.
        rel = path.relative_to(repo_root.resolve())
        confined_path(repo_root, rel, what="source override file")
        try:
            docs = load_yaml_documents(path.read_bytes(), file=path.name)
        except ManifestError as exc:
            raise RenderError(str(exc), source_type=None, path=path.name) from None
        patch = (docs[0] if docs else None) or {}  # the first document, as yaml.Unmarshal
        if not isinstance(patch, dict):
            raise RenderError(f"{path.name} must hold a mapping", source_type=None, path=path.name)
        for key in _NOT_OVERRIDABLE:
            patch.pop(key, None)
        data = _merge_patch(data, patch)
    return type(source).model_validate(data)


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


def _dedupe(objs: list[dict[str, Any]], namespace: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Last occurrence wins (kept at its own position); one warning per repeated key."""
    keys: list[tuple[str, str, str, str]] = []
    counts: dict[tuple[str, str, str, str], int] = {}
    last: dict[tuple[str, str, str, str], int] = {}
    for i, obj in enumerate(objs):
        k = key_of(obj, default_namespace=namespace)
        meta = obj.get("metadata") or {}
        name = k.name
        if not meta.get("name") and meta.get("generateName"):
            name = f"{meta['generateName']}{i}"  # generateName objects never collide
        key = (k.group, k.kind, k.namespace, name)
        keys.append(key)
        counts[key] = counts.get(key, 0) + 1
        last[key] = i
    if len(last) == len(objs):
        return objs, []
    warnings = [
        f"Resource {g}/{k}/{ns}/{n} appeared {count} times among application resources."
        for (g, k, ns, n), count in counts.items()
        if count > 1
    ]
    kept = [obj for i, obj in enumerate(objs) if last[keys[i]] == i]
    return kept, warnings


def _input_digest(
    resolved: ResolvedSource, paths: Sequence[str] | None, render_pass: RenderPass
) -> str:
    """What keys a source's input: the content of ``paths`` (a Git object id per path, or a
    digest of a folder's files), or, when ``paths`` is None, the whole repository (the
    commit SHA, or a digest of every file of a folder). Each answer is computed once per
    pass."""
    root, revision, repo = resolved.root, resolved.revision, resolved.repository
    path_sha = getattr(repo, "path_sha", None) if repo is not None else None
    if paths is None or (repo is not None and (path_sha is None or not revision)):
        if revision:
            return revision
        return "tree:" + render_pass.remember(("tree", str(root)), lambda: tree_digest(root))
    parts: list[str] = []
    for rel in paths:
        if path_sha is not None and revision:

            def object_id(
                rel: str = rel, rev: str = revision, git_sha: Callable[..., Any] = path_sha
            ) -> str | None:
                found = git_sha(rev, rel)
                return str(found) if found is not None else None

            found = render_pass.remember(("git", id(repo), revision, rel), object_id)
            parts.append(f"{rel}=git:{found or 'missing'}")
        else:

            def digest(rel: str = rel) -> str:
                return path_digest(root / rel)

            parts.append(f"{rel}=" + render_pass.remember(("path", str(root), rel), digest))
    return "paths:" + ";".join(parts)


def _ref_paths(sources: Sequence[Any]) -> dict[str, list[str] | None]:
    """For each ``$ref`` source name, the paths the app's value files read from it (None:
    a path needs the build environment, so the whole source keys it)."""
    out: dict[str, list[str] | None] = {}
    for source in sources:
        helm = getattr(source, "helm", None)
        files = [str(v) for v in (getattr(helm, "value_files", None) or [])] if helm else []
        files += (
            [str(f.path) for f in (getattr(helm, "file_parameters", None) or [])] if helm else []
        )
        for raw in files:
            if not raw.startswith("$"):
                continue
            name, sep, rest = raw[1:].partition("/")
            if not sep:
                continue
            clean = posixpath.normpath(rest)
            if "$" in rest or clean == ".." or clean.startswith(("../", "/")):
                out[name] = None
                continue
            known = out.setdefault(name, [])
            if known is not None:
                known.append("" if clean == "." else clean)
    return {k: (sorted(set(v)) if v is not None else None) for k, v in out.items()}


def _record(
    metrics: RenderRecorder | None, source_type: str, started: float, *, cache_hit: bool
) -> None:
    if metrics is None:
        return
    try:
        metrics.record_render(source_type, time.monotonic() - started, cache_hit=cache_hit)
    except Exception:  # an observer never stops an operation (observe.py)
        log.warning("render metrics recorder failed", exc_info=True)


def render(
    app: Application,
    repo_root: str | os.PathLike[str] | None = None,
    repository: RepositoryLike | None = None,
    revision: str | None = None,
    *,
    resolver: Resolver | None = None,
    registry: RendererRegistry | None = None,
    cache: RenderCache | None = None,
    no_cache: bool = False,
    kube_version: str | None = None,
    api_versions: Sequence[str] = (),
    runner: CommandRunner | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    plugins_dir: str | os.PathLike[str] | None = None,
    controller_namespace: str = "argocd",
    disabled_types: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
    render_pass: RenderPass | None = None,
    metrics: RenderRecorder | None = None,
) -> RenderResult:
    """Render every source of ``app`` and return the desired manifests.

    Where the repository is: ``repo_root`` (a local folder, e.g. the CI checkout) or
    ``repository`` (a ``GitRepository``; ``revision`` overrides ``targetRevision``) serve
    every repoURL; ``resolver`` maps several repositories. ``cache`` (a
    :class:`~gitopslib.sources.cache.RenderCache`) makes re-rendering unchanged input a cache
    read; ``no_cache`` is Argo CD's hard refresh (bypass reads, still write). The cache key
    holds the content of the paths the source reads (its path, value files, Jsonnet libs,
    ``manifest-generate-paths``; see :mod:`gitopslib.sources.inputs`), not the commit, so a
    commit that does not touch them is a cache hit. ``render_pass`` (a
    :class:`~gitopslib.sources.RenderPass` shared by every render of a pass over a fleet)
    resolves each repository revision and digests each path once per pass, and sizes the
    memory cache to the fleet.
    ``kube_version``/``api_versions`` stand in for the cluster's (Helm capabilities);
    ``options`` reach the renderers (e.g. ``max_combined_size`` for directories).
    ``metrics`` (a :class:`~gitopslib.observe.RenderRecorder` such as ``GitOpsMetrics``)
    times each rendering source and counts render cache hits and misses.

    Secrets come back as the repository renders them, values included: the desired state is
    what the caller asked for (Argo CD's ``argocd app manifests`` prints it too). Everything
    that *compares* (diffs, patches, plans, previews, explanations) masks them; mask
    manifests yourself with :func:`gitopslib.diff.mask_secrets` before logging them.

    >>> # a runnable example is at the top of this module and in docs/sources.md
    """
    if resolver is None:
        if repo_root is not None:
            resolver = Resolver(default=Path(repo_root), revision=revision)
        elif repository is not None:
            resolver = Resolver(default=repository, revision=revision)
        else:
            raise RenderError(
                "render() needs to know where the repository is: pass repo_root=, "
                "repository= or resolver=",
                source_type=None,
                path=None,
            )
    registry = registry or _shared_default_registry()
    runner = runner or SubprocessRunner()
    sources = _all_sources(app)
    app_name = str(app.metadata.name)
    dest = getattr(app.spec, "destination", None)
    dest_ns = str(getattr(dest, "namespace", None) or "")
    opts = {"controller_namespace": controller_namespace, **(options or {})}
    the_pass = render_pass if render_pass is not None else RenderPass(ttl=float("inf"))

    renders: list[SourceRender] = []
    with ExitStack() as stack:
        if render_pass is None:
            stack.callback(the_pass.close)  # this call's own pass releases its checkouts
        opened: list[ResolvedSource] = [
            stack.enter_context(
                resolver.open(
                    str(s.repo_url or ""),
                    s.target_revision,
                    resolve=the_pass.resolve,
                    checkout=the_pass.checkout,
                )
            )
            for s in sources
        ]
        ref_roots = {str(s.ref): o.root for s, o in zip(sources, opened, strict=True) if s.ref}
        ref_paths = _ref_paths(sources) if cache is not None else {}
        ref_digests = (
            {
                str(s.ref): _input_digest(o, ref_paths.get(str(s.ref), []), the_pass)
                for s, o in zip(sources, opened, strict=True)
                if s.ref
            }
            if cache is not None
            else {}
        )
        for index, (source, resolved) in enumerate(zip(sources, opened, strict=True)):
            if source.ref and not source.path and not source.chart:
                renders.append(SourceRender(index, None, resolved.revision, []))
                continue
            real_root = the_pass.remember(("real", str(resolved.root)), resolved.root.resolve)
            app_dir = confined_path(
                resolved.root, source.path or ".", what="source path", resolved_root=real_root
            )
            if not source.chart and not app_dir.is_dir():
                raise RenderError(
                    f"app path {source.path!r} does not exist in "
                    f"{mask_credentials(str(source.repo_url))}",
                    source_type=None,
                    path=str(source.path),
                )
            # Argo CD names the per-app file after the request's AppName, the instance name
            # (`<namespace>_<name>` for an app outside the controller namespace).
            source = _apply_overrides(
                source, app_dir, app_instance_name(app, controller_namespace), resolved.root
            )
            ctx = RenderContext(
                app=app,
                source=source,
                repo_root=resolved.root,
                app_dir=app_dir,
                revision=resolved.revision,
                ref_roots=ref_roots,
                kube_version=kube_version,
                api_versions=tuple(api_versions),
                runner=runner,
                timeout=timeout,
                plugins_dir=Path(plugins_dir) if plugins_dir is not None else None,
                options=opts,
                resolved_root=real_root,
            )
            started = time.monotonic()
            source_type = _detect(source, app_dir, ctx, registry, disabled_types)
            renderer = registry.get(source_type)
            key: str | None = None
            if cache is not None:
                engine = renderer.cache_key(ctx)
                if engine is not None:
                    paths = input_paths(
                        app, source, source_type, resolved.root, app_dir, resolved_root=real_root
                    )
                    spec = _spec(source)
                    key = cache_key(
                        {
                            "input": _input_digest(resolved, paths, the_pass),
                            "paths": paths,
                            # the build environment carries the commit into the output
                            "revision": resolved.revision
                            if "ARGOCD_APP_REVISION" in orjson.dumps(spec).decode()
                            else None,
                            "refs": ref_digests,
                            "source": spec,
                            "type": source_type,
                            "engine": engine,
                            "app": app_instance_name(app, controller_namespace),
                            "name": app_name,
                            "namespace": dest_ns,
                            "project": str(getattr(app.spec, "project", "") or ""),
                            "kube": kube_version,
                            "apis": sorted(api_versions),
                            "options": _spec(dict(opts)),
                        }
                    )
                    cache.fit(the_pass.saw(key))
                    if not no_cache:
                        hit = cache.get(key)
                        if hit is not None:
                            renders.append(
                                SourceRender(
                                    index,
                                    source_type,
                                    resolved.revision,
                                    hit["manifests"],
                                    cache.last_hit,
                                )
                            )
                            _record(metrics, source_type, started, cache_hit=True)
                            continue
            manifests = expand_lists(
                _require_kinds(renderer.render(ctx), source_type, source.path or ".")
            )
            # decrypted secrets never reach a cache (memory, disk or shared)
            if key is not None and cache is not None and not ctx.contains_secrets:
                cache.put(key, {"manifests": manifests})
            renders.append(
                SourceRender(
                    index,
                    source_type,
                    resolved.revision,
                    manifests,
                    contains_secrets=ctx.contains_secrets,
                )
            )
            _record(metrics, source_type, started, cache_hit=False)

    combined: list[dict[str, Any]] = []
    for r in renders:
        combined.extend(r.manifests)
    manifests, warnings = _dedupe(combined, dest_ns)
    primary = next((r for r in renders if r.source_type is not None), renders[0])
    return RenderResult(
        manifests=manifests,
        revision=primary.revision,
        source_type=primary.source_type or "Directory",
        revisions=tuple(r.revision for r in renders),
        source_types=tuple(r.source_type for r in renders),
        warnings=tuple(warnings),
        sources=tuple(renders),
        contains_secrets=any(r.contains_secrets for r in renders),
    )


@functools.cache
def _shared_default_registry() -> RendererRegistry:
    """The built-in renderers, built once per process for calls that bring no registry
    (building them is a third of a cached render's cost)."""
    return default_registry()


def _detect(
    source: Any,
    app_dir: Path,
    ctx: RenderContext,
    registry: RendererRegistry,
    disabled: Any,
) -> str:
    """Argo CD's source-type detection (section 9.7), with plugin discovery run against the
    full render context (plugins directory, build variables) before the file checks."""
    if explicit_type(source) is None and ctx.plugins_dir is not None and "Plugin" in registry:
        discover = getattr(registry.get("Plugin"), "discover", None)
        if discover is not None and discover(ctx) is not None:
            return "Plugin"
    return detect_source_type(source, app_dir, registry, disabled=disabled)
