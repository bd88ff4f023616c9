"""GitRepository: a local, shared, crash-safe cache of one remote repository (dulwich).

Resolves revisions the way Argo CD's repo server does, reads files straight from the object
store, materialises read-only trees for engines that need files on disk, and writes values
back (commit on top of the remote branch, push, rebase-and-retry on a lost race).

The class is assembled here from one part per concept, each a sibling module:
:mod:`~gitopslib.git._network` (retried, masked network calls),
:mod:`~gitopslib.git._mirror` (the bare mirror: lock, fetch, object lookup),
:mod:`~gitopslib.git._resolve` (ls-remote and revision resolution),
:mod:`~gitopslib.git._read` (commit metadata, files, listings, checkouts) and
:mod:`~gitopslib.git._writeback` (``commit_change``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

from dulwich.objects import Commit, Tree
from dulwich.repo import Repo

from gitopslib.git import _cache
from gitopslib.git._credentials import Credentials
from gitopslib.git._read import CommitInfo, GitPathNotFoundError, TreeEntry, _Reading
from gitopslib.git._read import _clean_path as _clean_path
from gitopslib.git._resolve import _Resolution
from gitopslib.git._transport import Remote, parse_remote
from gitopslib.git._writeback import CommitResult, _WriteBack
from gitopslib.observe import GitRecorder

__all__ = ["CommitInfo", "CommitResult", "GitPathNotFoundError", "GitRepository", "TreeEntry"]


class GitRepository(_Resolution, _Reading, _WriteBack):
    """One remote repository behind a local bare-mirror cache.

    ``url`` may be https/http (credentials in the URL or in ``credentials``), ssh (``ssh://``
    or scp-style ``git@host:path``), ``git://``, ``file://`` or a plain local path. Network
    operations time out after ``timeout`` seconds and transient failures are retried
    ``retries`` times in all with exponential backoff starting at ``backoff`` seconds.
    ``keep_trees`` bounds the materialised checkouts kept on disk. With ``refs_ttl`` > 0,
    :meth:`resolve` reuses the remote's ref list for that many seconds (Argo CD caches it for
    3 minutes); :meth:`ls_remote` always asks the server. ``metrics`` (a
    :class:`~gitopslib.observe.GitRecorder` such as ``GitOpsMetrics``) counts and times every
    ls-remote and fetch (``argocd_git_request_total``, ``argocd_git_request_duration_seconds``).

    >>> import subprocess, tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "src"
    >>> _ = subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    >>> _ = (src / "a.txt").write_text("hi\\n")
    >>> _ = subprocess.run(["git", "-C", str(src), "add", "."], check=True)
    >>> _ = subprocess.run(["git", "-C", str(src), "-c", "user.name=t", "-c", "user.email=t@t",
    ...                     "commit", "-qm", "init"], check=True)
    >>> repo = GitRepository(str(src), cache_dir=tempfile.mkdtemp())
    >>> repo.read_file(repo.resolve("main"), "a.txt")
    b'hi\\n'
    """

    def __init__(
        self,
        url: str,
        cache_dir: str | os.PathLike[str] | None = None,
        credentials: Credentials | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 1.0,
        keep_trees: int = 16,
        lock_timeout: float = 600.0,
        refs_ttl: float = 0.0,
        metrics: GitRecorder | None = None,
    ) -> None:
        self._remote: Remote = parse_remote(url)
        self._metrics = metrics
        self._credentials = credentials
        root = Path(cache_dir) if cache_dir is not None else _cache.default_cache_dir()
        self._dir = _cache.repo_cache_dir(root, self._remote.key)
        self._mirror_path = self._dir / "mirror.git"
        self._trees = self._dir / "trees"
        self._lock_path = self._dir / "mirror.lock"
        self._timeout = float(timeout)
        self._retries = max(1, int(retries))
        self._backoff = float(backoff)
        self._keep_trees = max(1, int(keep_trees))
        self._lock_timeout = float(lock_timeout)
        self._mutex = threading.RLock()
        self._repo: Repo | None = None
        self._refs_ttl = float(refs_ttl)
        self._refs_cache: tuple[float, dict[str, str]] | None = None
        # parsed commits and trees by object id: content-addressed, so never stale
        self._commits: dict[bytes, Commit] = {}
        self._parsed_trees: OrderedDict[bytes, Tree] = OrderedDict()

    # --- identity -----------------------------------------------------------------------

    @property
    def cache_path(self) -> Path:
        """This repository's directory in the cache."""
        return self._dir

    def close(self) -> None:
        """Release open pack files (the cache stays on disk). Also done by ``with``."""
        with self._mutex:
            if self._repo is not None:
                self._repo.close()
                self._repo = None

    def __enter__(self) -> GitRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __repr__(self) -> str:
        return f"GitRepository({self.url!r}, cache_dir={str(self._dir.parent)!r})"
