"""Answers in a neutral form, ready for any face: terminal text, JSON, or Discord embeds.

Faces never reach into briefs directly; they render these, so every face shows the same facts
with the same sources and the same date wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .briefs import Brief, Fact
from .calendar import Anniversary, Event
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


def render_brief_text(answer: BriefAnswer) -> str:
    """Plain text: title, summary, dated facts with source numbers, then the sources."""
    out = [answer.title, "", answer.summary, ""]
    for line in answer.facts:
        prefix = f"{line.when} — " if line.when else ""
        out.append(f"• {prefix}{line.text} [{line.source}]")
    out += ["", "Sources:"]
    out += [f"[{s.number}] {s.label()} ({s.id})" for s in answer.sources]
    return "\n".join(out)


def render_quotes_text(answer: BriefAnswer) -> str:
    """The exact words each fact rests on, with the document's title and date."""
    by_number = {s.number: s for s in answer.sources}
    out = []
    for line in answer.facts:
        src = by_number[line.source]
        out.append(f"“{line.quote}” — {src.title}, {src.published_human}")
    return "\n".join(out)


def answer_json(answer: BriefAnswer, score: float | None = None) -> dict[str, Any]:
    """The stable JSON shape of one result of ``ask``."""
    return {
        "id": answer.id, "title": answer.title, "score": score, "text": render_brief_text(answer),
        "facts": [f.to_json() for f in answer.facts], "sources": [s.to_json() for s in answer.sources],
    }


def event_text(event: Event) -> str:
    """One line for an event: date, what happened, which brief."""
    return f"{describe_when(event.fact)} — {event.fact.text}"


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


def render_day_text(day_label: str, items: list[Anniversary], documents: dict[str, Document]) -> str:
    """"On this day" as plain text; says so plainly when the day has no events."""
    if not items:
        return f"On {day_label}: no recorded events in Pakistan–Azerbaijan relations."
    out = [f"On {day_label}:"]
    for item in items:
        fact = item.event.fact
        doc = documents.get(fact.source)
        source = f" [{doc.title}, {doc.published.human()}]" if doc else ""
        out.append(f"• {describe_when(fact)} ({years_ago_text(item.years_ago)}) — {fact.text}{source}")
    return "\n".join(out)
