"""Argo CD RBAC: policy CSV, project roles, and a small evaluator with Argo CD's semantics.

Argo CD evaluates its policies with Casbin and this model::

    request   r = sub, res, act, obj
    policy    p = sub, res, act, obj, eft
    roles     g = _, _                       (transitive)
    effect    some(allow) and not some(deny)
    matcher   g(r.sub, p.sub) and glob(p.res, r.res) and glob(p.act, r.act)
              and glob(p.obj, r.obj)

where ``glob`` is a gobwas glob without separator (``policy.matchMode: regex`` switches to
searched regular expressions). The evaluator here implements exactly that; Casbin itself is
not needed. Two Argo CD details are kept on purpose:

* the default role (``policy.default``) is tried first, and if it allows, the request is
  allowed even when the subject has a matching deny;
* a user is several subjects (name and groups): each is enforced on its own and the request is
  allowed when any one is; a deny only wins within the subject it names.

Project roles contribute, per role, ``p, proj:<p>:<role>, projects, get, <p>, allow``, the
role's policies, and ``g, <group>, proj:<p>:<role>`` for each SSO group.

>>> e = Enforcer.from_csv('''
... p, role:deployer, applications, sync, team/*, allow
... p, role:deployer, applications, sync, team/prod-*, deny
... g, alice, role:deployer
... ''')
>>> e.enforce("alice", "applications", "sync", "team/web")
True
>>> e.enforce("alice", "applications", "sync", "team/prod-web")
False
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from gitopslib.errors import PolicyError
from gitopslib.globs import glob_match

__all__ = [
    "PROJECT_RESOURCES",
    "Enforcer",
    "GroupBinding",
    "PolicyRule",
    "parse_policy_csv",
    "project_policy_lines",
    "validate_project_policy",
]

#: Resources a project role policy may name.
PROJECT_RESOURCES = (
    "applications",
    "applicationsets",
    "repositories",
    "clusters",
    "logs",
    "exec",
)
_ACTIONS = frozenset({"get", "create", "update", "delete", "sync", "override", "*"})
_ACTION_PATTERNS = (re.compile("action/.*"), re.compile("update/.*"), re.compile("delete/.*"))
_MAX_ROLE_DEPTH = 10  # Casbin's default role hierarchy limit


@dataclass(frozen=True)
class PolicyRule:
    """``p, subject, resource, action, object, effect``."""

    subject: str
    resource: str
    action: str
    object: str
    effect: Literal["allow", "deny"]
    line: int | None = None


@dataclass(frozen=True)
class GroupBinding:
    """``g, member, role``: ``member`` (a user, group or role) has ``role``."""

    member: str
    role: str
    line: int | None = None


def _rows(text: str) -> Iterable[tuple[int, list[str]]]:
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        row = next(csv.reader([line], skipinitialspace=True))
        yield lineno, [cell.strip() for cell in row]


def parse_policy_csv(
    text: str, *, source: str = "policy.csv"
) -> tuple[list[PolicyRule], list[GroupBinding]]:
    """Parse Argo CD's ``policy.csv`` (``p,`` rules and ``g,`` bindings; ``#`` comments).

    Raises :class:`gitopslib.errors.PolicyError` naming the line for a malformed row.

    >>> rules, groups = parse_policy_csv("p, role:ro, applications, get, */*, allow\\n"
    ...                                  "g, my-org:team, role:ro")
    >>> rules[0].object, groups[0].member
    ('*/*', 'my-org:team')
    """
    rules: list[PolicyRule] = []
    groups: list[GroupBinding] = []
    for lineno, row in _rows(text):
        kind = row[0]
        if kind == "p":
            if len(row) != 6:
                raise PolicyError(
                    f"{source}:{lineno}: a 'p' rule has 6 fields "
                    f"(p, subject, resource, action, object, effect), found {len(row)}",
                    field=source,
                    line=lineno,
                )
            effect = row[5]
            if effect not in ("allow", "deny"):
                raise PolicyError(
                    f"{source}:{lineno}: effect must be 'allow' or 'deny', not {effect!r}",
                    field=source,
                    line=lineno,
                )
            rules.append(PolicyRule(row[1], row[2], row[3], row[4], effect, lineno))  # type: ignore[arg-type]
        elif kind == "g":
            if len(row) != 3:
                raise PolicyError(
                    f"{source}:{lineno}: a 'g' binding has 3 fields (g, member, role), "
                    f"found {len(row)}",
                    field=source,
                    line=lineno,
                )
            groups.append(GroupBinding(row[1], row[2], lineno))
        else:
            raise PolicyError(
                f"{source}:{lineno}: unknown policy type {kind!r} (expected 'p' or 'g')",
                field=source,
                line=lineno,
            )
    return rules, groups


def validate_project_policy(project: str, role: str, policy: str) -> None:
    """Argo CD's check of one project role policy string; raises PolicyError if invalid.

    >>> validate_project_policy("demo", "ci", "p, proj:demo:ci, applications, sync, demo/*, allow")
    >>> try:
    ...     validate_project_policy("demo", "ci", "p, proj:x:ci, applications, sync, demo/*, allow")
    ... except PolicyError as exc:
    ...     print(exc.message.split(": ", 1)[1])
    the subject must be 'proj:demo:ci', not 'proj:x:ci'
    """
    parts = [p.strip(" ") for p in policy.split(",")]

    def bad(why: str) -> PolicyError:
        return PolicyError(f"invalid policy rule '{policy}': {why}", field="policies")

    if len(parts) != 6 or parts[0] != "p":
        raise bad("expected 'p, proj:<project>:<role>, <resource>, <action>, <object>, <effect>'")
    _, subject, resource, action, obj, effect = parts
    expected = f"proj:{project}:{role}"
    if subject != expected:
        raise bad(f"the subject must be '{expected}', not '{subject}'")
    if resource not in PROJECT_RESOURCES:
        raise bad(f"the resource must be one of {', '.join(PROJECT_RESOURCES)}, not '{resource}'")
    if action not in _ACTIONS and not any(p.search(action) for p in _ACTION_PATTERNS):
        raise bad(f"invalid action '{action}'")
    object_rx = re.compile(rf"^{re.escape(project)}(/[*\w\-.]+)?/[*\w\-.]+$", re.ASCII)
    if not object_rx.match(obj):
        raise bad(
            f"the object must look like '{project}/*', '{project}/<app>' or "
            f"'{project}/<namespace>/<app>', not '{obj}'"
        )
    if effect not in ("allow", "deny"):
        raise bad(f"the effect must be 'allow' or 'deny', not '{effect}'")


def _project_name(project: Any) -> str:
    return str(getattr(getattr(project, "metadata", None), "name", None) or "")


def project_policy_lines(project: Any) -> list[str]:
    """The Casbin lines an AppProject's roles contribute (Argo CD's ``ProjectPoliciesString``).

    >>> from types import SimpleNamespace as NS
    >>> proj = NS(metadata=NS(name="demo"), spec=NS(roles=[NS(name="ci", groups=["devs"],
    ...     policies=["p, proj:demo:ci, applications, sync, demo/*, allow"])]))
    >>> project_policy_lines(proj)[0], project_policy_lines(proj)[-1]
    ('p, proj:demo:ci, projects, get, demo, allow', 'g, devs, proj:demo:ci')
    """
    name = _project_name(project)
    lines: list[str] = []
    for role in getattr(project.spec, "roles", None) or ():
        subject = f"proj:{name}:{role.name}"
        lines.append(f"p, {subject}, projects, get, {name}, allow")
        lines.extend(role.policies or ())
        for group in role.groups or ():
            lines.append(f"g, {group}, {subject}")
    return lines


@dataclass
class Enforcer:
    """Evaluate requests against policy rules and role bindings the way Argo CD does.

    ``match_mode`` is ``"glob"`` (Argo CD's default) or ``"regex"``; ``default_role`` is
    ``policy.default`` from ``argocd-rbac-cm`` (e.g. ``role:readonly``).
    """

    rules: list[PolicyRule] = field(default_factory=list)
    bindings: list[GroupBinding] = field(default_factory=list)
    default_role: str | None = None
    match_mode: Literal["glob", "regex"] = "glob"

    @classmethod
    def from_csv(
        cls,
        policy_csv: str = "",
        *,
        projects: Iterable[Any] = (),
        default_role: str | None = None,
        match_mode: Literal["glob", "regex"] = "glob",
    ) -> Enforcer:
        """Build from a ``policy.csv`` text plus the roles of ``projects``.

        >>> Enforcer.from_csv("p, bob, applications, get, */*, allow").enforce(
        ...     "bob", "applications", "get", "default/guestbook")
        True
        """
        rules, bindings = parse_policy_csv(policy_csv)
        enforcer = cls(rules, bindings, default_role, match_mode)
        for project in projects:
            enforcer.add_project(project)
        return enforcer

    def add_project(self, project: Any) -> None:
        """Add an AppProject's role policies and group bindings."""
        name = _project_name(project)
        rules, bindings = parse_policy_csv(
            "\n".join(project_policy_lines(project)), source=f"AppProject {name} spec.roles"
        )
        self.rules.extend(rules)
        self.bindings.extend(bindings)

    def roles_of(self, subject: str) -> set[str]:
        """``subject`` and every role it has, transitively (up to Casbin's depth of 10)."""
        found = {subject}
        frontier = {subject}
        for _ in range(_MAX_ROLE_DEPTH):
            nxt = {b.role for b in self.bindings if b.member in frontier} - found
            if not nxt:
                break
            found |= nxt
            frontier = nxt
        return found

    def _match(self, pattern: str, value: str) -> bool:
        if self.match_mode == "regex":
            try:
                return re.search(pattern, value) is not None
            except re.error:
                return False
        return glob_match(pattern, value)

    def _enforce_one(self, subject: str, resource: str, action: str, obj: str) -> bool:
        subjects = self.roles_of(subject)
        allowed = False
        for rule in self.rules:
            if (
                rule.subject in subjects
                and self._match(rule.resource, resource)
                and self._match(rule.action, action)
                and self._match(rule.object, obj)
            ):
                if rule.effect == "deny":
                    return False
                allowed = True
        return allowed

    def enforce(
        self, subject_or_groups: str | Sequence[str], resource: str, action: str, obj: str
    ) -> bool:
        """Whether the subject (or any of several subjects, e.g. a user and their groups)
        may perform ``action`` on ``resource`` ``obj``. Deny wins within a subject.

        >>> e = Enforcer.from_csv("p, role:ro, applications, get, */*, allow",
        ...                       default_role="role:ro")
        >>> e.enforce("anyone", "applications", "get", "p/app"), e.enforce(
        ...     ["anyone", "devs"], "applications", "sync", "p/app")
        (True, False)
        """
        if self.default_role and self._enforce_one(self.default_role, resource, action, obj):
            return True
        subjects = [subject_or_groups] if isinstance(subject_or_groups, str) else subject_or_groups
        return any(self._enforce_one(s, resource, action, obj) for s in subjects if s)
