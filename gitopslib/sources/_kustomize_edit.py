"""What ``kustomize edit`` does to a kustomization, as pure functions on its parsed mapping.

Argo CD applies an Application's ``spec.source.kustomize`` overrides by running
``kustomize edit set nameprefix|namesuffix|image|replicas|namespace`` and
``kustomize edit add label|annotation|component`` in the app directory, then appending
``patches`` to the file itself. ``kubectl kustomize`` has no ``edit``, so gitopslib makes the
same changes here, with the same semantics (learned from kustomize's ``commands/edit``):

* ``set nameprefix`` / ``set namesuffix`` / ``set namespace`` replace the field (the
  kustomization's own prefix is replaced, not extended); the namespace must be a DNS-1123 label.
* ``set image`` parses each argument (``name:tag``, ``name@digest``, ``name=new[:tag|@digest]``,
  ``*`` keeping a value already in the file), replaces the entry with the same ``name``, keeps
  the others, and sorts ``images`` by name.
* ``set replicas`` merges ``name=count`` entries by name, sorted by name.
* ``add label`` writes ``commonLabels`` (a key already there is an error unless ``force``);
  with ``without_selector`` it appends one ``labels`` entry (``includeSelectors`` off,
  ``includeTemplates`` as asked); ``add annotation`` writes ``commonAnnotations`` likewise.
  Keys and label values are validated as Kubernetes does; a value wrapped in double quotes
  loses them, as the ``key:value`` argument parser trims them.
* ``add component`` appends paths (glob patterns expanded) that are not already listed.
* patches are appended to ``patches`` (created when absent).

>>> k = {"namePrefix": "kustomize-", "images": [{"name": "b", "newTag": "1"}]}
>>> set_name_prefix(k, "staging-"); set_images(k, ["a=reg/a:2", "b@sha256:00"])
>>> k["namePrefix"], [sorted(i.items()) for i in k["images"]]  # doctest: +NORMALIZE_WHITESPACE
('staging-', [[('name', 'a'), ('newName', 'reg/a'), ('newTag', '2')],
              [('digest', 'sha256:00'), ('name', 'b')]])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitopslib.errors import RenderError

__all__ = [
    "KustomizeEditError",
    "ParsedImage",
    "add_annotations",
    "add_components",
    "add_labels",
    "add_patches",
    "parse_image",
    "set_images",
    "set_name_prefix",
    "set_name_suffix",
    "set_namespace",
    "set_replicas",
]

Kustomization = MutableMapping[str, Any]


class KustomizeEditError(RenderError, ValueError):
    """An override that ``kustomize edit`` would refuse (bad image, label, namespace, ...)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, source_type="Kustomize", path=None, field=field)


# --- prefix, suffix, namespace ---------------------------------------------------------------


def set_name_prefix(k: Kustomization, prefix: str) -> None:
    """``kustomize edit set nameprefix -- <prefix>``: replaces ``namePrefix``."""
    k["namePrefix"] = prefix


def set_name_suffix(k: Kustomization, suffix: str) -> None:
    """``kustomize edit set namesuffix -- <suffix>``: replaces ``nameSuffix``."""
    k["nameSuffix"] = suffix


_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def set_namespace(k: Kustomization, namespace: str) -> None:
    """``kustomize edit set namespace -- <ns>``: replaces ``namespace`` (a DNS-1123 label)."""
    if len(namespace) > 63 or not _DNS1123_LABEL.match(namespace):
        raise KustomizeEditError(
            f"{namespace!r} is not a valid namespace name: it must be a lowercase RFC 1123 "
            "label of at most 63 characters",
            field="spec.source.kustomize.namespace",
        )
    k["namespace"] = namespace


# --- images ----------------------------------------------------------------------------------

_TAG = re.compile(r"^(.*):([a-zA-Z0-9._-]*|\*)$")
_PRESERVE = "*"


@dataclass(frozen=True)
class ParsedImage:
    """One ``kustomize edit set image`` argument."""

    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""


