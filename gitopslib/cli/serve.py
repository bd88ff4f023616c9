"""``gitopslib serve``: reconcile Applications continuously, with webhooks, metrics and a
read API (the ``server`` extra). See docs/serve.md."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gitopslib.cli.base import CLIError
from gitopslib.cli.parser import Commands

if TYPE_CHECKING:
    from gitopslib.server import ServeSettings

#: Environment variable holding the bearer token (a flag value would show in ``ps``).
TOKEN_ENV = "GITOPSLIB_SERVE_TOKEN"  # noqa: S105 - a variable name, not a secret


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file:
        path = Path(args.token_file)
        if not path.is_file():
            raise CLIError(f"--token-file {path}: no such file")
        token = path.read_text(encoding="utf-8").strip()
        if not token:
            raise CLIError(f"--token-file {path}: the file is empty")
        return token
    return os.environ.get(TOKEN_ENV) or None


def settings_from_args(args: argparse.Namespace) -> ServeSettings:
    """The :class:`~gitopslib.server.ServeSettings` the flags describe."""
    from gitopslib.server import ServeSettings
    from gitopslib.webhook import WebhookSecrets

    secrets = (
        ServeSettings.secrets_from_file(args.webhook_secret)
        if args.webhook_secret
        else WebhookSecrets()
    )
    return ServeSettings(
        paths=tuple(args.apps),
        memory=args.memory,
        kubeconfig=args.kubeconfig,
        context=args.context,
        in_cluster=args.in_cluster,
        service_account_token=args.service_account_token,
        service_account_ca=args.service_account_ca,
        app_namespace=args.app_namespace,
        repo_root=args.repo_root,
        cache_dir=args.cache_dir,
        listen=args.listen,
        interval=args.interval,
        jitter=args.jitter,
        token=_token(args),
        webhook_secrets=secrets,
        max_payload_size=int(args.max_payload_mb * 1024 * 1024),
        require_secret=False if args.allow_unsigned else None,
        shard=args.shard,
        shards=args.shards,
        queue_size=args.queue_size,
        workers=args.workers,
        auto_sync=not args.no_auto_sync,
        sync_timeout=args.sync_timeout,
        poll_interval=args.poll_interval,
        grace_period=args.grace_period,
        notifications_cm=args.notifications_cm,
        notifications_secret=args.notifications_secret,
        log_format=args.log_format,
    )


def run(args: argparse.Namespace, out: TextIO) -> int:
    from gitopslib.server import run

    return run(settings_from_args(args))


def register(commands: Commands) -> None:
    """Add ``serve``."""
    p = commands.add(
        "serve",
        "Reconcile Applications continuously: webhooks, Prometheus metrics and a read API.",
        "*",
    )
    where = p.add_argument_group("where apps run")
    mode = where.add_mutually_exclusive_group()
    mode.add_argument(
        "--memory", action="store_true", help="an in-memory cluster (default with APP)"
    )
    mode.add_argument("--kubeconfig", metavar="FILE", help="this cluster (apps from it if no APP)")
    mode.add_argument(
        "--in-cluster",
        action="store_true",
        help="the cluster serve runs in, as the pod's service account (the default with no APP "
        "and no --kubeconfig when $KUBERNETES_SERVICE_HOST is set)",
    )
    where.add_argument("--context", metavar="NAME", help="kubeconfig context")
    where.add_argument(
        "--service-account-token",
        metavar="FILE",
        help="with --in-cluster: the token file (default: the kubelet's mount)",
    )
    where.add_argument(
        "--service-account-ca",
        metavar="FILE",
        help="with --in-cluster: the cluster's CA file (default: the kubelet's mount)",
    )
    where.add_argument(
        "--app-namespace", default="argocd", metavar="NS", help="namespace of the Applications"
    )
    src = p.add_argument_group("where manifests come from")
    src.add_argument("--repo-root", metavar="DIR", help="one local checkout for every repoURL")
    src.add_argument("--cache-dir", metavar="DIR", help="Git cache folder")
    loop = p.add_argument_group("the loop")
    loop.add_argument("--interval", type=float, default=180.0, help="seconds between passes")
    loop.add_argument("--jitter", type=float, default=0.1, help="fraction spread of interval")
    loop.add_argument("--workers", type=int, default=1, help="apps reconciled at once")
    loop.add_argument("--queue-size", type=int, default=10_000, help="bound of the work queue")
    loop.add_argument("--no-auto-sync", action="store_true", help="never sync, only compare")
    loop.add_argument(
        "--sync-timeout", type=float, default=600.0, metavar="S", help="seconds per sync"
    )
    loop.add_argument(
        "--poll-interval", type=float, default=2.0, metavar="S", help="pause between polls"
    )
    loop.add_argument(
        "--grace-period",
        type=float,
        default=30.0,
        metavar="S",
        help="on SIGTERM, how long a running sync may finish",
    )
    loop.add_argument("--shard", type=int, default=0, metavar="I", help="this replica's shard")
    loop.add_argument("--shards", type=int, default=1, metavar="N", help="number of replicas")
    http = p.add_argument_group("HTTP")
    http.add_argument(
        "--listen", default="127.0.0.1:8080", metavar="HOST:PORT", help="address to serve on"
    )
    http.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"bearer token for /api/v1 and /metrics (or ${TOKEN_ENV})",
    )
    http.add_argument(
        "--webhook-secret",
        metavar="FILE",
        help="argocd-secret-shaped Secret YAML with webhook.* keys",
    )
    http.add_argument(
        "--max-payload-mb", type=float, default=50.0, metavar="MB", help="webhook body limit"
    )
    http.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="accept unverified payloads of providers without a secret",
    )
    http.add_argument(
        "--log-format", choices=("json", "text"), default="json", help="log line format"
    )
    notify = p.add_argument_group("notifications")
    notify.add_argument("--notifications-cm", metavar="FILE", help="argocd-notifications-cm")
    notify.add_argument(
        "--notifications-secret", metavar="FILE", help="argocd-notifications-secret"
    )
    p.set_defaults(func=run)
