"""The ``Helm`` source type: ``helm template`` as Argo CD runs it, with the real engine.

Engine: a ``helm`` binary on PATH if there is one, else helm-python-sdk (Helm v4 in-process,
``pip install gitopslib[helm]``). Both get the same inputs:

* value files in order (relative to the chart, ``$ref/path`` into another source of a
  multi-source app), then ``values``/``valuesObject`` (``valuesObject`` wins), then
  ``parameters`` (``--set``; ``forceString`` is ``--set-string``) and ``fileParameters``
  (``--set-file``). Missing value files fail unless ``ignoreMissingValueFiles``.
* The build environment (``$ARGOCD_APP_NAME``...) is substituted in parameter values, value
  file paths and file-parameter paths only, never inside ``values``/``valuesObject``.
* ``releaseName`` defaults to the app name, ``namespace`` to the destination namespace;
  ``kubeVersion``/``apiVersions`` default to the render context's; CRDs are included unless
  ``skipCrds``; test hooks are dropped with ``skipTests``.
* Local dependencies (``charts/`` and ``file://``) are built offline in a scratch copy;
  a remote dependency that is not vendored fails with an error saying so.
* Output order is ``helm template``'s: CRDs, then manifests sorted by kind in Helm's install
  order, then hooks. Unknown hook types are dropped, as Helm does.

>>> HelmRenderer().name
'Helm'
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.util
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import orjson

from gitopslib.errors import (
    CommandError,
    EngineNotFoundError,
    ManifestError,
    PathEscapeError,
    RenderError,
)
from gitopslib.giturl import mask_credentials
from gitopslib.manifest import load_yaml_documents
from gitopslib.secrets import SecretBytes
from gitopslib.sources._base import (
    RenderContext,
    build_env,
    check_tree_confined,
    confined_path,
    envsubst,
    is_inside,
    minimal_env,
    tool_kube_version,
)
from gitopslib.sources._helm_secrets import (
    DecryptedValues,
    secret_value_file,
    uses_helm_secrets,
    values_fifos,
)
from gitopslib.sources._sandbox import engine_call
from gitopslib.sync._kinds import KIND_ORDER

__all__ = [
    "HELM_INSTALL_ORDER",
    "HelmInputs",
    "HelmRenderer",
    "HelmTemplateError",
    "helm_inputs",
    "order_helm_output",
]

#: Helm's ``InstallOrder``: the kind order ``helm template`` prints manifests in. Argo CD's sync
#: kind order is an older copy of the same table; Helm has since added PriorityClass first and
#: the admission webhook configurations last.
HELM_INSTALL_ORDER: tuple[str, ...] = (
    "PriorityClass",
    *KIND_ORDER,
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
)
_KIND_RANK = {kind: i for i, kind in enumerate(HELM_INSTALL_ORDER)}

_HOOK_EVENTS = frozenset(
    {
        "pre-install",
        "post-install",
        "pre-delete",
        "post-delete",
        "pre-upgrade",
        "post-upgrade",
        "pre-rollback",
        "post-rollback",
        "test",
        "test-success",
    }
)
_TEST_EVENTS = frozenset({"test", "test-success"})

#: Argo CD's argocd-cm ``helm.valuesFileSchemes`` default.
DEFAULT_VALUES_FILE_SCHEMES = ("https", "http")

_SPLIT = re.compile(r"(?:^|\s*\n)---\s*")
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_TEMPLATE_LOCATION = re.compile(
    r"(?P<template>[\w.\-/]+\.(?:ya?ml|tpl|txt|json)):(?P<line>\d+)(?::(?P<col>\d+))?"
)
_PARSE_LOCATION = re.compile(r"\((?P<template>[^():\s]+):(?P<line>\d+)\)")

_EXTRA_HINT = "pip install gitopslib[helm]"


class HelmTemplateError(RenderError):
    """A chart failed to render. ``template`` and ``line`` locate the failure when Helm
    reported them."""

    template: str | None
    line: int | None


# --- inputs --------------------------------------------------------------------------------


@dataclass
class HelmInputs:
    """What Argo CD would pass to ``helm template`` for one source, paths already resolved
    and confined."""

    chart_dir: Path
    release_name: str
    namespace: str
    value_files: list[Path | DecryptedValues] = field(default_factory=list)
    values_yaml: str | None = None
    values_object: dict[str, Any] | None = None
    set_values: dict[str, str] = field(default_factory=dict)
    set_strings: dict[str, str] = field(default_factory=dict)
    set_files: dict[str, Path] = field(default_factory=dict)
    kube_version: str | None = None
    api_versions: list[str] = field(default_factory=list)
    include_crds: bool = True
    skip_tests: bool = False
    skip_schema_validation: bool = False
    pass_credentials: bool = False


def _escape_commas(value: str) -> str:
    """Argo CD's ``cleanSetParameters``: escape unescaped commas unless the value is a
    ``{a,b}`` list."""
    if value.startswith("{") and value.endswith("}"):
        return value
    out: list[str] = []
    prev = ""
    for ch in value:
        if ch == "," and prev != "\\":
            out.append("\\,")
        else:
            out.append(ch)
        prev = ch
    return "".join(out)


def _resolve_file(
    raw: str,
    ctx: RenderContext,
    env: Mapping[str, str],
    *,
    what: str,
    schemes: Sequence[str],
) -> Path:
    """A value-file or file-parameter path, resolved as Argo CD does and confined."""
    if raw.startswith("$"):
        ref_name, _, rest = raw[1:].partition("/")
        if ref_name in ctx.ref_roots:
            # env substitution happens after the reference is resolved (Argo CD does so).
            rel = envsubst(rest, env)
            return confined_path(ctx.ref_roots[ref_name], rel, what=f"{what} {raw!r}")
        if "/" in raw and ref_name.strip("{}") not in env:  # not a ref, not a build var
            raise RenderError(
                f"{what} {raw!r} refers to source ref {ref_name!r}, but no source of the "
                f"application has `ref: {ref_name}`",
                source_type="Helm",
                path=raw,
            )
    value = envsubst(raw, env)
    scheme = _URL.match(value)
    if scheme and not (len(scheme.group(1)) == 1 and os.name == "nt"):
        name = scheme.group(1)
        if name not in schemes:
            raise RenderError(
                f"{what} {raw!r}: the URL scheme {name!r} is not allowed",
                source_type="Helm",
                path=raw,
            )
        raise RenderError(
            f"{what} {raw!r} is a remote URL; gitopslib renders offline and does not fetch "
            "remote value files (commit the file to the repository instead)",
            source_type="Helm",
            path=raw,
        )
    if Path(value).is_absolute():
        raise PathEscapeError(
            f"{what} {raw!r} is an absolute path; only paths inside the repository are allowed",
            file=raw,
            source_type="Helm",
            path=raw,
        )
    root = ctx.repo_root.resolve()
    app_rel = os.path.relpath(ctx.app_dir.resolve(), root)
    joined = os.path.normpath(Path(app_rel) / value)
    try:
        return confined_path(root, joined, what=f"{what} {raw!r}")
    except PathEscapeError as exc:
        raise PathEscapeError(
            f"{what} {raw!r} resolves outside the repository root",
            file=raw,
            source_type="Helm",
            path=raw,
        ) from exc


def helm_inputs(ctx: RenderContext) -> HelmInputs:
    """The resolved ``helm template`` inputs of ``ctx.source`` (build env substituted where
    Argo CD substitutes it).

    Raises :class:`PathEscapeError` for paths leaving the repository and
    :class:`RenderError` for missing value files (unless ``ignoreMissingValueFiles``).
    """
    helm = ctx.source.helm
    env = build_env(ctx)
    schemes = tuple(ctx.options.get("values_file_schemes", DEFAULT_VALUES_FILE_SCHEMES))
    dest = getattr(ctx.app.spec, "destination", None)
    inputs = HelmInputs(
        chart_dir=ctx.app_dir,
        release_name=str(getattr(helm, "release_name", None) or ctx.app.metadata.name),
        namespace=str(getattr(helm, "namespace", None) or getattr(dest, "namespace", None) or ""),
        # Argo CD strips suffixes such as +k3s1 / -eks-... (argocd-semantics 9.2, parseKubeVersion)
        kube_version=tool_kube_version(
            getattr(helm, "kube_version", None) or ctx.kube_version, source_type="Helm"
        ),
        api_versions=list(getattr(helm, "api_versions", None) or ctx.api_versions or []),
        include_crds=not bool(getattr(helm, "skip_crds", False)),
        skip_tests=bool(getattr(helm, "skip_tests", False)),
        skip_schema_validation=bool(getattr(helm, "skip_schema_validation", False)),
        pass_credentials=bool(getattr(helm, "pass_credentials", False)),
    )
    if helm is None:
        return inputs
    ignore_missing = bool(getattr(helm, "ignore_missing_value_files", False))
    for raw in helm.value_files or []:
        secret = secret_value_file(str(raw), ctx, env, schemes, _resolve_file)
        if secret is not None:  # helm-secrets: decrypted in memory
            if secret is not False:
                inputs.value_files.append(secret)
            elif not ignore_missing:
                raise RenderError(
                    f"value file {raw!r} does not exist (set ignoreMissingValueFiles to skip it)",
                    source_type="Helm",
                    path=str(raw),
                )
            continue
        path = _resolve_file(str(raw), ctx, env, what="value file", schemes=schemes)
        if not path.is_file():
            if ignore_missing:
                continue
            raise RenderError(
                f"value file {raw!r} does not exist (set ignoreMissingValueFiles to skip it)",
                source_type="Helm",
                path=str(raw),
            )
        inputs.value_files.append(path)
    values_object = getattr(helm, "values_object", None)
    if values_object is not None:
        inputs.values_object = dict(values_object)
    elif getattr(helm, "values", None):
        inputs.values_yaml = str(helm.values)
    for param in helm.parameters or []:
        value = _escape_commas(envsubst(str(param.value or ""), env))
        target = inputs.set_strings if getattr(param, "force_string", False) else inputs.set_values
        target[str(param.name)] = value
    for fparam in getattr(helm, "file_parameters", None) or []:
        path = _resolve_file(str(fparam.path), ctx, env, what="file parameter", schemes=schemes)
        if not path.is_file():
            raise RenderError(
                f"file parameter {fparam.name!r}: file {fparam.path!r} does not exist",
                source_type="Helm",
                path=str(fparam.path),
            )
        inputs.set_files[str(fparam.name)] = path
    return inputs


# --- output ordering -------------------------------------------------------------------------


def _split_manifests(text: str) -> list[str]:
    return [chunk for chunk in _SPLIT.split(text) if chunk.strip()]


def _parse_chunk(chunk: str, source: str) -> dict[str, Any] | None:
    try:
        docs = load_yaml_documents(chunk, file=source)
    except ManifestError as exc:
        raise HelmTemplateError(
            f"YAML parse error on {source}: {exc.message}",
            source_type="Helm",
            path=source,
            template=source,
            line=exc.line,
        ) from None
    docs = [d for d in docs if d is not None]
    if not docs:
        return None
    if len(docs) > 1 or not isinstance(docs[0], dict):
        raise HelmTemplateError(
            f"YAML parse error on {source}: not a single Kubernetes object",
            source_type="Helm",
            path=source,
            template=source,
            line=None,
        )
    doc: dict[str, Any] = docs[0]
    return doc


def _kind_key(kind: str) -> tuple[int, str]:
    rank = _KIND_RANK.get(kind)
    return (rank, "") if rank is not None else (len(_KIND_RANK), kind)


def order_helm_output(
    files: Mapping[str, str],
    crds: Sequence[tuple[str, str]] = (),
    *,
    include_crds: bool = True,
    skip_tests: bool = False,
) -> list[dict[str, Any]]:
    """Rendered templates (path -> text) as ``helm template`` prints them, parsed: CRDs,
    manifests sorted by kind (stable, install order, unknown kinds last by name), then hooks
    sorted the same way. NOTES.txt, partials (``_*``) and empty documents are dropped.

    >>> text = "kind: Deployment\\n---\\nkind: Service\\n"
    >>> [o["kind"] for o in order_helm_output({"c/templates/a.yaml": text})]
    ['Service', 'Deployment']
    """
    generic: list[tuple[tuple[int, str], int, dict[str, Any]]] = []
    hooks: list[tuple[tuple[int, str], int, dict[str, Any]]] = []
    seq = 0
    for path in sorted(files):
        if path.endswith("NOTES.txt") or path.rsplit("/", 1)[-1].startswith("_"):
            continue
        content = files[path]
        if not content.strip():
            continue
        for chunk in _split_manifests(content):
            obj = _parse_chunk(chunk, path)
            if obj is None:
                continue
            seq += 1
            kind = obj.get("kind")
            key = _kind_key(kind if isinstance(kind, str) else "")
            meta = obj.get("metadata")
            annotations = meta.get("annotations") if isinstance(meta, dict) else None
            hook = annotations.get("helm.sh/hook") if isinstance(annotations, dict) else None
            if hook is None:
                generic.append((key, seq, obj))
                continue
            events = [e.strip().lower() for e in str(hook).split(",")]
            if any(e not in _HOOK_EVENTS for e in events):
                continue  # Helm skips unknown hooks entirely
            if skip_tests and any(e in _TEST_EVENTS for e in events):
                continue
            hooks.append((key, seq, obj))
    out: list[dict[str, Any]] = []
    if include_crds:
        for filename, data in crds:
            for chunk in _split_manifests(data):
                obj = _parse_chunk(chunk, filename)
                if obj is not None:
                    out.append(obj)
    out.extend(obj for _, _, obj in sorted(generic, key=lambda t: (t[0], t[1])))
    out.extend(obj for _, _, obj in sorted(hooks, key=lambda t: (t[0], t[1])))
    return out


# --- engines -------------------------------------------------------------------------------


def _helm_python() -> Any:
    try:
        import helm_python
    except ImportError:
        raise EngineNotFoundError(
            "Helm sources need Helm: no `helm` binary on PATH and helm-python-sdk is not "
            f"installed: {_EXTRA_HINT}",
            engine="helm",
            extra="helm",
            source_type="Helm",
            path=None,
        ) from None
    return helm_python


def _merge_maps(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Helm CLI's ``mergeMaps``: maps merge recursively, anything else is replaced."""
    out = dict(a)
    for key, value in b.items():
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = _merge_maps(current, value)
        else:
            out[key] = value
    return out


