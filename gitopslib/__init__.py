"""gitopslib: Argo CD's declarative GitOps semantics as plain typed Python.

Read Application and AppProject YAML, render desired manifests from Git, compare them with
live objects, judge health and plan a sync in Argo CD's order: every step a function of data.

>>> import gitopslib as g
>>> app = g.Application.from_yaml('''
... apiVersion: argoproj.io/v1alpha1
... kind: Application
... metadata: {name: demo}
... spec:
...   project: default
...   source: {repoURL: https://example.com/repo.git, path: app}
...   destination: {server: https://kubernetes.default.svc, namespace: demo}
... ''')
>>> app.spec.destination.namespace
'demo'

Names that pull in a heavy client (dulwich for Git, the kubernetes client for clusters) are
loaded on first use, so ``import gitopslib`` stays cheap.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from gitopslib.errors import (
    ClusterError,
    ClusterTimeoutError,
    CommandError,
    CommandTimeoutError,
    DiffError,
    EngineNotFoundError,
    GitAuthError,
    GitError,
    GitOpsError,
    GitOpsErrorGroup,
    HealthError,
    ManifestError,
    NotificationError,
    OperationError,
    OperationInProgressError,
    PathEscapeError,
    PlanError,
    PolicyError,
    PushRejectedError,
    RenderError,
    RevisionNotFoundError,
    SopsError,
    ValidationError,
    WaitTimeoutError,
    WebhookError,
)
from gitopslib.giturl import (
    mask_credentials,
    normalize_git_url,
)
from gitopslib.manifest import (
    ResourceKey,
    dump_manifests,
    load_manifests,
)

if _typing.TYPE_CHECKING:
    from gitopslib.cluster import (
        ClusterRegistry,
        KubernetesCluster,
        MemoryCluster,
        SnapshotCluster,
    )
    from gitopslib.diff import (
        ComparisonResult,
        DiffSettings,
        DriftReason,
        IgnoreRule,
        ResourceDiff,
        compare,
        normalize,
    )
    from gitopslib.git import (
        GitPathNotFoundError,
        GitRepository,
        HTTPSCredentials,
        SSHCredentials,
        credentials_from_secrets,
        set_yaml_value,
    )
    from gitopslib.health import (
        HealthScripts,
        HealthStatus,
        HealthStatusCode,
        aggregate_health,
        assess_health,
        run_health_tests,
    )
    from gitopslib.metrics import (
        GitOpsMetrics,
    )
    from gitopslib.models import (
        Application,
        ApplicationSource,
        ApplicationStatus,
        ConfigManagementPlugin,
        Operation,
        OperationState,
        ResourceResult,
        RevisionHistory,
        SyncOptions,
        SyncResult,
        load_documents,
    )
    from gitopslib.notifications import (
        Delivery,
        Notifier,
    )
    from gitopslib.operations import OperationContext, app_status, rollback, wait
    from gitopslib.project import (
        AppProject,
        Enforcer,
        SyncDecision,
        SyncWindow,
        SyncWindows,
        Violation,
        issue_project_token,
        orphaned_resources,
        verify_project_token,
    )
    from gitopslib.reconcile import sync as sync
    from gitopslib.secrets import (
        SecretBytes,
        SopsKeys,
        sops_decrypt,
    )
    from gitopslib.sources import (
        HelmSecrets,
        RedisStore,
        RenderCache,
        RenderContext,
        Renderer,
        RendererRegistry,
        RenderPass,
        RenderResult,
        Resolver,
        render,
        render_tree,
    )
    from gitopslib.sync import (
        Cluster,
        SyncPlan,
        SyncPlanOptions,
        SyncTask,
        execute_plan,
        plan_delete,
        plan_sync,
    )
    from gitopslib.webhook import (
        PushEvent,
        WebhookSecrets,
        apps_for_webhook,
        parse_webhook,
    )


__version__ = "0.1.0"

#: Public names loaded on first use, by module: ``import gitopslib`` stays cheap (the pytest
#: plugin imports this package in every test session of every project that installs it).
_LAZY: dict[str, str] = {
    "AppProject": "gitopslib.project",
    "Application": "gitopslib.models",
    "ApplicationSource": "gitopslib.models",
    "Cluster": "gitopslib.sync",
    "ClusterRegistry": "gitopslib.cluster",
    "OperationContext": "gitopslib.operations",
    "app_status": "gitopslib.operations",
    "rollback": "gitopslib.operations",
    "wait": "gitopslib.operations",
    "ApplicationStatus": "gitopslib.models",
    "RevisionHistory": "gitopslib.models",
    "ComparisonResult": "gitopslib.diff",
    "ConfigManagementPlugin": "gitopslib.models",
    "Delivery": "gitopslib.notifications",
    "DiffSettings": "gitopslib.diff",
    "DriftReason": "gitopslib.diff",
    "Enforcer": "gitopslib.project",
    "GitOpsMetrics": "gitopslib.metrics",
    "GitPathNotFoundError": "gitopslib.git",
    "GitRepository": "gitopslib.git",
    "HTTPSCredentials": "gitopslib.git",
    "HealthScripts": "gitopslib.health",
    "HealthStatus": "gitopslib.health",
    "HealthStatusCode": "gitopslib.health",
    "HelmSecrets": "gitopslib.sources",
    "IgnoreRule": "gitopslib.diff",
    "KubernetesCluster": "gitopslib.cluster",
    "MemoryCluster": "gitopslib.cluster",
    "Notifier": "gitopslib.notifications",
    "Operation": "gitopslib.models",
    "OperationState": "gitopslib.models",
    "RedisStore": "gitopslib.sources",
    "PushEvent": "gitopslib.webhook",
    "RenderCache": "gitopslib.sources",
    "RenderPass": "gitopslib.sources",
    "RenderContext": "gitopslib.sources",
    "RenderResult": "gitopslib.sources",
    "Renderer": "gitopslib.sources",
    "RendererRegistry": "gitopslib.sources",
    "Resolver": "gitopslib.sources",
    "ResourceDiff": "gitopslib.diff",
    "ResourceResult": "gitopslib.models",
    "SSHCredentials": "gitopslib.git",
    "SecretBytes": "gitopslib.secrets",
    "SnapshotCluster": "gitopslib.cluster",
    "SopsKeys": "gitopslib.secrets",
    "SyncDecision": "gitopslib.project",
    "SyncOptions": "gitopslib.models",
    "SyncPlan": "gitopslib.sync",
    "SyncPlanOptions": "gitopslib.sync",
    "SyncResult": "gitopslib.models",
    "SyncTask": "gitopslib.sync",
    "SyncWindow": "gitopslib.project",
    "SyncWindows": "gitopslib.project",
    "Violation": "gitopslib.project",
    "WebhookSecrets": "gitopslib.webhook",
    "aggregate_health": "gitopslib.health",
    "apps_for_webhook": "gitopslib.webhook",
    "assess_health": "gitopslib.health",
    "compare": "gitopslib.diff",
    "credentials_from_secrets": "gitopslib.git",
    "execute_plan": "gitopslib.sync",
    "issue_project_token": "gitopslib.project",
    "load_documents": "gitopslib.models",
    "normalize": "gitopslib.diff",
    "orphaned_resources": "gitopslib.project",
    "parse_webhook": "gitopslib.webhook",
    "plan_delete": "gitopslib.sync",
    "plan_sync": "gitopslib.sync",
    "render": "gitopslib.sources",
    "render_tree": "gitopslib.sources",
    "run_health_tests": "gitopslib.health",
    "set_yaml_value": "gitopslib.git",
    "sops_decrypt": "gitopslib.secrets",
    "verify_project_token": "gitopslib.project",
}


def __getattr__(name: str) -> _typing.Any:
    if name == "sync":
        # the package gitopslib.sync is callable: gitopslib.sync(app, cluster=...) runs a sync
        value: _typing.Any = _importlib.import_module("gitopslib.sync")
    elif name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'gitopslib' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"sync"})


__all__ = [
    "AppProject",
    "Application",
    "ApplicationSource",
    "ApplicationStatus",
    "Cluster",
    "ClusterError",
    "ClusterRegistry",
    "ClusterTimeoutError",
    "CommandError",
    "CommandTimeoutError",
    "ComparisonResult",
    "ConfigManagementPlugin",
    "Delivery",
    "DiffError",
    "DiffSettings",
    "DriftReason",
    "Enforcer",
    "EngineNotFoundError",
    "GitAuthError",
    "GitError",
    "GitOpsError",
    "GitOpsErrorGroup",
    "GitOpsMetrics",
    "GitPathNotFoundError",
    "GitRepository",
    "HTTPSCredentials",
    "HealthError",
    "HealthScripts",
    "HealthStatus",
    "HealthStatusCode",
    "HelmSecrets",
    "IgnoreRule",
    "KubernetesCluster",
    "ManifestError",
    "MemoryCluster",
    "NotificationError",
    "Notifier",
    "Operation",
    "OperationContext",
    "OperationError",
    "OperationInProgressError",
    "OperationState",
    "PathEscapeError",
    "PlanError",
    "PolicyError",
    "PushEvent",
    "PushRejectedError",
    "RedisStore",
    "RenderCache",
    "RenderContext",
    "RenderError",
    "RenderPass",
    "RenderResult",
    "Renderer",
    "RendererRegistry",
    "Resolver",
    "ResourceDiff",
    "ResourceKey",
    "ResourceResult",
    "RevisionHistory",
    "RevisionNotFoundError",
    "SSHCredentials",
    "SecretBytes",
    "SnapshotCluster",
    "SopsError",
    "SopsKeys",
    "SyncDecision",
    "SyncOptions",
    "SyncPlan",
    "SyncPlanOptions",
    "SyncResult",
    "SyncTask",
    "SyncWindow",
    "SyncWindows",
    "ValidationError",
    "Violation",
    "WaitTimeoutError",
    "WebhookError",
    "WebhookSecrets",
    "__version__",
    "aggregate_health",
    "app_status",
    "apps_for_webhook",
    "assess_health",
    "compare",
    "credentials_from_secrets",
    "dump_manifests",
    "execute_plan",
    "issue_project_token",
    "load_documents",
    "load_manifests",
    "mask_credentials",
    "normalize",
    "normalize_git_url",
    "orphaned_resources",
    "parse_webhook",
    "plan_delete",
    "plan_sync",
    "render",
    "render_tree",
    "rollback",
    "run_health_tests",
    "set_yaml_value",
    "sops_decrypt",
    "sync",
    "verify_project_token",
    "wait",
]
