"""The last disagreements with Argo CD, each written from Argo CD's source behaviour.

- tracking ids: ``ParseAppInstanceValue`` splits on the first two ``:`` only
  (argo-cd util/argo/resource_tracking.go), so names such as ``team:reader`` parse back;
- custom resource scope: the API server ignores ``metadata.namespace`` on cluster-scoped
  objects, so a cluster-scoped custom resource that carries one is still the same object;
- knownTypeFields: Argo CD decodes the field into the Go type and encodes it again, which
  drops ``omitempty`` zero values (``readOnly: false``) but keeps pointer fields;
- annotation+label tracking: a label that cannot be truncated to a valid one is an error
  ("unable to truncate label to not end with a special character").
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from k8s_objects import quota_crd

import gitopslib as g
from gitopslib.errors import PlanError
from gitopslib.tracking import parse_tracking_id, tracking_label_value

APP = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: rbac, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://example.com/r.git, path: .}
  destination: {server: https://kubernetes.default.svc, namespace: team}
"""


def _role(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }


def test_tracking_id_keeps_colons_in_the_name() -> None:
    """Only the first two separators split: the name keeps its own colons."""
    assert parse_tracking_id("rbac:rbac.authorization.k8s.io/ClusterRole:team/system:x:y") == (
        "rbac",
        "rbac.authorization.k8s.io",
        "ClusterRole",
        "team",
        "system:x:y",
    )


def test_object_named_with_colons_is_compared_and_pruned() -> None:
    """A ClusterRole named ``team:reader`` is Synced after a sync and pruned once removed."""
    app = g.Application.from_yaml(APP)
    cluster = g.MemoryCluster()
    plan = g.plan_sync(g.compare([_role("team:reader")], [], app=app), app=app)
    g.execute_plan(plan, cluster, app=app)
    live = cluster.list_tracked("rbac")
    assert [o["metadata"]["name"] for o in live] == ["team:reader"]
    assert g.compare([_role("team:reader")], live, app=app).sync_status == "Synced"
    gone = g.compare([], live, app=app)
    assert [(r.name, r.requires_pruning) for r in gone.resources] == [("team:reader", True)]


QUOTA_CRD = quota_crd()


def _quota(namespace: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "gold"}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": "example.com/v1", "kind": "Quota", "metadata": meta, "spec": {"cpu": 4}}


def test_cluster_scoped_custom_resource_scope_learned_from_a_desired_crd() -> None:
    """A namespace on a cluster-scoped custom resource does not split it in two."""
    result = g.compare([QUOTA_CRD, _quota("team")], [QUOTA_CRD, _quota(None)])
    quota = [r for r in result.resources if r.kind == "Quota"]
    assert [(r.namespace, r.status, r.requires_pruning) for r in quota] == [("", "Synced", False)]


def test_cluster_scoped_custom_resource_scope_learned_from_a_live_crd() -> None:
    """The CRD may be live only (installed by someone else)."""
    result = g.compare([_quota("team")], [QUOTA_CRD, _quota(None)])
    assert [(r.kind, r.status) for r in result.resources if r.kind == "Quota"] == [
        ("Quota", "Synced")
    ]


def test_cluster_scoped_custom_resource_scope_given_by_the_caller() -> None:
    """Without a CRD in sight, the caller's discovery decides."""
    without = g.compare([_quota("team")], [_quota(None)])
    assert sorted((r.namespace, r.requires_pruning) for r in without.resources) == [
        ("", True),
        ("team", False),
    ]
    told = g.compare([_quota("team")], [_quota(None)], cluster_scoped=[("example.com", "Quota")])
    assert [(r.namespace, r.status) for r in told.resources] == [("", "Synced")]


def _rollout(**mount: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "volumeMounts": [{"name": "data", "mountPath": "/data", **mount}],
                            "securityContext": {"runAsNonRoot": False},
                        }
                    ]
                }
            }
        },
    }


def test_known_type_round_trip_drops_omitempty_zero_values() -> None:
    """``readOnly: false`` (a plain bool with omitempty) vanishes in the typed round trip."""
    result = g.compare([_rollout(readOnly=False)], [_rollout()])
    assert result.sync_status == "Synced"


def test_known_type_round_trip_keeps_pointer_zero_values() -> None:
    """``runAsNonRoot: false`` (a ``*bool``) survives: dropping it live is real drift."""
    live = _rollout()
    del live["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert g.compare([_rollout()], [live]).sync_status == "OutOfSync"


def test_known_type_round_trip_keeps_true_values() -> None:
    """A set ``readOnly: true`` is still compared."""
    assert g.compare([_rollout(readOnly=True)], [_rollout()]).sync_status == "OutOfSync"


def test_label_that_cannot_be_truncated_is_an_error() -> None:
    """An instance name whose first 63 characters are all special characters is refused."""
    with pytest.raises(PlanError, match="unable to truncate label"):
        tracking_label_value("_" * 64)


def test_long_label_is_cut_to_a_valid_value() -> None:
    """A long instance name is cut to 63 and loses trailing special characters."""
    assert tracking_label_value("a" * 60 + "---" + "b" * 10) == "a" * 60


def test_short_label_is_kept_as_is() -> None:
    """Argo CD only trims after cutting: a short name is used unchanged."""
    assert tracking_label_value("shop-") == "shop-"


def test_unchanged_input_is_not_mutated() -> None:
    """compare() leaves the caller's objects untouched while learning scope."""
    desired = [QUOTA_CRD, _quota("team")]
    before = copy.deepcopy(desired)
    g.compare(desired, [])
    assert desired == before
