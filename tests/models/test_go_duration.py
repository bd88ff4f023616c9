"""Go duration text against Go's own tables (``parseDurationTests``,
``parseDurationErrorTests`` and ``durationTests`` in src/time/time_test.go), and the readers
that share the parser: retry backoffs, sync windows, diff normalisation, notification
templates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gitopslib.diff.normalize import canonical_duration, parse_duration
from gitopslib.models._common import parse_retry_duration
from gitopslib.models._duration import format_go_duration, parse_go_duration_ns
from gitopslib.notifications.gotime import parse_go_duration as template_duration
from gitopslib.project import parse_go_duration as window_duration

NS, US, MS, S, M, H = 1, 1_000, 1_000_000, 1_000_000_000, 60_000_000_000, 3_600_000_000_000
MAX = (1 << 63) - 1

PARSED = [
    ("0", 0),
    ("5s", 5 * S),
    ("30s", 30 * S),
    ("1478s", 1478 * S),
    ("-5s", -5 * S),
    ("+5s", 5 * S),
    ("-0", 0),
    ("+0", 0),
    ("5.0s", 5 * S),
    ("5.6s", 5 * S + 600 * MS),
    ("5.s", 5 * S),
    (".5s", 500 * MS),
    ("1.0s", S),
    ("1.00s", S),
    ("1.004s", S + 4 * MS),
    ("1.0040s", S + 4 * MS),
    ("100.00100s", 100 * S + MS),
    ("10ns", 10 * NS),
    ("11us", 11 * US),
    ("12\u00b5s", 12 * US),
    ("12\u03bcs", 12 * US),
    ("13ms", 13 * MS),
    ("14s", 14 * S),
    ("15m", 15 * M),
    ("16h", 16 * H),
    ("3h30m", 3 * H + 30 * M),
    ("10.5s4m", 4 * M + 10 * S + 500 * MS),
    ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
    ("1h2m3s4ms5us6ns", H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS),
    ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
    ("52763797000ns", 52763797000 * NS),
    ("0.3333333333333333333h", 20 * M),
    ("9007199254740993ns", (1 << 53) + 1),
    ("9223372036854775807ns", MAX),
    ("9223372036854775.807us", MAX),
    ("9223372036s854ms775us807ns", MAX),
    ("-9223372036854775808ns", -(1 << 63)),
    ("-2562047h47m16.854775808s", -(1 << 63)),
    ("0.100000000000000000000h", 6 * M),
    ("0.830103483285477580700h", 49 * M + 48 * S + 372539827 * NS),
]

REFUSED = [
    "",
    "3",
    "-",
    "s",
    ".",
    "-.",
    ".s",
    "+.s",
    "1d",
    "--1s",
    " 1s",
    "3000000h",
    "9223372036854775808ns",
    "9223372036854775.808us",
    "9223372036854ms775us808ns",
    "-9223372036854775809ns",
]

PRINTED = [
    ("0s", 0),
    ("1ns", 1 * NS),
    ("1.1\u00b5s", 1100 * NS),
    ("2.2ms", 2200 * US),
    ("3.3s", 3300 * MS),
    ("4m5s", 4 * M + 5 * S),
    ("4m5.001s", 4 * M + 5001 * MS),
    ("5h6m7.001s", 5 * H + 6 * M + 7001 * MS),
    ("8m0.000000001s", 8 * M + 1 * NS),
    ("2562047h47m16.854775807s", MAX),
    ("-2562047h47m16.854775808s", -(1 << 63)),
]


@pytest.mark.parametrize(("text", "nanos"), PARSED)
def test_parse_as_go(text: str, nanos: int) -> None:
    assert parse_go_duration_ns(text) == nanos


@pytest.mark.parametrize("text", REFUSED)
def test_refuse_as_go(text: str) -> None:
    with pytest.raises(ValueError, match="time: "):
        parse_go_duration_ns(text)


@pytest.mark.parametrize(("text", "nanos"), PRINTED)
def test_print_as_go(text: str, nanos: int) -> None:
    assert format_go_duration(nanos) == text


def test_every_reader_shares_the_parser() -> None:
    # 1.001 * 1e9 is 1000999999.99... in floating point: Go (and so each reader) adds the
    # fraction exactly, and takes the Greek mu as well as the micro sign.
    assert int(template_duration("1.001s")) == S + MS
    assert str(template_duration("1.001s")) == "1.001s"
    assert template_duration("2\u03bcs") == 2 * US
    assert canonical_duration("1.001s") == "1.001s"
    assert canonical_duration("2\u03bcs") == "2\u00b5s"
    assert canonical_duration("--1s") == "--1s"  # not a duration: left as written
    assert parse_duration("1.5h") == 5400.0
    assert window_duration("1h30m") == timedelta(minutes=90)
    assert window_duration("2\u03bcs") == timedelta(microseconds=2)
    assert parse_retry_duration("1m30s") == timedelta(seconds=90)
    assert parse_retry_duration("90") == timedelta(seconds=90)
