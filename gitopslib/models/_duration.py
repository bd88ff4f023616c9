"""Go's ``time.Duration`` text: ``time.ParseDuration`` and ``Duration.String``, ported
exactly (integer nanoseconds, Go's float step for fractions, int64 range).

One implementation for every place that reads or prints a Go duration: retry backoffs,
sync windows, diff normalisation of ``metav1.Duration`` fields and the notification
templates' ``time`` helpers.

>>> parse_go_duration_ns("1h30m"), parse_go_duration_ns("1.001s"), parse_go_duration_ns("-.5us")
(5400000000000, 1001000000, -500)
>>> [format_go_duration(n) for n in (0, 1500, 1_500_000, 90 * 10**9, 3600 * 10**9)]
['0s', '1.5µs', '1.5ms', '1m30s', '1h0m0s']
"""

from __future__ import annotations

__all__ = ["format_go_duration", "parse_go_duration_ns"]

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # U+00B5 micro sign
    "\u03bcs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX = 1 << 63  # int64: up to 2**63 - 1, or 2**63 when negative


def _leading_digits(s: str, pos: int) -> int:
    while pos < len(s) and "0" <= s[pos] <= "9":
        pos += 1
    return pos


def parse_go_duration_ns(text: str) -> int:
    """Nanoseconds in a Go duration (``300ms``, ``-1.5h``, ``2h45m``); ValueError with Go's
    message for anything ``time.ParseDuration`` refuses (no days, no spaces, a unit on every
    number, a bare ``0`` the one exception)."""
    invalid = ValueError(f'time: invalid duration "{text}"')
    s, neg = text, False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total, pos = 0, 0
    while pos < len(s):
        end = _leading_digits(s, pos)
        whole = int(s[pos:end]) if end > pos else 0
        pre = end > pos
        frac, scale, post = 0, 1, False
        pos = end
        if pos < len(s) and s[pos] == ".":
            end = _leading_digits(s, pos + 1)
            digits = s[pos + 1 : end]
            post = bool(digits)
            for c in digits:  # Go's leadingFraction: digits past int64 range are dropped
                if frac > (_MAX - 1) // 10:
                    break
                frac, scale = frac * 10 + ord(c) - 48, scale * 10
            pos = end
        if not pre and not post:
            raise invalid
        end = pos
        while end < len(s) and s[end] != "." and not "0" <= s[end] <= "9":
            end += 1
        if end == pos:
            raise ValueError(f'time: missing unit in duration "{text}"')
        unit = _UNITS.get(s[pos:end])
        if unit is None:
            raise ValueError(f'time: unknown unit "{s[pos:end]}" in duration "{text}"')
        pos = end
        value = whole * unit
        if frac:
            value += int(float(frac) * (float(unit) / scale))
        total += value
        if whole > _MAX // unit or total > _MAX:
            raise invalid
    if neg:
        return -total
    if total > _MAX - 1:
        raise invalid
    return total


def _frac(v: int, prec: int) -> tuple[str, int]:
    """Go's fmtFrac: the ``prec`` low decimal digits of ``v`` as a fraction (trailing zeros
    and a bare point dropped) and ``v`` without them."""
    digits, printed = "", False
    for _ in range(prec):
        digit = v % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        v //= 10
    return ("." + digits if printed else ""), v


def format_go_duration(ns: int) -> str:
    """``time.Duration.String``: ``1h2m3.5s``, ``1.5ms``, ``0s``."""
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 1_000_000_000:
        if u == 0:
            return "0s"
        if u < 1_000:
            return f"{sign}{u}ns"
        frac, whole = _frac(u, 3 if u < 1_000_000 else 6)
        return f"{sign}{whole}{frac}{'µs' if u < 1_000_000 else 'ms'}"
    frac, secs = _frac(u, 9)
    out = f"{secs % 60}{frac}s"
    minutes = secs // 60
    if minutes:
        out = f"{minutes % 60}m{out}"
        if minutes // 60:
            out = f"{minutes // 60}h{out}"
    return sign + out
