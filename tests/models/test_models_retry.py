"""Retry defaults and backoff arithmetic of syncPolicy.retry / operation.retry (section 4.5)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gitopslib.errors import ValidationError
from gitopslib.models import Application, Backoff, RetryStrategy, parse_retry_duration

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook, namespace: argocd}
spec:
  destination: {server: https://kubernetes.default.svc, namespace: guestbook}
  source: {repoURL: https://github.com/argoproj/argocd-example-apps.git, path: guestbook}
  syncPolicy:
    retry:
      limit: 4
      backoff: {duration: "10", factor: 3, maxDuration: 5m}
"""


def test_backoff_defaults_are_argocd_defaults() -> None:
    """An absent backoff means duration 5s, factor 2, maxDuration 3m (DefaultSyncRetry*)."""
    b = RetryStrategy(limit=5).effective_backoff
    assert b.effective_duration == timedelta(seconds=5)
    assert b.effective_factor == 2
    assert b.effective_max_duration == timedelta(minutes=3)


def test_empty_duration_strings_fall_back_to_defaults() -> None:
    """Argo CD only parses a non-empty duration/maxDuration; "" keeps the default."""
    b = Backoff(duration="", max_duration="")
    assert (b.effective_duration, b.effective_max_duration) == (
        timedelta(seconds=5),
        timedelta(minutes=3),
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10", 10), ("30s", 30), ("1m30s", 90), ("1.5h", 5400), ("500ms", 0.5), ("0", 0)],
)
def test_duration_strings(text: str, seconds: float) -> None:
    """A bare integer is seconds; anything else is a Go duration."""
    assert parse_retry_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["1d", "five", "10 s", "s"])
def test_bad_duration_is_refused_with_the_value(text: str) -> None:
    """A duration Go cannot parse is an error naming the value (no days in Go durations)."""
    with pytest.raises(ValidationError, match=repr(text).replace("(", r"\(")):
        Backoff(duration=text).effective_duration  # noqa: B018


def test_default_delays_double_and_cap_at_three_minutes() -> None:
    """Section 4.5: defaults give 5s, 10s, 20s, 40s, 80s, 160s, then the 3m cap."""
    r = RetryStrategy(limit=-1)
    got = [r.retry_delay(n).total_seconds() for n in range(8)]
    assert got == [5, 10, 20, 40, 80, 160, 180, 180]


def test_delays_from_written_backoff() -> None:
    """duration "10" (seconds), factor 3, maxDuration 5m: 10s, 30s, 90s, 270s, 300s."""
    retry = Application.from_yaml(APP).spec.sync_policy.retry  # type: ignore[union-attr]
    assert retry is not None
    got = [retry.retry_delay(n).total_seconds() for n in range(5)]
    assert got == [10, 30, 90, 270, 300]


def test_zero_max_duration_disables_the_cap() -> None:
    """The cap applies only when maxDuration > 0."""
    r = RetryStrategy(backoff=Backoff(duration="1m", max_duration="0"))
    assert r.retry_delay(4) == timedelta(minutes=16)


def test_next_retry_at_adds_the_delay() -> None:
    """NextRetryAt(t, n) = t + min(maxDuration, duration * factor**n)."""
    t = datetime(2026, 1, 1, 12, 0, 0)
    assert RetryStrategy().next_retry_at(t, 2) == datetime(2026, 1, 1, 12, 0, 20)


def test_retry_defaults_are_not_dumped() -> None:
    """Defaults are properties: a retry block without backoff round-trips without one."""
    app = Application.from_yaml(
        APP.replace('      backoff: {duration: "10", factor: 3, maxDuration: 5m}\n', "")
    )
    assert "backoff" not in app.to_yaml()