def _merge_set(base: Any, parsed: Any) -> Any:
    """Apply one parsed ``--set`` expression onto ``base`` the way ``strvals.ParseInto``
    does: maps merge, list indexes replace single elements (a ``None`` hole left by parsing
    ``a[2]=x`` keeps the existing element)."""
    if isinstance(parsed, dict) and isinstance(base, dict):
        out = dict(base)
        for key, value in parsed.items():
            out[key] = _merge_set(base.get(key), value) if key in base else value
        return out
    if isinstance(parsed, list) and isinstance(base, list):
        merged = list(base) + [None] * max(0, len(parsed) - len(base))
        for i, value in enumerate(parsed):
            if value is None and i < len(base):
                continue
            merged[i] = _merge_set(base[i], value) if i < len(base) else value
        return merged
    return parsed


def _replace_token(tree: Any, token: str, content: str) -> Any:
    if isinstance(tree, dict):
        return {k: _replace_token(v, token, content) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_replace_token(v, token, content) for v in tree]
    return content if tree == token else tree


def _values_for(engine: Any, inputs: HelmInputs) -> dict[str, Any]:
    """The user-supplied values Helm's CLI would compose (``values.Options.MergeValues``)."""
    base: dict[str, Any] = {}
    for path in inputs.value_files:
        try:
            current = engine.values_from_yaml(path.read_text(encoding="utf-8")) or {}
        except engine.HelmError as exc:
            raise RenderError(
                f"value file {path.name}: {exc}", source_type="Helm", path=str(path)
            ) from None
        base = _merge_maps(base, current)
    if inputs.values_object is not None:
        base = _merge_maps(base, inputs.values_object)
    elif inputs.values_yaml:
        try:
            current = engine.values_from_yaml(inputs.values_yaml) or {}
        except engine.HelmError as exc:
            raise RenderError(f"helm.values: {exc}", source_type="Helm", path=None) from None
        base = _merge_maps(base, current)
    for parse, items in (
        (engine.parse_set_string, inputs.set_values),
        (engine.parse_set_string_values, inputs.set_strings),
    ):
        for name, value in items.items():
            try:
                base = _merge_set(base, parse(f"{name}={value}"))
            except engine.HelmError as exc:
                raise RenderError(
                    f"parameter {name!r}: {exc}", source_type="Helm", path=None
                ) from None
    for name, path in inputs.set_files.items():
        token = f"GITOPSLIB-SET-FILE-{uuid.uuid4().hex}"
        try:
            parsed = engine.parse_set_string_values(f"{name}={token}")
        except engine.HelmError as exc:
            raise RenderError(
                f"file parameter {name!r}: {exc}", source_type="Helm", path=str(path)
            ) from None
        base = _merge_set(base, _replace_token(parsed, token, path.read_text(encoding="utf-8")))
    return base


