"""The exhaustive reference: Safeer's scoring applied to every brief, with no index and no pruning.

:class:`bot.core.search.SearchIndex` answers fast by cutting corners that should not change the
answer: it keeps the best few dozen expansions of each query word, looks only at the best few
dozen briefs by coverage, and re-ranks only those. This module applies the same scoring rules
(the same similarity of a query word to a brief's word, the same idf weights, field weights and
re-rank tiers) to *every* word of *every* brief with plain loops and rapidfuzz, so the benchmark
can report how often the fast answer's top result is the exhaustive one.

It is deliberately simple and slow: seconds per query at 10,000 briefs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.core.briefs import Brief
from bot.core.search import FIELD_WEIGHTS, MAX_QUERY_CHARS, MAX_QUERY_WORDS, MIN_SCORE
from bot.core.text import normalise, tokens


@dataclass(frozen=True)
class _Entry:
    brief: Brief
    names: tuple[tuple[str, frozenset[str], str], ...]  # (normalised, words, display)
    fields: tuple[tuple[float, frozenset[str]], ...]  # (field weight, words)


def word_similarity(word: str, other: str, allow_prefix: bool) -> float:
    """How well a query word matches a catalog word, 0..1: Safeer's rule, for one pair."""
    if word == other:
        return 1.0
    best = 0.0
    if ((allow_prefix and len(word) >= 2) or len(word) >= 4) and other.startswith(word):
        best = 0.84 + 0.14 * len(word) / len(other)
    if len(word) >= 4 and not word.isdigit() and abs(len(other) - len(word)) <= 2:
        cutoff = 75.0 if len(word) == 4 else 78.0
        score = fuzz.ratio(word, other, score_cutoff=cutoff)
        if score:
            best = max(best, 0.95 * score / 100.0)
    return best


class ExhaustiveSearch:
    """Scores every brief for every query; returns ``[(brief id, score, name)]`` best first."""

    def __init__(self, briefs: Iterable[Brief]) -> None:
        self.entries: list[_Entry] = []
        df: dict[str, int] = {}
        for brief in briefs:
            names = []
            for display in dict.fromkeys(brief.names):
                norm = normalise(display)
                if norm:
                    names.append((norm, frozenset(norm.split()), display))
            name_words = frozenset(w for n in names for w in n[1])
            tag_words = frozenset(w for t in brief.tags for w in normalise(t).split())
            body = " ".join([brief.summary, *(f.text for f in brief.facts), *(f.quote for f in brief.facts)])
            body_words = frozenset(normalise(body).split())
            fields = ((FIELD_WEIGHTS["name"], name_words), (FIELD_WEIGHTS["tag"], tag_words),
                      (FIELD_WEIGHTS["body"], body_words))
            self.entries.append(_Entry(brief, tuple(names), fields))
            for word in name_words | tag_words | body_words:
                df[word] = df.get(word, 0) + 1
        n = len(self.entries)
        self.idf = {w: math.log(1.0 + n / d) for w, d in df.items()}
        ordered = sorted(self.idf.values())
        mid = len(ordered) // 2
        self.unknown_idf = (ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2) \
            if ordered else 1.0

    def search(self, query: str, limit: int = 5, prefix_last: bool = False) -> list[tuple[str, float, str]]:
        """Matches at or above MIN_SCORE, best first: ``[(brief id, score, name)]``."""
        return [(i, round(s, 1), name) for i, s, name in self.ranked(query, prefix_last) if s >= MIN_SCORE][:limit]

    def ranked(self, query: str, prefix_last: bool = False) -> list[tuple[str, float, str]]:
        """Every brief with a score above 0, best first, unrounded and unfiltered."""
        qnorm = normalise(query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS].strip()
        if not qnorm or not self.entries:
            return []
        words = list(dict.fromkeys(tokens(qnorm)))[:MAX_QUERY_WORDS]
        # Every catalog word each query word may mean, with its similarity (no cap on how many).
        sims: list[dict[str, float]] = []
        for pos, word in enumerate(words):
            allow = prefix_last and pos == len(words) - 1
            found = {}
            for other in self.idf:
                s = word_similarity(word, other, allow)
                if s > 0:
                    found[other] = s
            sims.append(found)
        weights = []
        for word, found in zip(words, sims, strict=True):
            weights.append(self.idf.get(word) or max((self.idf[w] for w in found), default=self.unknown_idf))
        total_weight = sum(weights)
        hit = set().union(*(set(f) for f in sims))
        scored = []
        for entry in self.entries:
            coverage = 0.0
            for weight, found in zip(weights, sims, strict=True):
                best = 0.0
                for fw, field_words in entry.fields:
                    for other in field_words & found.keys():
                        best = max(best, found[other] * fw)
                coverage += weight * best
            coverage = coverage / total_weight if total_weight else 0.0
            score, name = self._rerank(entry, coverage, qnorm, hit)
            if score > 0:
                scored.append((entry.brief.id, score, name))
        scored.sort(key=lambda t: (-t[1], t[0]))
        return scored

    @staticmethod
    def _rerank(entry: _Entry, coverage: float, qnorm: str, hit: set[str]) -> tuple[float, str]:
        best_score = 0.0
        best_name = entry.names[0][2] if entry.names else entry.brief.title
        for norm, words, display in entry.names:
            if norm == qnorm:
                return 100.0, display
            if len(qnorm) >= 3 and norm.startswith(qnorm):
                score = 92.0 + 6.0 * len(qnorm) / len(norm)
            else:
                precision = len(words & hit) / len(words)
                score = 86.0 * coverage + 4.0 * precision
                if len(qnorm) >= 6:
                    whole = fuzz.ratio(qnorm, norm)
                    if whole >= 85:
                        score = max(score, 0.9 * whole)
            if score > best_score:
                best_score, best_name = score, display
        return best_score, best_name
