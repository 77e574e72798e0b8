"""The text of a server's daily "on this day" post, with optional upcoming anniversaries."""

from __future__ import annotations

import datetime as dt

from .answers import anniversary_line, format_event_line
from .library import Library

MAX_POST = 1900  # under Discord's 2,000-character message limit


def _bold(text: str) -> str:
    return f"**{text}**"


def compose_daily_post(library: Library, local_date: dt.date, upcoming_days: int = 0,
                       empty_days: str = "silent") -> str | None:
    """The post for one local day, or None when the day is empty and the server wants silence."""
    today = library.calendar.on_this_day(local_date.month, local_date.day, local_date.year)
    shown = {id(a.event) for a in today}
    coming = [a for a in (library.calendar.upcoming(local_date, upcoming_days) if upcoming_days else [])
              if id(a.event) not in shown]  # a multi-day event already listed today is not "coming up"
    docs = library.catalog.documents
    label = f"{local_date.day} {local_date.strftime('%B')}"
    lines: list[str] = []
    if today:
        lines.append(f"**On this day, {label}** — Pakistan–Azerbaijan relations:")
        lines += [format_event_line(anniversary_line(a, docs), _bold) for a in today]
    elif empty_days == "note":
        lines.append(f"**On this day, {label}**: no recorded events in Pakistan–Azerbaijan relations.")
    if coming:
        lines.append(f"**Coming up in the next {upcoming_days} day(s):**")
        lines += [format_event_line(anniversary_line(a, docs, with_day=True), _bold) for a in coming]
    if not today and not coming and empty_days != "note":
        return None
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > MAX_POST:
            text += "\n…and more: try `/onthisday`."
            break
        text = f"{text}\n{line}" if text else line
    return text
