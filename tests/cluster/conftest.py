"""Fixtures for the cluster tests: a fake API server on loopback and a KubernetesCluster
connected to it through a kubeconfig file; the same server over HTTPS and this process as a
pod whose service account may talk to it (``pod``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_helpers import SA_TOKEN, TOKEN, Sleeps
from fake_apiserver import FakeApiServer
from tls_certs import TLSFiles, make_tls_files

from gitopslib.cluster import KubernetesCluster
from gitopslib.cluster.kube import RequestPolicy


@pytest.fixture
def apiserver() -> Iterator[FakeApiServer]:
    """A fresh fake API server for one test."""
    with FakeApiServer() as server:
        yield server


@pytest.fixture
def kubeconfig(apiserver: FakeApiServer, tmp_path: Path) -> Path:
    """A kubeconfig whose current context points at the fake server."""
    return apiserver.write_kubeconfig(tmp_path / "kubeconfig", token=TOKEN)


@pytest.fixture
def sleeps() -> Sleeps:
    """The waits between retries of the ``kube`` fixture's cluster."""
    return Sleeps()


@pytest.fixture
def kube(kubeconfig: Path, sleeps: Sleeps) -> Iterator[KubernetesCluster]:
    """A KubernetesCluster talking HTTP to the fake server; retries wait through ``sleeps``
    (recorded, not slept) and requests time out after 5 s."""
    policy = RequestPolicy(request_timeout=5.0, connect_timeout=5.0)
    with KubernetesCluster.from_kubeconfig(kubeconfig, requests=policy, sleep=sleeps) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """The cluster's CA and the API server's certificate."""
    return make_tls_files(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def https_api(tls: TLSFiles) -> Iterator[FakeApiServer]:
    """The fake API server over HTTPS, accepting only the service account's token."""
    with FakeApiServer(tls=tls, token=SA_TOKEN) as server:
        yield server


@pytest.fixture
def pod(
    https_api: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Path]:
    """This process as a pod: the service's variables point at the HTTPS server; the token
    file holds the service account's token (as the kubelet writes it: no newline)."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(https_api.port))
    token = tmp_path / "serviceaccount" / "token"
    token.parent.mkdir()
    token.write_text(SA_TOKEN)
    return {"token": token}
