"""MemoryCluster: an API server's bookkeeping, kubectl's apply, finalizers, dry runs and the
simulated controllers, checked against the rules of the Kubernetes API and the health checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gitopslib.cluster import Cluster, MemoryCluster
from gitopslib.errors import ClusterError
from gitopslib.health import HealthStatusCode, assess_health
from gitopslib.manifest import ResourceKey

CM = ResourceKey("", "ConfigMap", "ns", "a")


def cm(data: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "ns", **meta},
    }
    if data is not None:
        out["data"] = data
    return out


def test_is_a_cluster() -> None:
    """MemoryCluster satisfies the Cluster protocol."""
    assert isinstance(MemoryCluster(), Cluster)


def test_server_fields_assigned() -> None:
    """Create assigns uid, resourceVersion, generation 1 and creationTimestamp."""
    c = MemoryCluster(now=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    obj = c.apply(cm({"k": "v"})).object
    meta = obj["metadata"]
    assert meta["generation"] == 1 and meta["resourceVersion"] == "1"
    assert meta["creationTimestamp"] == "2026-01-02T03:04:05Z"
    assert len(meta["uid"]) == 36


def test_generation_bumps_on_spec_change_only() -> None:
    """generation grows when data/spec change, not when only metadata changes."""
    c = MemoryCluster()
    c.apply(cm({"k": "v"}))
    c.apply(cm({"k": "v"}, labels={"x": "y"}))
    assert c.get(CM)["metadata"]["generation"] == 1  # type: ignore[index]
    c.apply(cm({"k": "w"}))
    live = c.get(CM)
    assert live is not None and live["metadata"]["generation"] == 2
    assert live["metadata"]["resourceVersion"] == "3"


def test_client_side_apply_keeps_last_applied_and_merges_three_ways() -> None:
    """Client-side apply stores the last-applied annotation; keys dropped from it are
    removed, keys others added are kept."""
    c = MemoryCluster()
    c.apply(cm({"a": "1", "b": "2"}))
    c.patch(CM, {"metadata": {"labels": {"other": "x"}}})
    result = c.apply(cm({"a": "1"}))
    assert result.message == "configmap/a configured"
    live = c.get(CM)
    assert live is not None
    assert live["data"] == {"a": "1"}
    assert live["metadata"]["labels"] == {"other": "x"}
    last = json.loads(
        live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )
    assert last["data"] == {"a": "1"}


def test_unchanged_apply_writes_nothing() -> None:
    """Applying the same object again is "unchanged" and records no write."""
    c = MemoryCluster()
    c.apply(cm({"a": "1"}))
    assert c.apply(cm({"a": "1"})).message == "configmap/a unchanged"
    assert c.writes == [("create", "ConfigMap", "a")]


def test_server_side_apply_removes_fields_the_manager_dropped() -> None:
    """Server-side apply remembers what the manager applied and drops fields it stops
    applying, keeping fields of others."""
    c = MemoryCluster()
    c.apply(cm({"a": "1", "b": "2"}), mode="server-side apply")
    c.patch(CM, {"data": {"c": "3"}})
    msg = c.apply(cm({"a": "1"}), mode="server-side apply").message
    assert msg == "configmap/a serverside-applied"
    assert c.get(CM)["data"] == {"a": "1", "c": "3"}  # type: ignore[index]


def test_create_conflict_and_replace_missing() -> None:
    """create of an existing object is 409; replace of a missing one is 404."""
    c = MemoryCluster([cm()])
    with pytest.raises(ClusterError) as err:
        c.apply(cm(), mode="create")
    assert err.value.status == 409  # type: ignore[attr-defined]
    with pytest.raises(ClusterError) as err:
        c.apply({**cm(), "metadata": {"name": "b", "namespace": "ns"}}, mode="replace")
    assert err.value.status == 404  # type: ignore[attr-defined]


def test_dry_run_changes_nothing() -> None:
    """A dry-run apply or delete leaves the store as it was."""
    c = MemoryCluster([cm({"a": "1"})])
    assert c.apply(cm({"a": "2"}), dry_run=True).message == "configmap/a configured (dry run)"
    assert c.delete(CM, dry_run=True) is True
    assert c.get(CM)["data"] == {"a": "1"}  # type: ignore[index]
    assert c.writes == []


def test_delete_with_finalizer_marks_then_patch_removes() -> None:
    """An object with finalizers gets deletionTimestamp; dropping the last finalizer
    deletes it."""
    c = MemoryCluster([cm(finalizers=["example.com/x"])])
    assert c.delete(CM) is True
    live = c.get(CM)
    assert live is not None and live["metadata"]["deletionTimestamp"]
    assert c.patch(CM, {"metadata": {"finalizers": None}}) is None
    assert c.get(CM) is None


def test_delete_cascades_to_owned_unless_orphan() -> None:
    """Dependents (ownerReferences) are deleted with their owner, kept with orphan."""
    for policy, expected in (("foreground", None), ("orphan", "p")):
        c = MemoryCluster()
        owner = c.apply(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {"name": "rs", "namespace": "ns"},
            }
        ).object
        c.add(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "p",
                    "namespace": "ns",
                    "ownerReferences": [
                        {"kind": "ReplicaSet", "name": "rs", "uid": owner["metadata"]["uid"]}
                    ],
                },
            }
        )
        c.delete(ResourceKey("apps", "ReplicaSet", "ns", "rs"), propagation_policy=policy)
        pod = c.get(ResourceKey("", "Pod", "ns", "p"))
        assert (pod["metadata"]["name"] if pod else None) == expected


def test_missing_namespace_defaults_and_cluster_scoped_drop_it() -> None:
    """A namespaced object without namespace lands in "default"; a Namespace has none."""
    c = MemoryCluster()
    c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "namespace": "q"}})
    assert c.get(ResourceKey("", "ConfigMap", "default", "x")) is not None
    ns = c.get(ResourceKey("", "Namespace", "", "n"))
    assert ns is not None and "namespace" not in ns["metadata"]
    assert ns["status"] == {"phase": "Active"}


def test_unknown_kind_is_404_when_api_resources_given() -> None:
    """With api_resources, a kind the API does not serve is a 404 ClusterError until its
    CRD exists."""
    c = MemoryCluster(api_resources={("apiextensions.k8s.io", "CustomResourceDefinition")})
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with pytest.raises(ClusterError, match="404 NotFound"):
        c.apply(widget)
    c.apply(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget"}, "scope": "Cluster"},
        }
    )
    c.apply(widget)
    assert c.get(ResourceKey("example.com", "Widget", "", "w")) is not None


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 3}}, "Healthy"),
        ({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"replicas": 2}}, "Healthy"),
        ({"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {}}, "Healthy"),
        ({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {"replicas": 1}}, "Healthy"),
        ({"apiVersion": "batch/v1", "kind": "Job", "spec": {}}, "Healthy"),
        ({"apiVersion": "v1", "kind": "Pod", "spec": {"restartPolicy": "Never"}}, "Healthy"),
        ({"apiVersion": "v1", "kind": "Pod", "spec": {}}, "Healthy"),
        ({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {}}, "Healthy"),
    ],
)
def test_simulate_makes_workloads_healthy(manifest: dict[str, Any], expected: str) -> None:
    """simulate=True writes the status a healthy controller would (per the health checks)."""
    c = MemoryCluster(simulate=True)
    obj = {**manifest, "metadata": {"name": "x", "namespace": "ns"}}
    stored = c.apply(obj).object
    health = assess_health(stored)
    assert health is not None and health.status == expected


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "Job", "Pod"])
def test_simulate_failing_is_degraded(kind: str) -> None:
    """Objects named in failing get a failed status: Degraded."""
    api = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "Job": "batch/v1", "Pod": "v1"}[kind]
    c = MemoryCluster(simulate=True, failing={"x"})
    stored = c.apply(
        {"apiVersion": api, "kind": kind, "metadata": {"name": "x"}, "spec": {"replicas": 1}}
    ).object
    health = assess_health(stored)
    assert health is not None and health.status is HealthStatusCode.DEGRADED


def test_simulate_load_balancers() -> None:
    """A LoadBalancer Service gets an address only with simulate_load_balancers."""
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"type": "LoadBalancer"},
    }
    for flag, expected in ((False, HealthStatusCode.PROGRESSING), (True, HealthStatusCode.HEALTHY)):
        stored = MemoryCluster(simulate=True, simulate_load_balancers=flag).apply(svc).object
        assert assess_health(stored).status is expected  # type: ignore[union-attr]


def test_ready_after_follows_the_clock() -> None:
    """With ready_after, the status appears only once the clock has moved that far."""
    now = [0.0]
    c = MemoryCluster(simulate=True, ready_after=5, clock=lambda: now[0])
    c.apply({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "n"}})
    key = ResourceKey("batch", "Job", "n", "j")
    assert "status" not in c.get(key)  # type: ignore[operator]
    now[0] = 5
    assert c.get(key)["status"]["succeeded"] == 1  # type: ignore[index]


def test_set_status_and_events() -> None:
    """set_status replaces status; events record verbs in order, dry runs flagged."""
    c = MemoryCluster()
    c.apply(cm({"a": "1"}), dry_run=True)
    c.apply(cm({"a": "1"}))
    c.set_status(CM, {"phase": "x"})
    assert c.get(CM)["status"] == {"phase": "x"}  # type: ignore[index]
    c.delete(CM)
    assert [(e.verb, e.dry_run) for e in c.events] == [
        ("create", True),
        ("create", False),
        ("delete", False),
    ]
    assert c.writes == [("create", "ConfigMap", "a"), ("delete", "ConfigMap", "a")]


def test_list_tracked_by_annotation_or_label() -> None:
    """list_tracked: tracking-id instance, else the instance label."""
    c = MemoryCluster(
        [
            cm(annotations={"argocd.argoproj.io/tracking-id": "web:/ConfigMap:ns/a"}),
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "s",
                    "namespace": "ns",
                    "labels": {"app.kubernetes.io/instance": "web"},
                },
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "t",
                    "namespace": "ns",
                    "labels": {"app.kubernetes.io/instance": "web"},
                    "annotations": {"argocd.argoproj.io/tracking-id": "api:/Secret:ns/t"},
                },
            },
        ]
    )
    assert [o["metadata"]["name"] for o in c.list_tracked("web")] == ["a", "s"]
    assert [o["metadata"]["name"] for o in c.list_tracked("api")] == ["t"]


def test_update_with_stale_resource_version_conflicts() -> None:
    """A replace/update carrying an old resourceVersion is a 409 Conflict, as on a server."""
    c = MemoryCluster([cm({"a": "1"})])
    stale = c.get(CM)
    assert stale is not None
    c.apply(cm({"a": "2"}))
    with pytest.raises(ClusterError) as err:
        c.apply(stale, mode="update")
    assert err.value.status == 409  # type: ignore[attr-defined]


def test_seeded_resource_version_is_kept() -> None:
    """Objects given at construction keep a resourceVersion they already have."""
    c = MemoryCluster([cm(resourceVersion="4711")])
    assert c.get(CM)["metadata"]["resourceVersion"] == "4711"  # type: ignore[index]
