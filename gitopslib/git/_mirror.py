"""The local bare mirror of a GitRepository: its lock, fetching into it, objects out of it.

The mirror lives in the shared cache; a file lock serialises fetches across processes and a
mutex guards the pack cache within one. Commits are fetched on demand, and parsed commits and
trees are kept by object id (content-addressed, so never stale).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path

from dulwich.client import GitClient
from dulwich.object_store import BaseObjectStore
from dulwich.objects import Commit, ObjectID, ShaFile, Tag, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo
from filelock import FileLock
from filelock import Timeout as LockTimeout

from gitopslib.errors import GitError, RevisionNotFoundError
from gitopslib.git import _cache
from gitopslib.git._network import _Network
from gitopslib.giturl import is_commit_sha


class _Mirror(_Network):
    """The mirror cache of :class:`~gitopslib.git.GitRepository`: fetch and object lookup."""

    _dir: Path
    _mirror_path: Path
    _lock_path: Path
    _lock_timeout: float
    _mutex: threading.RLock
    _repo: Repo | None
    _commits: dict[bytes, Commit]
    _parsed_trees: OrderedDict[bytes, Tree]

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
