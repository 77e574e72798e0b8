"""Dates that say what is known: week and range precision, and planned events whose date has passed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.core.answers import brief_answer, render_brief_text
from bot.core.briefs import Brief, Fact, parse_brief
from bot.core.calendar import Calendar
from bot.core.dates import PartialDate, Precision, human_span, week_of
from bot.core.library import Library
from bot.core.when import describe_when, precision_of


def parse(facts_yaml: str) -> tuple[Brief | None, list[str]]:
    raw = f"id: t\ntitle: T\nsummary: s\nfacts:\n{facts_yaml}"
    brief, problems = parse_brief(Path("t.yaml"), raw, where="t.yaml")
    return brief, [str(p) for p in problems]


FACT = "  - text: talks\n    source: d\n    quote: q\n"


def test_week_precision_is_seven_days_from_its_first_day() -> None:
    brief, problems = parse(FACT + "    date: 2026-01-19\n    precision: week\n    inferred_from: last week\n")
    assert problems == [] and brief is not None
    fact = brief.facts[0]
    assert fact.precision == "week" and fact.when_known is Precision.WEEK
    assert (fact.first_day(), fact.last_day()) == (dt.date(2026, 1, 19), dt.date(2026, 1, 25))
    assert describe_when(fact, dt.date(2026, 2, 1)) == "the week of 19–25 January 2026 (inferred from “last week”)"


def test_range_precision_needs_an_end_after_its_date() -> None:
    brief, problems = parse(FACT + "    date: 2025-03\n    end: 2025-05\n    precision: range\n")
    assert problems == [] and brief is not None
    assert describe_when(brief.facts[0], dt.date(2026, 1, 1)) == "between March and May 2025"
    assert precision_of(brief.facts[0]) == "range"
    _, problems = parse(FACT + "    date: 2025-03\n    precision: range\n")
    assert problems == ["t.yaml:9: facts[0].precision: a range needs an 'end': the last date the event may have happened on"]
    _, problems = parse(FACT + "    date: 2025-03\n    end: 2025-02\n    precision: range\n")
    assert any("facts[0].end: 2025-02 is not after 2025-03" in p for p in problems)


def test_bad_precisions_are_named() -> None:
    _, problems = parse(FACT + "    date: 2025-03\n    precision: fortnight\n")
    assert any("must be one of day, week, month, year, range" in p for p in problems)
    _, problems = parse(FACT + "    date: 2025-03\n    precision: day\n")
    assert any("'day' does not match the date 2025-03 (month)" in p for p in problems)
    _, problems = parse(FACT + "    date: 2025-03\n    precision: week\n")
    assert any("a week starts on a day" in p for p in problems)
    _, problems = parse(FACT + "    date: 2026-01-19\n    end: 2026-01-21\n    precision: week\n")
    assert any("a week ends six days after it starts: 2026-01-25" in p for p in problems)
    brief, problems = parse(FACT + "    date: 2025-03\n    precision: month\n")
    assert problems == [] and brief is not None and brief.facts[0].precision == ""


def week_fact(status: str = "occurred") -> Fact:
    return Fact(text="talks", source="d", quote="q", line=1, date=PartialDate(2026, 1, 19),
                end=PartialDate(2026, 1, 25), status=status, precision="week")


def test_weeks_and_ranges_have_no_anniversary_but_stay_in_the_timeline() -> None:
    ranged = Fact(text="forum", source="d", quote="q2", line=1, date=PartialDate(2025, 3, 3),
                  end=PartialDate(2025, 3, 9), precision="range")
    day = Fact(text="call", source="d", quote="q3", line=1, date=PartialDate(2026, 1, 19))
    brief = Brief(id="b", title="B", kind="topic", aliases=(), tags=(), summary="s",
                  facts=(week_fact(), ranged, day), related=(), path="b.yaml")
    cal = Calendar([brief])
    for month, day_of in [(1, 19), (1, 20), (1, 25), (3, 3), (3, 9)]:
        assert all(a.event.fact.text == "call" for a in cal.on_this_day(month, day_of, 2027))
    assert [a.event.fact.text for a in cal.on_this_day(1, 19, 2027)] == ["call"]
    assert [e.fact.text for e in cal.timeline()] == ["forum", "call", "talks"]
    assert cal.upcoming(dt.date(2027, 1, 18), 10)[0].event.fact.text == "call"


def test_planned_event_reads_as_planned_until_its_date_passes() -> None:
    planned = Fact(text="visit", source="d", quote="q", line=1, date=PartialDate(2026, 4),
                   inferred_from="in April", status="planned")
    assert describe_when(planned, dt.date(2026, 3, 1)) == "April 2026 (inferred from “in April”; planned)"
    assert describe_when(planned, dt.date(2026, 4, 30)) == "April 2026 (inferred from “in April”; planned)"
    assert describe_when(planned, dt.date(2026, 11, 30)) == (
        "planned for April 2026 (inferred from “in April”; no later report in the sources)")
    announced = planned._replace(status="announced", inferred_from="")
    assert describe_when(announced, dt.date(2026, 5, 1)) == "announced for April 2026 (no later report in the sources)"
    assert describe_when(week_fact("planned"), dt.date(2026, 1, 26)).startswith("planned for the week of 19–25")


def test_faces_measure_against_today_in_pakistan(library: Library) -> None:
    # A plan for April 2020 has passed on any day this test runs, so no clock is needed.
    planned = Fact(text="visit", source="pmo-2026-01-30-khalafov-call", quote="q", line=1,
                   date=PartialDate(2020, 4), status="planned")
    brief = Brief(id="b", title="B", kind="topic", aliases=(), tags=(), summary="s", facts=(planned,),
                  related=(), path="b.yaml")
    text = render_brief_text(brief_answer(brief, dict(library.catalog.documents)))
    assert "• planned for April 2020 (no later report in the sources) — visit [1]" in text


def test_human_span_and_week_of() -> None:
    assert week_of(dt.date(2026, 1, 30)) == (dt.date(2026, 1, 26), dt.date(2026, 2, 1))
    assert human_span(PartialDate(2026, 1, 26), PartialDate(2026, 2, 1), "week") == "the week of 26 January–1 February 2026"
    assert human_span(PartialDate(2024, 7, 11), PartialDate(2024, 7, 12)) == "11–12 July 2024"
    assert human_span(PartialDate(2023), PartialDate(2024), "range") == "between 2023 and 2024"
