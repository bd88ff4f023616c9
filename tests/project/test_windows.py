"""Sync windows (argocd-semantics.md §8.9). Times are worked out by hand in the comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopslib.errors import ValidationError
from gitopslib.models import Application
from gitopslib.project import AppProject, SyncWindow, SyncWindows, parse_go_duration

MakeP = Callable[..., AppProject]
MakeA = Callable[..., Application]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


def window(**spec: Any) -> SyncWindow:
    base: dict[str, Any] = {"kind": "allow", "duration": "1h", "applications": ["*"]}
    base.update(spec)
    return SyncWindow.from_spec(base)


# --- durations and validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600),
        ("30m", 1800),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("90s", 90),
        ("0", 0),
        ("500ms", 0.5),
        ("2h45m30s", 9930),
    ],
)
def test_go_durations(text: str, seconds: float) -> None:
    """Go's time.ParseDuration syntax."""
    assert parse_go_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["1d", "", "h", "1", "1 h", "1w", "-"])
def test_bad_go_durations(text: str) -> None:
    """Days, weeks, bare numbers and junk are not Go durations."""
    with pytest.raises(ValueError, match="invalid duration"):
        parse_go_duration(text)


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"kind": "maybe"}, "spec.syncWindows[0].kind", "allow"),
        ({"kind": None}, "spec.syncWindows[0].kind", "allow"),
        ({"schedule": "61 * * * *"}, "spec.syncWindows[0].schedule", "0-59"),
        ({"schedule": "* * * *"}, "spec.syncWindows[0].schedule", "5 fields"),
        ({"schedule": "0 0 * * 7"}, "spec.syncWindows[0].schedule", "0-6"),
        ({"schedule": "0 0 L * *"}, "spec.syncWindows[0].schedule", "not a number"),
        ({"schedule": "@fortnightly"}, "spec.syncWindows[0].schedule", "descriptor"),
        ({"duration": "1d"}, "spec.syncWindows[0].duration", "invalid duration"),
        ({"duration": "-1h"}, "spec.syncWindows[0].duration", "negative"),
        ({"timeZone": "Mars/Olympus"}, "spec.syncWindows[0].timeZone", "time zone"),
        ({"applications": None}, "spec.syncWindows[0]", "at least one"),
    ],
)
def test_invalid_window_names_the_field(spec: dict[str, Any], field: str, words: str) -> None:
    """Each kind of invalid window is refused with the field named."""
    base: dict[str, Any] = {
        "kind": "allow",
        "schedule": "0 1 * * *",
        "duration": "1h",
        "applications": ["*"],
    }
    base.update(spec)
    with pytest.raises(ValidationError, match=words) as info:
        SyncWindows.from_specs([base])
    assert info.value.field == field


def test_duplicate_windows_are_refused() -> None:
    """Two identical windows are refused; the second is named."""
    w = {"kind": "deny", "schedule": "0 1 * * *", "duration": "1h", "namespaces": ["a"]}
    with pytest.raises(ValidationError, match="duplicate") as info:
        SyncWindows.from_specs([w, dict(w)])
    assert info.value.field == "spec.syncWindows[1]"


def test_windows_differing_in_zone_are_not_duplicates() -> None:
    """The time zone is part of a window's identity."""
    w = {"kind": "deny", "schedule": "0 1 * * *", "duration": "1h", "namespaces": ["a"]}
    assert len(SyncWindows.from_specs([w, {**w, "timeZone": "Asia/Tokyo"}])) == 2


def test_invalid_window_refused_when_loading_project_yaml() -> None:
    """AppProject.from_yaml refuses a bad window with file line and field."""
    text = """apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: demo}
spec:
  syncWindows:
  - kind: deny
    schedule: "0 25 * * *"
    duration: 1h
    namespaces: ["*"]
"""
    with pytest.raises(ValidationError) as info:
        AppProject.from_yaml(text)
    assert info.value.field == "spec.syncWindows[0].schedule"
    assert info.value.line == 7
    assert "0-23" in str(info.value)


