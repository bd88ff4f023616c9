"""Write-back: commit an edit on top of the remote branch and push it, like a CI pipeline.

The commit is built in the mirror's object store (no work tree, no hooks, no index), pushed
with a compare-and-swap on the branch tip, and rebuilt on the new tip when another writer got
there first.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass
from threading import RLock

from dulwich.client import GitClient
from dulwich.object_store import BaseObjectStore, commit_tree_changes, tree_lookup_path
from dulwich.objects import Blob, Commit, ObjectID
from dulwich.pack import UnpackedObject
from dulwich.refs import Ref
from dulwich.repo import Repo

from gitopslib.errors import GitError, PushRejectedError
from gitopslib.git._mirror import _Mirror
from gitopslib.git._read import _clean_path

__all__ = ["CommitResult", "commit_with_retries"]

Change = str | bytes | Callable[[str | None], str | bytes | None] | None


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


class _WriteBack(_Mirror):
    """:meth:`commit_change` of :class:`~gitopslib.git.GitRepository` (the work is done by
    :func:`commit_with_retries` below, through the helpers here)."""

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
        return commit_with_retries(
            self, branch, changes, message, author, committer or author, max_attempts
        )

    # internal helpers for commit_with_retries ---------------------------------------------

    def _writeback_parts(self) -> tuple[Repo, RLock]:
        return self._ensure_mirror(), self._mutex

    def _write_tree(
        self, repo: Repo, base_tree: bytes, changes: list[tuple[bytes, int | None, bytes | None]]
    ) -> bytes:
        typed = [(p, m, ObjectID(s) if s is not None else None) for p, m, s in changes]
        return bytes(commit_tree_changes(repo.object_store, ObjectID(base_tree), typed))

    def _timestamp(self) -> int:
        return int(time.time())


class _Race(Exception):
    pass


def _current_text(store: BaseObjectStore, tree_sha: bytes, path: bytes) -> tuple[str | None, int]:
    try:
        mode, sha = tree_lookup_path(store.__getitem__, ObjectID(tree_sha), path)
    except KeyError:
        return None, stat.S_IFREG | 0o644
    if not stat.S_ISREG(mode):
        raise GitError(f"{path.decode()!r} is not a regular file", url=None)
    blob = store[sha]
    assert isinstance(blob, Blob)
    return blob.as_raw_string().decode("utf-8"), mode


def _push(
    repo: _WriteBack, mirror: Repo, mutex: RLock, ref: bytes, tip: bytes, new: bytes
) -> str | None:
    """Push ``new`` to ``ref`` if the remote still has ``tip``; None on success, else why not."""

    def update_refs(refs: dict[Ref, ObjectID]) -> dict[Ref, ObjectID]:
        if refs.get(Ref(ref)) != tip:
            raise _Race()
        return {Ref(ref): ObjectID(new)}

    def generate(
        have: Set[ObjectID], want: Set[ObjectID], *, ofs_delta: bool = False, **_: object
    ) -> tuple[int, Iterator[UnpackedObject]]:
        with mutex:
            count, records = mirror.object_store.generate_pack_data(have, want, ofs_delta=ofs_delta)
            return count, iter(list(records))

    def call(client: GitClient, path: str) -> str | None:
        try:
            result = client.send_pack(path.encode("utf-8"), update_refs, generate)
        except _Race:
            return "the branch moved before the push"
        return (result.ref_status or {}).get(Ref(ref))

    try:
        return repo._network("push", call)
    except GitError as exc:
        text = str(exc)
        if any(k in text for k in ("non-fast-forward", "failed to update", "stale", "lock")):
            return text
        raise


def commit_with_retries(
    repo: _WriteBack,
    branch: str,
    changes: Mapping[str, Change],
    message: str,
    author: str,
    committer: str,
    max_attempts: int,
) -> CommitResult:
    """Implementation of :meth:`GitRepository.commit_change`."""
    ref = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    ref_b = ref.encode("utf-8")
    for who in (author, committer):
        if "<" not in who or not who.rstrip().endswith(">"):
            raise GitError(f"author/committer must look like 'Name <email>', got {who!r}", url=None)
    paths = {"/".join(_clean_path(p, url=repo.url)): change for p, change in changes.items()}
    if any(not p for p in paths):
        raise GitError("commit_change needs file paths, got the repository root", url=repo.url)

    attempts = 0
    last_reason = ""
    while attempts < max(1, max_attempts):
        attempts += 1
        with repo._locked():
            remote_refs = repo._fetch_locked()
            tip_hex = remote_refs.get(ref)
            if tip_hex is None:
                raise repo._error(GitError, f"branch {branch!r} not found in {repo.url}")
            mirror, mutex = repo._writeback_parts()
            tip = tip_hex.encode("ascii")
            with mutex:
                parent = mirror.object_store[ObjectID(tip)]
                assert isinstance(parent, Commit)
                tree_changes: list[tuple[bytes, int | None, bytes | None]] = []
                for path, change in sorted(paths.items()):
                    pb = path.encode("utf-8")
                    old, mode = _current_text(mirror.object_store, parent.tree, pb)
                    new = change(old) if callable(change) else change
                    if new is None:
                        if old is not None:
                            tree_changes.append((pb, None, None))
                        continue
                    data = new.encode("utf-8") if isinstance(new, str) else bytes(new)
                    blob = Blob.from_string(data)
                    mirror.object_store.add_object(blob)
                    tree_changes.append((pb, mode, blob.id))
                new_tree = repo._write_tree(mirror, parent.tree, tree_changes)
                if new_tree == parent.tree:
                    return CommitResult(tip_hex, tip_hex, branch, attempts - 1, False)
                commit = Commit()
                commit.tree = ObjectID(new_tree)
                commit.parents = [ObjectID(tip)]
                commit.author = author.encode("utf-8")
                commit.committer = committer.encode("utf-8")
                now = repo._timestamp()
                commit.author_time = commit.commit_time = now
                commit.author_timezone = commit.commit_timezone = 0
                commit.encoding = b"UTF-8"
                commit.message = (message.rstrip("\n") + "\n").encode("utf-8")
                mirror.object_store.add_object(commit)
            reason = _push(repo, mirror, mutex, ref_b, tip, commit.id)
            if reason is None:
                with mutex:
                    mirror.refs.set_if_equals(Ref(ref_b), None, commit.id)
                return CommitResult(commit.id.decode(), tip_hex, branch, attempts, True)
            last_reason = str(reason)
        time.sleep(min(0.05 * attempts, 0.5))
    raise repo._error(
        PushRejectedError,
        f"push of {branch!r} to {repo.url} rejected {attempts} time(s): {last_reason}",
    )
