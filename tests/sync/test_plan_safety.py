"""Safety: prunes only for objects the app tracks, project rules mark tasks invalid,
malformed annotations are errors that name the object and the annotation."""

from __future__ import annotations

import pytest
from sync_helpers import comparison, desired, from_manifests, live_only, obj

from gitopslib import PlanError
from gitopslib.sync import SyncPlanOptions, plan_sync

WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
PRUNE = SyncPlanOptions(prune=True)


def test_untracked_live_object_is_never_pruned() -> None:
    """A live-only object the comparison does not flag requires_pruning gets no prune task."""
    cmp = comparison(live_only(obj("ConfigMap", "someone-elses"), requires_pruning=False))
    plan = plan_sync(cmp, options=PRUNE)
    assert plan.tasks == []
    assert "not claimed" in plan.excluded[0].reason


def test_live_hook_is_never_pruned() -> None:
    """A live hook object without a desired counterpart is never pruned by a sync."""
    cmp = comparison(
        live_only(obj("Job", "old-hook", api_version="batch/v1", annotations={HOOK: "PreSync"}))
    )
    plan = plan_sync(cmp, options=PRUNE)
    assert plan.tasks == []
    assert "never prunes hooks" in plan.excluded[0].reason


def test_skip_object_occupies_its_key() -> None:
    """hook: Skip: no task, and the live object of the same key is not pruned either."""
    skip = obj("ConfigMap", "manual", annotations={HOOK: "Skip"})
    plan = plan_sync(comparison(desired(skip, live=obj("ConfigMap", "manual"))), options=PRUNE)
    assert plan.tasks == []
    assert plan.excluded[0].reason.startswith("hook: Skip")


def test_permits_callable_marks_denied_tasks_invalid() -> None:
    """A project rule refusing Secrets marks the Secret task invalid, keeps it in the plan."""

    def permits(group: str, kind: str, namespaced: bool, name: str) -> bool:
        return kind != "Secret"

    objs = [obj("Secret", "s"), obj("ConfigMap", "c")]
    plan = plan_sync(from_manifests(objs), options=SyncPlanOptions(permits=permits))
    invalid = {t.name: t.invalid for t in plan.tasks}
    assert invalid == {"s": "Resource :Secret is not permitted in project", "c": None}
    assert not plan.valid
    assert [t.name for t in plan.invalid_tasks] == ["s"]


def test_permits_object_with_is_resource_permitted() -> None:
    """An object with is_resource_permitted(group, kind, namespaced, name) is consulted."""
    seen: list[tuple[str, str, bool, str]] = []

    class Project:
        def is_resource_permitted(self, group: str, kind: str, namespaced: bool, name: str) -> bool:
            seen.append((group, kind, namespaced, name))
            return namespaced

    objs = [
        obj("ClusterRole", "r", api_version="rbac.authorization.k8s.io/v1"),
        obj("ConfigMap", "c"),
    ]
    plan = plan_sync(from_manifests(objs), options=SyncPlanOptions(permits=Project()))
    assert {t.name: bool(t.invalid) for t in plan.tasks} == {"r": True, "c": False}
    assert ("rbac.authorization.k8s.io", "ClusterRole", False, "r") in seen


def test_denied_prune_is_invalid_not_dropped() -> None:
    """Project rules apply to prune tasks too."""
    plan = plan_sync(
        comparison(live_only(obj("Secret", "gone"))),
        options=SyncPlanOptions(prune=True, permits=lambda g, k, n, name: False),
    )
    assert plan.tasks[0].action == "prune"
    assert plan.tasks[0].invalid


def test_namespace_permits_checks_namespaced_objects_only() -> None:
    """A destination namespace rule marks namespaced objects outside it invalid."""
    objs = [
        obj("ConfigMap", "ok", namespace="allowed"),
        obj("ConfigMap", "bad", namespace="forbidden"),
        obj("ClusterRole", "r", api_version="rbac.authorization.k8s.io/v1"),
    ]
    plan = plan_sync(
        from_manifests(objs),
        options=SyncPlanOptions(namespace_permits=lambda ns: ns == "allowed"),
    )
    assert {t.name: t.invalid for t in plan.tasks} == {
        "bad": "namespace forbidden is not permitted in project",
        "ok": None,
        "r": None,
    }


