"""The sync executor against MemoryCluster on corpus apps: the order of writes the cluster
records is checked against an order derived by hand from argocd-semantics.md §1.6-§1.11, §2.3-2.5.

Derivation rules used below (cited once here):
* steps run in plan order, one (phase, wave) at a time; in a step prunes go first, then
  deletion of existing BeforeHookCreation hooks, then applies (§1.6, §1.7 step 9);
* every hook gets the hook finalizer on create; it is removed (a PATCH) in the first pass after
  the hook completes (§2.5, §1.7 step 6);
* the next step starts only when the previous one is complete (multi-step) (§1.7 step 4);
* HookSucceeded hooks are deleted when the operation succeeds, HookFailed ones when it fails,
  in plan order (§2.3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sync_helpers import comparison, desired, from_manifests, live_only, obj

from gitopslib import load_manifests
from gitopslib.cluster import MemoryCluster
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application, OperationState
from gitopslib.sources import render
from gitopslib.sync import SyncPlanOptions, execute_plan, plan_sync

REV = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
START = 1_700_000_000
PRESYNC_JOB = "upgrade-sql-schema9f8e7d6-presync-1700000000"


class FakeClock:
    """A clock whose sleep only moves time forward, so no test waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def run(plan: Any, cluster: MemoryCluster, clock: FakeClock | None = None, **kw: Any) -> Any:
    clock = clock or FakeClock()
    kw.setdefault("app_instance", "demo")
    kw.setdefault("destination_namespace", "default")
    return execute_plan(plan, cluster, clock=clock, sleep=clock.sleep, **kw)


def results(op: OperationState) -> dict[str, tuple[str | None, str | None, str | None]]:
    rows = op.sync_result.resources if op.sync_result and op.sync_result.resources else []
    return {f"{r.kind}/{r.name}": (r.status, r.hook_phase, r.message) for r in rows}


def opts(**kw: Any) -> SyncPlanOptions:
    kw.setdefault("started_at", START)
    return SyncPlanOptions(revision=REV, **kw)


@pytest.fixture(scope="module")
def sync_waves(example_apps: Path) -> list[dict[str, Any]]:
    return load_manifests(example_apps / "sync-waves" / "manifests.yaml")


@pytest.fixture(scope="module")
def pre_post_sync(example_apps: Path) -> list[dict[str, Any]]:
    """pre-post-sync rendered by the real kustomize engine."""
    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: pre-post-sync, namespace: argocd}\n"
        "spec:\n  project: default\n"
        "  source: {repoURL: 'https://github.com/argoproj/argocd-example-apps.git',"
        " path: pre-post-sync, targetRevision: HEAD}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: demo}\n"
    )
    return render(app, repo_root=example_apps).manifests


def test_sync_waves_write_order(sync_waves: list[dict[str, Any]]) -> None:
    """sync-waves: every step is applied only after the previous one completed."""
    cluster = MemoryCluster(simulate=True)
    op = run(plan_sync(from_manifests(sync_waves), options=opts()), cluster)
    # Plan (test_plan_corpus): PreSync0 Job; Sync0 Service+RS backend; Sync1 Job up;
    # Sync2 Service+RS frontend; Sync3 Job down. Each Job is patched (finalizer removed) in
    # the pass that sees it complete, before the next step is applied. No hook has
    # HookSucceeded, so nothing is deleted at the end; the last step holds a hook, so the
    # operation ends on the following pass: "(no more tasks)".
    assert cluster.writes == [
        ("create", "Job", PRESYNC_JOB),
        ("patch", "Job", PRESYNC_JOB),
        ("create", "Service", "backend"),
        ("create", "ReplicaSet", "backend"),
        ("create", "Job", "maint-page-up"),
        ("patch", "Job", "maint-page-up"),
        ("create", "Service", "frontend"),
        ("create", "ReplicaSet", "frontend"),
        ("create", "Job", "maint-page-down"),
        ("patch", "Job", "maint-page-down"),
    ]
    assert (op.phase, op.message) == ("Succeeded", "successfully synced (no more tasks)")


def test_dry_run_of_every_task_comes_first(sync_waves: list[dict[str, Any]]) -> None:
    """Every task is dry-run before the first real write."""
    cluster = MemoryCluster(simulate=True)
    run(plan_sync(from_manifests(sync_waves), options=opts()), cluster)
    first_real = next(i for i, e in enumerate(cluster.events) if not e.dry_run)
    assert first_real == 7
    assert all(e.dry_run for e in cluster.events[:7])


