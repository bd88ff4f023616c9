"""gitopslib: Argo CD's declarative GitOps semantics as plain typed Python.

Read Application and AppProject YAML, render desired manifests from Git, compare them with
live objects, judge health and plan a sync in Argo CD's order: every step a function of data.
"""

from __future__ import annotations

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
from gitopslib.manifest import ResourceKey, dump_manifests, load_manifests

__version__ = "0.1.0"

__all__ = [
    "ClusterError",
    "CommandError",
    "CommandTimeoutError",
    "DiffError",
    "EngineNotFoundError",
    "GitAuthError",
    "GitError",
    "GitOpsError",
    "GitOpsErrorGroup",
    "HealthError",
    "ManifestError",
    "PathEscapeError",
    "PlanError",
    "PolicyError",
    "PushRejectedError",
    "RenderError",
    "ResourceKey",
    "RevisionNotFoundError",
    "ValidationError",
    "__version__",
    "dump_manifests",
    "load_manifests",
]
