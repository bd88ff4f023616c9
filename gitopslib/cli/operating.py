"""What the commands that act on a cluster share (``sync``, ``wait``, ``history``,
``rollback``, ``get``): the flags (``--kubeconfig``/``--context``, where Git is, ``-o``), the
connection, the Git source of an app, the progress display on a terminal and the exit codes
(0 done and healthy, 1 failed, degraded or timed out, 2 usage or input error)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli import base
from gitopslib.cli.base import CLIError
from gitopslib.cli.output import table
from gitopslib.cli.parser import add_output_flag

if TYPE_CHECKING:
    from gitopslib.models import Application, ApplicationStatus, OperationState

#: ``-o`` of the cluster commands.
OUTPUTS = ("table", "wide", "json", "yaml")


def add_cluster_flags(p: argparse.ArgumentParser, *, git: bool = True) -> None:
    """``--kubeconfig``/``--context`` (these commands act on a cluster) and, with ``git``,
    where the app's manifests come from."""
    g = p.add_argument_group("cluster")
    g.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config; in a pod "
        "without one, the pod's service account)",
    )
    g.add_argument("--context", metavar="NAME", help="kubeconfig context")
    g.add_argument(
        "--clusters-from",
        metavar="FILE",
        help="Argo CD cluster Secrets (YAML): the app's destination picks the cluster (in a "
        "pod, https://kubernetes.default.svc is also the pod's own, as its service account)",
    )
    g.add_argument(
        "--service-account-token",
        metavar="FILE",
        help="in a pod, the service account's token file (default: the kubelet's mount)",
    )
    g.add_argument(
        "--service-account-ca",
        metavar="FILE",
        help="in a pod, the cluster's CA file (default: the kubelet's mount)",
    )
    if git:
        s = p.add_argument_group("where manifests come from")
        s.add_argument(
            "--repo-root",
            "--local",
            "--local-repo-root",
            dest="repo_root",
            metavar="DIR",
            help="use this local checkout instead of cloning the app's repoURL",
        )
        s.add_argument("--cache-dir", metavar="DIR", help="Git and render cache folder")
    add_output_flag(p, OUTPUTS, "table")


def one_app(args: argparse.Namespace) -> Application:
    """The one Application the command acts on (a file holding exactly one)."""
    from gitopslib.cli.loading import load_applications

    apps = load_applications([args.app])
    if len(apps) != 1:
        names = ", ".join(str(a.metadata.name) for a in apps)
        raise CLIError(f"{args.app}: holds {len(apps)} Applications ({names}); name one file")
    return apps[0]


@contextlib.contextmanager
def connect(args: argparse.Namespace, app: Application) -> Iterator[Any]:
    """The app's cluster for the block: the one its destination names among
    ``--clusters-from`` (Argo CD's cluster Secrets and, in a pod, its implicit ``in-cluster``
    as the service account), else ``--kubeconfig``/``--context``
    (the default kubeconfig otherwise), else, in a pod without any kubeconfig, the pod's
    service account (kubectl's and the client's ``load_config`` fallback). The service
    account's token and CA are the kubelet's mount unless ``--service-account-token``/
    ``--service-account-ca`` name other files."""
    from gitopslib.cluster import ClusterRegistry, KubernetesCluster
    from gitopslib.errors import ClusterError

    account = {
        "token_file": getattr(args, "service_account_token", None),
        "ca_file": getattr(args, "service_account_ca", None),
    }
    if args.clusters_from:
        if not Path(args.clusters_from).is_file():
            raise CLIError(f"--clusters-from {args.clusters_from}: no such file")
        registry = ClusterRegistry.from_secrets(Path(args.clusters_from), **account)
        cluster = registry.for_app(app)
    elif _pod_service_account(args):
        try:
            cluster = KubernetesCluster.in_cluster(**account)
        except ClusterError as exc:
            raise CLIError(
                f"no --kubeconfig and no kubeconfig file, in a pod (KUBERNETES_SERVICE_HOST "
                f"is set): the pod's service account: {exc}"
            ) from None
    else:
        cluster = KubernetesCluster.from_kubeconfig(path=args.kubeconfig, context=args.context)
    if getattr(args, "server_dry_run", False) and hasattr(cluster, "dry_run_strategy"):
        cluster.dry_run_strategy = "server"
    try:
        yield cluster
    finally:
        close = getattr(cluster, "close", None)
        if close is not None:
            close()


def _pod_service_account(args: argparse.Namespace) -> bool:
    """Whether to connect as the pod's service account: nothing names a kubeconfig or a
    context, no default kubeconfig exists, and ``KUBERNETES_SERVICE_HOST`` is set."""
    from gitopslib.cluster.connection import default_kubeconfig_exists, running_in_pod

    if args.kubeconfig or args.context:
        return False
    return running_in_pod() and not default_kubeconfig_exists()


