"""Ordering rules of argocd-semantics.md §1: sort key, prune mirroring, PruneLast,
prunes-before-applies, Namespace and CRD bubbling, hooks in several phases, SyncFail."""

from __future__ import annotations

from sync_helpers import comparison, desired, from_manifests, live_only, obj, order

from gitopslib.sync import KIND_ORDER, SyncPlanOptions, kind_rank, plan_sync

WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
PRUNE = SyncPlanOptions(prune=True)


def test_kind_order_has_35_entries_ending_with_apiservice() -> None:
    """The kind table has Argo CD's 35 entries, Namespace first and APIService last."""
    assert len(KIND_ORDER) == 35
    assert (KIND_ORDER[0], KIND_ORDER[-1]) == ("Namespace", "APIService")
    assert "IngressClass" in KIND_ORDER


def test_unlisted_kinds_rank_zero_after_listed_ones() -> None:
    """A custom resource kind ranks 0, after every listed kind."""
    assert kind_rank("Certificate") == 0
    assert max(kind_rank(k) for k in KIND_ORDER) == -1


def test_sort_by_kind_then_name_within_a_wave() -> None:
    """Inside one wave: kind rank first, then name; custom resources last."""
    objs = [
        obj("Widget", "a", api_version="example.com/v1"),
        obj("Deployment", "b", api_version="apps/v1"),
        obj("ConfigMap", "z"),
        obj("ConfigMap", "a"),
        obj("Secret", "s"),
    ]
    # ranks: Secret -28, ConfigMap -26, Deployment -8, Widget 0
    assert [t.name for t in plan_sync(from_manifests(objs)).tasks] == ["s", "a", "z", "b", "a"]


def test_wave_beats_kind() -> None:
    """A lower wave runs first even when its kind ranks later."""
    objs = [obj("ConfigMap", "cm", annotations={WAVE: "1"}), obj("Service", "svc")]
    assert order(plan_sync(from_manifests(objs))) == [
        ("Sync", 0, "Service", "svc"),
        ("Sync", 1, "ConfigMap", "cm"),
    ]


def test_negative_waves_sort_first() -> None:
    """Waves are signed: -5 before 0."""
    objs = [obj("ConfigMap", "a"), obj("ConfigMap", "b", annotations={WAVE: "-5"})]
    assert [t.wave for t in plan_sync(from_manifests(objs)).tasks] == [-5, 0]


def test_prune_waves_are_mirrored() -> None:
    """Prune waves 1, 2, 5 swap symmetrically: 1<->5, 2 stays 2 (§1.6)."""
    cmp = comparison(
        live_only(obj("ConfigMap", "p1", annotations={WAVE: "1"})),
        live_only(obj("ConfigMap", "p2", annotations={WAVE: "2"})),
        live_only(obj("ConfigMap", "p5", annotations={WAVE: "5"})),
    )
    plan = plan_sync(cmp, options=PRUNE)
    assert {t.name: t.wave for t in plan.tasks} == {"p1": 5, "p2": 2, "p5": 1}
    assert [t.name for t in plan.tasks] == ["p5", "p2", "p1"]


def test_prune_mirroring_ignores_apply_waves() -> None:
    """Only the prunes' own waves are mirrored; applies keep theirs and interleave."""
    cmp = comparison(
        desired(obj("ConfigMap", "keep", annotations={WAVE: "3"})),
        live_only(obj("Secret", "old0", annotations={WAVE: "0"})),
        live_only(obj("Secret", "old4", annotations={WAVE: "4"})),
    )
    plan = plan_sync(cmp, options=PRUNE)
    # prune waves {0, 4} swap: old0 -> 4, old4 -> 0; keep stays 3
    assert order(plan) == [
        ("Sync", 0, "Secret", "old4"),
        ("Sync", 3, "ConfigMap", "keep"),
        ("Sync", 4, "Secret", "old0"),
    ]
    assert "wave 4 -> 0" in plan.tasks[0].reason


def test_prunes_run_before_applies_in_a_wave() -> None:
    """In one wave the prune comes first even though its kind ranks later."""
    cmp = comparison(
        desired(obj("ConfigMap", "new")),
        live_only(obj("Deployment", "old", api_version="apps/v1")),
    )
    plan = plan_sync(cmp, options=PRUNE)
    assert [(t.action, t.name) for t in plan.tasks] == [("prune", "old"), ("create", "new")]
    (wave,) = plan.waves()
    assert [t.name for t in wave.prunes] == ["old"]
    assert [t.name for t in wave.applies] == ["new"]


