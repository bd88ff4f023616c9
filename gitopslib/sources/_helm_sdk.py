"""Helm in-process: helm-python-sdk rendering a chart inside an engine worker
(:mod:`gitopslib.sources._sandbox`), with the values Helm's CLI would compose and the chart's
local (``file://``) dependencies built offline in a scratch copy."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from gitopslib.errors import EngineNotFoundError, PathEscapeError, RenderError
from gitopslib.giturl import mask_credentials
from gitopslib.sources._base import check_tree_confined, is_inside
from gitopslib.sources._helm_inputs import HelmInputs, _inputs_from_json
from gitopslib.sources._helm_output import _template_error

__all__ = ["helm_version_here", "render_chart_here"]

_EXTRA_HINT = "pip install gitopslib[helm]"


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


def _require_helm_python() -> None:
    """Fail here, naming the extra, when helm-python-sdk is missing (without loading its Go
    runtime into this process: charts render in an engine worker)."""
    if importlib.util.find_spec("helm_python") is None:
        _helm_python()


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
