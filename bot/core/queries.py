"""One function per command: parse what a person typed, answer it, return a neutral result.

The console, the command line, mention commands and slash commands all call these and only lay
out what they return, so a command behaves the same on every face. Slash commands pass their
typed options; text faces pass the words after the command name (see :mod:`bot.core.commands`).
"""

from __future__ import annotations

import datetime as dt

from rapidfuzz import fuzz

from .answers import anniversary_line, brief_answer, event_line
from .ask import ask
from .daily import compose_daily_post
from .dates import parse_day
from .documents import Document
from .errors import CommandError
from .library import Library
from .results import (
    BriefFound,
    DailyPreview,
    DayEvents,
    Listing,
    NotFound,
    SearchFound,
    SourceFound,
    TimelineFound,
)
from .text import clean_user_text, normalise

MAX_QUERY = 300


def check_query(text: str, limit: int = MAX_QUERY) -> str:
    """A query made safe, or CommandError when it is empty or too long to be a question."""
    cleaned = clean_user_text(text, 100_000)
    if not cleaned:
        raise CommandError("The query is empty: type a few words, e.g. 'investment' or 'LNG'.")
    if len(cleaned) > limit:
        raise CommandError(f"The query is {len(cleaned)} characters long; keep it under {limit}.")
    return cleaned


def _shown(text: str) -> str:
    return clean_user_text(text, 60)


def _no_brief(library: Library, query: str, what: str = "") -> NotFound:
    """"No brief matches", with the closest titles as suggestions."""
    result = library.index.search(query, limit=3)
    hint = result.suggestions or tuple(m.brief.title for m in result.matches)
    return NotFound(f"No brief matches '{_shown(query)}'{what}.", hint, "Try a search with other words.")


def brief(library: Library, topic: str) -> BriefFound | NotFound:
    """``brief <topic>``: the brief a topic, person or document names."""
    query = check_query(topic)
    found = library.index.resolve(query)
    if found is None:
        return _no_brief(library, query)
    return BriefFound(brief_answer(found, dict(library.catalog.documents)))


def search(library: Library, words: str, today: dt.date, limit: int = 5) -> SearchFound | NotFound:
    """``search <words>``: the best matching briefs, the strongest first, with the fact that best
    answers the same words when one does."""
    query = check_query(words)
    result = library.index.search(query, limit=limit)
    if not result.matches:
        return NotFound(f"Nothing in the briefs matches '{_shown(query)}'.", result.suggestions,
                        "Try a name (Aliyev, Khalafov), a place (Lachin, Baku) or a topic (investment, LNG).")
    try:
        answer = ask(library, query, today).answer
    except CommandError:  # words that make no question ("the of"): the list alone
        answer = None
    return SearchFound(query, result, answer)


def parse_day_arg(text: str | None, today: dt.date) -> tuple[int, int, int]:
    """``MM-DD`` (this year), ``YYYY-MM-DD``, or today when nothing was given: (month, day, year)."""
    if not text or not text.strip():
        return today.month, today.day, today.year
    try:
        month, day, year = parse_day(clean_user_text(text, 100))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return month, day, year or today.year


def on_this_day(library: Library, date: str | None, today: dt.date) -> DayEvents:
    """``onthisday [MM-DD]``: events on that day in past years (default: today)."""
    month, day, year = parse_day_arg(date, today)
    items = library.calendar.on_this_day(month, day, year)
    docs = library.catalog.documents
    label = dt.date(2000, month, day).strftime("%-d %B")
    return DayEvents(label, month, day, tuple(items), tuple(anniversary_line(a, docs) for a in items))


def parse_timeline_args(arg: str) -> tuple[str, int | None, int | None]:
    """``trilateral 2024 2025`` → ("trilateral", 2024, 2025); years are the trailing numbers."""
    words = clean_user_text(arg, MAX_QUERY).split()
    years: list[int] = []
    while words and words[-1].isdigit() and len(years) < 2:
        value = int(words.pop())
        if not 1 <= value <= 9999:
            raise CommandError(f"{value} is not a year.")
        years.insert(0, value)
    start, end = (years[0] if years else None), (years[1] if len(years) > 1 else None)
    _check_years(start, end)
    return " ".join(words), start, end


def _check_years(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and start > end:
        raise CommandError(f"The range {start}–{end} runs backwards; put the earlier year first.")


def timeline(library: Library, topic: str | None, start: int | None = None,
             end: int | None = None) -> TimelineFound | NotFound:
    """``timeline [topic] [from] [to]``: dated events in order, for one brief or all."""
    _check_years(start, end)
    ids = None
    title = "Pakistan–Azerbaijan timeline"
    if topic and topic.strip():
        query = check_query(topic)
        found = library.index.resolve(query)
        if found is None:
            return _no_brief(library, query, " for a timeline")
        ids, title = {found.id}, f"Timeline: {found.title}"
    if start or end:
        title += f" ({start or '…'}–{end or '…'})"
    events = library.calendar.timeline(brief_ids=ids, start_year=start, end_year=end)
    docs = library.catalog.documents
    return TimelineFound(title, tuple(events),
                         tuple(event_line(e.brief.id, e.brief.title, e.fact, docs) for e in events))


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


def source(library: Library, document: str) -> SourceFound | NotFound:
    """``source <document>``: a document's details and an excerpt."""
    doc = find_document(library, check_query(document))
    if doc is None:
        ids = sorted(library.catalog.documents)
        more = f" Documents: {', '.join(ids[:20])}{' …' if len(ids) > 20 else ''}."
        return NotFound(f"No document matches '{_shown(document)}'.", hint=more.strip())
    return SourceFound(doc)


def listing(library: Library) -> Listing:
    """``list``: every brief and document, briefs by title and documents newest first."""
    cat = library.catalog
    briefs = tuple((b.id, b.title, b.kind) for b in sorted(cat.briefs.values(), key=lambda b: b.title.lower()))
    docs = sorted(cat.documents.values(), key=lambda d: d.published.first_day(), reverse=True)
    return Listing(briefs, tuple((d.id, d.title, d.published.human()) for d in docs))


def daily_preview(library: Library, date: str | None, today: dt.date, upcoming_days: int = 0) -> DailyPreview:
    """``/reminders preview [date]``: the daily post for a day, as it would be sent."""
    month, day, year = parse_day_arg(date, today)
    try:
        local_date = dt.date(year, month, day)
    except ValueError:
        raise CommandError(f"{year} has no {day} {dt.date(2000, month, day):%B}; give another year.") from None
    return DailyPreview(local_date, compose_daily_post(library, local_date, upcoming_days, "note"))
