"""Each sync option of argocd-semantics.md §3.2 shows its effect in the plan."""

from __future__ import annotations

import pytest
from sync_helpers import comparison, desired, from_manifests, live_only, obj, order

from gitopslib import PlanError
from gitopslib.sync import SyncPlanOptions, plan_sync

SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
HOOK = "argocd.argoproj.io/hook"


def _app(sync_options: list[str] | None = None, **sync_policy: object) -> dict[str, object]:
    policy: dict[str, object] = dict(sync_policy)
    if sync_options is not None:
        policy["syncOptions"] = sync_options
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {"destination": {"namespace": "prod"}, "syncPolicy": policy},
    }


def _one_prune(annotations: dict[str, str] | None = None) -> object:
    return comparison(live_only(obj("ConfigMap", "old", annotations=annotations)))


def test_prune_false_on_object_skips_with_no_prune() -> None:
    """Prune=false on the live object: task kept, skipped, 'ignored (no prune)'."""
    plan = plan_sync(_one_prune({SYNC_OPTIONS: "Prune=false"}), options=SyncPlanOptions(prune=True))
    (task,) = plan.tasks
    assert (task.action, task.skipped) == ("prune", True)
    assert task.reason.startswith("ignored (no prune)")


def test_prune_false_on_app_is_the_default_for_objects() -> None:
    """Prune=false in the app's syncOptions skips prunes of unannotated objects."""
    plan = plan_sync(_one_prune(), _app(["Prune=false"]), SyncPlanOptions(prune=True))
    assert plan.tasks[0].skipped
    assert "Prune=false on the app" in plan.tasks[0].reason


def test_object_prune_value_overrides_app_default() -> None:
    """Prune=true on the object wins over the app's Prune=false."""
    plan = plan_sync(
        _one_prune({SYNC_OPTIONS: "Prune=true"}), _app(["Prune=false"]), SyncPlanOptions(prune=True)
    )
    assert not plan.tasks[0].skipped


def test_pruning_disabled_skips_with_requires_pruning() -> None:
    """Without prune enabled, a prune task says 'ignored (requires pruning)'."""
    plan = plan_sync(_one_prune())
    assert plan.tasks[0].skipped
    assert plan.tasks[0].reason.startswith("ignored (requires pruning)")
    assert plan.prune is False


def test_automated_prune_enables_pruning() -> None:
    """With automated.prune=true on the app, pruning is on by default."""
    plan = plan_sync(_one_prune(), _app(automated={"prune": True}))
    assert plan.prune is True
    assert not plan.tasks[0].skipped


def test_prune_confirm_requires_confirmation() -> None:
    """Prune=confirm: the prune waits for deletion-approved."""
    plan = plan_sync(
        _one_prune({SYNC_OPTIONS: "Prune=confirm"}), options=SyncPlanOptions(prune=True)
    )
    assert plan.tasks[0].requires_confirmation
    assert "deletion-approved" in plan.tasks[0].reason


def test_create_namespace_adds_presync_namespace_task() -> None:
    """CreateNamespace=true adds a PreSync Namespace task for the destination namespace."""
    plan = plan_sync(
        from_manifests([obj("ConfigMap", "c")], "prod"), _app(["CreateNamespace=true"])
    )
    assert order(plan) == [("PreSync", 0, "Namespace", "prod"), ("Sync", 0, "ConfigMap", "c")]
    assert plan.tasks[0].action == "create"


def test_create_namespace_not_added_when_manifests_have_it() -> None:
    """No synthetic Namespace when the manifests define the destination namespace."""
    objs = [obj("Namespace", "prod"), obj("ConfigMap", "c")]
    plan = plan_sync(from_manifests(objs, "prod"), _app(["CreateNamespace=true"]))
    assert order(plan) == [("Sync", 0, "Namespace", "prod"), ("Sync", 0, "ConfigMap", "c")]


def test_create_namespace_with_existing_namespace_does_nothing() -> None:
    """An existing namespace without managed metadata needs no task (listed as excluded)."""
    plan = plan_sync(
        from_manifests([obj("ConfigMap", "c")], "prod"),
        _app(["CreateNamespace=true"]),
        SyncPlanOptions(existing_namespaces={"prod"}),
    )
    assert [t.kind for t in plan.tasks] == ["ConfigMap"]
    assert [e.name for e in plan.excluded] == ["prod"]


def test_managed_namespace_metadata_is_applied_server_side() -> None:
    """managedNamespaceMetadata labels/annotations go on the Namespace, via SSA."""
    app = _app(
        ["CreateNamespace=true"],
        managedNamespaceMetadata={"labels": {"team": "a"}, "annotations": {"owner": "me"}},
    )
    plan = plan_sync(
        from_manifests([obj("ConfigMap", "c")], "prod"),
        app,
        SyncPlanOptions(existing_namespaces={"prod"}),
    )
    ns = plan.tasks[0]
    assert (ns.kind, ns.action, ns.apply_mode) == ("Namespace", "apply", "server-side apply")
    assert ns.obj is not None
    assert ns.obj["metadata"]["labels"] == {"team": "a"}
    assert ns.obj["metadata"]["annotations"]["owner"] == "me"


