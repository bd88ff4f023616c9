"""The time grammar of sync windows: Go durations (``1h30m``), robfig/cron schedules (five
fields, descriptors such as ``@daily``, ``@every``) as Argo CD validates them, and the
conversion of a zone's wall-clock time to the instant it denotes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from gitopslib.models._duration import parse_go_duration_ns

__all__ = ["aware_utc", "parse_go_duration", "parse_schedule", "wall_to_instant"]


def parse_go_duration(text: str) -> timedelta:
    """Parse a Go ``time.ParseDuration`` string (``1h30m``, ``90s``, ``1.5h``; no days).

    >>> parse_go_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> parse_go_duration("1d")
    Traceback (most recent call last):
    ...
    ValueError: invalid duration '1d' (Go syntax such as 1h30m; units ns us ms s m h)
    """
    try:
        nanos = parse_go_duration_ns(text)
    except ValueError:
        raise ValueError(
            f"invalid duration {text!r} (Go syntax such as 1h30m; units ns us ms s m h)"
        ) from None
    return timedelta(microseconds=nanos / 1000)


# robfig/cron (the parser Argo CD uses) with the fields minute hour dom month dow + descriptors.
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_FIELD_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_DOWS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}


def _check_cron_field(text: str, index: int) -> None:
    lo, hi = _FIELD_BOUNDS[index]
    names = _MONTHS if index == 3 else _DOWS if index == 4 else {}
    what = _FIELD_NAMES[index]

    def value(token: str) -> int:
        if token.isdigit():
            v = int(token)
        elif token.lower() in names:
            v = names[token.lower()]
        else:
            raise ValueError(f"{what}: {token!r} is not a number")
        if not lo <= v <= hi:
            raise ValueError(f"{what}: {v} is outside {lo}-{hi}")
        return v

    for part in text.split(","):
        rng, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"{what}: bad step {step!r}")
        if rng in ("*", "?"):
            continue
        start, dash, end = rng.partition("-")
        a = value(start)
        if dash and value(end) < a:
            raise ValueError(f"{what}: range {rng!r} ends before it starts")


def parse_schedule(schedule: str) -> tuple[str | None, timedelta | None]:
    """Return (five-field cron expression, None) or (None, @every interval)."""
    text = schedule.strip()
    if text.startswith("@"):
        if text.startswith("@every "):
            interval = parse_go_duration(text[len("@every ") :].strip())
            if interval < timedelta(seconds=1):
                interval = timedelta(seconds=1)  # robfig rounds up to a second
            return None, interval
        if text not in _DESCRIPTORS:
            raise ValueError(f"unknown descriptor {text!r}")
        return _DESCRIPTORS[text], None
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    for i, f in enumerate(fields):
        _check_cron_field(f, i)
    expr = " ".join(f.replace("?", "*") for f in fields)
    if not croniter.is_valid(expr):
        raise ValueError("not a valid cron expression")
    return expr, None


def aware_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC (Argo CD's controllers run in UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def wall_to_instant(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a wall-clock time in ``zone`` denotes (first one; gap -> the jump)."""
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # ``naive`` falls in a gap: find the first whole second whose wall time reaches it.
    a = int(naive.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    b = int(first.timestamp()) + 1
    lo, hi = min(a, b), max(a, b)
    while lo < hi:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid + 1
    return datetime.fromtimestamp(lo, UTC)
