"""KubernetesCluster against a fake API server on loopback: the official client speaks real
HTTP to it; results are checked in the server's own store and request log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cluster_helpers import TOKEN
from fake_apiserver import FakeApiServer

from gitopslib import load_manifests
from gitopslib.cluster import KubernetesCluster
from gitopslib.diff._result import ComparisonResult, ResourceDiff
from gitopslib.errors import ClusterError
from gitopslib.manifest import ResourceKey, key_of
from gitopslib.sync import SyncPlanOptions, execute_plan, plan_sync

CM = ResourceKey("", "ConfigMap", "demo", "cfg")


def configmap(data: dict[str, str], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "demo", **meta},
        "data": data,
    }


def first_sync(objs: list[dict[str, Any]], namespace: str = "demo") -> ComparisonResult:
    rds = []
    for o in objs:
        k = key_of(o, namespace)
        rds.append(ResourceDiff(k.group, k.kind, k.namespace, k.name, "OutOfSync", desired=o))
    return ComparisonResult("OutOfSync", rds)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_discovery_version_and_api_versions(kube: KubernetesCluster) -> None:
    """Server version and API versions come from /version and the discovery endpoints."""
    assert kube.server_version() == "v1.31.0"
    versions = kube.api_versions()
    assert "apps/v1/Deployment" in versions and "v1/ConfigMap" in versions
    assert not any(v.endswith("List") for v in versions)


def test_sync_guestbook_through_kubernetes_client(
    kube: KubernetesCluster, apiserver: FakeApiServer, example_apps: Path
) -> None:
    """guestbook synced over HTTP: namespace created first, objects stored with tracking."""
    objs = [
        *load_manifests(example_apps / "guestbook" / "guestbook-ui-svc.yaml"),
        *load_manifests(example_apps / "guestbook" / "guestbook-ui-deployment.yaml"),
    ]
    app = {
        "metadata": {"name": "guestbook"},
        "spec": {
            "destination": {"namespace": "demo"},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        },
    }
    plan = plan_sync(first_sync(objs), app=app)
    clock = Clock()
    op = execute_plan(plan, kube, app=app, clock=clock, sleep=clock.sleep)
    assert (op.phase, op.message) == ("Succeeded", "successfully synced (all tasks run)")
    writes = [
        (m, p)
        for m, p, q, _ in apiserver.requests
        if m in ("POST", "PATCH", "PUT", "DELETE") and q.get("dryRun") != ["All"]
    ]
    # Namespace first (before the dry run even), then Service (kind order) then Deployment
    assert writes == [
        ("POST", "/api/v1/namespaces"),
        ("POST", "/api/v1/namespaces/demo/services"),
        ("POST", "/apis/apps/v1/namespaces/demo/deployments"),
    ]
    deploy = apiserver.get("Deployment", "demo", "guestbook-ui")
    assert deploy is not None
    ann = deploy["metadata"]["annotations"]
    assert ann["argocd.argoproj.io/tracking-id"] == "guestbook:apps/Deployment:demo/guestbook-ui"
    assert (
        json.loads(ann["kubectl.kubernetes.io/last-applied-configuration"])["spec"]["replicas"] == 1
    )
    assert deploy["metadata"]["uid"] and deploy["metadata"]["generation"] == 1
    assert [o["metadata"]["name"] for o in kube.list_tracked("guestbook")] == [
        "guestbook-ui",
        "guestbook-ui",
    ]


def test_dry_run_is_a_client_dry_run(kube: KubernetesCluster, apiserver: FakeApiServer) -> None:
    """By default a dry run is Argo CD's client dry run: one GET to learn whether the object
    exists (the caller did not say), no write, nothing stored."""
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    since = len(apiserver.requests)
    result = kube.apply(configmap({"a": "1"}), dry_run=True)
    assert result.message == "configmap/cfg created (dry run)"
    assert [(m, p) for m, p, _, _ in apiserver.requests[since:]] == [
        ("GET", "/api/v1/namespaces/demo/configmaps/cfg")
    ]
    assert apiserver.get("ConfigMap", "demo", "cfg") is None


def test_client_dry_run_of_a_live_object_computes_the_patch(
    kube: KubernetesCluster, apiserver: FakeApiServer
) -> None:
    """A client dry run of an existing object says configured when the three-way merge
    changes something and unchanged when it does not, sending no write either way."""
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    kube.apply(configmap({"a": "1"}))
    since = len(apiserver.requests)
    assert kube.apply(configmap({"a": "2"}), dry_run=True).message == (
        "configmap/cfg configured (dry run)"
    )
    assert kube.apply(configmap({"a": "1"}), dry_run=True).message == (
        "configmap/cfg unchanged (dry run)"
    )
    assert {m for m, _, _, _ in apiserver.requests[since:]} == {"GET"}
    assert apiserver.get("ConfigMap", "demo", "cfg")["data"] == {"a": "1"}  # type: ignore[index]


def test_server_dry_run_sends_dry_run_all(kubeconfig: Path, apiserver: FakeApiServer) -> None:
    """dry_run_strategy="server": the write goes out with dryRun=All; nothing is stored."""
    with KubernetesCluster.from_kubeconfig(kubeconfig, dry_run_strategy="server") as kube:
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
        result = kube.apply(configmap({"a": "1"}), dry_run=True)
    assert result.message == "configmap/cfg created (dry run)"
    assert apiserver.requests[-1][:2] == ("POST", "/api/v1/namespaces/demo/configmaps")
    assert apiserver.requests[-1][2]["dryRun"] == ["All"]
    assert apiserver.get("ConfigMap", "demo", "cfg") is None


def test_an_unknown_dry_run_strategy_is_refused(kubeconfig: Path) -> None:
    with pytest.raises(ValueError, match="dry_run_strategy must be 'client' or 'server'"):
        KubernetesCluster.from_kubeconfig(kubeconfig, dry_run_strategy="both")  # type: ignore[arg-type]


@pytest.mark.parametrize("strategy", ["client", "server"])
def test_dry_run_tolerates_namespace_not_created_yet(kubeconfig: Path, strategy: str) -> None:
    """A dry run into a namespace that does not exist yet passes, with either strategy."""
    with KubernetesCluster.from_kubeconfig(kubeconfig, dry_run_strategy=strategy) as kube:  # type: ignore[arg-type]
        assert kube.apply(configmap({"a": "1"}), dry_run=True).message.endswith("(dry run)")


@pytest.mark.parametrize("strategy", ["client", "server"])
def test_dry_run_of_a_kind_the_server_does_not_serve_fails(kubeconfig: Path, strategy: str) -> None:
    """Either strategy asks discovery: a kind the API does not serve fails the dry run with
    404 (what SkipDryRunOnMissingResource tolerates)."""
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with (
        KubernetesCluster.from_kubeconfig(kubeconfig, dry_run_strategy=strategy) as kube,  # type: ignore[arg-type]
        pytest.raises(ClusterError) as err,
    ):
        kube.apply(widget, dry_run=True)
    assert getattr(err.value, "status", None) == 404


def test_server_side_apply_uses_argocd_field_manager(
    kube: KubernetesCluster, apiserver: FakeApiServer
) -> None:
    """Server-side apply is a PATCH apply-patch+yaml, fieldManager argocd-controller, force."""
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    result = kube.apply(configmap({"a": "1"}), mode="server-side apply")
    assert result.message == "configmap/cfg serverside-applied"
    method, path, query, ctype = apiserver.requests[-1]
    assert path == "/api/v1/namespaces/demo/configmaps/cfg"
    assert (method, ctype) == ("PATCH", "application/apply-patch+yaml")
    assert query["fieldManager"] == ["argocd-controller"] and query["force"] == ["true"]
    assert apiserver.get("ConfigMap", "demo", "cfg")["data"] == {"a": "1"}  # type: ignore[index]


def test_client_side_apply_three_way(kube: KubernetesCluster, apiserver: FakeApiServer) -> None:
    """Client-side apply: a field removed from Git goes, a field set by others stays, and
    the change travels as a JSON merge patch."""
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    kube.apply(configmap({"a": "1", "b": "2"}))
    live = apiserver.get("ConfigMap", "demo", "cfg")
    assert live is not None
    live["metadata"]["labels"] = {"added-by": "someone-else"}
    result = kube.apply(configmap({"a": "1"}))
    assert result.message == "configmap/cfg configured"
    assert apiserver.requests[-1][3] == "application/merge-patch+json"
    live = apiserver.get("ConfigMap", "demo", "cfg")
    assert live is not None
    assert live["data"] == {"a": "1"}
    assert live["metadata"]["labels"] == {"added-by": "someone-else"}
    assert kube.apply(configmap({"a": "1"})).message == "configmap/cfg unchanged"


def test_prune_sends_propagation_policy(kube: KubernetesCluster, apiserver: FakeApiServer) -> None:
    """A prune deletes with propagationPolicy Foreground (Argo CD's default)."""
    apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    apiserver.put(
        configmap({}, annotations={"argocd.argoproj.io/tracking-id": "app:/ConfigMap:demo/cfg"})
    )
    live = kube.list_tracked("app")
    assert len(live) == 1
    rd = ResourceDiff(
        "", "ConfigMap", "demo", "cfg", "OutOfSync", live=live[0], requires_pruning=True
    )
    plan = plan_sync(ComparisonResult("OutOfSync", [rd]), options=SyncPlanOptions(prune=True))
    clock = Clock()
    op = execute_plan(
        plan, kube, app_instance="app", destination_namespace="demo", clock=clock, sleep=clock.sleep
    )
    assert op.phase == "Succeeded"
    assert op.sync_result is not None and op.sync_result.resources is not None
    assert op.sync_result.resources[0].message == "pruned"
    delete = [r for r in apiserver.requests if r[0] == "DELETE"]
    assert delete[0][2]["_policy"] == ["Foreground"]
    assert apiserver.get("ConfigMap", "demo", "cfg") is None


def test_list_tracked_skips_excluded_and_owned(
    kube: KubernetesCluster, apiserver: FakeApiServer
) -> None:
    """Events and Leases are never listed; owned objects are not roots; label tracking works
    for objects without the annotation."""
    tid = "argocd.argoproj.io/tracking-id"
    apiserver.put(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": "e",
                "namespace": "demo",
                "annotations": {tid: "app:/Event:demo/e"},
            },
        }
    )
    apiserver.put(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": "l",
                "namespace": "demo",
                "annotations": {tid: "app:coordination.k8s.io/Lease:demo/l"},
            },
        }
    )
    apiserver.put(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "owned",
                "namespace": "demo",
                "annotations": {tid: "app:/Pod:demo/owned"},
                "ownerReferences": [
                    {"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": "1"}
                ],
            },
        }
    )
    apiserver.put(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "by-label",
                "namespace": "demo",
                "labels": {"app.kubernetes.io/instance": "app"},
            },
        }
    )
    apiserver.put(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "other",
                "namespace": "demo",
                "annotations": {tid: "other:/Service:demo/other"},
            },
        }
    )
    assert [(o["kind"], o["metadata"]["name"]) for o in kube.list_tracked("app")] == [
        ("Secret", "by-label")
    ]


