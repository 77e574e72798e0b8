"""Scoring every fact against a question: word coverage, answer type and date overlap.

The score of a fact is, in order of weight:

1. **coverage**: the idf-weighted share of the question's words found in the fact (its text and
   quote: full weight) or in its brief's names (``NAME_WEIGHT``). A word is found through its
   Snowball stem, an alias of a brief, or, when it is in no fact at all, its spelling neighbours
   in the vocabulary (rapidfuzz, as search does). Words found nowhere count against the fact with
   the weight of the rarest word, so a question about something else scores low everywhere;
2. **answer type**: "when" favours dated facts, "how many" facts with numbers, "who" facts naming
   people or roles, "where" facts naming places, and a question about the future facts that
   announce, plan or invite;
3. **dates**: a date in the question favours facts whose interval overlaps it (fully inside:
   more) and pushes back dated facts outside it. An undated fact borrows the span of its brief's
   dated facts, more weakly;
4. small tie-breakers: the share of the fact's own words the question hits (short, specific facts
   first) and the brief search's score for the fact's brief.

Coverage alone decides whether there is an answer at all (``MIN_ANSWER``); the rest only orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fact_index import FactIndex, stem_words
from .question import Question, Want
from .search import SearchIndex

#: A fact answers only if its coverage reaches this. Calibrated with ``benchmarks/answers.py
#: --calibrate`` on ``tests/core/questions.yaml``; see BENCHMARKS.md.
MIN_ANSWER = 0.55
NAME_WEIGHT = 0.7
_TYPE_BONUS = 0.08
_CANDIDATES = 400


@dataclass(frozen=True)
class Ranking:
    """Facts (ids into the index) best first, with their scores and word coverage."""

    ids: list[int]
    scores: list[float]
    coverage: list[float]

    def __len__(self) -> int:
        return len(self.ids)


def term_stems(index: FactIndex, words: SearchIndex, word: str) -> dict[int, float]:
    """The stems a question word stands for, with a similarity in 0..1."""
    out: dict[int, float] = {}
    sid = index.stem_id.get(stem_words([word])[0])
    if sid is not None:
        out[sid] = 1.0
        if index.fact_indptr[sid + 1] > index.fact_indptr[sid]:
            return out
    for stem in index.alias_words.get(word, ()):
        out.setdefault(stem, 0.9)
    if out:
        return out
    for other, sim in words.expand(word):
        candidates = [s] if (s := index.word_stem.get(other)) is not None else []
        candidates += [s for s in index.alias_words.get(other, ())]
        for s in candidates:
            if sim > out.get(s, 0.0):
                out[s] = sim
    return out


def _coverage(index: FactIndex, words: SearchIndex, q: Question) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per fact: weighted share of question words found (0..1), how many own words were hit, and the
    weighted share found in both its text and its quote."""
    n = index.n
    total = np.zeros(n, dtype=np.float32)
    hits = np.zeros(n, dtype=np.float32)
    twice = np.zeros(n, dtype=np.float32)
    weight_sum = 0.0
    for word in q.words:
        stems = term_stems(index, words, word)
        weight = max((float(index.idf[s]) for s in stems), default=index.max_idf)
        weight_sum += weight
        if not stems:
            continue
        own = np.zeros(n, dtype=np.float32)
        both = np.zeros(n, dtype=np.float32)
        named = np.zeros(len(index.briefs), dtype=np.float32)
        for stem, sim in stems.items():
            facts, in_both, briefs = index.postings(stem)
            if len(facts):
                own[facts] = np.maximum(own[facts], sim)
            if len(in_both):
                both[in_both] = 1.0
            if len(briefs):
                named[briefs] = np.maximum(named[briefs], sim * NAME_WEIGHT)
        hits += own > 0
        twice += weight * both
        if named.any():
            own = np.maximum(own, named[index.fact_brief])
        total += weight * own
    if weight_sum:
        total /= weight_sum
        twice /= weight_sum
    return total, hits, twice


def _date_term(index: FactIndex, cand: np.ndarray, window: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Bonus or penalty for date overlap, and how strongly each fact is in the window (0..1)."""
    a, b = window
    start, end = index.start[cand], index.end[cand]
    dated = start >= 0
    overlap = dated & (start <= b) & (end >= a)
    inside = overlap & (start >= a) & (end <= b)
    hs, he = index.hull_start[cand], index.hull_end[cand]
    hull = ~dated & (hs >= 0)
    hull_overlap = hull & (hs <= b) & (he >= a)
    term = np.where(dated, np.where(overlap, 0.08 + 0.04 * inside, -0.3),
                    np.where(hull_overlap, 0.06, np.where(hull, -0.2, -0.05)))
    strength = np.where(overlap, 0.85 + 0.15 * inside, np.where(hull_overlap, 0.6, 0.0))
    return term.astype(np.float32), strength.astype(np.float32)


def rank_facts(index: FactIndex, words: SearchIndex, q: Question, prior: dict[str, float],
               limit: int = _CANDIDATES) -> Ranking:
    """Facts that may answer ``q``, best first. ``prior``: brief id → brief search score (0-100)."""
    if not index.n:
        return Ranking([], [], [])
    if q.words:
        cov, hits, twice = _coverage(index, words, q)
        top = float(cov.max())
        if top <= 0:
            return Ranking([], [], [])
        cand = np.flatnonzero(cov >= top * 0.5)
        cov, hits, twice = cov[cand], hits[cand], twice[cand]
    else:
        cand = np.arange(index.n)
        cov, hits = np.ones(index.n, dtype=np.float32), np.zeros(index.n, dtype=np.float32)
        twice = hits
    score = cov + 0.05 * np.minimum(hits / np.maximum(index.fact_len[cand], 1.0), 1.0) + 0.05 * twice
    if q.window is not None:
        window = (q.window[0].toordinal(), q.window[1].toordinal())
        term, strength = _date_term(index, cand, window)
        if not q.words:
            cov = strength  # a question that is only a date is answered by what happened then
            score = strength.copy()
        score += term
    bonus = {Want.WHEN: index.dated, Want.NUMBER: index.number, Want.WHO: index.person,
             Want.WHERE: index.place}.get(q.want)
    if bonus is not None:
        score += _TYPE_BONUS * bonus[cand]
        if q.want is Want.WHEN:
            score += 0.03 * index.day_precise[cand]
    if q.future:
        score += _TYPE_BONUS * index.future[cand]
    elif q.past and q.want is Want.WHEN:
        score -= _TYPE_BONUS * index.future[cand]
    if prior:
        pb = np.zeros(len(index.briefs), dtype=np.float32)
        for brief_id, value in prior.items():
            k = index.brief_number.get(brief_id)
            if k is not None:
                pb[k] = value / 100.0
        score += 0.06 * pb[index.fact_brief[cand]]
    keep = np.flatnonzero(cov > 0)
    if len(keep) > limit:
        keep = keep[np.argpartition(-score[keep], limit - 1)[:limit]]
    keep = keep[np.lexsort((cand[keep], -score[keep]))]
    return Ranking(cand[keep].tolist(), score[keep].tolist(), cov[keep].tolist())
