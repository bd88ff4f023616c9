"""GitOpsMetrics: Argo CD's metric names, types and labels, recorded from real models."""

from __future__ import annotations

import re

import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

import gitopslib as g
from gitopslib.metrics import GitOpsMetrics
from gitopslib.observe import (
    GitRecorder,
    K8sRecorder,
    ReconcileRecorder,
    RenderRecorder,
    SyncRecorder,
)

APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: shop
  source: {repoURL: 'https://github.com/example-org/gitops-apps.git', path: apps/web}
  destination: {server: 'https://kubernetes.default.svc', namespace: web}
  syncPolicy: {automated: {prune: true}}
"""


def _app(sync: str | None = None, health: str | None = None, **extra: object) -> g.Application:
    app = g.Application.from_yaml(APP)
    status: dict[str, object] = dict(extra)
    if sync:
        status["sync"] = {"status": sync}
    if health:
        status["health"] = {"status": health}
    if status:
        app = app.model_validate({**app.to_dict(), "status": status})
    return app


def _families(m: GitOpsMetrics) -> dict[str, prometheus_client.Metric]:
    return {f.name: f for f in text_string_to_metric_families(m.exposition().decode())}


def test_implements_every_recorder_protocol() -> None:
    """One object serves as metrics= for sync, reconcile, git, kubernetes and render."""
    m = GitOpsMetrics()
    for proto in (SyncRecorder, ReconcileRecorder, GitRecorder, K8sRecorder, RenderRecorder):
        assert isinstance(m, proto)


def test_private_registry_by_default() -> None:
    """Two instances coexist and neither touches prometheus_client's default registry."""
    a, b = GitOpsMetrics(), GitOpsMetrics()
    a.record_sync(_app(), "Succeeded")
    assert b.value("argocd_app_sync_total", None) is None
    names = {m.name for m in prometheus_client.REGISTRY.collect()}
    assert "argocd_app_sync" not in names


def test_default_registry_when_asked() -> None:
    """Passing the default registry registers there (and unregistering cleans up)."""
    reg = prometheus_client.CollectorRegistry()
    m = GitOpsMetrics(registry=reg)
    assert m.registry is reg
    with pytest.raises(ValueError, match="Duplicated"):
        GitOpsMetrics(registry=reg)


def test_app_info_labels_and_replacement() -> None:
    """argocd_app_info carries Argo CD's ten labels; a status change replaces the series."""
    m = GitOpsMetrics()
    m.record_app(_app("OutOfSync", "Progressing"))
    m.record_app(_app("Synced", "Healthy"))
    samples = _families(m)["argocd_app_info"].samples
    assert len(samples) == 1
    assert samples[0].labels == {
        "namespace": "argocd",
        "name": "web",
        "project": "shop",
        "autosync_enabled": "true",
        "repo": "https://github.com/example-org/gitops-apps",
        "dest_server": "https://kubernetes.default.svc",
        "dest_namespace": "web",
        "sync_status": "Synced",
        "health_status": "Healthy",
        "operation": "",
    }
    assert samples[0].value == 1


def test_app_info_unknown_and_operation() -> None:
    """No status means Unknown; a running operation sets operation="sync"."""
    m = GitOpsMetrics()
    m.record_app(_app(operationState={"phase": "Running"}))
    labels = _families(m)["argocd_app_info"].samples[0].labels
    assert (labels["sync_status"], labels["health_status"], labels["operation"]) == (
        "Unknown",
        "Unknown",
        "sync",
    )


def test_app_condition_counts() -> None:
    """argocd_app_condition is the count of each condition type on the app."""
    m = GitOpsMetrics()
    conditions = [
        {"type": "SyncError", "message": "a"},
        {"type": "SyncError", "message": "b"},
        {"type": "OrphanedResourceWarning", "message": "c"},
    ]
    m.record_app(_app("Synced", "Healthy", conditions=conditions))
    base = {"namespace": "argocd", "name": "web", "project": "shop"}
    assert m.value("argocd_app_condition", {**base, "condition": "SyncError"}) == 2
    assert m.value("argocd_app_condition", {**base, "condition": "OrphanedResourceWarning"}) == 1


