"""What a command returns, in a neutral form that every face renders.

A query function in :mod:`bot.core.queries` returns one of these, or a :class:`NotFound` that
says what was looked for and what came closest. Input a person must fix (an impossible date, a
backwards year range, an empty query) raises :class:`CommandError` instead. Faces never decide
what an answer is; they only lay it out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .answers import BriefAnswer, EventLine
from .ask import Answer, AskResult
from .calendar import Anniversary, Event
from .documents import Document
from .errors import CommandError as CommandError
from .search import SearchResult


@dataclass(frozen=True)
class NotFound:
    """Nothing matched. ``suggestions`` are the closest names; ``hint`` says what to try instead."""

    message: str
    suggestions: tuple[str, ...] = ()
    hint: str = ""

    def text(self) -> str:
        if self.suggestions:
            return f"{self.message} Did you mean: {'; '.join(self.suggestions)}?"
        return f"{self.message} {self.hint}".strip()


@dataclass(frozen=True)
class BriefFound:
    answer: BriefAnswer


@dataclass(frozen=True)
class SearchFound:
    """The briefs that match, and the single fact that best answers the same words (or None)."""

    query: str
    result: SearchResult
    answer: Answer | None = None


@dataclass(frozen=True)
class DayEvents:
    """Anniversaries of one day: ``label`` reads "11 July"."""

    label: str
    month: int
    day: int
    items: tuple[Anniversary, ...]  # for the JSON form
    lines: tuple[EventLine, ...]


@dataclass(frozen=True)
class TimelineFound:
    title: str
    events: tuple[Event, ...]  # for the picture
    lines: tuple[EventLine, ...]


@dataclass(frozen=True)
class SourceFound:
    document: Document


@dataclass(frozen=True)
class HelpEntry:
    name: str
    usage: str
    description: str
    example: str


@dataclass(frozen=True)
class HelpText:
    entries: tuple[HelpEntry, ...]


@dataclass(frozen=True)
class Listing:
    """Every brief (id, title, kind) and document (id, title, date), for ``list``."""

    briefs: tuple[tuple[str, str, str], ...]
    documents: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class DailyPreview:
    """The daily post for ``day`` as it would be sent; ``text`` is None when there is nothing to post."""

    day: dt.date
    text: str | None


Result = (AskResult | BriefFound | SearchFound | DayEvents | TimelineFound | SourceFound | HelpText | Listing | DailyPreview
          | NotFound)