def test_prune_last_app_option_goes_after_last_sync_wave() -> None:
    """PruneLast=true (app): prunes move to max Sync wave + 1."""
    cmp = comparison(
        desired(obj("ConfigMap", "a", annotations={WAVE: "2"})),
        live_only(obj("Secret", "gone", annotations={WAVE: "-1"})),
    )
    plan = plan_sync(cmp, options=SyncPlanOptions(prune=True, sync_options=["PruneLast=true"]))
    assert order(plan) == [("Sync", 2, "ConfigMap", "a"), ("Sync", 3, "Secret", "gone")]


def test_prune_last_object_option_only_moves_that_object() -> None:
    """PruneLast=true on the live object moves only that prune."""
    cmp = comparison(
        desired(obj("ConfigMap", "a", annotations={WAVE: "1"})),
        live_only(obj("Secret", "last", annotations={SYNC_OPTIONS: "PruneLast=true"})),
        live_only(obj("Secret", "normal")),
    )
    plan = plan_sync(cmp, options=PRUNE)
    assert {t.name: t.wave for t in plan.tasks} == {"a": 1, "last": 2, "normal": 0}


def test_prune_last_all_negative_waves_lands_in_wave_1() -> None:
    """With every Sync wave negative, PruneLast uses the floor 0: wave 1."""
    cmp = comparison(
        desired(obj("ConfigMap", "a", annotations={WAVE: "-3"})),
        live_only(obj("Secret", "gone", annotations={WAVE: "-2"})),
    )
    plan = plan_sync(cmp, options=SyncPlanOptions(prune=True, sync_options=["PruneLast=true"]))
    assert {t.name: t.wave for t in plan.tasks} == {"a": -3, "gone": 1}


def test_prune_last_counts_mirrored_prune_waves() -> None:
    """The last Sync wave is taken after mirroring, prune tasks included."""
    cmp = comparison(
        desired(obj("ConfigMap", "a")),
        live_only(obj("Secret", "s1", annotations={WAVE: "1"})),
        live_only(obj("Secret", "s7", annotations={WAVE: "7", SYNC_OPTIONS: "PruneLast=true"})),
    )
    plan = plan_sync(cmp, options=PRUNE)
    # mirror {1, 7}: s1 -> 7, s7 -> 1; last Sync wave = 7; s7 (PruneLast) -> 8
    assert {t.name: t.wave for t in plan.tasks} == {"a": 0, "s1": 7, "s7": 8}


def test_namespace_bubbles_before_first_user_and_takes_its_wave() -> None:
    """A Namespace in wave 5 moves before a wave -1 Deployment in it, taking wave -1."""
    objs = [
        obj("Namespace", "team", annotations={WAVE: "5"}),
        obj("Deployment", "web", api_version="apps/v1", namespace="team", annotations={WAVE: "-1"}),
        obj("ConfigMap", "other", namespace="elsewhere", annotations={WAVE: "-2"}),
    ]
    plan = plan_sync(from_manifests(objs))
    assert order(plan) == [
        ("Sync", -2, "ConfigMap", "other"),
        ("Sync", -1, "Namespace", "team"),
        ("Sync", -1, "Deployment", "web"),
    ]
    assert "moved before Deployment web" in plan.tasks[1].reason
    assert plan.tasks[1].reason.endswith("which needs this Namespace: takes its Sync wave -1")


def test_namespace_bubbles_into_presync_phase() -> None:
    """A PreSync hook in a Namespace pulls the Namespace into PreSync."""
    objs = [
        obj("Namespace", "db"),
        obj(
            "Job", "migrate", api_version="batch/v1", namespace="db", annotations={HOOK: "PreSync"}
        ),
    ]
    plan = plan_sync(from_manifests(objs))
    assert order(plan) == [("PreSync", 0, "Namespace", "db"), ("PreSync", 0, "Job", "migrate")]


def test_namespace_not_moved_when_already_first() -> None:
    """A Namespace that already sorts first keeps its own phase and wave."""
    objs = [
        obj("Namespace", "team"),
        obj("ConfigMap", "c", namespace="team", annotations={WAVE: "2"}),
    ]
    plan = plan_sync(from_manifests(objs))
    assert order(plan) == [("Sync", 0, "Namespace", "team"), ("Sync", 2, "ConfigMap", "c")]


def test_crd_bubbles_before_its_custom_resources() -> None:
    """A CRD in wave 3 moves before a wave 0 custom resource of its kind, taking wave 0."""
    crd = obj(
        "CustomResourceDefinition",
        "widgets.example.com",
        api_version="apiextensions.k8s.io/v1",
        annotations={WAVE: "3"},
        spec={"group": "example.com", "names": {"kind": "Widget"}},
    )
    objs = [crd, obj("Widget", "w1", api_version="example.com/v1"), obj("ConfigMap", "c")]
    plan = plan_sync(from_manifests(objs))
    assert order(plan) == [
        ("Sync", 0, "ConfigMap", "c"),
        ("Sync", 0, "CustomResourceDefinition", "widgets.example.com"),
        ("Sync", 0, "Widget", "w1"),
    ]
    assert plan.tasks[1].reason.endswith(
        "moved before Widget w1, which needs this CRD: takes its Sync wave 0"
    )


