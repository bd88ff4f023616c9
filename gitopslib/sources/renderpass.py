"""``RenderPass``: what one pass over a fleet of apps works out once and shares.

Rendering 1,000 apps from one repository asks the same questions 1,000 times: which commit
``main`` is (a round trip to the Git server each time), what the content of a folder is.
A :class:`RenderPass` answers each question once and remembers the answer for ``ttl``
seconds, as Argo CD's repo server caches revision lookups (3 minutes by default). Pass the
same instance to every :func:`~gitopslib.sources.render` call of the pass; start a new one
for the next pass (or keep one and let the TTL expire answers), so a new commit is seen.

It also counts the distinct render keys it saw, so the :class:`RenderCache` of the pass can
keep the whole fleet in memory (:meth:`RenderCache.fit`).

>>> class Repo:
...     calls = 0
...     def resolve(self, rev):
...         Repo.calls += 1
...         return "a" * 40
>>> repo, p = Repo(), RenderPass()
>>> [p.resolve(repo, "main") for _ in range(3)] == ["a" * 40] * 3, Repo.calls
(True, 1)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["DEFAULT_PASS_TTL", "RenderPass"]

#: Seconds an answer is trusted: Argo CD's ``--revision-cache-expiration`` default.
DEFAULT_PASS_TTL = 180.0

T = TypeVar("T")


class RenderPass:
    """Memoised revision resolutions and input digests for one pass over many apps.

    ``ttl``: seconds an answer is reused (0: only within one ``render`` call's own pass).
    ``clock``: monotonic seconds (injectable for tests). ``resolutions`` counts the calls that
    reached a repository's ``resolve``; ``keys`` holds the render keys of the pass.
    """

    def __init__(
        self, ttl: float = DEFAULT_PASS_TTL, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = float(ttl)
        self._clock = clock
        self._memo: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._pinned: dict[int, Any] = {}
        self.resolutions = 0
        self.keys: set[str] = set()

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, or its answer from earlier in the pass (younger than ``ttl``)."""
        now = self._clock()
        with self._lock:
            found = self._memo.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._memo[key] = (now, value)
        return value

    def resolve(self, repository: Any, revision: str) -> str:
        """``repository.resolve(revision)``, once per repository and revision in the pass."""

        def ask() -> str:
            self.resolutions += 1
            return str(repository.resolve(revision))

        with self._lock:
            self._pinned[id(repository)] = repository  # keeps the id from being reused
        return self.remember(("resolve", id(repository), revision), ask)

    def saw(self, key: str) -> int:
        """Record a render key of the pass; the number of distinct keys so far."""
        with self._lock:
            self.keys.add(key)
            return len(self.keys)
