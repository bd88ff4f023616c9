"""plan_delete: PreDelete hooks, cascade deletion by wave (highest first), PostDelete hooks,
kept objects (§1.6 last paragraph, §2.6, §3.2 Delete=false)."""

from __future__ import annotations

from sync_helpers import comparison, desired, live_only, obj

from gitopslib.sync import plan_delete

HOOK = "argocd.argoproj.io/hook"
WAVE = "argocd.argoproj.io/sync-wave"
TRACK = "argocd.argoproj.io/tracking-id"
APP = {"metadata": {"name": "web"}, "spec": {"destination": {"namespace": "default"}}}


def _tracked(kind: str, name: str, **ann: str) -> dict[str, object]:
    annotations = {TRACK: f"web:/{kind}:default/{name}", **ann}
    return obj(kind, name, namespace="default", annotations=annotations)


def _both(o: dict[str, object]) -> object:
    return desired(o, live=o, status="Synced")  # type: ignore[arg-type]


def test_delete_order_prehooks_waves_descending_posthooks() -> None:
    """PreDelete hook, then wave 2, 1, 0 deletions, then the PostDelete hook."""
    cmp = comparison(
        _both(_tracked("ConfigMap", "w0")),
        _both(_tracked("ConfigMap", "w2", **{WAVE: "2"})),
        _both(_tracked("Secret", "w1", **{WAVE: "1"})),
        desired(obj("Job", "pre", api_version="batch/v1", annotations={HOOK: "PreDelete"})),
        desired(
            obj("Job", "post", api_version="batch/v1", annotations={"helm.sh/hook": "post-delete"})
        ),
    )
    plan = plan_delete(cmp, APP)
    assert [(t.phase, t.wave, t.name, t.action) for t in plan.tasks] == [
        ("PreDelete", 0, "pre", "create"),
        ("Delete", 2, "w2", "delete"),
        ("Delete", 1, "w1", "delete"),
        ("Delete", 0, "w0", "delete"),
        ("PostDelete", 0, "post", "create"),
    ]
    assert [(w.phase, w.wave) for w in plan.waves()] == [
        ("PreDelete", 0),
        ("Delete", 2),
        ("Delete", 1),
        ("Delete", 0),
        ("PostDelete", 0),
    ]


def test_delete_false_and_resource_policy_keep_are_kept() -> None:
    """Delete=false and helm.sh/resource-policy: keep give skipped tasks that say why."""
    cmp = comparison(
        _both(_tracked("ConfigMap", "a", **{"argocd.argoproj.io/sync-options": "Delete=false"})),
        _both(_tracked("ConfigMap", "b", **{"helm.sh/resource-policy": "keep"})),
        _both(_tracked("ConfigMap", "c")),
    )
    plan = plan_delete(cmp, APP)
    state = {t.name: (t.skipped, t.reason.split(";")[0]) for t in plan.tasks}
    assert state == {
        "a": (True, "kept (Delete=false)"),
        "b": (True, "kept (helm.sh/resource-policy: keep)"),
        "c": (False, "cascade deletion, highest wave first: wave 0 (default)"),
    }


def test_only_tracked_objects_are_deleted() -> None:
    """A live object whose tracking names another app is not deleted."""
    other = obj(
        "ConfigMap", "x", namespace="default", annotations={TRACK: "other:/ConfigMap:default/x"}
    )
    plan = plan_delete(comparison(_both(other), live_only(_tracked("Secret", "gone"))), APP)
    assert [t.name for t in plan.tasks] == ["gone"]
    assert [e.name for e in plan.excluded] == ["x"]


def test_copied_tracking_id_does_not_claim() -> None:
    """A tracking-id copied from another object (name differs) does not claim it."""
    copied = obj(
        "ConfigMap",
        "copy",
        namespace="default",
        annotations={TRACK: "web:/ConfigMap:default/original"},
    )
    plan = plan_delete(comparison(_both(copied)), APP)
    assert plan.tasks == []


def test_delete_confirm_requires_confirmation() -> None:
    """Delete=confirm marks the deletion as waiting for approval."""
    cmp = comparison(
        _both(_tracked("ConfigMap", "a", **{"argocd.argoproj.io/sync-options": "Delete=confirm"}))
    )
    assert plan_delete(cmp, APP).tasks[0].requires_confirmation
    plain = comparison(_both(_tracked("ConfigMap", "a")))
    assert not plan_delete(plain, APP).tasks[0].requires_confirmation


def test_background_finalizer_sets_propagation() -> None:
    """The resources-finalizer/background finalizer deletes with background propagation."""
    app = {
        "metadata": {
            "name": "web",
            "finalizers": ["resources-finalizer.argocd.argoproj.io/background"],
        }
    }
    plan = plan_delete(comparison(_both(_tracked("ConfigMap", "a"))), app)
    assert plan.tasks[0].propagation_policy == "background"
