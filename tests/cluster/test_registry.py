"""ClusterRegistry: destinations resolve to clusters from kubeconfig contexts and Argo CD
cluster Secrets; unknown ones are clear errors; credentials never show."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_helpers import app, secret
from fake_apiserver import FakeApiServer

import gitopslib as g
from gitopslib.cluster import ClusterRegistry, KubernetesCluster, MemoryCluster
from gitopslib.errors import ClusterError
from gitopslib.manifest import ResourceKey

TOKEN = "s3cr3t-registry-token"


@pytest.fixture(autouse=True)
def _not_in_a_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run as a process outside a pod (test_registry_incluster.py: in one), so
    from_secrets adds no implicit in-cluster destination whatever machine runs them."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeApiServer]:
    with FakeApiServer() as api:
        api.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
        yield api


def test_kubeconfig_contexts_and_in_cluster(server: FakeApiServer, tmp_path: Path) -> None:
    """Every context is a cluster by name; the current one is also in-cluster at
    https://kubernetes.default.svc, and a server URL finds it too."""
    path = server.write_kubeconfig(tmp_path / "config", token=TOKEN)
    reg = ClusterRegistry.from_kubeconfig(path)
    assert reg.names() == [
        f"fake ({server.url})",
        "in-cluster (https://kubernetes.default.svc)",
        f"other ({server.url})",
    ]
    cluster = reg.for_app(app("server: 'https://kubernetes.default.svc'"))
    assert isinstance(cluster, KubernetesCluster)
    assert cluster.get(ResourceKey("", "Namespace", "", "shop")) is not None
    assert reg.for_app(app("name: fake")) is reg.for_app(app(f"server: '{server.url}'"))


def test_argocd_cluster_secret_with_bearer_token(server: FakeApiServer) -> None:
    """A cluster Secret (base64 data, bearerToken, tlsClientConfig) connects over HTTP, and
    the token is what the API server receives."""
    reg = ClusterRegistry.from_secrets(
        [secret(server.url, {"bearerToken": TOKEN, "tlsClientConfig": {"insecure": True}})]
    )
    cluster = reg.for_app(app("name: prod"))
    assert cluster.get(ResourceKey("", "Namespace", "", "shop")) is not None
    assert TOKEN not in repr(reg) and TOKEN not in repr(cluster)


def test_unknown_destination_names_it_and_the_known(server: FakeApiServer) -> None:
    """An unknown destination: one line naming the app, the destination and every known
    cluster, without any credential."""
    reg = ClusterRegistry.from_secrets([secret(server.url, {"bearerToken": TOKEN})])
    with pytest.raises(ClusterError) as info:
        reg.for_app(app("server: 'https://staging.example.com'"))
    message = str(info.value)
    assert message == (
        "application web: destination server https://staging.example.com is not a known "
        f"cluster (known: prod ({server.url}))"
    )


def test_secret_namespaces_limit_the_destination(server: FakeApiServer) -> None:
    """A cluster Secret with namespaces manages only those."""
    reg = ClusterRegistry.from_secrets(
        [secret(server.url, {"bearerToken": TOKEN}, namespaces="team-a,team-b")]
    )
    with pytest.raises(ClusterError, match="namespace shop is not managed by cluster prod"):
        reg.for_app(app("name: prod"))


def test_broken_secret_config_never_shows_it() -> None:
    """A config that is not JSON is named, not quoted."""
    bad = secret("https://x.example.com", {})
    bad["data"]["config"] = base64.b64encode(f"{{token: {TOKEN}".encode()).decode()
    with pytest.raises(ClusterError) as info:
        ClusterRegistry.from_secrets([bad])
    assert str(info.value) == "cluster secret cluster-prod: config is not JSON"
    assert TOKEN not in str(info.value)


def test_secrets_from_yaml_skip_other_secrets(tmp_path: Path) -> None:
    """From a YAML file: only Secrets labelled as clusters count."""
    other = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "repo"}}
    path = tmp_path / "secrets.yaml"
    path.write_text(g.dump_manifests([secret("https://a.example.com", {}), other]))
    assert ClusterRegistry.from_secrets(path).names() == ["prod (https://a.example.com)"]


def test_sync_wait_and_status_with_clusters(tmp_path: Path) -> None:
    """sync(), app_status() and wait() take clusters= and serve apps on two clusters."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
    )
    a, b = MemoryCluster(), MemoryCluster()
    reg = (
        ClusterRegistry()
        .add("in-cluster", "https://kubernetes.default.svc", a)
        .add("prod", "https://prod.example.com", b)
    )
    first, second = app("name: in-cluster", "one"), app("server: 'https://prod.example.com'", "two")
    for each in (first, second):
        assert g.sync(each, repo_root=tmp_path, clusters=reg).phase == "Succeeded"
        assert g.wait(each, clusters=reg, timeout=1).sync is not None
    assert [h.id for h in g.app_status(second, clusters=reg).history or []] == [0]
    assert a.get(ResourceKey("", "ConfigMap", "shop", "settings")) is not None
    assert b.get(ResourceKey("", "ConfigMap", "shop", "settings")) is not None
