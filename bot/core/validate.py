"""Checks that span files: sources exist, quotes are really in them, names are unambiguous,
dates are possible given the document that reports them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from .briefs import Brief, Fact
from .documents import Document
from .problems import Problem
from .text import normalise

NamesOf = Callable[[Brief], Iterable[str]]
FactsOf = Callable[[Brief], list[Problem]]


def normalised_names(brief: Brief) -> Iterable[str]:
    return (normalise(n) for n in brief.names)


def check_briefs(briefs: Iterable[Brief], documents: Mapping[str, Document],
                 unreadable: frozenset[str] = frozenset(), names_of: NamesOf = normalised_names,
                 facts_of: FactsOf | None = None) -> list[Problem]:
    """Every cross-file problem, each with the file and line a curator must open.

    ``unreadable`` are ids of brief files that failed to parse: references to them are not
    reported again, so one broken file gives one problem, not one per brief that links to it.
    ``names_of`` gives a brief's names, normalised: the load passes the ones its index terms
    already hold, instead of normalising every name twice. ``facts_of`` gives the problems
    :func:`check_facts` finds in a brief: the load checks each brief as soon as it is parsed.
    """
    problems: list[Problem] = []
    seen_ids: dict[str, Brief] = {}
    owner_of_name: dict[str, Brief] = {}
    all_briefs = list(briefs)
    for brief in all_briefs:
        if brief.id in seen_ids:
            problems.append(Problem(brief.path, brief.line("id"), "id",
                                    f"'{brief.id}' is already used by {seen_ids[brief.id].path}"))
            continue
        seen_ids[brief.id] = brief
    for brief in seen_ids.values():
        for name in dict.fromkeys(names_of(brief)):
            if not name:
                continue
            other = owner_of_name.setdefault(name, brief)
            if other is not brief:
                problems.append(Problem(brief.path, brief.line("aliases"), "aliases",
                                        f"'{name}' also names brief '{other.id}' ({other.path})"))
        for rel in brief.related:
            if rel not in seen_ids and rel not in unreadable:
                problems.append(Problem(brief.path, brief.line("related"), "related",
                                        f"no brief has the id '{rel}'"))
        problems += facts_of(brief) if facts_of is not None else check_facts(brief, documents)
    return problems


def check_facts(brief: Brief, documents: Mapping[str, Document]) -> list[Problem]:
    """The problems of one brief's facts against the corpus (sources, quotes, dates)."""
    problems: list[Problem] = []
    for i, fact in enumerate(brief.facts):
        problems += _check_fact(brief, i, fact, documents)
    return problems


def _check_fact(brief: Brief, i: int, fact: Fact, documents: Mapping[str, Document]) -> list[Problem]:
    where, field = brief.path, f"facts[{i}]"
    doc = documents.get(fact.source)
    if doc is None:
        known = ", ".join(sorted(documents)) or "none"
        return [Problem(where, fact.line, f"{field}.source", f"unknown document '{fact.source}' (known: {known})")]
    problems = []
    if not doc.contains_quote(fact.quote):
        problems.append(Problem(where, fact.line, f"{field}.quote",
                                f"not found in {doc.id}: \"{fact.quote[:80]}\""))
    if fact.date is not None:
        published = doc.published.last_day()
        if fact.date.first_day() > published and fact.status == "occurred":
            problems.append(Problem(
                where, fact.line, f"{field}.date",
                f"{fact.date.iso()} is after the document's date {doc.published.iso()}; "
                "mark the fact 'status: announced' or 'planned' if the document announces it",
            ))
    return problems
