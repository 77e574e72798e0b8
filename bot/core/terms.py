"""What the search index takes from each brief: its names, normalised, and the words of each field.

Apart from the index so that parsing (which computes these per file, also in helper processes)
needs neither numpy nor rapidfuzz: a helper starts in a third of the time.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass

from .briefs import Brief
from .text import normalise, normalised_words


@dataclass(frozen=True)
class BriefTerms:
    """What the index takes from one brief: its names, normalised, and the words of each field.

    Depends only on the brief, so the load cache keeps it with the parsed brief and an unchanged
    file is never normalised again.
    """

    names: tuple[tuple[str, str], ...]  # (normalised, as written), in the brief's order
    tag_words: tuple[str, ...]
    body_words: tuple[str, ...]

    @functools.cached_property
    def name_words(self) -> tuple[str, ...]:
        """The distinct words of all names. :func:`brief_terms` computes it at once, so that it is
        done (and pickled along) where briefs are parsed, in parallel, not while indexing."""
        return tuple(dict.fromkeys(w for norm, _ in self.names for w in norm.split()))


def brief_terms(brief: Brief) -> BriefTerms:
    """The normalised names and field words of one brief (the slow part of building an index)."""
    names = []
    for display in dict.fromkeys(brief.names):
        norm = normalise(display)
        if norm:
            names.append((norm, display))
    tag_words = dict.fromkeys(w for tag in brief.tags for w in normalised_words(tag))
    body = " ".join([brief.summary, *(f.text for f in brief.facts), *(f.quote for f in brief.facts)])
    # Interned: the same word in many briefs is then one object, in memory and in the load cache.
    body_words = tuple(map(sys.intern, dict.fromkeys(normalised_words(body))))
    terms = BriefTerms(tuple(names), tuple(map(sys.intern, tag_words)), body_words)
    _ = terms.name_words
    return terms