def test_sync_total_and_duration() -> None:
    """Finished syncs count by phase; the duration is finishedAt - startedAt."""
    m = GitOpsMetrics()
    op = g.OperationState(
        phase="Succeeded", started_at="2026-01-01T00:00:00Z", finished_at="2026-01-01T00:00:03Z"
    )
    m.record_sync(_app(), "Succeeded", op=op)
    m.record_sync(_app(), "Failed")
    m.record_sync(_app(), "Succeeded", dry_run=True)
    base = {
        "namespace": "argocd",
        "name": "web",
        "project": "shop",
        "dest_server": "https://kubernetes.default.svc",
    }
    value = m.value
    assert value("argocd_app_sync_total", {**base, "phase": "Succeeded", "dry_run": "false"}) == 1
    assert value("argocd_app_sync_total", {**base, "phase": "Failed", "dry_run": "false"}) == 1
    assert value("argocd_app_sync_total", {**base, "phase": "Succeeded", "dry_run": "true"}) == 1
    assert value("argocd_app_sync_duration_seconds_total", base) == 3.0


def test_reconcile_histogram_buckets() -> None:
    """argocd_app_reconcile is a histogram with Argo CD's buckets (0.25 s .. 16 s)."""
    m = GitOpsMetrics()
    m.record_reconcile(_app(), 0.3)
    m.record_reconcile(_app(), 5.0)
    fam = _families(m)["argocd_app_reconcile"]
    assert fam.type == "histogram"
    les = [s.labels["le"] for s in fam.samples if s.name.endswith("_bucket")]
    assert les == ["0.25", "0.5", "1.0", "2.0", "4.0", "8.0", "16.0", "+Inf"]
    labels = {"namespace": "argocd", "dest_server": "https://kubernetes.default.svc"}
    assert m.value("argocd_app_reconcile_count", labels) == 2
    assert m.value("argocd_app_reconcile_bucket", {**labels, "le": "0.5"}) == 1


def test_k8s_requests_carry_the_apps_project() -> None:
    """A request made for an app gets the namespace and project its last record_app had."""
    m = GitOpsMetrics()
    m.record_app(_app("Synced", "Healthy"))
    m.record_k8s_request(
        server="https://kubernetes.default.svc",
        verb="Patch",
        kind="Deployment",
        response_code=200,
        app="web",
        namespace="web",
    )
    labels = {
        "namespace": "argocd",
        "name": "web",
        "project": "shop",
        "server": "https://kubernetes.default.svc",
        "response_code": "200",
        "verb": "Patch",
        "resource_kind": "Deployment",
        "resource_namespace": "web",
        "dry_run": "false",
    }
    assert m.value("argocd_app_k8s_request_total", labels) == 1


def test_exposition_types() -> None:
    """The text exposition parses and declares Argo CD's metric types."""
    m = GitOpsMetrics()
    m.record_app(_app("Synced", "Healthy"))
    m.record_sync(_app(), "Succeeded")
    m.record_reconcile(_app(), 1.0)
    m.record_git_request("https://github.com/o/r", "fetch", 0.5)
    m.record_render("Helm", 0.2, cache_hit=False)
    m.record_cluster("https://kubernetes.default.svc", name="in-cluster", k8s_version="1.31")
    types = {name: fam.type for name, fam in _families(m).items()}
    assert types["argocd_app_info"] == "gauge"
    assert types["argocd_app_sync"] == "counter"  # the parser strips _total
    assert types["argocd_app_reconcile"] == "histogram"
    assert types["argocd_git_request"] == "counter"
    assert types["argocd_git_request_duration_seconds"] == "histogram"
    assert types["argocd_cluster_info"] == "gauge"
    assert types["gitopslib_render_duration_seconds"] == "histogram"


def test_cluster_info_replaced_on_version_change() -> None:
    """A cluster's new version replaces its argocd_cluster_info series."""
    m = GitOpsMetrics()
    m.record_cluster("https://k", name="prod", k8s_version="1.30", objects=5, api_resources=40)
    m.record_cluster("https://k", name="prod", k8s_version="1.31", objects=7)
    samples = _families(m)["argocd_cluster_info"].samples
    assert [s.labels["k8s_version"] for s in samples] == ["1.31"]
    assert m.value("argocd_cluster_api_resource_objects", {"server": "https://k"}) == 7
    assert m.value("argocd_cluster_api_resources", {"server": "https://k"}) == 40


