"""The variables a trigger condition and a template see, as Argo CD builds them: ``app`` (the
Application in Argo CD's JSON shape, status included), ``context``, ``secrets``, and the helper
namespaces ``time``, ``strings``, ``sync`` and ``repo`` (``RepoURLToHTTPS``,
``FullNameByRepoURL``, ``QueryEscape``, ``GetCommitMetadata``, ``GetAppDetails``).

``GetCommitMetadata`` reads the commit through an injectable function (by default
:meth:`gitopslib.GitRepository.commit_info` on the app's ``spec.source.repoURL``).

>>> repo_url_to_https("git@github.com:argoproj/argo-cd.git")
'https://github.com/argoproj/argo-cd.git'
>>> full_name_by_repo_url("https://user:pw@gitlab.com/group/project.git")
'group/project'
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopslib.errors import NotificationError
from gitopslib.notifications.gotime import GoTime, time_namespace

__all__ = [
    "AppDetailsFunc",
    "CommitMetadata",
    "CommitMetadataFunc",
    "app_to_dict",
    "commit_metadata_from_git",
    "full_name_by_repo_url",
    "helper_vars",
    "repo_url_to_https",
]


@dataclass(frozen=True)
class CommitMetadata:
    """``call .repo.GetCommitMetadata sha``: Go's field names, as templates use them."""

    Message: str
    Author: str
    Date: GoTime
    Tags: list[str] = field(default_factory=list)


#: ``(repo_url, sha) -> CommitMetadata``
CommitMetadataFunc = Callable[[str, str], CommitMetadata]
#: ``(app dict) -> dict`` for ``call .repo.GetAppDetails``
AppDetailsFunc = Callable[[Mapping[str, Any]], Any]


def app_to_dict(app: Any) -> dict[str, Any]:
    """The Application as a JSON-shaped dict: a model, a dict, YAML text or a path."""
    if isinstance(app, Mapping):
        return dict(app)
    to_dict = getattr(app, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, dict):
            return result
    if isinstance(app, str | Path):
        from gitopslib.models import Application

        return Application.from_yaml(app).to_dict()
    raise NotificationError(
        f"an Application is needed (model, dict, YAML text or path), got {type(app).__name__}",
        key=None,
    )


_SCP = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?!//)(?P<path>.*)$")


def _parse_git_url(raw: str) -> urllib.parse.SplitResult:
    if "://" not in raw:
        m = _SCP.match(raw)
        if m:
            return urllib.parse.SplitResult("ssh", m.group("host"), m.group("path"), "", "")
        return urllib.parse.SplitResult("file", "", raw, "", "")
    return urllib.parse.urlsplit(raw)


def repo_url_to_https(url: Any) -> str:
    """Argo CD's ``repo.RepoURLToHTTPS``: scheme https, credentials dropped, path kept."""
    if not isinstance(url, str):
        raise ValueError("RepoURLToHTTPS needs a string")
    parts = _parse_git_url(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    path = parts.path
    if path and not path.startswith("/") and host:
        path = "/" + path
    return urllib.parse.urlunsplit(("https", host, path, parts.query, parts.fragment))


def full_name_by_repo_url(url: Any) -> str:
    """Argo CD's ``repo.FullNameByRepoURL``: ``owner/repo`` of a repository URL."""
    if not isinstance(url, str):
        raise ValueError("FullNameByRepoURL needs a string")
    path = re.sub(r"\.git$", "", _parse_git_url(url).path)
    parts = [p for p in path.split("/") if p]
    return "/".join(parts[:2]) if len(parts) >= 2 else path


def _get_info_item(app: Any, name: str) -> str:
    """``sync.GetInfoItem(app, name)``: the value of ``operation.info[name]``."""
    if not isinstance(app, Mapping):
        raise ValueError("GetInfoItem needs the app")
    for item in ((app.get("operation") or {}).get("info")) or []:
        if isinstance(item, Mapping) and item.get("name") == name:
            return str(item.get("value", ""))
    raise ValueError(f"failed to get info item {name!r}")


def commit_metadata_from_git(
    cache_dir: str | Path | None = None, credentials: Any = None
) -> CommitMetadataFunc:
    """A ``commit_metadata`` function reading commits through :class:`gitopslib.GitRepository`
    (one per repository URL, kept open), with its cache in ``cache_dir`` (default: the user
    cache) and ``credentials`` for private repositories."""
    repos: dict[str, Any] = {}

    def read(repo_url: str, sha: str) -> CommitMetadata:
        from gitopslib.git import GitRepository

        repo = repos.get(repo_url)
        if repo is None:
            repo = repos[repo_url] = GitRepository(
                repo_url, cache_dir=cache_dir, credentials=credentials
            )
        info = repo.commit_info(repo.resolve(sha))
        return CommitMetadata(
            Message=info.message, Author=info.author, Date=GoTime(info.date), Tags=list(info.tags)
        )

    return read


def default_commit_metadata(repo_url: str, sha: str) -> CommitMetadata:
    """Read commit ``sha`` of ``repo_url`` through :class:`gitopslib.GitRepository`."""
    return _DEFAULT_READER(repo_url, sha)


_DEFAULT_READER = commit_metadata_from_git()


def helper_vars(
    app: Mapping[str, Any],
    *,
    commit_metadata: CommitMetadataFunc | None = None,
    app_details: AppDetailsFunc | None = None,
    now: Callable[[], GoTime] | None = None,
) -> dict[str, Any]:
    """``time``, ``strings``, ``sync`` and ``repo`` for one app."""
    metadata = commit_metadata or default_commit_metadata

    def get_commit_metadata(sha: Any) -> CommitMetadata:
        if not isinstance(sha, str) or not sha:
            raise ValueError("GetCommitMetadata needs a commit SHA")
        spec = app.get("spec") or {}
        repo_url = (spec.get("source") or {}).get("repoURL")
        if not repo_url:
            raise ValueError("failed to get application source repo URL")
        return metadata(repo_url, sha)

    def get_app_details() -> Any:
        if app_details is None:
            raise ValueError("GetAppDetails needs a repository server; pass app_details=")
        return app_details(app)

    return {
        "time": time_namespace(now),
        "strings": {
            "ReplaceAll": lambda s, old, new: str(s).replace(old, new),
            "ToUpper": lambda s: str(s).upper(),
            "ToLower": lambda s: str(s).lower(),
        },
        "sync": {"GetInfoItem": _get_info_item},
        "repo": {
            "RepoURLToHTTPS": repo_url_to_https,
            "FullNameByRepoURL": full_name_by_repo_url,
            "QueryEscape": lambda s: urllib.parse.quote_plus(str(s)),
            "GetCommitMetadata": get_commit_metadata,
            "GetAppDetails": get_app_details,
        },
    }