def _template_error(message: str, chart: str) -> HelmTemplateError:
    found = _TEMPLATE_LOCATION.search(message) or _PARSE_LOCATION.search(message)
    template = found.group("template") if found else None
    line = int(found.group("line")) if found else None
    where = f" in {template} line {line}" if template else ""
    return HelmTemplateError(
        f"helm template failed for chart {chart}{where}: {message.strip()}",
        source_type="Helm",
        path=chart,
        template=template,
        line=line,
    )


def _check_tree(chart_dir: Path, root: Path) -> None:
    """Refuse a chart whose files (symlinks, also inside symlinked directories) resolve
    outside the repository: Helm's loader and the scratch copy follow them."""
    check_tree_confined(chart_dir, root, source_type="Helm")


@contextmanager
def _prepared_chart(
    engine: Any, chart_dir: Path, root: Path, *, drop_schema: bool, depth: int = 0
) -> Iterator[Path]:
    """``chart_dir``, or a scratch copy of it with its local (``file://``) dependencies
    packaged into ``charts/`` and, when asked, ``values.schema.json`` files removed."""
    if depth > 10:
        raise RenderError(
            f"chart dependencies nest too deeply at {chart_dir}",
            source_type="Helm",
            path=str(chart_dir),
        )
    _check_tree(chart_dir, root)
    try:
        deps = engine.dependency_list(str(chart_dir))
    except engine.HelmError as exc:
        raise RenderError(
            f"cannot read the dependencies of chart {chart_dir.name}: {exc}",
            source_type="Helm",
            path=str(chart_dir),
        ) from None
    missing = [d for d in deps if d.get("status") == "missing"]
    has_schema = drop_schema and any(
        name == "values.schema.json" for _, _, names in os.walk(chart_dir) for name in names
    )
    if not missing and not has_schema:
        yield chart_dir
        return
    remote = [d for d in missing if not str(d.get("repository") or "").startswith("file://")]
    if remote:
        listed = ", ".join(
            f"{d['name']} {d.get('version')} from {mask_credentials(str(d.get('repository')))}"
            for d in remote
        )
        raise RenderError(
            f"chart {chart_dir.name} depends on remote charts that are not in its charts/ "
            f"directory ({listed}); gitopslib builds dependencies offline only: vendor them "
            "(helm dependency build) and commit charts/",
            source_type="Helm",
            path=str(chart_dir),
        )
    with tempfile.TemporaryDirectory(prefix="gitopslib-helm-") as scratch:
        copy = Path(scratch) / chart_dir.name
        shutil.copytree(chart_dir, copy, symlinks=False)
        if has_schema:
            for dirpath, _, names in os.walk(copy):
                if "values.schema.json" in names:
                    (Path(dirpath) / "values.schema.json").unlink()
        (copy / "charts").mkdir(exist_ok=True)
        for dep in missing:
            rel = str(dep["repository"])[len("file://") :]
            if Path(rel).is_absolute():
                raise PathEscapeError(
                    f"dependency {dep['name']!r} of chart {chart_dir.name} is an absolute "
                    f"path ({rel}); only paths inside the repository are allowed",
                    file=rel,
                    source_type="Helm",
                    path=rel,
                )
            dep_dir = Path(os.path.normpath(chart_dir / rel))
            dep_real = dep_dir.resolve()
            root_real = root.resolve()
            if not is_inside(dep_real, root_real):
                raise PathEscapeError(
                    f"dependency {dep['name']!r} of chart {chart_dir.name} "
                    f"({mask_credentials(str(dep['repository']))}) "
                    "resolves outside the repository root",
                    file=rel,
                    source_type="Helm",
                    path=rel,
                )
            if not dep_real.is_dir():
                raise RenderError(
                    f"dependency {dep['name']!r} of chart {chart_dir.name}: "
                    f"{dep['repository']} is not a directory",
                    source_type="Helm",
                    path=rel,
                )
            with (
                _prepared_chart(
                    engine, dep_real, root, drop_schema=drop_schema, depth=depth + 1
                ) as ready,
                engine.Chart.load(str(ready)) as sub,
            ):
                sub.save(str(copy / "charts"))
        yield copy


