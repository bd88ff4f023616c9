"""``helm template``'s output as Helm prints it: CRDs, manifests in Helm's install order, then
hooks, parsed; and a failed render located (:class:`HelmTemplateError` with ``template`` and
``line``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from gitopslib.errors import ManifestError, RenderError
from gitopslib.manifest import load_yaml_documents
from gitopslib.sync._kinds import KIND_ORDER

__all__ = ["HELM_INSTALL_ORDER", "HelmTemplateError", "order_helm_output"]

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

_SPLIT = re.compile(r"(?:^|\s*\n)---\s*")
_TEMPLATE_LOCATION = re.compile(
    r"(?P<template>[\w.\-/]+\.(?:ya?ml|tpl|txt|json)):(?P<line>\d+)(?::(?P<col>\d+))?"
)
_PARSE_LOCATION = re.compile(r"\((?P<template>[^():\s]+):(?P<line>\d+)\)")


class HelmTemplateError(RenderError):
    """A chart failed to render. ``template`` and ``line`` locate the failure when Helm
    reported them."""

    template: str | None
    line: int | None


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
