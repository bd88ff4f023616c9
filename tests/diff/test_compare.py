"""Table tests for compare(): realistic desired/live pairs, expected results derived by hand
from the rules in argocd-semantics.md section 5."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from diff_helpers import APP_YAML, CONTAINER_DEFAULTS, serverize

from gitopslib.diff import DiffSettings, compare
from gitopslib.models import Application


def _deploy(objs: list[dict[str, Any]]) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in objs if o["kind"] == "Deployment"))


def _with_ignores(rules: str) -> Application:
    return Application.from_yaml(APP_YAML + "  ignoreDifferences:\n" + rules)


def test_server_defaults_only_are_synced(guestbook, app):
    """Live = Git + status, managedFields, server metadata and API defaults: Synced."""
    live = [serverize(o) for o in guestbook]
    result = compare(guestbook, live, app=app)
    assert result.sync_status == "Synced"
    assert [r.status for r in result.resources] == ["Synced", "Synced"]


def test_server_defaults_with_last_applied_are_synced(guestbook, app):
    """The same with kubectl's last-applied-configuration (three-way): still Synced."""
    live = [serverize(o, last_applied=True) for o in guestbook]
    assert compare(guestbook, live, app=app).sync_status == "Synced"


def test_defaults_synced_through_the_slow_path(guestbook, app):
    """Defaults inside merged list items (protocol: TCP, imagePullPolicy) are not drift even
    when the fast path cannot decide (a quantity spelled differently forces the merge)."""
    desired = _deploy(guestbook)
    desired["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "limits": {"cpu": "1000m", "memory": "1024Mi"}
    }
    live = serverize(desired)
    live["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "limits": {"cpu": "1", "memory": "1Gi"}
    }
    rd = compare([desired], [live], app=app).resources[0]
    assert rd.status == "Synced"
    assert rd.normalized_desired is not None  # the full pipeline ran


@pytest.mark.parametrize(
    ("path", "value", "pointer"),
    [
        (("spec", "replicas"), 3, "/spec/replicas"),
        (
            ("spec", "template", "spec", "containers", 0, "image"),
            "gcr.io/google-samples/gb-frontend:v6",
            "/spec/template/spec/containers/0/image",
        ),
    ],
)
def test_changed_field_is_out_of_sync(guestbook, app, path, value, pointer):
    """Replicas or image changed in Git: OutOfSync, the path in the diff and the patch."""
    desired = _deploy(guestbook)
    live = serverize(desired)
    target: Any = desired
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    result = compare([desired], [live], app=app)
    rd = result.resources[0]
    assert result.sync_status == "OutOfSync" and rd.status == "OutOfSync" and rd.modified
    assert {"op": "replace", "path": pointer, "value": value} in rd.patch
    added = [line for line in rd.diff.splitlines() if line.startswith("+ ")]
    assert any(str(value) in line and path[-1] in line for line in added)


def test_patch_only_touches_changed_paths(guestbook, app):
    """The patch carries only the change, not the server fields live has."""
    desired = _deploy(guestbook)
    live = serverize(desired)
    desired["spec"]["replicas"] = 2
    rd = compare([desired], [live], app=app).resources[0]
    assert rd.patch == [{"op": "replace", "path": "/spec/replicas", "value": 2}]


def _hpa_live(desired: dict[str, Any], replicas: int) -> dict[str, Any]:
    live = serverize(
        desired,
        managers=[
            {
                "manager": "argocd-controller",
                "operation": "Update",
                "fieldsV1": {"f:spec": {"f:template": {}}},
            },
            {
                "manager": "kube-controller-manager",
                "operation": "Update",
                "subresource": "scale",
                "fieldsV1": {"f:spec": {"f:replicas": {}}},
            },
        ],
    )
    live["spec"]["replicas"] = replicas
    return live


