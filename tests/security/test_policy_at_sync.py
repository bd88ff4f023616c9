"""Class 6 of the hardening issue: the project's policy holds at sync time, for every object.

Attacks go through the public ``gitopslib.sync`` on a MemoryCluster and a local repository:
a manifest that names another namespace, a cluster-scoped custom resource, a sync inside a
deny window, and a denied repository under another spelling.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from k8s_objects import quota_crd

import gitopslib as g
from gitopslib.manifest import ResourceKey

PROJECT = """
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: shop, namespace: argocd}
spec:
  sourceRepos: ['*', '!https://github.com/evil/repo']
  destinations:
  - {server: 'https://kubernetes.default.svc', namespace: 'shop-*'}
  namespaceResourceWhitelist: [{group: '*', kind: '*'}]
"""

APP = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: shop
  source: {repoURL: 'REPO', path: .}
  destination: {server: 'https://kubernetes.default.svc', namespace: shop-web}
"""


def _cm(name: str, namespace: str | None = None) -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}{ns}}}\ndata: {{a: '1'}}\n"


def _repo(tmp_path: Path, *docs: str) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for i, doc in enumerate(docs):
        (root / f"{i:02}.yaml").write_text(doc)
    return root


def _app(url: str = "https://github.com/shop/web.git") -> g.Application:
    return g.Application.from_yaml(APP.replace("REPO", url))


@pytest.mark.parametrize("namespace", ["kube-system", "default"])
def test_object_in_a_forbidden_namespace_is_not_created(tmp_path: Path, namespace: str) -> None:
    """A manifest's own namespace outside the project's destinations fails the sync: nothing
    is applied, not even the permitted objects beside it."""
    root = _repo(tmp_path, _cm("ok"), _cm("evil", namespace))
    cluster = g.MemoryCluster()
    op = g.sync(_app(), cluster=cluster, repo_root=root, project=g.AppProject.from_yaml(PROJECT))
    assert op.phase == "Failed"
    assert cluster.get(ResourceKey("", "ConfigMap", namespace, "evil")) is None
    assert cluster.get(ResourceKey("", "ConfigMap", "shop-web", "ok")) is None
    assert f"namespace {namespace} is not permitted" in str(op.sync_result.resources)


def test_permitted_namespaces_still_sync(tmp_path: Path) -> None:
    """The same project lets objects in shop-* namespaces through."""
    root = _repo(tmp_path, _cm("ok"), _cm("other", "shop-api"))
    cluster = g.MemoryCluster()
    op = g.sync(_app(), cluster=cluster, repo_root=root, project=g.AppProject.from_yaml(PROJECT))
    assert op.phase == "Succeeded"
    assert cluster.get(ResourceKey("", "ConfigMap", "shop-api", "other")) is not None


def test_cluster_scoped_custom_resource_is_refused(tmp_path: Path) -> None:
    """A custom kind the cluster's CRD declares cluster-scoped needs the cluster whitelist,
    even when its manifest carries a permitted namespace."""
    quota = "apiVersion: example.com/v1\nkind: Quota\nmetadata: {name: gold, namespace: shop-web}\n"
    root = _repo(tmp_path, quota)
    cluster = g.MemoryCluster(objects=[quota_crd()])
    op = g.sync(_app(), cluster=cluster, repo_root=root, project=g.AppProject.from_yaml(PROJECT))
    assert op.phase == "Failed"
    assert cluster.get(ResourceKey("example.com", "Quota", "", "gold")) is None
    assert "Resource example.com:Quota is not permitted" in str(op.sync_result.resources)


def test_active_deny_window_blocks_a_manual_sync(tmp_path: Path) -> None:
    """sync(project=...) honours a deny window that is active now."""
    project = g.AppProject.from_yaml(
        PROJECT + "  syncWindows:\n  - {kind: deny, schedule: '* * * * *', duration: 1h,"
        " applications: ['*']}\n"
    )
    root = _repo(tmp_path, _cm("ok"))
    cluster = g.MemoryCluster()
    op = g.sync(
        _app(),
        cluster=cluster,
        repo_root=root,
        project=project,
        now=lambda: datetime(2026, 1, 5, 12, 0, tzinfo=UTC),
    )
    assert op.phase == "Failed"
    assert op.message.startswith("cannot sync:")
    assert cluster.get(ResourceKey("", "ConfigMap", "shop-web", "ok")) is None


def test_deny_window_with_manual_sync_allowed_lets_a_user_sync(tmp_path: Path) -> None:
    """``manualSync: true`` on the deny window lets a manual sync through, as in Argo CD."""
    project = g.AppProject.from_yaml(
        PROJECT + "  syncWindows:\n  - {kind: deny, schedule: '* * * * *', duration: 1h,"
        " applications: ['*'], manualSync: true}\n"
    )
    root = _repo(tmp_path, _cm("ok"))
    op = g.sync(
        _app(),
        cluster=g.MemoryCluster(),
        repo_root=root,
        project=project,
        now=lambda: datetime(2026, 1, 5, 12, 0, tzinfo=UTC),
    )
    assert op.phase == "Succeeded"


SPELLINGS = [
    "https://github.com/evil/repo/",
    "git@github.com:evil/repo.git",
    "ssh://git@github.com/evil/repo",
    "ssh://git@github.com:22/evil/repo.git",
    "https://user:token@github.com/evil/repo",
    "https://github.com:443/evil/repo",
    "https://github.com//evil/repo",
    "https://github.com/./evil/repo",
    "https://github.com/x/../evil/repo",
    "http://github.com/evil/repo",
    "HTTPS://GITHUB.COM/EVIL/REPO.GIT",
    "https://github.com/evil/%72epo",
]


@pytest.mark.parametrize("url", SPELLINGS)
def test_denied_repository_under_another_spelling(tmp_path: Path, url: str) -> None:
    """Every spelling of a denied repository is refused, and nothing is applied."""
    root = _repo(tmp_path, _cm("ok"))
    cluster = g.MemoryCluster()
    project = g.AppProject.from_yaml(PROJECT)
    assert not project.is_source_permitted(url)
    op = g.sync(_app(url), cluster=cluster, repo_root=root, project=project)
    assert op.phase == "Failed"
    assert "not permitted" in op.message
    assert "token" not in op.message
    assert cluster.get(ResourceKey("", "ConfigMap", "shop-web", "ok")) is None


def test_other_repositories_stay_permitted() -> None:
    """A neighbour of the denied repository is not caught by the identity match."""
    project = g.AppProject.from_yaml(PROJECT)
    assert project.is_source_permitted("https://github.com/evil/repo-two")
    assert project.is_source_permitted("git@github.com:good/repo.git")