def test_hook_finalizer_added_then_removed(sync_waves: list[dict[str, Any]]) -> None:
    """A hook is created with the hook finalizer and left without it once complete."""
    cluster = MemoryCluster(simulate=True)
    run(plan_sync(from_manifests(sync_waves), options=opts()), cluster)
    created = next(e for e in cluster.events if e.verb == "patch")
    assert created.detail["patch"] == {"metadata": {"finalizers": None}}
    job = cluster.get(ResourceKey("batch", "Job", "default", "maint-page-up"))
    assert job is not None and "finalizers" not in job["metadata"]


def test_tracking_id_stamped(sync_waves: list[dict[str, Any]]) -> None:
    """Applied objects carry <app>:<group>/<kind>:<namespace>/<name> (§7.2)."""
    cluster = MemoryCluster(simulate=True)
    run(plan_sync(from_manifests(sync_waves), options=opts()), cluster, app_instance="waves")
    rs = cluster.get(ResourceKey("apps", "ReplicaSet", "default", "frontend"))
    assert rs is not None
    assert rs["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        "waves:apps/ReplicaSet:default/frontend"
    )
    assert [o["metadata"]["name"] for o in cluster.list_tracked("waves")][:2] == [
        "backend",
        "frontend",
    ]


def test_crd_not_stamped() -> None:
    """CRDs never get a tracking id (§7.4)."""
    crd = obj(
        "CustomResourceDefinition",
        "widgets.example.com",
        api_version="apiextensions.k8s.io/v1",
        spec={"group": "example.com", "names": {"kind": "Widget"}, "scope": "Namespaced"},
    )
    cluster = MemoryCluster()
    op = run(plan_sync(from_manifests([crd])), cluster)
    assert op.phase == "Succeeded"
    live = cluster.get(
        ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", crd["metadata"]["name"])
    )
    assert live is not None
    assert "argocd.argoproj.io/tracking-id" not in live["metadata"].get("annotations", {})


def test_resync_recreates_before_hook_creation_hooks(sync_waves: list[dict[str, Any]]) -> None:
    """A second sync deletes an existing BeforeHookCreation hook, waits, then creates it."""
    cluster = MemoryCluster(simulate=True)
    run(plan_sync(from_manifests(sync_waves), options=opts()), cluster)
    first = len(cluster.writes)
    rds = []
    for o in sync_waves:
        name = o["metadata"].get("name")
        kind = o["kind"]
        group = "apps" if kind == "ReplicaSet" else ("batch" if kind == "Job" else "")
        live = cluster.get(ResourceKey(group, kind, "default", name)) if name else None
        rds.append(desired(o, live=live, status="Synced" if live else None))
    op = run(plan_sync(comparison(*rds), options=opts(started_at=START + 60)), cluster)
    second = cluster.writes[first:]
    # Sync1: maint-page-up exists -> deleted (BeforeHookCreation), the step returns pending,
    # the next pass sees it gone and creates it; Services/ReplicaSets are unchanged (no write).
    up = [w for w in second if w[2] == "maint-page-up"]
    assert up == [
        ("delete", "Job", "maint-page-up"),
        ("create", "Job", "maint-page-up"),
        ("patch", "Job", "maint-page-up"),
    ]
    assert op.phase == "Succeeded"


def test_pre_post_sync_order_and_hook_succeeded(pre_post_sync: list[dict[str, Any]]) -> None:
    """PreSync Job, then Service and Deployment, then the PostSync Job once all are Healthy;
    both HookSucceeded Jobs are deleted when the operation succeeds."""
    cluster = MemoryCluster(simulate=True)
    op = run(
        plan_sync(from_manifests(pre_post_sync, "demo"), options=opts()),
        cluster,
        destination_namespace="demo",
    )
    ui = "pre-post-sync-kustomize-guestbook-ui"
    # derived from argocd-semantics.md §1.7: each hook's patch removes its hook finalizer
    # once it completes (step 6); HookSucceeded hooks are deleted when the whole operation
    # has no more tasks (step 8), so both deletes come last
    assert cluster.writes == [
        ("create", "Job", "pre-post-sync-before"),
        ("patch", "Job", "pre-post-sync-before"),
        ("create", "Service", ui),
        ("create", "Deployment", ui),
        ("create", "Job", "pre-post-sync-after"),
        ("patch", "Job", "pre-post-sync-after"),
        ("delete", "Job", "pre-post-sync-before"),
        ("delete", "Job", "pre-post-sync-after"),
    ]
    assert op.phase == "Succeeded"
    assert [o["kind"] for o in cluster.objects()] == ["Service", "Deployment"]


