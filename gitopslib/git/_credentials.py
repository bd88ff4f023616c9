"""Credentials for Git remotes, and Argo CD's declarative repository Secrets turned into them.

Credential objects never show their secrets: ``repr()`` masks them, and every error raised
by :mod:`gitopslib.git` passes through :func:`gitopslib.giturl.mask_credentials` with the
credential's secret values.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitopslib.errors import GitError
from gitopslib.giturl import MASK, mask_credentials, normalize_git_url, same_url

__all__ = [
    "REPOSITORY_SECRET_TYPE",
    "REPO_CREDS_SECRET_TYPE",
    "SECRET_TYPE_LABEL",
    "Credentials",
    "HTTPSCredentials",
    "SSHCredentials",
    "credentials_from_secrets",
]

#: The label Argo CD reads to find declarative repository Secrets.
SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"  # noqa: S105 (a label, not a secret)
#: Label value of a Secret that describes one repository.
REPOSITORY_SECRET_TYPE = "repository"  # noqa: S105
#: Label value of a credential template matched by URL prefix.
REPO_CREDS_SECRET_TYPE = "repo-creds"  # noqa: S105
#: A user name without a password at least this long is taken for a token.
_MIN_USER_TOKEN = 6


class Credentials:
    """Base of every credential kind; ``secrets()`` lists the values that must never leak."""

    def secrets(self) -> tuple[str, ...]:
        """The secret strings of this credential (masked from every message)."""
        return ()


@dataclass(frozen=True, repr=False)
class HTTPSCredentials(Credentials):
    """A user name and password (or token) for http(s) remotes.

    >>> creds = HTTPSCredentials("bot", "ghp_secret")
    >>> creds
    HTTPSCredentials(username='bot', password='***')
    >>> HTTPSCredentials.token("ghp_secret").username
    'x-access-token'
    """

    username: str = ""
    password: str = field(default="")

    @classmethod
    def token(cls, token: str, username: str = "x-access-token") -> HTTPSCredentials:
        """Credentials for a token (GitHub, GitLab and Bitbucket accept any user name)."""
        return cls(username=username, password=token)

    def secrets(self) -> tuple[str, ...]:
        """The password (or token), and the Basic ``Authorization`` value it is sent as (a
        server or proxy may echo it back). Without a password a user name of 6 characters or
        more is the token (``https://<token>@host/...``) and is secret too."""
        if self.password:
            secret = self.password
        elif len(self.username) >= _MIN_USER_TOKEN:
            secret = self.username
        else:
            return ()
        basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return (secret, basic)

    def __repr__(self) -> str:
        shown = MASK if self.password else ""
        user = MASK if not self.password and len(self.username) >= _MIN_USER_TOKEN else None
        return f"HTTPSCredentials(username={user or self.username!r}, password={shown!r})"


@dataclass(frozen=True, repr=False)
class SSHCredentials(Credentials):
    """An SSH private key (PEM/OpenSSH text) and the ``known_hosts`` lines to trust.

    Without ``known_hosts`` the connection is refused unless ``insecure_ignore_host_key`` is
    set explicitly. SSH runs through dulwich's SSH vendor (the system ``ssh`` client, with
    ``BatchMode``, our own known-hosts file and no agent or user config).

    >>> SSHCredentials("-----BEGIN OPENSSH PRIVATE KEY-----...", known_hosts="h ssh-ed25519 A")
    SSHCredentials(private_key='***', known_hosts='h ssh-ed25519 A', insecure_ignore_host_key=False)
    """

    private_key: str = ""
    known_hosts: str | None = None
    insecure_ignore_host_key: bool = False
    username: str | None = None

    def secrets(self) -> tuple[str, ...]:
        """The private key text (and each of its lines, so a partial echo is masked too)."""
        if not self.private_key:
            return ()
        lines = [ln.strip() for ln in self.private_key.splitlines()]
        body = [ln for ln in lines if len(ln) >= 16 and not ln.startswith("-----")]
        return (self.private_key, *body)

    def __repr__(self) -> str:
        key = MASK if self.private_key else ""
        return (
            f"SSHCredentials(private_key={key!r}, known_hosts={self.known_hosts!r}, "
            f"insecure_ignore_host_key={self.insecure_ignore_host_key!r})"
        )


# --- Argo CD declarative Secrets --------------------------------------------------------------


def _secret_data(secret: Mapping[str, Any]) -> dict[str, str]:
    """``data`` (base64) merged with ``stringData`` (plain; wins, as the API server does)."""
    name = (secret.get("metadata") or {}).get("name", "<unnamed>")
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise GitError(
                f"Secret {name!r}: data.{key} is not valid base64-encoded UTF-8", url=None
            ) from None
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = "" if value is None else str(value)
    return out


def _secret_type(secret: Mapping[str, Any]) -> str | None:
    labels = (secret.get("metadata") or {}).get("labels") or {}
    value = labels.get(SECRET_TYPE_LABEL)
    return str(value) if value is not None else None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _to_credentials(data: Mapping[str, str]) -> Credentials | None:
    key = data.get("sshPrivateKey", "")
    if key:
        return SSHCredentials(
            private_key=key,
            insecure_ignore_host_key=_truthy(data.get("insecure")),
        )
    username = data.get("username", "")
    password = data.get("password", "") or data.get("bearerToken", "")
    if username or password:
        return HTTPSCredentials(username=username, password=password)
    return None


def credentials_from_secrets(
    secrets: Iterable[Mapping[str, Any]], url: str, *, known_hosts: str | None = None
) -> Credentials | None:
    """The credentials Argo CD would use for ``url``, from its declarative Secrets.

    A Secret labelled ``argocd.argoproj.io/secret-type: repository`` whose ``url`` is the same
    repository (normalised comparison) supplies credentials first; if it has none (or there is
    no such Secret), the ``repo-creds`` template whose normalised ``url`` is the longest
    prefix of the normalised repository URL supplies them. Keys read: ``username``,
    ``password``, ``bearerToken``, ``sshPrivateKey``, ``insecure``; ``data`` is base64,
    ``stringData`` plain. ``known_hosts`` (the ``ssh_known_hosts`` of argocd-ssh-known-hosts-cm)
    is attached to SSH credentials. Returns None when nothing matches.

    >>> secret = {"metadata": {"name": "creds", "labels": {SECRET_TYPE_LABEL: "repo-creds"}},
    ...           "stringData": {"url": "https://github.com/org", "password": "t0ken"}}
    >>> credentials_from_secrets([secret], "https://github.com/org/app.git")
    HTTPSCredentials(username='', password='***')
    """
    items = list(secrets)
    found: Credentials | None = None
    for secret in items:
        if _secret_type(secret) != REPOSITORY_SECRET_TYPE:
            continue
        data = _secret_data(secret)
        if data.get("url") and same_url(data["url"], url):
            found = _to_credentials(data)
            break
    if found is None:
        # Argo CD: the longest normalised prefix wins; the first of equal length is kept.
        target = normalize_git_url(url)
        best_len = 0
        best: dict[str, str] | None = None
        for secret in items:
            if _secret_type(secret) != REPO_CREDS_SECRET_TYPE:
                continue
            data = _secret_data(secret)
            prefix = normalize_git_url(data.get("url", ""))
            if target.startswith(prefix) and len(prefix) > best_len:
                best_len, best = len(prefix), data
        if best is not None:
            found = _to_credentials(best)
    if isinstance(found, SSHCredentials) and known_hosts is not None:
        found = SSHCredentials(
            private_key=found.private_key,
            known_hosts=known_hosts,
            insecure_ignore_host_key=found.insecure_ignore_host_key,
            username=found.username,
        )
    return found


def masker(credentials: Credentials | None) -> tuple[str, ...]:
    """Secret strings to mask for ``credentials`` (internal helper)."""
    return credentials.secrets() if credentials is not None else ()


def mask(text: str, credentials: Credentials | None) -> str:
    """``text`` with URL user-info and every secret of ``credentials`` masked."""
    return mask_credentials(text, masker(credentials))
