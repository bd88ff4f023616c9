"""What ``helm template`` gets for one source: value files (their schemes, ``$ref`` paths and
confinement), ``values``/``valuesObject``, parameters and file parameters, resolved as Argo CD
resolves them (:func:`helm_inputs`), and their JSON form for an engine worker."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopslib.errors import PathEscapeError, RenderError
from gitopslib.secrets import SecretBytes
from gitopslib.sources._base import (
    RenderContext,
    build_env,
    confined_path,
    envsubst,
    tool_kube_version,
)
from gitopslib.sources._helm_secrets import DecryptedValues, secret_value_file

__all__ = ["DEFAULT_VALUES_FILE_SCHEMES", "HelmInputs", "helm_inputs"]

#: Argo CD's argocd-cm ``helm.valuesFileSchemes`` default.
DEFAULT_VALUES_FILE_SCHEMES = ("https", "http")

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


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
