"""The operation's deadline, shared by the executor and the cluster it drives.

``execute_plan(timeout=...)`` (and so ``sync(timeout=...)``) opens an
:func:`operation_deadline`; a cluster adapter that talks to a server reads :func:`time_left`
before every request and every retry, so that no request, backoff or wait outlives the
operation. Deadlines nest: an inner one never extends an outer one. The clock is the real
monotonic clock (requests take real time, whatever clock the executor's polling uses).

>>> time_left() is None
True
>>> with operation_deadline(30.0):
...     0 < time_left() <= 30.0
True
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["deadline_at", "operation_deadline", "time_left"]

_DEADLINE: ContextVar[float | None] = ContextVar("gitopslib_operation_deadline", default=None)


@contextmanager
def operation_deadline(seconds: float | None) -> Iterator[None]:
    """Bound everything done inside to ``seconds`` from now (None: no new bound)."""
    if seconds is None:
        yield
        return
    at = time.monotonic() + max(0.0, seconds)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(at if outer is None else min(outer, at))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def deadline_at() -> float | None:
    """The current deadline on the ``time.monotonic()`` clock, or None."""
    return _DEADLINE.get()


def time_left() -> float | None:
    """Seconds left before the current deadline (0 once it passed), or None without one."""
    at = _DEADLINE.get()
    if at is None:
        return None
    return max(0.0, at - time.monotonic())
