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

import typing as _typing

from gitopslib.diff import (
    ComparisonResult,
    DiffSettings,
    DriftReason,
    IgnoreRule,
    ResourceDiff,
    compare,
    normalize,
)
from gitopslib.errors import (
    ClusterError,
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
    PathEscapeError,
    PlanError,
    PolicyError,
    PushRejectedError,
    RenderError,
    RevisionNotFoundError,
    ValidationError,
)
from gitopslib.giturl import mask_credentials, normalize_git_url
from gitopslib.health import (
    HealthScripts,
    HealthStatus,
    HealthStatusCode,
    aggregate_health,
    assess_health,
    run_health_tests,
)
from gitopslib.manifest import ResourceKey, dump_manifests, load_manifests
from gitopslib.models import (
    Application,
    ApplicationSource,
    ConfigManagementPlugin,
    Operation,
    OperationState,
    ResourceResult,
    SyncOptions,
    SyncResult,
    load_documents,
)
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
from gitopslib.sources import (
    RenderCache,
    RenderContext,
    Renderer,
    RendererRegistry,
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

if _typing.TYPE_CHECKING:
    from gitopslib.cluster import KubernetesCluster, MemoryCluster, SnapshotCluster
    from gitopslib.git import (
        GitPathNotFoundError,
        GitRepository,
        HTTPSCredentials,
        SSHCredentials,
        credentials_from_secrets,
        set_yaml_value,
    )
    from gitopslib.reconcile import reconcile, sync

__version__ = "0.1.0"

#: Names loaded on first use: (module, attribute).
_LAZY: dict[str, tuple[str, str]] = {
    "GitPathNotFoundError": ("gitopslib.git", "GitPathNotFoundError"),
    "GitRepository": ("gitopslib.git", "GitRepository"),
    "HTTPSCredentials": ("gitopslib.git", "HTTPSCredentials"),
    "SSHCredentials": ("gitopslib.git", "SSHCredentials"),
    "KubernetesCluster": ("gitopslib.cluster", "KubernetesCluster"),
    "MemoryCluster": ("gitopslib.cluster", "MemoryCluster"),
    "SnapshotCluster": ("gitopslib.cluster", "SnapshotCluster"),
    "credentials_from_secrets": ("gitopslib.git", "credentials_from_secrets"),
    "reconcile": ("gitopslib.reconcile", "reconcile"),
    "set_yaml_value": ("gitopslib.git", "set_yaml_value"),
    "sync": ("gitopslib.reconcile", "sync"),
}


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gitopslib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AppProject",
    "Application",
    "ApplicationSource",
    "Cluster",
    "ClusterError",
    "CommandError",
    "CommandTimeoutError",
    "ComparisonResult",
    "ConfigManagementPlugin",
    "DiffError",
    "DiffSettings",
    "DriftReason",
    "Enforcer",
    "EngineNotFoundError",
    "GitAuthError",
    "GitError",
    "GitOpsError",
    "GitOpsErrorGroup",
    "GitPathNotFoundError",
    "GitRepository",
    "HTTPSCredentials",
    "HealthError",
    "HealthScripts",
    "HealthStatus",
    "HealthStatusCode",
    "IgnoreRule",
    "KubernetesCluster",
    "ManifestError",
    "MemoryCluster",
    "Operation",
    "OperationState",
    "PathEscapeError",
    "PlanError",
    "PolicyError",
    "PushRejectedError",
    "RenderCache",
    "RenderContext",
    "RenderError",
    "RenderResult",
    "Renderer",
    "RendererRegistry",
    "Resolver",
    "ResourceDiff",
    "ResourceKey",
    "ResourceResult",
    "RevisionNotFoundError",
    "SSHCredentials",
    "SnapshotCluster",
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
    "__version__",
    "aggregate_health",
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
    "plan_delete",
    "plan_sync",
    "reconcile",
    "render",
    "render_tree",
    "run_health_tests",
    "set_yaml_value",
    "sync",
    "verify_project_token",
]
