"""MemoryCluster's indexes (tracking, owners, kinds, CRD scope) answer exactly what a scan of
every stored object would, and follow every write that changes them."""

from __future__ import annotations

from typing import Any

import pytest

from gitopslib.cluster import MemoryCluster
from gitopslib.errors import ClusterError
from gitopslib.manifest import ResourceKey
from gitopslib.tracking import tracked_instance

TRACKING = "argocd.argoproj.io/tracking-id"
INSTANCE = "app.kubernetes.io/instance"


def cm(name: str, ns: str = "ns", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, **meta},
    }


def crd(kind: str, scope: str) -> dict[str, Any]:
    plural = kind.lower() + "s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.com"},
        "spec": {"group": "example.com", "scope": scope, "names": {"kind": kind, "plural": plural}},
    }


def names(objs: list[dict[str, Any]]) -> list[str]:
    return [o["metadata"]["name"] for o in objs]


def test_list_tracked_matches_a_full_scan() -> None:
    """list_tracked returns what filtering every object with tracked_instance returns, for
    annotations, labels under any key, malformed ids and untracked objects."""
    c = MemoryCluster(
        [
            cm("a", annotations={TRACKING: "web:/ConfigMap:ns/a"}),
            cm("b", labels={INSTANCE: "web"}),
            cm("c", labels={"team/app": "web"}),
            cm("d", annotations={TRACKING: "broken"}, labels={INSTANCE: "web"}),
            cm("e", annotations={TRACKING: "db:/ConfigMap:ns/e"}, labels={INSTANCE: "web"}),
            cm("f"),
        ]
    )
    for label_key in (INSTANCE, "team/app"):
        for instance in ("web", "db", "x"):
            scan = [o for o in c.objects() if tracked_instance(o, label_key) == instance]
            assert c.list_tracked(instance, label_key=label_key) == scan


def test_list_tracked_follows_a_retracking_apply() -> None:
    """An apply that moves an object from one app's tracking to another's moves it in the
    answers too."""
    c = MemoryCluster()
    c.apply(cm("a", annotations={TRACKING: "one:/ConfigMap:ns/a"}))
    c.apply(cm("a", annotations={TRACKING: "two:/ConfigMap:ns/a"}))
    assert (names(c.list_tracked("one")), names(c.list_tracked("two"))) == ([], ["a"])


def test_list_tracked_follows_patch_and_delete() -> None:
    """A merge patch that changes the instance label, and a delete, update the answers."""
    key = ResourceKey("", "ConfigMap", "ns", "a")
    c = MemoryCluster([cm("a", labels={INSTANCE: "one"})])
    c.patch(key, {"metadata": {"labels": {INSTANCE: "two"}}})
    assert (names(c.list_tracked("one")), names(c.list_tracked("two"))) == ([], ["a"])
    c.delete(key)
    assert c.list_tracked("two") == []


def test_crd_scope_follows_writes_and_deletes() -> None:
    """A kind becomes cluster-scoped when its CRD says so (the namespace is dropped), and
    namespaced again when the CRD changes scope or is deleted."""
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "ns"},
    }
    c = MemoryCluster()
    assert c.apply(widget).object["metadata"]["namespace"] == "ns"
    c.apply(crd("Widget", "Cluster"))
    assert "namespace" not in c.apply(widget).object["metadata"]
    assert c.get(ResourceKey("example.com", "Widget", "ns", "w"))["metadata"]["name"] == "w"  # type: ignore[index]
    c.apply(crd("Widget", "Namespaced"))
    assert c.apply(widget).object["metadata"]["namespace"] == "ns"
    c.apply(crd("Widget", "Cluster"))
    c.delete(
        ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.example.com")
    )
    assert c.apply(widget).object["metadata"]["namespace"] == "ns"


def test_served_kinds_follow_crds() -> None:
    """With a fixed API list, a kind is served only while its CRD is stored."""
    c = MemoryCluster(
        api_resources={("", "ConfigMap"), ("apiextensions.k8s.io", "CustomResourceDefinition")}
    )
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "ns"},
    }
    c.apply(crd("Widget", "Namespaced"))
    assert c.apply(widget).message == "widget.example.com/w created"
    c.delete(
        ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.example.com")
    )
    with pytest.raises(ClusterError) as info:
        c.apply({**widget, "metadata": {"name": "v", "namespace": "ns"}})
    assert info.value.status == 404


def test_api_versions_follow_deletes() -> None:
    """api_versions lists a kind while an object of it exists, not after the last one goes."""
    c = MemoryCluster([cm("a"), cm("b")])
    c.apply({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "ns"}})
    assert "batch/v1/Job" in c.api_versions()
    c.delete(ResourceKey("batch", "Job", "ns", "j"))
    c.delete(ResourceKey("", "ConfigMap", "ns", "a"))
    assert c.api_versions() == ["v1", "v1/ConfigMap"]


def test_delete_cascades_through_owner_references() -> None:
    """Deleting an owner removes its dependents and theirs, and leaves unrelated objects."""
    c = MemoryCluster()
    owner = c.apply(cm("owner")).object
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner["metadata"]["uid"],
    }
    child = c.apply(cm("child", ownerReferences=[ref])).object
    ref2 = {**ref, "name": "child", "uid": child["metadata"]["uid"]}
    c.apply(cm("grandchild", ownerReferences=[ref2]))
    c.apply(cm("other"))
    c.delete(ResourceKey("", "ConfigMap", "ns", "owner"))
    assert names(c.objects()) == ["other"]
