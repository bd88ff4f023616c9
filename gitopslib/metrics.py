"""Prometheus metrics with Argo CD's names, types and labels (the ``metrics`` extra).

:class:`GitOpsMetrics` implements every recorder protocol of :mod:`gitopslib.observe`, so
``sync``, ``reconcile``, ``GitRepository``, ``KubernetesCluster`` and ``render`` record into
it when handed as ``metrics=``. Where Argo CD measures the same thing we use its metric
(``argocd_app_info``, ``argocd_app_sync_total``, ``argocd_app_reconcile``,
``argocd_app_k8s_request_total``, ``argocd_git_request_total``, ...), so the Grafana dashboard
Argo CD publishes works unchanged; what only we measure is named ``gitopslib_...``.

The collectors live on the registry you pass; without one, on a private
``CollectorRegistry`` (no global state). Pass ``prometheus_client.REGISTRY`` to expose them
with the process's default metrics.

>>> m = GitOpsMetrics()
>>> m.record_git_request("https://example.com/r.git", "ls-remote", 0.12)
>>> m.value("argocd_git_request_total",
...         {"repo": "https://example.com/r.git", "request_type": "ls-remote"})
1.0
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gitopslib.errors import GitOpsError
from gitopslib.giturl import mask_credentials, normalize_git_url

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

__all__ = ["APP_INFO_LABELS", "GitOpsMetrics", "app_labels"]

#: ``argocd_app_info``'s labels, in Argo CD's order.
APP_INFO_LABELS = (
    "namespace",
    "name",
    "project",
    "autosync_enabled",
    "repo",
    "dest_server",
    "dest_namespace",
    "sync_status",
    "health_status",
    "operation",
)
#: Argo CD's buckets for ``argocd_app_reconcile`` (seconds).
RECONCILE_BUCKETS = (0.25, 0.5, 1, 2, 4, 8, 16)
#: Argo CD's repo-server buckets for ``argocd_git_request_duration_seconds``.
GIT_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 10, 20)
#: Buckets for ``gitopslib_render_duration_seconds``.
RENDER_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)

_IN_CLUSTER = "https://kubernetes.default.svc"


def _require() -> Any:
    try:
        import prometheus_client
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise GitOpsError(
            "metrics need prometheus-client: pip install gitopslib[metrics]"
        ) from None
    return prometheus_client


def _get(obj: Any, *path: str) -> Any:
    for part in path:
        if obj is None:
            return None
        obj = obj.get(part) if isinstance(obj, Mapping) else getattr(obj, part, None)
    return obj


def _first_source(app: Any) -> Any:
    spec = _get(app, "spec")
    sources = _get(spec, "sources")
    if sources:
        return sources[0]
    return _get(spec, "source")


def app_labels(app: Any, controller_namespace: str = "argocd") -> dict[str, str]:
    """``argocd_app_info``'s labels for ``app`` (an Application model or its dict form):
    empty sync/health become ``Unknown`` and ``operation`` is ``sync``, ``delete`` or "",
    as Argo CD sets them.

    >>> import gitopslib as g
    >>> app = g.Application.from_yaml('''
    ... apiVersion: argoproj.io/v1alpha1
    ... kind: Application
    ... metadata: {name: web}
    ... spec:
    ...   source: {repoURL: 'https://me:pw@github.com/o/r.git', path: web}
    ...   destination: {name: in-cluster, namespace: web}
    ... ''')
    >>> labels = app_labels(app)
    >>> labels["repo"], labels["dest_server"], labels["sync_status"], labels["project"]
    ('https://me:***@github.com/o/r', 'https://kubernetes.default.svc', 'Unknown', 'default')
    """
    meta = _get(app, "metadata")
    spec = _get(app, "spec")
    dest = _get(spec, "destination")
    server = _get(dest, "server") or ""
    if not server and _get(dest, "name") == "in-cluster":
        server = _IN_CLUSTER
    source = _first_source(app)
    repo = str(_get(source, "repo_url") or _get(source, "repoURL") or "")
    with contextlib.suppress(ValueError):
        repo = normalize_git_url(repo) if repo else ""
    automated = _get(spec, "sync_policy", "automated") or _get(spec, "syncPolicy", "automated")
    enabled = automated is not None and _get(automated, "enabled") is not False
    status = _get(app, "status")
    operation = ""
    if _get(meta, "deletion_timestamp") or _get(meta, "deletionTimestamp"):
        operation = "delete"
    elif _get(app, "operation") is not None or _get(status, "operation_state", "phase") in (
        "Running",
        "Terminating",
    ):
        operation = "sync"
    return {
        "namespace": str(_get(meta, "namespace") or controller_namespace),
        "name": str(_get(meta, "name") or ""),
        "project": str(_get(spec, "project") or "default"),
        "autosync_enabled": "true" if enabled else "false",
        "repo": mask_credentials(repo),
        "dest_server": str(server),
        "dest_namespace": str(_get(dest, "namespace") or ""),
        "sync_status": str(_get(status, "sync", "status") or "Unknown"),
        "health_status": str(_get(status, "health", "status") or "Unknown"),
        "operation": operation,
    }


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (b - a).total_seconds())


class _AppStateCollector:
    """``argocd_app_info`` and ``argocd_app_condition`` from the last recorded state of each
    app: an app's series change labels with its status, so they are built at scrape time
    instead of kept as gauges whose old label sets would linger."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._info: dict[tuple[str, str], dict[str, str]] = {}
        self._conditions: dict[tuple[str, str], dict[str, int]] = {}
        self._plan: dict[tuple[str, str], tuple[str, int]] = {}

    def set(self, labels: dict[str, str], conditions: dict[str, int]) -> None:
        key = (labels["namespace"], labels["name"])
        with self._lock:
            self._info[key] = labels
            self._conditions[key] = conditions

    def set_plan(self, key: tuple[str, str], project: str, tasks: int) -> None:
        with self._lock:
            self._plan[key] = (project, tasks)

    def forget(self, namespace: str, name: str) -> None:
        with self._lock:
            self._info.pop((namespace, name), None)
            self._conditions.pop((namespace, name), None)
            self._plan.pop((namespace, name), None)

    def project_of(self, name: str) -> tuple[str, str] | None:
        with self._lock:
            for (namespace, app), labels in self._info.items():
                if app == name:
                    return namespace, labels["project"]
        return None

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        info = GaugeMetricFamily(
            "argocd_app_info", "Information about application.", labels=APP_INFO_LABELS
        )
        cond = GaugeMetricFamily(
            "argocd_app_condition",
            "Report application conditions.",
            labels=("namespace", "name", "project", "condition"),
        )
        plan = GaugeMetricFamily(
            "gitopslib_sync_plan_tasks",
            "Tasks in the app's last sync plan (resources and hooks).",
            labels=("namespace", "name", "project"),
        )
        with self._lock:
            for labels in self._info.values():
                info.add_metric([labels[k] for k in APP_INFO_LABELS], 1)
            for (namespace, name), counts in self._conditions.items():
                project = self._info[(namespace, name)]["project"]
                for condition, count in sorted(counts.items()):
                    cond.add_metric([namespace, name, project, condition], count)
            for (namespace, name), (project, tasks) in self._plan.items():
                plan.add_metric([namespace, name, project], tasks)
        yield info
        yield cond
        yield plan

    def describe(self) -> list[Metric]:
        return []


