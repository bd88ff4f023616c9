"""Typed models of Argo CD's YAML: Application, AppProject, ConfigManagementPlugin.

YAML keys are Argo CD's camelCase, attributes are snake_case. ``from_yaml`` reads text or a
file and raises :class:`~gitopslib.errors.ValidationError` naming file, line, column and
field; ``to_yaml``/``to_dict`` give back what was written and nothing else.

>>> from gitopslib.models import Application
>>> app = Application.from_yaml(
...     "apiVersion: argoproj.io/v1alpha1\\nkind: Application\\nmetadata: {name: a}\\n"
...     "spec: {source: {repoURL: 'https://x', path: p}, destination: {name: in-cluster}}\\n")
>>> app.spec.destination.name
'in-cluster'
"""

from __future__ import annotations

from gitopslib.models._base import Document, FieldProblem, GitOpsModel, OpenModel
from gitopslib.models._common import Backoff, Info, ObjectMeta, RetryStrategy
from gitopslib.models._load import load_documents
from gitopslib.models.application import (
    Application,
    ApplicationDestination,
    ApplicationSource,
    ApplicationSourceDirectory,
    ApplicationSourceHelm,
    ApplicationSourceJsonnet,
    ApplicationSourceKustomize,
    ApplicationSourcePlugin,
    ApplicationSpec,
    HelmFileParameter,
    HelmParameter,
    JsonnetVar,
    KustomizePatch,
    KustomizeReplica,
    KustomizeSelector,
    ManagedNamespaceMetadata,
    PluginEnvEntry,
    PluginParameter,
    ResourceIgnoreDifferences,
    SyncPolicy,
    SyncPolicyAutomated,
)
from gitopslib.models.plugin import (
    ConfigManagementPlugin,
    ParameterAnnouncement,
    PluginCommand,
    PluginDiscover,
    PluginFind,
    PluginParameters,
    PluginSpec,
)
from gitopslib.models.project import (
    AppProject,
    AppProjectSpec,
    AppProjectStatus,
    ClusterResourceRestriction,
    DestinationServiceAccount,
    GroupKind,
    JWTToken,
    JWTTokens,
    OrphanedResourceKey,
    OrphanedResourcesMonitorSettings,
    ProjectDestination,
    ProjectRole,
    SignatureKey,
    SyncWindow,
)
from gitopslib.models.status import (
    AppHealthStatus,
    ApplicationCondition,
    ApplicationStatus,
    ApplicationSummary,
    ComparedTo,
    Operation,
    OperationInitiator,
    OperationState,
    ResourceResult,
    ResourceStatus,
    RevisionHistory,
    SyncOperation,
    SyncOperationResource,
    SyncResult,
    SyncStatus,
    SyncStrategy,
    SyncStrategyApply,
)
from gitopslib.models.sync_options import SyncOptions

__all__ = [
    "AppHealthStatus",
    "AppProject",
    "AppProjectSpec",
    "AppProjectStatus",
    "Application",
    "ApplicationCondition",
    "ApplicationDestination",
    "ApplicationSource",
    "ApplicationSourceDirectory",
    "ApplicationSourceHelm",
    "ApplicationSourceJsonnet",
    "ApplicationSourceKustomize",
    "ApplicationSourcePlugin",
    "ApplicationSpec",
    "ApplicationStatus",
    "ApplicationSummary",
    "Backoff",
    "ClusterResourceRestriction",
    "ComparedTo",
    "ConfigManagementPlugin",
    "DestinationServiceAccount",
    "Document",
    "FieldProblem",
    "GitOpsModel",
    "GroupKind",
    "HelmFileParameter",
    "HelmParameter",
    "Info",
    "JWTToken",
    "JWTTokens",
    "JsonnetVar",
    "KustomizePatch",
    "KustomizeReplica",
    "KustomizeSelector",
    "ManagedNamespaceMetadata",
    "ObjectMeta",
    "OpenModel",
    "Operation",
    "OperationInitiator",
    "OperationState",
    "OrphanedResourceKey",
    "OrphanedResourcesMonitorSettings",
    "ParameterAnnouncement",
    "PluginCommand",
    "PluginDiscover",
    "PluginEnvEntry",
    "PluginFind",
    "PluginParameter",
    "PluginParameters",
    "PluginSpec",
    "ProjectDestination",
    "ProjectRole",
    "ResourceIgnoreDifferences",
    "ResourceResult",
    "ResourceStatus",
    "RetryStrategy",
    "RevisionHistory",
    "SignatureKey",
    "SyncOperation",
    "SyncOperationResource",
    "SyncOptions",
    "SyncPolicy",
    "SyncPolicyAutomated",
    "SyncResult",
    "SyncStatus",
    "SyncStrategy",
    "SyncStrategyApply",
    "SyncWindow",
    "load_documents",
]
