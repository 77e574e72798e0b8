"""Ranked, typo-tolerant search over briefs, built once per catalog.

How a query is answered (and why it stays fast at 100,000 briefs):

1. The query is normalised (:func:`bot.core.text.normalise`) and split into words.
2. Each word is *expanded* against the catalog's vocabulary: the word itself, words it is a prefix
   of, and words within a small edit distance (rapidfuzz ``ratio`` over words of similar length).
   The fuzzy step only scores words that can reach the cut-off: the vocabulary is kept sorted by
   length, and a 64-bit "which letters" mask per word rules out, in one numpy pass, every word
   whose letters differ from the query word's in more places than the cut-off allows (each such
   letter costs at least one edit, so no word that could pass is ever skipped).
   Expansions are cached; there are at most a few dozen per word.
3. Posting lists (word → briefs, per field, stored as flat numpy arrays) turn expansions into
   per-brief similarities, so every brief gets its coverage score without a Python loop over the
   catalog.
4. The best few dozen briefs by coverage, plus every brief with a name equal to the query and
   the owners of the 32 shortest names that start with it (the prefix tier favours short names),
   are re-ranked: exact and prefix matches of a whole name, and how much of the best name the
   query covers (counted with numpy over all their names at once).

Scores are 0–100 in tiers: an exact name is 100; a name the query is a prefix of is 92–98; fuzzy
coverage is at most 90, and words found only in body text count 0.8 of words found in names, so
name matches rank above body matches. Unrelated queries match no vocabulary and return nothing.

``benchmarks/reference.py`` applies the same scoring to every brief without any of these
shortcuts; ``benchmarks/run.py`` reports how often both agree on the top result.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from .briefs import Brief
from .search_arrays import letter_mask
from .search_build import FIELD_WEIGHTS as FIELD_WEIGHTS
from .search_build import IndexArrays
from .search_results import MIN_SCORE as MIN_SCORE
from .search_results import STRONG_SCORE as STRONG_SCORE
from .search_results import Match as Match
from .search_results import SearchResult as SearchResult
from .text import normalise, tokens

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
_CANDIDATES = 48
_EXPANSIONS = 24
_PREFIX_NAMES = 32
_FIELD_ITEMS = tuple(FIELD_WEIGHTS.items())


class SearchIndex(IndexArrays):
    """Search over one catalog: ``SearchIndex(briefs, terms=None)`` builds the arrays
    (:class:`bot.core.search_build.IndexArrays`). Immutable once built; safe to share."""

    # -- word expansion -------------------------------------------------------------------

    def expand(self, word: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary words a (normalised) word may mean, misspelt or not, with a similarity in 0..1."""
        return self._expand(word, False)

    def _expand(self, word: str, allow_prefix: bool) -> tuple[tuple[str, float], ...]:
        """Vocabulary words this query word may mean, with a similarity in 0..1."""
        key = (word, allow_prefix)
        cached = self._expansion_cache.get(key)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        vocab = self._vocab
        if word in self._word_id:
            found[word] = 1.0
        if (allow_prefix and len(word) >= 2) or len(word) >= 4:
            lo = bisect.bisect_left(vocab, word)
            for other in vocab[lo : lo + 64]:
                if not other.startswith(word):
                    break
                if other != word:
                    found.setdefault(other, 0.84 + 0.14 * len(word) / len(other))
        if len(word) >= 4 and not word.isdigit():
            cutoff = 75 if len(word) == 4 else 78
            pool = self._fuzzy_pool(word, cutoff)
            if pool:
                for other, score, _ in process.extract(word, pool, scorer=fuzz.ratio, processor=None,
                                                       score_cutoff=float(cutoff), limit=_EXPANSIONS):
                    sim = 0.95 * score / 100.0
                    if sim > found.get(other, 0.0):
                        found[other] = sim
        best = tuple(sorted(found.items(), key=lambda kv: -kv[1])[:_EXPANSIONS])
        if len(self._expansion_cache) > 20_000:
            self._expansion_cache.clear()
        self._expansion_cache[key] = best
        return best

    def _fuzzy_pool(self, word: str, cutoff: int) -> list[str]:
        """Words of length ±2 that may reach ``cutoff``, in (length, alphabetical) order.

        ``ratio`` is 100·(1 − d/(m+n)) for the insert/delete distance d, and every letter present
        in one word but not the other costs at least one edit, so a word whose letter mask differs
        from the query's in more than (m+n)·(100 − cutoff)/100 bits can never pass.
        """
        m = len(word)
        qmask = np.uint64(letter_mask(word))
        parts = []
        top = len(self._len_start) - 2
        for length in range(max(1, m - 2), min(m + 2, top) + 1):
            a, b = int(self._len_start[length]), int(self._len_start[length + 1])
            if a == b:
                continue
            allowed = (m + length) * (100 - cutoff) // 100
            ok = np.bitwise_count(self._by_len_masks[a:b] ^ qmask) <= allowed
            parts.append(np.flatnonzero(ok) + a)
        if not parts:
            return []
        picked = np.concatenate(parts)
        return self._by_len_words[picked].tolist() if len(picked) else []

    # -- scoring ----------------------------------------------------------------------------

    def _coverage(self, words: Sequence[str], prefix_last: bool) -> tuple[np.ndarray, set[str]]:
        """Per-brief weighted share of query words found (0..1), and every vocabulary word hit."""
        total = np.zeros(self._n, dtype=np.float32)
        weight_sum = 0.0
        hit_words: set[str] = set()
        word_id, idf = self._word_id, self._idf
        for pos, word in enumerate(words):
            expansions = self._expand(word, allow_prefix=prefix_last and pos == len(words) - 1)
            own = word_id.get(word)
            weight = idf[own] if own is not None else (
                max((idf[word_id[w]] for w, _ in expansions), default=self._unknown_idf)
            )
            weight_sum += weight
            ids_parts, values, counts = [], [], []
            for other, sim in expansions:
                hit_words.add(other)
                w = word_id[other]
                for field, fw in _FIELD_ITEMS:
                    indptr = self._indptr[field]
                    a, b = int(indptr[w]), int(indptr[w + 1])
                    if a != b:
                        ids_parts.append(self._indices[field][a:b])
                        values.append(sim * fw)
                        counts.append(b - a)
            best = np.zeros(self._n, dtype=np.float32)
            if ids_parts:
                # max() is exact and order-free: the same as applying each posting list in turn.
                np.maximum.at(best, np.concatenate(ids_parts),
                              np.repeat(np.asarray(values, dtype=np.float32), counts))
            total += weight * best
        if weight_sum:
            total /= weight_sum
        return total, hit_words

    def _rerank(self, candidates: Iterable[int], coverage: np.ndarray, qnorm: str,
                hit: set[str]) -> list[tuple[float, str, int]]:
        """Final scores ``(score, name, brief)``: exact/prefix tiers, else coverage plus name precision."""
        starts, norms, displays = self._name_start, self._name_norm, self._name_display
        cand = list(candidates)
        whole: list[float] = []
        if len(qnorm) >= 6:
            flat = [norms[k] for i in cand for k in range(starts[i], starts[i + 1])]
            if flat:
                whole = process.cdist([qnorm], flat, scorer=fuzz.ratio, processor=None, score_cutoff=85,
                                      dtype=np.float64)[0].tolist()
        prefix_ok = len(qnorm) >= 3
        precision = self._precision(cand, hit)
        out = []
        pos = 0
        for i in cand:
            start, end = starts[i], starts[i + 1]
            base, pos = pos - start, pos + end - start
            cov = float(coverage[i])
            best_score = 0.0
            best_name = displays[start] if end > start else self.briefs[i].title
            for k in range(start, end):
                norm = norms[k]
                if norm == qnorm:
                    best_score, best_name = 100.0, displays[k]
                    break
                if prefix_ok and norm.startswith(qnorm):
                    score = 92.0 + 6.0 * len(qnorm) / len(norm)
                else:
                    score = 86.0 * cov + 4.0 * precision[base + k]
                    if whole and whole[base + k]:
                        score = max(score, 0.9 * whole[base + k])
                if score > best_score:
                    best_score, best_name = score, displays[k]
            out.append((best_score, best_name, i))
        return out

    def _precision(self, cand: list[int], hit: set[str]) -> list[float]:
        """For every name of the candidates (flat, in order): the share of its words that were hit."""
        starts = self._name_start
        flat = np.asarray([k for i in cand for k in range(starts[i], starts[i + 1])], dtype=np.int64)
        if not len(flat):
            return []
        hit_mask = np.zeros(len(self._vocab), dtype=np.int64)
        hit_mask[[self._word_id[w] for w in hit]] = 1
        first, last = self._nw_start[flat], self._nw_start[flat + 1]
        lengths = last - first
        offsets = np.cumsum(lengths) - lengths
        positions = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(offsets - first, lengths)
        found = np.add.reduceat(hit_mask[self._nw_ids[positions]], offsets)
        result: list[float] = (found / lengths).tolist()
        return result

    def _exact_owners(self, qnorm: str) -> list[int]:
        """Briefs with a name equal to ``qnorm``, in catalog order."""
        k = bisect.bisect_left(self._sorted_norms, qnorm)
        owners = []
        while k < len(self._sorted_norms) and self._sorted_norms[k] == qnorm:
            owners.append(self._sorted_owner[k])
            k += 1
        return owners

    def _prefix_owners(self, qnorm: str) -> list[int]:
        """Briefs owning the 32 shortest names that start with ``qnorm`` (the best prefix matches)."""
        lo = bisect.bisect_left(self._sorted_norms, qnorm)
        last = ord(qnorm[-1])
        if last >= 0x10FFFF:
            hi = len(self._sorted_norms)
            while hi > lo and not self._sorted_norms[hi - 1].startswith(qnorm):
                hi -= 1
        else:
            hi = bisect.bisect_left(self._sorted_norms, qnorm[:-1] + chr(last + 1), lo)
        if hi - lo <= _PREFIX_NAMES:
            return self._sorted_owner[lo:hi]
        # The prefix tier scores shorter names higher and breaks ties by brief id: take the names
        # that sort first by (length, id), as the exhaustive ranking would.
        keys = self._sorted_key[lo:hi]
        take = min(2 * _PREFIX_NAMES, hi - lo)
        first = np.argpartition(keys, take - 1)[:take] if take < hi - lo else np.arange(hi - lo)
        first = first[np.argsort(keys[first], kind="stable")] + lo
        return list(dict.fromkeys(self._sorted_owner[k] for k in first.tolist()))[:_PREFIX_NAMES]

    def search(self, query: str, limit: int = 5, *, prefix_last: bool = False) -> SearchResult:
        """Best matches for a query, best first; empty with suggestions when nothing is close."""
        qnorm = normalise(query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS].strip()
        if not qnorm or not self._n:
            return SearchResult(query, (), ())
        words = list(dict.fromkeys(tokens(qnorm)))[:MAX_QUERY_WORDS]
        coverage, hit = self._coverage(words, prefix_last)
        k = min(_CANDIDATES, self._n)
        nonzero = np.flatnonzero(coverage)
        if len(nonzero) <= k:
            candidates = set(nonzero.tolist())
        else:
            top = np.argpartition(-coverage[nonzero], k - 1)[:k]
            candidates = set(nonzero[top].tolist())
        candidates.update(self._exact_owners(qnorm))
        if len(qnorm) >= 3:
            candidates.update(self._prefix_owners(qnorm))
        scored = sorted(self._rerank(candidates, coverage, qnorm, hit),
                        key=lambda t: (-t[0], self.briefs[t[2]].id))
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
            if self._titles is None:
                self._titles = [(b.title[:100], b.id) for b in sorted(self.briefs, key=lambda b: b.title)]
            return self._titles[:limit]
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
        first = self._first_id.get(value)
        if first is not None:
            return self.briefs[first]
        exact = self._exact_owners(normalise(value))
        if exact:
            return self.briefs[min(exact)]
        best = self.search(value, limit=1).best
        return best.brief if best is not None and best.score >= STRONG_SCORE else None
