"""Reading a commit of a GitRepository: metadata, files, listings and read-only checkouts.

Files and listings come straight from the mirror's object store; paths are confined to the
repository (absolute paths and ``..`` are refused, symlinks followed only while they stay
inside). :meth:`~gitopslib.git.GitRepository.checkout` materialises a tree once per SHA in the
shared cache for engines that need files on disk.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dulwich.objects import Blob, ObjectID, Tag, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo
from filelock import FileLock

from gitopslib.errors import GitError, PathEscapeError, RevisionNotFoundError
from gitopslib.git import _cache
from gitopslib.git._mirror import _Mirror
from gitopslib.giturl import is_commit_sha

__all__ = ["CommitInfo", "GitPathNotFoundError", "TreeEntry"]

log = logging.getLogger("gitopslib.git")

_MAX_SYMLINK_HOPS = 40


class GitPathNotFoundError(GitError, FileNotFoundError):
    """A path that does not exist in the given commit (``path``, ``revision``, ``url``)."""


@dataclass(frozen=True)
class TreeEntry:
    """One entry of :meth:`GitRepository.list_tree`.

    ``kind`` is ``"file"``, ``"dir"``, ``"symlink"`` or ``"submodule"``; ``path`` is relative
    to the repository root, with ``/`` separators.
    """

    path: str
    name: str
    kind: str
    mode: int
    sha: str


@dataclass(frozen=True)
class CommitInfo:
    """What a commit says about itself: ``author`` as ``Name <email>``, ``date`` (the author
    date, aware), the full ``message`` and the ``tags`` that point at it (sorted)."""

    sha: str
    message: str
    author: str
    date: datetime.datetime
    tags: tuple[str, ...] = ()


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    if mode == 0o160000:
        return "submodule"
    return "file"


def _clean_path(path: str, *, url: str) -> list[str]:
    """Split a repository-relative path; refuse absolute paths and ``..``."""
    if "\x00" in path or "\\" in path:
        raise PathEscapeError(f"invalid path {path!r} in {url}", file=path)
    if path.startswith("/"):
        raise PathEscapeError(f"absolute path {path!r} is not allowed in {url}", file=path)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PathEscapeError(f"path {path!r} leaves the repository root of {url}", file=path)
    return parts


class _Reading(_Mirror):
    """Commit metadata, files, listings and checkouts of :class:`~gitopslib.git.GitRepository`."""

    _trees: Path
    _keep_trees: int

    # --- reading ------------------------------------------------------------------------

    def commit_info(self, sha: str) -> CommitInfo:
        """Message, author, date and tags of commit ``sha`` (Argo CD's ``GetCommitMetadata``)."""
        repo, commit = self._commit(sha)
        tz = datetime.timezone(datetime.timedelta(seconds=commit.author_timezone))
        date = datetime.datetime.fromtimestamp(commit.author_time, tz)
        key = sha.lower().encode("ascii")
        tags: list[str] = []
        with self._mutex:
            for ref in repo.refs.keys(base=Ref(b"refs/tags/")):
                full = Ref(b"refs/tags/" + ref)
                try:
                    peeled = repo.refs.get_peeled(full) or repo.refs[full]
                    obj = repo.object_store[peeled]
                    while isinstance(obj, Tag):
                        obj = repo.object_store[obj.object[1]]
                except KeyError:
                    continue
                if obj.id == key:
                    tags.append(ref.decode("utf-8", "replace"))
        return CommitInfo(
            sha=sha.lower(),
            message=commit.message.decode("utf-8", "replace"),
            author=commit.author.decode("utf-8", "replace"),
            date=date,
            tags=tuple(sorted(tags)),
        )

    def _walk(
        self, repo: Repo, root: bytes, parts: list[str], *, follow_last: bool, path: str, sha: str
    ) -> tuple[int, bytes]:
        """(mode, sha) of ``parts`` under tree ``root``, following in-tree symlinks."""
        store = repo.object_store
        mode, current = stat.S_IFDIR, root
        stack = list(reversed(parts))
        done: list[str] = []
        hops = 0
        while stack:
            name = stack.pop()
            if name in ("", "."):
                continue
            if name == "..":
                if not done:
                    raise PathEscapeError(
                        f"path {path!r} leaves the repository root of {self.url}", file=path
                    )
                done.pop()
                mode, current = self._walk(repo, root, done, follow_last=True, path=path, sha=sha)
                continue
            if not stat.S_ISDIR(mode):
                raise self._not_found(path, sha)
            tree = self._tree(store, current)
            try:
                mode, current = tree[name.encode("utf-8", "surrogateescape")]
            except KeyError:
                raise self._not_found(path, sha) from None
            if stat.S_ISLNK(mode) and (stack or follow_last):
                hops += 1
                if hops > _MAX_SYMLINK_HOPS:
                    raise self._error(GitError, f"too many symlinks resolving {path!r}")
                blob = store[ObjectID(current)]
                assert isinstance(blob, Blob)
                target = blob.as_raw_string().decode("utf-8", "surrogateescape")
                if target.startswith("/"):
                    raise PathEscapeError(
                        f"symlink {'/'.join([*done, name])!r} in {self.url} points outside "
                        f"the repository ({target!r})",
                        file=path,
                    )
                stack.extend(reversed(target.split("/")))
                mode, current = self._walk(repo, root, done, follow_last=True, path=path, sha=sha)
                continue
            done.append(name)
        return mode, current

    def _not_found(self, path: str, sha: str) -> GitError:
        return self._error(
            GitPathNotFoundError, f"{path!r} not found at {sha} in {self.url}", path=path,
            revision=sha,
        )  # fmt: skip

    def read_file(self, sha: str, path: str) -> bytes:
        """The bytes of ``path`` at commit ``sha``, straight from the object store.

        ``path`` is relative to the repository root; absolute paths and ``..`` are refused
        with :class:`~gitopslib.errors.PathEscapeError`; symlinks are followed only while they
        stay inside the repository.
        """
        parts = _clean_path(path, url=self.url)
        repo, commit = self._commit(sha)
        with self._mutex:
            mode, obj_sha = self._walk(
                repo, commit.tree, parts, follow_last=True, path=path, sha=sha
            )
            if not stat.S_ISREG(mode):
                raise self._error(
                    GitPathNotFoundError, f"{path!r} at {sha} in {self.url} is not a file",
                    path=path, revision=sha,
                )  # fmt: skip
            blob = repo.object_store[ObjectID(obj_sha)]
            assert isinstance(blob, Blob)
            return blob.as_raw_string()

    def path_sha(self, sha: str, path: str = "") -> str | None:
        """The object id of ``path`` at commit ``sha`` (a tree for a directory, a blob for a
        file), or None when nothing is there. Content-addressed: it changes exactly when
        something under ``path`` changes, which makes it a cache key for whatever is rendered
        from that path alone. ``""`` is the root tree.
        """
        parts = _clean_path(path, url=self.url)
        repo, commit = self._commit(sha)
        with self._mutex:
            try:
                _mode, obj_sha = self._walk(
                    repo, commit.tree, parts, follow_last=False, path=path, sha=sha
                )
            except GitPathNotFoundError:
                return None
        return obj_sha.decode("ascii")

    def list_tree(self, sha: str, path: str = "", *, recursive: bool = False) -> list[TreeEntry]:
        """Entries of directory ``path`` at commit ``sha`` (sorted by path).

        With ``recursive`` every file below ``path`` is listed (directories are descended,
        not listed). Symlinks are listed as such, never followed.
        """
        parts = _clean_path(path, url=self.url)
        repo, commit = self._commit(sha)
        out: list[TreeEntry] = []
        with self._mutex:
            mode, tree_sha = self._walk(
                repo, commit.tree, parts, follow_last=True, path=path, sha=sha
            )
            if not stat.S_ISDIR(mode):
                raise self._error(
                    GitPathNotFoundError, f"{path!r} at {sha} in {self.url} is not a directory",
                    path=path, revision=sha,
                )  # fmt: skip
            stack = [("/".join(parts), tree_sha)]
            while stack:
                prefix, current = stack.pop()
                tree = repo.object_store[ObjectID(current)]
                assert isinstance(tree, Tree)
                for entry in tree.iteritems():
                    name = entry.path.decode("utf-8", "surrogateescape")
                    full = posixpath.join(prefix, name) if prefix else name
                    kind = _kind_of(entry.mode)
                    if recursive and kind == "dir":
                        stack.append((full, entry.sha))
                        continue
                    out.append(TreeEntry(full, name, kind, entry.mode, entry.sha.decode()))
        return sorted(out, key=lambda e: e.path)

    # --- checkouts ----------------------------------------------------------------------

    @contextlib.contextmanager
    def checkout(self, sha: str) -> Iterator[Path]:
        """A read-only directory holding the tree of commit ``sha``.

        Materialised once per SHA and reused by every later call (in this or another process
        sharing the cache); the least recently used trees beyond ``keep_trees`` are pruned,
        never while a ``with`` block still uses them. Symlinks are kept as symlinks: readers
        must confine paths to the root (``gitopslib.sources.confined_path``).
        """
        sha = sha.lower()
        if not is_commit_sha(sha):
            raise self._error(
                RevisionNotFoundError,
                f"{sha!r} is not a full commit SHA in {self.url}; call resolve() first",
                revision=sha,
            )
        target = self._trees / sha
        with _cache.tree_in_use(self._trees / f"{sha}.use"):
            if not target.is_dir():
                self._build_tree(sha, target)
            yield target
        _cache.prune_trees(self._trees, self._keep_trees, protect=sha)

    def _build_tree(self, sha: str, target: Path) -> None:
        build_lock = FileLock(str(self._trees / f"{sha}.build"), timeout=self._lock_timeout)
        with build_lock:
            if target.is_dir():
                return
            repo, commit = self._commit(sha)
            tmp = _cache.new_temp_dir(self._trees, f"build-{sha[:12]}")
            try:
                with self._mutex:
                    count = _cache.materialize_tree(repo.object_store, commit.tree, tmp)
                tmp.rename(target)
            except BaseException:
                _cache.remove_tree(tmp)
                raise
            log.debug("materialised %s files of %s at %s", count, self.url, sha)
        with contextlib.suppress(FileNotFoundError):
            (self._trees / f"{sha}.build").unlink()
