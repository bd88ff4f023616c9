"""Credential masking for every message gitopslib prints or raises.

The bottom of the layer stack (no gitopslib imports), so :mod:`gitopslib.errors` masks every
error message with it and :mod:`gitopslib.giturl` re-exports it as the public
:func:`mask_credentials`. Pure: no IO.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["MASK", "mask_credentials"]

#: What a masked secret is replaced with.
MASK = "***"

# scheme://userinfo@  (userinfo: anything but '/', whitespace, '@' up to the last '@' of the
# authority). ``git::https://`` and ``git+ssh://`` match through their last scheme.
_URL_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/\s@?#'\"<>]+(?:@[^/\s@?#'\"<>]+)*)@"
)
# scp-style ``user@host:path`` (not preceded by a scheme's ``//`` or another user-info char).
_SCP_USER = re.compile(
    r"(?<![\w/:@%.+~-])(?P<user>[^\s@/:'\"<>()\[\]]+)@(?P<host>\[[0-9A-Fa-f:.]+\]|[\w.-]+):(?!//)"
)
# ``user:password@host`` without a scheme.
_BARE_USERINFO = re.compile(
    r"(?<![\w/:@%.+~-])(?P<user>[^\s@/:'\"<>()\[\]]+):(?P<password>[^\s@/'\"<>]+)@(?=[\w\[])"
)
# The query string of a URL.
_URL_QUERY = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s?#'\"<>]*\?)(?P<query>[^\s#'\"<>]*)"
)
# ``name=value`` anywhere, for names that usually carry a credential.
_SECRET_PARAM = re.compile(
    r"(?i)(?P<name>\b[\w.-]*(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|apikey|authorization|"
    r"auth[_-]?key|signature|credential|session[_-]?id|private[_-]?key|access[_-]?key|jwt)"
    r"[\w.-]*|\b(?:auth|sig|sas))=(?P<value>[^&\s'\"#;,<>]+)"
)
_AUTH_HEADER = re.compile(
    r"(?i)\b(?P<head>(?:authorization|proxy-authorization)\s*[:=]\s*"
    r"(?:(?:bearer|basic|token|digest)\s+)?)(?P<value>[^\s'\",;]+)"
)
_BEARER = re.compile(r"(?i)\b(?P<head>bearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})")
#: Query parameters that never carry a credential (Git refs, kustomize and go-getter options).
_PLAIN_QUERY_NAMES = frozenset(
    {"ref", "version", "timeout", "submodules", "depth", "branch", "tag", "rev", "revision"}
)
#: The SSH user every Git host uses; any other SSH user may be a token and is masked.
_SSH_USERS = frozenset({"git"})
#: Passwords that say the user name is the token (``https://<token>:x-oauth-basic@github.com``).
_TOKEN_USER_PASSWORDS = frozenset({"", "x-oauth-basic", "x-oauth-token"})
_TOKEN_PREFIXES = (
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glptt-",
    "glrt-",
    "gloas-",
    "xoxb-",
    "xoxp-",
    "atbb",
    "akia",
    "sk-",
    "hf_",
    "npm_",
    "pypi-",
)


def _tokenish(name: str) -> bool:
    """Whether a user name looks like a token rather than an account name."""
    lowered = name.lower()
    has_digit = any(c.isdigit() for c in name)
    return (
        len(name) >= 20
        or lowered.startswith(_TOKEN_PREFIXES)
        or (has_digit and len(name) >= 12)
        or (has_digit and any(c.isupper() for c in name) and any(c.islower() for c in name))
    )


def _mask_userinfo(match: re.Match[str]) -> str:
    scheme = match.group("scheme")
    userinfo = match.group("userinfo")
    name, sep, password = userinfo.partition(":")
    if sep:
        if password in _TOKEN_USER_PASSWORDS or _tokenish(name):
            return f"{scheme}{MASK}:{MASK}@" if password else f"{scheme}{MASK}:@"
        return f"{scheme}{name}:{MASK}@"
    if scheme.lower().rstrip("/").removesuffix(":").endswith("ssh") and name in _SSH_USERS:
        return match.group(0)
    # A lone user name over http(s) is usually a token (https://<token>@host/...); over SSH
    # anything but the conventional `git` may be one too.
    return f"{scheme}{MASK}@"


def _mask_scp_user(match: re.Match[str]) -> str:
    user = match.group("user")
    if user in _SSH_USERS:
        return match.group(0)
    return f"{MASK}@{match.group('host')}:"


def _mask_bare_userinfo(match: re.Match[str]) -> str:
    user = match.group("user")
    if match.group("password") in _TOKEN_USER_PASSWORDS or _tokenish(user):
        return f"{MASK}:{MASK}@"
    return f"{user}:{MASK}@"


def _mask_query(match: re.Match[str]) -> str:
    parts = []
    for item in match.group("query").split("&"):
        name, sep, value = item.partition("=")
        plain = name.lower() in _PLAIN_QUERY_NAMES
        parts.append(f"{name}={value if plain or not value else MASK}" if sep else item)
    return match.group("head") + "&".join(parts)


def mask_credentials(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (a URL or any message) with credentials replaced by ``***``, in every form a
    repository URL can carry them:

    * user info: passwords in ``scheme://user:password@host`` (and the user too when it looks
      like a token or the password is GitHub's ``x-oauth-basic``), a lone http(s) user
      (usually a token), an SSH user other than ``git`` in ``ssh://`` and scp-style
      ``user@host:path`` URLs, and ``user:password@host`` without a scheme;
    * query strings: every parameter value of a URL's query except Git/kustomize options such
      as ``ref`` (``?access_token=``, ``private_token``, signed-URL signatures...);
    * ``name=value`` pairs and ``Authorization:``/``Bearer`` values anywhere in the text whose
      name says they hold a credential (``token``, ``password``, ``secret``, ``api_key``...);
    * every non-empty string in ``secrets`` (and its percent-encoded form).

    >>> mask_credentials("fetch https://ghp_abc123@github.com/o/r failed")
    'fetch https://***@github.com/o/r failed'
    >>> mask_credentials("ssh://git@host/r and key hunter2", secrets=["hunter2"])
    'ssh://git@host/r and key ***'
    >>> mask_credentials("https://h/r.git?access_token=abc&ref=v1 and tok3n@h:o/r.git")
    'https://h/r.git?access_token=***&ref=v1 and ***@h:o/r.git'
    """
    masked = _URL_USERINFO.sub(_mask_userinfo, text)
    masked = _URL_QUERY.sub(_mask_query, masked)
    masked = _SCP_USER.sub(_mask_scp_user, masked)
    masked = _BARE_USERINFO.sub(_mask_bare_userinfo, masked)
    masked = _SECRET_PARAM.sub(lambda m: f"{m.group('name')}={MASK}", masked)
    masked = _AUTH_HEADER.sub(lambda m: f"{m.group('head')}{MASK}", masked)
    masked = _BEARER.sub(lambda m: f"{m.group('head')}{MASK}", masked)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        masked = masked.replace(secret, MASK)
        encoded = quote(secret, safe="")
        if encoded != secret:
            masked = masked.replace(encoded, MASK)
    return masked
