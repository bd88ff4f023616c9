"""Fixtures for the cluster tests: a fake API server on loopback and a KubernetesCluster
connected to it through a kubeconfig file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_helpers import TOKEN, Sleeps
from fake_apiserver import FakeApiServer

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
