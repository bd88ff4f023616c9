"""The on-disk cache: where mirrors live, and read-only trees materialised once per commit.

Layout under the cache root (default ``<user cache dir>/gitopslib/repos``)::

    <name>-<hash>/            one directory per normalised repository URL
        mirror.git/           bare mirror (created in a temp dir, renamed into place)
        mirror.lock           held while fetching or pushing
        trees/<sha>/          read-only checkout of one commit
        trees/<sha>.use       flock'd shared by every open checkout, exclusively by the pruner
        trees/<sha>.build     held while a tree is being written

Trees are written into a temporary directory and renamed into place, so a reader never sees
a half-written tree. Pruning keeps the most recently used trees and skips any tree in use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import platformdirs
from dulwich.object_store import BaseObjectStore
from dulwich.objects import Blob, ObjectID, Tree

from gitopslib.giturl import normalize_git_url

try:  # POSIX shared/exclusive locks; elsewhere checkouts are not guarded against pruning.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["default_cache_dir", "materialize_tree", "repo_cache_dir", "tree_in_use"]

_S_IFGITLINK = 0o160000


def default_cache_dir() -> Path:
    """``<user cache dir>/gitopslib/repos`` (platformdirs)."""
    return Path(platformdirs.user_cache_dir("gitopslib")) / "repos"


def repo_cache_dir(root: Path, key: str) -> Path:
    """The cache directory of one repository, named after its normalised URL."""
    normalized = normalize_git_url(key) or key
    digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", normalized.rstrip("/").rsplit("/", 1)[-1])[:40]
    return root / f"{tail or 'repo'}-{digest}"


def _make_writable(path: Path) -> None:
    for dirpath, dirnames, _files in os.walk(path):
        os.chmod(dirpath, 0o700)  # noqa: PTH101
        for d in dirnames:
            p = Path(dirpath) / d
            if not p.is_symlink():
                p.chmod(0o700)


def remove_tree(path: Path) -> None:
    """Delete a (read-only) tree."""
    if path.exists():
        _make_writable(path)
        shutil.rmtree(path, ignore_errors=True)


def materialize_tree(store: BaseObjectStore, tree_sha: bytes, dest: Path) -> int:
    """Write tree ``tree_sha`` under ``dest`` (created), read-only; returns the file count.

    Symlinks become symlinks (never followed here); submodules become empty directories.
    """
    dest.mkdir(parents=True)
    count = 0
    dirs: list[Path] = [dest]
    stack: list[tuple[bytes, Path]] = [(tree_sha, dest)]
    while stack:
        sha, where = stack.pop()
        tree = store[ObjectID(sha)]
        assert isinstance(tree, Tree)
        for entry in tree.iteritems():
            name = entry.path.decode("utf-8", "surrogateescape")
            if name in (".", "..", ".git") or "/" in name or "\x00" in name:
                continue  # never write outside the tree or a fake git dir
            target = where / name
            mode = entry.mode
            if stat.S_ISDIR(mode):
                target.mkdir()
                dirs.append(target)
                stack.append((entry.sha, target))
            elif mode == _S_IFGITLINK:
                target.mkdir()
                dirs.append(target)
            elif stat.S_ISLNK(mode):
                blob = store[entry.sha]
                assert isinstance(blob, Blob)
                target.symlink_to(os.fsdecode(blob.as_raw_string()))
                count += 1
            else:
                blob = store[entry.sha]
                assert isinstance(blob, Blob)
                # created read-only: the open descriptor may still write, nobody else can
                perm = 0o555 if mode & 0o111 else 0o444
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, perm)
                with os.fdopen(fd, "wb") as fh:
                    for chunk in blob.chunked:
                        fh.write(chunk)
                count += 1
    for d in reversed(dirs):
        d.chmod(0o555)
    return count


@contextlib.contextmanager
def tree_in_use(use_file: Path) -> Iterator[None]:
    """Hold a shared lock on ``use_file`` (created if missing) for the body.

    Retries when the pruner replaced the file between open and lock, so the lock held is
    always on the file that currently has that name.
    """
    use_file.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(use_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                same = os.fstat(fd).st_ino == use_file.stat().st_ino
            except FileNotFoundError:
                same = False
            if not same:
                continue
            os.utime(use_file)  # last use, for LRU pruning
            yield
            return
        finally:
            os.close(fd)


def prune_trees(trees_dir: Path, keep: int, protect: str | None = None) -> list[str]:
    """Delete the least recently used trees beyond ``keep``; skips trees in use."""
    if not trees_dir.is_dir():
        return []
    entries = []
    for p in trees_dir.iterdir():
        if p.is_dir() and not p.name.startswith("."):
            use = trees_dir / f"{p.name}.use"
            try:
                last = use.stat().st_mtime
            except FileNotFoundError:
                last = p.stat().st_mtime
            entries.append((last, p.name))
    entries.sort(reverse=True)
    removed = []
    for _last, name in entries[keep:]:
        if name == protect:
            continue
        use = trees_dir / f"{name}.use"
        fd = os.open(use, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # somebody is reading it
            trash = trees_dir / f".trash-{uuid.uuid4().hex}"
            try:
                (trees_dir / name).rename(trash)
            except FileNotFoundError:
                continue
            with contextlib.suppress(FileNotFoundError):
                use.unlink()
            remove_tree(trash)
            removed.append(name)
        finally:
            os.close(fd)
    return removed


def new_temp_dir(parent: Path, prefix: str) -> Path:
    """A fresh, not yet existing, hidden path under ``parent``."""
    parent.mkdir(parents=True, exist_ok=True)
    return parent / f".{prefix}-{uuid.uuid4().hex}"
