"""gitopslib serve with its Applications in the cluster: argoproj.io Application objects read
from the API server (over HTTP, the official client; over HTTPS as a pod's service account
in-cluster), synced, and their status kept on the objects themselves, as Argo CD keeps it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from serve_fixtures import (
    InProcessServer,
    application,
    build_repo,
    git_daemon,
    passes,
    wait_for,
)

from gitopslib.errors import ClusterError
from gitopslib.server import ServeSettings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))
from fake_apiserver import APPLICATION, KINDS, FakeApiServer
from tls_certs import make_tls_files


@pytest.fixture(scope="module")
def api() -> Iterator[FakeApiServer]:
    with FakeApiServer([*KINDS, APPLICATION], rollout=True) as server:
        yield server


def test_apps_loaded_from_the_cluster_are_synced_and_recorded_on_their_objects(
    api: FakeApiServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An Application object in namespace argocd is loaded, auto-synced (its ConfigMap lands
    in the cluster) and its status (operationState, sync) is written on the object; the read
    API shows it."""
    root = tmp_path_factory.mktemp("serve-cluster")
    api.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}})
    with git_daemon(root / "served") as port:
        repo = build_repo(root, port)
        api.put(yaml.safe_load(application("web", repo.url, "apps/web")))
        config = api.write_kubeconfig(root / "kubeconfig")
        settings = ServeSettings(
            kubeconfig=str(config),
            cache_dir=str(root / "cache"),
            interval=3600,
            poll_interval=0.1,
            log_format="text",
        )
        app = create_app(settings)
        with InProcessServer(app) as server, httpx.Client(base_url=server.url) as client:
            controller = app.state.controller
            wait_for(lambda: passes(controller, "web") >= 2, 60, "two passes of the cluster's app")
            live = api.get("Application", "argocd", "web") or {}
            status = live.get("status") or {}
            assert status["operationState"]["phase"] == "Succeeded"
            assert status["sync"]["status"] == "Synced"
            assert [o for o in api.store if o[1] == "ConfigMap" and o[2] == "web"]
            shown = client.get("/api/v1/applications/web").json()
            assert shown["status"]["sync"]["status"] == "Synced"


SA_TOKEN = "sa-t0ken-of-gitopslib"


def test_serve_in_a_pod_reads_and_syncs_apps_as_its_service_account(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No APP and no --kubeconfig, KUBERNETES_SERVICE_HOST set: serve connects in-cluster
    over HTTPS (the CA file verifies the server), reads the Application from the cluster,
    syncs it and writes its status back, every request carrying the service account's
    token."""
    root = tmp_path_factory.mktemp("serve-in-cluster")
    tls = make_tls_files(root / "pki")
    token = root / "serviceaccount" / "token"
    token.parent.mkdir()
    token.write_text(SA_TOKEN)
    with (
        FakeApiServer([*KINDS, APPLICATION], rollout=True, tls=tls, token=SA_TOKEN) as api,
        git_daemon(root / "served") as port,
    ):
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(api.port))
        monkeypatch.delenv("KUBECONFIG", raising=False)
        api.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}})
        repo = build_repo(root, port)
        api.put(yaml.safe_load(application("web", repo.url, "apps/web")))
        settings = ServeSettings(
            service_account_token=str(token),
            service_account_ca=str(tls.ca),
            cache_dir=str(root / "cache"),
            interval=3600,
            poll_interval=0.1,
            log_format="text",
        )
        assert settings.in_cluster and settings.in_cluster_from_env
        app = create_app(settings)
        with InProcessServer(app) as server, httpx.Client(base_url=server.url) as client:
            controller = app.state.controller
            wait_for(lambda: passes(controller, "web") >= 2, 60, "two passes of the cluster's app")
            assert repr(controller.cluster) == f"KubernetesCluster('{api.url}')"
            status = (api.get("Application", "argocd", "web") or {}).get("status") or {}
            assert status["operationState"]["phase"] == "Succeeded"
            assert status["sync"]["status"] == "Synced"
            assert api.get("ConfigMap", "web", "web") is not None
            shown = client.get("/api/v1/applications/web").json()
            assert shown["status"]["sync"]["status"] == "Synced"
        sent = {(a or "").partition(" ")[2] for a in api.authorizations}
        assert sent == {SA_TOKEN}
        assert ("GET", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications") in {
            (m, p) for m, p, _, _ in api.requests
        }


@pytest.mark.parametrize(
    ("explicit", "named"),
    [
        (True, "--in-cluster: in-cluster config: "),
        (False, "KUBERNETES_SERVICE_HOST is set and neither APP nor --kubeconfig was given: "),
    ],
)
def test_serve_in_cluster_without_a_token_says_why_it_went_in_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, explicit: bool, named: str
) -> None:
    """A missing service account token stops serve at once with an error that starts with
    what chose in-cluster (the flag, or the environment) and names the missing file."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    missing = tmp_path / "token"
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = ServeSettings(
        in_cluster=explicit, service_account_token=str(missing), service_account_ca=str(ca)
    )
    with pytest.raises(ClusterError) as caught:
        create_app(settings)
    assert str(caught.value).startswith(named)
    assert f"token file {missing} does not exist" in str(caught.value)
