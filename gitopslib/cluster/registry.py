"""``ClusterRegistry``: where an Application's destination points, as ``argocd cluster add``.

An app names its cluster by ``spec.destination.server`` (the API URL) or
``spec.destination.name``. The registry maps both to a
:class:`~gitopslib.sync.protocol.Cluster`, built on first use:

* :meth:`ClusterRegistry.from_kubeconfig`: one cluster per kubeconfig context (named after the
  context, at its cluster's ``server``); the current context is also ``in-cluster`` at
  ``https://kubernetes.default.svc``, as Argo CD's own cluster;
* :meth:`ClusterRegistry.from_secrets`: Argo CD's declarative cluster Secrets (label
  ``argocd.argoproj.io/secret-type: cluster``; ``name``, ``server``, ``namespaces``,
  ``config`` with ``bearerToken``, ``tlsClientConfig`` and ``execProviderConfig``) and, as
  Argo CD's controller has, the implicit ``in-cluster`` at ``https://kubernetes.default.svc``
  reached as the pod's service account when running in a pod (unless a Secret is for that
  URL, or ``in_cluster=False``: Argo CD's ``cluster.inClusterEnabled: "false"``);
* :meth:`ClusterRegistry.add`: any cluster object (a ``MemoryCluster`` for tests).

An unknown destination is an error naming it and the known clusters. Credentials stay inside
the connection: never in an error, a log line or ``repr``.

>>> from gitopslib.cluster import MemoryCluster
>>> reg = ClusterRegistry().add("in-cluster", IN_CLUSTER, MemoryCluster())
>>> reg
ClusterRegistry(['in-cluster (https://kubernetes.default.svc)'])
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gitopslib.errors import ClusterError
from gitopslib.giturl import mask_credentials

log = logging.getLogger("gitopslib.cluster")

__all__ = ["IN_CLUSTER", "ClusterEntry", "ClusterRegistry"]

#: The server URL of the cluster Argo CD runs in (``in-cluster``).
IN_CLUSTER = "https://kubernetes.default.svc"
#: The name Argo CD gives the cluster it runs in.
IN_CLUSTER_NAME = "in-cluster"
SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"  # noqa: S105 (a label key)


@dataclass
class ClusterEntry:
    """One known cluster: ``name``, ``server``, the ``namespaces`` it may manage (empty:
    all) and how to connect (``connect`` builds the cluster on first use). ``implicit``: the
    ``in-cluster`` entry :meth:`ClusterRegistry.from_secrets` adds by itself, which any
    cluster registered for its URL replaces."""

    name: str
    server: str
    namespaces: tuple[str, ...] = ()
    connect: Callable[[], Any] = field(repr=False, default=lambda: None)
    _cluster: Any = field(default=None, repr=False)
    implicit: bool = field(default=False, repr=False)

    def describe(self) -> str:
        return f"{self.name} ({mask_credentials(self.server)})"


def _norm(server: str) -> str:
    return server.rstrip("/")


class ClusterRegistry:
    """Known clusters by name and server; see the module docs."""

    def __init__(self, entries: Iterable[ClusterEntry] = ()) -> None:
        self._entries: list[ClusterEntry] = []
        self._lock = threading.Lock()
        for entry in entries:
            self._entries.append(entry)

    def __repr__(self) -> str:
        return f"ClusterRegistry({[e.describe() for e in self._entries]!r})"

    # -- building ----------------------------------------------------------------------------

    def add(
        self,
        name: str,
        server: str,
        cluster: Any = None,
        *,
        namespaces: Iterable[str] = (),
        connect: Callable[[], Any] | None = None,
    ) -> ClusterRegistry:
        """Register ``cluster`` (or a ``connect`` callable that builds it) as ``name`` at
        ``server``; returns the registry. It replaces the implicit ``in-cluster`` entry of
        :meth:`from_secrets` when ``server`` is that entry's URL."""
        if cluster is None and connect is None:
            raise ClusterError(f"cluster {name}: give a cluster or a connect function")
        entry = ClusterEntry(name, server, tuple(namespaces), connect or (lambda: cluster))
        entry._cluster = cluster
        self._entries = [
            e for e in self._entries if not (e.implicit and _norm(e.server) == _norm(server))
        ]
        self._entries.append(entry)
        return self

    @classmethod
    def from_kubeconfig(
        cls, path: str | os.PathLike[str] | None = None, *, contexts: Iterable[str] | None = None
    ) -> ClusterRegistry:
        """One cluster per context of the kubeconfig (default ``$KUBECONFIG`` or
        ``~/.kube/config``), named after the context; the current context is also
        ``in-cluster`` at ``https://kubernetes.default.svc``."""
        from gitopslib.cluster.kube import KubernetesCluster

        where = Path(
            os.fspath(path)
            if path is not None
            else os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
            or Path.home() / ".kube" / "config"
        )
        try:
            config = yaml.safe_load(where.read_text())
        except (OSError, yaml.YAMLError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not YAML"
            raise ClusterError(f"kubeconfig {where}: {reason}") from None
        if not isinstance(config, dict):
            raise ClusterError(f"kubeconfig {where}: not a kubeconfig")
        servers = {
            c.get("name"): (c.get("cluster") or {}).get("server", "")
            for c in config.get("clusters") or []
            if isinstance(c, dict)
        }
        wanted = set(contexts) if contexts is not None else None
        registry = cls()
        current = config.get("current-context")
        for ctx in config.get("contexts") or []:
            if not isinstance(ctx, dict) or not ctx.get("name"):
                continue
            name = str(ctx["name"])
            if wanted is not None and name not in wanted:
                continue
            server = str(servers.get((ctx.get("context") or {}).get("cluster"), ""))

            def connect(context: str = name) -> Any:
                return KubernetesCluster.from_kubeconfig(where, context=context)

            registry.add(name, server, connect=connect)
            if name == current:
                registry.add(IN_CLUSTER_NAME, IN_CLUSTER, connect=connect)
        return registry

    @classmethod
    def from_secrets(
        cls,
        secrets: Iterable[Mapping[str, Any]] | str | os.PathLike[str],
        *,
        in_cluster: bool | None = None,
        token_file: str | os.PathLike[str] | None = None,
        ca_file: str | os.PathLike[str] | None = None,
    ) -> ClusterRegistry:
        """Argo CD cluster Secrets (objects, or a YAML file/text of them): every Secret
        labelled ``argocd.argoproj.io/secret-type: cluster`` becomes a cluster; others are
        skipped. ``data`` (base64) and ``stringData`` are both read.

        As Argo CD's controller, the cluster this runs in is a destination without a Secret:
        ``in-cluster`` at ``https://kubernetes.default.svc``, connected on first use as the
        pod's service account (:meth:`KubernetesCluster.in_cluster
        <gitopslib.cluster.KubernetesCluster.in_cluster>`, with ``token_file``/``ca_file``
        instead of the kubelet's mount when given). A Secret whose ``server`` is that URL
        replaces it. ``in_cluster``: None (the default) adds it when running in a pod
        (``KUBERNETES_SERVICE_HOST`` is set), True always, False never, and then, as Argo
        CD's ``cluster.inClusterEnabled: "false"``, a Secret for that URL is skipped too
        (with a warning): the URL is not a destination at all."""
        from gitopslib.cluster.connection import running_in_pod

        if isinstance(secrets, str | os.PathLike):
            from gitopslib.manifest import load_manifests

            objs: Iterable[Mapping[str, Any]] = load_manifests(secrets)
        else:
            objs = secrets
        registry = cls()
        for obj in objs:
            labels = (obj.get("metadata") or {}).get("labels") or {}
            if obj.get("kind") != "Secret" or labels.get(SECRET_TYPE_LABEL) != "cluster":
                continue
            entry = _entry_from_secret(obj)
            if in_cluster is False and _norm(entry.server) == IN_CLUSTER:
                log.warning(
                    "cluster secret %s: skipped, %s is disabled (in_cluster=False)",
                    (obj.get("metadata") or {}).get("name") or "?",
                    IN_CLUSTER,
                )
                continue
            registry._entries.append(entry)
        wanted = running_in_pod() if in_cluster is None else in_cluster
        if wanted and not any(_norm(e.server) == IN_CLUSTER for e in registry._entries):
            registry._entries.append(_implicit_in_cluster(token_file, ca_file))
        return registry

    # -- resolving ---------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The known clusters as ``name (server)``."""
        return [e.describe() for e in self._entries]

    def get(self, *, server: str | None = None, name: str | None = None) -> Any:
        """The cluster at ``server`` or called ``name``; a :class:`ClusterError` naming it
        and the known clusters when there is none."""
        entry = self._find(server, name)
        with self._lock:
            if entry._cluster is None:
                entry._cluster = entry.connect()
            return entry._cluster

    def _find(self, server: str | None, name: str | None) -> ClusterEntry:
        for entry in self._entries:
            if server and _norm(entry.server) == _norm(server):
                return entry
            if name and not server and entry.name == name:
                return entry
        what = f"server {mask_credentials(server)}" if server else f"name {name!r}"
        known = ", ".join(self.names()) or "none"
        raise ClusterError(f"destination {what} is not a known cluster (known: {known})")

    def for_app(self, app: Any) -> Any:
        """The cluster an Application's ``spec.destination`` names (server, else name); its
        namespace must be one the cluster may manage."""
        dest = getattr(getattr(app, "spec", None), "destination", None)
        server = getattr(dest, "server", None)
        name = getattr(dest, "name", None)
        app_name = getattr(getattr(app, "metadata", None), "name", None) or "?"
        if not server and not name:
            raise ClusterError(f"application {app_name}: destination has neither server nor name")
        try:
            entry = self._find(server, name)
        except ClusterError as exc:
            raise ClusterError(f"application {app_name}: {exc}") from None
        namespace = getattr(dest, "namespace", None)
        if entry.namespaces and namespace and namespace not in entry.namespaces:
            raise ClusterError(
                f"application {app_name}: namespace {namespace} is not managed by cluster "
                f"{entry.describe()} (namespaces: {', '.join(entry.namespaces)})"
            )
        return self.get(server=entry.server, name=entry.name)


def _field(obj: Mapping[str, Any], key: str) -> str | None:
    string_data = obj.get("stringData") or {}
    if key in string_data:
        return str(string_data[key])
    data = obj.get("data") or {}
    if key in data:
        try:
            return base64.b64decode(str(data[key])).decode()
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def _entry_from_secret(obj: Mapping[str, Any]) -> ClusterEntry:
    secret = str((obj.get("metadata") or {}).get("name") or "?")
    server = _field(obj, "server")
    if not server:
        raise ClusterError(f"cluster secret {secret}: no server")
    name = _field(obj, "name") or server
    namespaces = tuple(n.strip() for n in (_field(obj, "namespaces") or "").split(",") if n.strip())
    raw = _field(obj, "config") or "{}"
    try:
        config = json.loads(raw)
    except ValueError:
        raise ClusterError(f"cluster secret {secret}: config is not JSON") from None
    if not isinstance(config, dict):
        raise ClusterError(f"cluster secret {secret}: config is not a JSON object")

    def connect() -> Any:
        return _connect(secret, server, config)

    return ClusterEntry(name, server, namespaces, connect)


def _implicit_in_cluster(
    token_file: str | os.PathLike[str] | None, ca_file: str | os.PathLike[str] | None
) -> ClusterEntry:
    """``in-cluster`` without a Secret: the pod's API server as its service account."""

    def connect() -> Any:
        from gitopslib.cluster.kube import KubernetesCluster

        try:
            return KubernetesCluster.in_cluster(token_file=token_file, ca_file=ca_file)
        except ClusterError as exc:
            attrs = {a: getattr(exc, a, None) for a in ("verb", "key", "status", "reason")}
            raise ClusterError(
                f"cluster {IN_CLUSTER_NAME} ({IN_CLUSTER}), the pod's service account: "
                f"{exc.message}",
                **attrs,
            ) from None

    return ClusterEntry(IN_CLUSTER_NAME, IN_CLUSTER, (), connect, implicit=True)


def _connect(secret: str, server: str, config: Mapping[str, Any]) -> Any:
    """A KubernetesCluster from an Argo CD cluster config, through an in-memory kubeconfig
    (so exec providers and TLS data work as kubectl's)."""
    from gitopslib.cluster.kube import KubernetesCluster, _module

    tls = config.get("tlsClientConfig") or {}
    cluster: dict[str, Any] = {"server": server}
    if tls.get("insecure"):
        cluster["insecure-skip-tls-verify"] = True
    if tls.get("caData"):
        cluster["certificate-authority-data"] = tls["caData"]
    if tls.get("serverName"):
        cluster["tls-server-name"] = tls["serverName"]
    user: dict[str, Any] = {}
    if config.get("bearerToken"):
        user["token"] = config["bearerToken"]
    if config.get("username"):
        user["username"] = config["username"]
        user["password"] = config.get("password") or ""
    if tls.get("certData"):
        user["client-certificate-data"] = tls["certData"]
    if tls.get("keyData"):
        user["client-key-data"] = tls["keyData"]
    exec_config = config.get("execProviderConfig")
    if isinstance(exec_config, dict) and exec_config.get("command"):
        user["exec"] = {
            "command": exec_config["command"],
            "args": list(exec_config.get("args") or []),
            "env": [{"name": k, "value": v} for k, v in (exec_config.get("env") or {}).items()],
            "apiVersion": exec_config.get("apiVersion") or "client.authentication.k8s.io/v1beta1",
        }
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    kube_config = _module("kubernetes.config")
    try:
        api_client = kube_config.new_client_from_config_dict(kubeconfig, context="c")
    except Exception:  # the client's messages may quote the config: never shown
        raise ClusterError(
            f"cluster secret {secret}: the config cannot be loaded (check bearerToken, "
            "tlsClientConfig and execProviderConfig)"
        ) from None
    return KubernetesCluster(api_client)
