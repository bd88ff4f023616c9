"""Builders for planner inputs: ComparisonResult / ResourceDiff made directly from objects,
so the planner tests do not depend on the diff engine."""

from __future__ import annotations

from typing import Any

from gitopslib.diff._result import ComparisonResult, ResourceDiff
from gitopslib.hooks import parse_hook
from gitopslib.manifest import key_of


def obj(
    kind: str,
    name: str,
    *,
    api_version: str = "v1",
    namespace: str | None = None,
    annotations: dict[str, str] | None = None,
    generate_name: str | None = None,
    spec: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A minimal Kubernetes object."""
    meta: dict[str, Any] = {}
    if name:
        meta["name"] = name
    if generate_name:
        meta["generateName"] = generate_name
    if namespace:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    out: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    if spec is not None:
        out["spec"] = spec
    return out


def desired(
    o: dict[str, Any],
    *,
    live: dict[str, Any] | None = None,
    status: str | None = None,
    modified: bool | None = None,
    namespace: str = "default",
) -> ResourceDiff:
    """A ResourceDiff for a desired object (optionally with its live counterpart)."""
    key = key_of(o, namespace)
    hook = parse_hook(o, strict=False).is_hook
    if status is None:
        status = "" if hook else ("OutOfSync" if live is None else "Synced")
    if modified is None:
        modified = live is None or status == "OutOfSync"
    return ResourceDiff(
        key.group,
        key.kind,
        key.namespace,
        key.name,
        status,  # type: ignore[arg-type]
        desired=o,
        live=live,
        hook=hook,
        modified=modified,
    )


def live_only(
    o: dict[str, Any], *, requires_pruning: bool = True, namespace: str = "default"
) -> ResourceDiff:
    """A ResourceDiff for a live object Git no longer has."""
    key = key_of(o, namespace)
    return ResourceDiff(
        key.group,
        key.kind,
        key.namespace,
        key.name,
        "OutOfSync",
        live=o,
        requires_pruning=requires_pruning,
        hook=parse_hook(o, strict=False).is_hook,
    )


def comparison(*resources: ResourceDiff) -> ComparisonResult:
    """A ComparisonResult over ``resources``."""
    status = "OutOfSync" if any(r.status == "OutOfSync" for r in resources) else "Synced"
    return ComparisonResult(status, list(resources))  # type: ignore[arg-type]


def from_manifests(objs: list[dict[str, Any]], namespace: str = "default") -> ComparisonResult:
    """Every object desired, nothing live (a first sync)."""
    return comparison(*(desired(o, namespace=namespace) for o in objs))


def order(plan: Any) -> list[tuple[str, int, str, str]]:
    """(phase, wave, kind, name) of each task in plan order."""
    return [(t.phase, t.wave, t.kind, t.name) for t in plan.tasks]