@lru_cache(maxsize=8)
def _binary_version(path: str, mtime: float) -> str:
    from gitopslib.sources._base import SubprocessRunner

    result = SubprocessRunner().run(
        [path, "version", "--short"], cwd=Path(tempfile.gettempdir()), env=minimal_env(), timeout=30
    )
    return result.stdout.strip()


def _inputs_to_json(inputs: HelmInputs) -> dict[str, Any]:
    """``inputs`` as JSON-able data for an engine worker (paths as strings)."""
    data = {f.name: getattr(inputs, f.name) for f in dataclasses.fields(inputs)}
    data["chart_dir"] = str(inputs.chart_dir)
    # helm-secrets values travel decrypted through the worker's pipe (memory), never to disk
    data["value_files"] = [
        {"name": p.name, "plain": p.read_text()}
        if isinstance(p, DecryptedValues)
        else {"path": str(p)}
        for p in inputs.value_files
    ]
    data["set_files"] = {k: str(p) for k, p in inputs.set_files.items()}
    return data


def _inputs_from_json(data: Mapping[str, Any]) -> HelmInputs:
    fields = dict(data)
    fields["chart_dir"] = Path(fields["chart_dir"])
    fields["value_files"] = [
        DecryptedValues(p["name"], SecretBytes(p["plain"].encode()))
        if "plain" in p
        else Path(p["path"])
        for p in fields["value_files"]
    ]
    fields["set_files"] = {k: Path(p) for k, p in fields["set_files"].items()}
    return HelmInputs(**fields)