@pytest.mark.parametrize(
    ("schedule", "now", "active"),
    [
        ("@daily", utc(2026, 5, 1, 0, 30), True),
        ("@hourly", utc(2026, 5, 1, 13, 59), True),
        ("@every 30m", utc(2026, 5, 1, 13, 59), True),  # opens every 30m for 1h: always
        ("0 9 * * mon-fri", utc(2026, 5, 2, 9, 30), False),  # 2026-05-02 is a Saturday
        ("0 9 * * MON-FRI", utc(2026, 5, 1, 9, 30), True),  # a Friday
        ("0 9 ? * 5", utc(2026, 5, 1, 9, 30), True),
        ("*/15 * * * *", utc(2026, 5, 1, 9, 30), True),
    ],
)
def test_schedule_syntax(schedule: str, now: datetime, active: bool) -> None:
    """Descriptors, names, `?` and steps as robfig/cron accepts them."""
    assert window(schedule=schedule).is_active(now) is active


# --- active --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "active"),
    [
        (utc(2026, 1, 10, 21, 59), False),
        (utc(2026, 1, 10, 22, 0), True),  # start instant is inside
        (utc(2026, 1, 10, 23, 59), True),
        (utc(2026, 1, 11, 0, 30), True),  # after midnight, still inside 22:00 + 4h
        (utc(2026, 1, 11, 1, 59, 59), True),
        (utc(2026, 1, 11, 2, 0), False),  # end instant is outside
        (utc(2026, 1, 11, 12, 0), False),
    ],
)
def test_window_crossing_midnight(now: datetime, active: bool) -> None:
    """22:00 for 4h is open from 22:00 to 02:00 the next day."""
    assert window(schedule="0 22 * * *", duration="4h").is_active(now) is active


def test_window_in_time_zone() -> None:
    """09:00 Asia/Tokyo (UTC+9, no DST) is 00:00 UTC."""
    w = window(schedule="0 9 * * *", duration="1h", timeZone="Asia/Tokyo")
    assert w.is_active(utc(2026, 7, 1, 0, 30))
    assert not w.is_active(utc(2026, 7, 1, 9, 30))


def test_naive_now_is_utc() -> None:
    """A naive datetime is read as UTC."""
    w = window(schedule="0 9 * * *", duration="1h")
    assert w.is_active(datetime(2026, 7, 1, 9, 30))


def test_aware_now_in_other_zone() -> None:
    """An aware datetime in any zone denotes the same instant (09:30 UTC = 18:30 Tokyo)."""
    w = window(schedule="0 9 * * *", duration="1h")
    assert w.is_active(datetime(2026, 7, 1, 18, 30, tzinfo=ZoneInfo("Asia/Tokyo")))


@pytest.mark.parametrize(
    ("now", "active"),
    [
        # Berlin is UTC+1 in winter, UTC+2 in summer: 02:00 wall clock moves in UTC.
        (utc(2026, 1, 15, 1, 30), True),  # 02:30 CET
        (utc(2026, 1, 15, 0, 30), False),
        (utc(2026, 7, 15, 0, 30), True),  # 02:30 CEST
        (utc(2026, 7, 15, 1, 30), False),  # 03:30 CEST
    ],
)
def test_window_follows_wall_clock_across_seasons(now: datetime, active: bool) -> None:
    """A window at 02:00 Europe/Berlin opens at 02:00 local in winter and in summer."""
    w = window(schedule="0 2 * * *", duration="1h", timeZone="Europe/Berlin")
    assert w.is_active(now) is active


def test_window_on_spring_forward_day_opens_when_clocks_jump() -> None:
    """2026-03-29 Berlin skips 02:00-03:00 (at 01:00 UTC); a 02:30 window opens at the jump."""
    w = window(schedule="30 2 * * *", duration="1h", timeZone="Europe/Berlin")
    assert not w.is_active(utc(2026, 3, 29, 0, 59))
    assert w.is_active(utc(2026, 3, 29, 1, 0))  # 03:00 CEST: the wall clock passed 02:30
    assert w.is_active(utc(2026, 3, 29, 1, 59))
    assert not w.is_active(utc(2026, 3, 29, 2, 0))  # 1h later
    # the next day the window is back at 02:30 CEST = 00:30 UTC
    assert w.is_active(utc(2026, 3, 30, 0, 30))


