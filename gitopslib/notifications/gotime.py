"""Go's ``time.Time``, ``time.Duration`` and ``fmt``'s ``%v`` as trigger conditions and templates
see them: ``time.Parse(app.status.operationState.finishedAt).Before(time.Now())``,
``time.Now().Sub(t) > time.Minute * 5``, ``{{printf "%v" .x}}``.

>>> t = GoTime.parse("2024-01-02T03:04:05Z")
>>> t.Add(Duration(90 * SECOND)).Format(RFC3339), str(Duration(90 * SECOND))
('2024-01-02T03:05:35Z', '1m30s')
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from typing import Any

from gitopslib.models._duration import format_go_duration, parse_go_duration_ns

__all__ = [
    "HOUR",
    "MINUTE",
    "RFC3339",
    "SECOND",
    "Duration",
    "GoTime",
    "go_sprint",
    "parse_go_duration",
    "time_namespace",
]

NANOSECOND = 1
MICROSECOND = 1_000
MILLISECOND = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

RFC3339 = "2006-01-02T15:04:05Z07:00"
_LAYOUTS = {
    "Layout": "01/02 03:04:05PM '06 -0700",
    "ANSIC": "Mon Jan _2 15:04:05 2006",
    "UnixDate": "Mon Jan _2 15:04:05 MST 2006",
    "RubyDate": "Mon Jan 02 15:04:05 -0700 2006",
    "RFC822": "02 Jan 06 15:04 MST",
    "RFC822Z": "02 Jan 06 15:04 -0700",
    "RFC850": "Monday, 02-Jan-06 15:04:05 MST",
    "RFC1123": "Mon, 02 Jan 2006 15:04:05 MST",
    "RFC1123Z": "Mon, 02 Jan 2006 15:04:05 -0700",
    "RFC3339": RFC3339,
    "RFC3339Nano": "2006-01-02T15:04:05.999999999Z07:00",
    "Kitchen": "3:04PM",
    "Stamp": "Jan _2 15:04:05",
    "StampMilli": "Jan _2 15:04:05.000",
    "StampMicro": "Jan _2 15:04:05.000000",
    "StampNano": "Jan _2 15:04:05.000000000",
}


class Duration(int):
    """``time.Duration``: nanoseconds, printed as Go prints it (``1h2m3s``)."""

    def Hours(self) -> float:
        return int(self) / HOUR

    def Minutes(self) -> float:
        return int(self) / MINUTE

    def Seconds(self) -> float:
        return int(self) / SECOND

    def Milliseconds(self) -> int:
        return int(int(self) / MILLISECOND)

    def Nanoseconds(self) -> int:
        return int(self)

    def Abs(self) -> Duration:
        return Duration(abs(int(self)))

    def Round(self, m: int) -> Duration:
        return Duration(round(int(self) / m) * m) if m > 0 else self

    def Truncate(self, m: int) -> Duration:
        return Duration(int(int(self) / m) * m) if m > 0 else self

    def String(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return format_go_duration(int(self))

    __repr__ = __str__


def parse_go_duration(text: str) -> Duration:
    """``time.ParseDuration``: ``"1h30m"``, ``"500ms"``, ``"-2s"``; ValueError otherwise.

    >>> int(parse_go_duration("1m30s")) == 90 * SECOND
    True
    """
    return Duration(parse_go_duration_ns(text.strip()))


class GoTime:
    """``time.Time``: an aware datetime with nanoseconds and Go's methods."""

    __slots__ = ("dt", "nanos")

    def __init__(self, dt: _dt.datetime, nanos: int | None = None) -> None:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=_dt.UTC)
        self.dt = dt.replace(microsecond=0)
        self.nanos = dt.microsecond * 1000 if nanos is None else nanos

    @classmethod
    def parse(cls, text: Any, layout: str = RFC3339) -> GoTime:
        """``time.Parse(time.RFC3339, text)`` (Argo CD's ``time.Parse``); ValueError otherwise."""
        if not isinstance(text, str):
            raise ValueError(f"time.Parse needs a string, got {go_sprint(text)}")
        if layout != RFC3339 and not layout.startswith("2006-01-02T15:04:05"):
            raise ValueError(f"unsupported layout {layout!r}")
        m = re.fullmatch(
            r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)", text
        )
        if not m:
            raise ValueError(f'parsing time "{text}" as "{RFC3339}": cannot parse')
        year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
        frac = m.group(7) or ""
        nanos = int((frac[1:] + "000000000")[:9]) if frac else 0
        zone = m.group(8)
        if zone in ("Z", "z"):
            tz: _dt.tzinfo = _dt.UTC
        else:
            offset = int(zone[1:3]) * 60 + int(zone[4:6])
            tz = _dt.timezone(_dt.timedelta(minutes=offset if zone[0] == "+" else -offset))
        return cls(_dt.datetime(year, month, day, hour, minute, second, tzinfo=tz), nanos)

    @classmethod
    def now(cls) -> GoTime:
        return cls(_dt.datetime.now(_dt.UTC))

    def _ns(self) -> int:
        return int(self.dt.timestamp()) * SECOND + self.nanos

    def Before(self, other: GoTime) -> bool:
        return self._ns() < other._ns()

    def After(self, other: GoTime) -> bool:
        return self._ns() > other._ns()

    def Equal(self, other: GoTime) -> bool:
        return self._ns() == other._ns()

    def Sub(self, other: GoTime) -> Duration:
        return Duration(self._ns() - other._ns())

    def Add(self, d: int) -> GoTime:
        total = self._ns() + int(d)
        secs, nanos = divmod(total, SECOND)
        dt = _dt.datetime.fromtimestamp(secs, _dt.UTC).astimezone(self.dt.tzinfo)
        return GoTime(dt, nanos)

    def Unix(self) -> int:
        return int(self.dt.timestamp())

    def UnixNano(self) -> int:
        return self._ns()

    def UTC(self) -> GoTime:
        return GoTime(self.dt.astimezone(_dt.UTC), self.nanos)

    def IsZero(self) -> bool:
        return self.dt.year == 1 and self.dt.month == 1 and self.dt.day == 1 and not self.nanos

    def Year(self) -> int:
        return self.dt.year

    def Month(self) -> int:
        return self.dt.month

    def Day(self) -> int:
        return self.dt.day

    def Hour(self) -> int:
        return self.dt.hour

    def Minute(self) -> int:
        return self.dt.minute

    def Second(self) -> int:
        return self.dt.second

    def Truncate(self, d: int) -> GoTime:
        if d <= 0:
            return self
        ns = self._ns()
        return self.Add(-(ns % int(d)))

    def Format(self, layout: str) -> str:
        return _format(self, layout)

    def String(self) -> str:
        return _format(self, "2006-01-02 15:04:05.999999999 -0700 MST")

    def __str__(self) -> str:
        return self.String()

    def __repr__(self) -> str:
        return f"GoTime({self.Format(RFC3339)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoTime) and self.Equal(other)

    def __lt__(self, other: GoTime) -> bool:
        return self.Before(other)

    def __le__(self, other: GoTime) -> bool:
        return not self.After(other)

    def __gt__(self, other: GoTime) -> bool:
        return self.After(other)

    def __ge__(self, other: GoTime) -> bool:
        return not self.Before(other)

    def __hash__(self) -> int:
        return hash(self._ns())


