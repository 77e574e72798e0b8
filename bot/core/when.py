"""How a fact's date reads to a person: one wording for every face (console, CLI, Discord, posts).

The wording says what is known and no more: a week or a range never reads as a day, a date
inferred from relative words says so, and an event that was only planned or announced for a date
now past reads "planned for April 2026 (no later report in the sources)" instead of as if it
were still ahead.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .briefs import Fact
from .dates import human_span

HOME_ZONE = ZoneInfo("Asia/Karachi")
NO_LATER_REPORT = "no later report in the sources"


def home_today() -> dt.date:
    """Today in Pakistan, the day every face measures "still to come" against by default."""
    return dt.datetime.now(HOME_ZONE).date()


def describe_when(fact: Fact, today: dt.date | None = None) -> str:
    """``11–12 July 2024``, ``November 2025 (inferred from “last November”)``,
    ``April 2026 (planned)`` while it is ahead, ``planned for April 2026 (no later report in the
    sources)`` once it has passed; "" for an undated fact.

    ``today`` is the day the reader is in (default: today in Pakistan).
    """
    if fact.date is None:
        return ""
    when = human_span(fact.date, fact.end, fact.precision)
    notes = []
    if fact.inferred_from:
        notes.append(f"inferred from “{fact.inferred_from}”")
    if fact.status != "occurred":
        if fact.last_day() < (today or home_today()):
            when = f"{fact.status} for {when}"
            notes.append(NO_LATER_REPORT)
        else:
            notes.append(fact.status)
    return f"{when} ({'; '.join(notes)})" if notes else when


def precision_of(fact: Fact) -> str | None:
    """The precision a face shows or prints in JSON: ``week``/``range`` for spans, else the date's."""
    known = fact.when_known
    return known.value if known is not None else None
