"""A content-addressed render cache: in memory (LRU) and on disk (orjson files).

A key is the digest of everything that changes a render's output: the commit SHA (or, for
a plain folder, a digest of the files under it), the referenced sources' SHAs or digests, the
source spec (values, parameters, plugin env...), the app name, destination namespace and
project, the engine name and exact version, and the kube version and API list. An unchanged
input therefore costs a cache read; any change is a new key (nothing is ever invalidated by
hand, old entries simply stop being asked for).

Entries on disk are written atomically (temp file, then rename) under
``<user cache dir>/gitopslib/render``; an unreadable or mismatching entry is a miss and is
removed.

Manifests returned from the memory cache are shared with it: treat render results as
read-only and copy an object before editing it.

>>> cache = RenderCache(directory=None)     # memory only
>>> cache.put("k", {"manifests": [{"kind": "A"}]})
>>> cache.get("k")["manifests"]
[{'kind': 'A'}]
"""

from __future__ import annotations

import gc
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

__all__ = ["CacheStats", "RenderCache", "cache_key", "tree_digest"]

_FORMAT = 1


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


def cache_key(parts: Mapping[str, Any]) -> str:
    """A hex digest of ``parts`` (JSON-serialisable, key order irrelevant).

    >>> cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})
    True
    """
    return hashlib.sha256(_canonical({"format": _FORMAT, **parts})).hexdigest()


# (path, size, mtime_ns, inode, ctime_ns) -> digest; a file whose stat is unchanged is not
# read again, which keeps a warm re-render at a tree walk plus stats.
_FILE_DIGESTS: dict[tuple[str, int, int, int, int], bytes] = {}
_FILE_DIGESTS_LOCK = threading.Lock()