def _require_helm_python() -> None:
    """Fail here, naming the extra, when helm-python-sdk is missing (without loading its Go
    runtime into this process: charts render in an engine worker)."""
    if importlib.util.find_spec("helm_python") is None:
        _helm_python()


#: The Helm SDK version the engine workers report, by helm-python-sdk version.
_SDK_VERSIONS: dict[str, str] = {}


@cache
def _sdk_package_version() -> str:
    """helm-python-sdk's installed version, looked up once per process (an
    :class:`EngineNotFoundError` naming the extra when it is missing, asked again next time).

    Every Helm cache key holds it, and asking the import system and the package metadata
    cost more than half of a warm (cached) render of a small chart. The trade-off: the key
    used to read the version from disk on every render, so an upgrade of helm-python-sdk
    under a running process changed the key at once; now that process keeps the version it
    saw first until it restarts. It never noticed such an upgrade reliably anyway: the engine
    workers that had already imported the old SDK kept rendering (and answering the SDK
    version) with it, and Python does not support upgrading a package that a running process
    has imported. A disk cache shared with processes started after the upgrade is safe: each
    new process looks the version up again, so they get new keys."""
    _require_helm_python()
    return importlib.metadata.version("helm-python-sdk")


def helm_version_here() -> str:
    """The Helm SDK version helm-python-sdk embeds (run in an engine worker)."""
    return str(_helm_python().helm_sdk_version())


