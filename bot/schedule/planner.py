"""When each server's daily post is due: pure functions over aware datetimes, no I/O.

A *slot* is one day's run: the local date it belongs to and the UTC instant it is due. All
decisions (due? late? missed?) are made by comparing slots with a ``now`` passed in, so tests
and the benchmark can use any clock.

Daylight saving: a local time that does not exist that day (spring-forward gap) runs at the first
instant after the gap; a local time that happens twice (fall-back) runs once, at the first
occurrence. Slot instants therefore strictly increase from one local date to the next, and each
local date has exactly one slot.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC: Final = dt.UTC
DEFAULT_GRACE: Final = dt.timedelta(hours=6)

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class InvalidSetting(ValueError):
    """A user-supplied setting is not acceptable; the message is fit to show the user."""


@dataclass(frozen=True, order=True)
class Slot:
    """One daily run: due at ``at`` (aware UTC), belonging to ``local_date`` in the guild's zone."""

    at: dt.datetime
    local_date: dt.date


def parse_time(text: str) -> dt.time:
    """``"HH:MM"`` (24-hour, two digits each) → :class:`datetime.time`."""
    m = _HHMM.match(text.strip())
    if not m:
        raise InvalidSetting(f"time must be HH:MM on a 24-hour clock, e.g. 09:00 (got {text!r})")
    return dt.time(int(m.group(1)), int(m.group(2)))


def get_zone(name: str) -> ZoneInfo:
    """An IANA zone such as ``Asia/Karachi``; raises :class:`InvalidSetting` for unknown names."""
    try:
        if not name or name != name.strip() or name.startswith(("/", ".")):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidSetting(f"unknown time zone {name!r}; use an IANA name such as Asia/Karachi") from exc


def _aware(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime {now!r}: the planner needs aware datetimes")
    return now.astimezone(UTC)


def local_date_of(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The calendar date in ``zone`` at ``instant``."""
    return _aware(instant).astimezone(zone).date()


def _exists(naive: dt.datetime, zone: ZoneInfo) -> bool:
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == naive


def _after_gap(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """First UTC instant whose wall-clock time in ``zone`` is later than the missing ``naive``."""
    a = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    b = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)  # wall(lo) is before the gap, wall(hi) after it
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:  # invariant: wall(lo_s) < naive < wall(hi_s)
        mid = (lo_s + hi_s) // 2
        wall = dt.datetime.fromtimestamp(mid, UTC).astimezone(zone).replace(tzinfo=None)
        if wall > naive:
            hi_s = mid
        else:
            lo_s = mid
    return dt.datetime.fromtimestamp(hi_s, UTC)


def slot_for(local_date: dt.date, post_time: dt.time | str, zone: ZoneInfo) -> Slot:
    """The slot of ``local_date``: its local ``post_time``, moved past a DST gap, first of a repeat."""
    t = parse_time(post_time) if isinstance(post_time, str) else post_time
    naive = dt.datetime.combine(local_date, t)
    if _exists(naive, zone):
        # fold=0 is the earlier of two occurrences (PEP 495), i.e. the first one on fall-back day.
        return Slot(naive.replace(tzinfo=zone, fold=0).astimezone(UTC), local_date)
    return Slot(_after_gap(naive, zone), local_date)


def latest_slot(now: dt.datetime, post_time: dt.time | str, zone: ZoneInfo) -> Slot:
    """The most recent slot due at or before ``now``."""
    now = _aware(now)
    today = local_date_of(now, zone)
    for k in (1, 0, -1, -2):
        s = slot_for(today + dt.timedelta(days=k), post_time, zone)
        if s.at <= now:
            return s
    raise AssertionError("unreachable: some slot in the last two days is due")  # pragma: no cover


def next_slot(now: dt.datetime, post_time: dt.time | str, zone: ZoneInfo) -> Slot:
    """The first slot strictly after ``now``."""
    now = _aware(now)
    today = local_date_of(now, zone)
    for k in (-1, 0, 1, 2):
        s = slot_for(today + dt.timedelta(days=k), post_time, zone)
        if s.at > now:
            return s
    raise AssertionError("unreachable: some slot in the next two days is ahead")  # pragma: no cover


def first_slot_from(
    local_date: dt.date, not_before: dt.datetime, post_time: dt.time | str, zone: ZoneInfo
) -> Slot:
    """The first slot on or after ``local_date`` that is due at or after ``not_before``."""
    not_before = _aware(not_before)
    day = max(local_date, local_date_of(not_before, zone) - dt.timedelta(days=1))
    while True:
        s = slot_for(day, post_time, zone)
        if s.at >= not_before:
            return s
        day += dt.timedelta(days=1)


def slots_due(
    first_date: dt.date, now: dt.datetime, post_time: dt.time | str, zone: ZoneInfo
) -> list[Slot]:
    """Slots from ``first_date`` on that are due at or before ``now``, oldest first."""
    now = _aware(now)
    out: list[Slot] = []
    day = first_date
    while True:
        s = slot_for(day, post_time, zone)
        if s.at > now:
            return out
        out.append(s)
        day += dt.timedelta(days=1)


def lateness(slot: Slot, now: dt.datetime) -> dt.timedelta:
    """How long after its due instant ``now`` is (negative if not yet due)."""
    return _aware(now) - slot.at


def within_grace(slot: Slot, now: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE) -> bool:
    """Whether a due slot may still be posted at ``now``: 0 ≤ lateness ≤ grace."""
    late = lateness(slot, now)
    return dt.timedelta(0) <= late <= grace
