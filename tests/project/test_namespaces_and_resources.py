"""sourceNamespaces (§8.5) and resource allow/deny lists (§8.4), derived by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gitopslib.project import AppProject, is_app_namespace_permitted


@pytest.mark.parametrize(
    ("entries", "namespace", "expected"),
    [
        (None, None, True),
        (None, "", True),
        (None, "argocd", True),
        (None, "team-a", False),
        (["team-*"], "team-a", True),
        (["team-*"], "ops", False),
        (["/^ci-[0-9]+$/"], "ci-42", True),
        (["/^ci-[0-9]+$/"], "ci-x", False),
        (["/ci/"], "my-ci-ns", True),  # Go's MatchString searches, it does not anchor
        (["*"], "anything", True),
    ],
)
def test_source_namespaces(
    entries: list[str] | None, namespace: str | None, expected: bool
) -> None:
    """Control-plane and namespace-less apps always pass; others need a glob or /regex/."""
    assert is_app_namespace_permitted(entries, namespace) is expected


def test_control_plane_namespace_is_configurable() -> None:
    """An app in the configured control-plane namespace needs no sourceNamespaces entry."""
    assert is_app_namespace_permitted([], "gitops", control_plane_namespace="gitops")
    assert not is_app_namespace_permitted([], "argocd", control_plane_namespace="gitops")


Make = Callable[..., AppProject]


@pytest.mark.parametrize(
    ("spec", "group", "kind", "expected"),
    [
        ({}, "apps", "Deployment", True),  # absent namespaced whitelist: everything
        ({"namespaceResourceWhitelist": []}, "apps", "Deployment", False),  # empty: nothing
        (
            {"namespaceResourceWhitelist": [{"group": "apps", "kind": "*"}]},
            "apps",
            "Deployment",
            True,
        ),
        ({"namespaceResourceWhitelist": [{"group": "apps", "kind": "*"}]}, "", "ConfigMap", False),
        (
            {"namespaceResourceWhitelist": [{"group": "", "kind": "ConfigMap"}]},
            "",
            "ConfigMap",
            True,
        ),
        ({"namespaceResourceBlacklist": [{"group": "", "kind": "Secret"}]}, "", "Secret", False),
        ({"namespaceResourceBlacklist": [{"group": "", "kind": "Secret"}]}, "", "ConfigMap", True),
        ({"namespaceResourceBlacklist": []}, "", "Secret", True),
        (
            {
                "namespaceResourceWhitelist": [{"group": "*", "kind": "*"}],
                "namespaceResourceBlacklist": [{"group": "*", "kind": "Secret"}],
            },
            "",
            "Secret",
            False,
        ),
        (
            {"namespaceResourceWhitelist": [{"group": "*.k8s.io", "kind": "*"}]},
            "rbac.authorization.k8s.io",
            "Role",
            True,
        ),
    ],
)
def test_namespaced_resources(
    make_project: Make, spec: dict[str, Any], group: str, kind: str, expected: bool
) -> None:
    """Namespaced: absent whitelist = all, empty = none, blacklist wins, filepath globs."""
    assert make_project(**spec).is_resource_permitted(group, kind, namespaced=True) is expected


@pytest.mark.parametrize(
    ("spec", "group", "kind", "name", "expected"),
    [
        ({}, "", "Namespace", None, False),  # absent cluster whitelist: none
        ({"clusterResourceWhitelist": []}, "", "Namespace", None, False),
        ({"clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}, "", "Namespace", None, True),
        (
            {"clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}]},
            "",
            "Namespace",
            "x",
            True,
        ),
        (
            {"clusterResourceWhitelist": [{"group": "", "kind": "Namespace", "name": "team-*"}]},
            "",
            "Namespace",
            "team-a",
            True,
        ),
        (
            {"clusterResourceWhitelist": [{"group": "", "kind": "Namespace", "name": "team-*"}]},
            "",
            "Namespace",
            "kube-system",
            False,
        ),
        (
            {
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
                "clusterResourceBlacklist": [
                    {"group": "rbac.authorization.k8s.io", "kind": "ClusterRole*"}
                ],
            },
            "rbac.authorization.k8s.io",
            "ClusterRoleBinding",
            "admin",
            False,
        ),
        (
            {
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
                "clusterResourceBlacklist": [{"group": "", "kind": "Namespace", "name": "kube-*"}],
            },
            "",
            "Namespace",
            "team-a",
            True,
        ),
    ],
)
def test_cluster_resources(
    make_project: Make,
    spec: dict[str, Any],
    group: str,
    kind: str,
    name: str | None,
    expected: bool,
) -> None:
    """Cluster-scoped: need a whitelist entry (name optional, globbed); blacklist wins."""
    proj = make_project(**spec)
    assert proj.is_resource_permitted(group, kind, namespaced=False, name=name) is expected


def test_default_project_permits_cluster_resources() -> None:
    """The built-in default project whitelists every cluster-scoped kind."""
    proj = AppProject.default()
    assert proj.metadata.name == "default"
    assert proj.is_resource_permitted("", "Namespace", namespaced=False)
    assert proj.is_resource_permitted("apps", "Deployment", namespaced=True)