def render_chart_here(inputs: dict[str, Any], repo_root: str, chart_name: str) -> dict[str, Any]:
    """``helm template`` with helm-python-sdk in this process: the rendered templates (path ->
    text) and the CRD files. Runs inside an engine worker (:mod:`gitopslib.sources._sandbox`),
    never in the caller: a Go fatal error or a runaway template ends the worker only.
    """
    inputs_ = _inputs_from_json(inputs)
    engine = _helm_python()
    values = _values_for(engine, inputs_)
    opts: dict[str, Any] = {"name": inputs_.release_name, "namespace": inputs_.namespace}
    if inputs_.kube_version:
        opts["kube_version"] = inputs_.kube_version
    if inputs_.api_versions:
        opts["api_versions"] = list(inputs_.api_versions)
    with _prepared_chart(
        engine, inputs_.chart_dir, Path(repo_root), drop_schema=inputs_.skip_schema_validation
    ) as chart_dir:
        try:
            chart = engine.Chart.load(str(chart_dir))
        except engine.HelmError as exc:
            raise RenderError(
                f"cannot load chart {chart_name}: {exc}",
                source_type="Helm",
                path=str(chart_name),
            ) from None
        with chart:
            try:
                # helm-python-sdk's public render() has no kube/API version options; the
                # library's render options accept them, so pass them the same way.
                from helm_python import _native

                rendered = orjson.loads(
                    _native.call_string(
                        "helm_render",
                        chart._raw(),
                        orjson.dumps(values).decode(),
                        orjson.dumps(opts).decode(),
                    )
                )
            except engine.HelmValuesError as exc:
                raise RenderError(
                    f"chart {chart_name}: invalid values: {exc}",
                    source_type="Helm",
                    path=str(chart_name),
                ) from None
            except engine.HelmError as exc:
                raise _template_error(str(exc), str(chart_name)) from None
            crds = [(c["filename"], c["data"]) for c in chart.crds] if inputs_.include_crds else []
    return {"rendered": rendered, "crds": crds}


