"""Sync windows: when an AppProject lets its applications sync.

A window is a cron ``schedule`` (five fields, or a descriptor such as ``@daily``) that opens it,
a Go ``duration`` it stays open for, a ``timeZone`` the schedule is read in, and the
applications, namespaces and clusters it applies to. :class:`SyncWindows` answers Argo CD's
questions (which windows match an app, which are active now, may it sync) and one Argo CD does
not: :meth:`SyncWindows.next_change`, the next instant a window opens or closes.

Time zones: a window "at 02:00 Europe/Berlin" opens at 02:00 on the Berlin wall clock on every
day of the year. Argo CD instead shifts the schedule by the zone's offset *at the moment of
the check*, which is the same thing except around daylight-saving changes. Here a scheduled
wall time that does not exist (skipped by a spring-forward change) opens the window at the
moment the clocks jump; one that exists twice (autumn) opens it at the first occurrence.

Boundaries: a window is active from its start instant (inclusive) for ``duration``
(exclusive). Argo CD's arithmetic treats the exact start instant as still closed; every other
instant agrees.

>>> from datetime import datetime, timezone
>>> w = SyncWindow.from_spec({"kind": "deny", "schedule": "0 22 * * *", "duration": "4h",
...                           "namespaces": ["prod"]})
>>> w.is_active(datetime(2026, 3, 3, 1, 30, tzinfo=timezone.utc))
True
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from gitopslib.errors import ValidationError
from gitopslib.globs import glob_match
from gitopslib.project._schedule import (
    aware_utc,
    parse_go_duration,
    parse_schedule,
    wall_to_instant,
)

__all__ = [
    "SyncDecision",
    "SyncWindow",
    "SyncWindows",
    "parse_go_duration",
]


def _list(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def _get(spec: Any, name: str, alias: str) -> Any:
    if isinstance(spec, Mapping):
        return spec.get(alias, spec.get(name))
    return getattr(spec, name, None)


_MAX_CHAIN = 2000
# next_change looks this far ahead; a window open all that time "never" closes.
_HORIZON = timedelta(days=370)


@dataclass(frozen=True)
class SyncWindow:
    """One validated sync window. Build with :meth:`from_spec`.

    >>> w = SyncWindow.from_spec({"kind": "allow", "schedule": "0 9 * * 1-5", "duration": "8h",
    ...                           "applications": ["*"], "timeZone": "Europe/Berlin"})
    >>> w.kind, w.duration, w.time_zone
    ('allow', datetime.timedelta(seconds=28800), 'Europe/Berlin')
    """

    kind: str
    schedule: str
    duration: timedelta
    applications: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    manual_sync: bool = False
    time_zone: str = "UTC"
    and_operator: bool = False
    sync_overrun: bool = False
    description: str = ""
    index: int = 0
    duration_text: str = field(default="", compare=False)
    _cron: str | None = field(default=None, repr=False, compare=False)
    _every: timedelta | None = field(default=None, repr=False, compare=False)
    # one croniter per window, re-positioned per question (building one costs more than
    # answering); the lock keeps that safe across threads.
    _iter: Any = field(default=None, repr=False, compare=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def from_spec(cls, spec: Any, index: int = 0) -> SyncWindow:
        """Validate one ``syncWindows[]`` entry (model object or camelCase dict).

        Raises :class:`gitopslib.errors.ValidationError` naming the field
        (``spec.syncWindows[<index>].schedule``) for an unknown kind, a bad schedule, duration
        or time zone, or a window that names no applications, namespaces or clusters.
        """
        where = f"spec.syncWindows[{index}]"
        kind = str(_get(spec, "kind", "kind") or "")
        if kind not in ("allow", "deny"):
            raise ValidationError(f"kind {kind!r} is not 'allow' or 'deny'", field=f"{where}.kind")
        schedule = str(_get(spec, "schedule", "schedule") or "")
        try:
            cron, every = parse_schedule(schedule)
        except ValueError as exc:
            raise ValidationError(
                f"cannot parse schedule {schedule!r}: {exc}", field=f"{where}.schedule"
            ) from None
        duration_text = str(_get(spec, "duration", "duration") or "")
        try:
            duration = parse_go_duration(duration_text)
        except ValueError as exc:
            raise ValidationError(str(exc), field=f"{where}.duration") from None
        if duration < timedelta(0):
            raise ValidationError(
                f"duration {duration_text!r} is negative", field=f"{where}.duration"
            )
        tz = str(_get(spec, "time_zone", "timeZone") or "") or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                f"unknown time zone {tz!r} (an IANA name such as Europe/Berlin)",
                field=f"{where}.timeZone",
            ) from None
        apps = _list(_get(spec, "applications", "applications"))
        nss = _list(_get(spec, "namespaces", "namespaces"))
        clusters = _list(_get(spec, "clusters", "clusters"))
        if not (apps or nss or clusters):
            raise ValidationError(
                "a window needs at least one of applications, namespaces or clusters",
                field=where,
            )
        return cls(
            kind=kind,
            schedule=schedule,
            duration=duration,
            applications=apps,
            namespaces=nss,
            clusters=clusters,
            manual_sync=bool(_get(spec, "manual_sync", "manualSync")),
            time_zone=tz,
            and_operator=bool(_get(spec, "and_operator", "andOperator")),
            sync_overrun=bool(_get(spec, "sync_overrun", "syncOverrun")),
            description=str(_get(spec, "description", "description") or ""),
            index=index,
            duration_text=duration_text,
            _cron=cron,
            _every=every,
            _iter=None
            if cron is None
            else croniter(cron, datetime(2000, 1, 1), max_years_between_matches=5),
        )

    @property
    def identity(self) -> tuple[Any, ...]:
        """What makes two windows duplicates (Argo CD hashes the same fields)."""
        return (
            self.kind,
            self.schedule,
            self.duration_text,
            self.applications,
            self.namespaces,
            self.clusters,
            self.time_zone,
            self.and_operator,
        )

    # --- time ---------------------------------------------------------------------------

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def _last_start(self, now: datetime) -> datetime | None:
        """The latest opening instant at or before ``now`` (UTC-aware), if any."""
        if self._cron is None:
            return None
        zone = self._zone
        local = now.astimezone(zone)
        start = local.replace(tzinfo=None) + timedelta(seconds=1)
        if local.fold:  # second pass of a repeated hour: first-pass fires lie "ahead"
            start += (local.replace(fold=0).utcoffset() or timedelta(0)) - (
                local.utcoffset() or timedelta(0)
            )
        with self._lock:
            it = self._iter
            it.set_current(start, force=True)
            for _ in range(_MAX_CHAIN):
                try:
                    naive = it.get_prev(datetime)
                except Exception:  # croniter signals "no more fires" in several ways
                    return None
                instant = wall_to_instant(naive, zone)
                if instant <= now:
                    return instant
        return None

    def _next_start(self, now: datetime) -> datetime | None:
        """The first opening instant strictly after ``now`` (UTC-aware), if any."""
        if self._cron is None:
            return None
        zone = self._zone
        naive_now = now.astimezone(zone).replace(tzinfo=None)
        with self._lock:
            it = self._iter
            it.set_current(naive_now - timedelta(seconds=1), force=True)
            for _ in range(_MAX_CHAIN):
                try:
                    naive = it.get_next(datetime)
                except Exception:  # croniter signals "no more fires" in several ways
                    return None
                instant = wall_to_instant(naive, zone)
                if instant > now:
                    return instant
        return None

    def is_active(self, now: datetime) -> bool:
        """Whether the window is open at ``now`` (naive datetimes are UTC).

        >>> from datetime import datetime
        >>> w = SyncWindow.from_spec({"kind": "allow", "schedule": "0 2 * * *",
        ...                           "duration": "1h", "applications": ["*"]})
        >>> w.is_active(datetime(2026, 5, 1, 2, 59)), w.is_active(datetime(2026, 5, 1, 3, 0))
        (True, False)
        """
        moment = aware_utc(now)
        if self._every is not None:
            return self._every < self.duration
        if not self.duration:
            return False
        start = self._last_start(moment)
        return start is not None and moment < start + self.duration

    def next_change(self, now: datetime) -> datetime | None:
        """The next instant after ``now`` at which this window opens or closes (UTC).

        Overlapping or back-to-back openings are merged: a window that stays open for the
        next year (openings that overlap each other) gives None.
        """
        moment = aware_utc(now)
        if self._every is not None or not self.duration:
            return None
        start = self._last_start(moment)
        if start is None or moment >= start + self.duration:
            return self._next_start(moment)
        end = start + self.duration
        horizon = moment + _HORIZON
        while end <= horizon:
            latest = self._last_start(end)
            if latest is None or latest + self.duration <= end:
                return end
            end = latest + self.duration
        return None

    # --- applications ----------------------------------------------------------------------

    def matches(self, app: Any) -> bool:
        """Whether the window applies to ``app`` (globs; ``andOperator`` needs every list).

        >>> from types import SimpleNamespace as NS
        >>> app = NS(metadata=NS(name="web"),
        ...          spec=NS(destination=NS(server="https://k", name=None, namespace="prod")))
        >>> SyncWindow.from_spec({"kind": "deny", "schedule": "* * * * *", "duration": "1h",
        ...     "applications": ["api"], "namespaces": ["prod"]}).matches(app)
        True
        """
        name = str(getattr(app.metadata, "name", None) or "")
        dest = app.spec.destination
        d_server = str(getattr(dest, "server", None) or "")
        d_name = str(getattr(dest, "name", None) or "")
        d_ns = str(getattr(dest, "namespace", None) or "")

        def g(pattern: str, value: str) -> bool:
            return pattern == "*" or glob_match(pattern, value)

        results: list[bool] = []
        if self.applications:
            results.append(any(g(p, name) for p in self.applications))
        if self.clusters:
            results.append(
                any(
                    (d_name != "" and g(p, d_name)) or (d_server != "" and g(p, d_server))
                    for p in self.clusters
                )
            )
        if self.namespaces:
            results.append(any(g(p, d_ns) for p in self.namespaces))
        return all(results) if self.and_operator else any(results)

    def __str__(self) -> str:
        return (
            f"{self.kind} window #{self.index} '{self.schedule}' for "
            f"{self.duration_text or self.duration} ({self.time_zone})"
        )


@dataclass(frozen=True)
class SyncDecision:
    """Whether a sync may run now, and why. Truthy when allowed.

    ``windows`` are the windows the decision rests on (the active deny windows that block,
    the inactive allow windows that block, the active allow windows that permit...).
    """

    allowed: bool
    reason: str
    windows: tuple[SyncWindow, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


_SPEC_FIELDS = (
    ("kind", "kind"),
    ("schedule", "schedule"),
    ("duration", "duration"),
    ("applications", "applications"),
    ("namespaces", "namespaces"),
    ("clusters", "clusters"),
    ("manual_sync", "manualSync"),
    ("time_zone", "timeZone"),
    ("and_operator", "andOperator"),
    ("sync_overrun", "syncOverrun"),
    ("description", "description"),
)


@lru_cache(maxsize=1024)
def _window_from_key(key: tuple[Any, ...], index: int) -> SyncWindow:
    spec = {alias: value for (_, alias), value in zip(_SPEC_FIELDS, key, strict=True)}
    return SyncWindow.from_spec(spec, index)


def _window(spec: Any, index: int) -> SyncWindow:
    """``SyncWindow.from_spec`` memoised on the window's field values (validating a schedule
    costs more than evaluating it)."""
    key = tuple(
        tuple(v) if isinstance(v, list) else v
        for v in (_get(spec, name, alias) for name, alias in _SPEC_FIELDS)
    )
    try:
        hash(key)
    except TypeError:
        return SyncWindow.from_spec(spec, index)
    return _window_from_key(key, index)


def _names(windows: Iterable[SyncWindow]) -> str:
    return ", ".join(str(w) for w in windows)


class SyncWindows(Sequence[SyncWindow]):
    """An ordered collection of sync windows with Argo CD's questions as methods.

    >>> from datetime import datetime
    >>> ws = SyncWindows.from_specs([{"kind": "allow", "schedule": "0 9 * * *",
    ...                                "duration": "1h", "namespaces": ["*"]}])
    >>> bool(ws.active(datetime(2026, 1, 5, 9, 30))), bool(ws.active(datetime(2026, 1, 5, 11)))
    (True, False)
    """

    def __init__(self, windows: Iterable[SyncWindow] = ()) -> None:
        self._windows: tuple[SyncWindow, ...] = tuple(windows)

    @classmethod
    def from_specs(cls, specs: Iterable[Any] | None) -> SyncWindows:
        """Validate every window; duplicates are refused like Argo CD refuses them."""
        windows: list[SyncWindow] = []
        seen: dict[tuple[Any, ...], int] = {}
        for i, spec in enumerate(specs or ()):
            w = _window(spec, i)
            if w.identity in seen:
                raise ValidationError(
                    f"duplicate of spec.syncWindows[{seen[w.identity]}] "
                    f"({w.kind} '{w.schedule}' {w.duration_text})",
                    field=f"spec.syncWindows[{i}]",
                )
            seen[w.identity] = i
            windows.append(w)
        return cls(windows)

    @overload
    def __getitem__(self, index: int) -> SyncWindow: ...
    @overload
    def __getitem__(self, index: slice) -> SyncWindows: ...
    def __getitem__(self, index: int | slice) -> SyncWindow | SyncWindows:
        if isinstance(index, slice):
            return SyncWindows(self._windows[index])
        return self._windows[index]

    def __len__(self) -> int:
        return len(self._windows)

    def __iter__(self) -> Iterator[SyncWindow]:
        return iter(self._windows)

    def __repr__(self) -> str:
        return f"SyncWindows({list(self._windows)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SyncWindows):
            return self._windows == other._windows
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._windows)

    def matching(self, app: Any) -> SyncWindows:
        """The windows that apply to ``app``."""
        return SyncWindows(w for w in self._windows if w.matches(app))

    def active(self, now: datetime) -> SyncWindows:
        """The windows open at ``now``."""
        return SyncWindows(w for w in self._windows if w.is_active(now))

    def inactive_allows(self, now: datetime) -> SyncWindows:
        """The allow windows closed at ``now``."""
        return SyncWindows(w for w in self._windows if w.kind == "allow" and not w.is_active(now))

    def next_change(self, now: datetime) -> datetime | None:
        """The next instant any of these windows opens or closes (UTC), or None.

        >>> from datetime import datetime
        >>> ws = SyncWindows.from_specs([{"kind": "deny", "schedule": "0 22 * * *",
        ...                                "duration": "2h", "applications": ["*"]}])
        >>> ws.next_change(datetime(2026, 1, 5, 12)).isoformat()
        '2026-01-05T22:00:00+00:00'
        """
        changes = [c for c in (w.next_change(now) for w in self._windows) if c is not None]
        return min(changes) if changes else None

    def decide(
        self,
        now: datetime,
        manual: bool = False,
        operation_started_at: datetime | None = None,
    ) -> SyncDecision:
        """Argo CD's ``CanSync`` over these (already matched) windows, with the reason.

        Deny beats allow; ``manualSync`` lets manual syncs through; ``syncOverrun`` lets an
        operation started while it was allowed run on; no windows means allowed.
        """
        if not self._windows:
            return SyncDecision(True, "no sync windows apply")
        active = self.active(now)
        denies = tuple(w for w in active if w.kind == "deny")
        if denies:
            if manual and all(w.manual_sync for w in denies):
                return SyncDecision(
                    True, f"manual sync permitted during deny window(s): {_names(denies)}", denies
                )
            if self._overrun(denies, now, manual, operation_started_at):
                return SyncDecision(
                    True,
                    f"operation started while allowed; deny window(s) allow overrun: "
                    f"{_names(denies)}",
                    denies,
                )
            return SyncDecision(
                False, f"blocked by active deny window(s): {_names(denies)}", denies
            )
        allows = tuple(w for w in active if w.kind == "allow")
        if allows:
            return SyncDecision(True, f"inside allow window(s): {_names(allows)}", allows)
        closed = tuple(w for w in self._windows if w.kind == "allow")
        if closed:
            if manual and all(w.manual_sync for w in closed):
                return SyncDecision(
                    True,
                    f"manual sync permitted outside allow window(s): {_names(closed)}",
                    closed,
                )
            if self._overrun(closed, now, manual, operation_started_at):
                return SyncDecision(
                    True,
                    f"operation started while allowed; allow window(s) allow overrun: "
                    f"{_names(closed)}",
                    closed,
                )
            return SyncDecision(False, f"outside every allow window: {_names(closed)}", closed)
        return SyncDecision(True, "only inactive deny windows apply")

    def _overrun(
        self,
        windows: Sequence[SyncWindow],
        now: datetime,
        manual: bool,
        started: datetime | None,
    ) -> bool:
        if started is None or not all(w.sync_overrun for w in windows):
            return False
        if aware_utc(started) > aware_utc(now):
            return False
        return self.decide(started, manual, None).allowed

    def can_sync(
        self,
        now: datetime,
        manual: bool = False,
        operation_started_at: datetime | None = None,
    ) -> bool:
        """``decide(...).allowed``."""
        return self.decide(now, manual, operation_started_at).allowed
