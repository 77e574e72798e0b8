"""Relative date words ("on Tuesday", "last November", "earlier this month") resolved against the
date of the document that uses them, with the precision the words really give.

Used by ``draft`` to propose dates and by validation to check that a curated ``inferred_from``
agrees with the document's date. The rules are ours, written out here so that a curator can
predict them:

* "today" is the document's day, "yesterday" the day before, "tomorrow" the day after.
* A weekday ("on Tuesday") is the latest such day on or before the document's date; in a sentence
  about the future ("will meet on Sunday") it is the next one after it.
* "last week" / "this week" / "next week" are Monday-to-Sunday weeks (precision ``week``).
* "last July" is the latest July before the document's month; "in May" the latest May up to the
  document's month, or in a sentence about the future the next May from it on.
* "this month", "earlier this month", "last month", "next month" are months; "last year",
  "next year", "early next year" are years; "last year, in 2023" is 2023.
* "on the eve of" dates what comes the next day.
* "very soon", "soon", "within a month", "in the coming weeks" give no date at all.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from .dates import MONTHS, PartialDate, Precision, week_of

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NUMBER = {m.lower(): k + 1 for k, m in enumerate(MONTHS)}
#: Words that say something will happen but give no date.
UNDATED = ("very soon", "soon", "within a month", "within weeks", "in the coming weeks", "in the coming days",
           "in the coming months", "shortly", "in due course", "at an early date")


class Resolved(NamedTuple):
    """A date resolved from relative words: ``future`` when it lies after the document's date."""

    date: PartialDate
    end: PartialDate | None = None
    precision: str = ""  # "week" or "range" for spans, else "" (the date's own form says it)
    future: bool = False


def _day(day: dt.date) -> PartialDate:
    return PartialDate(day.year, day.month, day.day)


def _month(year: int, month: int) -> PartialDate:
    return PartialDate(year, month)


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + by
    return k // 12, k % 12 + 1


def _week(monday: dt.date, base: dt.date) -> Resolved:
    first, last = week_of(monday)
    return Resolved(_day(first), _day(last), Precision.WEEK.value, future=first > base)


def _by_day(day: dt.date, base: dt.date) -> Resolved:
    return Resolved(_day(day), future=day > base)


_SPACES = re.compile(r"\s+")
_EXPLICIT_YEAR = re.compile(r"^(?:last year|this year|earlier this year)?,?\s*(?:in\s+)?(\d{4})$")


def resolve(words: str, base: dt.date, *, future_tense: bool = False) -> Resolved | None:
    """The date ``words`` give in a document dated ``base``, or None when they give none.

    ``future_tense`` says the sentence speaks of what is still to come ("will visit in April").
    """
    text = _SPACES.sub(" ", words.strip().lower().replace("’", "'"))
    text = text.removeprefix("on ").removeprefix("since ").strip(" ,.")
    if not text or any(text == u or text.endswith(u) for u in UNDATED):
        return None
    if text in ("today", "tonight", "this morning", "this afternoon", "this evening", "earlier today"):
        return _by_day(base, base)
    if text in ("yesterday", "last night", "yesterday evening"):
        return _by_day(base - dt.timedelta(days=1), base)
    if text == "tomorrow":
        return _by_day(base + dt.timedelta(days=1), base)
    if text in ("the eve of", "eve of"):
        return _by_day(base + dt.timedelta(days=1), base)
    weekday = _weekday(text, base, future_tense)
    if weekday is not None:
        return _by_day(weekday, base)
    if text in ("last week", "earlier last week", "late last week"):
        return _week(base - dt.timedelta(days=7), base)
    if text in ("this week", "earlier this week"):
        return _week(base, base)._replace(future=False)
    if text == "next week":
        return _week(base + dt.timedelta(days=7), base)
    if text in ("this month", "earlier this month", "later this month", "early this month"):
        return Resolved(_month(base.year, base.month), future=text.startswith("later"))
    if text == "last month":
        return Resolved(_month(*_shift_month(base.year, base.month, -1)))
    if text == "next month":
        return Resolved(_month(*_shift_month(base.year, base.month, 1)), future=True)
    if text in ("last year", "earlier last year"):
        return Resolved(PartialDate(base.year - 1))
    if text in ("this year", "earlier this year", "later this year"):
        return Resolved(PartialDate(base.year), future=text.startswith("later"))
    if text in ("next year", "early next year", "later next year", "late next year"):
        return Resolved(PartialDate(base.year + 1), future=True)
    if m := _EXPLICIT_YEAR.match(text):
        year = int(m.group(1))
        return Resolved(PartialDate(year), future=year > base.year)
    return _month_words(text, base, future_tense)


def _weekday(text: str, base: dt.date, future_tense: bool) -> dt.date | None:
    """``tuesday``, ``last tuesday``, ``next tuesday``, ``tuesday night``: a day within a week of ``base``."""
    words = text.split()
    names = [w for w in words if w in WEEKDAYS]
    if len(names) != 1 or len(words) > 3:
        return None
    target = WEEKDAYS.index(names[0])
    back = (base.weekday() - target) % 7
    if words[0] == "next" or (future_tense and words[0] != "last"):
        ahead = (target - base.weekday()) % 7 or 7
        return base + dt.timedelta(days=ahead)
    if words[0] == "last" and back == 0:
        back = 7
    return base - dt.timedelta(days=back)


_MONTH_WORDS = re.compile(
    r"^(last|this|next|in|early|late|mid|earlier in|later in|in early|in late|in mid)?\s*("
    + "|".join(_MONTH_NUMBER) + r")(?:\s+(\d{4}))?$")


def _month_words(text: str, base: dt.date, future_tense: bool) -> Resolved | None:
    m = _MONTH_WORDS.match(text)
    if not m:
        return None
    lead, month, year_text = m.group(1) or "", _MONTH_NUMBER[m.group(2)], m.group(3)
    if year_text:
        year = int(year_text)
    elif lead == "last":
        year = base.year if month < base.month else base.year - 1
    elif lead == "next":
        year = base.year if month > base.month else base.year + 1
    elif lead == "this":
        year = base.year
    elif future_tense:
        year = base.year if month >= base.month else base.year + 1
    else:
        year = base.year if month <= base.month else base.year - 1
    first = dt.date(year, month, 1)
    return Resolved(_month(year, month), future=first > base or (future_tense and (year, month) == (base.year, base.month)))


def agreeing_days(words: str, base: dt.date) -> tuple[dt.date, ...] | None:
    """The days a fact dated by ``words`` ("today", "yesterday", a weekday) may have, in a document
    of day ``base``; None for words whose day this check does not judge (months, weeks, ...)."""
    text = _SPACES.sub(" ", words.strip().lower()).removeprefix("on ")
    if text in ("today", "tonight", "this morning", "this afternoon", "this evening", "earlier today"):
        return (base,)
    if text in ("yesterday", "last night", "yesterday evening"):
        return (base - dt.timedelta(days=1),)
    if text == "tomorrow":
        return (base + dt.timedelta(days=1),)
    past = _weekday(text, base, future_tense=False)
    if past is None:
        return None
    ahead = _weekday(text, base, future_tense=True)
    return (past,) if text.startswith("last") else tuple(dict.fromkeys(d for d in (past, ahead) if d is not None))
