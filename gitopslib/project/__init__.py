"""AppProject policy: who may deploy what, where and when.

Pure functions and an :class:`AppProject` model that carries them as methods:

* admission (:meth:`AppProject.check`): ``sourceRepos``, ``destinations``,
  ``sourceNamespaces``; resource allow/deny lists (:meth:`AppProject.is_resource_permitted`);
* sync windows (:class:`SyncWindows`, :meth:`AppProject.can_sync`);
* roles and RBAC (:class:`Enforcer`), project JWT tokens (:func:`issue_project_token`,
  :func:`verify_project_token`);
* orphaned resources (:func:`orphaned_resources`).
"""

from __future__ import annotations

from gitopslib.globs import filepath_match, glob_match
from gitopslib.project._project import AppProject
from gitopslib.project.orphans import (
    app_instance_name,
    is_known_orphan_exclusion,
    orphaned_resources,
    orphaned_resources_warning,
    tracked_instance,
)
from gitopslib.project.policy import (
    Violation,
    check_application,
    is_app_namespace_permitted,
    is_destination_permitted,
    is_group_kind_permitted,
    is_source_permitted,
)
from gitopslib.project.rbac import (
    Enforcer,
    GroupBinding,
    PolicyRule,
    parse_policy_csv,
    project_policy_lines,
    validate_project_policy,
)
from gitopslib.project.tokens import (
    ProjectTokenClaims,
    TokenError,
    TokenExpiredError,
    TokenRevokedError,
    issue_project_token,
    verify_project_token,
)
from gitopslib.project.windows import SyncDecision, SyncWindow, SyncWindows, parse_go_duration

__all__ = [
    "AppProject",
    "Enforcer",
    "GroupBinding",
    "PolicyRule",
    "ProjectTokenClaims",
    "SyncDecision",
    "SyncWindow",
    "SyncWindows",
    "TokenError",
    "TokenExpiredError",
    "TokenRevokedError",
    "Violation",
    "app_instance_name",
    "check_application",
    "filepath_match",
    "glob_match",
    "is_app_namespace_permitted",
    "is_destination_permitted",
    "is_group_kind_permitted",
    "is_known_orphan_exclusion",
    "is_source_permitted",
    "issue_project_token",
    "orphaned_resources",
    "orphaned_resources_warning",
    "parse_go_duration",
    "parse_policy_csv",
    "project_policy_lines",
    "tracked_instance",
    "validate_project_policy",
    "verify_project_token",
]