def test_failed_presync_hook_stops_sync(pre_post_sync: list[dict[str, Any]]) -> None:
    """A failed PreSync hook fails the operation; nothing else is applied and the
    HookSucceeded hook stays (the operation did not succeed)."""
    cluster = MemoryCluster(simulate=True, failing={"pre-post-sync-before"})
    op = run(
        plan_sync(from_manifests(pre_post_sync, "demo"), options=opts()),
        cluster,
        destination_namespace="demo",
    )
    assert cluster.writes == [
        ("create", "Job", "pre-post-sync-before"),
        ("patch", "Job", "pre-post-sync-before"),
    ]
    assert op.phase == "Failed"
    assert op.message == "one or more synchronization tasks completed unsuccessfully"
    assert results(op)["Job/pre-post-sync-before"][1] == "Failed"


def _sync_fail_hook(name: str, policy: str | None = None) -> dict[str, Any]:
    ann = {"argocd.argoproj.io/hook": "SyncFail"}
    if policy:
        ann["argocd.argoproj.io/hook-delete-policy"] = policy
    return obj(
        "Job",
        name,
        api_version="batch/v1",
        annotations=ann,
        spec={"template": {"spec": {"restartPolicy": "Never"}}},
    )


def test_degraded_resource_fails_and_runs_sync_fail(sync_waves: list[dict[str, Any]]) -> None:
    """A Degraded resource in a gated wave fails the sync: later waves never run, the
    SyncFail hook runs, the operation ends Failed."""
    cluster = MemoryCluster(simulate=True, failing={"backend"})
    objs = [*sync_waves, _sync_fail_hook("notify")]
    op = run(plan_sync(from_manifests(objs), options=opts()), cluster)
    assert cluster.writes == [
        ("create", "Job", PRESYNC_JOB),
        ("patch", "Job", PRESYNC_JOB),
        ("create", "Service", "backend"),
        ("create", "ReplicaSet", "backend"),
        ("create", "Job", "notify"),
        ("patch", "Job", "notify"),
    ]
    assert op.phase == "Failed"
    # the ReplicaSet applied fine (status Synced) but turned Degraded: no "reason" part
    assert op.message == "one or more synchronization tasks completed unsuccessfully"
    assert results(op)["ReplicaSet/backend"] == ("Synced", "Failed", "simulated failure")


def test_failed_sync_fail_hook_is_reported(sync_waves: list[dict[str, Any]]) -> None:
    """A SyncFail hook that fails adds "one or more SyncFail hooks failed" (§1.8)."""
    cluster = MemoryCluster(simulate=True, failing={"backend", "notify"})
    op = run(
        plan_sync(from_manifests([*sync_waves, _sync_fail_hook("notify")]), options=opts()), cluster
    )
    assert op.phase == "Failed"
    assert op.message.splitlines()[-1].startswith("one or more SyncFail hooks failed")


def test_hook_failed_policy_deletes_on_failure(sync_waves: list[dict[str, Any]]) -> None:
    """HookFailed hooks are deleted when the operation fails, whatever their own result;
    HookSucceeded ones are kept."""
    pre_ok = obj(
        "Job",
        "pre-ok",
        api_version="batch/v1",
        annotations={
            "argocd.argoproj.io/hook": "PreSync",
            "argocd.argoproj.io/hook-delete-policy": "HookFailed",
        },
    )
    pre_kept = obj(
        "Job",
        "pre-kept",
        api_version="batch/v1",
        annotations={
            "argocd.argoproj.io/hook": "PreSync",
            "argocd.argoproj.io/hook-delete-policy": "HookSucceeded",
        },
    )
    cluster = MemoryCluster(simulate=True, failing={"backend"})
    op = run(plan_sync(from_manifests([*sync_waves, pre_ok, pre_kept]), options=opts()), cluster)
    assert op.phase == "Failed"
    assert ("delete", "Job", "pre-ok") in cluster.writes
    assert ("delete", "Job", "pre-kept") not in cluster.writes
    assert cluster.get(ResourceKey("batch", "Job", "default", "pre-kept")) is not None


