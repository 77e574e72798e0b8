"""The commands every face offers, and the text answers behind them.

The console and the bot's mention commands (``@Safeer brief investment``) both parse a line into
a command here and get the same plain-text answer; slash commands reuse the same help entries.
A mistyped command name gets a suggestion and is never run on a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .answers import brief_answer, event_text, render_brief_text, render_day_text
from .calendar import Event
from .dates import parse_day
from .documents import Document
from .errors import CommandError as CommandError  # re-exported: faces import it from here
from .library import Library
from .text import clean_user_text, normalise

MAX_QUERY = 300


@dataclass(frozen=True)
class CommandInfo:
    name: str
    usage: str
    description: str
    example: str


COMMANDS = (
    CommandInfo("brief", "brief <topic>", "The brief on a topic, person or document, with sources.",
                "brief investment"),
    CommandInfo("search", "search <words>", "The best matching briefs for any words.", "search LNG cargo"),
    CommandInfo("onthisday", "onthisday [MM-DD]", "Events that happened on this day in past years.",
                "onthisday 07-11"),
    CommandInfo("timeline", "timeline [topic] [from-year] [to-year]", "Dated events in order.",
                "timeline trilateral 2024 2025"),
    CommandInfo("source", "source <document>", "A source document's details and an excerpt.",
                "source khalafov"),
    CommandInfo("help", "help", "Every command, with an example.", "help"),
)
NAMES = tuple(c.name for c in COMMANDS)


def suggest_command(name: str) -> str | None:
    """The command a mistyped name most likely meant, if any is close."""
    hit = process.extractOne(name.lower(), NAMES, scorer=fuzz.ratio, score_cutoff=60)
    return hit[0] if hit else None


def parse_line(line: str) -> tuple[str, str]:
    """Split ``/brief investment`` or ``brief investment`` into (command, argument)."""
    line = clean_user_text(line, 10_000)
    if not line:
        raise CommandError("Type a command, e.g. `brief investment`, or `help`.")
    head, _, rest = line.lstrip("/!").partition(" ")
    name = head.lower()
    if name not in NAMES:
        guess = suggest_command(name)
        shown = clean_user_text(head, 40)
        if guess:
            raise CommandError(f"Unknown command '{shown}'. Did you mean '{guess}'? Try `{guess} ...` or `help`.")
        raise CommandError(f"Unknown command '{shown}'. Commands: {', '.join(NAMES)}.")
    return name, rest.strip()


def check_query(text: str) -> str:
    """A query made safe, or CommandError when it is empty or too long to be a question."""
    cleaned = clean_user_text(text, 100_000)
    if not cleaned:
        raise CommandError("The query is empty: type a few words, e.g. 'investment' or 'LNG'.")
    if len(cleaned) > MAX_QUERY:
        raise CommandError(f"The query is {len(cleaned)} characters long; keep it under {MAX_QUERY}.")
    return cleaned


def help_text() -> str:
    lines = ["Safeer briefs you on Pakistan–Azerbaijan relations. Every fact names its source.", ""]
    lines += [f"  {c.usage:<40} {c.description}  e.g. `{c.example}`" for c in COMMANDS]
    return "\n".join(lines)


def run_text_command(library: Library, name: str, arg: str, today: dt.date) -> str:
    """The plain-text answer to one command. Raises CommandError for input the person can fix."""
    cat = library.catalog
    docs = dict(cat.documents)
    if name == "help":
        return help_text()
    if name == "brief":
        query = check_query(arg)
        brief = library.index.resolve(query)
        if brief is None:
            result = library.index.search(query, limit=3)
            hint = result.suggestions or tuple(m.brief.title for m in result.matches)
            more = f" Did you mean: {'; '.join(hint)}?" if hint else " Try `search` with other words."
            raise CommandError(f"No brief matches '{clean_user_text(query, 60)}'.{more}")
        return render_brief_text(brief_answer(brief, docs))
    if name == "search":
        query = check_query(arg)
        result = library.index.search(query, limit=5)
        if not result.matches:
            more = f" Did you mean: {'; '.join(result.suggestions)}?" if result.suggestions else ""
            return f"Nothing in the briefs matches '{clean_user_text(query, 60)}'.{more}"
        lines = []
        for k, m in enumerate(result.matches):
            mark = " (best match)" if k == 0 and not result.weak else ""
            lines.append(f"{k + 1}. {m.brief.title}{mark} — {m.brief.summary}  [brief {m.brief.id}]")
        if result.weak and result.suggestions:
            lines.append(f"Did you mean: {'; '.join(result.suggestions)}?")
        return "\n".join(lines)
    if name == "onthisday":
        try:
            month, day, year = parse_day(arg) if arg else (today.month, today.day, today.year)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        year = year or today.year
        items = library.calendar.on_this_day(month, day, year)
        label = dt.date(2000, month, day).strftime("%-d %B")
        return render_day_text(label, items, docs)
    if name == "timeline":
        return timeline_text(library, arg)
    if name == "source":
        doc = find_document(library, check_query(arg))
        if doc is None:
            raise CommandError(f"No document matches '{clean_user_text(arg, 60)}'. "
                               f"Documents: {', '.join(sorted(cat.documents))}.")
        return (f"{doc.title}\n{doc.kind}, {doc.author}\n{doc.place}, {doc.published.human()}\n"
                f"id: {doc.id} (original file {doc.original_file})\n\n{doc.excerpt()}")
    raise CommandError(f"Unknown command '{name}'.")


def parse_timeline_args(arg: str) -> tuple[str, int | None, int | None]:
    """``trilateral 2024 2025`` → ("trilateral", 2024, 2025); years are the trailing numbers."""
    words = clean_user_text(arg, MAX_QUERY).split()
    years: list[int] = []
    while words and words[-1].isdigit() and len(years) < 2:
        value = int(words.pop())
        if not 1 <= value <= 9999:
            raise CommandError(f"{value} is not a year.")
        years.insert(0, value)
    start = years[0] if years else None
    end = years[1] if len(years) > 1 else None
    if start is not None and end is not None and start > end:
        raise CommandError(f"The range {start}–{end} runs backwards; put the earlier year first.")
    return " ".join(words), start, end


def timeline_events(library: Library, arg: str) -> list[Event]:
    """The events ``timeline [topic] [from] [to]`` asks for; CommandError for an unknown topic."""
    topic, start, end = parse_timeline_args(arg)
    ids = None
    if topic:
        brief = library.index.resolve(topic)
        if brief is None:
            raise CommandError(f"No brief matches '{clean_user_text(topic, 60)}' for a timeline.")
        ids = {brief.id}
    return library.calendar.timeline(brief_ids=ids, start_year=start, end_year=end)


def timeline_text(library: Library, arg: str) -> str:
    events = timeline_events(library, arg)
    if not events:
        return "No dated events in that range."
    return "\n".join(f"• {event_text(e)}" for e in events)


def find_document(library: Library, text: str) -> Document | None:
    """A document by id, or by words from its title, author, kind, date or place."""
    docs = library.catalog.documents
    if text in docs:
        return docs[text]
    q = normalise(text)
    best: tuple[float, Document | None] = (0.0, None)
    for doc in docs.values():
        hay = normalise(f"{doc.id} {doc.title} {doc.author} {doc.kind} {doc.published.iso()} {doc.place}")
        score = 100.0 if q and q in hay else (fuzz.token_set_ratio(q, hay) if len(q) >= 3 else 0.0)
        if score > best[0]:
            best = (score, doc)
    return best[1] if best[0] >= 70 else None
