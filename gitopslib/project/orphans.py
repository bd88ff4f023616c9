"""Orphaned resources: objects in an app's namespace that no application manages.

When an AppProject sets ``orphanedResources``, Argo CD lists the top-level (no
``ownerReferences``) namespaced objects of the app's destination namespace that the app does
not manage, that no other existing app tracks, that the project permits, and that are not
excluded: the ``default`` ServiceAccount, the ``kube-root-ca.crt`` ConfigMap, the
``kubernetes`` Service in ``default``, and every ``ignore[]`` entry (``group`` glob, ``kind``
and ``name`` empty or glob).

>>> from types import SimpleNamespace as NS
>>> proj = NS(spec=NS(orphaned_resources=NS(warn=True, ignore=None),
...                   namespace_resource_whitelist=None, namespace_resource_blacklist=None))
>>> app = NS(metadata=NS(name="web", namespace="argocd"),
...          spec=NS(destination=NS(namespace="shop")))
>>> live = [{"apiVersion": "v1", "kind": "ConfigMap",
...          "metadata": {"name": "stray", "namespace": "shop"}},
...         {"apiVersion": "v1", "kind": "ServiceAccount",
...          "metadata": {"name": "default", "namespace": "shop"}}]
>>> [str(k) for k in orphaned_resources(proj, app, live)]
['ConfigMap shop/stray']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gitopslib.globs import glob_match
from gitopslib.manifest import (
    ResourceKey,
    key_of,
)
from gitopslib.project.policy import DEFAULT_CONTROL_PLANE_NAMESPACE, is_group_kind_permitted
from gitopslib.tracking import app_instance_name, tracked_instance

__all__ = [
    "app_instance_name",
    "is_known_orphan_exclusion",
    "orphaned_resources",
    "orphaned_resources_warning",
    "tracked_instance",
]


def _f(item: Any, name: str) -> str:
    if isinstance(item, Mapping):
        return str(item.get(name) or "")
    return str(getattr(item, name, None) or "")


def is_known_orphan_exclusion(key: ResourceKey, ignore: Iterable[Any] | None = ()) -> bool:
    """Whether ``key`` is never reported as an orphan (built-ins and ``ignore`` entries).

    >>> is_known_orphan_exclusion(ResourceKey("", "ConfigMap", "x", "kube-root-ca.crt"))
    True
    >>> is_known_orphan_exclusion(ResourceKey("apps", "Deployment", "x", "d"),
    ...                           [{"group": "apps", "kind": "*"}])
    True
    """
    if (key.group, key.kind, key.namespace, key.name) == ("", "Service", "default", "kubernetes"):
        return True
    if key.group == "" and key.kind == "ServiceAccount" and key.name == "default":
        return True
    if key.group == "" and key.kind == "ConfigMap" and key.name == "kube-root-ca.crt":
        return True
    for item in ignore or ():
        kind, group, name = _f(item, "kind"), _f(item, "group"), _f(item, "name")
        if (
            (kind == "" or glob_match(kind, key.kind))
            and glob_match(group, key.group)
            and (name == "" or glob_match(name, key.name))
        ):
            return True
    return False


def orphaned_resources(
    project: Any,
    app: Any,
    live_objects: Iterable[Mapping[str, Any]],
    *,
    managed: Iterable[ResourceKey] = (),
    known_apps: Iterable[str] | None = None,
    control_plane_namespace: str = DEFAULT_CONTROL_PLANE_NAMESPACE,
) -> list[ResourceKey]:
    """The orphans among ``live_objects`` for ``app`` under ``project``, sorted.

    Empty when the project does not set ``orphanedResources``. An object is the app's own when
    its key is in ``managed`` or its tracking names the app; it belongs to another app when its
    tracking names another instance (only those in ``known_apps``, when given, count as
    existing apps).
    """
    settings = getattr(project.spec, "orphaned_resources", None)
    if settings is None:
        return []
    ignore = getattr(settings, "ignore", None)
    dest_ns = str(getattr(app.spec.destination, "namespace", None) or "")
    own = app_instance_name(app, control_plane_namespace)
    managed_keys = set(managed)
    existing = None if known_apps is None else set(known_apps)
    out: list[ResourceKey] = []
    for obj in live_objects:
        key = key_of(obj)
        if not key.namespace or key.namespace != dest_ns:
            continue
        if (obj.get("metadata") or {}).get("ownerReferences"):
            continue
        if key in managed_keys:
            continue
        owner = tracked_instance(obj)
        if owner == own or (owner and (existing is None or owner in existing)):
            continue
        if not is_group_kind_permitted(project.spec, key.group, key.kind, True, key.name):
            continue
        if is_known_orphan_exclusion(key, ignore):
            continue
        out.append(key)
    return sorted(set(out))


def orphaned_resources_warning(project: Any, orphans: list[ResourceKey]) -> str | None:
    """The ``OrphanedResourceWarning`` condition message, when the project asks to warn.

    As in Argo CD, ``warn`` defaults to true once ``orphanedResources`` is set.
    """
    settings = getattr(project.spec, "orphaned_resources", None)
    if settings is None or getattr(settings, "warn", None) is False or not orphans:
        return None
    return f"Application has {len(orphans)} orphaned resources"
