"""The Argo CD ``AppProject`` as data, with the structural checks Argo CD makes on save.

Behaviour (is an app permitted, may it sync now) lives in :mod:`gitopslib.project`, whose
``AppProject`` subclasses :class:`AppProject` here. Lists keep the difference between absent
(``None``) and written empty (``[]``): for the namespace resource whitelist it decides between
"everything" and "nothing".

>>> proj = AppProject.from_yaml('''
... apiVersion: argoproj.io/v1alpha1
... kind: AppProject
... metadata: {name: demo}
... spec:
...   sourceRepos: ["https://github.com/org/*"]
...   destinations: [{server: https://kubernetes.default.svc, namespace: "*"}]
... ''')
>>> proj.spec.source_repos, proj.spec.namespace_resource_whitelist
(['https://github.com/org/*'], None)
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from gitopslib.models._base import Document, FieldProblem, GitOpsModel, OpenModel
from gitopslib.models._common import ObjectMeta, check_object_name

__all__ = [
    "AppProject",
    "AppProjectSpec",
    "AppProjectStatus",
    "ClusterResourceRestriction",
    "DestinationServiceAccount",
    "GroupKind",
    "JWTToken",
    "JWTTokens",
    "OrphanedResourceKey",
    "OrphanedResourcesMonitorSettings",
    "ProjectDestination",
    "ProjectRole",
    "SignatureKey",
    "SyncWindow",
]

MAX_DESCRIPTION = 255
_ROLE_NAME = re.compile(r"^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$")
_BAD_GROUP_CHARS = ('"', "\n", "\r", "\t")


class ProjectDestination(GitOpsModel):
    """A permitted destination: ``server`` or ``name`` glob, and ``namespace`` glob (``!``
    negation allowed)."""

    server: str | None = None
    name: str | None = None
    namespace: str | None = None


class ClusterResourceRestriction(GitOpsModel):
    """A cluster-scoped allow/deny entry: ``group``, ``kind`` and optional ``name``."""

    group: str | None = None
    kind: str | None = None
    name: str | None = None


class GroupKind(GitOpsModel):
    """A namespaced allow/deny entry: ``group`` ("" is core) and ``kind``."""

    group: str | None = None
    kind: str | None = None


class JWTToken(GitOpsModel):
    """A project role token: issued-at and expiry (Unix seconds) and id."""

    iat: int | None = None
    exp: int | None = None
    id: str | None = None


class ProjectRole(GitOpsModel):
    """``spec.roles[]``: a named role with Casbin policies, tokens and SSO groups."""

    name: str | None = None
    description: str | None = None
    policies: list[str] | None = None
    jwt_tokens: list[JWTToken] | None = None
    groups: list[str] | None = None


class SyncWindow(GitOpsModel):
    """``spec.syncWindows[]``: when syncs are allowed or denied for matching apps."""

    kind: Literal["allow", "deny"] | None = None
    schedule: str | None = None
    duration: str | None = None
    applications: list[str] | None = None
    namespaces: list[str] | None = None
    clusters: list[str] | None = None
    manual_sync: bool | None = None
    time_zone: str | None = None
    and_operator: bool | None = None
    description: str | None = None
    sync_overrun: bool | None = None

    @model_validator(mode="after")
    def _description(self) -> SyncWindow:
        if self.description is not None and len(self.description) > MAX_DESCRIPTION:
            raise FieldProblem(
                f"description is {len(self.description)} characters, over {MAX_DESCRIPTION}",
                "description",
            )
        return self


class OrphanedResourceKey(GitOpsModel):
    """An ``orphanedResources.ignore[]`` entry (globs; empty kind/name match anything)."""

    group: str | None = None
    kind: str | None = None
    name: str | None = None


class OrphanedResourcesMonitorSettings(GitOpsModel):
    """``spec.orphanedResources``: report objects in the destination namespace no app owns."""

    warn: bool | None = None
    ignore: list[OrphanedResourceKey] | None = None


class SignatureKey(GitOpsModel):
    """A GPG key id required on commits (deprecated in favour of ``sourceIntegrity``)."""

    key_id: str | None = Field(default=None, alias="keyID")


class DestinationServiceAccount(GitOpsModel):
    """The service account a sync impersonates for a destination."""

    server: str | None = None
    namespace: str | None = None
    default_service_account: str | None = None


def _check_glob_list(values: list[str] | None, field: str) -> None:
    if not values:
        return
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value == "!*":
            raise FieldProblem(
                f"'!*' is not allowed in {field} (it denies everything)", field, index
            )
        if value in seen:
            raise FieldProblem(f"{value!r} appears twice in {field}", field, index)
        seen.add(value)


class AppProjectSpec(GitOpsModel):
    """``spec`` of an AppProject (every field of Argo CD's ``AppProjectSpec``)."""

    source_repos: list[str] | None = None
    destinations: list[ProjectDestination] | None = None
    description: str | None = None
    roles: list[ProjectRole] | None = None
    cluster_resource_whitelist: list[ClusterResourceRestriction] | None = None
    cluster_resource_blacklist: list[ClusterResourceRestriction] | None = None
    namespace_resource_whitelist: list[GroupKind] | None = None
    namespace_resource_blacklist: list[GroupKind] | None = None
    orphaned_resources: OrphanedResourcesMonitorSettings | None = None
    sync_windows: list[SyncWindow] | None = None
    signature_keys: list[SignatureKey] | None = None
    source_namespaces: list[str] | None = None
    permit_only_project_scoped_clusters: bool | None = None
    destination_service_accounts: list[DestinationServiceAccount] | None = None
    source_integrity: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _structure(self) -> AppProjectSpec:
        if self.description is not None and len(self.description) > MAX_DESCRIPTION:
            raise FieldProblem(
                f"description is {len(self.description)} characters, over {MAX_DESCRIPTION}",
                "description",
            )
        _check_glob_list(self.source_repos, "sourceRepos")
        seen: set[tuple[str, str, str]] = set()
        for index, dest in enumerate(self.destinations or ()):
            for attr in ("server", "name", "namespace"):
                if getattr(dest, attr) == "!*":
                    raise FieldProblem(
                        f"'!*' is not allowed in a destination {attr}",
                        "destinations",
                        index,
                        attr,
                    )
            key = (dest.server or "", dest.name or "", dest.namespace or "")
            if (dest.server or dest.name) and key in seen:
                cluster = dest.server or dest.name
                raise FieldProblem(
                    f"destination {cluster}/{key[2]} appears twice", "destinations", index
                )
            seen.add(key)
        names: set[str] = set()
        for index, role in enumerate(self.roles or ()):
            if not role.name or not _ROLE_NAME.match(role.name):
                raise FieldProblem(
                    f"invalid role name {role.name!r}: use letters, digits, '-' and '_', "
                    "starting and ending with a letter or digit",
                    "roles",
                    index,
                    "name",
                )
            if role.name in names:
                raise FieldProblem(f"role {role.name!r} is defined twice", "roles", index)
            names.add(role.name)
            for gindex, group in enumerate(role.groups or ()):
                if any(c in group for c in _BAD_GROUP_CHARS):
                    raise FieldProblem(
                        "a group name may not contain quotes, tabs or line breaks",
                        "roles",
                        index,
                        "groups",
                        gindex,
                    )
        return self


class JWTTokens(OpenModel):
    """``status.jwtTokensByRole[role]``."""

    items: list[JWTToken] | None = None


class AppProjectStatus(OpenModel):
    """``status`` of an AppProject (tolerant)."""

    jwt_tokens_by_role: dict[str, JWTTokens] | None = None


class AppProject(Document):
    """An Argo CD AppProject (data only; see :mod:`gitopslib.project` for its rules)."""

    KIND = "AppProject"

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: AppProjectSpec = Field(default_factory=AppProjectSpec)
    status: AppProjectStatus | None = None

    @model_validator(mode="after")
    def _named(self, info: ValidationInfo) -> AppProject:
        if info.context and info.context.get("document"):
            if not self.metadata.name:
                raise FieldProblem("an AppProject needs metadata.name", "metadata")
            check_object_name(self.metadata.name, "AppProject")
        return self
