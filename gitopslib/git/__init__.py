"""Git adapter: a local, shared cache of remote repositories on dulwich (no git binary).

:class:`GitRepository` resolves revisions like Argo CD, reads files from the object store,
materialises read-only checkouts, and writes values back (commit, push, retry). Credentials
come from :class:`HTTPSCredentials`, :class:`SSHCredentials` or Argo CD's declarative
repository Secrets (:func:`credentials_from_secrets`) and are masked in every message.
"""

from __future__ import annotations

from gitopslib.git._credentials import (
    Credentials,
    HTTPSCredentials,
    SSHCredentials,
    credentials_from_secrets,
)
from gitopslib.git._repo import (
    CommitInfo,
    CommitResult,
    GitPathNotFoundError,
    GitRepository,
    TreeEntry,
)
from gitopslib.git._semver import max_version
from gitopslib.git._transport import build_ssh_command
from gitopslib.git._yamledit import set_yaml_value

__all__ = [
    "CommitInfo",
    "CommitResult",
    "Credentials",
    "GitPathNotFoundError",
    "GitRepository",
    "HTTPSCredentials",
    "SSHCredentials",
    "TreeEntry",
    "build_ssh_command",
    "credentials_from_secrets",
    "max_version",
    "set_yaml_value",
]
