"""The planner's date and time rules, including both DST change days in two zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.schedule import planner
from bot.schedule.planner import InvalidSetting, Slot

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
KARACHI = ZoneInfo("Asia/Karachi")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_ordinary_day_karachi() -> None:
    s = planner.slot_for(dt.date(2025, 5, 1), "09:00", KARACHI)
    assert s == Slot(utc(2025, 5, 1, 4, 0), dt.date(2025, 5, 1))


@pytest.mark.parametrize(
    ("zone", "day", "hhmm", "expected_utc", "local_wall"),
    [
        # Spring forward: 02:00 → 03:00. 02:30 does not exist → first instant after the gap.
        (NY, dt.date(2025, 3, 9), "02:30", utc(2025, 3, 9, 7, 0), "03:00"),
        (NY, dt.date(2025, 3, 9), "02:00", utc(2025, 3, 9, 7, 0), "03:00"),
        (NY, dt.date(2025, 3, 9), "03:00", utc(2025, 3, 9, 7, 0), "03:00"),
        (NY, dt.date(2025, 3, 9), "01:59", utc(2025, 3, 9, 6, 59), "01:59"),
        (BERLIN, dt.date(2025, 3, 30), "02:15", utc(2025, 3, 30, 1, 0), "03:00"),
    ],
)
def test_spring_forward_gap_posts_right_after_the_gap(
    zone: ZoneInfo, day: dt.date, hhmm: str, expected_utc: dt.datetime, local_wall: str
) -> None:
    s = planner.slot_for(day, hhmm, zone)
    assert s.at == expected_utc
    assert s.local_date == day
    assert s.at.astimezone(zone).strftime("%H:%M") == local_wall


@pytest.mark.parametrize(
    ("zone", "day", "hhmm", "first", "second"),
    [
        # Fall back: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
        (NY, dt.date(2025, 11, 2), "01:30", utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 30)),
        # Berlin: 02:30 happens at 00:30 UTC (CEST) and at 01:30 UTC (CET).
        (BERLIN, dt.date(2025, 10, 26), "02:30", utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 1, 30)),
    ],
)
def test_fall_back_repeat_posts_once_at_first_occurrence(
    zone: ZoneInfo, day: dt.date, hhmm: str, first: dt.datetime, second: dt.datetime
) -> None:
    s = planner.slot_for(day, hhmm, zone)
    assert s.at == first
    # Just after the second occurrence, the latest slot is still that same one (not a new one).
    assert planner.latest_slot(second + dt.timedelta(seconds=1), hhmm, zone) == s
    assert planner.slots_due(day, second + dt.timedelta(minutes=5), hhmm, zone) == [s]
    assert planner.next_slot(first, hhmm, zone).local_date == day + dt.timedelta(days=1)


def test_a_whole_missing_day_still_gets_one_slot() -> None:
    # Samoa skipped 30 December 2011: its slot falls at the first instant after the gap.
    apia = ZoneInfo("Pacific/Apia")
    s = planner.slot_for(dt.date(2011, 12, 30), "09:00", apia)
    assert s.at == utc(2011, 12, 30, 10, 0)
    assert s.at.astimezone(apia).replace(tzinfo=None) == dt.datetime(2011, 12, 31, 0, 0)
    assert planner.slot_for(dt.date(2011, 12, 31), "09:00", apia).at > s.at


@pytest.mark.parametrize("zone", [NY, BERLIN, KARACHI, ZoneInfo("Australia/Lord_Howe")])
@pytest.mark.parametrize("hhmm", ["00:00", "01:30", "02:30", "23:59"])
def test_slots_strictly_increase_through_a_year(zone: ZoneInfo, hhmm: str) -> None:
    day = dt.date(2025, 1, 1)
    prev = planner.slot_for(day, hhmm, zone)
    for k in range(1, 366):
        cur = planner.slot_for(day + dt.timedelta(days=k), hhmm, zone)
        assert cur.at > prev.at
        gap = cur.at - prev.at
        assert dt.timedelta(hours=22) <= gap <= dt.timedelta(hours=26)
        prev = cur


def test_latest_and_next_slot() -> None:
    now = utc(2025, 5, 1, 3, 59, 59)  # 08:59:59 in Karachi
    assert planner.next_slot(now, "09:00", KARACHI) == Slot(utc(2025, 5, 1, 4, 0), dt.date(2025, 5, 1))
    assert planner.latest_slot(now, "09:00", KARACHI).local_date == dt.date(2025, 4, 30)
    at = utc(2025, 5, 1, 4, 0)
    assert planner.latest_slot(at, "09:00", KARACHI).local_date == dt.date(2025, 5, 1)
    assert planner.next_slot(at, "09:00", KARACHI).local_date == dt.date(2025, 5, 2)


def test_local_date_belongs_to_the_zone() -> None:
    instant = utc(2025, 5, 1, 20, 30)  # 01:30 on 2 May in Karachi, 16:30 on 1 May in New York
    assert planner.local_date_of(instant, KARACHI) == dt.date(2025, 5, 2)
    assert planner.local_date_of(instant, NY) == dt.date(2025, 5, 1)


def test_grace_window_edges() -> None:
    s = planner.slot_for(dt.date(2025, 5, 1), "09:00", KARACHI)
    grace = dt.timedelta(hours=6)
    assert not planner.within_grace(s, s.at - dt.timedelta(seconds=1), grace)
    assert planner.within_grace(s, s.at, grace)
    assert planner.within_grace(s, s.at + grace, grace)
    assert not planner.within_grace(s, s.at + grace + dt.timedelta(seconds=1), grace)
    assert dt.timedelta(hours=6) == planner.DEFAULT_GRACE


def test_first_slot_from_respects_not_before() -> None:
    day = dt.date(2025, 5, 1)
    # Set at 10:00 local for 09:00: first owed slot is tomorrow's.
    s = planner.first_slot_from(day, utc(2025, 5, 1, 5, 0), "09:00", KARACHI)
    assert s.local_date == dt.date(2025, 5, 2)
    s = planner.first_slot_from(day, utc(2025, 5, 1, 3, 0), "09:00", KARACHI)
    assert s.local_date == day


def test_slots_due_lists_every_missed_day() -> None:
    due = planner.slots_due(dt.date(2025, 5, 1), utc(2025, 5, 3, 4, 0), "09:00", KARACHI)
    assert [s.local_date.day for s in due] == [1, 2, 3]


@pytest.mark.parametrize("bad", ["9:00", "24:00", "12:60", "noon", "", "12:00:00"])
def test_bad_times_are_refused(bad: str) -> None:
    with pytest.raises(InvalidSetting):
        planner.parse_time(bad)


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", " Asia/Karachi", "../etc/passwd", "/etc/localtime"])
def test_bad_zones_are_refused(bad: str) -> None:
    with pytest.raises(InvalidSetting):
        planner.get_zone(bad)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        planner.next_slot(dt.datetime(2025, 1, 1), "09:00", KARACHI)
