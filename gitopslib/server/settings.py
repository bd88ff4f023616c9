"""``ServeSettings``: everything one ``gitopslib serve`` process runs with, validated once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gitopslib.errors import GitOpsError
from gitopslib.webhook import DEFAULT_MAX_PAYLOAD_SIZE, WebhookSecrets

__all__ = ["DEFAULT_LISTEN", "ServeSettings", "SettingsError", "parse_listen"]

#: Where serve listens unless told otherwise (loopback: exposing it is a decision).
DEFAULT_LISTEN = "127.0.0.1:8080"


class SettingsError(GitOpsError):
    """A serve setting is wrong (``field`` names it)."""


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) as a pair.

    >>> parse_listen("127.0.0.1:8080"), parse_listen("[::1]:0")
    (('127.0.0.1', 8080), ('::1', 0))
    """
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SettingsError(f"--listen {value!r}: expected HOST:PORT", field="listen")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


@dataclass(frozen=True)
class ServeSettings:
    """The settings of one serve process.

    Where Applications come from: ``paths`` (files and folders of Application and AppProject
    YAML) or, with no paths, the cluster's ``argoproj.io`` Applications in ``app_namespace``.
    Where they are deployed: ``memory`` (an in-memory cluster), ``kubeconfig``/``context``,
    or ``in_cluster``: the API server of the pod serve runs in, as its service account
    (``service_account_token``/``service_account_ca`` override the kubelet's mount). With no
    paths, no kubeconfig and not ``memory``, ``in_cluster`` is chosen when
    ``KUBERNETES_SERVICE_HOST`` is set (``in_cluster_from_env`` then says so): an explicit
    kubeconfig, paths or ``memory`` always win over the environment. Where Git is: each
    source's ``repoURL`` (cached under ``cache_dir``), or ``repo_root`` (one local checkout
    serving every repoURL).

    ``interval`` (Argo CD's 180 s) is the time between two passes over an app, spread by
    ``jitter`` (a fraction: each wait is ``interval * uniform(1 - jitter, 1 + jitter)``).
    ``token``: a bearer token every ``/api/v1`` and ``/metrics`` request must carry.
    ``webhook_secrets``/``max_payload_size``/``require_secret`` configure ``/api/webhook``
    (``require_secret`` None: refuse unverified providers as soon as any secret is set).
    ``shard``/``shards``: this replica reconciles only the apps whose stable hash falls on
    ``shard`` (see :func:`gitopslib.server.sharding.shard_of`). ``queue_size`` bounds the
    work queue; ``workers`` is how many apps are reconciled at once; ``grace_period`` how
    long a SIGTERM waits for a running operation before interrupting it.
    """

    paths: tuple[str, ...] = ()
    memory: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    service_account_token: str | None = None
    service_account_ca: str | None = None
    app_namespace: str = "argocd"
    repo_root: str | None = None
    cache_dir: str | None = None
    listen: str = DEFAULT_LISTEN
    interval: float = 180.0
    jitter: float = 0.1
    token: str | None = field(default=None, repr=False)
    webhook_secrets: WebhookSecrets = field(default_factory=WebhookSecrets)
    max_payload_size: int = DEFAULT_MAX_PAYLOAD_SIZE
    require_secret: bool | None = None
    shard: int = 0
    shards: int = 1
    queue_size: int = 10_000
    workers: int = 1
    auto_sync: bool = True
    sync_timeout: float = 600.0
    poll_interval: float = 2.0
    grace_period: float = 30.0
    notifications_cm: str | None = None
    notifications_secret: str | None = None
    log_format: Literal["json", "text"] = "json"
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: ``in_cluster`` was chosen from ``KUBERNETES_SERVICE_HOST``, not asked for.
    in_cluster_from_env: bool = field(default=False, init=False, compare=False)

    def __post_init__(self) -> None:
        if self.shards < 1:
            raise SettingsError("--shards must be at least 1", field="shards")
        if not 0 <= self.shard < self.shards:
            raise SettingsError(
                f"--shard {self.shard} is outside 0..{self.shards - 1}", field="shard"
            )
        if self.interval <= 0:
            raise SettingsError("--interval must be positive", field="interval")
        if not 0 <= self.jitter < 1:
            raise SettingsError("--jitter must be in [0, 1)", field="jitter")
        if self.queue_size < 1 or self.workers < 1:
            raise SettingsError("--queue-size and --workers must be at least 1", field="workers")
        if self.max_payload_size < 1:
            raise SettingsError("the webhook payload limit must be positive", field="max_payload")
        self._check_cluster()
        for path in self.paths:
            if not Path(path).exists():
                raise SettingsError(f"{path}: no such file or folder", field="paths", file=path)
        if self.repo_root is not None and not Path(self.repo_root).is_dir():
            raise SettingsError(f"--repo-root {self.repo_root}: no such folder", field="repo_root")
        parse_listen(self.listen)

    def _check_cluster(self) -> None:
        """Exactly one way to the cluster (choosing in-cluster from the environment when
        nothing else is said), and somewhere to read the Applications from."""
        if self.memory and self.kubeconfig:
            raise SettingsError("--memory and --kubeconfig exclude each other", field="memory")
        if self.in_cluster and (self.memory or self.kubeconfig):
            other = "--memory" if self.memory else "--kubeconfig"
            raise SettingsError(f"--in-cluster and {other} exclude each other", field="in_cluster")
        if not (self.paths or self.kubeconfig or self.memory or self.in_cluster):
            from gitopslib.cluster.connection import running_in_pod

            if running_in_pod():
                object.__setattr__(self, "in_cluster", True)
                object.__setattr__(self, "in_cluster_from_env", True)
        if not self.paths and self.memory:
            raise SettingsError(
                "--memory needs Application files or folders (an in-memory cluster holds no "
                "Applications to read)",
                field="paths",
            )
        if not self.paths and not (self.kubeconfig or self.in_cluster):
            raise SettingsError(
                "serve needs Application files or folders, or a cluster to read them from: "
                "--kubeconfig FILE, or --in-cluster in a pod (KUBERNETES_SERVICE_HOST is not "
                "set here)",
                field="paths",
            )
        if self.in_cluster and self.context:
            raise SettingsError("--context needs --kubeconfig, not --in-cluster", field="context")
        for name in ("service_account_token", "service_account_ca"):
            if getattr(self, name) and not self.in_cluster:
                flag = "--" + name.replace("_", "-")
                raise SettingsError(f"{flag} needs --in-cluster", field=name)

    @property
    def host(self) -> str:
        """The address to listen on."""
        return parse_listen(self.listen)[0]

    @property
    def port(self) -> int:
        """The port to listen on (0: any free port)."""
        return parse_listen(self.listen)[1]

    @property
    def refuse_unsigned(self) -> bool:
        """Whether webhooks of providers without a secret are refused."""
        if self.require_secret is not None:
            return self.require_secret
        return bool(self.webhook_secrets.configured())

    @staticmethod
    def secrets_from_file(path: str | os.PathLike[str]) -> WebhookSecrets:
        """Webhook secrets from an ``argocd-secret``-shaped Secret YAML file."""
        from gitopslib.manifest import load_manifests

        docs = [d for d in load_manifests(Path(path)) if d.get("kind") == "Secret"]
        if not docs:
            raise SettingsError(f"{path}: no Secret document", field="webhook_secret", file=path)
        return WebhookSecrets.from_secret(docs[0], source=str(path))
