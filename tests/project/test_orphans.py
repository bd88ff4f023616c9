"""Orphaned resources (argocd-semantics.md §8.8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitopslib.manifest import ResourceKey
from gitopslib.models import Application
from gitopslib.project import AppProject, orphaned_resources_warning

MakeP = Callable[..., AppProject]
MakeA = Callable[..., Application]


def obj(
    kind: str, name: str, namespace: str | None = "shop", api: str = "v1", **meta: Any
) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, **meta}
    if namespace is not None:
        m["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": m}


LIVE = [
    obj("ConfigMap", "stray"),
    obj("Deployment", "legacy", api="apps/v1"),
    obj("ServiceAccount", "default"),
    obj("ConfigMap", "kube-root-ca.crt"),
    obj("ConfigMap", "other-ns", namespace="elsewhere"),
    obj("Namespace", "shop", namespace=None),
    obj("Pod", "legacy-abc", ownerReferences=[{"kind": "ReplicaSet", "name": "legacy-abc"}]),
    obj("Service", "web", annotations={"argocd.argoproj.io/tracking-id": "web:/Service:shop/web"}),
    obj("Service", "api", annotations={"argocd.argoproj.io/tracking-id": "api:/Service:shop/api"}),
    obj("Secret", "by-label", labels={"app.kubernetes.io/instance": "web"}),
]


def keys(*pairs: tuple[str, str, str]) -> list[ResourceKey]:
    return sorted(ResourceKey(g, k, "shop", n) for g, k, n in pairs)


def test_no_setting_no_orphans(make_project: MakeP, make_app: MakeA) -> None:
    """Without orphanedResources nothing is reported."""
    assert make_project().orphaned_resources(make_app("web", dest_namespace="shop"), LIVE) == []


def test_orphans_with_builtin_exclusions(make_project: MakeP, make_app: MakeA) -> None:
    """Untracked top-level objects of the namespace, minus default SA and kube-root-ca.crt;
    objects tracked by this app or by another app are not orphans."""
    proj = make_project(orphanedResources={"warn": True})
    got = proj.orphaned_resources(make_app("web", dest_namespace="shop"), LIVE)
    assert got == keys(("", "ConfigMap", "stray"), ("apps", "Deployment", "legacy"))


def test_other_app_must_exist(make_project: MakeP, make_app: MakeA) -> None:
    """With known_apps, an object tracked by an app that no longer exists is an orphan."""
    proj = make_project(orphanedResources={})
    got = proj.orphaned_resources(make_app("web", dest_namespace="shop"), LIVE, known_apps=["web"])
    assert ResourceKey("", "Service", "shop", "api") in got


def test_managed_keys_are_not_orphans(make_project: MakeP, make_app: MakeA) -> None:
    """Keys the app manages (from its desired state) are not orphans."""
    proj = make_project(orphanedResources={})
    managed = [ResourceKey("apps", "Deployment", "shop", "legacy")]
    got = proj.orphaned_resources(make_app("web", dest_namespace="shop"), LIVE, managed=managed)
    assert got == keys(("", "ConfigMap", "stray"))


def test_ignore_rules(make_project: MakeP, make_app: MakeA) -> None:
    """ignore[] entries: group glob, kind and name empty or glob."""
    proj = make_project(
        orphanedResources={
            "ignore": [{"group": "apps", "name": "leg*"}, {"group": "", "kind": "Config*"}]
        }
    )
    assert proj.orphaned_resources(make_app("web", dest_namespace="shop"), LIVE) == []


def test_ignore_group_must_match(make_project: MakeP, make_app: MakeA) -> None:
    """An ignore entry without group only matches the core group."""
    proj = make_project(orphanedResources={"ignore": [{"kind": "Deployment"}]})
    got = proj.orphaned_resources(make_app("web", dest_namespace="shop"), LIVE)
    assert ResourceKey("apps", "Deployment", "shop", "legacy") in got


def test_kubernetes_service_in_default_is_excluded(make_project: MakeP, make_app: MakeA) -> None:
    """The `kubernetes` Service of `default` is never an orphan."""
    proj = make_project(orphanedResources={})
    live = [obj("Service", "kubernetes", namespace="default")]
    assert proj.orphaned_resources(make_app("web", dest_namespace="default"), live) == []


def test_resources_the_project_forbids_are_not_listed(make_project: MakeP, make_app: MakeA) -> None:
    """Objects the project does not permit are not reported."""
    proj = make_project(
        orphanedResources={}, namespaceResourceBlacklist=[{"group": "apps", "kind": "*"}]
    )
    got = proj.orphaned_resources(make_app("web", dest_namespace="shop"), LIVE)
    assert got == keys(("", "ConfigMap", "stray"))


def test_app_outside_control_plane_tracks_with_namespace(
    make_project: MakeP, make_app: MakeA
) -> None:
    """An app in another namespace owns objects tracked as <namespace>_<name>, not <name>."""
    proj = make_project(orphanedResources={})
    tracking = "argocd.argoproj.io/tracking-id"
    live = [
        obj("ConfigMap", "mine", annotations={tracking: "team_web:/ConfigMap:shop/mine"}),
        obj("ConfigMap", "theirs", annotations={tracking: "web:/ConfigMap:shop/theirs"}),
    ]
    app = make_app("web", namespace="team", dest_namespace="shop")
    assert proj.orphaned_resources(app, live, known_apps=[]) == keys(("", "ConfigMap", "theirs"))


def test_warning_message(make_project: MakeP) -> None:
    """warn (default true once set) yields Argo CD's condition message."""
    orphans = keys(("", "ConfigMap", "a"), ("", "ConfigMap", "b"))
    assert orphaned_resources_warning(make_project(orphanedResources={}), orphans) == (
        "Application has 2 orphaned resources"
    )
    assert (
        orphaned_resources_warning(make_project(orphanedResources={"warn": False}), orphans) is None
    )
    assert orphaned_resources_warning(make_project(), orphans) is None
