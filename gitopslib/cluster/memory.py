"""``MemoryCluster``: a Kubernetes API in a dict, for offline previews and tests.

It speaks the :class:`~gitopslib.sync.protocol.Cluster` protocol the sync executor drives:
objects get ``uid``, ``resourceVersion``, ``generation`` and ``creationTimestamp`` as an API
server would assign them; client-side apply keeps kubectl's last-applied annotation and merges
three ways; server-side apply remembers what each field manager applied; deleting an object
with finalizers only marks it (``deletionTimestamp``) until they are gone; dry runs change
nothing. Every write is recorded in :attr:`MemoryCluster.events`, in order, so a test can check
what a sync did and when.

With ``simulate=True`` the cluster also plays the controllers, so an offline sync completes:
Deployments, StatefulSets, DaemonSets and ReplicaSets become ready, Jobs complete, Pods run or
succeed, PVCs bind, and (with ``simulate_load_balancers=True``) LoadBalancer Services and
Ingresses get an address. ``ready_after`` seconds (on the injectable ``clock``) delay that, and
objects named in ``failing`` fail instead (a Job fails, a Deployment exceeds its deadline, ...).

>>> from gitopslib.manifest import ResourceKey
>>> cluster = MemoryCluster(simulate=True)
>>> job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate",
...        "namespace": "db"}, "spec": {"template": {"spec": {"restartPolicy": "Never"}}}}
>>> cluster.apply(job).message
'job.batch/migrate created'
>>> cluster.get(ResourceKey("batch", "Job", "db", "migrate"))["status"]["succeeded"]
1
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from gitopslib._jsondata import copy_json
from gitopslib._timestamps import rfc3339
from gitopslib.cluster._common import (
    cluster_error,
    json_merge_patch,
    last_applied,
    three_way_merge,
    tracked_by,
)
from gitopslib.cluster._memory_controllers import simulated_status
from gitopslib.cluster._memory_store import IndexedStore
from gitopslib.manifest import ANNOTATION_LAST_APPLIED, LABEL_INSTANCE, ResourceKey, api_group
from gitopslib.sync.protocol import (
    ARGOCD_FIELD_MANAGER,
    ApplyMode,
    ApplyResult,
    ClusterEvent,
    apply_message,
)

__all__ = ["MemoryCluster"]

#: Names of the status ConfigMaps of :mod:`gitopslib.cluster.status` (not the app's writes).
STATUS_RECORD_PREFIX = "gitopslib.app."
_UID_NAMESPACE = uuid.UUID("6f1d3a52-9a57-4c1e-8c55-2d0b7f0e4a11")
_SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields")


def _spec_part(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Everything that bumps ``generation`` when it changes (not metadata, not status)."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class MemoryCluster(IndexedStore):
    """An in-memory Kubernetes API implementing the ``Cluster`` protocol.

    ``objects``: live objects to start with (server fields are filled in when missing).
    ``simulate`` plays the controllers (see the module docs); ``simulate_load_balancers``
    gives LoadBalancer Services and Ingresses an address; ``ready_after`` delays readiness by
    that many seconds of ``clock``; ``failing`` names objects whose simulated outcome is a
    failure. ``api_resources``: the (group, kind) pairs the API serves (None: any kind; CRDs
    stored in the cluster add theirs). ``cluster_scoped``: extra cluster-scoped kinds.
    ``strict_namespaces``: refuse to create objects in a namespace that does not exist, as
    an API server does. ``now`` gives wall-clock timestamps, ``clock`` monotonic seconds.

    >>> c = MemoryCluster([{"apiVersion": "v1", "kind": "ConfigMap",
    ...                     "metadata": {"name": "a", "namespace": "ns"}}])
    >>> c.get(ResourceKey("", "ConfigMap", "ns", "a"))["metadata"]["resourceVersion"]
    '1'
    """

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]] = (),
        *,
        simulate: bool = False,
        simulate_load_balancers: bool = False,
        ready_after: float = 0.0,
        failing: Collection[str] = (),
        api_resources: Collection[tuple[str, str]] | None = None,
        cluster_scoped: Collection[tuple[str, str]] = (),
        strict_namespaces: bool = False,
        server_version: str = "v1.31.0",
        now: Callable[[], datetime] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.simulate = simulate
        self.simulate_load_balancers = simulate_load_balancers
        self.ready_after = ready_after
        self.failing = frozenset(failing)
        self.strict_namespaces = strict_namespaces
        self.server_version = server_version
        super().__init__(api_resources=api_resources, cluster_scoped=cluster_scoped)
        self._now = now or (lambda: datetime.now(UTC))
        self._clock = clock or time.monotonic
        self._managers: dict[ResourceKey, dict[str, dict[str, Any]]] = {}
        self._settle_at: dict[ResourceKey, float] = {}
        self._version = 0
        self._lock = threading.RLock()
        #: Every write, in order (dry runs too, flagged).
        self.events: list[ClusterEvent] = []
        for obj in objects:
            self.add(obj)

    # -- inspection ------------------------------------------------------------------------

    @property
    def writes(self) -> list[tuple[str, str, str]]:
        """``(verb, kind, name)`` of every real (not dry-run) write, in order, leaving out
        the status records operations keep (:mod:`gitopslib.cluster.status`; see
        :attr:`events` for those).

        >>> c = MemoryCluster()
        >>> _ = c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
        >>> c.writes
        [('create', 'ConfigMap', 'a')]
        """
        return [
            (e.verb, e.key.kind, e.key.name)
            for e in self.events
            if not e.dry_run and not self._bookkeeping(e.key)
        ]

    def _bookkeeping(self, key: ResourceKey) -> bool:
        if key.kind == "ConfigMap" and not key.group:
            return key.name.startswith(STATUS_RECORD_PREFIX)
        if key.kind == "Namespace" and not key.group:
            labels = (self._objects.get(key) or {}).get("metadata", {}).get("labels") or {}
            return labels.get("app.kubernetes.io/managed-by") == "gitopslib"
        return False

    def objects(self, *, status_records: bool = False) -> list[dict[str, Any]]:
        """Copies of every stored object, sorted by key; the status records operations keep
        (and the namespace made for them) only with ``status_records=True``."""
        with self._lock:
            for key in list(self._settle_at):
                self._settle(key)
            return [
                copy_json(self._objects[k])
                for k in sorted(self._objects)
                if status_records or not self._bookkeeping(k)
            ]

    def list_tracked(
        self, app_instance: str, *, label_key: str = LABEL_INSTANCE
    ) -> list[dict[str, Any]]:
        """Objects whose tracking-id annotation (else ``label_key`` label) names
        ``app_instance``, sorted by key. Read from an index: the cost is that of the objects
        returned, not of the whole cluster.

        >>> c = MemoryCluster([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        ...     "name": "a", "namespace": "ns", "labels": {"app.kubernetes.io/instance": "web"}}}])
        >>> [o["metadata"]["name"] for o in c.list_tracked("web")], c.list_tracked("db")
        (['a'], [])
        """
        with self._lock:
            keys = set(self._by_instance.get(app_instance, ()))
            for key in self._by_label_value.get(app_instance, ()):
                labels = (self._objects[key].get("metadata") or {}).get("labels") or {}
                if str(labels.get(label_key) or "") == app_instance:
                    keys.add(key)
            out: list[dict[str, Any]] = []
            for key in sorted(keys):
                self._settle(key)
                obj = self._objects[key]
                if tracked_by(obj, label_key) == app_instance:
                    out.append(copy_json(obj))
            return out

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """A copy of the stored object, or None."""
        with self._lock:
            key = self._normal_key(key)
            self._settle(key)
            obj = self._objects.get(key)
            return copy_json(obj) if obj is not None else None

    def api_versions(self) -> list[str]:
        """``group/version`` and ``group/version/Kind`` strings of the stored objects' kinds
        (Helm's ``.Capabilities.APIVersions``)."""
        out: set[str] = set()
        with self._lock:
            for api_version, kind in self._api_kinds:
                out.add(api_version)
                out.add(f"{api_version}/{kind}")
        return sorted(out)

    # -- writes ----------------------------------------------------------------------------

    def add(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``obj`` as it is (server fields filled in when missing); no event recorded.

        >>> MemoryCluster().add({"apiVersion": "v1", "kind": "Namespace",
        ...                      "metadata": {"name": "x"}})["metadata"]["generation"]
        1
        """
        with self._lock:
            stored = copy_json(dict(obj))
            key = self._key(stored)
            meta = stored.setdefault("metadata", {})
            meta.setdefault("uid", self._uid(key))
            meta.setdefault("creationTimestamp", rfc3339(self._now()))
            meta.setdefault("generation", 1)
            version = self._next_version()
            if not meta.get("resourceVersion"):
                meta["resourceVersion"] = version
            self._put(key, stored)
            return copy_json(stored)

    def set_status(self, key: ResourceKey, status: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the object's ``status`` as its controller would (stops the simulation of
        that object).

        >>> c = MemoryCluster([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}])
        >>> c.set_status(ResourceKey("", "Pod", "", "p"), {"phase": "Failed"})["status"]
        {'phase': 'Failed'}
        """
        with self._lock:
            key = self._normal_key(key)
            obj = self._objects.get(key)
            if obj is None:
                raise cluster_error("update status", key, 404, "NotFound")
            self._settle_at.pop(key, None)
            obj["status"] = copy_json(dict(status))
            obj["metadata"]["resourceVersion"] = self._next_version()
            return copy_json(obj)

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
        """Create or update ``obj`` the way ``mode`` says; see the protocol.

        >>> c = MemoryCluster()
        >>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
        ...       "data": {"k": "v"}}
        >>> [c.apply(cm).message, c.apply(cm).message]
        ['configmap/a created', 'configmap/a unchanged']
        """
        with self._lock:
            desired = copy_json(dict(obj))
            desired.pop("status", None)
            verb = "create"
            key = self._check(desired, mode, dry_run)
            live = self._objects.get(key)
            if mode == "create" and live is not None:
                raise cluster_error("create", key, 409, "AlreadyExists")
            if mode in ("replace", "update") and live is None:
                raise cluster_error(mode, key, 404, "NotFound")
            sent_version = (desired.get("metadata") or {}).get("resourceVersion")
            if (
                live is not None
                and mode in ("replace", "update")
                and sent_version
                and str(sent_version) != str(live["metadata"].get("resourceVersion"))
            ):
                raise cluster_error(
                    mode,
                    key,
                    409,
                    "Conflict",
                    "the object has been modified; please apply your changes to the latest "
                    "version and try again",
                )
            if mode == "client-side apply":
                body = json.dumps(self._without_last_applied(desired), sort_keys=True)
                desired.setdefault("metadata", {}).setdefault("annotations", {})[
                    ANNOTATION_LAST_APPLIED
                ] = body + "\n"
            if live is None:
                new = desired
                outcome = "created"
            else:
                verb = "update"
                if mode == "client-side apply":
                    previous = last_applied(live) or {}
                    new = three_way_merge(live, previous, desired)
                    outcome = "configured"
                elif mode == "server-side apply":
                    previous = self._managers.get(key, {}).get(field_manager, {})
                    new = three_way_merge(live, previous, desired)
                    outcome = "serverside-applied"
                else:
                    new = desired
                    new.setdefault("metadata", {})
                    outcome = "replaced" if mode == "replace" else "updated"
                    if force and mode == "replace" and not dry_run:
                        self._pop(key)
                        live = None
                        verb = "create"
            result = self._store(key, new, live, dry_run)
            if mode == "server-side apply":
                if not dry_run:
                    self._managers.setdefault(key, {})[field_manager] = desired
                outcome = "serverside-applied"
            elif live is not None and result is live:
                outcome = "unchanged"
            if not (live is not None and result is live):
                self.events.append(ClusterEvent(verb, key, dry_run, {"mode": mode}))
            if mode == "update" and outcome != "unchanged":
                message = f"{key.kind}/{key.name} {outcome}"
                if dry_run:
                    message += " (dry run)"
            else:
                message = apply_message(result, outcome, dry_run=dry_run)
            # a dry-run create returns our own copy of the input: nothing stored shares it
            handed = result if dry_run and live is None else copy_json(result)
            return ApplyResult(handed, message)

    def delete(
        self,
        key: ResourceKey,
        *,
        propagation_policy: str | None = "foreground",
        dry_run: bool = False,
    ) -> bool:
        """Delete (or, with finalizers, mark for deletion) the object; False if absent.
        Dependents (by ``ownerReferences``) go too unless ``propagation_policy="orphan"``."""
        with self._lock:
            key = self._normal_key(key)
            live = self._objects.get(key)
            if live is None:
                return False
            self.events.append(
                ClusterEvent("delete", key, dry_run, {"propagationPolicy": propagation_policy})
            )
            if dry_run:
                return True
            meta = live.setdefault("metadata", {})
            if meta.get("finalizers"):
                if not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"] = rfc3339(self._now())
                    meta["resourceVersion"] = self._next_version()
                return True
            self._remove(key, propagation_policy)
            return True

    def patch(
        self, key: ResourceKey, patch: Mapping[str, Any], *, dry_run: bool = False
    ) -> dict[str, Any] | None:
        """Apply a JSON merge patch; removing the last finalizer of an object marked for
        deletion removes it. None when the object does not exist."""
        with self._lock:
            key = self._normal_key(key)
            live = self._objects.get(key)
            if live is None:
                return None
            sent = (patch.get("metadata") or {}).get("resourceVersion")
            if sent and str(sent) != str(live["metadata"].get("resourceVersion")):
                # a resourceVersion in a patch is a precondition, as on an API server
                raise cluster_error("patch", key, 409, "Conflict", "the object has been modified")
            new: dict[str, Any] = json_merge_patch(live, dict(patch))
            self.events.append(ClusterEvent("patch", key, dry_run, {"patch": dict(patch)}))
            if dry_run:
                return copy_json(new)
            meta = new.setdefault("metadata", {})
            for field in _SERVER_FIELDS:
                if field in live.get("metadata", {}):
                    meta[field] = live["metadata"][field]
            if _spec_part(new) != _spec_part(live):
                meta["generation"] = int(meta.get("generation") or 1) + 1
            meta["resourceVersion"] = self._next_version()
            self._put(key, new)
            if meta.get("deletionTimestamp") and not meta.get("finalizers"):
                self._remove(key, "background")
                return None
            return copy_json(new)

    # -- internals -------------------------------------------------------------------------

    def _next_version(self) -> str:
        self._version += 1
        return str(self._version)

    def _uid(self, key: ResourceKey) -> str:
        return str(uuid.uuid5(_UID_NAMESPACE, f"{key}#{self._version}"))

    def _check(self, obj: dict[str, Any], mode: str, dry_run: bool) -> ResourceKey:
        meta = obj.get("metadata")
        verb = "apply" if "apply" in mode else mode
        if not obj.get("apiVersion") or not obj.get("kind"):
            raise cluster_error(verb, None, 400, "BadRequest", "apiVersion and kind are required")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise cluster_error(
                verb, None, 422, "Invalid", f"{obj.get('kind')}: metadata.name is required"
            )
        group, kind = api_group(obj), str(obj["kind"])
        key = self._key(obj)
        if not self._known(group, kind):
            raise cluster_error(
                verb,
                key,
                404,
                "NotFound",
                f'the server could not find the requested resource (kind "{kind}" in '
                f'version "{obj["apiVersion"]}")',
            )
        if key.namespace == "" and (group, kind) not in self._cluster_scoped():
            meta["namespace"] = "default"
            key = key._replace(namespace="default")
        elif key.namespace == "":
            meta.pop("namespace", None)
        if (
            self.strict_namespaces
            and not dry_run
            and key.namespace
            and ResourceKey("", "Namespace", "", key.namespace) not in self._objects
        ):
            raise cluster_error(
                verb, key, 404, "NotFound", f'namespaces "{key.namespace}" not found'
            )
        return key

    @staticmethod
    def _without_last_applied(obj: Mapping[str, Any]) -> dict[str, Any]:
        """``obj`` without the last-applied annotation, for serialising: only the maps on the
        way to it are copied, the rest is shared (it is only read)."""
        out = dict(obj)
        meta = out.get("metadata")
        ann = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(ann, dict) and ANNOTATION_LAST_APPLIED in ann:
            meta = out["metadata"] = dict(meta)  # type: ignore[arg-type]
            ann = {k: v for k, v in ann.items() if k != ANNOTATION_LAST_APPLIED}
            if ann:
                meta["annotations"] = ann
            else:
                meta.pop("annotations")
        return out

    def _store(
        self,
        key: ResourceKey,
        new: dict[str, Any],
        live: dict[str, Any] | None,
        dry_run: bool,
    ) -> dict[str, Any]:
        """Fill server fields; store unless dry run. Returns ``live`` itself if unchanged."""
        meta = new.setdefault("metadata", {})
        if live is not None:
            live_meta = live.get("metadata") or {}
            for field in _SERVER_FIELDS:
                if field in live_meta:
                    meta[field] = live_meta[field]
            for field in ("deletionTimestamp", "ownerReferences"):
                if field in live_meta and field not in meta:
                    meta[field] = live_meta[field]
            if "status" in live:
                new["status"] = copy_json(live["status"])
            comparable = {k: v for k, v in meta.items() if k != "resourceVersion"}
            live_comparable = {k: v for k, v in live_meta.items() if k != "resourceVersion"}
            if comparable == live_comparable and _spec_part(new) == _spec_part(live):
                return live
            if _spec_part(new) != _spec_part(live):
                meta["generation"] = int(live_meta.get("generation") or 1) + 1
        else:
            meta["uid"] = self._uid(key)
            meta["creationTimestamp"] = rfc3339(self._now())
            meta["generation"] = 1
            if key.kind == "Namespace" and not key.group:
                new["status"] = {"phase": "Active"}
            if key.kind == "Pod" and not key.group:
                # the API server's default, which Pod health depends on
                spec = new.setdefault("spec", {})
                if isinstance(spec, dict):
                    spec.setdefault("restartPolicy", "Always")
        if dry_run:
            meta.setdefault("resourceVersion", "")
            return new
        meta["resourceVersion"] = self._next_version()
        self._put(key, new)
        if self.simulate and (live is None or meta["generation"] != live_meta.get("generation")):
            self._settle_at[key] = self._clock() + self.ready_after
            self._settle(key)
        return new

    def _remove(self, key: ResourceKey, propagation_policy: str | None) -> None:
        obj = self._pop(key)
        self._settle_at.pop(key, None)
        self._managers.pop(key, None)
        if obj is None or (propagation_policy or "").lower() == "orphan":
            return
        uid = (obj.get("metadata") or {}).get("uid")
        children = sorted(self._by_owner.get(str(uid), ())) if uid else []
        for child in children:
            if child not in self._objects:
                continue  # removed with an earlier child
            child_meta = self._objects[child].setdefault("metadata", {})
            if child_meta.get("finalizers"):
                child_meta.setdefault("deletionTimestamp", rfc3339(self._now()))
            else:
                self._remove(child, propagation_policy)

    # -- the simulated controllers -----------------------------------------------------------

    def _settle(self, key: ResourceKey) -> None:
        due = self._settle_at.get(key)
        if due is None or self._clock() < due:
            return
        del self._settle_at[key]
        obj = self._objects.get(key)
        if obj is None:
            return
        status = simulated_status(
            obj, key.name in self.failing, self.simulate_load_balancers, rfc3339(self._now())
        )
        if status is not None:
            obj["status"] = status
            obj["metadata"]["resourceVersion"] = self._next_version()