@pytest.mark.parametrize(
    "rule",
    [
        "  - group: apps\n    kind: Deployment\n    jsonPointers: [/spec/replicas]\n",
        "  - group: apps\n    kind: Deployment\n    jqPathExpressions: [.spec.replicas]\n",
        "  - group: apps\n    kind: Deployment\n"
        "    managedFieldsManagers: [kube-controller-manager]\n",
        "  - group: '*'\n    kind: 'Deploy*'\n    jsonPointers: [/spec/replicas]\n",
        "  - group: apps\n    kind: Deployment\n    name: guestbook-ui\n    namespace: default\n"
        "    jsonPointers: [/spec/replicas]\n",
    ],
    ids=["jsonPointers", "jq", "managedFieldsManagers", "glob", "exact-name"],
)
def test_ignore_rules_silence_drift(guestbook, rule):
    """Each kind of ignoreDifferences rule makes an HPA-scaled Deployment Synced."""
    desired = _deploy(guestbook)
    live = _hpa_live(desired, 5)
    assert compare([desired], [live], app=Application.from_yaml(APP_YAML)).sync_status == (
        "OutOfSync"
    )
    result = compare([desired], [live], app=_with_ignores(rule))
    assert result.sync_status == "Synced"
    assert result.resources[0].ignored_paths == ["/spec/replicas"]


def test_ignore_rule_for_another_name_does_not_apply(guestbook):
    """name/namespace match exactly: a rule for another object leaves the drift visible."""
    desired = _deploy(guestbook)
    live = _hpa_live(desired, 5)
    rule = (
        "  - group: apps\n    kind: Deployment\n    name: other\n"
        "    jsonPointers: [/spec/replicas]\n"
    )
    assert compare([desired], [live], app=_with_ignores(rule)).sync_status == "OutOfSync"


def test_system_ignore_rule_from_argocd_cm(guestbook, app):
    """A system-level rule from argocd-cm (`all` key) applies to every kind."""
    desired = _deploy(guestbook)
    live = _hpa_live(desired, 5)
    settings = DiffSettings.from_argocd_cm(
        {
            "data": {
                "resource.customizations.ignoreDifferences.all": "jsonPointers:\n- /spec/replicas\n"
            }
        }
    )
    assert compare([desired], [live], app=app, settings=settings).sync_status == "Synced"


def test_jq_rule_selecting_a_container_by_name(guestbook):
    """A jq path expression selecting a list item by name ignores only that item's field."""
    desired = _deploy(guestbook)
    live = serverize(desired)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "mutated:1"
    rule = (
        "  - group: apps\n    kind: Deployment\n    jqPathExpressions:\n"
        "    - '.spec.template.spec.containers[] | select(.name == \"guestbook-ui\") | .image'\n"
    )
    result = compare([desired], [live], app=_with_ignores(rule))
    assert result.sync_status == "Synced"
    assert result.resources[0].ignored_paths == ["/spec/template/spec/containers/0/image"]


def test_unbounded_jq_rule_is_reported_not_run(guestbook):
    """A jq program that may not terminate is refused with a warning; the rest still runs."""
    desired = _deploy(guestbook)
    live = _hpa_live(desired, 5)
    rule = (
        "  - group: apps\n    kind: Deployment\n    jqPathExpressions: ['def f: f; f']\n"
        "    jsonPointers: [/spec/replicas]\n"
    )
    rd = compare([desired], [live], app=_with_ignores(rule)).resources[0]
    assert rd.status == "Synced"
    assert any("may not terminate" in w for w in rd.warnings)


