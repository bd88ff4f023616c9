"""Kubernetes timestamps: RFC 3339 in UTC at second precision, as the API server writes
``creationTimestamp`` and Argo CD writes ``startedAt``/``finishedAt``.

>>> from datetime import datetime, timedelta, timezone
>>> rfc3339(datetime(2026, 1, 2, 4, 5, 6, 789, tzinfo=timezone(timedelta(hours=1))))
'2026-01-02T03:05:06Z'
>>> parse_rfc3339("2026-01-02T03:05:06Z")
datetime.datetime(2026, 1, 2, 3, 5, 6, tzinfo=datetime.timezone.utc)
>>> parse_rfc3339("yesterday") is None, parse_rfc3339(None) is None
(True, True)
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["parse_rfc3339", "rfc3339"]


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: object) -> datetime | None:
    """The moment an RFC 3339 text names (UTC when it names no zone); None for anything
    else (not a string, empty, or not a timestamp)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
