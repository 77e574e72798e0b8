"""``draft``: candidate facts for one document, each with an exact quote, a plain text and a date
resolved from the document's own words.

The rules, so a curator can predict the draft:

* One fact per sentence that carries an event, a number, a decision or a position; the date line
  ("Islamabad: January 30, 2026") is a fact of its own, dated by itself.
* A sentence's date words are resolved against the document's date (:mod:`bot.core.relative_dates`);
  "very soon" and "within a month" give no date. Dates written out ("11-12 July 2024", "in 2022")
  are explicit and have no ``inferred_from``.
* News of one meeting dates it in its first sentence ("... today", "... on Tuesday"): the sentences
  after it with no date words of their own are dated the same way. So is a sentence that refers
  back ("during the discussions") to the one before it.
* A sentence with other date words as well gets one fact for the sentence and one for the part
  ("including at the Victory Parade in Baku last November") the other words date.
* An event after the document's date is ``planned`` ("will", "plans") or else ``announced``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.dates import MONTHS, PartialDate, Precision
from ..core.documents import Document
from ..core.relative_dates import Resolved, resolve
from .detect import find_date
from .statements import Words, clause, date_words, is_plan, sentences, speaks_of_future

_MONTH_NUMBER = {m: k + 1 for k, m in enumerate(MONTHS)}
_SIGNAL = re.compile(
    r"\b(?:met|meet|meeting|signed|sign|agreed|agree|agreement|said|says|called|visited|visit|held|discussed|"
    r"reaffirmed|thanked|emphasi[sz]ed|stressed|conveyed|proposed|approved|opened|announced|invited|invitation|"
    r"reiterated|lauded|praised|recalled|expressed|underscored|reviewed|noted|handed|supports?|backs|welcomed|"
    r"decided|launched|inaugurated|grew|rose|fell|exported|imported|will|would|plans?|celebrated|acknowledged|"
    r"received|concluded|continue|reached|provided|host|hosts|hosted)\b|\d", re.IGNORECASE)
_BACK_REFERENCE = re.compile(r"^(?:During|At|After) the (?:meeting|talks|discussions|visit)\b|"
                             r"\bduring the (?:discussions|talks)\b", re.IGNORECASE)
_DAY_WORDS = re.compile(r"^(?:today|yesterday|tonight|tomorrow|(?:on |last )?[A-Z][a-z]+day)$", re.IGNORECASE)
MAX_TEXT = 400


@dataclass
class Candidate:
    """One proposed fact, in the brief schema's terms."""

    text: str
    quote: str
    date: PartialDate | None = None
    end: PartialDate | None = None
    precision: str = ""
    inferred_from: str = ""
    status: str = "occurred"
    undated_because: str = ""  # "very soon": words that give no date

    def to_json(self, source: str) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "source": source, "quote": self.quote}
        if self.date is not None:
            out["date"] = self.date.iso()
            if self.end is not None:
                out["end"] = self.end.iso()
            if self.precision:
                out["precision"] = self.precision
            if self.inferred_from:
                out["inferred_from"] = self.inferred_from
        if self.status != "occurred":
            out["status"] = self.status
        return out


@dataclass
class _Dated:
    date: PartialDate
    end: PartialDate | None = None
    precision: str = ""
    inferred_from: str = ""
    future: bool = False


@dataclass
class Draft:
    document: Document
    facts: list[Candidate] = field(default_factory=list)


def _plain(text: str) -> str:
    text = text.strip().rstrip(",;:")
    text = text[:1].upper() + text[1:]
    if not text.endswith((".", "!", "?", "”", '"')):
        text += "."
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1].rsplit(" ", 1)[0] + "…"
    return text