def _tracked(o: dict[str, Any], app: str = "demo", ns: str = "default") -> dict[str, Any]:
    group = o["apiVersion"].rsplit("/", 1)[0] if "/" in o["apiVersion"] else ""
    o = dict(o)
    meta = dict(o["metadata"], namespace=ns)
    meta["annotations"] = {
        **meta.get("annotations", {}),
        "argocd.argoproj.io/tracking-id": f"{app}:{group}/{o['kind']}:{ns}/{meta['name']}",
    }
    o["metadata"] = meta
    return o


def test_prune_deletes_and_reports_pruned() -> None:
    """A tracked live object gone from Git is deleted first in its wave: "pruned"."""
    old = _tracked(obj("ConfigMap", "old"))
    new = obj("ConfigMap", "new")
    cluster = MemoryCluster([old])
    plan = plan_sync(
        comparison(desired(new), live_only(cluster.objects()[0])), options=opts(prune=True)
    )
    op = run(plan, cluster)
    assert cluster.writes == [("delete", "ConfigMap", "old"), ("create", "ConfigMap", "new")]
    assert results(op)["ConfigMap/old"] == ("Pruned", "Succeeded", "pruned")
    assert cluster.events[-2].detail["propagationPolicy"] == "foreground"


def test_prune_false_keeps_object() -> None:
    """Prune=false on the live object: nothing deleted, "ignored (no prune)"."""
    old = _tracked(
        obj("ConfigMap", "old", annotations={"argocd.argoproj.io/sync-options": "Prune=false"})
    )
    cluster = MemoryCluster([old])
    plan = plan_sync(comparison(live_only(cluster.objects()[0])), options=opts(prune=True))
    op = run(plan, cluster)
    assert cluster.writes == []
    assert results(op)["ConfigMap/old"] == ("PruneSkipped", "Succeeded", "ignored (no prune)")
    assert op.phase == "Succeeded"


def test_prune_disabled_reports_requires_pruning() -> None:
    """Without prune for the operation, the object stays: "ignored (requires pruning)"."""
    cluster = MemoryCluster([_tracked(obj("ConfigMap", "old"))])
    op = run(plan_sync(comparison(live_only(cluster.objects()[0])), options=opts()), cluster)
    assert cluster.writes == []
    assert results(op)["ConfigMap/old"][2] == "ignored (requires pruning)"


def test_prune_propagation_policy_option() -> None:
    """PrunePropagationPolicy=background reaches the delete call."""
    cluster = MemoryCluster([_tracked(obj("ConfigMap", "old"))])
    plan = plan_sync(
        comparison(live_only(cluster.objects()[0])),
        options=opts(prune=True, sync_options=["PrunePropagationPolicy=background"]),
    )
    run(plan, cluster)
    assert [e.detail["propagationPolicy"] for e in cluster.events if e.verb == "delete"] == [
        "background"
    ]


def test_pruned_object_with_finalizer_is_waited_for() -> None:
    """A pruned object still terminating keeps the operation waiting ("deletion of")."""
    old = _tracked(obj("ConfigMap", "old"))
    old["metadata"]["finalizers"] = ["example.com/keep"]
    later = obj("ConfigMap", "later", annotations={"argocd.argoproj.io/sync-wave": "5"})
    cluster = MemoryCluster([old])
    plan = plan_sync(
        comparison(live_only(cluster.objects()[0]), desired(later)), options=opts(prune=True)
    )
    messages: list[str] = []
    clock = FakeClock()

    def progress(state: OperationState) -> None:
        messages.append(state.message or "")
        if clock.now >= 6:
            cluster.patch(
                ResourceKey("", "ConfigMap", "default", "old"), {"metadata": {"finalizers": None}}
            )

    op = run(plan, cluster, clock, on_progress=progress, poll_interval=2)
    assert "waiting for deletion of /ConfigMap/old" in messages
    assert op.phase == "Succeeded"
    assert cluster.get(ResourceKey("", "ConfigMap", "default", "old")) is None
    assert clock.now >= 6


