"""Retrying API requests: which failures are transient, how long to wait, when to give up.

A request that fails with 429, 500, 502, 503 or 504, a dropped connection or a timeout is
tried again after an exponential backoff with full jitter (tenacity's
``wait_random_exponential``), never sooner than the server's ``Retry-After``; every other
failure is final at once. Retries stop after ``attempts`` tries, or as soon as the next wait
would run past the operation's deadline (:func:`gitopslib.sync.deadline.time_left`): then the
failure is a :class:`~gitopslib.errors.ClusterTimeoutError` saying the operation ran out of
time.

>>> sorted(TRANSIENT_STATUSES)
[429, 500, 502, 503, 504]
>>> retry_after_seconds({"Retry-After": "3"}), retry_after_seconds({}) is None
(3.0, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential

from gitopslib.errors import ClusterError, ClusterTimeoutError
from gitopslib.sync.deadline import time_left

__all__ = ["TRANSIENT_STATUSES", "Transient", "retry_after_seconds", "with_retries"]

T = TypeVar("T")

#: HTTP statuses worth another try: throttling and server-side hiccups (as client-go).
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})

#: Longest ``Retry-After`` honoured: a server asking for more is answered by the deadline.
_MAX_RETRY_AFTER = 60.0


@dataclass
class Transient(Exception):
    """A failure worth retrying; ``error`` is what to raise if no retry succeeds."""

    error: ClusterError
    retry_after: float | None = None
    timed_out: bool = False


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date), else None."""
    if not headers:
        return None
    raw = None
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = str(value).strip()
            break
    if not raw:
        return None
    try:
        return min(_MAX_RETRY_AFTER, max(0.0, float(raw)))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return min(_MAX_RETRY_AFTER, max(0.0, moment.timestamp() - time.time()))


def with_retries(
    attempt: Callable[[], T],
    *,
    attempts: int,
    backoff: float,
    max_backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``attempt`` until it returns, raises a non-:class:`Transient` error (final at
    once), or retries are used up (``attempts`` tries, or the deadline is near)."""
    jitter = wait_random_exponential(multiplier=backoff, max=max_backoff)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = float(jitter(state))
        if isinstance(exc, Transient) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return delay

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= attempts:
            return True
        left = time_left()
        return left is not None and state.upcoming_sleep >= left

    def give_up(state: RetryCallState) -> Any:
        exc = state.outcome.exception() if state.outcome else None
        assert isinstance(exc, Transient)
        error = exc.error
        left = time_left()
        tries = state.attempt_number
        if left is not None and (left <= 0 or state.upcoming_sleep >= left or exc.timed_out):
            raise ClusterTimeoutError(
                f"{error.message} (ran out of time: the operation's deadline passed after "
                f"{tries} attempt{'s' if tries > 1 else ''})",
                **_attrs(error),
            ) from None
        error.message = f"{error.message} (gave up after {tries} attempts)"
        if exc.timed_out:
            raise ClusterTimeoutError(error.message, **_attrs(error)) from None
        raise error from None

    # the common case, a first try that works, skips building the retry machinery
    try:
        return attempt()
    except Transient as exc:
        first: list[Transient] = [exc]

    def again() -> T:
        if first:
            raise first.pop()  # the failed first try, as tenacity's attempt 1
        return attempt()

    retrying = Retrying(
        sleep=sleep,
        stop=stop,
        wait=wait,
        retry=retry_if_exception_type(Transient),
        retry_error_callback=give_up,
    )
    result: T = retrying(again)
    return result


def _attrs(error: ClusterError) -> dict[str, Any]:
    return {
        name: getattr(error, name)
        for name in ("verb", "key", "status", "reason")
        if hasattr(error, name)
    }