def test_injected_sidecar_and_env_are_synced(guestbook, app):
    """A webhook-injected sidecar container and env var (only live has them) are not drift."""
    desired = _deploy(guestbook)
    desired["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    live = serverize(desired, last_applied=True)
    containers = live["spec"]["template"]["spec"]["containers"]
    containers[0]["env"].append({"name": "INJECTED", "value": "yes"})
    containers.append(
        {"name": "istio-proxy", "image": "istio/proxyv2:1.22", **copy.deepcopy(CONTAINER_DEFAULTS)}
    )
    rd = compare([desired], [live], app=app).resources[0]
    assert rd.status == "Synced"


def test_label_removed_from_git_still_in_last_applied_is_drift(guestbook, app):
    """A label Git dropped that live and last-applied still hold: OutOfSync (three-way)."""
    desired = _deploy(guestbook)
    desired["metadata"]["labels"] = {"team": "web", "tier": "frontend"}
    live = serverize(desired, last_applied=True)
    del desired["metadata"]["labels"]["tier"]
    rd = compare([desired], [live], app=app).resources[0]
    assert rd.status == "OutOfSync"
    assert {"op": "remove", "path": "/metadata/labels/tier"} in rd.patch
    assert "-    tier: frontend" in rd.diff


def test_label_only_live_without_last_applied_is_synced(guestbook, app):
    """Two-way (no last-applied): a label only live has is not drift (Argo CD's gotcha 13)."""
    desired = _deploy(guestbook)
    live = serverize(desired)
    live["metadata"]["labels"] = {"added": "by-hand"}
    assert compare([desired], [live], app=app).sync_status == "Synced"


def test_container_removed_from_git_is_drift(guestbook, app):
    """A container removed from Git that live and last-applied still have is drift."""
    desired = _deploy(guestbook)
    desired["spec"]["template"]["spec"]["containers"].append({"name": "cache", "image": "redis"})
    live = serverize(desired, last_applied=True)
    desired["spec"]["template"]["spec"]["containers"].pop()
    rd = compare([desired], [live], app=app).resources[0]
    assert rd.status == "OutOfSync"
    assert {"op": "remove", "path": "/spec/template/spec/containers/1"} in rd.patch


@pytest.mark.parametrize(
    ("git", "live"),
    [("1000m", "1"), ("500m", "0.5"), ("1Gi", "1024Mi"), ("2", 2), ("1e3", "1k")],
)
def test_quantities_in_different_spellings_are_synced(guestbook, app, git, live):
    """Resource quantities compare by value: 1000m == 1, 1Gi == 1024Mi ..."""
    desired = _deploy(guestbook)
    desired["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": git}}
    live_obj = serverize(desired)
    live_obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": live}}
    assert compare([desired], [live_obj], app=app).sync_status == "Synced"