def test_custom_resource_skips_dry_run_when_its_crd_is_in_the_sync() -> None:
    """A custom resource whose CRD is part of the sync skips the dry-run if unknown."""
    crd = obj(
        "CustomResourceDefinition",
        "widgets.example.com",
        api_version="apiextensions.k8s.io/v1",
        spec={"group": "example.com", "names": {"kind": "Widget"}},
    )
    plan = plan_sync(from_manifests([crd, obj("Widget", "w1", api_version="example.com/v1")]))
    assert {t.kind: t.skip_dry_run for t in plan.tasks} == {
        "CustomResourceDefinition": False,
        "Widget": True,
    }


def test_hook_with_two_phases_gives_two_tasks() -> None:
    """hook: PostSync,PreSync gives a PreSync and a PostSync task, in phase order."""
    job = obj("Job", "check", api_version="batch/v1", annotations={HOOK: "PostSync,PreSync"})
    plan = plan_sync(from_manifests([job, obj("ConfigMap", "c")]))
    assert order(plan) == [
        ("PreSync", 0, "Job", "check"),
        ("Sync", 0, "ConfigMap", "c"),
        ("PostSync", 0, "Job", "check"),
    ]


def test_generate_name_hook_in_two_phases_gets_two_names() -> None:
    """A generateName hook in two phases becomes two objects: the phase is in the name."""
    job = obj(
        "Job",
        "",
        generate_name="smoke-",
        api_version="batch/v1",
        annotations={HOOK: "PreSync,PostSync"},
    )
    plan = plan_sync(
        from_manifests([job]),
        options=SyncPlanOptions(revision="0123456789abcdef", started_at=1_700_000_123),
    )
    assert [t.name for t in plan.tasks] == [
        "smoke-0123456-presync-1700000123",
        "smoke-0123456-postsync-1700000123",
    ]
    assert all(t.generate_name == "smoke-" for t in plan.tasks)
    assert plan.tasks[0].obj is not None
    assert plan.tasks[0].obj["metadata"]["name"] == "smoke-0123456-presync-1700000123"


def test_sync_fail_hooks_are_kept_apart() -> None:
    """SyncFail hooks are not in plan.tasks but in plan.sync_fail_tasks."""
    objs = [
        obj("Job", "notify", api_version="batch/v1", annotations={HOOK: "SyncFail"}),
        obj("ConfigMap", "c"),
    ]
    plan = plan_sync(from_manifests(objs))
    assert [t.name for t in plan.tasks] == ["c"]
    assert [(t.phase, t.name) for t in plan.sync_fail_tasks] == [("SyncFail", "notify")]


def test_hooks_and_resources_interleave_by_kind_and_name() -> None:
    """A Sync hook and plain resources in one wave share the kind/name sort."""
    objs = [
        obj("Job", "a-hook", api_version="batch/v1", annotations={HOOK: "Sync"}),
        obj("Deployment", "z", api_version="apps/v1"),
        obj("Service", "m"),
    ]
    # Service -13, Deployment -8, Job -5
    assert [t.name for t in plan_sync(from_manifests(objs)).tasks] == ["m", "z", "a-hook"]


def test_waves_group_by_phase_and_wave_and_final_plain_wave_is_not_gated() -> None:
    """waves() groups (phase, wave); the last wave of plain resources has no health gate."""
    objs = [obj("ConfigMap", "a"), obj("ConfigMap", "b", annotations={WAVE: "1"})]
    waves = plan_sync(from_manifests(objs)).waves()
    assert [(w.phase, w.wave, w.gated) for w in waves] == [("Sync", 0, True), ("Sync", 1, False)]


def test_single_step_sync_is_not_gated() -> None:
    """One (phase, wave) of plain resources: applied, not health-gated."""
    waves = plan_sync(from_manifests([obj("ConfigMap", "a")])).waves()
    assert [w.gated for w in waves] == [False]


def test_create_versus_apply() -> None:
    """'create' when the object is absent live, 'apply' when present."""
    cm = obj("ConfigMap", "there")
    plan = plan_sync(comparison(desired(cm, live=cm), desired(obj("ConfigMap", "new"))))
    assert {t.name: t.action for t in plan.tasks} == {"there": "apply", "new": "create"}