def test_prune_confirm_waits_for_approval() -> None:
    """Prune=confirm holds the wave until approval arrives, then prunes."""
    old = _tracked(
        obj("ConfigMap", "old", annotations={"argocd.argoproj.io/sync-options": "Prune=confirm"})
    )
    cluster = MemoryCluster([old])
    plan = plan_sync(comparison(live_only(cluster.objects()[0])), options=opts(prune=True))
    clock = FakeClock()
    messages: list[str] = []
    op = run(
        plan,
        cluster,
        clock,
        prune_confirmed=lambda: clock.now >= 10,
        on_progress=lambda s: messages.append(s.message or ""),
    )
    assert "Waiting for pruning confirmation of v1/ConfigMap/old" in messages
    assert cluster.writes == [("delete", "ConfigMap", "old")]
    assert op.phase == "Succeeded"


def test_prune_confirm_from_app_annotation() -> None:
    """The app's deletion-approved annotation (at or after the start) confirms pruning."""
    old = _tracked(
        obj("ConfigMap", "old", annotations={"argocd.argoproj.io/sync-options": "Prune=confirm"})
    )
    cluster = MemoryCluster([old])
    plan = plan_sync(comparison(live_only(cluster.objects()[0])), options=opts(prune=True))
    app = {
        "metadata": {
            "name": "demo",
            "annotations": {"argocd.argoproj.io/deletion-approved": "2999-01-01T00:00:00Z"},
        },
        "spec": {"destination": {"namespace": "default"}},
    }
    op = run(plan, cluster, app=app)
    assert op.phase == "Succeeded"
    assert cluster.writes == [("delete", "ConfigMap", "old")]


def test_timeout_terminates() -> None:
    """A wave that never gets healthy ends in "Operation terminated" after the timeout."""
    web = obj("Deployment", "web", api_version="apps/v1", spec={"replicas": 1})
    cm = obj("ConfigMap", "after", annotations={"argocd.argoproj.io/sync-wave": "1"})
    cluster = MemoryCluster()  # no simulated controller: the Deployment never rolls out
    clock = FakeClock()
    op = run(plan_sync(from_manifests([web, cm])), cluster, clock, timeout=30, poll_interval=5)
    assert op.phase == "Failed"
    assert op.message.startswith(
        "Operation terminated: timed out after 30s while waiting for "
        "healthy state of apps/Deployment/web"
    )
    assert ("create", "ConfigMap", "after") not in cluster.writes
    assert clock.now == 30


def test_final_wave_is_not_health_gated() -> None:
    """A single step of plain resources succeeds right after apply, even if not healthy."""
    web = obj("Deployment", "web", api_version="apps/v1", spec={"replicas": 1})
    clock = FakeClock()
    op = run(plan_sync(from_manifests([web])), MemoryCluster(), clock)
    assert (op.phase, op.message) == ("Succeeded", "successfully synced (all tasks run)")
    assert results(op)["Deployment/web"] == ("Synced", "Running", "deployment.apps/web created")
    assert clock.sleeps == []


def test_dry_run_operation_writes_nothing(sync_waves: list[dict[str, Any]]) -> None:
    """A dry-run operation validates and reports every task but changes nothing."""
    cluster = MemoryCluster(simulate=True)
    op = run(plan_sync(from_manifests(sync_waves), options=opts(dry_run=True)), cluster)
    assert cluster.writes == []
    assert cluster.objects() == []
    assert op.phase == "Succeeded"
    assert results(op)["Service/backend"] == (
        "Synced",
        "Succeeded",
        "service/backend created (dry run)",
    )


def test_dry_run_failure_stops_before_any_write() -> None:
    """A kind the API does not serve fails the dry run; nothing is written."""
    cm = obj("ConfigMap", "a")
    widget = obj("Widget", "w", api_version="example.com/v1")
    cluster = MemoryCluster(api_resources={("", "ConfigMap")})
    op = run(plan_sync(from_manifests([cm, widget])), cluster)
    assert (op.phase, op.message) == ("Failed", "one or more objects failed to apply (dry run)")
    assert cluster.writes == []
    status, _, message = results(op)["Widget/w"]
    assert status == "SyncFailed" and "404 NotFound" in (message or "")


