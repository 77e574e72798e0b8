"""Questions answered by the single fact that answers them best: the one function every face calls.

:func:`ask` reads the question (:mod:`bot.core.question`), scores every fact
(:mod:`bot.core.fact_ranking`), and returns the best fact with its brief (its other facts ranked
by relevance to the question) and the brief search results for the same words. When no fact
answers well enough the answer is None and the closest briefs are offered instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .answers import BriefAnswer, FactLine, answer_json, brief_answer, fact_lines_text, source_ref
from .briefs import Brief, Fact
from .documents import Document
from .fact_index import fact_index
from .fact_ranking import MIN_ANSWER, rank_facts
from .library import Library
from .question import parse_question
from .search import Match
from .text import clean_user_text
from .when import describe_when, precision_of


@dataclass(frozen=True)
class Answer:
    """The single fact that answers best, with its brief and source document."""

    fact: Fact
    brief: Brief
    document: Document | None
    score: float  # 0-100

    def to_json(self) -> dict[str, Any]:
        f, doc = self.fact, self.document
        return {
            "text": f.text, "quote": f.quote, "source": f.source, "source_title": doc.title if doc else None,
            "date": f.date.iso() if f.date else None, "precision": precision_of(f),
            "end": f.end.iso() if f.end else None, "inferred_from": f.inferred_from or None,
            "status": f.status, "brief": self.brief.id, "score": self.score,
        }


@dataclass(frozen=True)
class AskResult:
    question: str
    answer: Answer | None  # None when nothing answers well enough
    brief: BriefAnswer | None  # the answer's brief, its facts ranked by relevance to the question
    results: tuple[tuple[BriefAnswer, float], ...]  # the brief search results, best first, with scores
    suggestions: tuple[str, ...]  # closest brief titles, offered when the answer is None or weak
    matches: tuple[Match, ...] = ()  # the same results as search matches, for faces that list briefs
    today: dt.date | None = None  # the asker's day, for date wording ("planned for ..." once past)


def ranked_brief(brief: Brief, order: list[int], documents: dict[str, Document], today: dt.date) -> BriefAnswer:
    """A brief with its facts in the given order (positions), sources numbered as first cited."""
    facts = [brief.facts[k] for k in order]
    refs: dict[str, int] = {}
    sources = []
    for f in facts:
        if f.source not in refs and f.source in documents:
            refs[f.source] = len(refs) + 1
            sources.append(source_ref(refs[f.source], documents[f.source]))
    lines = tuple(FactLine(f.text, refs.get(f.source, 0), f.source, f.quote, describe_when(f, today), f) for f in facts)
    return BriefAnswer(brief.id, brief.title, brief.kind, brief.summary, lines, tuple(sources))


def ask(library: Library, question: str, today: dt.date, limit: int = 3) -> AskResult:
    """Answer a question from the library; CommandError when there is no question in the text.

    ``today`` is the date in the asking face's zone: "last year" and "this month" count from it.
    """
    q = parse_question(question, today)
    docs = dict(library.catalog.documents)
    search = library.index.search(" ".join(q.words) if q.words else q.text, limit=max(limit, 5))
    index = fact_index(library.index)
    prior = {m.brief.id: m.score for m in search.matches}
    ranked = rank_facts(index, library.index, q, prior)
    answer = brief = None
    if len(ranked) and ranked.coverage[0] >= MIN_ANSWER:
        best_brief, fact, _ = index.ref(ranked.ids[0])
        score = round(100 * max(0.0, min(ranked.scores[0], 1.0)), 1)
        answer = Answer(fact, best_brief, docs.get(fact.source), score)
        first = int(index.brief_first[index.brief_number[best_brief.id]])
        own = {k - first: s for k, s in zip(ranked.ids, ranked.scores, strict=True)
               if first <= k < first + len(best_brief.facts)}
        order = sorted(range(len(best_brief.facts)), key=lambda p: (-own.get(p, -1.0), p))
        brief = ranked_brief(best_brief, order, docs, today)
    matches = search.matches[:limit]
    results = tuple((brief_answer(m.brief, docs), m.score) for m in matches)
    suggestions = search.suggestions
    if answer is None and not suggestions:
        suggestions = tuple(m.brief.title for m in search.matches[:3])
    return AskResult(q.text, answer, brief, results, suggestions, matches, today)


def render_ask_text(result: AskResult) -> str:
    """Plain text that leads with the answer: the fact, its quote, its source and date, then the brief."""
    a = result.answer
    if a is None:
        closest = [b.title for b, _ in result.results] or list(result.suggestions)
        more = f" Closest briefs: {'; '.join(closest)}." if closest else ""
        return f"No answer in the briefs to '{clean_user_text(result.question, 80)}'.{more}"
    when = describe_when(a.fact, result.today)
    source = f"{a.document.title}, {a.document.author}, {a.document.published.human()}" if a.document \
        else a.fact.source
    out = [f"{a.fact.text}", f"“{a.fact.quote}”", f"— {source}"]
    if when:
        out.append(f"Date: {when}")
    if result.brief is not None:
        out += ["", f"From the brief: {result.brief.title} [brief {result.brief.id}]"]
        out += fact_lines_text(result.brief.facts[1:6])
    return "\n".join(out)


def ask_json(result: AskResult, limit: int = 3) -> dict[str, Any]:
    """The ``ask --json`` shape: query, results and suggestions as before, plus ``answer``."""
    return {
        "query": result.question,
        "results": [answer_json(b, score) for b, score in result.results[:limit]],
        "suggestions": list(result.suggestions),
        "answer": result.answer.to_json() if result.answer else None,
    }