def test_hook_finalizer_round_trip(kube: KubernetesCluster, apiserver: FakeApiServer) -> None:
    """A PreSync Job is created with the hook finalizer; once the (simulated) controller
    completes it, the finalizer is removed by a merge patch, then the Sync wave runs."""
    apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "migrate",
            "namespace": "demo",
            "annotations": {"argocd.argoproj.io/hook": "PreSync"},
        },
        "spec": {"template": {"spec": {"restartPolicy": "Never"}}},
    }
    plan = plan_sync(first_sync([job, configmap({"a": "1"})]))
    clock = Clock()
    seen: list[list[str]] = []

    def controller(state: Any) -> None:
        stored = apiserver.get("Job", "demo", "migrate")
        if stored is not None and "status" not in stored:
            seen.append(list(stored["metadata"].get("finalizers", [])))
            stored["status"] = {"conditions": [{"type": "Complete", "status": "True"}]}

    op = execute_plan(
        plan,
        kube,
        app_instance="app",
        destination_namespace="demo",
        clock=clock,
        sleep=clock.sleep,
        on_progress=controller,
    )
    assert op.phase == "Succeeded"
    assert seen == [["argocd.argoproj.io/hook-finalizer"]]
    stored = apiserver.get("Job", "demo", "migrate")
    assert stored is not None and stored["metadata"].get("finalizers") in (None, [])
    assert apiserver.get("ConfigMap", "demo", "cfg") is not None