def test_window_on_fall_back_day_opens_once() -> None:
    """2026-10-25 Berlin repeats 02:00-03:00; 02:30 opens at its first occurrence only."""
    w = window(schedule="30 2 * * *", duration="30m", timeZone="Europe/Berlin")
    assert w.is_active(utc(2026, 10, 25, 0, 30))  # 02:30 CEST, first pass
    assert not w.is_active(utc(2026, 10, 25, 1, 30))  # 02:30 CET, second pass


def test_zero_duration_window_is_never_active() -> None:
    """A window of 0 duration never opens."""
    w = window(schedule="* * * * *", duration="0")
    assert not w.is_active(utc(2026, 1, 1, 0, 0))


# --- matching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "matches"),
    [
        ({"applications": ["guest*"]}, True),
        ({"applications": ["other"]}, False),
        ({"applications": None, "namespaces": ["default"]}, True),
        ({"applications": None, "clusters": ["https://kubernetes.default.svc"]}, True),
        ({"applications": None, "clusters": ["in-*"]}, False),  # app gives a server, no name
        ({"applications": ["other"], "namespaces": ["default"]}, True),  # OR by default
        ({"applications": ["other"], "namespaces": ["default"], "andOperator": True}, False),
        ({"applications": ["guest*"], "namespaces": ["default"], "andOperator": True}, True),
        # andOperator ignores unconfigured lists
        ({"applications": ["guest*"], "andOperator": True}, True),
        ({"applications": ["!guestbook"]}, False),  # no negation in windows
    ],
)
def test_window_matching(make_app: MakeA, spec: dict[str, Any], matches: bool) -> None:
    """Applications, namespaces and clusters globs, OR unless andOperator."""
    w = window(schedule="0 1 * * *", **spec)
    assert w.matches(make_app("guestbook")) is matches


def test_cluster_matches_by_name(make_app: MakeA) -> None:
    """A clusters entry matches the destination name when the app gives one."""
    w = window(schedule="0 1 * * *", applications=None, clusters=["in-*"])
    assert w.matches(make_app(server=None, cluster_name="in-cluster"))


# --- decisions -------------------------------------------------------------------------------

NIGHT_DENY = {"kind": "deny", "schedule": "0 22 * * *", "duration": "8h", "applications": ["*"]}
DAY_ALLOW = {"kind": "allow", "schedule": "0 8 * * *", "duration": "10h", "applications": ["*"]}


def windows(*specs: dict[str, Any]) -> SyncWindows:
    return SyncWindows.from_specs(list(specs))


def test_no_windows_allow() -> None:
    """No matching windows: syncs are allowed."""
    d = windows().decide(utc(2026, 1, 1, 3))
    assert d.allowed and bool(d) and "no sync windows" in d.reason


def test_active_deny_blocks() -> None:
    """Inside a deny window automated and manual syncs are blocked."""
    ws = windows(NIGHT_DENY)
    assert not ws.can_sync(utc(2026, 1, 1, 23))
    assert not ws.can_sync(utc(2026, 1, 1, 23), manual=True)
    d = ws.decide(utc(2026, 1, 1, 23))
    assert "deny" in d.reason and d.windows == (ws[0],)


def test_inactive_deny_allows() -> None:
    """Only deny windows, all closed: allowed."""
    assert windows(NIGHT_DENY).can_sync(utc(2026, 1, 1, 12))


def test_deny_manual_sync() -> None:
    """manualSync on the active deny window lets manual syncs through, not automated."""
    ws = windows({**NIGHT_DENY, "manualSync": True})
    assert ws.can_sync(utc(2026, 1, 1, 23), manual=True)
    assert not ws.can_sync(utc(2026, 1, 1, 23), manual=False)