def git_source(args: argparse.Namespace, app: Application) -> dict[str, Any]:
    """``repository=`` or ``repo_root=`` for the operations: the local checkout, or the
    app's repository through the Git cache."""
    if args.repo_root:
        if not Path(args.repo_root).is_dir():
            raise CLIError(f"--repo-root {args.repo_root}: no such folder")
        return {"repo_root": args.repo_root}
    from gitopslib.git import GitRepository

    sources = app.spec.all_sources()
    url = next((s.repo_url for s in sources if s.repo_url), None)
    if url is None:
        raise CLIError(f"Application {app.metadata.name!r} names no repoURL")
    cache = Path(args.cache_dir) / "git" if args.cache_dir else None
    return {"repository": GitRepository(url, cache_dir=cache)}


class Progress(base.Progress):
    """What an operation does, on stderr while stderr is a terminal: phase, wave and tasks
    (or health and sync while waiting), a line each time they change (credentials masked,
    as every progress line)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._last = ""

    def _say(self, line: str) -> None:
        if line != self._last:
            self._last = line
            self(line)

    def operation(self, state: OperationState) -> None:
        """``on_progress`` of sync and rollback."""
        results = state.sync_result.resources if state.sync_result else None
        done = sum(1 for r in results or [] if r.status in ("Synced", "Pruned"))
        waves = sorted({r.sync_phase or "" for r in results or []} - {""})
        self._say(
            f"{state.phase or '?'}: {state.message or ''} "
            f"({done}/{len(results or [])} tasks done{', ' + '/'.join(waves) if waves else ''})"
        )

    def status(self, status: ApplicationStatus) -> None:
        """``on_progress`` of wait."""
        health = status.health.status if status.health else "Unknown"
        sync = status.sync.status if status.sync else "Unknown"
        phase = status.operation_state.phase if status.operation_state else "-"
        self._say(f"health {health}, sync {sync}, operation {phase}")


def emit_model(data: Any, fmt: str, out: TextIO) -> None:
    """A model (or list of models) as JSON or YAML, with Argo CD's field names."""
    from gitopslib.cli.output import emit

    if isinstance(data, list):
        emit([d.to_dict() for d in data], fmt, out)
    else:
        emit(data.to_dict(), fmt, out)


def results_table(state: OperationState, *, wide: bool) -> str:
    """The per-resource results of an operation, as ``argocd app sync`` prints them."""
    header: tuple[str, ...] = ("KIND", "NAMESPACE", "NAME", "STATUS", "HOOK", "MESSAGE")
    if wide:
        header = ("GROUP", *header, "PHASE")
    results = state.sync_result.resources if state.sync_result else None
    rows: list[tuple[str, ...]] = []
    for r in results or []:
        row: tuple[str, ...] = (
            r.kind or "",
            r.namespace or "",
            r.name or "",
            r.status or "",
            r.hook_type or "",
            r.message or "",
        )
        if wide:
            row = (r.group or "", *row, r.sync_phase or "")
        rows.append(row)
    return table([header, *rows]) if rows else ""


def operation_summary(name: str, state: OperationState) -> str:
    """The header lines of an operation's result: app, revision, phase and message."""
    revision = state.sync_result.revision if state.sync_result else None
    lines = [
        f"Name:               {name}",
        f"Revision:           {revision or '-'}",
        f"Phase:              {state.phase or '-'}",
        f"Message:            {state.message or ''}".rstrip(),
        f"Started:            {state.started_at or '-'}",
        f"Finished:           {state.finished_at or '-'}",
    ]
    return "\n".join(lines) + "\n"


def exit_for(state: OperationState) -> int:
    """0 when the operation succeeded, 1 when it failed."""
    return 0 if state.phase == "Succeeded" else 1


def report_operation(
    app: Application, state: OperationState, args: argparse.Namespace, out: TextIO
) -> int:
    """Print a finished operation as ``-o`` asks (summary and results table, or the
    OperationState as JSON/YAML) and return the command's exit code."""
    if args.output in ("json", "yaml"):
        emit_model(state, args.output, out)
    else:
        out.write(operation_summary(str(app.metadata.name), state))
        rows = results_table(state, wide=args.output == "wide")
        out.write(f"\n{rows}" if rows else "")
    return exit_for(state)


def add_operation_flags(p: argparse.ArgumentParser) -> None:
    """``--prune`` and ``--dry-run``, as ``argocd app sync`` and ``rollback`` spell them, and
    ``--server-dry-run`` (ours)."""
    p.add_argument("--prune", action="store_true", help="delete resources no longer in Git")
    p.add_argument("--dry-run", action="store_true", help="run every step as a dry run")
    p.add_argument(
        "--server-dry-run",
        action="store_true",
        help="dry runs are validated by the API server (dryRun=All, one request per object) "
        "instead of Argo CD's client dry run",
    )