def test_different_quantities_are_drift(guestbook, app):
    """1Gi and 1G are different values."""
    desired = _deploy(guestbook)
    desired["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "limits": {"memory": "1Gi"}
    }
    live = serverize(desired)
    live["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "1G"}}
    assert compare([desired], [live], app=app).sync_status == "OutOfSync"


def _secret(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, **fields}


def test_secret_string_data_equals_data(app):
    """stringData in Git vs base64 data live: Synced."""
    desired = _secret(stringData={"password": "hunter2"})
    live = serverize(_secret(data={"password": base64.b64encode(b"hunter2").decode()}))
    assert compare([desired], [live], app=app).sync_status == "Synced"


def test_changed_secret_leaks_nothing(app):
    """A changed Secret: OutOfSync, and neither value (plain or base64) appears anywhere."""
    old, new = "s3cr3t-old-value", "s3cr3t-new-value"
    desired = _secret(stringData={"password": new, "user": "admin"})
    live = serverize(
        _secret(
            data={
                "password": base64.b64encode(old.encode()).decode(),
                "user": base64.b64encode(b"admin").decode(),
            }
        ),
        last_applied=True,
    )
    result = compare([desired], [live], app=app)
    rd = result.resources[0]
    assert rd.status == "OutOfSync"
    output = (
        rd.diff
        + json.dumps(rd.patch)
        + repr(rd)
        + repr(result)
        + "".join(str(r) + json.dumps(r.rule) for r in rd.explain())
    )
    for secret in (old, new, "admin"):
        assert secret not in output
        assert base64.b64encode(secret.encode()).decode() not in output
    assert "++++++++" in rd.diff
    # Distinct values get distinct masks, so the change is visible.
    pw = [op for op in rd.patch if op["path"] == "/data/password"]
    assert pw and set(pw[0]["value"]) == {"+"}


def test_secret_masks_are_assigned_per_key(app):
    """§5.4 (Argo CD's HideSecretData): masks restart at 8 "+" for every data key, so two
    keys of one Secret never reveal whether their values are equal; a changed key's live
    value gets the next mask (12 "+")."""
    b64 = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    desired = _secret(data={"password": b64("pw-new"), "user": b64("admin")})
    live = serverize(_secret(data={"password": b64("pw-old"), "user": b64("admin")}))
    rd = compare([desired], [live], app=app).resources[0]
    assert rd.status == "OutOfSync"
    assert rd.patch == [{"op": "replace", "path": "/data/password", "value": "++++++++"}]
    assert "-  password: '++++++++++++'" in rd.diff
    assert "+  password: '++++++++'" in rd.diff
    assert "   user: '++++++++'" in rd.diff


def test_sensitive_annotation_is_masked(guestbook, app):
    """An annotation listed in resource.sensitive.mask.annotations is masked in the diff."""
    desired = _deploy(guestbook)
    desired["metadata"]["annotations"] = {"vault/token": "tok-new"}
    live = serverize(desired)
    live["metadata"]["annotations"]["vault/token"] = "tok-old"
    settings = DiffSettings.from_argocd_cm({"resource.sensitive.mask.annotations": "vault/token"})
    rd = compare([desired], [live], app=app, settings=settings).resources[0]
    assert rd.status == "OutOfSync"
    assert "tok-new" not in rd.diff and "tok-old" not in rd.diff
    assert "tok-new" not in json.dumps(rd.patch)


def test_tracked_live_object_gone_from_git_requires_pruning(guestbook, app):
    """A live object whose tracking-id names this app but Git no longer has: prune."""
    deploy, service = guestbook
    live = [serverize(deploy), serverize(service)]
    result = compare([deploy], live, app=app)
    svc = next(r for r in result.resources if r.kind == "Service")
    assert svc.requires_pruning and svc.status == "OutOfSync"
    assert result.sync_status == "OutOfSync"


def test_untracked_live_object_is_not_pruned(guestbook, app):
    """A live object tracked by another app (or not at all) is not part of this app."""
    deploy, service = guestbook
    other = serverize(service)
    other["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = (
        "other-app:/Service:default/guestbook-ui"
    )
    result = compare([deploy], [serverize(deploy), other], app=app)
    assert [r.kind for r in result.resources] == ["Deployment"]
    assert result.sync_status == "Synced"


def test_ignore_extraneous_keeps_app_synced(guestbook, app):
    """IgnoreExtraneous: the extraneous resource is OutOfSync, the app is not."""
    deploy, service = guestbook
    svc = serverize(service)
    svc["metadata"]["annotations"]["argocd.argoproj.io/compare-options"] = "IgnoreExtraneous"
    result = compare([deploy], [serverize(deploy), svc], app=app)
    assert result.sync_status == "Synced"
    assert next(r for r in result.resources if r.kind == "Service").status == "OutOfSync"


def test_label_tracking_claims_by_instance_label(guestbook, app):
    """Label tracking: the instance label decides ownership."""
    deploy, service = guestbook
    svc = serverize(service)
    svc["metadata"]["labels"] = {"app.kubernetes.io/instance": "guestbook"}
    settings = DiffSettings(tracking_method="label")
    result = compare([deploy], [serverize(deploy), svc], app=app, settings=settings)
    assert next(r for r in result.resources if r.kind == "Service").requires_pruning
    # without the label the same Service is not the app's: nothing to prune
    svc["metadata"]["labels"] = {"app.kubernetes.io/instance": "other"}
    result = compare([deploy], [serverize(deploy), svc], app=app, settings=settings)
    assert not any(r.kind == "Service" for r in result.resources)


def test_missing_live_object_is_out_of_sync(guestbook, app):
    """An object only Git has is OutOfSync with an add patch."""
    result = compare(guestbook, [], app=app)
    assert result.sync_status == "OutOfSync"
    assert all(r.status == "OutOfSync" and r.patch[0]["op"] == "add" for r in result.resources)


def test_destination_namespace_is_filled_in(guestbook, app):
    """Desired objects without namespace get the destination namespace (key and object)."""
    result = compare(guestbook, [], app=app)
    assert {r.namespace for r in result.resources} == {"default"}
    assert all(r.desired["metadata"]["namespace"] == "default" for r in result.resources)
    assert "namespace" not in guestbook[0]["metadata"]  # the input is not changed


def test_hooks_carry_no_status(guestbook, app):
    """Hooks: hook=True, status "" and they never make the app OutOfSync."""
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "migrate",
            "annotations": {
                "argocd.argoproj.io/hook": "PreSync",
                "argocd.argoproj.io/sync-wave": "-1",
            },
        },
        "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "m"}]}}},
    }
    live = [serverize(o) for o in guestbook]
    result = compare([*guestbook, job], live, app=app)
    rd = next(r for r in result.resources if r.kind == "Job")
    assert (rd.hook, rd.status, rd.wave) == (True, "", -1)
    assert result.sync_status == "Synced"


