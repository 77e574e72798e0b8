"""A document cut into statements, and the date words each one carries.

Sentences are split at a full stop, question or exclamation mark followed by a capital, except
after abbreviations ("Mr.", "H.E.", "No."). Date words are found longest first, so "last year, in
2023" is one expression and not "last year" and "in 2023".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.dates import MONTHS
from ..core.relative_dates import UNDATED, WEEKDAYS

_ABBREVIATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "H.E.", "No.", "St.", "Gen.", "Lt.", "Col.", "Sr.", "Jr.",
                  "U.S.", "U.K.", "U.N.", "e.g.", "i.e.", "etc.", "Jan.", "Feb.", "Aug.", "Sept.", "Oct.", "Nov.",
                  "Dec.", "vs.")
_BREAK = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z\"“‘(0-9])")

_MONTH = "|".join(MONTHS)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_WEEKDAY = "|".join(w.capitalize() for w in WEEKDAYS)
#: Dates written out in full: they are explicit, not inferred.
ABSOLUTE = re.compile(
    rf"\b(?P<span>(?P<d1>\d{{1,2}})\s*[-–]\s*(?P<d2>\d{{1,2}})\s+(?P<m1>{_MONTH})\s+(?P<y1>\d{{4}}))"
    rf"|\b(?P<dmy>(?P<d3>{_DAY})\s+(?P<m2>{_MONTH}),?\s+(?P<y2>\d{{4}}))"
    rf"|\b(?P<mdy>(?P<m3>{_MONTH})\s+(?P<d4>\d{{1,2}}),\s+(?P<y3>\d{{4}}))"
    rf"|\b(?P<my>(?:in\s+)?(?P<m4>{_MONTH})\s+(?P<y4>\d{{4}}))"
    rf"|\b(?P<y>in\s+(?P<y5>(?:19|20)\d{{2}}))\b(?!,)")
_RELATIVE_WORDS = [
    r"last year, in (?:19|20)\d{2}", r"earlier this year, in (?:19|20)\d{2}",
    r"early next year", r"later next year", r"late next year", r"next year", r"later this year",
    r"earlier this year", r"this year", r"earlier last year", r"last year",
    r"earlier this month", r"later this month", r"early this month", r"this month", r"last month", r"next month",
    r"earlier this week", r"this week", r"last week", r"next week",
    r"on the eve of", r"the day before yesterday", r"yesterday", r"today", r"tonight", r"tomorrow",
    rf"(?:on |last |next |this |since )?(?:{_WEEKDAY})(?: night| morning| evening)?",
    rf"(?:last|next|this|earlier in|later in|in early|in late|in mid|early|late|in) (?:{_MONTH})\b(?! \d)",
    *(re.escape(u) for u in sorted(UNDATED, key=len, reverse=True)),
]
RELATIVE = re.compile(r"\b(?:" + "|".join(_RELATIVE_WORDS) + r")\b", re.IGNORECASE)
_CAPITALISED = re.compile(rf"(?:{_MONTH}|{_WEEKDAY})")
_FUTURE = re.compile(r"\b(?:will|shall|would|is set to|are set to|plans? to|planned|scheduled|is expected to|"
                     r"are expected to|to be held|upcoming|intends? to)\b", re.IGNORECASE)
_PLANNED = re.compile(r"\b(?:will|shall|plans?|planned|scheduled|set to|intends?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Words:
    """Date words in a sentence: where they are, as written, and whether they are relative."""

    text: str
    start: int
    end: int
    relative: bool
    match: re.Match[str] | None = None  # for absolute dates, the parts


def sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, verbatim."""
    out: list[str] = []
    start = 0
    for m in _BREAK.finditer(paragraph):
        before = paragraph[start:m.start()].rstrip("\"”’)")
        if before.endswith(_ABBREVIATIONS) or re.search(r"\b[A-Z]\.$", before):
            continue
        out.append(paragraph[start:m.start()].strip())
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def date_words(sentence: str) -> list[Words]:
    """Every date expression in ``sentence``, in order, without overlaps (relative ones first)."""
    found: list[Words] = []
    for m in RELATIVE.finditer(sentence):
        text = m.group(0)
        names = _CAPITALISED.findall(text) or re.findall(_CAPITALISED.pattern, text, re.IGNORECASE)
        if names and not _CAPITALISED.search(text):  # "may", "march" the words, not the months
            continue
        found.append(Words(text, m.start(), m.end(), True))
    for m in ABSOLUTE.finditer(sentence):
        if any(w.start < m.end() and m.start() < w.end for w in found):
            continue
        found.append(Words(m.group(0), m.start(), m.end(), False, m))
    return sorted(found, key=lambda w: w.start)


def speaks_of_future(sentence: str) -> bool:
    return bool(_FUTURE.search(sentence))


def is_plan(sentence: str) -> bool:
    """"will", "plans", "scheduled": a plan; "would take place": an announcement."""
    return bool(_PLANNED.search(sentence))


def clause(sentence: str, words: Words) -> str:
    """The part of ``sentence`` that a date expression belongs to: from the start of its comma-separated
    part to the end, widened one part at a time until it says something (six words or more)."""
    cuts = [0] + [m.end() for m in re.finditer(r",\s+", sentence[:words.start])]
    for start in reversed(cuts):
        part = sentence[start:].strip()
        part = re.sub(r"^(?:and|but|while|as)\s+", "", part)
        if len(part.split()) >= 6:
            return part.rstrip(".")
    return sentence.rstrip(".")
