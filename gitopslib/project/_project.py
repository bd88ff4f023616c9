"""``AppProject`` with behaviour: the data model of :mod:`gitopslib.models` plus its rules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import model_validator

from gitopslib.errors import PolicyError, ValidationError
from gitopslib.manifest import ResourceKey
from gitopslib.models import AppProject as _AppProjectData
from gitopslib.models._base import FieldProblem
from gitopslib.project.orphans import orphaned_resources
from gitopslib.project.policy import (
    DEFAULT_CONTROL_PLANE_NAMESPACE,
    Violation,
    check_application,
    is_destination_permitted,
    is_group_kind_permitted,
    is_source_permitted,
)
from gitopslib.project.rbac import Enforcer, validate_project_policy
from gitopslib.project.tokens import (
    ProjectTokenClaims,
    issue_project_token,
    verify_project_token,
)
from gitopslib.project.windows import SyncDecision, SyncWindows

__all__ = ["AppProject"]

_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path_of(dotted: str) -> tuple[str | int, ...]:
    return tuple(int(index) if index else name for name, index in _FIELD_PART.findall(dotted))


class AppProject(_AppProjectData):
    """An Argo CD AppProject that can answer "may this app deploy here, now, by whom?".

    Loading (``from_yaml``, ``from_dict``, the constructor) also refuses what Argo CD refuses on
    save: invalid sync windows and malformed role policies, naming the field.

    >>> proj = AppProject.from_yaml('''
    ... apiVersion: argoproj.io/v1alpha1
    ... kind: AppProject
    ... metadata: {name: demo, namespace: argocd}
    ... spec:
    ...   sourceRepos: ["https://github.com/org/*"]
    ...   destinations: [{server: https://kubernetes.default.svc, namespace: "team-*"}]
    ... ''')
    >>> proj.is_source_permitted("https://github.com/org/app.git")
    True
    >>> proj.is_resource_permitted("", "Namespace", namespaced=False)
    False
    """

    @model_validator(mode="after")
    def _argocd_rules(self) -> Self:
        try:
            SyncWindows.from_specs(self.spec.sync_windows)
        except ValidationError as exc:
            raise FieldProblem(exc.reason, *_path_of(exc.field or "spec.syncWindows")) from None
        name = self.metadata.name or ""
        for r_index, role in enumerate(self.spec.roles or ()):
            seen: set[str] = set()
            for p_index, policy in enumerate(role.policies or ()):
                where = ("spec", "roles", r_index, "policies", p_index)
                if policy in seen:
                    raise FieldProblem(
                        f"policy '{policy}' appears twice for role '{role.name}'", *where
                    )
                seen.add(policy)
                try:
                    validate_project_policy(name, role.name or "", policy)
                except PolicyError as exc:
                    raise FieldProblem(exc.message, *where) from None
        return self

    @classmethod
    def default(cls) -> Self:
        """Argo CD's built-in ``default`` project: any repository, any destination, any
        cluster-scoped resource.

        >>> AppProject.default().spec.source_repos
        ['*']
        """
        return cls.from_dict(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AppProject",
                "metadata": {"name": "default", "namespace": DEFAULT_CONTROL_PLANE_NAMESPACE},
                "spec": {
                    "sourceRepos": ["*"],
                    "destinations": [{"server": "*", "namespace": "*"}],
                    "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
                },
            }
        )

    # --- admission ------------------------------------------------------------------------

    def check(
        self,
        app: Any,
        *,
        control_plane_namespace: str = DEFAULT_CONTROL_PLANE_NAMESPACE,
        clusters: Mapping[str, str] | None = None,
        project_clusters: Iterable[str] | None = None,
    ) -> list[Violation]:
        """Every reason this project refuses ``app`` (empty: permitted).

        See :func:`gitopslib.project.policy.check_application` for the parameters.
        """
        return check_application(
            self,
            app,
            control_plane_namespace=control_plane_namespace,
            clusters=clusters,
            project_clusters=project_clusters,
        )

    def is_source_permitted(self, repo_url: str) -> bool:
        """Whether ``sourceRepos`` permits ``repo_url``."""
        return is_source_permitted(self.spec.source_repos, repo_url)

    def is_destination_permitted(
        self, *, server: str = "", name: str = "", namespace: str = ""
    ) -> bool:
        """Whether ``destinations`` permits the cluster (server and/or name) and namespace."""
        return is_destination_permitted(
            self.spec.destinations, server=server, name=name, namespace=namespace
        )

    def is_resource_permitted(
        self, group: str, kind: str, namespaced: bool, name: str | None = None
    ) -> bool:
        """Whether the resource lists permit ``group``/``kind`` (and ``name``, cluster-scoped).

        >>> AppProject.default().is_resource_permitted("", "Namespace", False)
        True
        """
        return is_group_kind_permitted(self.spec, group, kind, namespaced, name)

    # --- sync windows ---------------------------------------------------------------------

    @property
    def sync_windows(self) -> SyncWindows:
        """The project's sync windows, validated (see :class:`SyncWindows`)."""
        return SyncWindows.from_specs(self.spec.sync_windows)

    def sync_decision(
        self,
        app: Any,
        now: datetime,
        manual: bool = False,
        operation_started_at: datetime | None = None,
    ) -> SyncDecision:
        """Whether the windows matching ``app`` let it sync at ``now``, with the reason."""
        return self.sync_windows.matching(app).decide(now, manual, operation_started_at)

    def can_sync(
        self,
        app: Any,
        now: datetime,
        manual: bool = False,
        operation_started_at: datetime | None = None,
    ) -> bool:
        """``sync_decision(...).allowed``: Argo CD's ``CanSync`` for ``app``.

        Auto-sync asks with ``manual=False``; a running operation asks with ``manual`` = not
        initiated automatically and ``operation_started_at`` = its start (for ``syncOverrun``).
        """
        return self.sync_decision(app, now, manual, operation_started_at).allowed

    # --- roles ----------------------------------------------------------------------------

    def enforcer(
        self,
        policy_csv: str = "",
        *,
        default_role: str | None = None,
        match_mode: Literal["glob", "regex"] = "glob",
    ) -> Enforcer:
        """An :class:`~gitopslib.project.rbac.Enforcer` with this project's roles (plus an
        optional global ``policy.csv``)."""
        return Enforcer.from_csv(
            policy_csv, projects=[self], default_role=default_role, match_mode=match_mode
        )

    def issue_token(
        self,
        role: str,
        secret: str | bytes,
        *,
        issued_at: int | datetime | None = None,
        expires_in: int | None = None,
        token_id: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Sign a token for one of this project's roles (see :func:`issue_project_token`).

        The returned record is not stored: add it to the role's ``jwtTokens`` to make the
        token valid, remove it to revoke the token.
        """
        if not any(r.name == role for r in self.spec.roles or ()):
            raise PolicyError(
                f"role '{role}' does not exist in project '{self.metadata.name}'",
                field="spec.roles",
            )
        return issue_project_token(
            self.metadata.name or "",
            role,
            secret,
            issued_at=issued_at,
            expires_in=expires_in,
            token_id=token_id,
        )

    def verify_token(
        self, token: str, secret: str | bytes, *, now: int | float | datetime | None = None
    ) -> ProjectTokenClaims:
        """Verify a project token against this project (see :func:`verify_project_token`)."""
        return verify_project_token(token, self, secret, now=now)

    # --- orphans --------------------------------------------------------------------------

    def orphaned_resources(
        self,
        app: Any,
        live_objects: Iterable[Mapping[str, Any]],
        *,
        managed: Sequence[ResourceKey] = (),
        known_apps: Iterable[str] | None = None,
    ) -> list[ResourceKey]:
        """Orphans of ``app`` among ``live_objects`` (see :func:`orphaned_resources`)."""
        return orphaned_resources(self, app, live_objects, managed=managed, known_apps=known_apps)
