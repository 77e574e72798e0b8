"""Answers in a neutral form, ready for any face: terminal text, JSON, or Discord embeds.

Faces never reach into briefs directly; they render these, so every face shows the same facts
with the same sources and the same date wording.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .briefs import Brief, Fact
from .calendar import Anniversary
from .documents import Document
from .when import describe_when as describe_when
from .when import precision_of


@dataclass(frozen=True)
class SourceRef:
    """A cited document, numbered in the order the answer first cites it."""

    number: int
    id: str
    title: str
    author: str
    kind: str
    published: str  # ISO form, e.g. 2026-01-30
    published_human: str
    place: str

    def label(self) -> str:
        return f"{self.title} — {self.kind}, {self.author}, {self.place}, {self.published_human}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "author": self.author, "kind": self.kind,
                "published": self.published, "place": self.place}


@dataclass(frozen=True)
class FactLine:
    text: str
    source: int  # number of the SourceRef
    source_id: str
    quote: str
    when: str  # "11–12 July 2024", "November 2025 (inferred from “last November”)" or ""
    fact: Fact

    def to_json(self) -> dict[str, Any]:
        f = self.fact
        return {
            "text": f.text, "date": f.date.iso() if f.date else None,
            "precision": precision_of(f),
            "end": f.end.iso() if f.end else None, "inferred_from": f.inferred_from or None,
            "status": f.status, "source": f.source, "quote": f.quote,
        }


@dataclass(frozen=True)
class BriefAnswer:
    id: str
    title: str
    kind: str
    summary: str
    facts: tuple[FactLine, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True)
class EventLine:
    """One dated fact as every face lists it: in a timeline, on this day, or in a daily post."""

    when: str  # "11–12 July 2024 (inferred from “last July”)"
    text: str
    brief_id: str
    brief_title: str
    source_title: str | None
    source_date: str | None  # the document's date, as people read it
    years_ago: int | None = None  # for anniversaries
    on: dt.date | None = None  # the day an anniversary falls on (upcoming ones)


def source_ref(number: int, doc: Document) -> SourceRef:
    return SourceRef(number, doc.id, doc.title, doc.author, doc.kind, doc.published.iso(),
                     doc.published.human(), doc.place)


def _number_sources(ids: list[str], documents: dict[str, Document]) -> dict[str, SourceRef]:
    refs: dict[str, SourceRef] = {}
    for source_id in ids:
        if source_id not in refs and source_id in documents:
            refs[source_id] = source_ref(len(refs) + 1, documents[source_id])
    return refs


def brief_answer(brief: Brief, documents: dict[str, Document]) -> BriefAnswer:
    """A brief with its facts dated and numbered against its sources.

    Dated facts come first in date order, then undated ones in the curator's order.
    """
    dated = sorted((f for f in brief.facts if f.date), key=lambda f: (f.date.first_day() if f.date else 0))
    ordered = [*dated, *(f for f in brief.facts if not f.date)]
    refs = _number_sources([f.source for f in ordered], documents)
    lines = tuple(
        FactLine(f.text, refs[f.source].number, f.source, f.quote, describe_when(f), f) for f in ordered
    )
    return BriefAnswer(brief.id, brief.title, brief.kind, brief.summary, lines, tuple(refs.values()))


def fact_groups(facts: tuple[FactLine, ...]) -> list[list[FactLine]]:
    """Runs of dated facts with the same date wording and source, so a face can say the date,
    its "(inferred from …)" and the source once for the run instead of on every line."""
    groups: list[list[FactLine]] = []
    for line in facts:
        last = groups[-1][-1] if groups else None
        if last is not None and line.when and (line.when, line.source) == (last.when, last.source):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def fact_lines_text(facts: tuple[FactLine, ...]) -> list[str]:
    """Facts as text lines with their source numbers; a run of facts of the same date and source
    goes under one heading, so the date, its "(inferred from …)" and the source are said once."""
    out = []
    for group in fact_groups(facts):
        first = group[0]
        if len(group) > 1:
            out.append(f"• {first.when} [{first.source}]:")
            out += [f"  – {line.text}" for line in group]
        else:
            out.append(f"• {first.when + ' — ' if first.when else ''}{first.text} [{first.source}]")
    return out


def render_brief_text(answer: BriefAnswer) -> str:
    """Plain text: title, summary, dated facts with source numbers, then the sources."""
    out = [answer.title, "", answer.summary, "", *fact_lines_text(answer.facts), "", "Sources:"]
    out += [f"[{s.number}] {s.label()} ({s.id})" for s in answer.sources]
    return "\n".join(out)


def answer_json(answer: BriefAnswer, score: float | None = None) -> dict[str, Any]:
    """The stable JSON shape of one result of ``ask``."""
    return {
        "id": answer.id, "title": answer.title, "score": score, "text": render_brief_text(answer),
        "facts": [f.to_json() for f in answer.facts], "sources": [s.to_json() for s in answer.sources],
    }


def anniversary_json(item: Anniversary, documents: dict[str, Document]) -> dict[str, Any]:
    fact = item.event.fact
    doc = documents.get(fact.source)
    return {
        "date": fact.date.iso() if fact.date else None,
        "end": fact.end.iso() if fact.end else None,
        "precision": precision_of(fact),
        "title": item.event.brief.title, "brief": item.event.brief.id, "text": fact.text,
        "years_ago": item.years_ago,
        "sources": [source_ref(1, doc).to_json()] if doc else [],
    }


def years_ago_text(years: int) -> str:
    if years == 0:
        return "this year"
    return "1 year ago" if years == 1 else f"{years} years ago"


def event_line(brief_id: str, brief_title: str, fact: Fact, documents: Mapping[str, Document], *,
               years_ago: int | None = None, on: dt.date | None = None) -> EventLine:
    """A dated fact in the one neutral form the timeline, on this day and daily posts all list."""
    doc = documents.get(fact.source)
    return EventLine(describe_when(fact), fact.text, brief_id, brief_title, doc.title if doc else None,
                     doc.published.human() if doc else None, years_ago, on)


def anniversary_line(item: Anniversary, documents: Mapping[str, Document], *, with_day: bool = False) -> EventLine:
    brief, fact = item.event
    return event_line(brief.id, brief.title, fact, documents, years_ago=item.years_ago,
                      on=item.on if with_day else None)


def format_event_line(line: EventLine, strong: Callable[[str], str] = str,
                      cite: Callable[[str], str] = str) -> str:
    """``• 11 July 2024 (2 years ago) — What happened — Document title (11 July 2024)``.

    Every face writes event lines through this one function; Discord passes ``strong`` and
    ``cite`` to add its bold and italics.
    """
    head = f"{line.on.day} {line.on.strftime('%B')}: " if line.on else ""
    ago = f" ({years_ago_text(line.years_ago)})" if line.years_ago is not None else ""
    source = f" — {cite(line.source_title)} ({line.source_date})" if line.source_title else ""
    return f"• {head}{strong(line.when)}{ago} — {line.text}{source}"
