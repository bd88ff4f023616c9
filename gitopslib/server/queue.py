"""A bounded work queue that coalesces per app (client-go's workqueue semantics).

An app is in the queue at most once: adding it again while it waits only merges the
reason; adding it while it is being reconciled marks it to run once more afterwards. So a
flood of webhooks for one app costs one or two passes, never one per request. When the
queue holds ``maxsize`` distinct apps, new ones are refused (the caller answers 503).

>>> q = WorkQueue(maxsize=2)
>>> q.put("a", "webhook"), q.put("a", "webhook"), q.put("b", "resync"), q.put("c", "resync")
(True, True, True, False)
>>> q.get(0), q.depth
(('a', 'webhook'), 1)
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["WorkQueue"]

K = TypeVar("K", bound=Hashable)


class WorkQueue(Generic[K]):
    """Thread-safe, bounded, coalescing FIFO of keys with a reason each."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._cond = threading.Condition()
        self._order: deque[K] = deque()
        self._reasons: dict[K, str] = {}
        self._running: set[K] = set()
        self._again: dict[K, str] = {}
        self._closed = False

    @property
    def depth(self) -> int:
        """Apps waiting (not counting those being reconciled)."""
        with self._cond:
            return len(self._order)

    def put(self, key: K, reason: str) -> bool:
        """Queue ``key``; False when the queue is full (or closed)."""
        with self._cond:
            if self._closed:
                return False
            if key in self._reasons:
                if reason == "webhook":  # the more urgent reason wins for the logs
                    self._reasons[key] = reason
                return True
            if key in self._running:
                self._again.setdefault(key, reason)
                return True
            if len(self._order) >= self.maxsize:
                return False
            self._order.append(key)
            self._reasons[key] = reason
            self._cond.notify()
            return True

    def get(self, timeout: float | None = None) -> tuple[K, str] | None:
        """The next key and its reason, marked running; None on timeout or when closed."""
        with self._cond:
            if not self._order and not self._closed:
                self._cond.wait(timeout)
            if not self._order or self._closed:
                return None
            key = self._order.popleft()
            reason = self._reasons.pop(key)
            self._running.add(key)
            return key, reason

    def done(self, key: K) -> None:
        """``key``'s pass is over; it is queued again if it was asked for meanwhile."""
        with self._cond:
            self._running.discard(key)
            again = self._again.pop(key, None)
        if again is not None:
            self.put(key, again)

    def close(self) -> None:
        """Refuse new work and wake every waiting worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