def _file_digest(path: str, st: os.stat_result) -> bytes:
    key = (path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    found = _FILE_DIGESTS.get(key)
    if found is not None:
        return found
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as fh:  # noqa: PTH123 - hot path, plain open is cheapest
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    digest = h.digest()
    with _FILE_DIGESTS_LOCK:
        if len(_FILE_DIGESTS) > 200_000:
            _FILE_DIGESTS.clear()
        _FILE_DIGESTS[key] = digest
    return digest


def tree_digest(root: Path, *, skip: frozenset[str] = frozenset({".git"})) -> str:
    """A content digest of every file under ``root`` (names, symlink targets and bytes;
    ``.git`` skipped). Files whose stat did not change since the last call are not re-read.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.yaml").write_text("kind: A")
    >>> tree_digest(d) == tree_digest(d)
    True
    """
    h = hashlib.blake2b(digest_size=20)
    stack = [str(root)]
    base = len(str(root)) + 1
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[str] = []
        for entry in entries:
            rel = entry.path[base:]
            if entry.is_symlink():
                target = str(Path(entry.path).readlink())
                h.update(b"L" + rel.encode() + b"\0" + target.encode() + b"\0")
                continue
            if entry.is_dir():
                if entry.name not in skip:
                    subdirs.append(entry.path)
                continue
            st = entry.stat()
            h.update(b"F" + rel.encode() + b"\0" + _file_digest(entry.path, st))
        stack.extend(reversed(subdirs))
    return h.hexdigest()


class SharedStore(Protocol):
    """A store shared between processes (replicas, CI runners): bytes by key, every failure
    a miss. :class:`~gitopslib.sources.rediscache.RedisStore` is the one gitopslib ships."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...

    def delete(self, key: str) -> None: ...


class CacheStats:
    """Hit and miss counters."""

    def __init__(self) -> None:
        self.memory_hits = 0
        self.disk_hits = 0
        self.shared_hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return (
            f"CacheStats(memory_hits={self.memory_hits}, disk_hits={self.disk_hits}, "
            f"shared_hits={self.shared_hits}, misses={self.misses})"
        )


def _loads(data: bytes) -> Any:
    # parsed manifests are trees: pausing the cyclic GC while millions of objects are
    # created saves a third of the load time
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(data)
    finally:
        if was_enabled:
            gc.enable()


def _stored_value(data: bytes, key: str) -> dict[str, Any] | None:
    """The value of a stored entry (disk file or shared-cache payload) written under ``key``,
    or None when ``data`` is not JSON or belongs to another key (corrupt or foreign)."""
    try:
        stored = _loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored["value"]  # type: ignore[no-any-return]


class RenderCache:
    """Memory LRU in front of an on-disk store of render results, and optionally a store
    shared with other processes (``shared``, e.g. a :class:`RedisStore`), asked after the
    disk.

    ``directory=None`` keeps it in memory only; the default is the user cache dir.

    >>> import tempfile
    >>> c = RenderCache(directory=tempfile.mkdtemp(), memory_items=2)
    >>> c.put("k1", {"manifests": []})
    >>> RenderCache(directory=c.directory).get("k1")    # a new process would find it on disk
    {'manifests': []}
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | Literal["default"] | None = "default",
        *,
        memory_items: int = 256,
        shared: SharedStore | None = None,
    ) -> None:
        if directory == "default":
            from platformdirs import user_cache_dir

            directory = Path(user_cache_dir("gitopslib")) / "render"
        self.directory: Path | None = Path(directory) if directory is not None else None
        self.memory_items = memory_items
        self._memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.shared = shared
        self.stats = CacheStats()
        self.last_hit: Literal["memory", "disk", "shared"] | None = None

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry stored under ``key``, or None."""
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None:
                self._memory.move_to_end(key)
                self.stats.memory_hits += 1
                self.last_hit = "memory"
                return entry
        if self.directory is not None:
            path = self._path(key)
            try:
                data = path.read_bytes()
            except OSError:
                data = None
            if data is not None:
                entry = _stored_value(data, key)
                if entry is not None:
                    self._remember(key, entry)
                    self.stats.disk_hits += 1
                    self.last_hit = "disk"
                    return entry
                path.unlink(missing_ok=True)  # corrupt or foreign: a miss
        if self.shared is not None:
            data = self.shared.get(key)
            if data is not None:
                entry = _stored_value(data, key)
                if entry is not None:
                    self._remember(key, entry)
                    self._write_disk(key, data)
                    self.stats.shared_hits += 1
                    self.last_hit = "shared"
                    return entry
                self.shared.delete(key)
        self.stats.misses += 1
        self.last_hit = None
        return None

    def _remember(self, key: str, entry: dict[str, Any]) -> None:
        if self.memory_items <= 0:
            return
        with self._lock:
            self._memory[key] = entry
            self._memory.move_to_end(key)
            while len(self._memory) > self.memory_items:
                self._memory.popitem(last=False)

    def fit(self, items: int) -> None:
        """Grow the memory LRU to hold at least ``items`` entries (a fleet's worth: a pass
        over more apps than the LRU holds would evict every entry before it is asked for
        again). Never shrinks.

        >>> c = RenderCache(directory=None, memory_items=2)
        >>> c.fit(1000); c.memory_items
        1000
        """
        if items > self.memory_items:
            with self._lock:
                self.memory_items = max(self.memory_items, items)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store ``entry`` (JSON-serialisable) under ``key`` in memory, on disk and in the
        shared store."""
        self._remember(key, entry)
        if self.directory is None and self.shared is None:
            return
        payload = orjson.dumps({"key": key, "value": entry})
        self._write_disk(key, payload)
        if self.shared is not None:
            self.shared.put(key, payload)

    def _write_disk(self, key: str, payload: bytes) -> None:
        if self.directory is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def clear_memory(self) -> None:
        """Forget the in-memory entries (the disk store stays)."""
        with self._lock:
            self._memory.clear()

    def clear(self) -> None:
        """Forget everything, on disk too."""
        self.clear_memory()
        if self.directory is not None and self.directory.is_dir():
            for sub in self.directory.iterdir():
                if sub.is_dir():
                    for f in sub.glob("*.json"):
                        f.unlink(missing_ok=True)