# The queries of Argo CD's published Grafana dashboard (examples/dashboard.json) about
# applications, syncs, reconciles, Git and clusters, with the dashboard variables filled in
# as "All" (Grafana's `.*`).
DASHBOARD = [
    'sum(argocd_app_info{namespace=~".*",dest_server=~".*",health_status=~".*",sync_status=~".*"})',
    'count(count by (repo) (argocd_app_info{namespace=~".*"}))',
    'sum(argocd_app_info{namespace=~".*",dest_server=~".*",operation!=""})',
    'sum(argocd_app_info{namespace=~".*",health_status!=""}) by (health_status)',
    'sum(argocd_app_info{namespace=~".*",health_status!=""}) by (sync_status)',
    'sum(argocd_app_info{namespace=~".*"}) by (namespace)',
    'sum(round(increase(argocd_app_sync_total{namespace=~".*",dest_server=~".*"}[5m]))) by (name)',
    'sum(round(increase(argocd_app_sync_total{namespace=~".*",phase=~"Error|Failed",'
    'dest_server=~".*"}[5m]))) by (project, phase)',
    'sum(increase(argocd_app_reconcile_count{namespace=~".*",dest_server=~".*"}[5m]))'
    " by (namespace)",
    'sum(increase(argocd_app_reconcile_bucket{namespace=~".*"}[5m])) by (le)',
    'sum(increase(argocd_app_k8s_request_total{namespace=~".*",server=~".*"}[5m]))'
    " by (verb, resource_kind)",
    'sum(workqueue_depth{namespace=~".*",name=~"app_.*"}) by (name)',
    'count(count by (server) (argocd_cluster_info{namespace=~".*"}))',
    'sum(argocd_cluster_api_resource_objects{namespace=~".*",server=~".*"}) by (server)',
    'sum(argocd_cluster_api_resources{namespace=~".*",server=~".*"}) by (server)',
    'sum(increase(argocd_git_request_total{request_type="ls-remote", namespace=~".*"}[10m]))',
    'sum(increase(argocd_git_request_total{request_type="fetch", namespace=~".*"}[10m]))',
    'sum(increase(argocd_git_request_duration_seconds_bucket{request_type="fetch"}[5m])) by (le)',
    'sum(increase(argocd_git_request_duration_seconds_bucket{request_type="ls-remote"}[5m]))'
    " by (le)",
]
_SELECTOR = re.compile(r"([a-z0-9_]+)\{([^}]*)\}")
_MATCHER = re.compile(r'\s*([a-z_]+)\s*(=~|!=|=)\s*"([^"]*)"')
# labels the Prometheus scrape adds (namespace of the target) are not ours to provide
_SCRAPE_LABELS = {"namespace"}


def _matches(labels: dict[str, str], matchers: list[tuple[str, str, str]]) -> bool:
    for name, op, value in matchers:
        have = labels.get(name, "")
        if op == "=" and have != value:
            return False
        if op == "!=" and have == value:
            return False
        if op == "=~" and not re.fullmatch(value, have):
            return False
    return True


@pytest.mark.parametrize("query", DASHBOARD)
def test_dashboard_query_finds_series(query: str) -> None:
    """Each dashboard panel's selector finds at least one series, with every label it
    groups by, after one reconcile, sync, Git request, Kubernetes request and cluster pass."""
    m = GitOpsMetrics()
    app = _app("Synced", "Healthy")
    m.record_app(app)
    busy = _app("OutOfSync", "Progressing", operationState={"phase": "Running"})
    busy.metadata.name = "api"
    m.record_app(busy)
    m.record_reconcile(app, 0.4)
    m.record_sync(app, "Failed")
    m.record_k8s_request(
        server="https://kubernetes.default.svc",
        verb="Get",
        kind="Deployment",
        response_code=200,
        app="web",
    )
    m.record_git_request("https://github.com/o/r", "ls-remote", 0.1)
    m.record_git_request("https://github.com/o/r", "fetch", 0.9)
    m.record_cluster(
        "https://kubernetes.default.svc",
        name="in-cluster",
        k8s_version="1.31",
        objects=12,
        api_resources=50,
    )
    m.set_queue_depth("app_reconciliation_queue", 0)
    samples = [
        s for f in text_string_to_metric_families(m.exposition().decode()) for s in f.samples
    ]
    grouped = re.findall(r"by \(([^)]*)\)", query)
    for metric, selector in _SELECTOR.findall(query):
        matchers = [
            (n, op, v) for n, op, v in _MATCHER.findall(selector) if n not in _SCRAPE_LABELS
        ]
        found = [s for s in samples if s.name == metric and _matches(s.labels, matchers)]
        assert found, f"no series for {metric}{{{selector}}}"
        for group in grouped:
            for label in (x.strip() for x in group.split(",")):
                if label not in _SCRAPE_LABELS | {""}:
                    assert all(label in s.labels for s in found), (metric, label)
