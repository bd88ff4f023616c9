"""A running sync's progress over HTTP: while the sync waits for a Deployment's rollout, a
second client (another KubernetesCluster, and ``gitopslib get``) reads the status record from
the loopback API server and sees Running, the executor's message and the results so far."""

from __future__ import annotations

import io
from pathlib import Path

from fake_apiserver import FakeApiServer
from k8s_objects import LATE_CONFIGMAP_YAML, WAITING_FOR_WEB, WEB_DEPLOYMENT_YAML

import gitopslib as g
from gitopslib.cli import main
from gitopslib.cluster import KubernetesCluster
from gitopslib.models import Application, ApplicationStatus

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  source: {repoURL: https://example.com/web.git, path: web}
  destination: {server: https://kubernetes.default.svc, namespace: shop}
"""
DEPLOYMENT, LATE, WAITING = WEB_DEPLOYMENT_YAML, LATE_CONFIGMAP_YAML, WAITING_FOR_WEB


def _roll_out(server: FakeApiServer) -> None:
    """What the Deployment controller would write: every replica ready."""
    live = server.get("Deployment", "shop", "web")
    assert live is not None
    live["status"] = {
        "observedGeneration": live["metadata"]["generation"],
        "replicas": 1,
        "updatedReplicas": 1,
        "readyReplicas": 1,
        "availableReplicas": 1,
    }
    server.put(live)


def test_second_reader_sees_the_running_sync(
    apiserver: FakeApiServer, kubeconfig: Path, tmp_path: Path
) -> None:
    """The sync holds in Running until the Deployment is ready (the test rolls it out once
    the reader has seen the wait): app_status from a second client and `gitopslib get` show
    Phase Running, the message and both resources' results; then the sync succeeds and the
    reader sees the final record."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "web" / "late.yaml").write_text(LATE)
    app_file = tmp_path / "web-app.yaml"
    app_file.write_text(APP)
    app = Application.from_yaml(APP)
    apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    ticks = {"t": 0.0}
    seen: list[ApplicationStatus] = []
    printed: list[str] = []

    with (
        KubernetesCluster.from_kubeconfig(kubeconfig) as syncing,
        KubernetesCluster.from_kubeconfig(kubeconfig) as reader,
    ):

        def sleep(seconds: float) -> None:  # the sync waits: another process looks
            status = g.app_status(app, reader)
            seen.append(status)
            state = status.operation_state
            if state is not None and state.message == WAITING and not printed:
                out = io.StringIO()
                assert main(["get", str(app_file), "--kubeconfig", str(kubeconfig)], out=out) == 0
                printed.append(out.getvalue())
                _roll_out(apiserver)
            ticks["t"] += seconds

        ctx = g.OperationContext(
            clock=lambda: ticks["t"], sleep=sleep, poll_interval=1.0, progress_interval=1.0
        )
        op = g.sync(app, cluster=syncing, repo_root=tmp_path, context=ctx)
        assert op.phase == "Succeeded"
        final = g.app_status(app, reader).operation_state

    running = [s.operation_state for s in seen if s.operation_state is not None]
    assert running and all(s.phase == "Running" for s in running)
    state = next(s for s in running if s.message == WAITING)
    assert state.started_at == op.started_at and state.finished_at is None
    assert state.sync_result is not None
    assert [(r.kind, r.name, r.status, r.message) for r in state.sync_result.resources or []] == [
        ("Deployment", "web", "Synced", "deployment.apps/web created")
    ]
    assert final is not None and (final.phase, final.message) == (op.phase, op.message)
    [text] = printed
    assert "Operation:          Sync\n" in text
    assert "Phase:              Running\n" in text
    assert f"Message:            {WAITING}\n" in text
    table = [line.split() for line in text.split("\n\n")[-1].splitlines()]
    assert table == [
        ["KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"],
        # not in status.resources yet: as argocd app get (getResourceStates), the
        # result's hook phase under STATUS and its code under HEALTH
        ["Deployment", "shop", "web", "Running", "Synced", "deployment.apps/web", "created"],
    ]
