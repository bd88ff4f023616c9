"""``KubernetesCluster``: a real API server through the official ``kubernetes`` client.

It speaks the :class:`~gitopslib.sync.protocol.Cluster` protocol over the client's dynamic
client (API discovery decides the resource path, version and scope of every kind):

* ``list_tracked`` lists every kind discovery reports that can be listed, except the kinds
  Argo CD never manages (events, leases, metrics, ...: :data:`EXCLUDED_KINDS`), and keeps the
  root objects (no ``ownerReferences``) whose tracking names the app;
* ``apply`` does server-side apply (field manager ``argocd-controller``, conflicts forced),
  kubectl-style client-side apply (create, or a JSON merge patch computed three ways from the
  ``last-applied-configuration`` annotation, which it keeps up to date), create, replace or
  update; dry runs are server dry runs (``dryRun=All``), except that a namespace that does not
  exist yet does not fail one (as with Argo CD's client-side dry run);
* ``delete`` sends the propagation policy (``Foreground`` by default);
* ``server_version`` and ``api_versions`` feed rendering (Helm capabilities).

Every API failure becomes a :class:`~gitopslib.errors.ClusterError` naming the verb, the
resource and the HTTP status (``status`` attribute), with the server's message; credentials
from the kubeconfig never appear in it.

>>> # docs: needs a cluster
>>> # cluster = KubernetesCluster.from_kubeconfig(context="kind-dev")
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import os
import re
import tempfile
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from gitopslib.cluster._common import (
    EXCLUDED_KINDS,
    cluster_error,
    excluded,
    last_applied,
    three_way_merge,
    tracked_by,
)
from gitopslib.errors import ClusterError
from gitopslib.giturl import mask_credentials
from gitopslib.manifest import ANNOTATION_LAST_APPLIED, LABEL_INSTANCE, ResourceKey, api_group
from gitopslib.sync.protocol import (
    ARGOCD_FIELD_MANAGER,
    ApplyMode,
    ApplyResult,
    apply_message,
)

__all__ = ["EXCLUDED_KINDS", "KubernetesCluster", "merge_patch_between"]

T = TypeVar("T")

_PROPAGATION = {"foreground": "Foreground", "background": "Background", "orphan": "Orphan"}


def _module(name: str) -> Any:
    """Import a module of the kubernetes client on first use (``import gitopslib`` stays
    cheap), typed as Any: the client ships no usable annotations."""
    return importlib.import_module(name)


def merge_patch_between(old: Any, new: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns ``old`` into ``new`` (lists whole).

    >>> merge_patch_between({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 5}})
    {'b': {'d': None, 'c': 5}}
    """
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return copy.deepcopy(new)
    patch: dict[str, Any] = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = copy.deepcopy(value)
        elif old[key] != value:
            if isinstance(old[key], Mapping) and isinstance(value, Mapping):
                patch[key] = merge_patch_between(old[key], value)
            else:
                patch[key] = copy.deepcopy(value)
    return patch


def _status_details(exc: Any) -> tuple[int, str, str]:
    status = int(getattr(exc, "status", 0) or 0)
    reason = str(getattr(exc, "reason", "") or "")
    message = ""
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            data = None
        if isinstance(data, dict):
            message = str(data.get("message") or "")
            reason = str(data.get("reason") or reason)
    return status, reason, message


