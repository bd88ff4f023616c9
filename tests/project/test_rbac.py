"""RBAC: policy CSV, project roles, and enforcement with Argo CD's Casbin model."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gitopslib.errors import PolicyError, ValidationError
from gitopslib.project import (
    AppProject,
    Enforcer,
    parse_policy_csv,
    project_policy_lines,
    validate_project_policy,
)

MakeP = Callable[..., AppProject]

GLOBAL = """
# global policy.csv
p, role:org-admin, applications, *, */*, allow
p, role:org-admin, clusters, get, *, allow
p, role:dev, applications, get, */*, allow
p, role:dev, applications, sync, dev-*/*, allow
p, role:dev, applications, sync, dev-secure/*, deny
g, "my-org:team, with comma", role:dev
g, my-org:admins, role:org-admin
g, role:lead, role:dev
g, carol, role:lead
"""


@pytest.fixture
def enforcer() -> Enforcer:
    return Enforcer.from_csv(GLOBAL)


def test_parse_policy_csv_reads_quoted_groups() -> None:
    """Quoted CSV fields keep their commas; comments and blank lines are skipped."""
    rules, bindings = parse_policy_csv(GLOBAL)
    assert len(rules) == 5
    assert bindings[0].member == "my-org:team, with comma"
    assert rules[0].line == 3


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("p, a, applications, get, */*", "6 fields"),
        ("p, a, applications, get, */*, maybe", "effect"),
        ("g, a", "3 fields"),
        ("x, a, b", "unknown policy type"),
    ],
)
def test_malformed_policy_csv(text: str, words: str) -> None:
    """A malformed row is refused with its line number."""
    with pytest.raises(PolicyError, match=words) as info:
        parse_policy_csv("\n" + text)
    assert info.value.line == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("subject", "resource", "action", "obj", "expected"),
    [
        ("my-org:admins", "applications", "delete", "prod/web", True),
        ("my-org:admins", "clusters", "get", "https://k", True),
        ("my-org:admins", "clusters", "update", "https://k", False),
        ("my-org:team, with comma", "applications", "get", "prod/web", True),
        ("my-org:team, with comma", "applications", "sync", "dev-a/web", True),
        ("my-org:team, with comma", "applications", "sync", "prod/web", False),
        # deny wins over the matching allow (dev-*/* vs dev-secure/*)
        ("my-org:team, with comma", "applications", "sync", "dev-secure/web", False),
        # role inheritance is transitive: carol -> role:lead -> role:dev
        ("carol", "applications", "sync", "dev-a/web", True),
        ("nobody", "applications", "get", "prod/web", False),
        # the glob has no separator: */* matches a namespaced object p/ns/app too
        ("my-org:team, with comma", "applications", "get", "prod/team-ns/web", True),
    ],
)
def test_enforce_global_policy(
    enforcer: Enforcer, subject: str, resource: str, action: str, obj: str, expected: bool
) -> None:
    """Casbin semantics: g() transitive, glob matches on res/act/obj, deny wins."""
    assert enforcer.enforce(subject, resource, action, obj) is expected


def test_any_subject_of_a_user_suffices(enforcer: Enforcer) -> None:
    """A user's name and groups are enforced one by one; one allow is enough."""
    assert enforcer.enforce(["alice", "my-org:admins"], "applications", "sync", "dev-secure/x")


def test_default_role_allows_first() -> None:
    """policy.default is tried first and its allow wins over the subject's deny."""
    e = Enforcer.from_csv(
        "p, role:ro, applications, get, */*, allow\np, bob, applications, get, */*, deny",
        default_role="role:ro",
    )
    assert e.enforce("bob", "applications", "get", "p/a")
    assert not e.enforce("bob", "applications", "sync", "p/a")


def test_regex_match_mode() -> None:
    """policy.matchMode regex: patterns are (searched) regular expressions."""
    e = Enforcer.from_csv("p, bob, applications, get, ^team-[a-z]+/.*$, allow", match_mode="regex")
    assert e.enforce("bob", "applications", "get", "team-a/web")
    assert not e.enforce("bob", "applications", "get", "team-1/web")


PROJECT = {
    "sourceRepos": ["*"],
    "destinations": [{"server": "*", "namespace": "*"}],
    "roles": [
        {
            "name": "ci",
            "policies": [
                "p, proj:demo:ci, applications, sync, demo/*, allow",
                "p, proj:demo:ci, applications, sync, demo/critical, deny",
            ],
            "groups": ["my-org:ci-bots"],
        }
    ],
}


