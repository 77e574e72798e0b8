"""Every fact as a unit of retrieval: stemmed words, its brief's names, its date and its kind.

Built from a catalog's briefs, apart from the brief search index and the load cache: the first
question builds it (:func:`fact_index`), and faces may build it ahead, off their event loop, with
the same call. It is kept per catalog, so a reload gets a new one and the old one goes with its
catalog.

Two fields per fact, both stemmed with the Snowball English stemmer (PyStemmer, a C library):

* the fact's own words: its text and its quote;
* its brief's names: title and aliases, shared by all facts of the brief (so "Laçın" or
  "شہباز شریف" reach the facts of the brief that lists them).

Posting lists are flat numpy arrays (stem → facts, stem → briefs), so scoring a question is a few
vector operations over all facts, not a Python loop.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from array import array
from collections.abc import Sequence
from itertools import chain

import numpy as np
import Stemmer

from .briefs import Brief, Fact
from .dates import Precision
from .search import SearchIndex
from .text import normalise

_STEMMER = Stemmer.Stemmer("english")
#: Irregular verb forms the stemmer leaves alone, so "met" finds "meet" and "held" finds "hold".
IRREGULAR = {
    "met": "meet", "held": "hold", "made": "make", "gave": "give", "given": "give", "sent": "send",
    "said": "say", "told": "tell", "took": "take", "taken": "take", "came": "come", "went": "go", "gone": "go",
    "saw": "see", "seen": "see", "brought": "bring", "bought": "buy", "won": "win", "led": "lead",
    "spoke": "speak", "spoken": "speak", "wrote": "write", "written": "write", "began": "begin",
    "begun": "begin", "stood": "stand", "thought": "think", "paid": "pay", "sought": "seek", "met.": "meet",
    "defense": "defence", "visitor": "visit", "visitors": "visit", "meetings": "meeting",
}
ROLE_WORDS = frozenset("president minister prime foreign deputy ambassador representative envoy director "
                       "secretary chairman chair governor spokesman spokesperson author minister head chief "
                       "leader leaders".split())
_FUTURE = frozenset("will invitation invite invited upcoming expected soon planned plan "
                    "scheduled reiterated".split())
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve fifteen twenty "
                          "hundred thousand million billion dozen".split())
_YEARISH = re.compile(r"\b(?:1[89]|2[01])\d\d\b|\b\d{1,2}(?=[–-]?\d{0,2} (?:January|February|March|April|May|June|"
                      r"July|August|September|October|November|December))")
_DIGITS = re.compile(r"\d")
_PLACE = re.compile(r"\b(?:in|at|near) (?:the (?:city|capital|town|region|province) of )?(?:the )?([A-Z][\w’'-]+)")
_NOT_PLACES = frozenset("January February March April May June July August September October November December "
                        "The This That His Her Its Their Our".split())
_BATCH = 2000
_SMALL_WORDS = frozenset("a an and at for in of on the to with".split())
_SEP_WORD = "qqxfactsepqq"
_SEP = f" {_SEP_WORD} "


def stem_words(words: Sequence[str]) -> list[str]:
    """Stems of normalised words (irregular forms first), the same for facts and questions."""
    return list(_STEMMER.stemWords([IRREGULAR.get(w, w) for w in words]))


def _interval(fact: Fact) -> tuple[int, int]:
    """The days a fact's date covers, as ordinals; (-1, -1) when undated.

    Uses only the fact's first and last day, so every precision (day, week, month, year, a
    range, a multi-day span) overlaps a question's dates correctly.
    """
    if fact.date is None:
        return -1, -1
    return fact.first_day().toordinal(), fact.last_day().toordinal()


def _fact_words(brief: Brief) -> list[list[str]]:
    """The normalised words of a brief's fact texts, then of its quotes: one normalise() and one
    split() per brief, cut at a separator word that normalising leaves alone."""
    items = [*(f.text for f in brief.facts), *(f.quote for f in brief.facts)]
    words = normalise(_SEP.join(items)).split()
    cuts = [-1]
    try:
        while len(cuts) < len(items):
            cuts.append(words.index(_SEP_WORD, cuts[-1] + 1))
    except ValueError:
        return [normalise(t).split() for t in items]  # a text that holds the separator itself
    cuts.append(len(words))
    return [words[cuts[k] + 1 : cuts[k + 1]] for k in range(len(items))]


class FactIndex:
    """Stemmed posting lists and per-fact features for every fact of a catalog.

    Facts are numbered in brief order (the search index's), then in each brief's order. Posting
    lists are built as sorted ``stem * rows + row`` keys with numpy, not per fact in Python: at
    10,000 briefs that is over a million (word, fact) pairs.
    """

    def __init__(self, words: SearchIndex) -> None:
        self.briefs = words.briefs
        nb = len(self.briefs)
        self.brief_number = {b.id: k for k, b in enumerate(self.briefs)}
        sizes = np.fromiter((len(b.facts) for b in self.briefs), dtype=np.int64, count=nb)
        self.brief_first = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        n = int(self.brief_first[-1])
        self.n = n
        self.fact_brief = np.repeat(np.arange(nb, dtype=np.int32), sizes)
        self.stem_id: dict[str, int] = {}
        self.word_stem: dict[str, int] = {}
        # Word ids of every fact's text and quote, and of every brief's names, in flat arrays: the
        # words themselves are dropped brief by brief (a million short strings would double the
        # memory a load needs at 10,000 briefs).
        text_ids, quote_ids, name_ids = array("i"), array("i"), array("i")
        text_counts, quote_counts, name_counts = array("q"), array("q"), array("q")
        for k, brief in enumerate(self.briefs):
            parts = _fact_words(brief)
            names = " ".join(words.normalised_names(k)).split()
            self._learn([*chain.from_iterable(parts), *names])
            get = self.word_stem.__getitem__
            half = len(brief.facts)
            for row in parts[:half]:
                text_ids.extend(map(get, row))
                text_counts.append(len(row))
            for row in parts[half:]:
                quote_ids.extend(map(get, row))
                quote_counts.append(len(row))
            name_ids.extend(map(get, names))
            name_counts.append(len(names))
        s = len(self.stem_id)
        text_keys, quote_keys = _keys(text_ids, text_counts, n), _keys(quote_ids, quote_counts, n)
        name_keys = _keys(name_ids, name_counts, nb)
        del text_ids, quote_ids, name_ids
        merged = np.concatenate((text_keys, quote_keys))
        del text_keys, quote_keys
        merged.sort()
        repeated = merged[1:] == merged[:-1]  # in the text and in the quote
        fact_keys = merged[np.concatenate(([True], ~repeated))] if len(merged) else merged
        self.fact_indptr, self.fact_indices = _csr(fact_keys, n, s)
        self.both_indptr, self.both_indices = _csr(merged[1:][repeated], n, s)
        del merged, repeated
        self.name_indptr, self.name_indices = _csr(name_keys, nb, s)
        del name_keys
        self.fact_len = np.bincount(self.fact_indices, minlength=n).astype(np.float32)
        # Document frequency: facts with the stem in their own words, or in their brief's names.
        df = np.diff(self.fact_indptr).astype(np.float64)
        name_stem = np.repeat(np.arange(s, dtype=np.int64), np.diff(self.name_indptr))
        name_df = np.bincount(name_stem, weights=sizes[self.name_indices].astype(np.float64), minlength=s)
        df = np.maximum(np.maximum(df, name_df), 1.0)
        self.idf = np.log(1.0 + max(n, 1) / df).astype(np.float32)
        self.max_idf = float(math.log(1.0 + max(n, 1)))
        self.alias_words = self._alias_words(words)
        del fact_keys
        self._features(words)

    def _learn(self, words: list[str]) -> None:
        """Give new words their stem's id (stemming them all in one call)."""
        new = [w for w in dict.fromkeys(words) if w not in self.word_stem]
        if new:
            for word, stem in zip(new, stem_words(new), strict=True):
                self.word_stem[word] = self.stem_id.setdefault(stem, len(self.stem_id))

    def _features(self, words: SearchIndex) -> None:
        """Per fact: its date interval, and whether it has numbers, people, places, or looks ahead."""
        n, nb = self.n, len(self.briefs)
        facts = [f for b in self.briefs for f in b.facts]
        ivals = [_interval(f) for f in facts]
        self.start = np.fromiter((a for a, _ in ivals), dtype=np.int32, count=n)
        self.end = np.fromiter((b for _, b in ivals), dtype=np.int32, count=n)
        self.dated = self.start >= 0
        self.day_precise = np.fromiter((f.when_known is Precision.DAY for f in facts), dtype=bool, count=n)
        # An undated fact borrows the span of its brief's dated facts.
        hs = np.full(nb, np.iinfo(np.int32).max, dtype=np.int64)
        he = np.full(nb, -1, dtype=np.int64)
        np.minimum.at(hs, self.fact_brief[self.dated], self.start[self.dated])
        np.maximum.at(he, self.fact_brief[self.dated], self.end[self.dated])
        hs[he < 0] = -1
        self.hull_start, self.hull_end = hs.astype(np.int32)[self.fact_brief], he.astype(np.int32)[self.fact_brief]

        def any_of(stems: set[int]) -> np.ndarray:
            found = np.zeros(n, dtype=bool)
            for stem in stems:
                found[self.fact_indices[self.fact_indptr[stem] : self.fact_indptr[stem + 1]]] = True
            return found

        known = self.stem_id.get
        people = {k for w in self._person_words(words) if (k := known(w)) is not None}
        roles = {k for w in stem_words(sorted(ROLE_WORDS)) if (k := known(w)) is not None}
        ahead = {k for w in stem_words(sorted(_FUTURE)) if (k := known(w)) is not None}
        numbers = {k for w in stem_words(sorted(_NUMBER_WORDS)) if (k := known(w)) is not None}
        self.person = any_of(people | roles)
        status = np.fromiter((f.status != "occurred" for f in facts), dtype=bool, count=n)
        self.future = status | any_of(ahead)
        digits = np.fromiter((_DIGITS.search(f.text) is not None and _DIGITS.search(_YEARISH.sub(" ", f.text)) is not None
                              for f in facts), dtype=bool, count=n)
        self.number = digits | any_of(numbers)
        self.place = np.fromiter((any(m.group(1) not in _NOT_PLACES for m in _PLACE.finditer(f.text))
                                  for f in facts), dtype=bool, count=n)

    def ref(self, k: int) -> tuple[Brief, Fact, int]:
        """Fact ``k``: its brief, the fact, and its position in the brief."""
        b = int(self.fact_brief[k])
        brief = self.briefs[b]
        pos = k - int(self.brief_first[b])
        return brief, brief.facts[pos], pos

    def _person_words(self, words: SearchIndex) -> list[str]:
        """Stems of people's names: words of person briefs' names that no other brief uses alone."""
        people = [k for k, b in enumerate(self.briefs) if b.kind == "person"]
        if not people:
            return []
        flat, _ = words.name_table()
        alone = {name for name in flat if " " not in name}
        alone.difference_update(n for k in people for n in words.normalised_names(k))
        found: set[str] = set()
        for k in people:
            for name in words.normalised_names(k):
                found.update(w for w in name.split() if w not in alone and len(w) > 2)
        return stem_words(sorted(found - ROLE_WORDS))

    def _alias_words(self, words: SearchIndex) -> dict[str, tuple[int, ...]]:
        """Name words found in no fact ("lacin", "شہباز", "un") → stems the facts use for them.

        An acronym among a brief's names ("UN", "DPM", "PRCCSF") stands for the name it abbreviates
        ("United Nations"); any other word stands for the brief's first alias, which is how its
        facts spell the name ("Lachin", "Shehbaz Sharif"). Only words of at most four briefs count:
        more would be a common word, not a name.
        """
        in_facts = np.diff(self.fact_indptr) > 0
        named = np.diff(self.name_indptr)
        canonical: dict[int, list[int]] = {}
        out: dict[str, tuple[int, ...]] = {}
        for word, stem in self.word_stem.items():
            if in_facts[stem] or not 0 < named[stem] <= 4:
                continue
            found: set[int] = set()
            a = int(self.name_indptr[stem])
            for k in self.name_indices[a : a + int(named[stem])].tolist():
                spelled = _acronyms(words.normalised_names(k)).get(word)
                if spelled:
                    found.update(c for w in spelled if w not in _SMALL_WORDS
                                 and (c := self.word_stem.get(w)) is not None and in_facts[c])
                    continue
                if k not in canonical:
                    brief = self.briefs[k]
                    first = normalise(brief.aliases[0]) if brief.aliases else ""
                    canonical[k] = [c for w in first.split()
                                    if (c := self.word_stem.get(w)) is not None and in_facts[c]]
                found.update(canonical[k])
            if 0 < len(found) <= 4:
                out[word] = tuple(sorted(found))
        return out

    def postings(self, stem: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Facts whose own words have the stem, facts with it in both text and quote, briefs named by it."""
        a, b = int(self.fact_indptr[stem]), int(self.fact_indptr[stem + 1])
        c, d = int(self.name_indptr[stem]), int(self.name_indptr[stem + 1])
        e, f = int(self.both_indptr[stem]), int(self.both_indptr[stem + 1])
        return self.fact_indices[a:b], self.both_indices[e:f], self.name_indices[c:d]


def _acronyms(names: list[str]) -> dict[str, list[str]]:
    """Initials of a brief's longer names → the name's words: "un" → united nations; "prccsf" →
    pakistan research center for a community with shared future (small words may be skipped)."""
    out: dict[str, list[str]] = {}
    for name in names:
        ws = name.split()
        if len(ws) >= 2:
            out.setdefault("".join(w[0] for w in ws), ws)
            out.setdefault("".join(w[0] for w in ws if w not in _SMALL_WORDS), ws)
    return out


def _keys(ids: array[int], counts: array[int], width: int) -> np.ndarray:  # ids: "i", counts: "q"
    """The distinct ``stem * width + row`` of rows of stem ids (row r has counts[r] ids), sorted."""
    keys = np.frombuffer(ids, dtype=np.int32).astype(np.int64) if len(ids) else np.zeros(0, dtype=np.int64)
    keys *= max(width, 1)
    keys += np.repeat(np.arange(len(counts), dtype=np.int32), np.frombuffer(counts, dtype=np.int64))
    keys.sort()  # a plain sort and compare: np.unique's hashing is several times slower here
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys


def _csr(keys: np.ndarray, width: int, stems: int) -> tuple[np.ndarray, np.ndarray]:
    """Posting lists from sorted ``stem * width + row`` keys: rows of stem c are indices[indptr[c]:indptr[c + 1]]."""
    width = max(width, 1)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(keys // width, minlength=stems)))).astype(np.int64)
    return indptr, (keys % width).astype(np.int32)


_BUILT: dict[int, FactIndex] = {}  # id(search index) -> its fact index, dropped with it
_BUILDING: dict[int, threading.Lock] = {}  # id(search index) -> held while its fact index is built
_LOCK = threading.Lock()  # guards the two dicts only, never a build


def fact_index(words: SearchIndex) -> FactIndex:
    """The fact index for a library's search index, built on first use and kept while it lives.

    Built from the search index so that names are not normalised twice, and so that a reload
    (a new search index) gets a new one. A face may call this ahead, off its event loop, so that
    the first question does not wait (about a second at 10,000 briefs); a caller that comes while
    another thread builds the same index waits for that build (:func:`fact_index_ready` says whether
    it would wait). Builds of different indexes do not wait for each other.
    """
    key = id(words)
    with _LOCK:
        found = _BUILT.get(key)
        if found is not None:
            return found
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:
        with _LOCK:
            found = _BUILT.get(key)
        if found is None:
            found = FactIndex(words)
            with _LOCK:
                _BUILT[key] = found
                _BUILDING.pop(key, None)
            weakref.finalize(words, _BUILT.pop, key, None)
        return found


def fact_index_ready(words: SearchIndex) -> bool:
    """Whether :func:`fact_index` would return at once (the index is built), without building it."""
    with _LOCK:
        return id(words) in _BUILT
