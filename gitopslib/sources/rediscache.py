"""``RedisStore``: a render cache shared by replicas and CI runners through Redis.

Argo CD keeps generated manifests in Redis so every repo-server replica reuses them; a
:class:`~gitopslib.sources.RenderCache` given ``shared=RedisStore(url)`` does the same. Entries
are keyed exactly as the local cache (the content of what the source reads, see
:mod:`gitopslib.sources.inputs`), stored as zlib-compressed JSON under ``prefix + key`` with a
TTL (``ttl`` seconds, refreshed by every write). A render that decrypted anything is never
written (see ``RenderContext.contains_secrets``), so Redis never holds decrypted secrets.

Redis is an accelerator, never a dependency: when it cannot be reached (refused, timed
out, gone mid-run) the cache logs one warning, treats Redis as a miss and renders locally;
it tries Redis again after ``retry_after`` seconds. Credentials in the URL are masked in
every message.

Needs the ``redis`` client: ``pip install gitopslib[redis]``.

>>> store = RedisStore("redis://:s3cret@127.0.0.1:1/0", timeout=0.2)   # nothing listens
>>> store.get("k") is None, "s3cret" in repr(store)
(True, False)
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from gitopslib._masking import mask_credentials
from gitopslib.errors import RenderError

__all__ = ["DEFAULT_SHARED_TTL", "RedisStore", "SharedStoreError"]

log = logging.getLogger("gitopslib.sources.cache")

#: One day: Argo CD's default expiration of cached manifests (``--repo-cache-expiration``
#: is 24h).
DEFAULT_SHARED_TTL = 24 * 3600

_MAGIC = b"GLR1"  # format marker in front of the compressed JSON


class SharedStoreError(RenderError):
    """The shared render cache is misconfigured (for example the ``redis`` extra is
    missing)."""


def _redis_module() -> Any:
    try:
        import redis
    except ImportError:
        raise SharedStoreError(
            "the shared render cache needs the redis client: pip install gitopslib[redis]",
            source_type=None,
            path=None,
        ) from None
    return redis


class RedisStore:
    """Compressed render entries in Redis, with a TTL; every failure is a miss.

    ``url``: ``redis://[:password@]host:port/db`` (or ``rediss://``, ``unix://``);
    ``client``: an existing ``redis.Redis`` to use instead. ``ttl``: seconds an entry lives
    (default one day, as Argo CD). ``prefix``: namespace of the keys. ``timeout``: socket
    timeout in seconds for every command. ``retry_after``: seconds to leave Redis alone after
    a failure. ``level``: zlib compression level.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Any = None,
        ttl: int = DEFAULT_SHARED_TTL,
        prefix: str = "gitopslib:render:",
        timeout: float = 1.0,
        retry_after: float = 30.0,
        level: int = 6,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        redis = _redis_module()
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.url = mask_credentials(url)
        self.client = client or redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.ttl = int(ttl)
        self.prefix = prefix
        self.retry_after = float(retry_after)
        self.level = int(level)
        self._clock = clock
        self._down_until = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, ttl={self.ttl})"

    @property
    def available(self) -> bool:
        """False while Redis is left alone after a failure."""
        return self._clock() >= self._down_until

    def _failed(self, what: str, exc: BaseException) -> None:
        with self._lock:
            first = self._clock() >= self._down_until
            self._down_until = self._clock() + self.retry_after
        if first:
            reason = mask_credentials(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            log.warning(
                "shared render cache %s unavailable (%s failed: %s); rendering locally, "
                "retrying in %gs",
                self.url,
                what,
                reason,
                self.retry_after,
            )

    def get(self, key: str) -> bytes | None:
        """The JSON stored under ``key`` (decompressed), or None (absent, corrupt, or Redis
        unreachable)."""
        if not self.available:
            return None
        try:
            raw = self.client.get(self.prefix + key)
        except self._errors as exc:
            self._failed("read", exc)
            return None
        if raw is None:
            return None
        if not isinstance(raw, bytes) or not raw.startswith(_MAGIC):
            self.delete(key)
            return None
        try:
            return zlib.decompress(raw[len(_MAGIC) :])
        except zlib.error:
            self.delete(key)  # corrupt: a miss
            return None

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` (JSON bytes) compressed under ``key`` for ``ttl`` seconds."""
        if not self.available:
            return
        payload = _MAGIC + zlib.compress(data, self.level)
        try:
            self.client.set(self.prefix + key, payload, ex=self.ttl)
        except self._errors as exc:
            self._failed("write", exc)

    def delete(self, key: str) -> None:
        """Forget ``key`` (errors ignored)."""
        try:
            self.client.delete(self.prefix + key)
        except self._errors as exc:
            self._failed("delete", exc)
