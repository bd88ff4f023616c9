"""The live state of one Application in a cluster, as Argo CD's controller gathers it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gitopslib.errors import ClusterError
from gitopslib.manifest import LABEL_INSTANCE, ResourceKey, key_of
from gitopslib.sync.protocol import Cluster, get_many
from gitopslib.tracking import app_instance_name

__all__ = ["live_state"]


def _dest_namespace(app: Any) -> str:
    dest = getattr(app.spec, "destination", None)
    return str(getattr(dest, "namespace", None) or "")


def live_state(
    app: Any,
    cluster: Cluster,
    desired: Sequence[Mapping[str, Any]],
    *,
    label_key: str = LABEL_INSTANCE,
    controller_namespace: str = "argocd",
) -> list[dict[str, Any]]:
    """The live objects to compare with ``desired``: those the app's tracking claims, plus the
    live object of every desired key (Argo CD adopts untracked objects with the same key).

    >>> from types import SimpleNamespace as NS
    >>> from gitopslib.cluster import MemoryCluster
    >>> app = NS(metadata=NS(name="a", namespace=None), spec=NS(destination=NS(namespace="d")))
    >>> live_state(app, MemoryCluster(), [])
    []
    """
    instance = app_instance_name(app, controller_namespace)
    dest_ns = _dest_namespace(app)
    found: dict[ResourceKey, dict[str, Any]] = {}
    for obj in cluster.list_tracked(instance, label_key=label_key):
        found[key_of(obj)] = obj
    missing: dict[ResourceKey, None] = {}  # ordered, and O(1) membership
    for target in desired:
        key = key_of(target, dest_ns)
        if key in found or key in missing or not (target.get("metadata") or {}).get("name"):
            continue
        missing[key] = None
    # one batch: a cluster that can reads many objects of a kind and namespace with one list
    wanted = list(missing)
    for key, live in zip(wanted, get_many(cluster, wanted), strict=True):
        if isinstance(live, ClusterError):
            raise live
        if live is not None:
            found[key] = live
    return list(found.values())