class GitOpsMetrics:
    """Argo CD's controller, repo-server and cluster metrics plus gitopslib's own, on
    ``registry`` (a private ``CollectorRegistry`` when None). Recording never raises.

    ``controller_namespace`` is the ``namespace`` label of apps whose metadata has none.
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, *, controller_namespace: str = "argocd"
    ) -> None:
        pc = _require()
        self.registry: CollectorRegistry = (
            registry if registry is not None else (pc.CollectorRegistry())
        )
        self.controller_namespace = controller_namespace
        r = self.registry
        self._state = _AppStateCollector()
        r.register(self._state)
        app = ("namespace", "name", "project")
        self.app_sync_total = pc.Counter(
            "argocd_app_sync_total",
            "Number of application syncs.",
            (*app, "dest_server", "phase", "dry_run"),
            registry=r,
        )
        self.app_sync_duration = pc.Counter(
            "argocd_app_sync_duration_seconds_total",
            "Application sync performance in seconds total.",
            (*app, "dest_server"),
            registry=r,
        )
        self.app_reconcile = pc.Histogram(
            "argocd_app_reconcile",
            "Application reconciliation performance in seconds.",
            ("namespace", "dest_server"),
            buckets=RECONCILE_BUCKETS,
            registry=r,
        )
        self.app_k8s_request_total = pc.Counter(
            "argocd_app_k8s_request_total",
            "Number of kubernetes requests executed during application reconciliation.",
            (
                *app,
                "server",
                "response_code",
                "verb",
                "resource_kind",
                "resource_namespace",
                "dry_run",
            ),
            registry=r,
        )
        self.git_request_total = pc.Counter(
            "argocd_git_request_total",
            "Number of git requests performed by repo server",
            ("repo", "request_type"),
            registry=r,
        )
        self.git_request_duration = pc.Histogram(
            "argocd_git_request_duration_seconds",
            "Git requests duration seconds.",
            ("repo", "request_type"),
            buckets=GIT_BUCKETS,
            registry=r,
        )
        self.git_fetch_fail_total = pc.Counter(
            "argocd_git_fetch_fail_total",
            "Number of git fetch requests failures by repo server",
            ("repo", "revision"),
            registry=r,
        )
        self.cluster_info = pc.Gauge(
            "argocd_cluster_info",
            "Information about cluster.",
            ("server", "k8s_version", "name"),
            registry=r,
        )
        self.cluster_api_resource_objects = pc.Gauge(
            "argocd_cluster_api_resource_objects",
            "Number of k8s resource objects in the cache.",
            ("server",),
            registry=r,
        )
        self.cluster_api_resources = pc.Gauge(
            "argocd_cluster_api_resources",
            "Number of monitored kubernetes API resources.",
            ("server",),
            registry=r,
        )
        self.cluster_connection_status = pc.Gauge(
            "argocd_cluster_connection_status",
            "The k8s cluster current connection status.",
            ("server", "k8s_version"),
            registry=r,
        )
        self.cluster_events_total = pc.Counter(
            "argocd_cluster_events_total",
            "Number of processes k8s resource events.",
            ("server", "group", "kind"),
            registry=r,
        )
        self.webhook_requests_total = pc.Counter(
            "argocd_webhook_requests_total",
            "Number of webhook requests received, by repository.",
            ("repo",),
            registry=r,
        )
        self.workqueue_depth = pc.Gauge(
            "workqueue_depth",
            "Current depth of the work queue (client-go's name, as Argo CD exposes it).",
            ("name",),
            registry=r,
        )
        self.render_duration = pc.Histogram(
            "gitopslib_render_duration_seconds",
            "Time to render one application source, by source type (cache hits included).",
            ("source_type",),
            buckets=RENDER_BUCKETS,
            registry=r,
        )
        self.render_cache_hits = pc.Counter(
            "gitopslib_render_cache_hits_total",
            "Renders answered from the render cache.",
            ("source_type",),
            registry=r,
        )
        self.render_cache_misses = pc.Counter(
            "gitopslib_render_cache_misses_total",
            "Renders that ran the engine.",
            ("source_type",),
            registry=r,
        )
        self._cluster_labels: dict[str, tuple[str, str]] = {}

    # --- helpers --------------------------------------------------------------------------

    def _app(self, app: Any) -> dict[str, str]:
        return app_labels(app, self.controller_namespace)

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        """The current value of one sample (``None`` if absent), e.g. in a test."""
        return self.registry.get_sample_value(name, dict(labels or {}))

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format (what ``GET /metrics`` answers)."""
        return bytes(_require().generate_latest(self.registry))

    @property
    def content_type(self) -> str:
        """The Content-Type of :meth:`exposition`."""
        return str(_require().CONTENT_TYPE_LATEST)

    # --- observe.SyncRecorder --------------------------------------------------------------

    def record_sync(self, app: Any, phase: str, *, dry_run: bool = False, op: Any = None) -> None:
        """Count one finished sync operation (``argocd_app_sync_total``); with ``op`` (the
        OperationState) also its duration (``argocd_app_sync_duration_seconds_total``)."""
        labels = self._app(app)
        base = {k: labels[k] for k in ("namespace", "name", "project", "dest_server")}
        self.app_sync_total.labels(
            **base, phase=str(phase), dry_run="true" if dry_run else "false"
        ).inc()
        seconds = _seconds_between(_get(op, "started_at"), _get(op, "finished_at"))
        if seconds is not None and not dry_run:
            self.app_sync_duration.labels(**base).inc(seconds)

    # --- observe.ReconcileRecorder ---------------------------------------------------------

    def record_reconcile(self, app: Any, seconds: float) -> None:
        """Observe one reconcile pass (``argocd_app_reconcile``)."""
        labels = self._app(app)
        self.app_reconcile.labels(
            namespace=labels["namespace"], dest_server=labels["dest_server"]
        ).observe(max(0.0, float(seconds)))

    def record_app(self, app: Any) -> None:
        """Publish the app's current state (``argocd_app_info``, ``argocd_app_condition``)
        from its ``status`` as last recorded."""
        labels = self._app(app)
        counts: dict[str, int] = {}
        for cond in _get(app, "status", "conditions") or []:
            kind = _get(cond, "type")
            if kind:
                counts[str(kind)] = counts.get(str(kind), 0) + 1
        self._state.set(labels, counts)

    def forget_app(self, app: Any) -> None:
        """Drop a deleted app's state series."""
        labels = self._app(app)
        self._state.forget(labels["namespace"], labels["name"])

    def record_plan(self, app: Any, tasks: int) -> None:
        """The size of the app's last sync plan (``gitopslib_sync_plan_tasks``)."""
        labels = self._app(app)
        self._state.set_plan((labels["namespace"], labels["name"]), labels["project"], tasks)

    # --- observe.GitRecorder ---------------------------------------------------------------

    def record_git_request(
        self, repo: str, request_type: str, seconds: float, *, failed: bool = False
    ) -> None:
        """Count and time one Git request (``ls-remote`` or ``fetch``)."""
        repo = mask_credentials(repo)
        self.git_request_total.labels(repo=repo, request_type=request_type).inc()
        self.git_request_duration.labels(repo=repo, request_type=request_type).observe(
            max(0.0, float(seconds))
        )
        if failed and request_type == "fetch":
            self.git_fetch_fail_total.labels(repo=repo, revision="").inc()

    # --- observe.K8sRecorder ---------------------------------------------------------------

    def record_k8s_request(
        self,
        *,
        server: str,
        verb: str,
        kind: str,
        response_code: int,
        app: str | None = None,
        namespace: str = "",
        dry_run: bool = False,
    ) -> None:
        """Count one Kubernetes API request (``argocd_app_k8s_request_total``); the app's
        namespace and project come from its last :meth:`record_app`."""
        found = self._state.project_of(app) if app else None
        app_ns, project = found if found is not None else ("", "")
        self.app_k8s_request_total.labels(
            namespace=app_ns,
            name=app or "",
            project=project,
            server=server,
            response_code=str(response_code),
            verb=verb,
            resource_kind=kind,
            resource_namespace=namespace,
            dry_run="true" if dry_run else "false",
        ).inc()

    # --- observe.RenderRecorder ------------------------------------------------------------

    def record_render(self, source_type: str, seconds: float, *, cache_hit: bool) -> None:
        """Time one source render and count it as a cache hit or miss."""
        self.render_duration.labels(source_type=source_type).observe(max(0.0, float(seconds)))
        counter = self.render_cache_hits if cache_hit else self.render_cache_misses
        counter.labels(source_type=source_type).inc()

    # --- clusters, queue, webhooks ---------------------------------------------------------

    def record_cluster(
        self,
        server: str,
        *,
        name: str = "",
        k8s_version: str = "",
        api_resources: int | None = None,
        objects: int | None = None,
        connected: bool = True,
    ) -> None:
        """A cluster's info and cache size (``argocd_cluster_info``,
        ``argocd_cluster_api_resources``, ``argocd_cluster_api_resource_objects``,
        ``argocd_cluster_connection_status``)."""
        old = self._cluster_labels.get(server)
        if old is not None and old != (k8s_version, name):
            self.cluster_info.remove(server, old[0], old[1])
            self.cluster_connection_status.remove(server, old[0])
        self._cluster_labels[server] = (k8s_version, name)
        self.cluster_info.labels(server=server, k8s_version=k8s_version, name=name).set(1)
        self.cluster_connection_status.labels(server=server, k8s_version=k8s_version).set(
            1 if connected else 0
        )
        if api_resources is not None:
            self.cluster_api_resources.labels(server=server).set(api_resources)
        if objects is not None:
            self.cluster_api_resource_objects.labels(server=server).set(objects)

    def record_cluster_event(self, server: str, group: str, kind: str) -> None:
        """Count one resource change seen on a cluster (``argocd_cluster_events_total``)."""
        self.cluster_events_total.labels(server=server, group=group, kind=kind).inc()

    def set_queue_depth(self, name: str, depth: int) -> None:
        """The work queue's depth (``workqueue_depth{name="app_reconciliation_queue"}``)."""
        self.workqueue_depth.labels(name=name).set(depth)

    def record_webhook(self, repo: str) -> None:
        """Count one accepted webhook (``argocd_webhook_requests_total``)."""
        self.webhook_requests_total.labels(repo=mask_credentials(repo)).inc()