def test_get_missing_is_none(kube: KubernetesCluster) -> None:
    """A 404 on get means "absent": None, not an error."""
    assert kube.get(CM) is None
    assert kube.get(ResourceKey("example.com", "Widget", "demo", "w")) is None


def test_unknown_kind_apply_is_404_cluster_error(kube: KubernetesCluster) -> None:
    """Applying a kind the API does not serve: ClusterError 404 naming the kind."""
    with pytest.raises(ClusterError) as err:
        kube.apply({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert err.value.status == 404  # type: ignore[attr-defined]
    assert str(err.value).startswith("apply example.com/Widget: 404 NotFound")


def test_conflict_is_409_cluster_error(kube: KubernetesCluster, apiserver: FakeApiServer) -> None:
    """Creating an object that exists: ClusterError with verb, resource and 409."""
    apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    kube.apply(configmap({}))
    with pytest.raises(ClusterError) as err:
        kube.apply(configmap({}), mode="create")
    assert str(err.value) == (
        'create ConfigMap demo/cfg: 409 AlreadyExists: configmaps "cfg" already exists'
    )
    assert err.value.verb == "create" and err.value.status == 409  # type: ignore[attr-defined]


def test_server_error_is_500_cluster_error_without_token(
    kube: KubernetesCluster, apiserver: FakeApiServer
) -> None:
    """A 500 that persists: ClusterError 500 after the retries; the token never shows."""
    apiserver.fail("GET", "/configmaps/cfg", 500, "InternalError", times=10)
    with pytest.raises(ClusterError) as err:
        kube.get(CM)
    assert err.value.status == 500  # type: ignore[attr-defined]
    assert str(err.value) == (
        "get ConfigMap demo/cfg: 500 InternalError: injected internalerror "
        "(gave up after 6 attempts)"
    )
    assert TOKEN not in str(err.value) and TOKEN not in repr(kube)


def test_sync_failure_reports_cluster_error(
    kube: KubernetesCluster, apiserver: FakeApiServer
) -> None:
    """An apply rejected with 500 every time fails the sync with the ClusterError message."""
    apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    apiserver.fail("POST", "/configmaps", 500, "InternalError", times=10)
    clock = Clock()
    op = execute_plan(
        plan_sync(first_sync([configmap({"a": "1"})])),
        kube,
        app_instance="app",
        destination_namespace="demo",
        clock=clock,
        sleep=clock.sleep,
    )
    assert op.phase == "Failed"
    assert op.message == (
        "one or more objects failed to apply, reason: create ConfigMap "
        "demo/cfg: 500 InternalError: injected internalerror (gave up after 6 attempts)"
    )


def test_unreachable_server_is_cluster_error(tmp_path: Path) -> None:
    """No server listening: a ClusterError, not a urllib3 traceback."""
    with FakeApiServer() as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kc")
    with pytest.raises(ClusterError) as err:
        KubernetesCluster.from_kubeconfig(kubeconfig, sleep=lambda s: None)
    assert "ConnectionError" in str(err.value)
    assert "Connection refused" in str(err.value)


def test_kubeconfig_errors(tmp_path: Path, kubeconfig: Path) -> None:
    """A missing kubeconfig or an unknown context is a ClusterError naming the file."""
    with pytest.raises(ClusterError, match="file not found"):
        KubernetesCluster.from_kubeconfig(tmp_path / "missing")
    with pytest.raises(ClusterError, match=r"kubeconfig .*nope"):
        KubernetesCluster.from_kubeconfig(kubeconfig, context="nope")


def test_context_selection(kubeconfig: Path) -> None:
    """A named context is used."""
    with KubernetesCluster.from_kubeconfig(kubeconfig, context="other") as cluster:
        assert cluster.server_version() == "v1.31.0"


def test_sync_and_reconcile_through_kubernetes_cluster(
    kube: KubernetesCluster, apiserver: FakeApiServer, example_apps: Path
) -> None:
    """gitopslib.sync() renders guestbook and applies it over HTTP; a reconcile afterwards
    reads it back through list/get and finds it Synced."""
    from gitopslib.models import Application
    from gitopslib.reconcile import reconcile, sync

    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: guestbook, namespace: argocd}\n"
        "spec:\n  source: {repoURL: 'https://github.com/argoproj/argocd-example-apps.git',"
        " path: guestbook}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: demo}\n"
        "  syncPolicy: {syncOptions: [CreateNamespace=true]}\n"
    )
    clock = Clock()
    op = sync(app, cluster=kube, repo_root=example_apps, clock=clock, sleep=clock.sleep)
    assert op.phase == "Succeeded"
    assert apiserver.get("Namespace", "", "demo") is not None
    svc = apiserver.get("Service", "demo", "guestbook-ui")
    assert svc is not None
    assert svc["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        "guestbook:/Service:demo/guestbook-ui"
    )
    result = reconcile(app, kube, repo_root=example_apps, clock=clock, sleep=clock.sleep)
    assert result.sync_status == "Synced"
    assert sorted((r.kind, r.status) for r in result.comparison.resources) == [
        ("Deployment", "Synced"),
        ("Service", "Synced"),
    ]


