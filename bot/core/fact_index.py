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
_SEP = " qqxfactsepqq "


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


def _fact_texts(brief: Brief) -> list[str]:
    """The normalised texts then quotes of a brief's facts: one normalise() call per brief."""
    joined = normalise(_SEP.join([*(f.text for f in brief.facts), *(f.quote for f in brief.facts)]))
    parts = f" {joined} ".split(_SEP)
    if len(parts) != 2 * len(brief.facts):  # a fact that folds to nothing: do them one by one
        parts = [normalise(t) for t in [*(f.text for f in brief.facts), *(f.quote for f in brief.facts)]]
    return parts


class FactIndex:
    """Stemmed posting lists and per-fact features for every fact of a catalog.

    Facts are numbered in brief order (the search index's), then in each brief's order.
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
        texts: list[list[str]] = []
        quotes: list[list[str]] = []
        for brief in self.briefs:
            parts = _fact_texts(brief)
            half = len(brief.facts)
            texts += [p.split() for p in parts[:half]]
            quotes += [p.split() for p in parts[half:]]
        names = [" ".join(words.normalised_names(k)).split() for k in range(nb)]
        vocab: set[str] = set()
        for rows in (texts, quotes, names):
            for k in range(0, len(rows), _BATCH):
                vocab.update(chain.from_iterable(rows[k : k + _BATCH]))
        ordered = sorted(vocab)
        del vocab
        stems = stem_words(ordered)
        self.stem_id: dict[str, int] = {}
        for stem in stems:
            self.stem_id.setdefault(stem, len(self.stem_id))
        self.word_stem: dict[str, int] = {w: self.stem_id[s] for w, s in zip(ordered, stems, strict=True)}
        get = self.word_stem.__getitem__
        fact_words = [list(dict.fromkeys(map(get, t + q))) for t, q in zip(texts, quotes, strict=True)]
        both_words = [list(set(map(get, t)).intersection(map(get, q))) for t, q in zip(texts, quotes, strict=True)]
        name_words = [list(dict.fromkeys(map(get, ws))) for ws in names]
        del texts, quotes, names
        s = len(self.stem_id)
        self.fact_indptr, self.fact_indices = _csr(fact_words, s)
        self.name_indptr, self.name_indices = _csr(name_words, s)
        self.both_indptr, self.both_indices = _csr(both_words, s)
        del both_words, name_words
        self.fact_len = np.fromiter(map(len, fact_words), dtype=np.float32, count=n)
        # Document frequency: facts with the stem in their own words, or in their brief's names.
        df = np.diff(self.fact_indptr).astype(np.float64)
        name_stem = np.repeat(np.arange(s, dtype=np.int64), np.diff(self.name_indptr))
        name_df = np.bincount(name_stem, weights=sizes[self.name_indices].astype(np.float64), minlength=s)
        df = np.maximum(np.maximum(df, name_df), 1.0)
        self.idf = np.log(1.0 + max(n, 1) / df).astype(np.float32)
        self.max_idf = float(math.log(1.0 + max(n, 1)))
        self.alias_words = self._alias_words(words)
        self._features(fact_words, words)

    def _features(self, fact_words: list[list[int]], words: SearchIndex) -> None:
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
        s = len(self.stem_id)
        flat = np.fromiter(chain.from_iterable(fact_words), dtype=np.int64, count=int(self.fact_len.sum()))
        lengths = self.fact_len.astype(np.int64)

        def any_of(stems: set[int]) -> np.ndarray:
            mark = np.zeros(s + 1, dtype=np.int64)
            mark[list(stems)] = 1
            counts = np.add.reduceat(mark[flat], np.cumsum(lengths) - lengths) if len(flat) else np.zeros(n)
            return np.asarray((counts > 0) & (lengths > 0))

        known = self.stem_id.get
        people = {k for w in self._person_words(words) if (k := known(w)) is not None}
        roles = {k for w in stem_words(sorted(ROLE_WORDS)) if (k := known(w)) is not None}
        ahead = {k for w in stem_words(sorted(_FUTURE)) if (k := known(w)) is not None}
        numbers = {k for w in stem_words(sorted(_NUMBER_WORDS)) if (k := known(w)) is not None}
        self.person = any_of(people | roles)
        status = np.fromiter((f.status != "occurred" for f in facts), dtype=bool, count=n)
        self.future = status | any_of(ahead)
        digits = np.fromiter((bool(_DIGITS.search(_YEARISH.sub(" ", f.text))) for f in facts), dtype=bool, count=n)
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
        alone = {name for k, b in enumerate(self.briefs) if b.kind != "person" for name in words.normalised_names(k)}
        found: set[str] = set()
        for k, brief in enumerate(self.briefs):
            if brief.kind == "person":
                for name in words.normalised_names(k):
                    found.update(w for w in name.split() if w not in alone and len(w) > 2)
        return stem_words(sorted(found - ROLE_WORDS))

    def _alias_words(self, words: SearchIndex) -> dict[str, tuple[int, ...]]:
        """Name words found in no fact ("lacin", "شہباز") → stems of their brief's first name.

        The brief's first alias is how its facts spell the name ("Lachin", "Shehbaz Sharif").
        """
        in_facts = np.diff(self.fact_indptr) > 0
        out: dict[str, set[int]] = {}
        for k in range(len(self.briefs)):
            brief, names = self.briefs[k], words.normalised_names(k)
            first = normalise(brief.aliases[0]) if brief.aliases else brief.title
            canonical = [s for w in first.split() if (s := self.word_stem.get(w)) is not None and in_facts[s]]
            if not canonical:
                continue
            for name in names:
                for word in name.split():
                    if not in_facts[self.word_stem[word]]:
                        out.setdefault(word, set()).update(canonical)
        return {w: tuple(sorted(s)) for w, s in out.items() if len(s) <= 4}

    def postings(self, stem: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Facts whose own words have the stem, facts with it in both text and quote, briefs named by it."""
        a, b = int(self.fact_indptr[stem]), int(self.fact_indptr[stem + 1])
        c, d = int(self.name_indptr[stem]), int(self.name_indptr[stem + 1])
        e, f = int(self.both_indptr[stem]), int(self.both_indptr[stem + 1])
        return self.fact_indices[a:b], self.both_indices[e:f], self.name_indices[c:d]


def _csr(rows: list[list[int]], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Posting lists from rows of ids: row numbers of column c are indices[indptr[c]:indptr[c + 1]]."""
    counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter((c for row in rows for c in row), dtype=np.int32, count=int(counts.sum()))
    order = np.argsort(flat, kind="stable")
    indices = np.repeat(np.arange(len(rows), dtype=np.int32), counts)[order]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(flat, minlength=width)))).astype(np.int64)
    return indptr, indices


_BUILT: dict[int, FactIndex] = {}  # id(search index) -> its fact index, dropped with it
_LOCK = threading.Lock()


def fact_index(words: SearchIndex) -> FactIndex:
    """The fact index for a library's search index, built on first use and kept while it lives.

    Built from the search index so that names are not normalised twice, and so that a reload
    (a new search index) gets a new one. A face may call this ahead, off its event loop, so that
    the first question does not wait (about a second at 10,000 briefs).
    """
    key = id(words)
    with _LOCK:
        found = _BUILT.get(key)
        if found is None:
            found = FactIndex(words)
            _BUILT[key] = found
            weakref.finalize(words, _BUILT.pop, key, None)
        return found
