"""The status store over HTTP: KubernetesCluster against the fake API server keeps an app's
status in a ConfigMap, and resourceVersion makes a second writer lose instead of overwrite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_apiserver import APPLICATION, KINDS, FakeApiServer

import gitopslib as g
from gitopslib.cluster import KubernetesCluster
from gitopslib.cluster.status import StatusStore
from gitopslib.errors import OperationError, OperationInProgressError
from gitopslib.models import Application, OperationState

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: %s, namespace: argocd}
spec:
  source: {repoURL: https://example.com/web.git, path: web}
  destination: {server: https://kubernetes.default.svc, namespace: shop}
"""


@pytest.fixture(scope="module")
def server() -> Iterator[FakeApiServer]:
    with FakeApiServer() as api:
        yield api


@pytest.fixture(scope="module")
def kube(
    server: FakeApiServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KubernetesCluster]:
    path = server.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
    with KubernetesCluster.from_kubeconfig(path) as cluster:
        yield cluster


def test_sync_status_round_trips_over_http(
    kube: KubernetesCluster, server: FakeApiServer, tmp_path: Path
) -> None:
    """A real sync over HTTP records its status in a ConfigMap in namespace argocd (created
    for it); app_status from a second client reads the same history."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n"
    )
    server.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    app = Application.from_yaml(APP % "http-web")
    op = g.sync(app, cluster=kube, repo_root=tmp_path)
    assert op.phase == "Succeeded"
    record = server.get("ConfigMap", "argocd", "gitopslib.app.http-web")
    assert record is not None
    assert record["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "gitopslib"
    st = g.app_status(app, kube)
    assert [h.id for h in st.history or []] == [0]
    assert st.sync is not None and st.sync.status == "Synced"


def test_concurrent_begin_over_http_is_refused(kube: KubernetesCluster) -> None:
    """Two stores (two CI jobs) start an operation of the same app: the second is refused."""
    app = Application.from_yaml(APP % "http-lock")
    first, second = StatusStore(kube), StatusStore(kube)
    first.begin(app, OperationState(phase="Running", started_at="2099-01-01T00:00:00Z"))
    with pytest.raises(OperationInProgressError, match="another operation is already in progress"):
        second.begin(app, OperationState(phase="Running", started_at="2099-01-01T00:00:01Z"))


def test_stale_resource_version_loses_over_http(kube: KubernetesCluster) -> None:
    """A write carrying a resourceVersion that another writer has moved past gets the API
    server's 409, reported as a one-line OperationError; the first write stays."""
    app = Application.from_yaml(APP % "http-race")
    a, b = StatusStore(kube), StatusStore(kube)
    a.begin(app, OperationState(phase="Succeeded"))
    read_a, read_b = a.load(app), b.load(app)
    a.save(app, read_a, read_a.status.model_copy(update={"reconciled_at": "by-a"}))
    with pytest.raises(OperationError, match="changed by another process"):
        b.save(app, read_b, read_b.status.model_copy(update={"reconciled_at": "by-b"}))
    assert g.app_status(app, kube).reconciled_at == "by-a"


def test_wait_over_http_sees_the_rollout(
    kube: KubernetesCluster, server: FakeApiServer, tmp_path: Path
) -> None:
    """wait() polls the API server: a Deployment is Progressing until its controller (here
    the test, writing status through the server) reports it ready; then the wait returns.
    A second wait with a short timeout on a stuck rollout names it."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx}]}\n"
    )
    server.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    app = Application.from_yaml(APP % "http-wait")
    assert g.sync(app, cluster=kube, repo_root=tmp_path).phase == "Succeeded"
    ticks = {"t": 0.0}

    def sleep(seconds: float) -> None:
        ticks["t"] += seconds

    ctx = g.OperationContext(clock=lambda: ticks["t"], sleep=sleep, poll_interval=1.0)
    with pytest.raises(g.WaitTimeoutError, match="apps/Deployment shop/web: Synced Progressing"):
        g.wait(app, kube, timeout=3, context=ctx)

    def roll_out(status: g.ApplicationStatus) -> None:
        live = server.get("Deployment", "shop", "web")
        assert live is not None
        gen = live["metadata"]["generation"]
        live["status"] = {
            "observedGeneration": gen,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
        }
        server.put(live)

    st = g.wait(app, kube, timeout=30, context=ctx, on_progress=roll_out)
    assert st.health is not None and st.health.status == "Healthy"


def test_status_kept_on_an_application_object_over_http(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Where the app exists as an argoproj.io Application object, its own status holds the
    record (Argo CD's place): the finished phase and the history reach the object over HTTP,
    and no ConfigMap record is made."""
    repo = tmp_path_factory.mktemp("repo")
    (repo / "web").mkdir()
    (repo / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n"
    )
    with FakeApiServer([*KINDS, APPLICATION]) as api:
        for ns in ("argocd", "shop"):
            api.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        app = Application.from_yaml(APP % "obj-web")
        api.put({**app.to_dict(), "apiVersion": "argoproj.io/v1alpha1", "kind": "Application"})
        config = api.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
        with KubernetesCluster.from_kubeconfig(config) as kube:
            assert g.sync(app, cluster=kube, repo_root=repo).phase == "Succeeded"
            live = api.get("Application", "argocd", "obj-web")
            assert live is not None
            assert live["status"]["operationState"]["phase"] == "Succeeded"
            assert [h["id"] for h in live["status"]["history"]] == [0]
            assert api.get("ConfigMap", "argocd", "gitopslib.app.obj-web") is None
            st = g.app_status(app, kube)
            assert st.operation_state is not None and st.operation_state.phase == "Succeeded"
