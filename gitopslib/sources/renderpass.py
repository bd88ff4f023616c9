"""``RenderPass``: what one pass over a fleet of apps works out once and shares.

Rendering 1,000 apps from one repository asks the same questions 1,000 times: which commit
``main`` is (a round trip to the Git server each time), what the content of a folder is.
A :class:`RenderPass` answers each question once and remembers the answer for ``ttl``
seconds, as Argo CD's repo server caches revision lookups (3 minutes by default). Pass the
same instance to every :func:`~gitopslib.sources.render` call of the pass; start a new one
for the next pass (or keep one and let the TTL expire answers), so a new commit is seen.

It also counts the distinct render keys it saw, so the :class:`RenderCache` of the pass can
keep the whole fleet in memory (:meth:`RenderCache.fit`), and holds each Git checkout it
opened (one per repository and commit, not one per app) until the pass is closed
(``close()``, the end of a ``with`` block, or the pass being dropped) or ``ttl`` runs out;
the checkout is released, and the repository's old trees pruned, then.

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

import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["DEFAULT_PASS_TTL", "RenderPass"]

#: Seconds an answer is trusted: Argo CD's ``--revision-cache-expiration`` default.
DEFAULT_PASS_TTL = 180.0

T = TypeVar("T")


@dataclass
class _Held:
    """One open checkout of a pass: its tree, when it was opened, how many renders are in
    it now, and the stack that releases it."""

    root: Path
    opened: float
    stack: contextlib.ExitStack = field(repr=False)
    users: int = 0


class _Checkouts:
    """The checkouts a pass holds, by repository and commit.

    A checkout is released when nobody is in it and it is older than ``ttl`` or the pass
    closed. Kept apart from :class:`RenderPass` so that a finalizer can release them without
    keeping the pass alive.
    """

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self.held: dict[tuple[int, str], _Held] = {}
        self.lock = threading.Lock()
        # one checkout opened at a time (a cold one materialises a tree), outside `lock`
        self.opening = threading.Lock()
        self.closed = False
        self.opened = 0

    def _fresh(self, held: _Held, now: float) -> bool:
        """Whether ``held`` may serve another render: the pass is open, ``ttl`` not over."""
        return not self.closed and now - held.opened < self.ttl

    def acquire(self, repository: Any, sha: str) -> _Held:
        """The held checkout of ``sha``, opened through ``repository.checkout`` unless a
        fresh one is held; counted as in use until :meth:`release`."""
        key = (id(repository), sha)
        with self.lock:
            held = self.held.get(key)
            if held is not None and self._fresh(held, self.clock()):
                held.users += 1
                return held
        with self.opening:
            now = self.clock()
            with self.lock:
                held = self.held.get(key)
                if held is not None and self._fresh(held, now):
                    held.users += 1
                    return held
            stack = contextlib.ExitStack()
            root = Path(stack.enter_context(repository.checkout(sha)))
            self.opened += 1
            new = _Held(root, now, stack, users=1)
            with self.lock:
                replaced = self.held.get(key)
                self.held[key] = new
        if replaced is not None:
            self._release_if_idle([replaced])
        self.sweep()
        return new

    def release(self, held: _Held) -> None:
        """One render left ``held``; release it if it is idle and stale."""
        with self.lock:
            held.users -= 1
        self._release_if_idle([held])

    def sweep(self) -> None:
        """Release every idle checkout older than ``ttl`` (every idle one once closed)."""
        with self.lock:
            candidates = list(self.held.values())
        self._release_if_idle(candidates)

    def close(self) -> None:
        """Release every checkout nobody is in; the others go when their last render ends."""
        with self.lock:
            self.closed = True
        self.sweep()

    def _release_if_idle(self, candidates: list[_Held]) -> None:
        now = self.clock()
        done: list[_Held] = []
        with self.lock:
            for held in candidates:
                current = [k for k, h in self.held.items() if h is held]
                if held.users > 0 or (current and self._fresh(held, now)):
                    continue
                for k in current:
                    del self.held[k]
                done.append(held)
        with contextlib.ExitStack() as leaving:  # every one is left, even if one raises
            for held in done:
                leaving.callback(held.stack.close)  # its use lock, then the prune check


class RenderPass:
    """Memoised revision resolutions, input digests and checkouts for one pass over many apps.

    ``ttl``: seconds an answer is reused (0: only within one ``render`` call's own pass).
    ``clock``: monotonic seconds (injectable for tests). ``resolutions`` counts the calls that
    reached a repository's ``resolve``, ``checkouts`` the checkouts it opened; ``keys`` holds
    the render keys of the pass. Close the pass (or use it as a context manager) to release
    its checkouts as soon as the pass is over; a dropped pass releases them too.
    """

    def __init__(
        self, ttl: float = DEFAULT_PASS_TTL, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = float(ttl)
        self._clock = clock
        self._memo: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._pinned: dict[int, Any] = {}
        self._checkouts = _Checkouts(self.ttl, clock)
        weakref.finalize(self, self._checkouts.close)
        self.resolutions = 0
        self.keys: set[str] = set()

    def __enter__(self) -> RenderPass:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the checkouts the pass holds (pruning old trees); answers stay usable."""
        self._checkouts.close()

    @property
    def checkouts(self) -> int:
        """How many checkouts the pass opened (one per repository and commit in a pass)."""
        return self._checkouts.opened

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

    @contextlib.contextmanager
    def checkout(self, repository: Any, sha: str) -> Iterator[Path]:
        """``repository.checkout(sha)``, opened once per repository and commit in the pass and
        held until the pass is closed or ``ttl`` runs out (a tree in use is never pruned)."""
        with self._lock:
            self._pinned[id(repository)] = repository  # keeps the id from being reused
        held = self._checkouts.acquire(repository, sha)
        try:
            yield held.root
        finally:
            self._checkouts.release(held)

    def saw(self, key: str) -> int:
        """Record a render key of the pass; the number of distinct keys so far."""
        with self._lock:
            self.keys.add(key)
            return len(self.keys)
