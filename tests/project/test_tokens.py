"""Project role JWT tokens: issue, verify, expiry, revocation by id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest

from gitopslib.errors import PolicyError
from gitopslib.project import (
    AppProject,
    TokenError,
    TokenExpiredError,
    TokenRevokedError,
    issue_project_token,
)

MakeP = Callable[..., AppProject]
SECRET = "an-hs256-server-secret-of-enough-length"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def project_with(make_project: MakeP, tokens: list[dict[str, Any]]) -> AppProject:
    return make_project(roles=[{"name": "ci", "jwtTokens": tokens}])


def test_issued_token_claims(make_project: MakeP) -> None:
    """The token carries sub proj:<p>:<role>, iat, exp, jti and issuer argocd."""
    proj = project_with(make_project, [])
    token, record = proj.issue_token("ci", SECRET, issued_at=T0, expires_in=3600, token_id="t1")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {
        "iss": "argocd",
        "sub": "proj:demo:ci",
        "iat": T0,
        "nbf": T0,
        "exp": T0 + 3600,
        "jti": "t1",
    }
    assert record == {"iat": T0, "exp": T0 + 3600, "id": "t1"}


def test_recorded_token_verifies(make_project: MakeP) -> None:
    """A token whose id the role records is valid."""
    token, record = issue_project_token("demo", "ci", SECRET, issued_at=T0, token_id="t1")
    claims = project_with(make_project, [record]).verify_token(token, SECRET, now=T0 + 10)
    assert (claims.project, claims.role, claims.id, claims.expires_at) == ("demo", "ci", "t1", None)


def test_revoked_token(make_project: MakeP) -> None:
    """Removing the id from the role revokes the token."""
    token, _ = issue_project_token("demo", "ci", SECRET, issued_at=T0, token_id="t1")
    other = {"iat": T0, "id": "t2"}
    with pytest.raises(TokenRevokedError, match="revoked"):
        project_with(make_project, [other]).verify_token(token, SECRET, now=T0 + 10)


def test_token_recorded_in_status_is_valid(make_project: MakeP) -> None:
    """Tokens recorded under status.jwtTokensByRole count too."""
    token, record = issue_project_token("demo", "ci", SECRET, issued_at=T0, token_id="t1")
    proj = AppProject.from_dict(
        {
            **project_with(make_project, []).to_dict(),
            "status": {"jwtTokensByRole": {"ci": {"items": [record]}}},
        }
    )
    assert proj.verify_token(token, SECRET, now=T0).id == "t1"


def test_expired_token(make_project: MakeP) -> None:
    """A token past its exp is refused, even though it is recorded."""
    token, record = issue_project_token(
        "demo", "ci", SECRET, issued_at=T0, expires_in=60, token_id="t1"
    )
    proj = project_with(make_project, [record])
    assert proj.verify_token(token, SECRET, now=T0 + 59).id == "t1"
    with pytest.raises(TokenExpiredError):
        proj.verify_token(token, SECRET, now=T0 + 60)


def test_legacy_token_without_id_is_found_by_iat(make_project: MakeP) -> None:
    """An old token without jti is matched on iat, as Argo CD does."""
    token = jwt.encode({"sub": "proj:demo:ci", "iat": T0}, SECRET, algorithm="HS256")
    assert project_with(make_project, [{"iat": T0}]).verify_token(token, SECRET, now=T0).id == ""
    with pytest.raises(TokenRevokedError):
        project_with(make_project, [{"iat": T0 + 1}]).verify_token(token, SECRET, now=T0)


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"sub": "proj:other:ci", "iat": T0, "jti": "t1"}, "project 'other'"),
        ({"sub": "proj:demo:admin", "iat": T0, "jti": "t1"}, "role 'admin'"),
        ({"sub": "alice", "iat": T0, "jti": "t1"}, "not of the form"),
    ],
)
def test_token_for_wrong_subject(make_project: MakeP, claims: dict[str, Any], words: str) -> None:
    """The subject must name this project and an existing role."""
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(TokenError, match=words):
        project_with(make_project, [{"iat": T0, "id": "t1"}]).verify_token(token, SECRET, now=T0)


def test_token_with_wrong_signature(make_project: MakeP) -> None:
    """A token signed with another key is refused."""
    token, record = issue_project_token(
        "demo", "ci", "another-secret-key-of-32-bytes!!", token_id="t1"
    )
    with pytest.raises(TokenError, match="invalid project token"):
        project_with(make_project, [record]).verify_token(token, SECRET)


def test_issue_for_unknown_role(make_project: MakeP) -> None:
    """A token can only be issued for a role the project defines."""
    with pytest.raises(PolicyError, match="does not exist"):
        project_with(make_project, []).issue_token("admin", SECRET)


def test_issued_ids_are_unique(make_project: MakeP) -> None:
    """Without an explicit id each token gets a fresh one."""
    proj = project_with(make_project, [])
    ids = {proj.issue_token("ci", SECRET)[1]["id"] for _ in range(5)}
    assert len(ids) == 5