def test_crd_in_same_sync_skips_dry_run_of_its_kind() -> None:
    """A custom resource whose CRD is in the same sync is not dry-run; the CRD goes first."""
    crd = obj(
        "CustomResourceDefinition",
        "widgets.example.com",
        api_version="apiextensions.k8s.io/v1",
        spec={"group": "example.com", "names": {"kind": "Widget"}, "scope": "Namespaced"},
    )
    widget = obj("Widget", "w", api_version="example.com/v1")
    cluster = MemoryCluster(api_resources={("apiextensions.k8s.io", "CustomResourceDefinition")})
    op = run(plan_sync(from_manifests([widget, crd])), cluster)
    assert op.phase == "Succeeded"
    assert cluster.writes == [
        ("create", "CustomResourceDefinition", "widgets.example.com"),
        ("create", "Widget", "w"),
    ]


def test_apply_error_fails_operation() -> None:
    """An apply the API rejects (here: its namespace does not exist, which a dry run does not
    check) gives SyncFailed and "one or more objects failed to apply, reason: ..."."""
    cluster = MemoryCluster(strict_namespaces=True)
    op = run(
        plan_sync(from_manifests([obj("ConfigMap", "a")], "nowhere")),
        cluster,
        destination_namespace="nowhere",
    )
    assert op.phase == "Failed"
    assert op.message == (
        "one or more objects failed to apply, reason: apply ConfigMap nowhere/a: 404 NotFound: "
        'namespaces "nowhere" not found'
    )
    assert results(op)["ConfigMap/a"][:2] == ("SyncFailed", "Failed")
    assert cluster.writes == []


def test_invalid_plan_fails_before_anything() -> None:
    """A task a project forbids makes the whole operation fail up front."""
    plan = plan_sync(
        from_manifests([obj("ConfigMap", "a")]), options=opts(permits=lambda g, k, ns, n: False)
    )
    cluster = MemoryCluster()
    op = run(plan, cluster)
    assert (op.phase, op.message) == ("Failed", "one or more synchronization tasks are not valid")
    assert cluster.events == []


def test_create_namespace_first_and_untracked() -> None:
    """CreateNamespace=true creates the destination namespace before the dry run, without
    tracking; other objects land in it."""
    app = {
        "metadata": {"name": "demo"},
        "spec": {
            "destination": {"namespace": "team"},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        },
    }
    cluster = MemoryCluster(strict_namespaces=True)
    plan = plan_sync(from_manifests([obj("ConfigMap", "a")], "team"), app=app)
    op = run(plan, cluster, app=app, destination_namespace="team")
    assert op.phase == "Succeeded"
    assert cluster.events[0].verb == "create" and not cluster.events[0].dry_run
    assert cluster.writes == [("create", "Namespace", "team"), ("create", "ConfigMap", "a")]
    ns = cluster.get(ResourceKey("", "Namespace", "", "team"))
    assert ns is not None
    assert "argocd.argoproj.io/tracking-id" not in ns["metadata"].get("annotations", {})


def test_wave_delay_sleeps_between_steps(sync_waves: list[dict[str, Any]]) -> None:
    """wave_delay is slept after every step but the last (§1.9)."""
    clock = FakeClock()
    run(
        plan_sync(from_manifests(sync_waves), options=opts()),
        MemoryCluster(simulate=True),
        clock,
        wave_delay=2,
    )
    assert clock.sleeps.count(2) == 4


def test_delete_plan_runs_pre_delete_then_waves_descending() -> None:
    """A plan_delete plan: the PreDelete hook completes first, then objects are deleted
    highest wave first (§1.6 cascade order, §2.6); Delete=false keeps an object."""
    from gitopslib.sync import plan_delete

    def tracked(name: str, wave: int, extra: dict[str, str] | None = None) -> dict[str, Any]:
        ann = {"argocd.argoproj.io/sync-wave": str(wave), **(extra or {})}
        return _tracked(obj("ConfigMap", name, annotations=ann))

    cluster = MemoryCluster(
        [
            tracked("low", 0),
            tracked("high", 2),
            tracked("kept", 1, {"argocd.argoproj.io/sync-options": "Delete=false"}),
        ],
        simulate=True,
    )
    hook = obj(
        "Job",
        "cleanup",
        api_version="batch/v1",
        annotations={"argocd.argoproj.io/hook": "PreDelete"},
    )
    cmp = comparison(*(live_only(o) for o in cluster.objects()), desired(hook))
    app = {"metadata": {"name": "demo"}, "spec": {"destination": {"namespace": "default"}}}
    op = run(plan_delete(cmp, app=app), cluster, app=app)
    assert op.phase == "Succeeded"
    assert cluster.writes == [
        ("create", "Job", "cleanup"),
        ("patch", "Job", "cleanup"),
        ("delete", "ConfigMap", "high"),
        ("delete", "ConfigMap", "low"),
    ]
    assert results(op)["ConfigMap/kept"] == ("PruneSkipped", "Succeeded", "kept (Delete=false)")


