"""The text of a server's daily "on this day" post, with optional upcoming anniversaries."""

from __future__ import annotations

import datetime as dt

from .answers import describe_when, years_ago_text
from .calendar import Anniversary
from .library import Library

MAX_POST = 1900  # under Discord's 2,000-character message limit


def _line(item: Anniversary, library: Library) -> str:
    fact = item.event.fact
    doc = library.catalog.documents.get(fact.source)
    source = f" — {doc.title} ({doc.published.human()})" if doc else ""
    return f"• {describe_when(fact)}, {years_ago_text(item.years_ago)}: {fact.text}{source}"


def compose_daily_post(library: Library, local_date: dt.date, upcoming_days: int = 0,
                       empty_days: str = "silent", late_by: dt.timedelta | None = None) -> str | None:
    """The post for one local day, or None when the day is empty and the server wants silence."""
    today = library.calendar.on_this_day(local_date.month, local_date.day, local_date.year)
    shown = {id(a.event) for a in today}
    coming = [a for a in (library.calendar.upcoming(local_date, upcoming_days) if upcoming_days else [])
              if id(a.event) not in shown]  # a multi-day event already listed today is not "coming up"
    label = f"{local_date.day} {local_date.strftime('%B')}"
    lines: list[str] = []
    if late_by is not None:
        hours = late_by.total_seconds() / 3600
        lines.append(f"(This post is late by {hours:.1f} h: Safeer was offline at the scheduled time.)")
    if today:
        lines.append(f"**On this day, {label}** — Pakistan–Azerbaijan relations:")
        lines += [_line(a, library) for a in today]
    elif empty_days == "note":
        lines.append(f"**On this day, {label}**: no recorded events in Pakistan–Azerbaijan relations.")
    if coming:
        lines.append(f"**Coming up in the next {upcoming_days} day(s):**")
        lines += [f"• {a.on.strftime('%-d %B')}: " + _line(a, library)[2:] for a in coming]
    if not today and not coming and empty_days != "note":
        return None
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > MAX_POST:
            text += "\n…and more: try `/onthisday`."
            break
        text = f"{text}\n{line}" if text else line
    return text