def test_skip_and_ignored_hooks(guestbook, app):
    """Skip occupies its key without status; a Helm test hook is dropped entirely."""
    skip = copy.deepcopy(guestbook[1])
    skip["metadata"]["annotations"] = {"argocd.argoproj.io/hook": "Skip"}
    test = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "t", "annotations": {"helm.sh/hook": "test"}},
    }
    result = compare([guestbook[0], skip, test], [serverize(o) for o in guestbook], app=app)
    by_kind = {r.kind: r for r in result.resources}
    assert set(by_kind) == {"Deployment", "Service"}
    assert by_kind["Service"].skip and by_kind["Service"].status == ""
    assert not by_kind["Service"].requires_pruning


@pytest.mark.parametrize(
    ("annotations", "wave"),
    [
        ({"argocd.argoproj.io/sync-wave": "5"}, 5),
        ({"helm.sh/hook-weight": "-2"}, -2),
        ({"argocd.argoproj.io/sync-wave": "abc", "helm.sh/hook-weight": "3"}, 3),
        ({"argocd.argoproj.io/sync-wave": "abc"}, 0),
        ({}, 0),
    ],
)
def test_wave(guestbook, app, annotations, wave):
    """Wave: sync-wave, else helm.sh/hook-weight, else 0 (malformed counts as 0 here)."""
    deploy = _deploy(guestbook)
    deploy["metadata"]["annotations"] = annotations
    assert compare([deploy], [], app=app).resources[0].wave == wave


CR = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "r"},
    "spec": {"replicas": 2, "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}}},
}


def test_custom_resource_defaults_in_list_items_are_synced(app):
    """CRs use JSON merge: fields only live has, also inside list items, are not drift."""
    live = serverize(CR)
    live["spec"]["strategy"]["canary"]["steps"][1]["pause"] = {"duration": "0s"}
    live["spec"]["progressDeadlineSeconds"] = 600
    assert compare([CR], [live], app=app).sync_status == "Synced"


def test_custom_resource_list_change_is_drift(app):
    """A changed list item in a CR is drift (lists replace as a whole)."""
    live = serverize(CR)
    live["spec"]["strategy"]["canary"]["steps"][0]["setWeight"] = 50
    rd = compare([CR], [live], app=app).resources[0]
    assert rd.status == "OutOfSync"
    assert rd.patch == [
        {"op": "replace", "path": "/spec/strategy/canary/steps/0/setWeight", "value": 20}
    ]


def test_role_empty_rules_equal_absent(app):
    """Role rules: [] in Git and no rules live: Synced."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r"},
        "rules": [],
    }
    live = serverize(role)
    del live["rules"]
    assert compare([role], [live], app=app).sync_status == "Synced"


def test_status_in_git_is_ignored_by_default(app):
    """/status is ignored for every kind by default; `none` makes it count."""
    crd_like = copy.deepcopy(CR)
    crd_like["status"] = {"phase": "x"}
    live = serverize(CR)
    live["status"] = {"phase": "y"}
    assert compare([crd_like], [live], app=app).sync_status == "Synced"
    settings = DiffSettings(ignore_resource_status_field="none")
    assert compare([crd_like], [live], app=app, settings=settings).sync_status == "OutOfSync"


def test_app_none_works_with_duck_typing(guestbook):
    """compare without an app: objects are matched as given."""
    live = [serverize(o) for o in guestbook]
    for o in guestbook:
        o.setdefault("metadata", {})["namespace"] = "default"
    assert compare(guestbook, live).sync_status == "Synced"


def test_yaml_diff_is_valid_unified_diff(guestbook, app):
    """The diff is a unified diff from live to desired."""
    desired = _deploy(guestbook)
    live = serverize(desired)
    desired["spec"]["replicas"] = 4
    diff = compare([desired], [live], app=app).resources[0].diff
    assert diff.startswith("--- live/apps/Deployment/default/guestbook-ui\n+++ desired/")
    assert "-  replicas: 1\n+  replicas: 4\n" in diff


def test_slow_path_agrees_on_defaults(guestbook):
    """With the fast path disabled (a jq rule matching nothing), defaults are still Synced."""
    rule = "  - group: '*'\n    kind: '*'\n    jqPathExpressions: [.nothing]\n"
    live = [serverize(o, last_applied=True) for o in guestbook]
    result = compare(guestbook, live, app=_with_ignores(rule))
    assert result.sync_status == "Synced"
    assert all(r.normalized_desired is not None for r in result.resources)


def test_rollout_pod_spec_is_a_known_type(app):
    """Argo CD's built-in known type: a Rollout's pod template quantities compare by value."""
    want = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "r"},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "a", "resources": {"limits": {"memory": "1Gi"}}}]}
            }
        },
    }
    live = serverize(want)
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "1024Mi"
    assert compare([want], [live], app=app).sync_status == "Synced"


def test_repeated_resource_is_reported(guestbook, app):
    """The same key twice in Git: a RepeatedResourceWarning, the last one wins."""
    second = copy.deepcopy(guestbook[0])
    second["spec"]["replicas"] = 9
    result = compare([guestbook[0], second], [], app=app)
    assert len(result.resources) == 1
    assert result.resources[0].desired["spec"]["replicas"] == 9
    assert any("RepeatedResourceWarning" in w for w in result.warnings)


def test_copied_tracking_id_gets_no_status(guestbook, app):
    """A live object whose tracking-id names another object is left alone (no status)."""
    live = serverize(guestbook[1])
    live["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = (
        "guestbook:/Service:default/some-other-service"
    )
    rd = compare([guestbook[1]], [live], app=app).resources[0]
    assert rd.status == "" and not rd.requires_pruning


def test_secret_last_applied_is_masked(app):
    """A Secret's last-applied annotation appears re-serialised with its data masked."""
    desired = _secret(data={"k": base64.b64encode(b"topsecret").decode()})
    live = serverize(desired, last_applied=True)
    desired["metadata"]["labels"] = {"changed": "yes"}
    rd = compare([desired], [live], app=app).resources[0]
    assert rd.status == "OutOfSync"
    assert "kubectl.kubernetes.io/last-applied-configuration" in rd.diff
    assert "dG9wc2VjcmV0" not in rd.diff and "topsecret" not in rd.diff


