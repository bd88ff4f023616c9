"""Write-back: commit an edit on top of the remote branch and push it, like a CI pipeline.

The commit is built in the mirror's object store (no work tree, no hooks, no index), pushed
with a compare-and-swap on the branch tip, and rebuilt on the new tip when another writer got
there first.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from dulwich.client import GitClient
from dulwich.objects import Blob, Commit, Tree

from gitopslib.errors import GitError, PushRejectedError

if TYPE_CHECKING:
    from gitopslib.git._repo import CommitResult, GitRepository

__all__ = ["commit_with_retries"]

Change = str | bytes | Callable[[str | None], str | bytes | None] | None


class _Race(Exception):
    pass


def _current_text(repo_store: object, tree_sha: bytes, path: bytes) -> tuple[str | None, int]:
    from dulwich.object_store import tree_lookup_path

    store = repo_store
    try:
        mode, sha = tree_lookup_path(store.__getitem__, tree_sha, path)  # type: ignore[attr-defined]
    except KeyError:
        return None, stat.S_IFREG | 0o644
    if not stat.S_ISREG(mode):
        raise GitError(f"{path.decode()!r} is not a regular file", url=None)
    blob = store[sha]  # type: ignore[index]
    assert isinstance(blob, Blob)
    return blob.as_raw_string().decode("utf-8"), mode


def commit_with_retries(
    repo: GitRepository,
    branch: str,
    changes: Mapping[str, Change],
    message: str,
    author: str,
    committer: str,
    max_attempts: int,
) -> CommitResult:
    """Implementation of :meth:`GitRepository.commit_change`."""
    from gitopslib.git._repo import CommitResult, _clean_path

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
                parent = mirror.object_store[tip]
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
                commit.tree = new_tree
                commit.parents = [tip]
                commit.author = author.encode("utf-8")
                commit.committer = committer.encode("utf-8")
                now = repo._timestamp()
                commit.author_time = commit.commit_time = now
                commit.author_timezone = commit.commit_timezone = 0
                commit.encoding = b"UTF-8"
                commit.message = (message.rstrip("\n") + "\n").encode("utf-8")
                mirror.object_store.add_object(commit)
                new_tree_obj = mirror.object_store[new_tree]
                assert isinstance(new_tree_obj, Tree)

            def update_refs(refs: dict[bytes, bytes], tip: bytes = tip) -> dict[bytes, bytes]:
                if refs.get(ref_b) != tip:
                    raise _Race()
                return {ref_b: commit.id}

            def generate(
                have: set[bytes],
                want: set[bytes],
                *,
                ofs_delta: bool = False,
                progress: object = None,
            ) -> tuple[int, object]:
                with mutex:
                    return mirror.object_store.generate_pack_data(  # type: ignore[no-any-return]
                        have, want, ofs_delta=ofs_delta
                    )

            def push(client: GitClient, path: str) -> str | None:
                try:
                    result = client.send_pack(path.encode("utf-8"), update_refs, generate)  # type: ignore[arg-type]
                except _Race:
                    return "the branch moved"
                status = (result.ref_status or {}).get(ref_b)
                return status

            try:
                reason = repo._network("push", push)
            except GitError as exc:
                text = str(exc)
                if "non-fast-forward" in text or "failed to update" in text or "stale" in text:
                    reason = text
                else:
                    raise
            if reason is None:
                with mutex:
                    mirror.refs.set_if_equals(ref_b, None, commit.id)
                return CommitResult(commit.id.decode(), tip_hex, branch, attempts, True)
            last_reason = str(reason)
        time.sleep(min(0.05 * attempts, 0.5))
    raise repo._error(
        PushRejectedError,
        f"push of {branch!r} to {repo.url} rejected {attempts} time(s): {last_reason}",
    )
