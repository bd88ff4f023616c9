"""Where a :class:`~gitopslib.cluster.KubernetesCluster` gets its ``kubernetes`` ``ApiClient``:
a kubeconfig (:func:`kubeconfig_client`) or the service account of the pod it runs in
(:func:`in_cluster_client`), both loaded by the official client's own loaders.

In a pod, the kubelet sets ``KUBERNETES_SERVICE_HOST``/``KUBERNETES_SERVICE_PORT`` and mounts
the service account's token and the cluster's CA under
``/var/run/secrets/kubernetes.io/serviceaccount/``; the client's in-cluster loader reads them
and re-reads the token as the kubelet rotates it (the hook runs at most once a second here,
see :func:`throttle_token_refresh`). A missing variable or file is a
:class:`~gitopslib.errors.ClusterError` naming each one; a token never appears in an error.

:func:`running_in_pod` and :func:`default_kubeconfig_exists` are the two facts the callers
choose with, as kubectl and the Python client's ``load_config`` do: a kubeconfig wins, the
pod's service account is the fallback.

>>> running_in_pod({"KUBERNETES_SERVICE_HOST": "10.96.0.1"}), running_in_pod({})
(True, False)
>>> in_cluster_client(token_file="/nonexistent/token", ca_file="/nonexistent/ca.crt",
...                   environ={"KUBERNETES_SERVICE_HOST": "10.96.0.1"})
Traceback (most recent call last):
...
gitopslib.errors.ClusterError: in-cluster config: KUBERNETES_SERVICE_PORT is not set; token
file /nonexistent/token does not exist; CA file /nonexistent/ca.crt does not exist (not in a
Kubernetes pod, or its service account token is not mounted)
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gitopslib.errors import ClusterError

__all__ = [
    "SERVICE_HOST_ENV",
    "SERVICE_PORT_ENV",
    "default_kubeconfig_exists",
    "in_cluster_client",
    "kubeconfig_client",
    "running_in_pod",
    "throttle_token_refresh",
]

#: The variables the kubelet sets in every pod: where the API server is.
SERVICE_HOST_ENV = "KUBERNETES_SERVICE_HOST"
SERVICE_PORT_ENV = "KUBERNETES_SERVICE_PORT"

_HINT = "(not in a Kubernetes pod, or its service account token is not mounted)"


def _module(name: str) -> Any:
    """A module of the kubernetes client, imported on first use, typed as Any."""
    return importlib.import_module(name)


def running_in_pod(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``KUBERNETES_SERVICE_HOST`` is set (and not empty): the process runs in a pod."""
    env = os.environ if environ is None else environ
    return bool(env.get(SERVICE_HOST_ENV))


def default_kubeconfig_exists(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the kubeconfig used without ``--kubeconfig`` exists: any file of
    ``$KUBECONFIG`` (a path list), else ``~/.kube/config``."""
    env = os.environ if environ is None else environ
    listed = [p for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    paths = listed or ["~/.kube/config"]
    return any(Path(p).expanduser().is_file() for p in paths)


def kubeconfig_client(path: str | os.PathLike[str] | None, context: str | None) -> Any:
    """An ``ApiClient`` for a kubeconfig file (default ``$KUBECONFIG`` or ``~/.kube/config``)
    and one of its contexts (default: the current one)."""
    config = _module("kubernetes.config")
    where = f"kubeconfig {os.fspath(path)}" if path is not None else "kubeconfig"
    if path is not None and not Path(path).exists():
        raise ClusterError(f"{where}: file not found")
    # $KUBECONFIG as it is now: the client reads it once, when it is imported
    file = os.fspath(path) if path is not None else os.environ.get("KUBECONFIG") or None
    try:
        return config.new_client_from_config(config_file=file, context=context)
    except config.ConfigException as exc:
        raise ClusterError(f"{where}: {exc}") from None


def in_cluster_client(
    *,
    token_file: str | os.PathLike[str] | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """An ``ApiClient`` for the API server of the pod this runs in, authenticated with its
    service account (``token_file``/``ca_file`` default to the kubelet's mount), through the
    client's ``InClusterConfigLoader``, which re-reads the token as it rotates."""
    incluster = _module("kubernetes.config.incluster_config")
    client = _module("kubernetes.client")
    token = os.fspath(token_file) if token_file is not None else incluster.SERVICE_TOKEN_FILENAME
    ca = os.fspath(ca_file) if ca_file is not None else incluster.SERVICE_CERT_FILENAME
    env = os.environ if environ is None else environ
    loader = incluster.InClusterConfigLoader(
        token_filename=token, cert_filename=ca, try_refresh_token=True, environ=env
    )
    configuration = client.Configuration()
    try:
        loader.load_and_set(configuration)
    except incluster.ConfigException as exc:
        problems = _in_cluster_problems(env, token, ca)
        detail = "; ".join(problems) + f" {_HINT}" if problems else str(exc)
        raise ClusterError(f"in-cluster config: {detail}") from None
    except OSError as exc:  # e.g. a token file this user may not read
        raise ClusterError(
            f"in-cluster config: cannot read {exc.filename or token}: {exc.strerror or exc}"
        ) from None
    return client.ApiClient(configuration=configuration)


def _in_cluster_problems(env: Mapping[str, str], token: str, ca: str) -> list[str]:
    """What keeps the in-cluster loader from working, one phrase each (never a file's
    content): unset or empty variables, missing or empty files."""
    problems: list[str] = []
    for name in (SERVICE_HOST_ENV, SERVICE_PORT_ENV):
        if name not in env:
            problems.append(f"{name} is not set")
        elif not env[name]:
            problems.append(f"{name} is empty")
    for what, path in (("token file", token), ("CA file", ca)):
        file = Path(path)
        if not file.is_file():
            problems.append(f"{what} {path} does not exist")
        elif file.stat().st_size == 0:
            problems.append(f"{what} {path} is empty")
    return problems


def _strip_bearer(configuration: Any) -> None:
    """Drop whitespace around the bearer token the loaders set (a token file written with a
    trailing newline): the client would send it as is, and an HTTP header cannot hold it."""
    keys = getattr(configuration, "api_key", None)
    if not isinstance(keys, dict):
        return
    for name in ("BearerToken", "authorization"):
        value = keys.get(name)
        if isinstance(value, str) and value != value.strip():
            keys[name] = value.strip()


class _Throttled:
    """A loader's token refresh hook, run at most once a second: the kubeconfig loader
    re-reads the whole configuration (and the proxy environment) on every request otherwise,
    the in-cluster one compares clocks. Each run strips the token it set (both loaders'
    hooks run before the first request, so this is the one place that strips)."""

    def __init__(self, hook: Callable[[Any], None], every: float = 1.0) -> None:
        self.hook = hook
        self.every = every
        self.last = -float("inf")
        self.lock = threading.Lock()

    def __call__(self, configuration: Any) -> None:
        with self.lock:
            now = time.monotonic()
            if now - self.last >= self.every:
                self.last = now
                self.hook(configuration)
                _strip_bearer(configuration)
                # the loader's hook installs itself again: keep the newest, stay in front
                latest = getattr(configuration, "refresh_api_key_hook", None)
                if latest is not self and latest is not None:
                    self.hook = latest
                    configuration.refresh_api_key_hook = self


def throttle_token_refresh(api_client: Any) -> None:
    """Wrap the client's token refresh hook (if any) so it runs at most once a second."""
    configuration: Any = getattr(api_client, "configuration", None)
    hook = getattr(configuration, "refresh_api_key_hook", None)
    if hook is not None and not isinstance(hook, _Throttled):
        configuration.refresh_api_key_hook = _Throttled(hook)
