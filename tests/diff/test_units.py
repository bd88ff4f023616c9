"""Unit tests of the diff building blocks: settings, normalisers, masks, explain, tables."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from diff_helpers import APP_YAML, serverize

from gitopslib.diff import (
    DiffSettings,
    IgnoreRule,
    canonical_duration,
    canonical_quantity,
    compare,
    normalize,
    parse_tracking_id,
    remove_jq,
)
from gitopslib.diff._schema import field_of, type_of_gvk
from gitopslib.errors import DiffError
from gitopslib.models import Application

REPO = Path(__file__).resolve().parents[2]
IGN = "resource.customizations.ignoreDifferences."
KNOWN = "resource.customizations.knownTypeFields."


def test_settings_from_argocd_cm_reads_every_key():
    """All diff keys of argocd-cm are read (values as in Argo CD's docs)."""
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "data": {
            IGN + "admissionregistration.k8s.io_MutatingWebhookConfiguration": (
                "jqPathExpressions:\n- '.webhooks[]?.clientConfig.caBundle'\n"
            ),
            IGN + "Service": "jsonPointers: [/spec/clusterIP]",
            "resource.customizations": yaml.safe_dump(
                {
                    "*.crossplane.io/*": {
                        "ignoreDifferences": "managedFieldsManagers: [crossplane]\n"
                    }
                }
            ),
            KNOWN + "apps_StatefulSet": "- field: spec.template.spec\n  type: core/v1/PodSpec\n",
            "resource.compareoptions": (
                "ignoreAggregatedRoles: true\nignoreResourceStatusField: crd\n"
            ),
            "resource.sensitive.mask.annotations": "vault/token, other ",
            "application.resourceTrackingMethod": "annotation+label",
            "application.instanceLabelKey": "argocd.argoproj.io/instance",
            "installationID": "inst-1",
        },
    }
    s = DiffSettings.from_argocd_cm(cm)
    rules = {(r.group, r.kind): r for r in s.ignore_differences}
    assert rules[
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration")
    ].jq_path_expressions == (".webhooks[]?.clientConfig.caBundle",)
    assert rules[("", "Service")].json_pointers == ("/spec/clusterIP",)
    assert rules[("*.crossplane.io", "*")].managed_fields_managers == ("crossplane",)
    assert any(k.kind == "StatefulSet" and k.type == "core/v1/PodSpec" for k in s.known_types)
    assert (s.ignore_aggregated_roles, s.ignore_resource_status_field) == (True, "crd")
    assert s.sensitive_annotations == ("vault/token", "other")
    assert (s.tracking_method, s.instance_label_key, s.installation_id) == (
        "annotation+label",
        "argocd.argoproj.io/instance",
        "inst-1",
    )


def test_settings_status_policy_values():
    """ignoreResourceStatusField: unknown values mean all; off/false/none mean none."""

    def policy(v: str) -> str:
        return DiffSettings.from_argocd_cm(
            {"resource.compareoptions": f"ignoreResourceStatusField: {v}"}
        ).ignore_resource_status_field

    assert [policy(v) for v in ("all", "crd", "off", "none", "weird")] == [
        "all",
        "crd",
        "none",
        "none",
        "all",
    ]


def test_settings_bad_yaml_names_the_key():
    """Malformed YAML in argocd-cm is a DiffError naming the key."""
    with pytest.raises(DiffError, match=r"resource\.compareoptions"):
        DiffSettings.from_argocd_cm({"resource.compareoptions": "a: [b"})


def test_ignore_rule_globs():
    """group/kind are globs; name/namespace exact."""
    rule = IgnoreRule(group="*.crossplane.io", kind="*", namespace="prod")
    assert rule.matches("ec2.aws.crossplane.io", "VPC", "prod", "x")
    assert not rule.matches("ec2.aws.crossplane.io", "VPC", "dev", "x")
    assert not rule.matches("apps", "Deployment", "prod", "x")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1000m", "1"),
        ("1Gi", "1024Mi"),
        ("0.5", "500m"),
        ("1e3", "1k"),
        ("1.5Gi", "1536Mi"),
        (1, "1"),
    ],
)
def test_equal_quantities_have_one_spelling(a, b):
    """Quantities of equal value canonicalise to the same string."""
    assert canonical_quantity(a) == canonical_quantity(b)