def test_manual_sync_needs_every_active_deny() -> None:
    """Two active deny windows: manual passes only if both have manualSync."""
    other = {**NIGHT_DENY, "schedule": "0 23 * * *", "applications": ["guest*"]}
    ws = windows({**NIGHT_DENY, "manualSync": True}, other)
    assert not ws.can_sync(utc(2026, 1, 1, 23, 30), manual=True)
    ws = windows({**NIGHT_DENY, "manualSync": True}, {**other, "manualSync": True})
    assert ws.can_sync(utc(2026, 1, 1, 23, 30), manual=True)


def test_allow_window_open_and_closed() -> None:
    """With an allow window, syncs run only while it is open."""
    ws = windows(DAY_ALLOW)
    assert ws.can_sync(utc(2026, 1, 1, 12))
    assert not ws.can_sync(utc(2026, 1, 1, 19))
    assert not ws.can_sync(utc(2026, 1, 1, 19), manual=True)
    assert "outside" in ws.decide(utc(2026, 1, 1, 19)).reason


def test_closed_allow_with_manual_sync() -> None:
    """manualSync on the (closed) allow windows lets manual syncs through."""
    ws = windows({**DAY_ALLOW, "manualSync": True})
    assert ws.can_sync(utc(2026, 1, 1, 19), manual=True)
    assert not ws.can_sync(utc(2026, 1, 1, 19))


def test_overlapping_allow_and_deny_deny_wins() -> None:
    """Allow 08:00-18:00 and deny 12:00-13:00 overlap: deny wins at 12:30."""
    ws = windows(DAY_ALLOW, {**NIGHT_DENY, "schedule": "0 12 * * *", "duration": "1h"})
    assert ws.can_sync(utc(2026, 1, 1, 11))
    assert not ws.can_sync(utc(2026, 1, 1, 12, 30))
    assert ws.can_sync(utc(2026, 1, 1, 13, 30))


def test_one_open_allow_is_enough() -> None:
    """Two allow windows, one open: allowed."""
    ws = windows(DAY_ALLOW, {**DAY_ALLOW, "schedule": "0 20 * * *", "duration": "1h"})
    assert ws.can_sync(utc(2026, 1, 1, 20, 30))


def test_sync_overrun_on_deny() -> None:
    """An operation started before a syncOverrun deny window opened may continue."""
    ws = windows({**NIGHT_DENY, "syncOverrun": True})
    started = utc(2026, 1, 1, 21, 50)
    assert ws.can_sync(utc(2026, 1, 1, 22, 10), operation_started_at=started)
    assert not ws.can_sync(utc(2026, 1, 1, 22, 10))  # a new sync is blocked
    # started inside the deny window: it was never allowed, so no overrun
    assert not ws.can_sync(utc(2026, 1, 1, 22, 30), operation_started_at=utc(2026, 1, 1, 22, 5))


def test_no_overrun_without_flag() -> None:
    """Without syncOverrun a running operation is blocked when the deny window opens."""
    ws = windows(NIGHT_DENY)
    assert not ws.can_sync(utc(2026, 1, 1, 22, 10), operation_started_at=utc(2026, 1, 1, 21, 50))


def test_sync_overrun_on_allow() -> None:
    """An operation started inside a syncOverrun allow window may run past its end."""
    ws = windows({**DAY_ALLOW, "syncOverrun": True})
    assert ws.can_sync(utc(2026, 1, 1, 18, 10), operation_started_at=utc(2026, 1, 1, 17, 55))
    assert not ws.can_sync(utc(2026, 1, 1, 18, 10))


def test_project_can_sync_uses_matching_windows(make_project: MakeP, make_app: MakeA) -> None:
    """AppProject.can_sync only considers windows that match the app."""
    proj = make_project(
        syncWindows=[
            {**NIGHT_DENY, "applications": ["payments"]},
            {**DAY_ALLOW, "applications": None, "namespaces": ["prod"]},
        ]
    )
    night = utc(2026, 1, 1, 23)
    assert proj.can_sync(make_app("guestbook"), night)  # neither window matches
    assert not proj.can_sync(make_app("payments"), night)
    assert not proj.can_sync(make_app("web", dest_namespace="prod"), night)
    d = proj.sync_decision(make_app("payments"), night)
    assert not d.allowed and d.windows[0].index == 0


