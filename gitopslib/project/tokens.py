"""JWT tokens for AppProject roles: issue, verify, revoke (by removing the token's id).

A project token is an HS256 JWT with subject ``proj:<project>:<role>``, ``iat``, ``nbf``,
optional ``exp``, an ``jti`` id and issuer ``argocd``. The project records each token it issued
as ``{iat, exp, id}`` under ``spec.roles[].jwtTokens`` (and ``status.jwtTokensByRole``); a token
whose id is no longer recorded is revoked. Old tokens without an id are found by ``iat``, as
Argo CD does.

>>> from types import SimpleNamespace as NS
>>> proj = NS(metadata=NS(name="demo"), spec=NS(roles=[NS(name="ci", jwt_tokens=[])]),
...           status=None)
>>> token, record = issue_project_token("demo", "ci", "s3cret-key-of-32-bytes-or-more!!",
...                                     issued_at=1_700_000_000, token_id="t1")
>>> proj.spec.roles[0].jwt_tokens.append(NS(**record))
>>> verify_project_token(token, proj, "s3cret-key-of-32-bytes-or-more!!",
...                      now=1_700_000_100).subject
'proj:demo:ci'
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from gitopslib.errors import GitOpsError

__all__ = [
    "ProjectTokenClaims",
    "TokenError",
    "TokenExpiredError",
    "TokenRevokedError",
    "issue_project_token",
    "verify_project_token",
]

ISSUER = "argocd"
_ALGORITHM = "HS256"


class TokenError(GitOpsError):
    """A project token is not valid (bad signature, malformed, wrong project or role)."""


class TokenExpiredError(TokenError):
    """The token's ``exp`` has passed."""


class TokenRevokedError(TokenError):
    """The token's id is not (any longer) recorded on the project role."""


@dataclass(frozen=True)
class ProjectTokenClaims:
    """What a verified project token says."""

    subject: str
    project: str
    role: str
    issued_at: int
    expires_at: int | None
    id: str


def _seconds(value: int | float | datetime | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


def issue_project_token(
    project: str,
    role: str,
    secret: str | bytes,
    *,
    issued_at: int | datetime | None = None,
    expires_in: int | None = None,
    token_id: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Sign a token for ``proj:<project>:<role>``; return it and the ``{iat, exp, id}`` record
    to store in the role's ``jwtTokens`` (``exp`` is absent for tokens that never expire).

    >>> token, rec = issue_project_token("demo", "ci", "k" * 32, issued_at=100, expires_in=60,
    ...                                  token_id="abc")
    >>> rec
    {'iat': 100, 'id': 'abc', 'exp': 160}
    """
    iat = _seconds(issued_at)
    if iat is None:
        iat = int(time.time())
    tid = token_id or str(uuid.uuid4())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": f"proj:{project}:{role}",
        "iat": iat,
        "nbf": iat,
        "jti": tid,
    }
    record: dict[str, Any] = {"iat": iat, "id": tid}
    if expires_in is not None and expires_in > 0:
        claims["exp"] = iat + int(expires_in)
        record["exp"] = claims["exp"]
    return jwt.encode(claims, secret, algorithm=_ALGORITHM), record


def _recorded_tokens(project: Any, role_name: str) -> list[Any]:
    found: list[Any] = []
    for role in getattr(project.spec, "roles", None) or ():
        if role.name == role_name:
            found.extend(getattr(role, "jwt_tokens", None) or ())
    status = getattr(project, "status", None)
    by_role = getattr(status, "jwt_tokens_by_role", None) or {}
    entry = by_role.get(role_name) if isinstance(by_role, dict) else None
    if entry is not None:
        found.extend(getattr(entry, "items", None) or ())
    return found


def verify_project_token(
    token: str,
    project: Any,
    secret: str | bytes,
    *,
    now: int | float | datetime | None = None,
) -> ProjectTokenClaims:
    """Check a project token's signature, subject, expiry and revocation; return its claims.

    Raises :class:`TokenExpiredError` past ``exp``, :class:`TokenRevokedError` when the role no
    longer records the token's id (or, for id-less tokens, its ``iat``), and
    :class:`TokenError` otherwise. ``now`` defaults to the current time.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid project token: {exc}") from None
    subject = str(claims.get("sub") or "")
    parts = subject.split(":")
    pname = str(getattr(project.metadata, "name", "") or "")
    if len(parts) != 3 or parts[0] != "proj":
        raise TokenError(f"token subject {subject!r} is not of the form proj:<project>:<role>")
    if parts[1] != pname:
        raise TokenError(f"token is for project {parts[1]!r}, not {pname!r}")
    role = parts[2]
    if not any(r.name == role for r in getattr(project.spec, "roles", None) or ()):
        raise TokenError(f"role {role!r} does not exist in project {pname!r}")
    moment = _seconds(now)
    if moment is None:
        moment = int(time.time())
    exp = claims.get("exp")
    if exp is not None and moment >= int(exp):
        raise TokenExpiredError(f"token for {subject} expired at {int(exp)}")
    iat = int(claims.get("iat") or -1)
    tid = str(claims.get("jti") or claims.get("id") or "")
    recorded = _recorded_tokens(project, role)
    if tid:
        known = any(str(getattr(t, "id", "") or "") == tid for t in recorded)
    else:
        known = iat != -1 and any(getattr(t, "iat", None) == iat for t in recorded)
    if not known:
        raise TokenRevokedError(
            f"token {tid or iat} for {subject} has been revoked (not recorded on the role)"
        )
    return ProjectTokenClaims(
        subject=subject,
        project=pname,
        role=role,
        issued_at=iat,
        expires_at=None if exp is None else int(exp),
        id=tid,
    )
