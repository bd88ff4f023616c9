"""``ClusterRegistry.from_secrets`` and the implicit ``in-cluster`` destination, over real HTTPS.

As Argo CD's controller, a registry built from cluster Secrets in a pod also knows
``in-cluster`` at ``https://kubernetes.default.svc``, reached as the pod's service account,
unless a Secret is for that URL or it is disabled (``in_cluster=False``, Argo CD's
``cluster.inClusterEnabled: "false"``). The pod is the ``pod`` fixture (conftest.py):
``KUBERNETES_SERVICE_HOST``/``KUBERNETES_SERVICE_PORT`` point at the fake API server over
HTTPS, which answers 401 to any token but the service account's."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cluster_helpers import SA_TOKEN, app, secret
from fake_apiserver import FakeApiServer
from tls_certs import TLSFiles

import gitopslib as g
from gitopslib.cluster import ClusterRegistry, KubernetesCluster, MemoryCluster
from gitopslib.cluster.registry import IN_CLUSTER
from gitopslib.errors import ClusterError

PROD = "https://prod.example.com:6443"
TOKEN_CONFIG = {"bearerToken": "t"}


def test_in_a_pod_in_cluster_is_the_service_account_over_https(
    https_api: FakeApiServer, pod: dict[str, Path], tls: TLSFiles, tmp_path: Path
) -> None:
    """No Secret for kubernetes.default.svc: an app there (by URL or by the name
    in-cluster) syncs into the pod's API server over HTTPS, every request carrying the
    service account's token; the other Secrets stay as they were."""
    reg = ClusterRegistry.from_secrets(
        [secret(PROD, TOKEN_CONFIG, "prod")], token_file=pod["token"], ca_file=tls.ca
    )
    assert reg.names() == [f"prod ({PROD})", f"in-cluster ({IN_CLUSTER})"]
    assert https_api.requests == []  # connected on first use only
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {v: '1'}\n"
    )
    https_api.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    by_url = app(f"server: '{IN_CLUSTER}'")
    assert g.sync(by_url, repo_root=tmp_path, clusters=reg).phase == "Succeeded"
    cluster = reg.for_app(by_url)
    try:
        assert isinstance(cluster, KubernetesCluster)
        assert cluster.api_client.configuration.host == f"https://127.0.0.1:{https_api.port}"
        assert reg.for_app(app("name: in-cluster")) is cluster
    finally:
        cluster.close()
    assert (https_api.get("ConfigMap", "shop", "settings") or {})["data"] == {"v": "1"}
    assert {(a or "").partition(" ")[2] for a in https_api.authorizations} == {SA_TOKEN}


def test_a_secret_for_kubernetes_default_svc_wins(
    https_api: FakeApiServer, pod: dict[str, Path]
) -> None:
    """A Secret whose server is https://kubernetes.default.svc (a trailing slash is the same
    URL) is the in-cluster destination: its name and namespaces apply, nothing is added."""
    local = secret(IN_CLUSTER + "/", TOKEN_CONFIG, "local", namespaces="team-a")
    reg = ClusterRegistry.from_secrets([local, secret(PROD, TOKEN_CONFIG, "prod")])
    assert reg.names() == [f"local ({IN_CLUSTER}/)", f"prod ({PROD})"]
    with pytest.raises(ClusterError) as caught:
        reg.for_app(app(f"server: '{IN_CLUSTER}'"))
    assert str(caught.value) == (
        f"application web: namespace shop is not managed by cluster local ({IN_CLUSTER}/) "
        "(namespaces: team-a)"
    )
    with pytest.raises(ClusterError, match="destination name 'in-cluster' is not a known"):
        reg.for_app(app("name: in-cluster"))
    assert https_api.requests == []


def test_a_cluster_added_for_the_url_replaces_the_implicit_one(pod: dict[str, Path]) -> None:
    """registry.add() for https://kubernetes.default.svc takes the implicit entry's place."""
    memory = MemoryCluster()
    reg = ClusterRegistry.from_secrets([secret(PROD, TOKEN_CONFIG, "prod")]).add(
        "local", IN_CLUSTER, memory
    )
    assert reg.names() == [f"prod ({PROD})", f"local ({IN_CLUSTER})"]
    assert reg.for_app(app(f"server: '{IN_CLUSTER}'")) is memory


def test_in_cluster_false_is_argocds_in_cluster_disabled(
    https_api: FakeApiServer, pod: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """in_cluster=False in a pod: the URL is no destination, the usual error names the
    known clusters; as with Argo CD's inClusterEnabled "false", a Secret for the URL is
    skipped too (and said so in a warning)."""
    reg = ClusterRegistry.from_secrets([secret(PROD, TOKEN_CONFIG, "prod")], in_cluster=False)
    with pytest.raises(ClusterError) as caught:
        reg.for_app(app(f"server: '{IN_CLUSTER}'"))
    assert str(caught.value) == (
        f"application web: destination server {IN_CLUSTER} is not a known cluster "
        f"(known: prod ({PROD}))"
    )
    with caplog.at_level(logging.WARNING, logger="gitopslib.cluster"):
        reg = ClusterRegistry.from_secrets(
            [secret(IN_CLUSTER, TOKEN_CONFIG, "local"), secret(PROD, TOKEN_CONFIG, "prod")],
            in_cluster=False,
        )
    assert reg.names() == [f"prod ({PROD})"]
    assert f"cluster secret cluster-local: skipped, {IN_CLUSTER} is disabled" in caplog.text
    assert https_api.requests == []


def test_outside_a_pod_nothing_is_added(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without KUBERNETES_SERVICE_HOST the registry is the Secrets alone."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    reg = ClusterRegistry.from_secrets([secret(PROD, TOKEN_CONFIG, "prod")])
    assert reg.names() == [f"prod ({PROD})"]
    with pytest.raises(ClusterError, match=f"destination server {IN_CLUSTER} is not a known"):
        reg.for_app(app(f"server: '{IN_CLUSTER}'"))


def test_in_cluster_true_outside_a_pod_fails_at_first_use_naming_the_destination(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """in_cluster=True adds the entry even outside a pod; connecting then fails with the
    in-cluster loader's reasons, prefixed with the destination and how it was reached."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    token = tmp_path / "token"
    reg = ClusterRegistry.from_secrets([], in_cluster=True, token_file=token)
    assert reg.names() == [f"in-cluster ({IN_CLUSTER})"]
    with pytest.raises(ClusterError) as caught:
        reg.for_app(app("name: in-cluster"))
    text = str(caught.value)
    assert text.startswith(
        f"cluster in-cluster ({IN_CLUSTER}), the pod's service account: in-cluster config: "
        "KUBERNETES_SERVICE_HOST is not set"
    )
    assert f"token file {token} does not exist" in text
