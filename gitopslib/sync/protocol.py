"""The ``Cluster`` protocol: everything the sync executor needs from a Kubernetes cluster.

The executor (:mod:`gitopslib.sync.execute`) never builds a cluster; it is handed an object
that has these few methods. Adapters live in :mod:`gitopslib.cluster`: an in-memory cluster
for offline previews and tests, read-only YAML snapshots, and the real API server through the
official ``kubernetes`` client. Anything else (a recording proxy, a cluster behind a queue)
only has to provide the same methods.

Objects are plain dicts exactly as the API returns them; identities are
:class:`~gitopslib.manifest.ResourceKey` (group without version, kind, namespace, name).
Failures raise :class:`~gitopslib.errors.ClusterError` carrying ``verb``, ``key`` and the
HTTP-like ``status`` code (404 when the object or its kind does not exist, 409 on conflict).

Two batch calls, :func:`apply_many` and :func:`get_many`, let an adapter that talks to a
server do several objects at once (concurrent writes, one list instead of many gets); they
fall back to one call per object on adapters without ``apply_many`` / ``get_many`` methods.
An adapter that sends requests honours the operation's deadline
(:mod:`gitopslib.sync.deadline`).

>>> from gitopslib.sync.protocol import Cluster, apply_message
>>> apply_message({"apiVersion": "apps/v1", "kind": "Deployment",
...                "metadata": {"name": "web"}}, "created")
'deployment.apps/web created'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from gitopslib.errors import ClusterError
from gitopslib.manifest import ResourceKey, api_group

__all__ = [
    "ARGOCD_FIELD_MANAGER",
    "ApplyMode",
    "ApplyRequest",
    "ApplyResult",
    "Cluster",
    "ClusterEvent",
    "apply_many",
    "apply_message",
    "get_many",
]

#: Field manager of server-side apply, as Argo CD's controller uses it.
ARGOCD_FIELD_MANAGER = "argocd-controller"

#: How an object is sent; the planner's ``SyncTask.apply_mode`` values.
ApplyMode = Literal["client-side apply", "server-side apply", "create", "replace", "update"]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply did: the object as stored (or as it would be, for a dry run) and a
    kubectl-style message such as ``deployment.apps/web configured``.

    >>> ApplyResult({"kind": "ConfigMap"}, "configmap/a created").message
    'configmap/a created'
    """

    object: dict[str, Any] = field(repr=False)  # may be a Secret: never in a repr
    message: str


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    """One object for :func:`apply_many`: the keyword arguments of ``Cluster.apply``, plus
    what the caller last saw: ``exists`` (False: absent, so an adapter may create it without
    reading it first; None: unknown) and ``live`` (the object as last read, which an adapter
    may use instead of reading it again for a dry run).

    >>> ApplyRequest({"kind": "ConfigMap"}, dry_run=True).mode
    'client-side apply'
    """

    obj: Mapping[str, Any] = field(repr=False)
    mode: ApplyMode = "client-side apply"
    dry_run: bool = False
    force: bool = False
    validate: bool = True
    field_manager: str = ARGOCD_FIELD_MANAGER
    exists: bool | None = None
    live: Mapping[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """One write a cluster received (recorded by :class:`~gitopslib.cluster.MemoryCluster`):
    ``verb`` is ``create``, ``update``, ``patch`` or ``delete``.

    >>> ClusterEvent("create", ResourceKey("", "ConfigMap", "ns", "a")).verb
    'create'
    """

    verb: str
    key: ResourceKey
    dry_run: bool = False
    detail: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def apply_message(obj: Mapping[str, Any], outcome: str, *, dry_run: bool = False) -> str:
    """kubectl's wording for an applied object: ``<kind>[.<group>]/<name> <outcome>``.

    >>> apply_message({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}},
    ...               "configured", dry_run=True)
    'service/s configured (dry run)'
    """
    group = api_group(obj)
    kind = str(obj.get("kind") or "").lower()
    name = str((obj.get("metadata") or {}).get("name") or "")
    resource = f"{kind}.{group}" if group else kind
    suffix = " (dry run)" if dry_run else ""
    return f"{resource}/{name} {outcome}{suffix}"


@runtime_checkable
class Cluster(Protocol):
    """What the sync executor drives: list tracked objects, get, apply (client-side,
    server-side, create, replace, update), delete, merge-patch, each with a dry-run mode.

    >>> from gitopslib.cluster import MemoryCluster
    >>> isinstance(MemoryCluster(), Cluster)
    True
    """

    def list_tracked(self, app_instance: str, *, label_key: str = ...) -> list[dict[str, Any]]:
        """Live objects whose tracking names ``app_instance``: the
        ``argocd.argoproj.io/tracking-id`` annotation's instance part, or (objects without
        that annotation) the instance label ``label_key``."""
        ...

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        ...

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        mode: ApplyMode = "client-side apply",
        dry_run: bool = False,
        force: bool = False,
        validate: bool = True,
        field_manager: str = ARGOCD_FIELD_MANAGER,
    ) -> ApplyResult:
        """Send ``obj`` (namespace already filled in) and return what the server stored."""
        ...

    def delete(
        self,
        key: ResourceKey,
        *,
        propagation_policy: str | None = "foreground",
        dry_run: bool = False,
    ) -> bool:
        """Delete the object; False when it did not exist. With finalizers the object stays,
        marked with ``metadata.deletionTimestamp``, until they are removed."""
        ...

    def patch(
        self, key: ResourceKey, patch: Mapping[str, Any], *, dry_run: bool = False
    ) -> dict[str, Any] | None:
        """Apply a JSON merge patch (RFC 7386); None when the object does not exist."""
        ...


def apply_many(
    cluster: Cluster, requests: Sequence[ApplyRequest]
) -> list[ApplyResult | ClusterError]:
    """Apply every request; one ``ApplyResult`` or ``ClusterError`` per request, in order.
    Uses the cluster's own ``apply_many`` (which may run them concurrently) when it has one.

    >>> from gitopslib.cluster import MemoryCluster
    >>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}}
    >>> [r.message for r in apply_many(MemoryCluster(), [ApplyRequest(cm)])]
    ['configmap/a created']
    """
    batch = getattr(cluster, "apply_many", None)
    if callable(batch):
        return list(batch(requests))
    out: list[ApplyResult | ClusterError] = []
    for req in requests:
        try:
            out.append(
                cluster.apply(
                    req.obj,
                    mode=req.mode,
                    dry_run=req.dry_run,
                    force=req.force,
                    validate=req.validate,
                    field_manager=req.field_manager,
                )
            )
        except ClusterError as exc:
            out.append(exc)
    return out


def get_many(
    cluster: Cluster, keys: Sequence[ResourceKey]
) -> list[dict[str, Any] | ClusterError | None]:
    """The live object (or None) for every key, in order; a ``ClusterError`` in place of
    the ones that could not be read. Uses the cluster's own ``get_many`` when it has one.

    >>> from gitopslib.cluster import MemoryCluster
    >>> get_many(MemoryCluster(), [ResourceKey("", "ConfigMap", "n", "a")])
    [None]
    """
    batch = getattr(cluster, "get_many", None)
    if callable(batch):
        return list(batch(keys))
    out: list[dict[str, Any] | ClusterError | None] = []
    for key in keys:
        try:
            out.append(cluster.get(key))
        except ClusterError as exc:
            out.append(exc)
    return out
