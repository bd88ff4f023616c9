"""Fixtures for the cluster tests: a fake API server on loopback and a KubernetesCluster
connected to it through a kubeconfig file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_apiserver import FakeApiServer

from gitopslib.cluster import KubernetesCluster

TOKEN = "s3cr3t-token-value"


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
def kube(kubeconfig: Path) -> Iterator[KubernetesCluster]:
    """A KubernetesCluster talking HTTP to the fake server."""
    with KubernetesCluster.from_kubeconfig(kubeconfig) as cluster:
        yield cluster