def _split_overwrite(arg: str, allow_bare: bool) -> tuple[str, str, str] | None:
    """(name, tag, digest) of ``image[:tag][@digest]``; None when it is not one."""
    if "@" in arg:
        parts = arg.split("@")
        head, digest = parts[0], parts[1]
        m = _TAG.match(head)
        if m:
            return m.group(1), m.group(2), digest
        return head, "", digest
    m = _TAG.match(arg)
    if m:
        return m.group(1), m.group(2), ""
    if arg and allow_bare:
        return arg, "", ""
    return None


def parse_image(arg: str) -> ParsedImage:
    """Parse ``<image>=<new>[:tag|@digest]``, ``<image>:<tag>`` or ``<image>@<digest>``.

    >>> parse_image("nginx=reg.io/nginx:1.25")
    ParsedImage(name='nginx', new_name='reg.io/nginx', new_tag='1.25', digest='')
    """
    parts = arg.split("=")
    if len(parts) == 2:
        got = _split_overwrite(parts[1], allow_bare=True)
        if got is not None:
            return ParsedImage(parts[0], got[0], got[1], got[2])
    else:
        got = _split_overwrite(arg, allow_bare=False)
        if got is not None:
            return ParsedImage(got[0], "", got[1], got[2])
    raise KustomizeEditError(
        f"invalid image {arg!r}: use <image>=<newimage>:<newtag>, <image>=<newimage>@<digest>, "
        "<image>=<newimage>, <image>:<newtag> or <image>@<digest>",
        field="spec.source.kustomize.images",
    )


def _image_entry(name: str, new_name: str, new_tag: str, digest: str) -> dict[str, str]:
    entry = {"name": name}
    if new_name:
        entry["newName"] = new_name
    if new_tag:
        entry["newTag"] = new_tag
    if digest:
        entry["digest"] = digest
    return entry


def set_images(k: Kustomization, args: Sequence[str]) -> None:
    """``kustomize edit set image <args...>``: see the module docstring."""
    if not args:
        raise KustomizeEditError("no image specified", field="spec.source.kustomize.images")
    wanted: dict[str, ParsedImage] = {}
    for arg in args:
        img = parse_image(arg)
        wanted[img.name] = img
    existing = k.get("images") or []
    if not isinstance(existing, list):
        raise KustomizeEditError("the kustomization's images field is not a list")
    merged: dict[str, dict[str, str]] = {}
    for raw in existing:
        if not isinstance(raw, Mapping):
            raise KustomizeEditError("an entry of the kustomization's images is not a mapping")
        name = str(raw.get("name", ""))
        old_name = str(raw.get("newName") or "")
        old_tag = str(raw.get("newTag") or "")
        old_digest = str(raw.get("digest") or "")
        if name in wanted:
            img = wanted.pop(name)
            merged[name] = _image_entry(
                name,
                old_name if img.new_name == _PRESERVE else img.new_name,
                old_tag if img.new_tag == _PRESERVE else img.new_tag,
                old_digest if img.digest == _PRESERVE else img.digest,
            )
        else:
            merged[name] = {str(key): value for key, value in raw.items()}
    for name, img in wanted.items():
        merged[name] = _image_entry(
            name,
            "" if img.new_name == _PRESERVE else img.new_name,
            "" if img.new_tag == _PRESERVE else img.new_tag,
            "" if img.digest == _PRESERVE else img.digest,
        )
    k["images"] = [merged[name] for name in sorted(merged)]


# --- replicas --------------------------------------------------------------------------------


def set_replicas(k: Kustomization, replicas: Iterable[tuple[str, int]]) -> None:
    """``kustomize edit set replicas name=count ...``: merged by name, sorted by name."""
    wanted = dict(replicas)
    if not wanted:
        raise KustomizeEditError("no replicas specified", field="spec.source.kustomize.replicas")
    existing = k.get("replicas") or []
    if not isinstance(existing, list):
        raise KustomizeEditError("the kustomization's replicas field is not a list")
    merged: dict[str, Any] = {}
    for raw in existing:
        if isinstance(raw, Mapping) and str(raw.get("name", "")) not in wanted:
            merged[str(raw.get("name", ""))] = {str(a): b for a, b in raw.items()}
    for name, count in wanted.items():
        merged[name] = {"name": name, "count": count}
    k["replicas"] = [merged[name] for name in sorted(merged)]


# --- labels and annotations ------------------------------------------------------------------


