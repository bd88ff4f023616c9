"""Notified state kept in the cluster, beside the app's status record, so a restarted process
(or another replica) does not send again.

The operations loop hands the notifier a fresh copy of the app after every state change, so the
``notified.notifications.argoproj.io`` annotation written on that copy does not outlive it.
:class:`ClusterStateStore` keeps the same annotation, in Argo CD's format, on a ConfigMap of
its own (``gitopslib.notified.<app>``, labelled ``app.kubernetes.io/managed-by=gitopslib``) in
the app's namespace: not on the status record itself, whose writes are guarded by
``resourceVersion`` and must not be disturbed while an operation runs.

>>> from gitopslib.cluster import MemoryCluster
>>> store = ClusterStateStore(MemoryCluster())
>>> app = {"metadata": {"name": "web", "namespace": "argocd"}}
>>> store.load(app) is None
True
>>> store.save(app, '{"k":1}')
>>> store.load(app)
'{"k":1}'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from gitopslib.manifest import ResourceKey
from gitopslib.notifications.state import NOTIFIED_ANNOTATION

__all__ = ["ClusterStateStore"]

_PREFIX = "gitopslib.notified."


def _identity(app: Mapping[str, Any]) -> tuple[str, str | None]:
    meta = app.get("metadata") or {}
    return str(meta.get("name") or ""), meta.get("namespace")


def _object_name(app_name: str) -> str:
    name = _PREFIX + app_name
    if len(name) <= 253:
        return name
    digest = hashlib.sha256(app_name.encode()).hexdigest()[:10]
    return f"{name[:242]}-{digest}"


class ClusterStateStore:
    """A :class:`~gitopslib.notifications.state.StateStore` on any ``Cluster``
    (``MemoryCluster``, ``KubernetesCluster``, ...). ``namespace``: where the ConfigMaps live
    (None: each app's ``metadata.namespace``, else ``argocd``)."""

    def __init__(self, cluster: Any, *, namespace: str | None = None) -> None:
        self.cluster = cluster
        self.namespace = namespace

    def _key(self, app: Mapping[str, Any]) -> tuple[ResourceKey, str]:
        name, namespace = _identity(app)
        where = self.namespace or namespace or "argocd"
        return ResourceKey("", "ConfigMap", where, _object_name(name)), name

    def load(self, app: Mapping[str, Any]) -> str | None:
        """The annotation's JSON text, or None when nothing was sent yet."""
        key, _ = self._key(app)
        obj = self.cluster.get(key)
        if obj is None:
            return None
        value = ((obj.get("metadata") or {}).get("annotations") or {}).get(NOTIFIED_ANNOTATION)
        return value if isinstance(value, str) else None

    def save(self, app: Mapping[str, Any], value: str | None) -> None:
        """Write the annotation (None removes it)."""
        key, name = self._key(app)
        patch = {"metadata": {"annotations": {NOTIFIED_ANNOTATION: value}}}
        if self.cluster.patch(key, patch) is not None or value is None:
            return
        obj = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": key.name,
                "namespace": key.namespace,
                "labels": {"app.kubernetes.io/managed-by": "gitopslib"},
                "annotations": {NOTIFIED_ANNOTATION: value},
            },
            "data": {"application": name},
        }
        self.cluster.apply(obj, mode="create", validate=False)