def test_git_namespace_is_tracked() -> None:
    """A Namespace from Git is stamped with tracking like any other object (§7.4)."""
    ns = obj("Namespace", "team")
    cluster = MemoryCluster()
    run(
        plan_sync(from_manifests([ns, obj("ConfigMap", "a")], "team")),
        cluster,
        destination_namespace="team",
    )
    live = cluster.get(ResourceKey("", "Namespace", "", "team"))
    assert live is not None
    assert live["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        "demo:/Namespace:team/team"
    )


def test_failed_apply_runs_sync_fail_hooks() -> None:
    """An apply the API rejects also starts the SyncFail hooks before the operation fails."""
    cluster = MemoryCluster(simulate=True, strict_namespaces=True)
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    bad = obj("ConfigMap", "a", namespace="nowhere")
    op = run(plan_sync(from_manifests([bad, _sync_fail_hook("notify")])), cluster)
    assert op.phase == "Failed"
    # Argo CD starts the SyncFail hooks with "one or more objects failed to apply"; the pass
    # that sees them complete fails the operation with the generic message (§1.7 step 7).
    assert op.message == (
        "one or more synchronization tasks completed unsuccessfully, reason: apply ConfigMap "
        'nowhere/a: 404 NotFound: namespaces "nowhere" not found'
    )
    assert ("create", "Job", "notify") in cluster.writes


def test_cluster_read_error_ends_in_error_phase() -> None:
    """A cluster that fails outside any task (a read) ends the operation in Error."""
    from gitopslib.errors import ClusterError

    class Broken(MemoryCluster):
        def get(self, key: ResourceKey) -> dict[str, Any] | None:
            raise ClusterError("get Namespace team: 503 ServiceUnavailable", status=503)

    app = {
        "metadata": {"name": "demo"},
        "spec": {
            "destination": {"namespace": "team"},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        },
    }
    plan = plan_sync(from_manifests([obj("ConfigMap", "a")], "team"), app=app)
    op = run(plan, Broken(), app=app, destination_namespace="team")
    assert (op.phase, op.message) == ("Error", "get Namespace team: 503 ServiceUnavailable")


def test_apply_out_of_sync_only_keeps_skipped_waves_in_the_multi_step_count() -> None:
    """§1.7 step 4: "multi-step" is judged on every task, including the synced ones
    ApplyOutOfSyncOnly leaves out (Argo CD filters them from the *pending* tasks only), so a
    Progressing resource applied next to a hook still holds the operation."""
    web = obj("Deployment", "web", api_version="apps/v1", spec={"replicas": 1})
    marker = obj("ConfigMap", "marker", annotations={"argocd.argoproj.io/hook": "Sync"})
    stable = obj("ConfigMap", "stable", annotations={"argocd.argoproj.io/sync-wave": "1"})
    cluster = MemoryCluster([_tracked(stable)])  # no simulated controller: web never rolls out
    live_stable = cluster.objects()[0]
    plan = plan_sync(
        comparison(
            desired(web),
            desired(marker),
            desired(stable, live=live_stable, status="Synced", modified=False),
        ),
        options=opts(sync_options=["ApplyOutOfSyncOnly=true"]),
    )
    assert [(t.name, t.wave, t.skipped) for t in plan.tasks] == [
        ("marker", 0, False),
        ("web", 0, False),
        ("stable", 1, True),
    ]
    op = run(plan, cluster, FakeClock(), timeout=30, poll_interval=5)
    assert op.phase == "Failed"
    assert "waiting for healthy state of apps/Deployment/web" in op.message
    assert all(write[2] != "stable" for write in cluster.writes)
