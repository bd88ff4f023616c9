"""``KubernetesCluster``: a real API server through the official ``kubernetes`` client.

It speaks the :class:`~gitopslib.sync.protocol.Cluster` protocol over the client's dynamic
client (API discovery decides the resource path, version and scope of every kind):

* ``list_tracked`` lists every kind discovery reports that can be listed, except the kinds
  Argo CD never manages (events, leases, metrics, ...: :data:`EXCLUDED_KINDS`), and keeps the
  root objects (no ``ownerReferences``) whose tracking names the app;
* ``apply`` does server-side apply (one ``PATCH``, field manager ``argocd-controller``,
  conflicts forced),
  kubectl-style client-side apply (create, or a JSON merge patch computed three ways from the
  ``last-applied-configuration`` annotation, which it keeps up to date), create, replace or
  update; dry runs are client dry runs as Argo CD's (``kubectl apply --dry-run=client``: the
  kind must be served, the outcome is computed from the live object, nothing is sent), or
  server dry runs (``dryRun=All``) with ``dry_run_strategy="server"``, where a namespace
  that does not exist yet does not fail one;
* ``delete`` sends the propagation policy (``Foreground`` by default);
* ``server_version`` and ``api_versions`` feed rendering (Helm capabilities).

Every request has a timeout and is retried when the failure is transient (429 honouring
``Retry-After``, 500, 502, 503, 504, a dropped connection, a timeout) with exponential
backoff and jitter, within the operation's deadline (:mod:`gitopslib.sync.deadline`). Every
other API failure is a :class:`~gitopslib.errors.ClusterError` at once, naming the verb, the
resource and the HTTP status (``status`` attribute), with the server's message; credentials
from the kubeconfig never appear in it. Running out of time is a
:class:`~gitopslib.errors.ClusterTimeoutError`.

:meth:`KubernetesCluster.apply_many` sends a batch on a bounded thread pool (Argo CD applies
a wave's tasks in parallel) and creates objects the caller knows to be absent without reading
them first; :meth:`KubernetesCluster.get_many` reads many objects of one kind and namespace
with one list.

>>> # docs: needs a cluster
>>> # cluster = KubernetesCluster.from_kubeconfig(context="kind-dev")
>>> # cluster = KubernetesCluster.in_cluster()  # in a pod, as its service account
"""

from __future__ import annotations

import contextvars
import importlib
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from gitopslib.cluster._common import (
    EXCLUDED_KINDS,
    cluster_error,
    excluded,
    tracked_by,
)
from gitopslib.cluster._kube_apply import Apply, merge_patch_between
from gitopslib.cluster._kube_http import RequestPolicy, Transport, parse
from gitopslib.cluster.connection import (
    in_cluster_client,
    kubeconfig_client,
    throttle_token_refresh,
)
from gitopslib.errors import ClusterError
from gitopslib.manifest import LABEL_INSTANCE, ResourceKey, api_group
from gitopslib.observe import K8sRecorder
from gitopslib.sync.protocol import (
    ARGOCD_FIELD_MANAGER,
    ApplyMode,
    ApplyRequest,
    ApplyResult,
    apply_message,
)

__all__ = [
    "EXCLUDED_KINDS",
    "DryRunStrategy",
    "KubernetesCluster",
    "RequestPolicy",
    "merge_patch_between",
]

#: How :class:`KubernetesCluster` does a dry run: computed here, or sent with ``dryRun=All``.
DryRunStrategy = Literal["client", "server"]

#: HTTP method and body type of each request kind of :meth:`KubernetesCluster._send`.
_HTTP: dict[str, tuple[str, str]] = {
    "get": ("GET", "application/json"),
    "create": ("POST", "application/json"),
    "replace": ("PUT", "application/json"),
    "patch": ("PATCH", "application/merge-patch+json"),
    # JSON is YAML: the apply patch is sent as JSON text
    "server_side_apply": ("PATCH", "application/apply-patch+yaml"),
    "delete": ("DELETE", "application/json"),
}

_PROPAGATION = {"foreground": "Foreground", "background": "Background", "orphan": "Orphan"}

#: Reading this many objects of one kind in one namespace is one list instead of gets.
_LIST_FROM = 3