def test_server_side_apply_app_option_and_object_opt_out() -> None:
    """ServerSideApply=true (app) applies server-side unless the object says false."""
    objs = [
        obj("ConfigMap", "ssa"),
        obj("ConfigMap", "csa", annotations={SYNC_OPTIONS: "ServerSideApply=false"}),
    ]
    plan = plan_sync(from_manifests(objs), _app(["ServerSideApply=true"]))
    assert {t.name: t.apply_mode for t in plan.tasks} == {
        "csa": "client-side apply",
        "ssa": "server-side apply",
    }


def test_replace_uses_replace_and_update_for_crds() -> None:
    """Replace=true: replace when live exists, create when absent, update for a CRD."""
    cm = obj("ConfigMap", "cm")
    crd = obj("CustomResourceDefinition", "w.example.com", api_version="apiextensions.k8s.io/v1")
    cmp = comparison(
        desired(cm, live=cm, status="OutOfSync"),
        desired(crd, live=crd, status="OutOfSync"),
        desired(obj("ConfigMap", "new")),
    )
    plan = plan_sync(cmp, _app(["Replace=true"]))
    assert {t.name: t.apply_mode for t in plan.tasks} == {
        "cm": "replace",
        "new": "create",
        "w.example.com": "update",
    }


def test_force_annotation_sets_force() -> None:
    """Force=true on the object sets force; in the app's syncOptions it only warns."""
    objs = [obj("ConfigMap", "f", annotations={SYNC_OPTIONS: "Force=true,Replace=true"})]
    assert plan_sync(from_manifests(objs)).tasks[0].force
    plan = plan_sync(from_manifests([obj("ConfigMap", "g")]), _app(["Force=true"]))
    assert not plan.tasks[0].force
    assert any("no effect" in w for w in plan.warnings)


def test_validate_false() -> None:
    """Validate=false turns validation off for the object."""
    objs = [obj("ConfigMap", "v", annotations={SYNC_OPTIONS: "Validate=false"}), obj("Secret", "s")]
    assert {t.name: t.validate for t in plan_sync(from_manifests(objs)).tasks} == {
        "s": True,
        "v": False,
    }


def test_apply_out_of_sync_only_skips_synced_objects() -> None:
    """ApplyOutOfSyncOnly=true: a Synced, unmodified object is skipped with a reason."""
    same = obj("ConfigMap", "same")
    changed = obj("ConfigMap", "changed")
    cmp = comparison(
        desired(same, live=same, status="Synced", modified=False),
        desired(changed, live=changed, status="OutOfSync", modified=True),
        desired(obj("ConfigMap", "new")),
    )
    plan = plan_sync(cmp, _app(["ApplyOutOfSyncOnly=true"]))
    skipped = {t.name: t.skipped for t in plan.tasks}
    assert skipped == {"changed": False, "new": False, "same": True}
    (same_task,) = plan.find("ConfigMap", "same")
    assert same_task.reason.startswith("synced, skipped (ApplyOutOfSyncOnly)")


def test_respect_ignore_differences_only_with_live_object() -> None:
    """RespectIgnoreDifferences=true marks tasks that have a live object."""
    cm = obj("ConfigMap", "live")
    cmp = comparison(desired(cm, live=cm, status="OutOfSync"), desired(obj("ConfigMap", "new")))
    plan = plan_sync(cmp, _app(["RespectIgnoreDifferences=true"]))
    assert {t.name: t.respect_ignore_differences for t in plan.tasks} == {
        "live": True,
        "new": False,
    }


def test_prune_propagation_policy() -> None:
    """PrunePropagationPolicy=background is used for prunes (default foreground)."""
    plan = plan_sync(
        _one_prune(), _app(["PrunePropagationPolicy=background"]), SyncPlanOptions(prune=True)
    )
    assert plan.tasks[0].propagation_policy == "background"
    assert (
        plan_sync(_one_prune(), options=SyncPlanOptions(prune=True)).tasks[0].propagation_policy
        == "foreground"
    )


def test_skip_dry_run_on_missing_resource() -> None:
    """SkipDryRunOnMissingResource=true on an object sets skip_dry_run."""
    objs = [
        obj(
            "Widget",
            "w",
            api_version="example.com/v1",
            annotations={SYNC_OPTIONS: "SkipDryRunOnMissingResource=true"},
        ),
        obj("Widget", "x", api_version="example.com/v1"),
    ]
    assert {t.name: t.skip_dry_run for t in plan_sync(from_manifests(objs)).tasks} == {
        "w": True,
        "x": False,
    }