def _check_key(key: str, what: str) -> None:
    prefix, _, name = key.rpartition("/")
    ok = bool(name) and len(name) <= 63 and bool(_QUALIFIED_NAME.match(name))
    if "/" in key:
        ok = ok and bool(prefix) and len(prefix) <= 253 and bool(_DNS1123_SUBDOMAIN.match(prefix))
    if not ok:
        raise KustomizeEditError(
            f"invalid {what} key {key!r}: it must be a qualified name ([prefix/]name, name of at "
            "most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric)",
            field=f"spec.source.kustomize.common{what.capitalize()}s",
        )


def _check_label_value(key: str, value: str) -> None:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise KustomizeEditError(
            f"invalid value {value!r} of label {key!r}: at most 63 alphanumerics, '-', '_' or "
            "'.', starting and ending alphanumeric",
            field="spec.source.kustomize.commonLabels",
        )


def _cli_value(value: str) -> str:
    """What ``kustomize edit add label|annotation`` keeps of ``key:value``'s value: one pair
    of surrounding double quotes is trimmed (kustomize's ``trimQuotes``)."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def _write_map(
    k: Kustomization, field: str, values: Mapping[str, str], force: bool, what: str
) -> None:
    current = k.get(field)
    if current is None:
        current = {}
        k[field] = current
    if not isinstance(current, MutableMapping):
        raise KustomizeEditError(f"the kustomization's {field} field is not a mapping")
    for key, value in values.items():
        if key in current and not force:
            raise KustomizeEditError(
                f"{what} {key} already in kustomization file (set force{what.capitalize()}s "
                "to override it)",
                field=f"spec.source.kustomize.common{what.capitalize()}s",
            )
        current[key] = value


def add_labels(
    k: Kustomization,
    labels: Mapping[str, str],
    *,
    force: bool = False,
    without_selector: bool = False,
    include_templates: bool = False,
) -> None:
    """``kustomize edit add label [--force] [--without-selector] [--include-templates]``."""
    if include_templates and not without_selector:
        raise KustomizeEditError(
            "--without-selector flag must be specified for --include-templates to work "
            "(labelIncludeTemplates needs labelWithoutSelector)",
            field="spec.source.kustomize.labelIncludeTemplates",
        )
    labels = {key: _cli_value(value) for key, value in labels.items()}
    for key, value in labels.items():
        _check_key(key, "label")
        _check_label_value(key, value)
    if without_selector:
        existing = k.get("labels")
        if existing is None:
            existing = []
            k["labels"] = existing
        if not isinstance(existing, list):
            raise KustomizeEditError("the kustomization's labels field is not a list")
        entry: dict[str, Any] = {"pairs": dict(labels)}
        if include_templates:
            entry["includeTemplates"] = True
        existing.append(entry)
        return
    _write_map(k, "commonLabels", labels, force, "label")


def add_annotations(
    k: Kustomization, annotations: Mapping[str, str], *, force: bool = False
) -> None:
    """``kustomize edit add annotation [--force]``: writes ``commonAnnotations``."""
    annotations = {key: _cli_value(value) for key, value in annotations.items()}
    for key in annotations:
        _check_key(key, "annotation")
    _write_map(k, "commonAnnotations", annotations, force, "annotation")


# --- patches and components ------------------------------------------------------------------


def add_patches(k: Kustomization, patches: Sequence[Mapping[str, Any]]) -> None:
    """Append ``patches`` entries (Argo CD edits the file directly; there is no edit command)."""
    existing = k.get("patches")
    if existing is None:
        k["patches"] = list(patches)
        return
    if not isinstance(existing, list):
        raise KustomizeEditError(
            f"expected the kustomization's patches field to be a list, got "
            f"{type(existing).__name__}"
        )
    existing.extend(patches)


def add_components(k: Kustomization, components: Sequence[str]) -> None:
    """``kustomize edit add component <paths>`` with the patterns already expanded: paths not
    yet listed are appended in order."""
    existing = k.get("components")
    if existing is None:
        existing = []
        k["components"] = existing
    if not isinstance(existing, list):
        raise KustomizeEditError("the kustomization's components field is not a list")
    for comp in components:
        if comp not in existing:
            existing.append(comp)