class KubernetesCluster:
    """A Kubernetes API server as a ``Cluster``; build it with :meth:`from_kubeconfig` or from
    a ``kubernetes.client.ApiClient``.

    ``field_manager`` is the server-side apply manager (Argo CD's ``argocd-controller``);
    ``excluded_kinds`` the (group, kind) pairs never listed (``"*"`` as kind: the whole group).
    """

    def __init__(
        self,
        api_client: Any,
        *,
        field_manager: str = ARGOCD_FIELD_MANAGER,
        excluded_kinds: frozenset[tuple[str, str]] = EXCLUDED_KINDS,
    ) -> None:
        dynamic = _module("kubernetes.dynamic")
        discovery = _module("kubernetes.dynamic.discovery")

        self.api_client = api_client
        self.field_manager = field_manager
        self.excluded_kinds = excluded_kinds
        self._tmp = tempfile.TemporaryDirectory(prefix="gitopslib-discovery-")
        self._finalizer = weakref.finalize(self, self._tmp.cleanup)
        cache = str(Path(self._tmp.name) / "discovery.json")
        self._dyn: Any = self._call(
            "discover",
            None,
            lambda: dynamic.DynamicClient(
                api_client, cache_file=cache, discoverer=discovery.EagerDiscoverer
            ),
        )

    @classmethod
    def from_kubeconfig(
        cls, path: str | os.PathLike[str] | None = None, context: str | None = None
    ) -> KubernetesCluster:
        """Connect with a kubeconfig file (default ``$KUBECONFIG`` or ``~/.kube/config``) and
        one of its contexts (default: the current one).

        >>> KubernetesCluster.from_kubeconfig("/nonexistent/kubeconfig")
        Traceback (most recent call last):
        ...
        gitopslib.errors.ClusterError: kubeconfig /nonexistent/kubeconfig: file not found
        """
        config = _module("kubernetes.config")

        where = f"kubeconfig {os.fspath(path)}" if path is not None else "kubeconfig"
        if path is not None and not Path(path).exists():
            raise ClusterError(f"{where}: file not found")
        try:
            api_client = config.new_client_from_config(
                config_file=os.fspath(path) if path is not None else None, context=context
            )
        except config.ConfigException as exc:
            raise ClusterError(f"{where}: {exc}") from None
        return cls(api_client)

    def close(self) -> None:
        """Release the HTTP connections and the discovery cache."""
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

    def _resources(self) -> Iterator[Any]:
        resource_cls = _module("kubernetes.dynamic.resource").Resource

        for resource in self._dyn.resources.search():
            if not isinstance(resource, resource_cls) or "/" in str(resource.name or ""):
                continue
            if resource.kind.endswith("List") or resource.namespaced is None:
                continue
            yield resource

    def _resource(self, group: str, kind: str, api_version: str | None, verb: str) -> Any:
        not_found = _module("kubernetes.dynamic.exceptions").ResourceNotFoundError

        def find() -> Any:
            if api_version:
                return self._dyn.resources.get(api_version=api_version, kind=kind)
            matches = [r for r in self._resources() if r.group == group and r.kind == kind]
            preferred = [r for r in matches if getattr(r, "preferred", False)]
            if not (preferred or matches):
                raise not_found(f"no {kind} in group {group!r}")
            return (preferred or matches)[0]

        try:
            return find()
        except not_found:
            self._call("discover", None, self._dyn.resources.invalidate_cache)
            try:
                return find()
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
            what = f"{resource.group}/{resource.kind}" if resource.group else resource.kind
            items = self._call("list", None, functools.partial(self._dyn.get, resource), what=what)
            for item in items.to_dict().get("items") or []:
                item.setdefault("apiVersion", resource.group_version)
                item.setdefault("kind", resource.kind)
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

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The live object, or None (also when the API does not serve the kind)."""
        try:
            resource = self._resource(key.group, key.kind, None, "get")
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        return self._get(resource, key)

    def _get(self, resource: Any, key: ResourceKey) -> dict[str, Any] | None:
        namespace = key.namespace if resource.namespaced else None
        try:
            found = self._call(
                "get", key, lambda: self._dyn.get(resource, name=key.name, namespace=namespace)
            )
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        obj: dict[str, Any] = found.to_dict()
        return obj

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
        desired = copy.deepcopy(dict(obj))
        group, kind = api_group(desired), str(desired.get("kind") or "")
        meta = desired.setdefault("metadata", {})
        verb = "apply" if "apply" in mode else mode
        resource = self._resource(group, kind, str(desired.get("apiVersion") or ""), verb)
        namespace = str(meta.get("namespace") or "default") if resource.namespaced else None
        if namespace:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        key = ResourceKey(group, kind, namespace or "", str(meta.get("name") or ""))
        params: dict[str, Any] = {
            "query_params": [("fieldValidation", "Strict" if validate else "Ignore")]
        }
        if dry_run:
            params["dry_run"] = "All"
        try:
            return self._apply(resource, key, desired, mode, dry_run, force, params, field_manager)
        except ClusterError as exc:
            if dry_run and self._namespace_missing(exc, namespace):
                return ApplyResult(desired, apply_message(desired, "created", dry_run=True))
            raise

    def _namespace_missing(self, exc: ClusterError, namespace: str | None) -> bool:
        if getattr(exc, "status", None) != 404 or not namespace:
            return False
        if f'namespaces "{namespace}" not found' not in str(exc):
            return False
        return self.get(ResourceKey("", "Namespace", "", namespace)) is None

    def _apply(
        self,
        resource: Any,
        key: ResourceKey,
        desired: dict[str, Any],
        mode: str,
        dry_run: bool,
        force: bool,
        params: dict[str, Any],
        field_manager: str,
    ) -> ApplyResult:
        dyn = self._dyn
        namespace = key.namespace or None
        if mode == "server-side apply":
            result = self._call(
                "apply",
                key,
                lambda: dyn.server_side_apply(
                    resource,
                    body=desired,
                    namespace=namespace,
                    field_manager=field_manager,
                    force_conflicts=True,
                    **params,
                ),
            )
            stored = result.to_dict()
            return ApplyResult(stored, apply_message(stored, "serverside-applied", dry_run=dry_run))
        if mode == "create":
            result = self._call(
                "create",
                key,
                lambda: dyn.create(resource, body=desired, namespace=namespace, **params),
            )
            stored = result.to_dict()
            return ApplyResult(stored, apply_message(stored, "created", dry_run=dry_run))
        live = self._get(resource, key)
        if mode in ("replace", "update"):
            if live is None:
                raise cluster_error(
                    mode, key, 404, "NotFound", f'{key.kind} "{key.name}" not found'
                )
            body = copy.deepcopy(desired)
            body["metadata"]["resourceVersion"] = live["metadata"].get("resourceVersion")
            try:
                result = self._call(
                    mode,
                    key,
                    lambda: dyn.replace(resource, body=body, namespace=namespace, **params),
                )
            except ClusterError as exc:
                if not (force and mode == "replace" and getattr(exc, "status", 0) in (409, 422)):
                    raise
                self.delete(key, propagation_policy="foreground", dry_run=dry_run)
                body["metadata"].pop("resourceVersion", None)
                result = self._call(
                    "create",
                    key,
                    lambda: dyn.create(resource, body=body, namespace=namespace, **params),
                )
            stored = result.to_dict()
            if mode == "update":
                suffix = " (dry run)" if dry_run else ""
                return ApplyResult(stored, f"{key.kind}/{key.name} updated{suffix}")
            return ApplyResult(stored, apply_message(stored, "replaced", dry_run=dry_run))
        # client-side apply, as kubectl does it
        plain = copy.deepcopy(desired)
        annotations = plain["metadata"].get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(ANNOTATION_LAST_APPLIED, None)
            if not annotations:
                plain["metadata"].pop("annotations")
        body = copy.deepcopy(plain)
        body["metadata"].setdefault("annotations", {})[ANNOTATION_LAST_APPLIED] = (
            json.dumps(plain, sort_keys=True, separators=(",", ":")) + "\n"
        )
        if live is None:
            result = self._call(
                "create",
                key,
                lambda: dyn.create(resource, body=body, namespace=namespace, **params),
            )
            stored = result.to_dict()
            return ApplyResult(stored, apply_message(stored, "created", dry_run=dry_run))
        merged = three_way_merge(live, last_applied(live) or {}, body)
        patch = merge_patch_between(live, merged)
        if not patch:
            return ApplyResult(live, apply_message(live, "unchanged", dry_run=dry_run))
        result = self._call(
            "patch",
            key,
            lambda: dyn.patch(
                resource,
                body=patch,
                name=key.name,
                namespace=namespace,
                content_type="application/merge-patch+json",
                **params,
            ),
        )
        stored = result.to_dict()
        return ApplyResult(stored, apply_message(stored, "configured", dry_run=dry_run))

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
            self._call(
                "delete",
                key,
                lambda: self._dyn.delete(
                    resource, name=key.name, namespace=namespace, body=body, **params
                ),
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
            result = self._call(
                "patch",
                key,
                lambda: self._dyn.patch(
                    resource,
                    body=dict(patch),
                    name=key.name,
                    namespace=namespace,
                    content_type="application/merge-patch+json",
                    **params,
                ),
            )
        except ClusterError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        obj: dict[str, Any] = result.to_dict()
        return obj

    # -- errors --------------------------------------------------------------------------------

    def _server(self) -> str:
        host = getattr(getattr(self.api_client, "configuration", None), "host", None)
        return mask_credentials(str(host)) if host else "(unknown server)"

    def _call(
        self, verb: str, key: ResourceKey | None, fn: Callable[[], T], *, what: str | None = None
    ) -> T:
        api_exception = _module("kubernetes.client.exceptions").ApiException
        http_error = _module("urllib3.exceptions").HTTPError

        try:
            return fn()
        except api_exception as exc:
            status, reason, message = _status_details(exc)
            raise cluster_error(verb, key, status, reason or "Error", message, what=what) from None
        except (http_error, OSError) as exc:
            raise cluster_error(
                verb,
                key,
                0,
                "ConnectionError",
                f"cannot reach the API server at {self._server()}: {_connection_reason(exc)}",
            ) from None


_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")\]]+|timed out|Name or service not known")


def _connection_reason(exc: BaseException) -> str:
    """The human part of a urllib3/socket failure ("[Errno 111] Connection refused"), without
    object reprs; the exception's type name when nothing better is found."""
    text = str(getattr(exc, "reason", None) or exc)
    found = _ERRNO.search(text)
    return found.group(0).strip() if found else type(exc).__name__