class HelmRenderer:
    """Renders ``Helm`` sources with the real Helm engine.

    ``engine`` picks ``"binary"`` (``helm`` on PATH), ``"python"`` (helm-python-sdk) or
    ``"auto"`` (binary if present, else python).

    >>> HelmRenderer(engine="python").engine_name()
    'helm-python'
    """

    name = "Helm"

    def __init__(self, engine: Literal["auto", "binary", "python"] = "auto") -> None:
        self.engine = engine

    def _binary(self) -> str | None:
        if self.engine == "python":
            return None
        found = shutil.which("helm")
        if found is None and self.engine == "binary":
            raise EngineNotFoundError(
                "engine='binary' was asked for but there is no `helm` on PATH",
                engine="helm",
                extra="helm",
                source_type="Helm",
                path=None,
            )
        return found

    def engine_name(self) -> str:
        """``helm`` (a binary) or ``helm-python`` (in-process)."""
        return "helm" if self._binary() else "helm-python"

    def detect(self, app_dir: Path) -> bool:
        """A ``Chart.yaml`` in the directory root."""
        return any(p.name.endswith("Chart.yaml") for p in app_dir.iterdir() if p.is_file())

    def cache_key(self, ctx: RenderContext) -> str | None:
        """The engine and its exact version (None, never cached, with helm-secrets files)."""
        if uses_helm_secrets(ctx):
            return None
        binary = self._binary()
        if binary:
            return f"helm-binary/{_binary_version(binary, Path(binary).stat().st_mtime)}"
        package = _sdk_package_version()
        if package not in _SDK_VERSIONS:
            _SDK_VERSIONS[package] = engine_call(
                "helm_version",
                {},
                options=ctx.options,
                timeout=ctx.timeout,
                source_type="Helm",
                path=None,
            )
        return f"helm-python/{package} helm-sdk/{_SDK_VERSIONS[package]}"

    def render(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """``helm template`` of ``ctx.source``, parsed, in Helm's output order."""
        if getattr(ctx.source, "chart", None):
            raise RenderError(
                f"chart {ctx.source.chart!r} comes from the Helm repository "
                f"{mask_credentials(str(ctx.source.repo_url))}; gitopslib renders Git and "
                "local charts only (pull the chart into a repository and point `path` at it)",
                source_type="Helm",
                path=str(ctx.source.chart),
            )
        if not (ctx.app_dir / "Chart.yaml").is_file():
            raise RenderError(
                f"{ctx.source.path or '.'} has no Chart.yaml, so it is not a Helm chart",
                source_type="Helm",
                path=str(ctx.source.path or "."),
            )
        inputs = helm_inputs(ctx)
        binary = self._binary()
        if binary:
            return self._render_binary(binary, inputs, ctx)
        return self._render_python(inputs, ctx)

    # --- in-process (helm-python-sdk) ------------------------------------------------------

    def _render_python(self, inputs: HelmInputs, ctx: RenderContext) -> list[dict[str, Any]]:
        _require_helm_python()
        chart_name = str(ctx.source.path or ".")
        out = engine_call(
            "helm",
            {
                "inputs": _inputs_to_json(inputs),
                "repo_root": str(ctx.repo_root),
                "chart_name": chart_name,
            },
            options=ctx.options,
            timeout=ctx.timeout,
            source_type="Helm",
            path=chart_name,
        )
        crds = [(str(f), str(d)) for f, d in out["crds"]]
        return order_helm_output(
            out["rendered"], crds, include_crds=inputs.include_crds, skip_tests=inputs.skip_tests
        )

    # --- a helm binary -----------------------------------------------------------------------

    def template_args(self, inputs: HelmInputs, values_file: Path | None) -> list[str]:
        """The ``helm template`` arguments Argo CD builds (argocd-semantics 9.2)."""
        args = ["template", ".", "--name-template", inputs.release_name]
        if inputs.namespace:
            args += ["--namespace", inputs.namespace]
        if inputs.kube_version:
            args += ["--kube-version", inputs.kube_version]
        for name, value in inputs.set_values.items():
            args += ["--set", f"{name}={value}"]
        for name, value in inputs.set_strings.items():
            args += ["--set-string", f"{name}={value}"]
        for name, path in inputs.set_files.items():
            args += ["--set-file", f"{name}={path}"]
        for values in inputs.value_files:
            args += ["--values", str(values)]
        if values_file is not None:
            args += ["--values", str(values_file)]
        for api in inputs.api_versions:
            args += ["--api-versions", api]
        if inputs.include_crds:
            args.append("--include-crds")
        if inputs.skip_schema_validation:
            args.append("--skip-schema-validation")
        if inputs.skip_tests:
            args.append("--skip-tests")
        return args

    def _render_binary(
        self, binary: str, inputs: HelmInputs, ctx: RenderContext
    ) -> list[dict[str, Any]]:
        _check_tree(inputs.chart_dir, ctx.repo_root)
        with (
            tempfile.TemporaryDirectory(prefix="gitopslib-helm-") as scratch,
            ExitStack() as stack,
        ):
            values_file: Path | None = None
            if inputs.values_object is not None or inputs.values_yaml:
                values_file = Path(scratch) / "values.yaml"
                text = (
                    orjson.dumps(inputs.values_object).decode()
                    if inputs.values_object is not None
                    else str(inputs.values_yaml)
                )
                values_file.write_text(text, encoding="utf-8")
            inputs = values_fifos(inputs, Path(scratch), stack)
            chart_copy = Path(scratch) / "chart"
            shutil.copytree(inputs.chart_dir, chart_copy, symlinks=False)
            env = minimal_env(
                {
                    "HELM_CACHE_HOME": str(Path(scratch) / "cache"),
                    "HELM_CONFIG_HOME": str(Path(scratch) / "config"),
                    "HELM_DATA_HOME": str(Path(scratch) / "data"),
                }
            )
            args = self.template_args(inputs, values_file)
            try:
                result = ctx.runner.run(
                    [binary, *args], cwd=chart_copy, env=env, timeout=ctx.timeout
                )
            except CommandError as exc:
                if "missing in charts/ directory" in exc.stderr:
                    ctx.runner.run(
                        [binary, "dependency", "build", "--skip-refresh"],
                        cwd=chart_copy,
                        env=env,
                        timeout=ctx.timeout,
                    )
                    result = ctx.runner.run(
                        [binary, *args], cwd=chart_copy, env=env, timeout=ctx.timeout
                    )
                else:
                    raise _template_error(exc.stderr, str(ctx.source.path or ".")) from None
        objs: list[dict[str, Any]] = []
        for chunk in _split_manifests(result.stdout):
            obj = _parse_chunk(chunk, "helm template output")
            if obj is not None:
                objs.append(obj)
        return objs
