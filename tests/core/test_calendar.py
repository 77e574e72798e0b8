"""On this day and the timeline: years, 29 February, precision and multi-day events."""

from __future__ import annotations

from bot.core.briefs import Brief, Fact
from bot.core.calendar import Calendar
from bot.core.dates import PartialDate
from bot.core.library import Library


def fact(text: str, date: str, end: str | None = None) -> Fact:
    return Fact(text=text, source="doc", quote="q", line=1, date=PartialDate.parse(date),
                end=PartialDate.parse(end) if end else None)


def brief(bid: str, *facts: Fact, tags: tuple[str, ...] = ()) -> Brief:
    return Brief(id=bid, title=bid.title(), kind="topic", aliases=(), tags=tags, summary="s",
                 facts=facts, related=(), path=f"{bid}.yaml")


def test_day_events_from_every_year_with_years_ago() -> None:
    cal = Calendar([brief("a", fact("visit", "2019-07-11")), brief("b", fact("forum", "2022-07-11")),
                    brief("c", fact("other", "2022-07-12"))])
    hits = cal.on_this_day(7, 11, 2026)
    assert [(h.event.fact.text, h.years_ago) for h in hits] == [("visit", 7), ("forum", 4)]


def test_month_and_year_precision_are_never_reported_for_a_day() -> None:
    cal = Calendar([brief("a", fact("parade", "2025-11")), brief("b", fact("forum", "2022"))])
    for month, day in [(11, 1), (11, 30), (1, 1), (12, 31)]:
        assert cal.on_this_day(month, day, 2026) == []
    assert [e.fact.text for e in cal.timeline()] == ["forum", "parade"]


def test_multi_day_events_count_on_each_of_their_days() -> None:
    cal = Calendar([brief("a", fact("two-day visit", "2024-07-11", "2024-07-12"))])
    assert [h.on.day for h in cal.on_this_day(7, 11, 2025)] == [11]
    assert [h.on.day for h in cal.on_this_day(7, 12, 2025)] == [12]
    assert cal.on_this_day(7, 13, 2025) == []
    spanning = Calendar([brief("m", fact("new year summit", "2023-12-31", "2024-01-01"))])
    assert len(spanning.on_this_day(1, 1, 2026)) == 1 and len(spanning.on_this_day(12, 31, 2026)) == 1


def test_29_february_in_leap_and_common_years() -> None:
    cal = Calendar([brief("a", fact("leap day event", "2024-02-29"))])
    assert [h.years_ago for h in cal.on_this_day(2, 29, 2028)] == [4]
    assert [h.years_ago for h in cal.on_this_day(2, 28, 2027)] == [3]  # remembered on 28 Feb
    assert cal.on_this_day(2, 28, 2028) == []  # leap year: it has its own day
    assert cal.on_this_day(2, 29, None)  # asked for by day alone


def test_future_events_are_not_anniversaries() -> None:
    cal = Calendar([brief("a", fact("announced", "2030-05-28"))])
    assert cal.on_this_day(5, 28, 2026) == []


def test_timeline_filters_by_brief_tag_and_years() -> None:
    cal = Calendar([brief("a", fact("one", "2022-01-05"), tags=("energy",)),
                    brief("b", fact("two", "2024-03-01"), fact("three", "2025"))])
    assert [e.fact.text for e in cal.timeline(brief_ids={"b"})] == ["two", "three"]
    assert [e.fact.text for e in cal.timeline(tag="energy")] == ["one"]
    assert [e.fact.text for e in cal.timeline(start_year=2024, end_year=2024)] == ["two"]


def test_real_catalog_on_this_day(library: Library) -> None:
    visit = library.calendar.on_this_day(7, 11, 2026)
    assert any("visit" in h.event.fact.text.lower() and h.years_ago == 2 for h in visit)
    assert library.calendar.on_this_day(7, 12, 2026)  # second day of the visit
    # "last November" (2025-11) is month precision: never on a specific November day
    for day in range(1, 31):
        assert all(h.event.fact.date and h.event.fact.date.precision.value == "day"
                   for h in library.calendar.on_this_day(11, day, 2026))


def test_daily_post_text(library: Library) -> None:
    import datetime as dt

    from bot.core.daily import compose_daily_post

    post = compose_daily_post(library, dt.date(2026, 7, 11))
    assert post is not None and "2 years ago" in post and "two-day visit" in post
    assert compose_daily_post(library, dt.date(2026, 7, 1)) is None  # empty day, silent
    note = compose_daily_post(library, dt.date(2026, 7, 1), empty_days="note")
    assert note is not None and "no recorded events" in note
    ahead = compose_daily_post(library, dt.date(2026, 7, 9), upcoming_days=3)
    assert ahead is not None and "Coming up" in ahead and "11 July" in ahead
    assert len(compose_daily_post(library, dt.date(2026, 1, 30), upcoming_days=30) or "") <= 1950


def test_event_order_is_the_sort_key_order_on_many_random_events() -> None:
    # events_of sorts with numpy on the date and in Python within a day; the result must be what
    # sorting by Event.sort_key gives, ties (same day, brief and text) kept in first-seen order.
    import random

    from bot.core.calendar import Event, events_of

    rnd = random.Random(7)
    briefs = []
    for b in range(300):
        facts = []
        for f in range(rnd.randint(0, 6)):
            year = rnd.choice([2019, 2020, 2024])
            form = rnd.choice(["day", "day", "month", "year"])
            date = f"{year}-{rnd.randint(1, 2):02d}-{rnd.randint(1, 3):02d}" if form == "day" else \
                f"{year}-{rnd.randint(1, 2):02d}" if form == "month" else str(year)
            facts.append(Fact(text=rnd.choice(["a", "b", "c"]), source=f"doc{f}", quote=f"q{b}", line=1,
                              date=PartialDate.parse(date)))
        briefs.append(Brief(id=f"b{rnd.randint(0, 40):02d}-{b}", title="t", kind=rnd.choice(["topic", "person"]),
                            aliases=(), tags=(), summary="s", facts=tuple(facts), related=(), path="p"))
    got = events_of(briefs)
    assert len(got) > 500
    assert [e.sort_key() for e in got] == sorted(e.sort_key() for e in got)
    assert got == sorted(got, key=Event.sort_key)
