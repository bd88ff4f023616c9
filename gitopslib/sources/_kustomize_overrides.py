"""Argo CD's Kustomize overrides (``spec.source.kustomize``: ``namePrefix``, ``images``,
``replicas``, ``commonLabels``, ``patches``, ``components``, ...) applied to the kustomization
file of a scratch copy, in Argo CD's order, with the semantics of ``kustomize edit``
(:mod:`gitopslib.sources._kustomize_edit`); override paths are confined to the repository."""

from __future__ import annotations

import glob
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitopslib.errors import PathEscapeError, RenderError
from gitopslib.sources import _kustomize_edit as edit
from gitopslib.sources._base import envsubst, is_inside
from gitopslib.sources._kustomize_check import looks_remote

__all__ = ["apply_overrides"]


def _get(obj: Any, name: str) -> Any:
    return getattr(obj, name, None) if obj is not None else None


_OVERRIDE_FIELDS = (
    "name_prefix",
    "name_suffix",
    "images",
    "replicas",
    "common_labels",
    "common_annotations",
    "namespace",
    "patches",
    "components",
)


def _has_overrides(kz: Any) -> bool:
    return any(_get(kz, f) for f in _OVERRIDE_FIELDS)


def _replica_count(name: str, count: Any) -> int:
    if isinstance(count, bool):
        count = str(count)
    if isinstance(count, int):
        return count
    try:
        return int(str(count), 10)
    except ValueError:
        raise edit.KustomizeEditError(
            f"expected integer value for count of replica {name!r}. Received: {count}",
            field="spec.source.kustomize.replicas",
        ) from None


def _patch_dict(patch: Any) -> dict[str, Any]:
    if isinstance(patch, Mapping):
        return {str(k): v for k, v in patch.items() if v not in (None, "", {})}
    out: dict[str, Any] = {}
    for key in ("path", "patch"):
        value = _get(patch, key)
        if value:
            out[key] = value
    target = _get(patch, "target")
    if target is not None:
        tgt: dict[str, str] = {}
        if isinstance(target, Mapping):
            tgt = {str(k): str(v) for k, v in target.items() if v}
        else:
            for attr, key in (
                ("group", "group"),
                ("version", "version"),
                ("kind", "kind"),
                ("name", "name"),
                ("namespace", "namespace"),
                ("label_selector", "labelSelector"),
                ("annotation_selector", "annotationSelector"),
            ):
                value = _get(target, attr)
                if value:
                    tgt[key] = value
        if tgt:
            out["target"] = tgt
    options = _get(patch, "options")
    if options:
        out["options"] = dict(options)
    return out


def _confine(root: Path, base: Path, entry: str, what: str) -> Path:
    if Path(entry).is_absolute():
        raise PathEscapeError(
            f"{what} {entry!r} is absolute; only paths inside the repository are allowed",
            file=entry,
            source_type="Kustomize",
            path=entry,
        )
    target = (base / entry).resolve()
    if not is_inside(target, root):
        raise PathEscapeError(
            f"{what} {entry!r} leaves the repository root",
            file=entry,
            source_type="Kustomize",
            path=entry,
        )
    return target


def _quote_strings(node: Any) -> Any:
    """Every plain string double-quoted, so no YAML reader (1.1 or 1.2) can retype it."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

    if isinstance(node, str) and not isinstance(node, ScalarString):
        return DoubleQuotedScalarString(node)
    if isinstance(node, dict):
        for key in list(node):
            node[key] = _quote_strings(node[key])
        return node
    if isinstance(node, list):
        for i, item in enumerate(node):
            node[i] = _quote_strings(item)
        return node
    return node


def apply_overrides(
    kustomization_file: Path,
    kz: Any,
    env: Mapping[str, str],
    *,
    repo_root: Path,
) -> None:
    """Edit ``kustomization_file`` (inside a scratch copy) with the overrides ``kz`` in Argo CD's
    order. ``env`` is the build environment used for substitution. The file is replaced, never
    rewritten in place (it may be a hard link to the original)."""
    from ruamel.yaml import YAML  # only needed when overrides exist

    yaml_rt = YAML(typ="rt")
    yaml_rt.width = 1_000_000
    shown = kustomization_file.name
    try:
        doc = yaml_rt.load(kustomization_file.read_text(encoding="utf-8"))
    except Exception as exc:  # ruamel raises several unrelated types
        raise RenderError(
            f"{shown}: cannot parse the kustomization to apply overrides: {exc}",
            source_type="Kustomize",
            path=str(kustomization_file),
        ) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise RenderError(
            f"{shown}: expected a mapping, got {type(doc).__name__}",
            source_type="Kustomize",
            path=str(kustomization_file),
        )
    app_dir = kustomization_file.parent
    root = repo_root.resolve()

    if _get(kz, "name_prefix"):
        edit.set_name_prefix(doc, kz.name_prefix)
    if _get(kz, "name_suffix"):
        edit.set_name_suffix(doc, kz.name_suffix)
    if _get(kz, "images"):
        edit.set_images(doc, [envsubst(str(i), env) for i in kz.images])
    if _get(kz, "replicas"):
        pairs = []
        for rep in kz.replicas:
            name = str(_get(rep, "name") or (rep.get("name") if isinstance(rep, Mapping) else ""))
            count = _get(rep, "count") if not isinstance(rep, Mapping) else rep.get("count")
            pairs.append((name, _replica_count(name, count)))
        edit.set_replicas(doc, pairs)
    if _get(kz, "common_labels"):
        edit.add_labels(
            doc,
            {str(k): envsubst(str(v), env) for k, v in kz.common_labels.items()},
            force=bool(_get(kz, "force_common_labels")),
            without_selector=bool(_get(kz, "label_without_selector")),
            include_templates=bool(_get(kz, "label_include_templates")),
        )
    if _get(kz, "common_annotations"):
        subst = bool(_get(kz, "common_annotations_envsubst"))
        edit.add_annotations(
            doc,
            {
                str(k): envsubst(str(v), env) if subst else str(v)
                for k, v in kz.common_annotations.items()
            },
            force=bool(_get(kz, "force_common_annotations")),
        )
    if _get(kz, "namespace"):
        edit.set_namespace(doc, kz.namespace)
    if _get(kz, "patches"):
        patches = [_patch_dict(p) for p in kz.patches]
        for p in patches:
            if isinstance(p.get("path"), str):
                _confine(root, app_dir, p["path"], "patch path")
        edit.add_patches(doc, patches)
    if _get(kz, "components"):
        found: list[str] = []
        for comp in kz.components:
            comp = str(comp)
            if looks_remote(comp):
                found.append(comp)
                continue
            _confine(root, app_dir, comp, "component")
            matches = (
                sorted(glob.glob(comp, root_dir=app_dir))  # noqa: PTH207 - patterns may hold '..'
                if glob.has_magic(comp)
                else ([comp] if (app_dir / comp).exists() else [])
            )
            for match in matches:
                _confine(root, app_dir, match, "component")
            if not matches and not _get(kz, "ignore_missing_components"):
                raise edit.KustomizeEditError(
                    f"component {comp!r} has no match: nothing exists at that path relative "
                    "to the app path (set ignoreMissingComponents to skip it)",
                    field="spec.source.kustomize.components",
                )
            found.extend(m for m in matches if m != kustomization_file.name)
        if found:
            edit.add_components(doc, found)

    buf = io.StringIO()
    yaml_rt.dump(_quote_strings(doc), buf)
    kustomization_file.unlink()
    kustomization_file.write_text(buf.getvalue(), encoding="utf-8")