def test_project_sync_windows_is_iterable(make_project: MakeP) -> None:
    """proj.sync_windows iterates its windows, in order."""
    proj = make_project(syncWindows=[NIGHT_DENY, DAY_ALLOW])
    assert [w.kind for w in proj.sync_windows] == ["deny", "allow"]
    assert [w.kind for w in proj.sync_windows.active(utc(2026, 1, 1, 23))] == ["deny"]


# --- next_change -----------------------------------------------------------------------------


def test_next_change_is_next_opening() -> None:
    """Before a window opens, the next change is its opening."""
    assert windows(NIGHT_DENY).next_change(utc(2026, 1, 1, 12)) == utc(2026, 1, 1, 22)


def test_next_change_is_closing_when_open() -> None:
    """Inside a window, the next change is its end (22:00 + 8h = 06:00 next day)."""
    assert windows(NIGHT_DENY).next_change(utc(2026, 1, 1, 23)) == utc(2026, 1, 2, 6)


def test_next_change_merges_chained_openings() -> None:
    """Hourly openings lasting 90 minutes overlap: the window never closes."""
    ws = windows({**NIGHT_DENY, "schedule": "0 * * * *", "duration": "90m"})
    assert ws.next_change(utc(2026, 1, 1, 12, 10)) is None


def test_next_change_earliest_of_several() -> None:
    """The earliest change over all windows wins."""
    ws = windows(NIGHT_DENY, DAY_ALLOW)
    assert ws.next_change(utc(2026, 1, 1, 7)) == utc(2026, 1, 1, 8)
    assert ws.next_change(utc(2026, 1, 1, 12)) == utc(2026, 1, 1, 18)


def test_next_change_in_time_zone_across_dst() -> None:
    """Berlin 02:00 on 2026-03-28 is 01:00 UTC; the day after the change it is 00:00 UTC."""
    ws = windows(
        {**NIGHT_DENY, "schedule": "0 2 * * *", "duration": "1h", "timeZone": "Europe/Berlin"}
    )
    assert ws.next_change(utc(2026, 3, 27, 12)) == utc(2026, 3, 28, 1)
    # 2026-03-29 02:00 does not exist: the window opens at the jump, 01:00 UTC
    assert ws.next_change(utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    assert ws.next_change(utc(2026, 3, 29, 12)) == utc(2026, 3, 30, 0)


def test_next_change_then_active() -> None:
    """At the instant next_change returns, the state has changed."""
    ws = windows(NIGHT_DENY)
    t = utc(2026, 1, 1, 12)
    for _ in range(4):
        before = bool(ws.active(t))
        nxt = ws.next_change(t)
        assert nxt is not None
        assert bool(ws.active(nxt)) is not before
        t = nxt


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
    schedule=st.sampled_from(["0 2 * * *", "30 1 * * 0", "*/20 9-17 * * 1-5", "0 0 1 * *"]),
    duration=st.sampled_from(["30m", "1h", "3h", "25h"]),
)
def test_state_flips_exactly_at_next_change(
    minutes: int, zone: str, schedule: str, duration: str
) -> None:
    """Property: just before next_change the state is unchanged, at next_change it flips."""
    w = SyncWindow.from_spec(
        {
            "kind": "deny",
            "schedule": schedule,
            "duration": duration,
            "applications": ["*"],
            "timeZone": zone,
        }
    )
    now = utc(2026, 1, 1) + timedelta(minutes=minutes)
    nxt = w.next_change(now)
    before = w.is_active(now)
    if nxt is None:  # overlapping openings (daily for 25h): open for good
        assert before and duration == "25h"
        return
    assert nxt > now
    assert w.is_active(nxt - timedelta(seconds=1)) is before
    assert w.is_active(nxt) is not before
