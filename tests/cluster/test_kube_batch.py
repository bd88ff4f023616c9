"""How many requests a sync costs over HTTP, counted in the loopback API server's request
log: new objects take one each (the dry run is Argo CD's client dry run; two with a server
dry run), server-side apply is one PATCH, a wave's objects are sent at once, and waiting or
reading many objects of a kind is one list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_apiserver import FakeApiServer
from test_kube_faults import run_sync, stored, write_app, writes

from gitopslib.cluster import KubernetesCluster
from gitopslib.errors import ClusterError
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application
from gitopslib.sync.protocol import ApplyRequest

N = 12


def configmap_requests(apiserver: FakeApiServer, since: int) -> list[tuple[str, str, Any, str]]:
    return [r for r in apiserver.requests[since:] if "/configmaps" in r[1]]


def test_new_objects_cost_one_request_each(
    kube: KubernetesCluster, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """Client-side apply of N new ConfigMaps: one POST each (the client dry run sends
    nothing), no GET of any of them; reading their live state before the plan is one list
    in the namespace."""
    app = write_app(tmp_path, n=N)
    since = len(apiserver.requests)
    assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    sent = configmap_requests(apiserver, since)
    posts = [r for r in sent if r[0] == "POST"]
    assert [r for r in sent if r[2].get("dryRun")] == []
    assert len(posts) == N
    # the rest: the app's tracked objects (cluster-wide list) and the untracked desired keys
    assert sorted(p for m, p, _, _ in sent if m == "GET") == [
        "/api/v1/configmaps",
        "/api/v1/namespaces/demo/configmaps",
    ]
    assert len(sent) == N + 2
    assert apiserver.get("ConfigMap", "demo", f"cm-{N - 1}") is not None


def test_new_objects_cost_two_requests_each_with_a_server_dry_run(
    kubeconfig: Path, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """dry_run_strategy="server": a dry-run POST and a POST each, still no GET of any."""
    app = write_app(tmp_path, n=N)
    since = len(apiserver.requests)
    with KubernetesCluster.from_kubeconfig(kubeconfig, dry_run_strategy="server") as kube:
        assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    sent = configmap_requests(apiserver, since)
    posts = [r for r in sent if r[0] == "POST"]
    assert len([r for r in posts if r[2].get("dryRun") == ["All"]]) == N
    assert len(posts) == 2 * N
    assert len(sent) == 2 * N + 2


def test_a_server_dry_run_stops_a_rejected_object_before_anything_is_applied(
    kubeconfig: Path, kube: KubernetesCluster, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """An object the API server rejects (422): with a server dry run the sync fails in the
    dry run and nothing is written; with the client dry run (Argo CD's) the rejection comes
    at the write, after the objects before it in the wave were applied."""
    app = write_app(tmp_path, n=N)
    apiserver.fail("POST", "/configmaps", 422, "Invalid", dry_run=True)
    with KubernetesCluster.from_kubeconfig(kubeconfig, dry_run_strategy="server") as server:
        op = run_sync(app, server, tmp_path)
    assert (op.phase, op.message) == ("Failed", "one or more objects failed to apply (dry run)")
    assert writes(apiserver) == 0
    apiserver.fail("POST", "/configmaps", 422, "Invalid")
    op = run_sync(app, kube, tmp_path)
    assert op.phase == "Failed"
    assert writes(apiserver) == N  # one refused, the others created
    assert len(stored(apiserver, N)) == N - 1


def test_server_side_apply_is_one_patch(
    kube: KubernetesCluster, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """ServerSideApply=true: one PATCH application/apply-patch+yaml per object (field
    manager argocd-controller, force); the dry run sends nothing."""
    app = write_app(tmp_path, n=N, options=("ServerSideApply=true",))
    since = len(apiserver.requests)
    assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    sent = configmap_requests(apiserver, since)
    patches = [r for r in sent if r[0] == "PATCH"]
    assert len(patches) == N
    assert {r[3] for r in patches} == {"application/apply-patch+yaml"}
    assert all(r[2]["fieldManager"] == ["argocd-controller"] for r in patches)
    assert all(r[2]["force"] == ["true"] for r in patches)
    assert len(sent) == N + 2
    assert apiserver.get("ConfigMap", "demo", f"cm-{N - 1}") is not None


def test_a_waves_objects_are_sent_at_once(
    kube: KubernetesCluster, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """The writes of one wave overlap: the server holds the first two creates until both
    have arrived, which only a client sending them concurrently passes."""
    app = write_app(tmp_path, n=N)
    apiserver.barrier("POST", "/configmaps", 2)
    assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    assert apiserver.barrier_passed


def test_sequential_cluster_sends_one_at_a_time(
    kubeconfig: Path, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """concurrency=1: the same sync sends its writes one by one (the barrier breaks)."""
    app = write_app(tmp_path, n=3)
    apiserver.barrier("POST", "/configmaps", 2, timeout=0.5)
    with KubernetesCluster.from_kubeconfig(kubeconfig, concurrency=1, sleep=lambda s: None) as c:
        assert run_sync(app, c, tmp_path).phase == "Succeeded"
    assert not apiserver.barrier_passed


def write_waves(root: Path) -> Application:
    """Two waves of N ConfigMaps each."""
    folder = root / "app"
    folder.mkdir()
    docs = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"w{wave}-{i}",
                "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
            },
        }
        for wave in (0, 1)
        for i in range(N)
    ]
    (folder / "cms.yaml").write_text(yaml.safe_dump_all(docs))
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: waves, namespace: argocd}\n"
        "spec:\n  source: {repoURL: 'https://example.com/repo.git', path: app}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: demo}\n"
        "  syncPolicy: {syncOptions: [CreateNamespace=true]}\n"
    )


def test_waiting_between_waves_reads_a_list_not_each_object(
    kube: KubernetesCluster, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """Between two waves the executor re-reads the first wave's objects with one list per
    kind and namespace, never one GET per object."""
    app = write_waves(tmp_path)
    since = len(apiserver.requests)
    assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    sent = configmap_requests(apiserver, since)
    assert [p for m, p, _, _ in sent if m == "GET" and "/configmaps/" in p] == []
    lists = [p for m, p, _, _ in sent if m == "GET" and p == "/api/v1/namespaces/demo/configmaps"]
    assert 2 <= len(lists) <= 3  # live state before the plan, then the wait after wave 0
    assert len(sent) <= 2 * N + 4


def test_get_many_is_one_list_per_kind_and_namespace(
    kube: KubernetesCluster, apiserver: FakeApiServer
) -> None:
    """get_many of four ConfigMaps and one Namespace: one list plus one get; missing ones
    are None, in the order asked."""
    apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    for name in ("a", "b", "c"):
        apiserver.put(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": "demo"},
            }
        )
    keys = [ResourceKey("", "ConfigMap", "demo", n) for n in ("c", "zz", "a", "b")]
    keys.append(ResourceKey("", "Namespace", "", "demo"))
    since = len(apiserver.requests)
    found = kube.get_many(keys)
    names = [None if o is None else o["metadata"]["name"] for o in found]  # type: ignore[index]
    assert names == ["c", None, "a", "b", "demo"]
    assert [(m, p) for m, p, _, _ in apiserver.requests[since:]] == [
        ("GET", "/api/v1/namespaces/demo/configmaps"),
        ("GET", "/api/v1/namespaces/demo"),
    ]


@pytest.mark.parametrize(("strategy", "per_object_count"), [("client", 2), ("server", 3)])
def test_changed_objects_cost_two_requests_each(
    kubeconfig: Path, apiserver: FakeApiServer, tmp_path: Path, strategy: str, per_object_count: int
) -> None:
    """Client-side apply of N changed ConfigMaps: the write reads each fresh and patches it
    (two requests); the client dry run works from the live object the plan read and sends
    nothing, a server dry run patches with dryRun=All from it (a third request, no GET)."""
    kube = KubernetesCluster.from_kubeconfig(kubeconfig, dry_run_strategy=strategy)  # type: ignore[arg-type]
    app = write_app(tmp_path, n=N)
    assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    docs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": {}}
        for i in range(N)
    ]
    (tmp_path / "app" / "cms.yaml").write_text(yaml.safe_dump_all(docs))
    since = len(apiserver.requests)
    assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    kube.close()
    per_object = [r for r in configmap_requests(apiserver, since) if "/configmaps/" in r[1]]
    expected = [("GET", False), ("PATCH", False)]
    if strategy == "server":
        expected.append(("PATCH", True))
    assert sorted({(m, bool(q.get("dryRun"))) for m, _, q, _ in per_object}) == expected
    assert len(per_object) == per_object_count * N
    assert apiserver.get("ConfigMap", "demo", "cm-0")["data"] == {}  # type: ignore[index]


def test_server_dry_run_from_a_stale_read_of_a_deleted_object_creates(
    kubeconfig: Path, apiserver: FakeApiServer
) -> None:
    """A server dry run given a live object that is gone by now dry-runs the create instead."""
    apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "demo"}}
    stale = {**cm, "data": {"old": "1"}}
    with KubernetesCluster.from_kubeconfig(kubeconfig, dry_run_strategy="server") as kube:
        (result,) = kube.apply_many([ApplyRequest(cm, dry_run=True, exists=True, live=stale)])
    assert not isinstance(result, ClusterError)
    assert result.message == "configmap/x created (dry run)"