_FORMAT_TOKENS = re.compile(
    r"2006|January|Jan|Monday|Mon|MST|Z07:00|-07:00|-0700|Z0700|\.0+|\.9+|01|02|_2|15|03|04|05"
    r"|06|PM|pm|1|2|3|4|5"
)


def _format(t: GoTime, layout: str) -> str:
    dt = t.dt
    offset = dt.utcoffset() or _dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    oh, om = divmod(abs(minutes), 60)

    def repl(m: re.Match[str]) -> str:
        tok = m.group()
        if tok == "2006":
            return f"{dt.year:04d}"
        if tok == "06":
            return f"{dt.year % 100:02d}"
        if tok == "January":
            return dt.strftime("%B")
        if tok == "Jan":
            return dt.strftime("%b")
        if tok == "Monday":
            return dt.strftime("%A")
        if tok == "Mon":
            return dt.strftime("%a")
        if tok == "MST":
            return "UTC" if minutes == 0 else f"{sign}{oh:02d}{om:02d}"
        if tok in ("Z07:00", "Z0700") and minutes == 0:
            return "Z"
        if tok in ("Z07:00", "-07:00"):
            return f"{sign}{oh:02d}:{om:02d}"
        if tok in ("-0700", "Z0700"):
            return f"{sign}{oh:02d}{om:02d}"
        if tok.startswith(".0"):
            return "." + f"{t.nanos:09d}"[: len(tok) - 1]
        if tok.startswith(".9"):
            digits = f"{t.nanos:09d}"[: len(tok) - 1].rstrip("0")
            return "." + digits if digits else ""
        simple = {
            "01": f"{dt.month:02d}",
            "1": str(dt.month),
            "02": f"{dt.day:02d}",
            "_2": f"{dt.day:2d}",
            "2": str(dt.day),
            "15": f"{dt.hour:02d}",
            "03": f"{(dt.hour % 12) or 12:02d}",
            "3": str((dt.hour % 12) or 12),
            "04": f"{dt.minute:02d}",
            "4": str(dt.minute),
            "05": f"{dt.second:02d}",
            "5": str(dt.second),
            "PM": "PM" if dt.hour >= 12 else "AM",
            "pm": "pm" if dt.hour >= 12 else "am",
        }
        return simple[tok]

    return _FORMAT_TOKENS.sub(repl, layout)


def time_namespace(now: Any = None) -> dict[str, Any]:
    """The ``time`` variable of a trigger condition, as Argo CD registers it."""
    ns: dict[str, Any] = {
        "Now": now or GoTime.now,
        "Parse": GoTime.parse,
        "Duration": lambda n: Duration(int(n)),
        "ParseDuration": parse_go_duration,
        "Nanosecond": Duration(NANOSECOND),
        "Microsecond": Duration(MICROSECOND),
        "Millisecond": Duration(MILLISECOND),
        "Second": Duration(SECOND),
        "Minute": Duration(MINUTE),
        "Hour": Duration(HOUR),
    }
    ns.update(_LAYOUTS)
    return ns


def _go_float(value: float) -> str:
    """``%v`` of a float64: shortest representation, exponent past 1e21 (Go's 'g' rule)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mant, exp = text.split("e")
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").rjust(2, "0")
        return f"{mant}e{sign}{digits}"
    return text


def go_sprint(value: Any) -> str:
    """``fmt.Sprint(value)`` (``%v``) for the values a template or condition can hold.

    >>> go_sprint({"b": [1, 2.5], "a": None}), go_sprint(True), go_sprint(1e21)
    ('map[a:<nil> b:[1 2.5]]', 'true', '1e+21')
    """
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Duration | GoTime):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return "[" + " ".join(str(b) for b in value) + "]"
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "map[" + " ".join(f"{go_sprint(k)}:{go_sprint(v)}" for k, v in items) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    return str(value)
