"""The search index as it was before the performance work (commit b7d1a96), kept verbatim.

Used by the benchmarks ("before" figures) and by tests that check the fast index gives the same
answers. Not used by Safeer itself.
"""
# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.briefs import Brief
from bot.core.text import normalise, tokens

#: Below this a match is not shown at all. Chosen from the labelled queries in
#: ``benchmarks/thresholds.py``: related queries score 55+, unrelated ones under 35.
MIN_SCORE = 45.0
#: Below this the best match is "weak": answers carry "did you mean" suggestions.
STRONG_SCORE = 70.0

FIELD_WEIGHTS = {"name": 1.0, "tag": 0.9, "body": 0.8}
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
_CANDIDATES = 48
_EXPANSIONS = 24


@dataclass(frozen=True)
class Match:
    """A brief that matches a query, and the name under which it matched best."""

    brief: Brief
    score: float
    name: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: tuple[Match, ...]
    suggestions: tuple[str, ...]

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def weak(self) -> bool:
        return not self.matches or self.matches[0].score < STRONG_SCORE


@dataclass(frozen=True)
class _Name:
    norm: str
    words: frozenset[str]
    display: str


class SearchIndex:
    """The search structures for one catalog. Immutable once built; safe to share."""

    def __init__(self, briefs: Iterable[Brief]) -> None:
        self.briefs: tuple[Brief, ...] = tuple(briefs)
        n = len(self.briefs)
        self._names: list[list[_Name]] = []
        self._exact: dict[str, list[int]] = defaultdict(list)
        postings: dict[str, dict[str, set[int]]] = {f: defaultdict(set) for f in FIELD_WEIGHTS}
        for i, brief in enumerate(self.briefs):
            names = []
            for display in dict.fromkeys(brief.names):
                norm = normalise(display)
                if not norm:
                    continue
                names.append(_Name(norm, frozenset(norm.split()), display))
                self._exact[norm].append(i)
                for word in norm.split():
                    postings["name"][word].add(i)
            self._names.append(names)
            for tag in brief.tags:
                for word in normalise(tag).split():
                    postings["tag"][word].add(i)
            body = " ".join([brief.summary, *(f.text for f in brief.facts), *(f.quote for f in brief.facts)])
            for word in set(normalise(body).split()):
                postings["body"][word].add(i)

        vocab = sorted(set().union(*(p.keys() for p in postings.values())))
        self._vocab_sorted = vocab
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in vocab:
            self._by_length[len(word)].append(word)
        self._postings = {
            field: {w: np.fromiter(sorted(ids), dtype=np.int32, count=len(ids)) for w, ids in p.items()}
            for field, p in postings.items()
        }
        df: dict[str, int] = defaultdict(int)
        for word in vocab:
            df[word] = len(set().union(*(postings[f].get(word, ()) for f in postings)))
        self._idf = {w: math.log(1.0 + n / d) for w, d in df.items()}
        self._unknown_idf = float(np.median(list(self._idf.values()))) if self._idf else 1.0
        self._sorted_names = sorted((nm.norm, i) for i, names in enumerate(self._names) for nm in names)
        self._expansion_cache: dict[tuple[str, bool], tuple[tuple[str, float], ...]] = {}
        self._n = n

    def __len__(self) -> int:
        return self._n

    # -- word expansion -------------------------------------------------------------------

    def _expand(self, word: str, allow_prefix: bool) -> tuple[tuple[str, float], ...]:
        """Vocabulary words this query word may mean, with a similarity in 0..1."""
        key = (word, allow_prefix)
        cached = self._expansion_cache.get(key)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if word in self._idf:
            found[word] = 1.0
        if (allow_prefix and len(word) >= 2) or len(word) >= 4:
            lo = bisect.bisect_left(self._vocab_sorted, word)
            for other in self._vocab_sorted[lo : lo + 64]:
                if not other.startswith(word):
                    break
                if other != word:
                    found.setdefault(other, 0.84 + 0.14 * len(word) / len(other))
        if len(word) >= 4 and not word.isdigit():
            cutoff = 75.0 if len(word) == 4 else 78.0
            pool = [w for length in range(len(word) - 2, len(word) + 3) for w in self._by_length.get(length, ())]
            for other, score, _ in process.extract(word, pool, scorer=fuzz.ratio, score_cutoff=cutoff,
                                                   limit=_EXPANSIONS):
                sim = 0.95 * score / 100.0
                if sim > found.get(other, 0.0):
                    found[other] = sim
        best = tuple(sorted(found.items(), key=lambda kv: -kv[1])[:_EXPANSIONS])
        if len(self._expansion_cache) > 20_000:
            self._expansion_cache.clear()
        self._expansion_cache[key] = best
        return best

    # -- scoring ----------------------------------------------------------------------------

    def _coverage(self, words: Sequence[str], prefix_last: bool) -> tuple[np.ndarray, set[str]]:
        """Per-brief weighted share of query words found (0..1), and every vocabulary word hit."""
        total = np.zeros(self._n, dtype=np.float32)
        weight_sum = 0.0
        hit_words: set[str] = set()
        for pos, word in enumerate(words):
            expansions = self._expand(word, allow_prefix=prefix_last and pos == len(words) - 1)
            weight = self._idf.get(word) or (
                max((self._idf[w] for w, _ in expansions), default=self._unknown_idf)
            )
            weight_sum += weight
            best = np.zeros(self._n, dtype=np.float32)
            for other, sim in expansions:
                hit_words.add(other)
                for field, fw in FIELD_WEIGHTS.items():
                    ids = self._postings[field].get(other)
                    if ids is not None:
                        value = np.float32(sim * fw)
                        best[ids] = np.maximum(best[ids], value)
            total += weight * best
        if weight_sum:
            total /= weight_sum
        return total, hit_words

    def _rerank(self, i: int, coverage: float, qnorm: str, hit: set[str]) -> tuple[float, str]:
        """Final score of one brief: exact/prefix tiers, else coverage plus name precision."""
        best_score, best_name = 0.0, self._names[i][0].display if self._names[i] else self.briefs[i].title
        for name in self._names[i]:
            if name.norm == qnorm:
                return 100.0, name.display
            if len(qnorm) >= 3 and name.norm.startswith(qnorm):
                score = 92.0 + 6.0 * len(qnorm) / len(name.norm)
            else:
                precision = sum(w in hit for w in name.words) / len(name.words)
                score = 86.0 * coverage + 4.0 * precision
                if len(qnorm) >= 6:
                    whole = fuzz.ratio(qnorm, name.norm)
                    if whole >= 85:
                        score = max(score, 0.9 * whole)
            if score > best_score:
                best_score, best_name = score, name.display
        return best_score, best_name

    def search(self, query: str, limit: int = 5, *, prefix_last: bool = False) -> SearchResult:
        """Best matches for a query, best first; empty with suggestions when nothing is close."""
        qnorm = normalise(query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS].strip()
        if not qnorm or not self._n:
            return SearchResult(query, (), ())
        words = list(dict.fromkeys(tokens(qnorm)))[:MAX_QUERY_WORDS]
        coverage, hit = self._coverage(words, prefix_last)
        k = min(_CANDIDATES, self._n)
        top = np.argpartition(-coverage, k - 1)[:k] if k < self._n else np.arange(self._n)
        candidates = {int(i) for i in top if coverage[i] > 0}
        candidates.update(self._exact.get(qnorm, ()))
        if len(qnorm) >= 3:
            lo = bisect.bisect_left(self._sorted_names, (qnorm, -1))
            for name, i in self._sorted_names[lo : lo + 32]:
                if not name.startswith(qnorm):
                    break
                candidates.add(i)
        scored = sorted(
            ((*self._rerank(i, float(coverage[i]), qnorm, hit), i) for i in candidates),
            key=lambda t: (-t[0], self.briefs[t[2]].id),
        )
        matches = tuple(Match(self.briefs[i], round(s, 1), name) for s, name, i in scored
                        if s >= MIN_SCORE)[:limit]
        suggestions: tuple[str, ...] = ()
        if not matches or matches[0].score < STRONG_SCORE:
            shown = {m.brief.id for m in matches}
            suggestions = tuple(
                self.briefs[i].title for s, _, i in scored
                if self.briefs[i].id not in shown and s >= MIN_SCORE / 2
            )[:3]
        return SearchResult(query, matches, suggestions)

    def complete(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete choices ``(label, brief id)`` for what a person has typed so far."""
        if not normalise(text):
            return [(b.title[:100], b.id) for b in sorted(self.briefs, key=lambda b: b.title)[:limit]]
        result = self.search(text, limit=limit, prefix_last=True)
        choices = []
        for match in result.matches:
            label = match.brief.title if match.name in (match.brief.title, match.brief.id.replace("-", " ")) \
                else f"{match.name} → {match.brief.title}"
            choices.append((label if len(label) <= 100 else label[:99] + "…", match.brief.id))
        return choices

    def resolve(self, value: str) -> Brief | None:
        """The brief a submitted value means: an id, an exact name, else a strong search match.

        Discord clients sometimes submit the typed text instead of the chosen value, so the
        server resolves it again rather than trusting it.
        """
        for brief in self.briefs:
            if brief.id == value:
                return brief
        exact = self._exact.get(normalise(value))
        if exact:
            return self.briefs[exact[0]]
        best = self.search(value, limit=1).best
        return best.brief if best is not None and best.score >= STRONG_SCORE else None