def test_list_objects_lists_one_kind_with_its_type_set(
    kube: KubernetesCluster, apiserver: FakeApiServer
) -> None:
    """list_objects reads one kind in one namespace (or every namespace) with one list and
    sets apiVersion and kind on each item; a kind the API does not serve is a 404."""
    for ns, name in (("a", "x"), ("a", "y"), ("b", "z")):
        apiserver.put(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}}
        )
    since = len(apiserver.requests)
    found = kube.list_objects("v1", "ConfigMap", namespace="a")
    assert sorted(o["metadata"]["name"] for o in found) == ["x", "y"]
    assert {(o["apiVersion"], o["kind"]) for o in found} == {("v1", "ConfigMap")}
    assert [(m, p) for m, p, _, _ in apiserver.requests[since:]] == [
        ("GET", "/api/v1/namespaces/a/configmaps")
    ]
    everywhere = kube.list_objects("v1", "ConfigMap")
    assert sorted(o["metadata"]["name"] for o in everywhere) == ["x", "y", "z"]
    with pytest.raises(ClusterError) as err:
        kube.list_objects("example.com/v1", "Widget")
    assert getattr(err.value, "status", None) == 404


def test_requests_go_through_the_kubeconfig_proxy(apiserver: FakeApiServer, tmp_path: Path) -> None:
    """A cluster with ``proxy-url`` sends every request to the proxy (the client's proxy
    manager, not a direct connection): the server's host does not resolve, so only requests
    through the proxy (here the fake server, which answers absolute-form requests) arrive,
    each naming the server's URL as a proxy's request must."""
    config = apiserver.write_kubeconfig(tmp_path / "kubeconfig", token=TOKEN)
    data = yaml.safe_load(config.read_text())
    data["clusters"][0]["cluster"] = {"server": "http://api.invalid", "proxy-url": apiserver.url}
    config.write_text(yaml.safe_dump(data))
    with KubernetesCluster.from_kubeconfig(config) as cluster:
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
        assert cluster.apply(configmap({"a": "1"})).message == "configmap/cfg created"
        assert cluster.apply(configmap({"a": "2"})).message == "configmap/cfg configured"
        live = cluster.get(CM)
    assert live is not None and live["data"] == {"a": "2"}
    assert {"GET", "POST", "PATCH"} <= {m for m, _, _, _ in apiserver.requests}
    assert all(t.startswith("http://api.invalid/") for t in apiserver.targets)


def test_a_kubeconfig_token_file_ending_in_a_newline_is_sent_without_it(
    apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """A kubeconfig user's ``tokenFile`` written with a trailing newline authenticates, as
    the in-cluster token file does: the same refresh hook strips both loaders' tokens."""
    config = apiserver.write_kubeconfig(tmp_path / "kubeconfig", token=TOKEN)
    data = yaml.safe_load(config.read_text())
    (tmp_path / "token").write_text(TOKEN + "\n")
    data["users"][0]["user"] = {"tokenFile": str(tmp_path / "token")}
    config.write_text(yaml.safe_dump(data))
    with KubernetesCluster.from_kubeconfig(config) as cluster:
        assert cluster.get(CM) is None
    assert set(apiserver.authorizations) == {f"Bearer {TOKEN}"}