@pytest.mark.parametrize(("a", "b"), [("1Gi", "1G"), ("100m", "1"), ("1Ki", "1k")])
def test_different_quantities_stay_different(a, b):
    """Quantities of different value keep different spellings."""
    assert canonical_quantity(a) != canonical_quantity(b)


@pytest.mark.parametrize(("a", "b"), [("90m", "1h30m"), ("60s", "1m"), ("1500ms", "1.5s")])
def test_equal_durations_have_one_spelling(a, b):
    """Go durations canonicalise: 90m == 1h30m (Go spells it 1h30m0s)."""
    assert canonical_duration(a) == canonical_duration(b)
    assert canonical_duration("90m") == "1h30m0s"


def test_known_type_duration_field_is_canonical():
    """A knownTypeFields entry of type meta/v1/Duration makes 1h == 60m for that field."""
    settings = DiffSettings.from_argocd_cm(
        {KNOWN + "example.com_Job": "- field: spec.timeout\n  type: meta/v1/Duration\n"}
    )
    want = {
        "apiVersion": "example.com/v1",
        "kind": "Job",
        "metadata": {"name": "j", "namespace": "d"},
        "spec": {"timeout": "1h"},
    }
    live = copy.deepcopy(want)
    live["spec"]["timeout"] = "60m"
    assert compare([want], [live], settings=settings).sync_status == "Synced"
    assert compare([want], [live]).sync_status == "OutOfSync"


def test_normalize_drops_server_fields_and_status():
    """normalize drops server metadata and status, and folds Secret stringData."""
    live = serverize(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
    )
    out = normalize(live)
    assert "uid" not in out["metadata"] and "managedFields" not in out["metadata"]
    assert out["data"] == {"k": base64.b64encode(b"v").decode()} and "stringData" not in out


def test_normalize_float_noise():
    """1.0 and 1 are the same number after normalisation."""
    assert normalize({"kind": "X", "spec": {"a": 1.0}})["spec"]["a"] == 1
    assert type(normalize({"kind": "X", "spec": {"a": 1.0}})["spec"]["a"]) is int


def test_endpoints_protocol_default_and_order():
    """Endpoints: port protocol defaults to TCP; subsets order does not matter."""
    a = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "e", "namespace": "d"},
        "subsets": [
            {"addresses": [{"ip": "10.0.0.2"}, {"ip": "10.0.0.1"}], "ports": [{"port": 80}]}
        ],
    }
    b = copy.deepcopy(a)
    b["subsets"][0]["addresses"].reverse()
    b["subsets"][0]["ports"][0]["protocol"] = "TCP"
    assert normalize(a) == normalize(b)


def test_aggregated_role_rules_ignored_when_configured():
    """ignoreAggregatedRoles: rules of a ClusterRole with aggregationRule are not compared."""
    want = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "agg"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]},
        "rules": [],
    }
    live = copy.deepcopy(want)
    live["rules"] = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
    s = DiffSettings(ignore_aggregated_roles=True)
    assert compare([want], [live], settings=s).sync_status == "Synced"


def test_jq_path_expression_removes_selected_field():
    """jq runs for real: del(expr) on the object."""
    obj = {"webhooks": [{"name": "a", "clientConfig": {"caBundle": "x"}}]}
    out, paths = remove_jq(obj, ".webhooks[]?.clientConfig.caBundle")
    assert out == {"webhooks": [{"name": "a", "clientConfig": {}}]}
    assert paths == ["/webhooks/0/clientConfig/caBundle"]


def test_jq_bad_expression_is_an_error():
    """A jq expression that does not compile is a DiffError naming it."""
    with pytest.raises(DiffError, match=r"\.spec\["):
        remove_jq({}, ".spec[")


def test_tracking_id_parse():
    """tracking-id: <app>:<group>/<kind>:<ns>/<name>; malformed ids are None."""
    assert parse_tracking_id("app:apps/Deployment:ns/web") == (
        "app",
        "apps",
        "Deployment",
        "ns",
        "web",
    )
    assert parse_tracking_id("app:Deployment:ns/web") is None