def test_fail_on_shared_resource_marks_task_invalid() -> None:
    """FailOnSharedResource=true: an object tracked by another app makes the task invalid."""
    live = obj(
        "ConfigMap",
        "shared",
        namespace="prod",
        annotations={"argocd.argoproj.io/tracking-id": "other:/ConfigMap:prod/shared"},
    )
    cmp = comparison(
        desired(
            obj("ConfigMap", "shared", namespace="prod"),
            live=live,
            status="OutOfSync",
            namespace="prod",
        )
    )
    plan = plan_sync(cmp, _app(["FailOnSharedResource=true"]))
    assert plan.tasks[0].invalid is not None
    assert "tracked by app other" in plan.tasks[0].invalid
    assert not plan.valid
    warned = plan_sync(cmp, _app([]))
    assert warned.valid
    assert any("Shared resource" in w for w in warned.warnings)


def test_selective_sync_keeps_selected_and_skips_hooks() -> None:
    """options.resources syncs only the named objects; hooks do not run."""
    objs = [
        obj("ConfigMap", "a"),
        obj("ConfigMap", "b"),
        obj("Job", "pre", api_version="batch/v1", annotations={HOOK: "PreSync"}),
    ]
    plan = plan_sync(
        from_manifests(objs), options=SyncPlanOptions(resources=[("", "ConfigMap", "a")])
    )
    assert [t.name for t in plan.tasks] == ["a"]
    reasons = {e.name: e.reason for e in plan.excluded}
    assert reasons == {
        "b": "not selected (selective sync)",
        "pre": "hooks do not run in a selective sync",
    }


def test_dry_run_flag_is_on_the_plan_and_in_reasons() -> None:
    """dry_run: the plan says so, and prunes read 'pruned (dry run)'."""
    cmp = comparison(desired(obj("ConfigMap", "a")), live_only(obj("Secret", "gone")))
    plan = plan_sync(cmp, options=SyncPlanOptions(prune=True, dry_run=True))
    assert plan.dry_run
    reasons = {t.name: t.reason for t in plan.tasks}
    assert reasons["gone"].startswith("pruned (dry run)")
    assert "dry run" in reasons["a"]


def test_unknown_sync_option_is_a_warning() -> None:
    """An option Argo CD does not know is reported as a warning, not an error."""
    plan = plan_sync(from_manifests([obj("ConfigMap", "a")]), _app(["Prun=false"]))
    assert any("Prun=false" in w for w in plan.warnings)


def test_bad_option_value_raises_naming_the_option() -> None:
    """PrunePropagationPolicy=sideways is an error naming the option."""
    with pytest.raises(PlanError, match="PrunePropagationPolicy=sideways"):
        plan_sync(
            from_manifests([obj("ConfigMap", "a")]), _app(["PrunePropagationPolicy=sideways"])
        )


def test_operation_sync_options_replace_app_list() -> None:
    """options.sync_options is the operation's list and replaces the app's."""
    plan = plan_sync(
        from_manifests([obj("ConfigMap", "a")], "prod"),
        _app(["CreateNamespace=true"]),
        SyncPlanOptions(sync_options=[]),
    )
    assert [t.kind for t in plan.tasks] == ["ConfigMap"]


def test_task_sync_options_merge_object_over_app() -> None:
    """A task lists the object's options, then app options whose key it does not set."""
    objs = [obj("ConfigMap", "a", annotations={SYNC_OPTIONS: "Validate=true"})]
    plan = plan_sync(from_manifests(objs), _app(["Validate=false", "ServerSideApply=true"]))
    assert plan.tasks[0].sync_options == ("Validate=true", "ServerSideApply=true")


def test_typed_application_model_drives_the_plan() -> None:
    """A gitopslib.models.Application supplies options, destination and auto-prune."""
    from gitopslib.models import Application

    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: Application\n"
        "metadata: {name: web, namespace: argocd}\n"
        "spec:\n"
        "  project: default\n"
        "  source: {repoURL: 'https://example.com/r.git', path: ., targetRevision: HEAD}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: prod}\n"
        "  syncPolicy:\n"
        "    automated: {prune: true}\n"
        "    syncOptions: [CreateNamespace=true, PruneLast=true]\n"
    )
    cmp = comparison(
        desired(obj("ConfigMap", "c"), namespace="prod"),
        live_only(obj("Secret", "old"), namespace="prod"),
    )
    plan = plan_sync(cmp, app)
    assert [(t.phase, t.wave, t.action, t.kind) for t in plan.tasks] == [
        ("PreSync", 0, "create", "Namespace"),
        ("Sync", 0, "create", "ConfigMap"),
        ("Sync", 1, "prune", "Secret"),
    ]
    assert plan.app_name == "web"