def test_project_policy_lines(make_project: MakeP) -> None:
    """Each role adds a projects/get rule, its policies and its group bindings."""
    assert project_policy_lines(make_project(**PROJECT)) == [
        "p, proj:demo:ci, projects, get, demo, allow",
        "p, proj:demo:ci, applications, sync, demo/*, allow",
        "p, proj:demo:ci, applications, sync, demo/critical, deny",
        "g, my-org:ci-bots, proj:demo:ci",
    ]


@pytest.mark.parametrize(
    ("subject", "action", "obj", "expected"),
    [
        ("proj:demo:ci", "sync", "demo/web", True),
        ("proj:demo:ci", "sync", "demo/critical", False),
        ("proj:demo:ci", "delete", "demo/web", False),
        ("proj:demo:ci", "sync", "other/web", False),
        ("my-org:ci-bots", "sync", "demo/web", True),
    ],
)
def test_project_role_enforcement(
    make_project: MakeP, subject: str, action: str, obj: str, expected: bool
) -> None:
    """Project roles and their SSO groups are enforced like global policies."""
    e = make_project(**PROJECT).enforcer()
    assert e.enforce(subject, "applications", action, obj) is expected


def test_project_role_can_get_its_project(make_project: MakeP) -> None:
    """Every role may `get` its own project."""
    assert make_project(**PROJECT).enforcer().enforce("proj:demo:ci", "projects", "get", "demo")


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ("p, proj:demo:ci, applications, sync, demo/*", "expected 'p,"),
        ("g, proj:demo:ci, applications, sync, demo/*, allow", "expected 'p,"),
        ("p, proj:other:ci, applications, sync, demo/*, allow", "subject must be"),
        ("p, proj:demo:ci, projects, get, demo/*, allow", "resource must be"),
        ("p, proj:demo:ci, applications, fly, demo/*, allow", "invalid action"),
        ("p, proj:demo:ci, applications, sync, other/*, allow", "object must"),
        ("p, proj:demo:ci, applications, sync, demo, allow", "object must"),
        ("p, proj:demo:ci, applications, sync, demo/*, maybe", "effect must"),
    ],
)
def test_invalid_project_policies(policy: str, words: str) -> None:
    """Argo CD's validation of role policies, rule by rule."""
    with pytest.raises(PolicyError, match=words):
        validate_project_policy("demo", "ci", policy)


@pytest.mark.parametrize(
    "policy",
    [
        "p, proj:demo:ci, applications, *, demo/*, allow",
        "p, proj:demo:ci, applications, action/apps/Deployment/restart, demo/web, allow",
        "p, proj:demo:ci, applications, update/*, demo/team-ns/web, deny",
        "p, proj:demo:ci, logs, get, demo/*, allow",
        "p, proj:demo:ci, exec, create, demo/*, allow",
        "p,proj:demo:ci,applicationsets,get,demo/*,allow",
    ],
)
def test_valid_project_policies(make_project: MakeP, policy: str) -> None:
    """Sub-actions, namespaced objects and tight spacing are accepted."""
    validate_project_policy("demo", "ci", policy)
    # loading a project accepts it too, and the role contributes it unchanged
    project = make_project(roles=[{"name": "ci", "policies": [policy]}])
    assert policy in project_policy_lines(project)


def test_invalid_policy_refused_when_loading(make_project: MakeP) -> None:
    """Loading a project with a malformed role policy names the policy's field."""
    roles = [{"name": "ci", "policies": ["p, proj:demo:ci, applications, fly, demo/*, allow"]}]
    with pytest.raises(ValidationError, match="invalid action") as info:
        make_project(roles=roles)
    assert info.value.field == "spec.roles[0].policies[0]"


def test_duplicate_policy_refused(make_project: MakeP) -> None:
    """The same policy twice in one role is refused."""
    p = "p, proj:demo:ci, applications, get, demo/*, allow"
    with pytest.raises(ValidationError, match="twice") as info:
        make_project(roles=[{"name": "ci", "policies": [p, p]}])
    assert info.value.field == "spec.roles[0].policies[1]"


def test_invalid_role_name_refused(make_project: MakeP) -> None:
    """Role names follow Argo CD's pattern (checked by the data model)."""
    with pytest.raises(ValidationError):
        make_project(roles=[{"name": "-bad-"}])
