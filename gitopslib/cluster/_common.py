"""Small pieces the cluster adapters share: errors, tracking lookups, merge patches."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from gitopslib._jsondata import copy_json
from gitopslib.errors import ClusterError
from gitopslib.manifest import (
    ANNOTATION_LAST_APPLIED,
    CLUSTER_SCOPED_KINDS,
    ResourceKey,
    api_group,
)
from gitopslib.tracking import tracked_instance as tracked_by

__all__ = [
    "EXCLUDED_KINDS",
    "cluster_error",
    "describe",
    "excluded",
    "json_merge_patch",
    "key_for",
    "last_applied",
    "three_way_merge",
    "tracked_by",
]

#: Kinds Argo CD never manages or watches (its core resource exclusions): events, leases,
#: node metrics and the like, by (group, kind). A group of "*" matches any group.
EXCLUDED_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Event"),
        ("events.k8s.io", "Event"),
        ("coordination.k8s.io", "Lease"),
        ("metrics.k8s.io", "*"),
        ("", "Endpoints"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("authentication.k8s.io", "*"),
        ("authorization.k8s.io", "*"),
        ("", "ComponentStatus"),
        ("", "Binding"),
        ("cilium.io", "CiliumIdentity"),
        ("kyverno.io", "AdmissionReport"),
        ("kyverno.io", "BackgroundScanReport"),
        ("wgpolicyk8s.io", "PolicyReport"),
    }
)


def excluded(group: str, kind: str) -> bool:
    """Whether (group, kind) is one of :data:`EXCLUDED_KINDS`."""
    return (group, kind) in EXCLUDED_KINDS or (group, "*") in EXCLUDED_KINDS


def describe(key: ResourceKey) -> str:
    """``Kind namespace/name`` (or ``Kind name``) with the group when it has one."""
    return str(key)


def cluster_error(
    verb: str,
    key: ResourceKey | None,
    status: int,
    reason: str,
    detail: str = "",
    *,
    what: str | None = None,
) -> ClusterError:
    """A :class:`ClusterError` naming the verb, the resource and the status code.

    >>> str(cluster_error("get", ResourceKey("", "ConfigMap", "ns", "a"), 404, "NotFound"))
    'get ConfigMap ns/a: 404 NotFound'
    """
    subject = what or (describe(key) if key is not None else "")
    message = f"{verb} {subject}: {status} {reason}" if subject else f"{verb}: {status} {reason}"
    if detail:
        message += f": {detail}"
    return ClusterError(message, verb=verb, key=key, status=status, reason=reason)


def key_for(
    obj: Mapping[str, Any], cluster_scoped: Iterable[tuple[str, str]] = CLUSTER_SCOPED_KINDS
) -> ResourceKey:
    """The key of a live or to-be-applied object (namespace "" for cluster-scoped kinds)."""
    meta = obj.get("metadata") or {}
    group = api_group(obj)
    kind = str(obj.get("kind") or "")
    scoped = cluster_scoped if isinstance(cluster_scoped, frozenset | set) else set(cluster_scoped)
    namespace = "" if (group, kind) in scoped else str(meta.get("namespace") or "")
    return ResourceKey(group, kind, namespace, str(meta.get("name") or ""))


def last_applied(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The parsed ``kubectl.kubernetes.io/last-applied-configuration`` annotation, if any."""
    ann = (obj.get("metadata") or {}).get("annotations") or {}
    raw = ann.get(ANNOTATION_LAST_APPLIED)
    if not raw:
        return None
    try:
        value = json.loads(str(raw))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: dicts merge, ``None`` deletes, anything else replaces.

    >>> json_merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}})
    {'a': 1, 'b': {'d': 3}}
    """
    if not isinstance(patch, Mapping):
        return copy_json(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = json_merge_patch(out.get(key), value)
    return out


def three_way_merge(live: Any, previous: Any, desired: Any) -> Any:
    """kubectl's client-side apply, with lists replaced whole: fields of ``desired`` win,
    fields that ``previous`` (the last applied configuration) had and ``desired`` dropped
    are removed, everything else in ``live`` (set by others) is kept.

    >>> three_way_merge({"a": 1, "b": 2, "x": 9}, {"a": 1, "b": 2}, {"a": 5})
    {'a': 5, 'x': 9}
    """
    if not isinstance(desired, Mapping) or not isinstance(live, Mapping):
        return copy_json(desired)
    prev = previous if isinstance(previous, Mapping) else {}
    out = dict(live)
    for key in prev:
        if key not in desired:
            out.pop(key, None)
    for key, value in desired.items():
        out[key] = three_way_merge(live.get(key), prev.get(key), value)
    return out
