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
3. **dates**: a date in the question counts as one more word of average weight, found in facts
   whose interval overlaps it (fully inside: more), and dated facts outside it are left out. An
   undated fact borrows the span of its brief's dated facts, more weakly;
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
#: --calibrate`` on ``tests/core/questions.yaml`` (November 2026): every right first answer covers
#: ≥ 0.550 of its question, every unrelated question ≤ 0.425; one unknown word with a date that has
#: facts reaches 0.5 by construction ("when is Eid this year"). 0.53 sits between 0.5 and 0.550.
MIN_ANSWER = 0.53
NAME_WEIGHT = 0.7
#: A misspelt word counts only for vocabulary words at least this similar (0.95 x rapidfuzz ratio
#: 82): typos such as "vist", "sigend", "leter" pass, chance neighbours such as "france" ~ "face" do not.
MIN_SPELLING = 0.78
_TYPE_BONUS = 0.08
_CANDIDATES = 400
_OUTSIDE = -0.5  # date terms below this are facts dated (or in briefs dated) outside the question's dates


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
        if sim < MIN_SPELLING:
            continue
        candidates = [s] if (s := index.word_stem.get(other)) is not None else []
        candidates += [s for s in index.alias_words.get(other, ())]
        for s in candidates:
            if sim > out.get(s, 0.0):
                out[s] = sim
    return out


def _max_by_row(parts: list[np.ndarray], values: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of several posting lists, each with the largest value of the lists holding it."""
    if len(parts) == 1:
        return parts[0], np.full(len(parts[0]), values[0], dtype=np.float32)
    rows = np.concatenate(parts)
    vals = np.repeat(np.asarray(values, dtype=np.float32), [len(p) for p in parts])
    order = np.lexsort((-vals, rows))
    rows, vals = rows[order], vals[order]
    first = np.concatenate(([True], rows[1:] != rows[:-1]))
    return rows[first], vals[first]


def _coverage(index: FactIndex, words: SearchIndex,
              q: Question) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Per fact: weighted share of question words found (0..1), how many own words were hit, and the
    weighted share found in both its text and its quote; then the sum of the words' weights.

    Work per word is in proportion to its posting lists, not to the catalog: a word found in a
    brief's names counts per brief, and is spread to the brief's facts once at the end. A fact
    whose own words and brief's names both hold a word gets max(own, named) = own + named −
    min(own, named), the min taken off on the fact's side.
    """
    n = index.n
    total = np.zeros(n, dtype=np.float32)
    hits = np.zeros(n, dtype=np.float32)
    twice = np.zeros(n, dtype=np.float32)
    by_brief = np.zeros(len(index.briefs), dtype=np.float32)
    weight_sum = 0.0
    for word in q.words:
        stems = term_stems(index, words, word)
        weight = max((float(index.idf[s]) for s in stems), default=index.max_idf)
        weight_sum += weight
        fact_parts: list[np.ndarray] = []
        fact_sims: list[float] = []
        both_parts: list[np.ndarray] = []
        brief_parts: list[np.ndarray] = []
        brief_sims: list[float] = []
        for stem, sim in stems.items():
            facts, in_both, briefs = index.postings(stem)
            if len(facts):
                fact_parts.append(facts)
                fact_sims.append(sim)
            if len(in_both):
                both_parts.append(in_both)
            if len(briefs):
                brief_parts.append(briefs)
                brief_sims.append(sim * NAME_WEIGHT)
        if fact_parts:
            rows, own = _max_by_row(fact_parts, fact_sims)
            if brief_parts:
                named = np.zeros(len(index.briefs), dtype=np.float32)
                for part, value in zip(brief_parts, brief_sims, strict=True):
                    named[part] = np.maximum(named[part], value)
                own = own - np.minimum(own, named[index.fact_brief[rows]])
            total[rows] += weight * own
            hits[rows] += 1.0
        if brief_parts:
            b_rows, b_vals = _max_by_row(brief_parts, brief_sims)
            by_brief[b_rows] += weight * b_vals
        if both_parts:
            twice[np.unique(np.concatenate(both_parts)) if len(both_parts) > 1 else both_parts[0]] += weight
    if by_brief.any():
        total += by_brief[index.fact_brief]
    if weight_sum:
        total /= weight_sum
        twice /= weight_sum
    return total, hits, twice, weight_sum


def _date_term(index: FactIndex, window: tuple[int, int], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the given facts: bonus or penalty for date overlap, and how strongly each is in the window (0..1)."""
    a, b = window
    start, end = index.start[rows], index.end[rows]
    dated = start >= 0
    overlap = dated & (start <= b) & (end >= a)
    inside = overlap & (start >= a) & (end <= b)
    hs, he = index.hull_start[rows], index.hull_end[rows]
    hull = ~dated & (hs >= 0)
    hull_overlap = hull & (hs <= b) & (he >= a)
    hull_inside = hull_overlap & (hs >= a) & (he <= b)
    term = np.where(dated, np.where(overlap, 0.0, -1.0), np.where(hull_overlap, 0.0, np.where(hull, -1.0, -0.05)))
    strength = np.where(overlap, 0.85 + 0.15 * inside, np.where(hull_overlap, 0.5 + 0.3 * hull_inside, 0.0))
    return term.astype(np.float32), strength.astype(np.float32)


def rank_facts(index: FactIndex, words: SearchIndex, q: Question, prior: dict[str, float],
               limit: int = _CANDIDATES) -> Ranking:
    """Facts that may answer ``q``, best first. ``prior``: brief id → brief search score (0-100)."""
    if not index.n:
        return Ranking([], [], [])
    window = (q.window[0].toordinal(), q.window[1].toordinal()) if q.window is not None else None
    if q.words:
        cov, hits, twice, weight_sum = _coverage(index, words, q)
        rows = np.flatnonzero(cov > 0)
        cov, hits, twice = cov[rows], hits[rows], twice[rows]
        term = np.zeros(len(rows), dtype=np.float32)
        if window is not None:  # the date is part of the question, as much as an average word
            term, strength = _date_term(index, window, rows)
            weight = weight_sum / len(q.words)
            cov = (cov * weight_sum + weight * strength) / (weight_sum + weight)
    elif window is not None:  # a question that is only a date is answered by what happened then
        rows = np.arange(index.n)
        term, cov = _date_term(index, window, rows)
        hits = twice = np.zeros(index.n, dtype=np.float32)
    else:
        return Ranking([], [], [])
    if window is not None:  # a dated fact outside the question's dates does not answer it
        inside = np.flatnonzero(term > _OUTSIDE)
        rows, cov, hits, twice, term = rows[inside], cov[inside], hits[inside], twice[inside], term[inside]
    top = float(cov.max()) if len(cov) else 0.0
    if top <= 0:
        return Ranking([], [], [])
    near = np.flatnonzero(cov >= top * 0.5)
    cand = rows[near]
    cov, hits, twice, term = cov[near], hits[near], twice[near], term[near]
    score = cov + 0.05 * np.minimum(hits / np.maximum(index.fact_len[cand], 1.0), 1.0) + 0.05 * twice + term
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