def _absolute(words: Words) -> _Dated | None:
    m = words.match
    if m is None:
        return None
    g = m.groupdict()
    try:
        if g["span"]:
            month, year = _MONTH_NUMBER[g["m1"]], int(g["y1"])
            return _Dated(PartialDate(year, month, int(g["d1"])), PartialDate(year, month, int(g["d2"])))
        if g["dmy"] or g["mdy"]:
            found = find_date(words.text)
            return _Dated(found[0]) if found else None
        if g["my"]:
            return _Dated(PartialDate(int(g["y4"]), _MONTH_NUMBER[g["m4"]]))
        if g["y"]:
            return _Dated(PartialDate(int(g["y5"])))
    except ValueError:
        return None
    return None


def _as_written(words: str) -> str:
    return words[:1].lower() + words[1:] if not words[:2].isupper() and words.split()[0] not in MONTHS else words


def _resolve(words: Words, base: dt.date, sentence: str) -> _Dated | None:
    if not words.relative:
        dated = _absolute(words)
        if dated is not None:
            dated.future = dated.date.first_day() > base
        return dated
    found: Resolved | None = resolve(words.text, base, future_tense=speaks_of_future(sentence))
    if found is None:
        return None
    return _Dated(found.date, found.end, found.precision, _as_written(words.text), found.future)


def _candidate(text: str, quote: str, dated: _Dated | None, sentence: str, undated: str = "") -> Candidate:
    fact = Candidate(_plain(text), quote.strip(), undated_because=undated)
    if dated is not None:
        fact.date, fact.end, fact.precision, fact.inferred_from = (dated.date, dated.end, dated.precision,
                                                                   dated.inferred_from)
        if dated.future:
            fact.status = "planned" if is_plan(sentence) else "announced"
    elif undated and speaks_of_future(sentence):
        fact.status = "planned" if is_plan(sentence) else "announced"
    return fact


def _is_statement(sentence: str) -> bool:
    return len(sentence.split()) >= 6 and bool(_SIGNAL.search(sentence))


def draft_document(doc: Document) -> Draft:
    """Candidate facts for ``doc``, in the order of its text."""
    draft = Draft(doc)
    base = doc.published.first_day()
    day_known = doc.published.precision is Precision.DAY
    lead: _Dated | None = None
    previous: _Dated | None = None
    first = True
    for paragraph in doc.text.split("\n\n"):
        para = " ".join(paragraph.split())
        if len(para) <= 120 and find_date(para) is not None and not _is_statement(para.replace(",", "")):
            published = find_date(para)
            assert published is not None
            draft.facts.append(Candidate(_plain(f"{doc.kind.capitalize()} dated {para}"), para,
                                         published[0]))
            continue
        for sentence in sentences(para):
            if not _is_statement(sentence):
                continue
            words = date_words(sentence)
            resolved = [(w, _resolve(w, base, sentence) if day_known or not w.relative else None) for w in words]
            dated = [(w, d) for w, d in resolved if d is not None]
            undated = next((w.text for w, d in resolved if d is None and w.relative), "")
            if first and dated and _DAY_WORDS.match(dated[0][0].text) and dated[0][0].relative:
                lead = dated[0][1]
            first = False
            if not dated:
                inherit = None
                if _BACK_REFERENCE.search(sentence):  # "during the discussions": the time just told
                    inherit = lead or previous
                elif lead is not None and not speaks_of_future(sentence):
                    inherit = lead
                draft.facts.append(_candidate(sentence, sentence, inherit, sentence, undated))
                previous = inherit or previous
                continue
            own = dated[0][1]
            reported = clause(sentence, dated[0][0]) != sentence.rstrip(".")
            if lead is not None and own is not lead and reported and not own.future and own.date != lead.date:
                # The sentence reports today's (the lead's) act; its other words date a part of it.
                draft.facts.append(_candidate(sentence, sentence, lead, sentence))
                for w, d in dated:
                    part = clause(sentence, w)
                    draft.facts.append(_candidate(part, part, d, sentence))
            else:
                draft.facts.append(_candidate(sentence, sentence, own, sentence))
                for w, d in dated[1:]:
                    part = clause(sentence, w)
                    draft.facts.append(_candidate(part, part, d, sentence))
            previous = own
    return draft