def test_zero_values_the_server_drops_are_synced(guestbook, app):
    """env: [] and paused: false in Git, absent live (omitempty): Synced for built-in kinds."""
    desired = _deploy(guestbook)
    live = serverize(desired)
    desired["spec"]["paused"] = False
    desired["spec"]["template"]["spec"]["containers"][0]["env"] = []
    assert compare([desired], [live], app=app).sync_status == "Synced"


def test_empty_list_in_custom_resource_is_drift(app):
    """CRs have no typed encoder: an empty list only Git has is drift, as in Argo CD."""
    want = copy.deepcopy(CR)
    want["spec"]["extra"] = []
    assert compare([want], [serverize(CR)], app=app).sync_status == "OutOfSync"


# --- managedFieldsManagers: only owned fields Git would *modify* (argocd-semantics.md §5.1 step 2)


def _flux_owned_live(desired: dict[str, Any], image: str) -> dict[str, Any]:
    """The guestbook Deployment as a previous applier (Flux's kustomize-controller, a server-side
    apply manager) left it: it owns the container element itself (``.``) and its fields, and
    set another image."""
    live = serverize(
        desired,
        last_applied=True,
        managers=[
            {
                "manager": "kustomize-controller",
                "operation": "Apply",
                "apiVersion": "apps/v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:team": {}}},
                    "f:spec": {
                        "f:template": {
                            "f:spec": {
                                "f:containers": {
                                    'k:{"name":"guestbook-ui"}': {
                                        ".": {},
                                        "f:image": {},
                                        "f:name": {},
                                        "f:ports": {
                                            'k:{"containerPort":80,"protocol":"TCP"}': {
                                                ".": {},
                                                "f:containerPort": {},
                                                "f:protocol": {},
                                            }
                                        },
                                    }
                                }
                            }
                        }
                    },
                },
            }
        ],
    )
    live["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return live


_TRUST_FLUX = (
    "  - group: apps\n    kind: Deployment\n    managedFieldsManagers: [kustomize-controller]\n"
)


def test_trusted_manager_owning_a_list_item_hides_only_the_fields_it_changed(guestbook):
    """§5.1 step 2: owned ∩ *modified* fields are removed, not the whole owned container, so
    an env var Git adds to that container is still drift while the manager's image is not."""
    desired = _deploy(guestbook)
    live = _flux_owned_live(desired, "gcr.io/heptio-images/ks-guestbook-demo:0.3")
    desired["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "DEBUG", "value": "1"}]
    rd = compare([desired], [live], app=_with_ignores(_TRUST_FLUX)).resources[0]
    assert rd.status == "OutOfSync"
    paths = [op["path"] for op in rd.patch]
    assert paths == ["/spec/template/spec/containers/0/env"]
    assert rd.ignored_paths == ["/spec/template/spec/containers/0/image"]


def test_trusted_manager_owning_a_list_item_silences_its_change(guestbook):
    """The same live object with no other change in Git: the image the manager set is ignored."""
    desired = _deploy(guestbook)
    live = _flux_owned_live(desired, "gcr.io/heptio-images/ks-guestbook-demo:0.3")
    assert compare([desired], [live], app=_with_ignores(_TRUST_FLUX)).sync_status == "Synced"
    assert compare([desired], [live], app=Application.from_yaml(APP_YAML)).sync_status == (
        "OutOfSync"
    )


def test_trusted_manager_field_removed_from_git_is_still_drift(guestbook):
    """§5.1 step 2: a field Git dropped is *removed*, not modified, so trusting its owner does
    not hide it; last-applied (never normalised by Argo CD) still lists it: OutOfSync."""
    desired = _deploy(guestbook)
    desired["metadata"]["labels"] = {"team": "web", "tier": "frontend"}
    live = _flux_owned_live(desired, desired["spec"]["template"]["spec"]["containers"][0]["image"])
    del desired["metadata"]["labels"]["team"]
    rd = compare([desired], [live], app=_with_ignores(_TRUST_FLUX)).resources[0]
    assert rd.status == "OutOfSync"
    assert rd.patch == [{"op": "remove", "path": "/metadata/labels/team"}]


# --- tracking normalisation (argocd-semantics.md §5.1 step 1)


def test_instance_label_on_live_gets_the_desired_tracking_id(guestbook, app):
    """Step 1: a live object carrying the instance label takes the desired tracking-id (Argo
    CD's resourceTracking.Normalize overwrites, it does not only fill a missing one) and loses
    the label Git does not have: an older tracking value is not drift."""
    desired = _deploy(guestbook)
    live = serverize(desired)
    meta = live["metadata"]
    meta["labels"] = {"app.kubernetes.io/instance": "guestbook"}
    meta["annotations"]["argocd.argoproj.io/tracking-id"] = (
        "guestbook-v1:apps/Deployment:default/guestbook-ui"
    )
    assert compare([desired], [live], app=app).sync_status == "Synced"
    del meta["labels"]  # without the label, the other tracking value is real drift
    assert compare([desired], [live], app=app).sync_status == "OutOfSync"


# --- API defaults on the predicted object (argocd-semantics.md §5.1 step 6)


def test_default_valued_fields_dropped_from_git_are_synced(guestbook, app):
    """§5.1 step 6: Argo CD defaults the predicted live object, so fields Git dropped whose
    live value is the API default (the Service's type and port protocol, the container's
    imagePullPolicy for a tagged image) are not drift, though last-applied still lists them."""
    service = copy.deepcopy(next(o for o in guestbook if o["kind"] == "Service"))
    deploy = _deploy(guestbook)
    applied_service = copy.deepcopy(service)
    applied_service["spec"]["type"] = "ClusterIP"
    applied_service["spec"]["ports"][0]["protocol"] = "TCP"
    applied_deploy = copy.deepcopy(deploy)
    applied_deploy["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    live = [
        serverize(applied_service, last_applied=True),
        serverize(applied_deploy, last_applied=True),
    ]
    result = compare([service, deploy], live, app=app)
    assert [r.status for r in result.resources] == ["Synced", "Synced"]


def test_non_default_field_dropped_from_git_is_drift(guestbook, app):
    """A field Git dropped whose live value is not the default is drift: the prediction
    falls back to the default (replicas 1), shown as a replace of the live value."""
    deploy = _deploy(guestbook)
    deploy["spec"]["replicas"] = 3
    live = serverize(deploy, last_applied=True)
    del deploy["spec"]["replicas"]
    rd = compare([deploy], [live], app=app).resources[0]
    assert rd.status == "OutOfSync"
    assert rd.patch == [{"op": "replace", "path": "/spec/replicas", "value": 1}]
