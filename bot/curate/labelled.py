"""The curators' own dates as a labelled set: does the drafter date each statement as they did?

A curated fact is reproduced when a drafted fact quotes the same words (one quote inside the
other, after quote folding) with the same date, end, precision and ``inferred_from``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..core.briefs import Brief, Fact
from ..core.text import fold_quote
from .draft import Candidate


@dataclass(frozen=True)
class Label:
    quote: str
    date: str
    end: str
    precision: str
    inferred_from: str
    status: str

    @classmethod
    def of(cls, fact: Fact) -> Label:
        assert fact.date is not None
        return cls(_words(fact.quote), fact.date.iso(), fact.end.iso() if fact.end else "", fact.precision,
                   fact.inferred_from.lower(), fact.status)


def _words(quote: str) -> str:
    return fold_quote(quote).rstrip(".,;:")


def labels_for(document_id: str, briefs: Iterable[Brief]) -> list[Label]:
    """Every distinct dated fact the curators wrote from one document, in any brief."""
    return sorted({Label.of(f) for b in briefs for f in b.facts if f.source == document_id and f.date is not None},
                  key=lambda label: (label.date, label.quote))


def reproduces(candidate: Candidate, label: Label) -> bool:
    if candidate.date is None:
        return False
    quote = _words(candidate.quote)
    same_words = label.quote in quote or quote in label.quote
    return same_words and (candidate.date.iso(), candidate.end.iso() if candidate.end else "",
                           candidate.precision, candidate.inferred_from.lower()) == (
        label.date, label.end, label.precision, label.inferred_from)


def score(candidates: list[Candidate], labels: list[Label]) -> tuple[list[Label], list[Label]]:
    """(reproduced, missed) labels."""
    hit = [label for label in labels if any(reproduces(c, label) for c in candidates)]
    return hit, [label for label in labels if label not in hit]
