"""Events in time: "on this day" anniversaries and the timeline.

Only day-precision events have anniversaries: an event known to the month ("last November"), the
week ("last week") or a range is never reported for a specific day. A multi-day event counts on each of its days. An event on
29 February is remembered on 28 February in common years, so it is never silently lost.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .briefs import Brief, Fact
from .dates import PartialDate, Precision


class Event(NamedTuple):
    """A dated fact, with the brief it belongs to.

    A named tuple rather than a dataclass: a 10,000-brief calendar holds ~30,000 of them, built
    on every load and read back from the load cache on every start, and a tuple is made in C.
    """

    brief: Brief
    fact: Fact

    @property
    def date(self) -> PartialDate:
        assert self.fact.date is not None
        return self.fact.date

    @property
    def end(self) -> PartialDate | None:
        return self.fact.end

    def days(self) -> list[dt.date]:
        """Each calendar day the event covers (day precision only; a week or range covers none)."""
        if self.date.precision is not Precision.DAY or self.fact.precision:
            return []
        first = self.date.first_day()
        last = self.end.first_day() if self.end else first
        return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]

    def sort_key(self) -> tuple[dt.date, int, str, str]:
        # Week-, range-, month- and year-precision events sort after day events that start in the same span.
        rank = 1 if self.fact.precision else _RANK[self.date.precision]
        return (self.date.first_day(), rank, self.brief.id, self.fact.text)


@dataclass(frozen=True)
class Anniversary:
    event: Event
    on: dt.date  # which of the event's days matches
    years_ago: int


_RANK = {Precision.DAY: 0, Precision.WEEK: 1, Precision.MONTH: 1, Precision.YEAR: 2, Precision.RANGE: 1}


def events_of(briefs: Iterable[Brief]) -> list[Event]:
    """Every dated fact, once, in date order (as :meth:`Event.sort_key` orders them).

    The same event is often told by a topic brief, a person's brief and the document's brief;
    it is listed under the first brief (by id) whose fact has that date, text and source.

    Built for 10,000 briefs on a reload thread, so no single step holds the GIL for long: the
    order is found by numpy on one integer per event (the date and precision), and Python
    sorts only each run of events on the same day by brief and text.
    """
    seen: set[tuple[int, int, int, str, str]] = set()
    events: list[Event] = []
    days: list[int] = []  # the first three parts of the sort key, as one integer
    for brief in sorted(briefs, key=lambda b: (b.kind == "document", b.kind == "person", b.id)):
        for fact in brief.facts:
            date = fact.date
            if date is None:
                continue
            key = (date.year, date.month, date.day, fact.source, fact.quote)
            if key in seen:
                continue
            seen.add(key)
            events.append(Event(brief, fact))
            rank = 1 if fact.precision else 0 if date.day else 1 if date.month else 2
            days.append(((date.year * 13 + (date.month or 1)) * 32 + (date.day or 1)) * 3 + rank)
    if not events:
        return []
    keys = np.asarray(days, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    ordered_keys = keys[order]
    cuts = np.flatnonzero(ordered_keys[1:] != ordered_keys[:-1]) + 1
    positions: list[int] = order.tolist()
    start = 0
    for end in [*cuts.tolist(), len(positions)]:
        if end - start > 1:
            positions[start:end] = sorted(positions[start:end],
                                          key=lambda i: (events[i].brief.id, events[i].fact.text))
        start = end
    return [events[i] for i in positions]


class Calendar:
    """The events of one catalog, indexed by month and day. Built once per catalog load."""

    def __init__(self, briefs: Iterable[Brief]) -> None:
        self.briefs = tuple(briefs)
        self.events = events_of(self.briefs)
        self._by_day: dict[tuple[int, int], list[tuple[Event, dt.date]]] = {}
        for event in self.events:
            date, end = event.fact.date, event.fact.end
            if date is None or not date.day or event.fact.precision:  # no anniversary for a week or range
                continue
            if end is None:  # most events: one day
                covered = dt.date(date.year, date.month, date.day)
                self._by_day.setdefault((date.month, date.day), []).append((event, covered))
                continue
            for covered in event.days():
                self._by_day.setdefault((covered.month, covered.day), []).append((event, covered))

    def on_this_day(self, month: int, day: int, year: int | None = None) -> list[Anniversary]:
        """Day-precision events whose month and day match, from any year, with "N years ago".

        ``year`` is the year asked about: it gives "N years ago", hides events still to come,
        and, in a common year, brings 29 February's events to 28 February.
        """
        hits = list(self._by_day.get((month, day), ()))
        if year is not None and (month, day) == (2, 28) and not _cal.isleap(year):
            hits += self._by_day.get((2, 29), ())
        found, seen = [], set()
        for event, covered in hits:
            if id(event) in seen or (year is not None and covered.year > year):
                continue
            seen.add(id(event))
            found.append(Anniversary(event, covered, (year - covered.year) if year is not None else 0))
        return sorted(found, key=lambda a: (a.on, a.event.brief.id))

    def upcoming(self, start: dt.date, days: int) -> list[Anniversary]:
        """Anniversaries in the ``days`` days after ``start`` (not including it)."""
        out = []
        for k in range(1, days + 1):
            day = start + dt.timedelta(days=k)
            out += self.on_this_day(day.month, day.day, day.year)
        return out

    def timeline(
        self,
        *,
        brief_ids: set[str] | None = None,
        tag: str | None = None,
        start_year: int | None = None,
        end_year: int | None = None,
    ) -> list[Event]:
        """Events in date order: all, or those told by some briefs or a tag, within years."""
        if brief_ids is None and tag is None:
            events = self.events
        else:
            chosen = [b for b in self.briefs
                      if (brief_ids is None or b.id in brief_ids) and (tag is None or tag in b.tags)]
            events = events_of(chosen)
        return [
            e for e in events
            if (start_year is None or e.fact.last_day().year >= start_year)
            and (end_year is None or e.date.year <= end_year)
        ]
