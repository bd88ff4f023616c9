"""The object store under :class:`~gitopslib.cluster.memory.MemoryCluster`: stored objects by key,
the indexes kept in step with every write (tracking, owners, kinds) and the cluster-scoped
kinds, built in or declared by stored CustomResourceDefinitions."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from gitopslib.cluster._common import key_for, tracked_by
from gitopslib.manifest import ANNOTATION_TRACKING_ID, CLUSTER_SCOPED_KINDS, ResourceKey

__all__ = ["IndexedStore"]

_CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")


class IndexedStore:
    """Objects by :class:`ResourceKey`, with the indexes reads use instead of scanning them
    all. ``api_resources``: the (group, kind) pairs the API serves (None: any kind);
    ``cluster_scoped``: extra cluster-scoped kinds."""

    def __init__(
        self,
        *,
        api_resources: Collection[tuple[str, str]] | None = None,
        cluster_scoped: Collection[tuple[str, str]] = (),
    ) -> None:
        self._api_resources = None if api_resources is None else set(api_resources)
        self._scoped = set(CLUSTER_SCOPED_KINDS) | set(cluster_scoped)
        self._objects: dict[ResourceKey, dict[str, Any]] = {}
        # indexes kept by _put/_pop, so reads never scan every stored object
        self._by_instance: dict[str, set[ResourceKey]] = {}  # tracking-id annotation
        self._by_label_value: dict[str, set[ResourceKey]] = {}  # labels of the unannotated
        self._indexed: dict[ResourceKey, tuple[str | None, tuple[str, ...]]] = {}
        self._by_owner: dict[str, set[ResourceKey]] = {}  # ownerReferences uid
        self._owners_of: dict[ResourceKey, tuple[str, ...]] = {}
        self._api_kinds: dict[tuple[str, str], int] = {}  # (apiVersion, kind) -> count
        self._kind_of: dict[ResourceKey, tuple[str, str]] = {}
        self._crds: dict[ResourceKey, dict[str, Any]] = {}
        self._crd_cache: tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]] | None = None

    def _key(self, obj: Mapping[str, Any]) -> ResourceKey:
        return key_for(obj, self._cluster_scoped())

    def _normal_key(self, key: ResourceKey) -> ResourceKey:
        scoped = (key.group, key.kind) in self._cluster_scoped()
        return key._replace(namespace="") if scoped and key.namespace else key

    def cluster_scoped_kinds(self) -> set[tuple[str, str]]:
        """(group, kind) of the cluster-scoped kinds: built in, given, or declared by a stored
        CustomResourceDefinition (the in-memory stand-in for API discovery)."""
        return set(self._cluster_scoped())

    def _crd_kinds(self) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
        """The (group, kind) pairs the stored CRDs serve, and every cluster-scoped pair
        (built-in, configured and cluster-scoped CRDs). Cached until a CRD is written or
        removed."""
        if self._crd_cache is None:
            served: set[tuple[str, str]] = set()
            scoped = set(self._scoped)
            for obj in self._crds.values():
                spec = obj.get("spec") or {}
                group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
                if isinstance(group, str) and isinstance(kind, str):
                    served.add((group, kind))
                if spec.get("scope") == "Cluster":
                    scoped.add((str(group), str(kind)))
            self._crd_cache = (frozenset(served), frozenset(scoped))
        return self._crd_cache

    def _cluster_scoped(self) -> frozenset[tuple[str, str]]:
        return self._crd_kinds()[1]

    def _known(self, group: str, kind: str) -> bool:
        if self._api_resources is None:
            return True
        return (group, kind) in self._api_resources or (group, kind) in self._crd_kinds()[0]

    # -- indexes ---------------------------------------------------------------------------

    def _put(self, key: ResourceKey, obj: dict[str, Any]) -> None:
        """Store ``obj`` under ``key`` and bring every index up to date."""
        if key in self._objects:
            self._unindex(key)
        self._objects[key] = obj
        meta = obj.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        instance: str | None = None
        values: tuple[str, ...] = ()
        if ANNOTATION_TRACKING_ID in annotations:
            instance = tracked_by(obj)  # None for a malformed id: it claims nothing
            if instance is not None:
                self._by_instance.setdefault(instance, set()).add(key)
        else:
            values = tuple({str(v) for v in (meta.get("labels") or {}).values() if v})
            for value in values:
                self._by_label_value.setdefault(value, set()).add(key)
        self._indexed[key] = (instance, values)
        owners = tuple(
            str(ref["uid"])
            for ref in meta.get("ownerReferences") or []
            if isinstance(ref, dict) and ref.get("uid")
        )
        for uid in owners:
            self._by_owner.setdefault(uid, set()).add(key)
        self._owners_of[key] = owners
        kind = (str(obj.get("apiVersion") or ""), str(obj.get("kind")))
        self._api_kinds[kind] = self._api_kinds.get(kind, 0) + 1
        self._kind_of[key] = kind
        if (key.group, key.kind) == _CRD:
            self._crds[key] = obj
            self._crd_cache = None

    def _pop(self, key: ResourceKey) -> dict[str, Any] | None:
        """Remove the object stored under ``key`` (and its index entries)."""
        obj = self._objects.pop(key, None)
        if obj is not None:
            self._unindex(key)
        return obj

    def _unindex(self, key: ResourceKey) -> None:
        instance, values = self._indexed.pop(key)
        if instance is not None:
            _discard(self._by_instance, instance, key)
        for value in values:
            _discard(self._by_label_value, value, key)
        for uid in self._owners_of.pop(key):
            _discard(self._by_owner, uid, key)
        kind = self._kind_of.pop(key)
        count = self._api_kinds[kind] - 1
        if count:
            self._api_kinds[kind] = count
        else:
            del self._api_kinds[kind]
        if self._crds.pop(key, None) is not None:
            self._crd_cache = None


def _discard(index: dict[str, set[ResourceKey]], value: str, key: ResourceKey) -> None:
    keys = index.get(value)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[value]
