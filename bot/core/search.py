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
import math
from collections.abc import Iterable, Sequence
from itertools import accumulate, chain
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from .briefs import Brief
from .search_arrays import in_sorted as _in_sorted
from .search_arrays import letter_mask as _letter_mask
from .search_arrays import letter_masks as _letter_masks
from .search_arrays import string_order as _string_order
from .search_results import MIN_SCORE as MIN_SCORE
from .search_results import STRONG_SCORE as STRONG_SCORE
from .search_results import Match as Match
from .search_results import SearchResult as SearchResult
from .terms import BriefTerms, brief_terms
from .text import normalise, tokens

FIELD_WEIGHTS = {"name": 1.0, "tag": 0.9, "body": 0.8}
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
_CANDIDATES = 48
_EXPANSIONS = 24
_PREFIX_NAMES = 32
_BATCH = 200  # briefs per step when building: each C-level step holds the GIL for about a millisecond
_FIELD_ITEMS = tuple(FIELD_WEIGHTS.items())


class SearchIndex:
    """The search structures for one catalog. Immutable once built; safe to share.

    ``terms`` (one :class:`BriefTerms` per brief, in order) may be passed when already known, e.g.
    from the load cache; otherwise they are computed here.
    """

    def __init__(self, briefs: Iterable[Brief], terms: Sequence[BriefTerms] | None = None) -> None:
        self.briefs: tuple[Brief, ...] = tuple(briefs)
        n = len(self.briefs)
        if terms is None:
            terms = [brief_terms(b) for b in self.briefs]
        if len(terms) != n:
            raise ValueError("one BriefTerms per brief is needed")
        self._n = n
        # Names, flat: brief i owns names _name_start[i]:_name_start[i + 1].
        self._name_norm: list[str] = [norm for t in terms for norm, _ in t.names]
        self._name_display: list[str] = [display for t in terms for _, display in t.names]
        self._name_start: list[int] = [0, *accumulate(len(t.names) for t in terms)]
        field_words = {
            "name": [t.name_words for t in terms],
            "tag": [t.tag_words for t in terms],
            "body": [t.body_words for t in terms],
        }
        vocab_set: set[str] = set()
        for lists in field_words.values():
            for k in range(0, n, _BATCH):  # in batches: no single step holds the GIL for long
                vocab_set.update(chain.from_iterable(lists[k : k + _BATCH]))
        unordered = list(vocab_set)
        self._vocab: list[str] = [unordered[k] for k in _string_order(unordered)]
        del unordered
        del vocab_set
        v = len(self._vocab)
        word_id = dict(zip(self._vocab, range(v), strict=True))
        self._word_id = word_id
        # The distinct words of each name, as word ids (for the re-rank's "how much of the name").
        name_words = [tuple(dict.fromkeys(norm.split())) for norm in self._name_norm]
        self._nw_start = np.concatenate(([0], np.cumsum(np.fromiter(map(len, name_words), dtype=np.int64,
                                                                   count=len(name_words))))).astype(np.int64)
        self._nw_ids = np.concatenate([np.zeros(0, dtype=np.int32), *(
            np.fromiter(map(word_id.__getitem__, chain.from_iterable(name_words[k : k + 20 * _BATCH])), dtype=np.int32)
            for k in range(0, len(name_words), 20 * _BATCH))])
        del name_words
        # Posting lists per field as CSR: briefs of word w are indices[indptr[w]:indptr[w + 1]], ascending.
        # 32-bit ids and prompt deletes: at 10,000 briefs the body field alone is over a million
        # (word, brief) pairs, and this step sets the peak memory of a whole load.
        self._indptr: dict[str, np.ndarray] = {}
        self._indices: dict[str, np.ndarray] = {}
        pair_keys: dict[str, np.ndarray] = {}  # per field, word * n + brief, ascending (document frequency)
        for field, lists in field_words.items():
            counts = np.fromiter((len(ws) for ws in lists), dtype=np.int64, count=n)
            total = int(counts.sum())
            wids = np.concatenate([np.zeros(0, dtype=np.int32), *(
                np.fromiter(map(word_id.__getitem__, chain.from_iterable(lists[k : k + _BATCH])), dtype=np.int32)
                for k in range(0, n, _BATCH))])
            assert len(wids) == total
            order = np.argsort(wids, kind="stable")  # brief numbers stay ascending within a word
            indices = np.repeat(np.arange(n, dtype=np.int32), counts)[order]
            self._indices[field] = indices
            self._indptr[field] = np.concatenate(([0], np.cumsum(np.bincount(wids, minlength=v)))).astype(np.int64)
            keys = wids[order].astype(np.int64)
            del wids, order
            keys *= max(n, 1)
            keys += indices
            pair_keys[field] = keys
            del keys, indices
        # Document frequency: in how many briefs a word appears, in any field. Each field's pairs are
        # distinct and sorted, so the union is every body pair, the name pairs not among them, and
        # the tag pairs in neither: binary searches for the few name and tag pairs, no big sort.
        body, name, tag = pair_keys["body"], pair_keys["name"], pair_keys["tag"]
        new_names = name[~_in_sorted(name, body)]
        new_tags = tag[~(_in_sorted(tag, body) | _in_sorted(tag, name))]
        width = max(n, 1)
        df = (np.bincount(body // width, minlength=v) + np.bincount(new_names // width, minlength=v)
              + np.bincount(new_tags // width, minlength=v)).tolist()
        del pair_keys, body, name, tag, new_names, new_tags
        self._idf: list[float] = [math.log(1.0 + n / d) for d in df]
        self._unknown_idf = float(np.median(self._idf)) if self._idf else 1.0
        # Vocabulary by length (then alphabetically), for the fuzzy pools; with letter masks.
        lengths = np.fromiter(map(len, self._vocab), dtype=np.int64, count=v)
        by_len = np.argsort(lengths, kind="stable")
        self._by_len_ids = by_len.astype(np.int32)
        max_len = int(lengths.max()) if v else 0
        self._len_start = np.searchsorted(lengths[by_len], np.arange(max_len + 2)).astype(np.int64)
        self._by_len_masks = _letter_masks([self._vocab[i] for i in by_len.tolist()])
        # All names sorted by (normalised, brief), for exact and prefix look-ups.
        owner = np.repeat(np.arange(n, dtype=np.int32), np.asarray([len(t.names) for t in terms], dtype=np.int64))
        order_list = _string_order(self._name_norm)
        self._sorted_order = np.asarray(order_list, dtype=np.int64)
        self._sorted_norms: list[str] = [self._name_norm[k] for k in order_list]
        self._sorted_owner: list[int] = owner[np.asarray(order_list, dtype=np.int64)].tolist() if order_list else []
        id_rank = np.empty(n, dtype=np.int64)
        id_rank[sorted(range(n), key=lambda i: self.briefs[i].id)] = np.arange(n, dtype=np.int64)
        lengths_sorted = np.fromiter(map(len, self._sorted_norms), dtype=np.int64, count=len(self._sorted_norms))
        self._sorted_key = lengths_sorted * max(n, 1) + id_rank[np.asarray(self._sorted_owner, dtype=np.int64)]
        self._finish()

    def _finish(self) -> None:
        """Derived structures and caches: rebuilt after unpickling, never stored."""
        self._by_len_words = np.asarray(self._vocab, dtype=object)[self._by_len_ids] if self._vocab \
            else np.zeros(0, dtype=object)
        self._first_id: dict[str, int] = {}
        for i, brief in enumerate(self.briefs):
            self._first_id.setdefault(brief.id, i)
        self._expansion_cache: dict[tuple[str, bool], tuple[tuple[str, float], ...]] = {}
        self._titles: list[tuple[str, str]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for key in ("_by_len_words", "_first_id", "_expansion_cache", "_titles", "_word_id", "_sorted_norms"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._word_id = dict(zip(self._vocab, range(len(self._vocab)), strict=True))
        self._sorted_norms = [self._name_norm[k] for k in self._sorted_order.tolist()]
        self._finish()

    def __len__(self) -> int:
        return self._n

    def terms(self) -> list[BriefTerms]:
        """The :class:`BriefTerms` of every brief, read back from the index (no normalising).

        Building an index from these gives the same index: the load cache uses this to rebuild
        after an edit without normalising the unchanged briefs again.
        """
        per_field: dict[str, list[tuple[str, ...]]] = {}
        vocab = self._vocab
        for field in ("tag", "body"):
            indptr, indices = self._indptr[field], self._indices[field]
            words = np.repeat(np.arange(len(vocab), dtype=np.int64), np.diff(indptr))
            order = np.argsort(indices, kind="stable")
            starts = np.searchsorted(indices[order], np.arange(self._n + 1)).tolist()
            ordered_words = words[order]
            rows: list[tuple[str, ...]] = []
            for k in range(0, self._n, _BATCH):  # in batches: no single step holds the GIL for long
                top = min(k + _BATCH, self._n)
                ids = ordered_words[starts[k] : starts[top]].tolist()
                base = starts[k]
                rows += [tuple([vocab[w] for w in ids[starts[i] - base : starts[i + 1] - base]])
                         for i in range(k, top)]
            per_field[field] = rows
        first, norms, displays = self._name_start, self._name_norm, self._name_display
        return [
            BriefTerms(tuple(zip(norms[first[i] : first[i + 1]], displays[first[i] : first[i + 1]], strict=True)),
                       per_field["tag"][i], per_field["body"][i])
            for i in range(self._n)
        ]

    # -- word expansion -------------------------------------------------------------------

    def name_table(self) -> tuple[list[str], list[int]]:
        """Every brief's normalised names, flat, and where each brief's start (one more than briefs)."""
        return self._name_norm, self._name_start

    def normalised_names(self, i: int) -> list[str]:
        """The names of brief ``i`` (in :attr:`briefs` order), normalised as the index holds them."""
        return self._name_norm[self._name_start[i] : self._name_start[i + 1]]

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
        qmask = np.uint64(_letter_mask(word))
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