def test_explain_suggested_rule_silences_the_drift(guestbook):
    """explain names the manager that changed a field and its suggested rule silences it."""
    desired = copy.deepcopy(guestbook[0])
    live = serverize(
        desired,
        managers=[
            {"manager": "kube-controller-manager", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
        ],
    )
    live["spec"]["replicas"] = 7
    app = Application.from_yaml(APP_YAML)
    rd = compare([desired], [live], app=app).resources[0]
    [reason] = rd.explain()
    assert (reason.path, reason.cause, reason.manager) == (
        "/spec/replicas",
        "changed-by-manager",
        "kube-controller-manager",
    )
    fixed = Application.from_yaml(
        APP_YAML
        + "  ignoreDifferences:\n"
        + yaml.safe_dump([reason.rule], indent=2)
        .replace("- ", "  - ", 1)
        .replace("\n  ", "\n    ")
        .replace("\n-", "\n  -")
    )
    assert compare([desired], [live], app=fixed).sync_status == "Synced"


def test_explain_causes(guestbook):
    """Removed-from-Git, only-in-Git and list-item-by-name causes, with jq suggestions."""
    desired = copy.deepcopy(guestbook[0])
    desired["metadata"]["labels"] = {"keep": "1", "drop": "2"}
    live = serverize(desired, last_applied=True)
    del desired["metadata"]["labels"]["drop"]
    desired["spec"]["template"]["spec"]["containers"][0]["args"] = ["--new"]
    rd = compare([desired], [live], app=Application.from_yaml(APP_YAML)).resources[0]
    causes = {r.path: (r.cause, r.rule) for r in rd.explain()}
    assert causes["/metadata/labels/drop"][0] == "removed-from-git"
    cause, rule = causes["/spec/template/spec/containers/0/args"]
    assert cause == "only-in-git"
    assert rule["jqPathExpressions"] == [
        '.spec.template.spec.containers[] | select(.name == "guestbook-ui") | .args'
    ]


def test_explain_is_empty_when_synced(guestbook):
    """A Synced resource has nothing to explain."""
    live = serverize(guestbook[0])
    rd = compare([guestbook[0]], [live], app=Application.from_yaml(APP_YAML)).resources[0]
    assert rd.explain() == []


def test_merge_key_table_comes_from_the_openapi_schema():
    """Container, env, port and volume merge keys are the schema's x-kubernetes-* values."""
    assert type_of_gvk("apps", "v1", "Deployment") == "apps.v1.Deployment"
    assert field_of("core.v1.PodSpec", "containers")[2:4] == ["merge", "name"]
    assert field_of("core.v1.Container", "env")[2:4] == ["merge", "name"]
    assert field_of("core.v1.Container", "ports")[2:4] == ["merge", "containerPort"]
    assert field_of("core.v1.PodSpec", "volumes")[2:4] == ["merge,retainKeys", "name"]


def test_committed_merge_key_table_matches_the_generator(tmp_path):
    """Regenerating _merge_keys.json from kubernetes-validate gives the committed file."""
    if importlib.util.find_spec("kubernetes_validate") is None:
        pytest.skip("kubernetes-validate is not installed")
    out = tmp_path / "table.json"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_merge_keys.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    committed = REPO / "gitopslib" / "diff" / "_merge_keys.json"
    assert json.loads(out.read_text()) == json.loads(committed.read_text())


def test_benchmark_quick_runs():
    """benchmarks/bench_diff.py --quick runs and prints the ratios."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_diff.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "compare, unchanged" in proc.stdout and "10% changed" in proc.stdout


def test_explain_list_item_added_live(app_yaml=APP_YAML):
    """A list item only live has in a CR list (merged as a whole) is 'added-by-other'."""
    want = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"items": [{"name": "a"}]},
    }
    live = serverize(
        want, managers=[{"manager": "widget-operator", "fieldsV1": {"f:spec": {"f:items": {}}}}]
    )
    live["spec"]["items"].append({"name": "b"})
    rd = compare([want], [live], app=Application.from_yaml(app_yaml)).resources[0]
    [reason] = rd.explain()
    assert (reason.path, reason.cause, reason.manager) == (
        "/spec/items/1",
        "added-by-other",
        "widget-operator",
    )
    assert reason.rule["managedFieldsManagers"] == ["widget-operator"]