def test_malformed_sync_wave_raises_naming_object_and_annotation() -> None:
    """sync-wave 'abc' is a PlanError naming the object and the annotation."""
    with pytest.raises(PlanError) as info:
        plan_sync(from_manifests([obj("ConfigMap", "cfg", annotations={WAVE: "abc"})]))
    err = info.value
    assert "ConfigMap cfg" in str(err)
    assert WAVE in str(err)
    assert err.annotation == WAVE  # type: ignore[attr-defined]
    assert err.value == "abc"  # type: ignore[attr-defined]


def test_malformed_sync_wave_non_strict_warns_and_uses_fallback() -> None:
    """strict=False: a warning on the plan, and Argo CD's fallback (helm weight, else 0)."""
    objs = [
        obj("ConfigMap", "a", annotations={WAVE: "abc"}),
        obj("ConfigMap", "b", annotations={WAVE: "x", "helm.sh/hook-weight": "4"}),
    ]
    plan = plan_sync(from_manifests(objs), options=SyncPlanOptions(strict=False))
    assert {t.name: t.wave for t in plan.tasks} == {"a": 0, "b": 4}
    assert len(plan.warnings) == 2
    assert "ConfigMap a" in plan.warnings[0]


def test_unknown_hook_type_raises() -> None:
    """An unknown hook type is a PlanError naming the object and the annotation."""
    job = obj("Job", "j", api_version="batch/v1", annotations={HOOK: "PreSycn"})
    with pytest.raises(PlanError, match=r"Job j: annotation argocd.argoproj.io/hook: 'PreSycn'"):
        plan_sync(from_manifests([job]))


def test_unknown_hook_type_non_strict_drops_the_object_like_argo() -> None:
    """strict=False: the object is dropped as Argo CD drops it, with a warning."""
    job = obj("Job", "j", api_version="batch/v1", annotations={HOOK: "PreSycn"})
    plan = plan_sync(from_manifests([job]), options=SyncPlanOptions(strict=False))
    assert plan.tasks == []
    assert [e.name for e in plan.excluded] == ["j"]
    assert plan.warnings
    # the same words as the strict error: the object, the annotation and the bad value
    assert plan.warnings[0].startswith("Job j: annotation argocd.argoproj.io/hook: 'PreSycn'")


def test_helm_test_hook_is_dropped() -> None:
    """helm.sh/hook: test-success: Argo CD never runs it; listed as excluded."""
    pod = obj("Pod", "t", annotations={"helm.sh/hook": "test-success"})
    plan = plan_sync(from_manifests([pod, obj("ConfigMap", "c")]))
    assert [t.name for t in plan.tasks] == ["c"]
    assert "test-success" in plan.excluded[0].reason


def test_pre_delete_hook_is_not_part_of_a_sync() -> None:
    """A PreDelete-only hook gets no sync task; it belongs to plan_delete."""
    job = obj("Job", "cleanup", api_version="batch/v1", annotations={HOOK: "PreDelete"})
    plan = plan_sync(from_manifests([job]))
    assert plan.tasks == []
    assert "plan_delete" in plan.excluded[0].reason


def test_real_app_project_rules_mark_tasks_invalid() -> None:
    """gitopslib.project.AppProject plugs in as `permits`: denied kinds become invalid."""
    from gitopslib.project import AppProject

    project = AppProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: AppProject\n"
        "metadata: {name: team}\n"
        "spec:\n"
        "  sourceRepos: ['*']\n"
        "  destinations: [{server: '*', namespace: '*'}]\n"
        "  namespaceResourceBlacklist: [{group: '', kind: Secret}]\n"
    )
    objs = [
        obj("Secret", "s"),
        obj("ConfigMap", "c"),
        obj("ClusterRole", "r", api_version="rbac.authorization.k8s.io/v1"),
    ]
    plan = plan_sync(from_manifests(objs), options=SyncPlanOptions(permits=project))
    # Secret is blacklisted; cluster-scoped kinds need a clusterResourceWhitelist entry
    assert {t.name: bool(t.invalid) for t in plan.tasks} == {"s": True, "c": False, "r": True}
