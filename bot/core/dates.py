"""Dates that know how precise they are.

A document may date an event to the day ("11-12 July 2024"), the month ("last November") or the
year ("in 2022"); or only to a span: a week ("last week") or a range ("between March and May").
Keeping the precision stops "on this day" from inventing anniversaries and a curator from having to
invent a day.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import NamedTuple

from .problems import clip

_PARSED: dict[str, PartialDate] = {}  # text -> date, filled by PartialDate.parse


class Precision(StrEnum):
    """How much of a date is known.

    DAY, MONTH and YEAR are the precisions of one written date (``2024-07-11``, ``2025-11``,
    ``2023``). WEEK and RANGE are a fact's: its date and end bound a span in which the event
    happened on some day nobody reported ("last week": Monday to Sunday).
    """

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    RANGE = "range"


#: The precisions one written date can have (a document's ``published``, a fact's ``date``).
DATE_PRECISIONS = (Precision.DAY, Precision.MONTH, Precision.YEAR)
#: The precisions of a span: the fact's ``date`` and ``end`` bound it, no day of it is the event's.
SPAN_PRECISIONS = (Precision.WEEK, Precision.RANGE)


def _shown(value: object) -> str:
    """A value in a message: at most ~80 characters of text, else only its type (never expanded)."""
    return f"'{clip(value)}'" if isinstance(value, str) else clip(value)


_FORM = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class PartialDate(NamedTuple):
    """A calendar date known to the day, the month or the year.

    A named tuple (immutable, ordered by year, month, day) so that the tens of thousands in a large
    catalog are made in C when read back from the load cache.
    """

    year: int
    month: int = 0  # 0 when unknown
    day: int = 0  # 0 when unknown

    @property
    def precision(self) -> Precision:
        if self.day:
            return Precision.DAY
        return Precision.MONTH if self.month else Precision.YEAR

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        """Read ``2024-07-11``, ``"2025-11"`` or ``2023`` (as YAML gives them); ValueError if impossible.

        A catalog repeats the same few thousand dates tens of thousands of times, so each text
        is read once and its (immutable) date shared.
        """
        if type(value) is str:
            known = _PARSED.get(value)
            if known is not None:
                return known
            parsed = cls._parse(value)
            if len(_PARSED) < 50_000:
                _PARSED[value] = parsed
            return parsed
        return cls._parse(value)

    @classmethod
    def _parse(cls, value: object) -> PartialDate:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"expected a date like 2024-07-11, 2025-11 or 2023, got {_shown(value)}")
        match = _FORM.match(str(value).strip())
        if not match:
            raise ValueError(f"expected a date like 2024-07-11, 2025-11 or 2023, got {_shown(value)}")
        year, month, day = (int(g) if g else 0 for g in match.groups())
        if not 1 <= year <= 9999:
            raise ValueError(f"year {year} is out of range")
        if match.group(2) and not 1 <= month <= 12:
            raise ValueError(f"month {month:02d} does not exist")
        if day:
            dt.date(year, month, day)  # raises ValueError for 2023-02-29 and friends
        return cls(year, month, day)

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        if self.day:
            return dt.date(self.year, self.month, self.day)
        if self.month:
            nxt = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(self.year, 12, 31)

    def iso(self) -> str:
        """``2024-07-11``, ``2025-11`` or ``2023``: the form also says the precision."""
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def human(self) -> str:
        """``11 July 2024``, ``November 2025`` or ``2023``."""
        if self.day:
            return f"{self.day} {MONTHS[self.month - 1]} {self.year}"
        if self.month:
            return f"{MONTHS[self.month - 1]} {self.year}"
        return str(self.year)


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def human_span(start: PartialDate, end: PartialDate | None, precision: str = "") -> str:
    """``11–12 July 2024`` for a span inside one month, else both dates in full.

    A week reads ``the week of 19–25 January 2026`` and a range ``between March and May 2025``,
    so neither looks like an event known to the day.
    """
    if precision == Precision.WEEK and end is not None:
        return f"the week of {_compact(start, end, '–')}"
    if precision == Precision.RANGE and end is not None:
        return f"between {_compact(start, end, ' and ')}"
    if end is None or end == start:
        return start.human()
    return _compact(start, end, "–")


def _compact(start: PartialDate, end: PartialDate, joiner: str) -> str:
    """Two dates with the shared month or year said once: ``19–25 January 2026``, ``March and May 2025``."""
    if start.precision is Precision.DAY and end.precision is Precision.DAY:
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}{joiner}{end.day} {MONTHS[start.month - 1]} {start.year}"
        if start.year == end.year:
            return f"{start.day} {MONTHS[start.month - 1]}{joiner}{end.human()}"
    if start.precision is Precision.MONTH and end.precision is Precision.MONTH and start.year == end.year:
        return f"{MONTHS[start.month - 1]}{joiner}{end.human()}"
    sep = " – " if joiner == "–" else joiner
    return f"{start.human()}{sep}{end.human()}"


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and Sunday of the (ISO) week holding ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


_MMDD = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_day(text: str) -> tuple[int, int, int | None]:
    """Parse a user's ``MM-DD`` or ``YYYY-MM-DD`` into (month, day, year or None).

    29 February is accepted without a year, because anniversaries are asked for by day.
    """
    text = text.strip()
    hint = "use MM-DD or YYYY-MM-DD, e.g. 07-11 or 2024-07-11"
    try:
        if m := _YMD.match(text):
            year, month, day = (int(g) for g in m.groups())
            dt.date(year, month, day)
            return month, day, year
        if m := _MMDD.match(text):
            month, day = (int(g) for g in m.groups())
            dt.date(2000, month, day)  # a leap year, so 02-29 is valid
            return month, day, None
    except ValueError as exc:
        raise ValueError(f"'{text[:40]}' is not a real date ({exc}); {hint}") from None
    raise ValueError(f"'{text[:40]}' is not a date; {hint}")