def _module(name: str) -> Any:
    """Import a module of the kubernetes client on first use (``import gitopslib`` stays
    cheap), typed as Any: the client ships no usable annotations."""
    return importlib.import_module(name)


class KubernetesCluster:
    """A Kubernetes API server as a ``Cluster``; build it with :meth:`from_kubeconfig`,
    :meth:`in_cluster` (the pod's service account) or from a ``kubernetes.client.ApiClient``.

    ``field_manager`` is the server-side apply manager (Argo CD's ``argocd-controller``);
    ``excluded_kinds`` the (group, kind) pairs never listed (``"*"`` as kind: the whole group);
    ``requests`` the timeouts and retries of every request (:class:`RequestPolicy`);
    ``concurrency`` how many writes :meth:`apply_many` sends at once; ``metrics`` a
    :class:`~gitopslib.observe.K8sRecorder` told about every request; ``sleep`` waits
    between retries (injectable for tests).

    ``dry_run_strategy`` says how a dry run (the sync's check of every object before
    anything is applied, or a whole dry-run sync) is done: ``"client"`` (the default, as
    Argo CD: the kind must be served and the outcome is computed from the live object the
    plan read, with no request per object) or ``"server"`` (``dryRun=All``: the API server
    validates each object, admission webhooks included, one request per object).
    """

    def __init__(
        self,
        api_client: Any,
        *,
        field_manager: str = ARGOCD_FIELD_MANAGER,
        excluded_kinds: frozenset[tuple[str, str]] = EXCLUDED_KINDS,
        requests: RequestPolicy | None = None,
        concurrency: int = 8,
        metrics: K8sRecorder | None = None,
        sleep: Callable[[float], None] = time.sleep,
        dry_run_strategy: DryRunStrategy = "client",
    ) -> None:
        if dry_run_strategy not in ("client", "server"):
            raise ValueError(
                f"dry_run_strategy must be 'client' or 'server', not {dry_run_strategy!r}"
            )
        dynamic = _module("kubernetes.dynamic")
        discovery = _module("kubernetes.dynamic.discovery")

        self.api_client = api_client
        self.field_manager = field_manager
        self.excluded_kinds = excluded_kinds
        self.concurrency = max(1, concurrency)
        self.metrics = metrics
        self.dry_run_strategy: DryRunStrategy = dry_run_strategy
        self._http = Transport(api_client, requests or RequestPolicy(), metrics, sleep)
        self._found: dict[tuple[str, str, str], Any] = {}
        self._discovery_lock = threading.RLock()
        self._executor: ThreadPoolExecutor | None = None
        self._pool_finalizer: weakref.finalize[Any, Any] | None = None
        throttle_token_refresh(api_client)
        self._tmp = tempfile.TemporaryDirectory(prefix="gitopslib-discovery-")
        self._finalizer = weakref.finalize(self, self._tmp.cleanup)
        cache = str(Path(self._tmp.name) / "discovery.json")
        self._dyn: Any = self._http.call(
            "discover",
            None,
            lambda _: dynamic.DynamicClient(
                api_client, cache_file=cache, discoverer=discovery.EagerDiscoverer
            ),
        )

    @classmethod
    def from_kubeconfig(
        cls,
        path: str | os.PathLike[str] | None = None,
        context: str | None = None,
        **options: Any,
    ) -> KubernetesCluster:
        """Connect with a kubeconfig file (default ``$KUBECONFIG`` or ``~/.kube/config``) and
        one of its contexts (default: the current one); ``options`` go to the constructor.

        >>> KubernetesCluster.from_kubeconfig("/nonexistent/kubeconfig")
        Traceback (most recent call last):
        ...
        gitopslib.errors.ClusterError: kubeconfig /nonexistent/kubeconfig: file not found
        """
        return cls(kubeconfig_client(path, context), **options)

    @classmethod
    def in_cluster(
        cls,
        *,
        token_file: str | os.PathLike[str] | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> KubernetesCluster:
        """Connect to the API server of the pod this process runs in, as its service account
        (``KUBERNETES_SERVICE_HOST``/``KUBERNETES_SERVICE_PORT`` from ``environ``, default
        the process's; ``token_file`` and ``ca_file`` default to the kubelet's mount under
        ``/var/run/secrets/kubernetes.io/serviceaccount/``), with the official client's
        in-cluster loader: the token is re-read as it rotates. ``options`` go to the
        constructor. A missing variable or file is a ``ClusterError`` naming each one; a CA
        that does not verify the server is one naming the CA file.

        >>> KubernetesCluster.in_cluster(environ={}, token_file="/nonexistent/token")
        Traceback (most recent call last):
        ...
        gitopslib.errors.ClusterError: in-cluster config: KUBERNETES_SERVICE_HOST is not set; ...
        """
        api_client = in_cluster_client(token_file=token_file, ca_file=ca_file, environ=environ)
        try:
            return cls(api_client, **options)
        except ClusterError as exc:
            api_client.close()
            if getattr(exc, "reason", None) != "TLSError":
                raise
            ca = api_client.configuration.ssl_ca_cert
            attrs = {a: getattr(exc, a, None) for a in ("verb", "key", "status", "reason")}
            raise ClusterError(f"{exc.message} (in-cluster CA file {ca})", **attrs) from None

    def close(self) -> None:
        """Release the writers' threads, the HTTP connections and the discovery cache."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.api_client.close()
        self._finalizer()

    def __enter__(self) -> KubernetesCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KubernetesCluster({self.api_client.configuration.host!r})"

    # -- discovery -------------------------------------------------------------------------

    def server_version(self) -> str:
        """The API server's ``gitVersion``, e.g. ``v1.31.0``."""
        version = self._dyn.version.get("kubernetes", {})
        return str(version.get("gitVersion") or "")

    def api_versions(self) -> list[str]:
        """``group/version`` and ``group/version/Kind`` of every served kind (Helm's
        ``.Capabilities.APIVersions``)."""
        out: set[str] = set()
        for resource in self._resources():
            out.add(resource.group_version)
            out.add(f"{resource.group_version}/{resource.kind}")
        return sorted(out)

    def cluster_scoped_kinds(self) -> set[tuple[str, str]]:
        """(group, kind) of every served kind discovery reports as not namespaced: how a
        custom kind's scope is known before any of its CRDs is read."""
        return {(str(r.group or ""), str(r.kind)) for r in self._resources() if not r.namespaced}

    def _resources(self) -> Iterator[Any]:
        resource_cls = _module("kubernetes.dynamic.resource").Resource

        for resource in self._dyn.resources.search():
            if not isinstance(resource, resource_cls) or "/" in str(resource.name or ""):
                continue
            if resource.kind.endswith("List") or resource.namespaced is None:
                continue
            yield resource

    def _resource(self, group: str, kind: str, api_version: str | None, verb: str) -> Any:
        """The discovered resource of a kind (``api_version``'s, else the group's preferred
        version); discovery is refreshed once when the kind is unknown (a CRD just created)."""
        not_found = _module("kubernetes.dynamic.exceptions").ResourceNotFoundError
        cache_key = (group, kind, api_version or "")
        found = self._found.get(cache_key)
        if found is not None:
            return found

        def find() -> Any:
            if api_version:
                return self._dyn.resources.get(api_version=api_version, kind=kind)
            matches = [r for r in self._resources() if r.group == group and r.kind == kind]
            preferred = [r for r in matches if getattr(r, "preferred", False)]
            if not (preferred or matches):
                raise not_found(f"no {kind} in group {group!r}")
            return (preferred or matches)[0]

        with self._discovery_lock:  # the concurrent applies share one discovery
            try:
                found = find()
            except not_found:
                self._found.clear()
                self._http.call("discover", None, lambda _: self._dyn.resources.invalidate_cache())
                try:
                    found = find()
                except not_found:
                    shown = api_version or group or "v1"
                    raise cluster_error(
                        verb,
                        None,
                        404,
                        "NotFound",
                        f'the server could not find the requested resource (kind "{kind}" in '
                        f'"{shown}")',
                        what=f"{group}/{kind}" if group else kind,
                    ) from None
            self._found[cache_key] = found
            return found

    def _send(
        self,
        verb: str,
        key: ResourceKey | None,
        method: str,
        resource: Any,
        *,
        what: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
        body: Any = None,
        query_params: Sequence[tuple[str, str]] = (),
        dry_run: str | None = None,
        field_manager: str | None = None,
        force_conflicts: bool | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """One request for ``resource`` (``method``: get, create, replace, patch,
        server_side_apply, delete), the JSON answer as a dict."""
        http_method, default_type = _HTTP[method]
        path = resource.path(
            name=quote(name, safe="") if name else None,
            namespace=quote(namespace, safe="") if namespace else None,
        )
        query = list(query_params)
        if dry_run:
            query.append(("dryRun", dry_run))
        if field_manager:
            query.append(("fieldManager", field_manager))
        if force_conflicts is not None:
            query.append(("force", "true" if force_conflicts else "false"))
        kind = content_type or default_type
        return parse(
            self._http.call(
                verb,
                key,
                lambda timeout: self._http.request(
                    http_method, path, timeout, query=query, body=body, content_type=kind
                ),
                what=what,
            )
        )

    # -- the protocol ----------------------------------------------------------------------

    def list_tracked(
        self, app_instance: str, *, label_key: str = LABEL_INSTANCE
    ) -> list[dict[str, Any]]:
        """Root objects of every listable kind whose tracking names ``app_instance``."""
        out: list[dict[str, Any]] = []
        for resource in self._resources():
            if excluded(resource.group, resource.kind) or "list" not in (resource.verbs or []):
                continue
            if not getattr(resource, "preferred", True):
                continue
            for item in self._list(resource, None):
                meta = item.get("metadata") or {}
                if meta.get("ownerReferences"):
                    continue
                if tracked_by(item, label_key) == app_instance:
                    out.append(item)
        out.sort(
            key=lambda o: (
                api_group(o),
                str(o.get("kind")),
                str(o["metadata"].get("namespace") or ""),
                str(o["metadata"].get("name") or ""),
            )
        )
        return out

    def _list(self, resource: Any, namespace: str | None) -> list[dict[str, Any]]:
        what = f"{resource.group}/{resource.kind}" if resource.group else resource.kind
        if namespace:
            what = f"{what} in {namespace}"
        found = self._send("list", None, "get", resource, namespace=namespace, what=what)
        items = [i for i in found.get("items") or [] if isinstance(i, dict)]
        for item in items:
            item.setdefault("apiVersion", resource.group_version)
            item.setdefault("kind", resource.kind)
        return items

    def list_objects(
        self, api_version: str, kind: str, *, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """Every object of ``kind`` (``api_version``'s) in ``namespace`` (all namespaces when
        None, or when the kind is cluster-scoped), with ``apiVersion`` and ``kind`` set. A
        kind the API does not serve is a ``ClusterError`` with ``status`` 404."""
        group = api_version.rpartition("/")[0]
        resource = self._resource(group, kind, api_version, "list")
        return self._list(resource, namespace if resource.namespaced else None)

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The live object, or None (also when the API does not serve the kind)."""
        try:
            resource = self._resource(key.group, key.kind, None, "get")
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        return self._get(resource, key)

    def get_many(self, keys: Sequence[ResourceKey]) -> list[dict[str, Any] | ClusterError | None]:
        """:meth:`get` of every key, in order (a ``ClusterError`` in place of a failed one);
        several objects of one kind and namespace are read with one list."""
        out: list[dict[str, Any] | ClusterError | None] = [None] * len(keys)
        groups: dict[tuple[str, str, str], list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault((key.group, key.kind, key.namespace), []).append(i)
        for (group, kind, namespace), indexes in groups.items():
            try:
                resource = self._resource(group, kind, None, "get")
                if len(indexes) < _LIST_FROM:
                    for i in indexes:
                        out[i] = self._get(resource, keys[i])
                    continue
                listed = self._list(resource, namespace if resource.namespaced else None)
            except ClusterError as exc:
                for i in indexes:
                    out[i] = None if getattr(exc, "status", None) == 404 else exc
                continue
            by_name = {str((o.get("metadata") or {}).get("name") or ""): o for o in listed}
            for i in indexes:
                out[i] = by_name.get(keys[i].name)
        return out

    def _get(self, resource: Any, key: ResourceKey) -> dict[str, Any] | None:
        namespace = key.namespace if resource.namespaced else None
        try:
            return self._send("get", key, "get", resource, name=key.name, namespace=namespace)
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise

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
        """Send ``obj``; see the module docs for each ``mode``."""
        return self._apply_one(
            ApplyRequest(obj, mode, dry_run, force, validate, field_manager, exists=None)
        )

    def apply_many(self, requests: Sequence[ApplyRequest]) -> list[ApplyResult | ClusterError]:
        """Every request at once on a pool of :attr:`concurrency` threads; one result or
        ``ClusterError`` per request, in order. ``exists=False`` lets a client-side apply
        create the object without reading it first."""

        def one(req: ApplyRequest) -> ApplyResult | ClusterError:
            try:
                return self._apply_one(req)
            except ClusterError as exc:
                return exc

        if len(requests) < 2 or self.concurrency < 2:
            return [one(r) for r in requests]
        pool = self._pool()
        # each task runs in a copy of the caller's context: the deadline goes along
        futures = [pool.submit(contextvars.copy_context().run, one, r) for r in requests]
        return [f.result() for f in futures]

    def _pool(self) -> ThreadPoolExecutor:
        """The writers' threads, started on first use and kept until :meth:`close`."""
        with self._discovery_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.concurrency, thread_name_prefix="gitopslib-kube"
                )
                self._pool_finalizer = weakref.finalize(self, self._executor.shutdown, wait=False)
            return self._executor

    def _apply_one(self, req: ApplyRequest) -> ApplyResult:
        # copies of the levels changed here; nothing below them is modified
        desired = dict(req.obj)
        meta = desired["metadata"] = dict(desired.get("metadata") or {})
        group, kind = api_group(desired), str(desired.get("kind") or "")
        mode = req.mode
        verb = "apply" if "apply" in mode else mode
        resource = self._resource(group, kind, str(desired.get("apiVersion") or ""), verb)
        namespace = str(meta.get("namespace") or "default") if resource.namespaced else None
        if namespace:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        key = ResourceKey(group, kind, namespace or "", str(meta.get("name") or ""))
        params: dict[str, Any] = {
            "query_params": [("fieldValidation", "Strict" if req.validate else "Ignore")]
        }
        if req.dry_run:
            params["dry_run"] = "All"
        try:
            return Apply(self, resource, key, desired, req, params).run()
        except ClusterError as exc:
            if req.dry_run and self._namespace_missing(exc, namespace):
                return ApplyResult(desired, apply_message(desired, "created", dry_run=True))
            raise

    def _namespace_missing(self, exc: ClusterError, namespace: str | None) -> bool:
        if getattr(exc, "status", None) != 404 or not namespace:
            return False
        if f'namespaces "{namespace}" not found' not in str(exc):
            return False
        return self.get(ResourceKey("", "Namespace", "", namespace)) is None

    def delete(
        self,
        key: ResourceKey,
        *,
        propagation_policy: str | None = "foreground",
        dry_run: bool = False,
    ) -> bool:
        """Delete with ``propagation_policy`` (foreground, background, orphan); False if the
        object (or its kind) does not exist."""
        try:
            resource = self._resource(key.group, key.kind, None, "delete")
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return False
            raise
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if propagation_policy:
            body["propagationPolicy"] = _PROPAGATION.get(
                propagation_policy.lower(), propagation_policy
            )
        params: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
        namespace = key.namespace if resource.namespaced else None
        try:
            self._send(
                "delete",
                key,
                "delete",
                resource,
                name=key.name,
                namespace=namespace,
                body=body,
                **params,
            )
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return False
            raise
        return True

    def patch(
        self, key: ResourceKey, patch: Mapping[str, Any], *, dry_run: bool = False
    ) -> dict[str, Any] | None:
        """A JSON merge patch; None when the object does not exist."""
        try:
            resource = self._resource(key.group, key.kind, None, "patch")
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        params: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
        namespace = key.namespace if resource.namespaced else None
        try:
            return self._send(
                "patch",
                key,
                "patch",
                resource,
                body=dict(patch),
                name=key.name,
                namespace=namespace,
                content_type="application/merge-patch+json",
                **params,
            )
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
