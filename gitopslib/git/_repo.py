"""GitRepository: a local, shared, crash-safe cache of one remote repository (dulwich).

Resolves revisions the way Argo CD's repo server does, reads files straight from the object
store, materialises read-only trees for engines that need files on disk, and writes values
back (commit on top of the remote branch, push, rebase-and-retry on a lost race).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import posixpath
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dulwich.client import GitClient, HTTPUnauthorized
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.object_store import BaseObjectStore, commit_tree_changes
from dulwich.objects import Blob, Commit, ObjectID, ShaFile, Tag, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo
from filelock import FileLock
from filelock import Timeout as LockTimeout
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from gitopslib.errors import GitAuthError, GitError, PathEscapeError, RevisionNotFoundError
from gitopslib.git import _cache
from gitopslib.git._credentials import Credentials, mask
from gitopslib.git._semver import max_version
from gitopslib.git._transport import Remote, open_client, parse_remote
from gitopslib.giturl import is_commit_sha, is_truncated_commit_sha
from gitopslib.observe import GitRecorder

__all__ = ["CommitInfo", "CommitResult", "GitPathNotFoundError", "GitRepository", "TreeEntry"]

log = logging.getLogger("gitopslib.git")

T = TypeVar("T")

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


@dataclass(frozen=True)
class CommitResult:
    """What :meth:`GitRepository.commit_change` did.

    ``sha`` is the commit now at the branch tip (the parent itself when nothing changed),
    ``parent`` the tip it was built on, ``attempts`` how many pushes it took, ``changed``
    whether a commit was made.
    """

    sha: str
    parent: str
    branch: str
    attempts: int
    changed: bool


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    if mode == 0o160000:
        return "submodule"
    return "file"


def _peel(store: BaseObjectStore, sha: bytes) -> bytes:
    """The object a (chain of) tag(s) points at; ``sha`` itself for anything else."""
    obj = store[ObjectID(sha)]
    hops = 0
    while isinstance(obj, Tag) and hops < 64:
        obj = store[obj.object[1]]
        hops += 1
    return bytes(obj.id)


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


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, HTTPUnauthorized | NotGitRepository):
        return False
    if isinstance(exc, FileNotFoundError | PermissionError | NotADirectoryError):
        return False
    if isinstance(exc, HangupException):
        return True
    if isinstance(exc, GitProtocolError):
        text = str(exc)
        return "unexpected http resp 5" in text or "timed out" in text or "reset" in text
    return isinstance(exc, OSError)


class GitRepository:
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
    def url(self) -> str:
        """The repository URL with credentials masked."""
        return self._remote.display

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

    def _mask(self, text: str) -> str:
        secrets = self._remote.embedded.secrets() if self._remote.embedded else ()
        masked = mask(text, self._credentials)
        for s in secrets:
            masked = masked.replace(s, "***")
        return masked

    def _error(self, cls: type[GitError], message: str, **attrs: object) -> GitError:
        return cls(self._mask(message), url=self.url, **attrs)

    # --- network ------------------------------------------------------------------------

    def _network(self, what: str, fn: Callable[[GitClient, str], T]) -> T:
        if self._metrics is None or what not in ("ls-remote", "fetch"):
            return self._network_call(what, fn)
        started = time.monotonic()
        failed = True
        try:
            result = self._network_call(what, fn)
            failed = False
            return result
        finally:
            try:
                self._metrics.record_git_request(
                    self.url, what, time.monotonic() - started, failed=failed
                )
            except Exception:  # an observer never stops an operation (observe.py)
                log.warning("git metrics recorder failed", exc_info=True)

    def _network_call(self, what: str, fn: Callable[[GitClient, str], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self._retries) | stop_after_delay(self._timeout * 2),
            wait=wait_exponential(multiplier=self._backoff, max=max(self._backoff * 8, 0.001)),
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        tries = 0
        try:
            for attempt in retrying:
                tries += 1
                with (
                    attempt,
                    open_client(self._remote, self._credentials, self._timeout) as (
                        client,
                        path,
                    ),
                ):
                    return fn(client, path)
        except GitError as exc:
            raise self._error(type(exc), str(exc)) from None
        except HTTPUnauthorized:
            raise self._error(
                GitAuthError, f"{what} {self.url}: the server refused the credentials"
            ) from None
        except NotGitRepository:
            raise self._error(GitError, f"{what} {self.url}: not a Git repository") from None
        except (OSError, GitProtocolError, ValueError) as exc:
            # ValueError: dulwich could not parse the server's answer (an HTML login page, a
            # proxy's error); its message quotes that answer, which is masked like the rest.
            detail = str(exc) or type(exc).__name__
            raise self._error(
                GitError,
                f"{what} {self.url} failed after {tries} attempt(s): {detail}",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def ls_remote(self) -> dict[str, str]:
        """The remote's refs as ``{name: sha}``, without fetching objects.

        Includes ``HEAD`` (resolved through its target) and, for annotated tags, the peeled
        commit under ``refs/tags/<name>^{}`` as ``git ls-remote`` prints it. Cheap: what a
        poller calls every few minutes to see whether anything changed.
        """

        def call(client: GitClient, path: str) -> dict[str, str]:
            result = client.get_refs(path.encode("utf-8") if isinstance(path, str) else path)
            refs: dict[str, str] = {}
            for name, sha in result.refs.items():
                if sha is not None:
                    refs[name.decode("utf-8", "replace")] = sha.decode("ascii")
            for name, target in result.symrefs.items():
                tgt = refs.get(target.decode("utf-8", "replace"))
                if tgt is not None:
                    refs[name.decode("utf-8", "replace")] = tgt
            return refs

        refs = self._network("ls-remote", call)
        if self._remote.kind == "local":
            refs = self._add_peeled_local(refs)
        return refs

    def _add_peeled_local(self, refs: dict[str, str]) -> dict[str, str]:
        # The local transport does not advertise peeled tags; add them like git ls-remote.
        try:
            source = Repo(self._remote.path)
        except NotGitRepository:
            return refs
        with contextlib.closing(source):
            for name, sha in list(refs.items()):
                if name.startswith("refs/tags/") and not name.endswith("^{}"):
                    peeled = _peel(source.object_store, sha.encode("ascii"))
                    if peeled != sha.encode("ascii"):
                        refs[name + "^{}"] = peeled.decode("ascii")
        return refs

    # --- resolution ---------------------------------------------------------------------

    def resolve(self, revision: str = "HEAD") -> str:
        """The full 40-hex commit SHA ``revision`` means, following Argo CD.

        A 40-hex SHA must name a commit the repository has: found in the local mirror it is
        returned without network, else after one fetch (a SHA nobody has raises, where Argo
        CD would fail only at checkout); ``""`` means ``HEAD``; a
        semver constraint (``1.2.*``, ``~1.2``) becomes the highest matching tag; then full ref
        names (``refs/heads/x``) and short branch or tag names are matched against the remote's
        refs (annotated tags peeled to their commit); an abbreviated SHA (7+ hex) is expanded
        from the local mirror (fetching first if needed). Anything else raises
        :class:`RevisionNotFoundError` naming the revision and the (masked) URL.
        """
        rev = revision.strip() if revision else ""
        if is_commit_sha(rev):
            full = self._expand_short_sha(rev)
            if full is None:
                raise self._error(
                    RevisionNotFoundError,
                    f"commit {rev!r} does not exist in {self.url}",
                    revision=revision,
                )
            return full
        if rev == "":
            rev = "HEAD"
        refs = self._refs()
        tags = [
            n[len("refs/tags/") :]
            for n in refs
            if n.startswith("refs/tags/") and not n.endswith("^{}")
        ]
        semver = max_version(rev, tags)
        if semver is not None:
            # Argo CD looks the semver result up among tags first (a tag beats a branch of
            # the same name); when no such tag exists the revision falls through unchanged.
            tag_ref = f"refs/tags/{semver}"
            if tag_ref in refs:
                return refs.get(tag_ref + "^{}", refs[tag_ref])
        found = self._match_ref(rev, refs)
        if found is not None:
            return found
        if is_truncated_commit_sha(rev):
            full = self._expand_short_sha(rev)
            if full is not None:
                return full
        raise self._error(
            RevisionNotFoundError,
            f"unable to resolve {revision!r} to a commit SHA in {self.url}",
            revision=revision,
        )

    def _refs(self) -> dict[str, str]:
        now = time.monotonic()
        with self._mutex:
            cached = self._refs_cache
        if cached is not None and now - cached[0] < self._refs_ttl:
            return cached[1]
        refs = self.ls_remote()
        if self._refs_ttl > 0:
            with self._mutex:
                self._refs_cache = (now, refs)
        return refs

    @staticmethod
    def _match_ref(rev: str, refs: Mapping[str, str]) -> str | None:
        names = sorted(n for n in refs if not n.endswith("^{}") and n != "HEAD")
        order = (["HEAD"] if "HEAD" in refs else []) + names
        short = not rev.startswith("refs/")
        for name in order:
            short_name = name
            for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/", "refs/"):
                if name.startswith(prefix):
                    short_name = name[len(prefix) :]
                    break
            if name == rev or (short and short_name == rev):
                return refs.get(name + "^{}", refs[name])
        return None

    def _expand_short_sha(self, prefix: str) -> str | None:
        found = self._find_prefix(prefix)
        if found is None:
            self.fetch()
            found = self._find_prefix(prefix)
        return found

    def _find_prefix(self, prefix: str) -> str | None:
        repo = self._open_mirror()
        if repo is None:
            return None
        with self._mutex:
            matches = set()
            store = repo.object_store
            for sha in store.iter_prefix(prefix.lower().encode("ascii")):
                peeled = _peel(store, sha)
                if isinstance(store[ObjectID(peeled)], Commit):
                    matches.add(peeled.decode("ascii"))
        if len(matches) > 1:
            raise self._error(
                RevisionNotFoundError,
                f"abbreviated SHA {prefix!r} is ambiguous in {self.url} "
                f"({len(matches)} commits match)",
                revision=prefix,
            )
        return next(iter(matches), None)

    # --- mirror -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self._lock_path), timeout=self._lock_timeout)
        try:
            with lock:
                yield
        except LockTimeout:
            raise self._error(
                GitError, f"timed out waiting for the cache lock of {self.url}"
            ) from None

    def _open_mirror(self) -> Repo | None:
        with self._mutex:
            if self._repo is None:
                if not (self._mirror_path / "objects").is_dir():
                    return None
                self._repo = Repo(str(self._mirror_path))
            return self._repo

    def _ensure_mirror(self) -> Repo:
        repo = self._open_mirror()
        if repo is not None:
            return repo
        tmp = _cache.new_temp_dir(self._dir, "mirror-init")
        tmp.mkdir()
        Repo.init_bare(str(tmp)).close()
        try:
            tmp.rename(self._mirror_path)
        except OSError:
            _cache.remove_tree(tmp)
        repo = self._open_mirror()
        assert repo is not None
        return repo

    def fetch(self) -> dict[str, str]:
        """Fetch every branch and tag into the mirror; returns the remote's refs."""
        with self._locked():
            return self._fetch_locked()

    def _fetch_locked(self) -> dict[str, str]:
        repo = self._ensure_mirror()

        def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
            out: list[ObjectID] = []
            with self._mutex:
                for name, sha in refs.items():
                    if sha is None or name.endswith(b"^{}"):
                        continue
                    interesting = name == b"HEAD" or name.startswith(
                        (b"refs/heads/", b"refs/tags/")
                    )
                    if interesting and sha not in repo.object_store and sha not in out:
                        out.append(sha)
            return out

        def call(client: GitClient, path: str) -> dict[bytes, bytes]:
            with self._mutex:  # no reader of this instance sees the pack cache mid-update
                result = client.fetch(path, repo, determine_wants=wants)
            refs: dict[bytes, bytes] = {k: v for k, v in result.refs.items() if v is not None}
            for name, target in result.symrefs.items():
                if target in refs:
                    refs[name] = refs[target]
            if b"HEAD" in result.symrefs:
                refs[b"__HEAD_TARGET__"] = result.symrefs[Ref(b"HEAD")]
            return refs

        remote_refs = self._network("fetch", call)
        head_target = remote_refs.pop(b"__HEAD_TARGET__", None)
        with self._mutex:
            wanted = {
                k: v
                for k, v in remote_refs.items()
                if k.startswith((b"refs/heads/", b"refs/tags/")) and not k.endswith(b"^{}")
            }
            for name in list(repo.refs.keys()):
                if name.startswith((b"refs/heads/", b"refs/tags/")) and name not in wanted:
                    repo.refs.remove_if_equals(name, None)
            current = repo.refs.as_dict()
            for ref_name, sha in wanted.items():
                if ObjectID(sha) in repo.object_store and current.get(Ref(ref_name)) != sha:
                    repo.refs.set_if_equals(Ref(ref_name), None, ObjectID(sha))
            if head_target is not None and head_target in wanted:
                repo.refs.set_symbolic_ref(Ref(b"HEAD"), Ref(head_target))
        return {
            k.decode("utf-8", "replace"): v.decode("ascii")
            for k, v in remote_refs.items()
            if not k.startswith(b"__")
        }

    def _has(self, sha: bytes) -> bool:
        repo = self._open_mirror()
        if repo is None:
            return False
        with self._mutex:
            return ObjectID(sha) in repo.object_store

    def _commit(self, sha: str) -> tuple[Repo, Commit]:
        """The commit object for ``sha`` (a commit or a tag pointing at one), fetching on demand."""
        if not is_commit_sha(sha):
            raise self._error(
                RevisionNotFoundError,
                f"{sha!r} is not a full commit SHA in {self.url}; call resolve() first",
                revision=sha,
            )
        key = sha.lower().encode("ascii")
        with self._mutex:
            known = self._commits.get(key)
        if known is not None and self._repo is not None:
            return self._repo, known
        if not self._has(key):
            with self._locked():
                if not self._has(key):
                    self._fetch_locked()
        repo = self._open_mirror()
        if repo is None or not self._has(key):
            raise self._error(
                RevisionNotFoundError,
                f"commit {sha} not found in {self.url}",
                revision=sha,
            )
        with self._mutex:
            obj: ShaFile = repo.object_store[ObjectID(key)]
            while isinstance(obj, Tag):
                obj = repo.object_store[obj.object[1]]
        if not isinstance(obj, Commit):
            raise self._error(
                RevisionNotFoundError,
                f"{sha} in {self.url} is a {obj.type_name.decode()}, not a commit",
                revision=sha,
            )
        with self._mutex:
            if len(self._commits) > 1024:
                self._commits.clear()
            self._commits[key] = obj
        return repo, obj

    def _tree(self, store: BaseObjectStore, sha: bytes) -> Tree:
        """The parsed tree ``sha`` (the last 512 parsed are kept: a fleet's apps share
        their parent folders, whose trees would otherwise be parsed once per app)."""
        found = self._parsed_trees.get(sha)
        if found is not None:
            self._parsed_trees.move_to_end(sha)
            return found
        tree = store[ObjectID(sha)]
        assert isinstance(tree, Tree)
        self._parsed_trees[sha] = tree
        if len(self._parsed_trees) > 512:
            self._parsed_trees.popitem(last=False)
        return tree

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

    # --- write-back ---------------------------------------------------------------------

    def commit_change(
        self,
        branch: str,
        changes: Mapping[str, str | bytes | Callable[[str | None], str | bytes | None] | None],
        message: str,
        author: str,
        *,
        committer: str | None = None,
        max_attempts: int = 5,
    ) -> CommitResult:
        """Commit ``changes`` on top of the remote ``branch`` and push, retrying lost races.

        ``changes`` maps repository paths to the new text (``str`` or ``bytes``), to ``None``
        (delete the file), or to a function that gets the current text (``None`` when the
        file does not exist) and returns the new one. On a non-fast-forward push the branch is
        re-fetched and the edits are applied again to the new tip (functions see the new
        text), up to ``max_attempts`` pushes; then :class:`~gitopslib.errors.PushRejectedError`.
        ``author`` and ``committer`` are ``"Name <email>"``. Nothing from the repository runs
        (no hooks).
        """
        from gitopslib.git._writeback import commit_with_retries

        return commit_with_retries(
            self, branch, changes, message, author, committer or author, max_attempts
        )

    # internal helpers for _writeback ------------------------------------------------------

    def _writeback_parts(self) -> tuple[Repo, threading.RLock]:
        return self._ensure_mirror(), self._mutex

    def _write_tree(
        self, repo: Repo, base_tree: bytes, changes: list[tuple[bytes, int | None, bytes | None]]
    ) -> bytes:
        typed = [(p, m, ObjectID(s) if s is not None else None) for p, m, s in changes]
        return bytes(commit_tree_changes(repo.object_store, ObjectID(base_tree), typed))

    def _timestamp(self) -> int:
        return int(time.time())
