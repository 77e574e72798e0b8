"""The search index's arrays: built once per catalog from every brief's terms, and read back.

Apart from the queries (:mod:`bot.core.search`) because building is a load's work and querying
a command's: a load builds these in a worker thread at 10,000 briefs, so every step runs in
batches or in numpy, and no single step holds the GIL for more than a few milliseconds (the
reload-stall budget, 50 ms). What each array is for is said where :mod:`bot.core.search` uses it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import accumulate, chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np

from .briefs import Brief
from .search_arrays import in_sorted, letter_masks, string_order
from .terms import BriefTerms, brief_terms

FIELD_WEIGHTS = {"name": 1.0, "tag": 0.9, "body": 0.8}
_BATCH = 200  # briefs per step when building: each C-level step holds the GIL for about a millisecond


class IndexArrays:
    """Posting lists, vocabulary, names and their orders for one catalog. Immutable once built.

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
        flat_names = list(chain.from_iterable([t.names for t in terms]))  # (normalised, as written)
        self._name_norm: list[str] = list(map(itemgetter(0), flat_names))
        self._name_display: list[str] = list(map(itemgetter(1), flat_names))
        del flat_names
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
        self._vocab: list[str] = [unordered[k] for k in string_order(unordered)]
        del unordered
        del vocab_set
        v = len(self._vocab)
        word_id = dict(zip(self._vocab, range(v), strict=True))
        self._word_id = word_id
        # The distinct words of each name, as word ids (for the re-rank's "how much of the name"):
        # name k's are _nw_ids[_nw_start[k]:_nw_start[k + 1]], in word-id order. Every name's words
        # in one pass, then numpy drops repeats within a name (half the time of a dict per name).
        names = len(self._name_norm)
        per_name = np.fromiter(map(str.count, self._name_norm, repeat(" ")), dtype=np.int64, count=names) + 1
        wids = np.concatenate([np.zeros(0, dtype=np.int64), *(
            np.fromiter(map(word_id.__getitem__, " ".join(self._name_norm[k : k + 20 * _BATCH]).split()),
                        dtype=np.int64) for k in range(0, names, 20 * _BATCH))])
        keys = np.repeat(np.arange(names, dtype=np.int64), per_name) * max(v, 1) + wids
        keys.sort()  # by name, then word (np.unique would do the same, several times slower)
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
        self._nw_ids = (keys % max(v, 1)).astype(np.int32)
        self._nw_start = np.searchsorted(keys // max(v, 1), np.arange(names + 1)).astype(np.int64)
        del per_name, wids, keys
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
        new_names = name[~in_sorted(name, body)]
        new_tags = tag[~(in_sorted(tag, body) | in_sorted(tag, name))]
        width = max(n, 1)
        df = (np.bincount(body // width, minlength=v) + np.bincount(new_names // width, minlength=v)
              + np.bincount(new_tags // width, minlength=v)).tolist()
        del pair_keys, body, name, tag, new_names, new_tags
        self._idf: list[float] = [math.log(1.0 + n / d) for d in df]
        self._unknown_idf = float(np.median(np.fromiter(self._idf, dtype=np.float64, count=v))) if v else 1.0
        # Vocabulary by length (then alphabetically), for the fuzzy pools; with letter masks.
        lengths = np.fromiter(map(len, self._vocab), dtype=np.int64, count=v)
        by_len = np.argsort(lengths, kind="stable")
        self._by_len_ids = by_len.astype(np.int32)
        max_len = int(lengths.max()) if v else 0
        self._len_start = np.searchsorted(lengths[by_len], np.arange(max_len + 2)).astype(np.int64)
        self._by_len_masks = letter_masks([self._vocab[i] for i in by_len.tolist()])
        # All names sorted by (normalised, brief), for exact and prefix look-ups.
        owner = np.repeat(np.arange(n, dtype=np.int32), np.asarray([len(t.names) for t in terms], dtype=np.int64))
        order_list = string_order(self._name_norm)
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

    def name_table(self) -> tuple[list[str], list[int]]:
        """Every brief's normalised names, flat, and where each brief's start (one more than briefs)."""
        return self._name_norm, self._name_start

    def normalised_names(self, i: int) -> list[str]:
        """The names of brief ``i`` (in :attr:`briefs` order), normalised as the index holds them."""
        return self._name_norm[self._name_start[i] : self._name_start[i + 1]]
