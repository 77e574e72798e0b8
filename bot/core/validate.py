"""Checks that span files: sources exist, quotes are really in them, names are unambiguous,
dates are possible given the document that reports them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePath

from rapidfuzz import process

from .briefs import Brief, Fact
from .dates import Precision
from .documents import Document
from .problems import Problem, clip
from .quote_match import describe_misquote
from .relative_dates import agreeing_days
from .text import normalise

NamesOf = Callable[[Brief], Iterable[tuple[str, str]]]  # a brief's names: (normalised, as written)
FactsOf = Callable[[Brief], list[Problem]]


def normalised_names(brief: Brief) -> Iterable[tuple[str, str]]:
    return ((normalise(n), n) for n in brief.names)


def check_briefs(briefs: Iterable[Brief], documents: Mapping[str, Document],
                 unreadable: frozenset[str] = frozenset(), names_of: NamesOf = normalised_names,
                 facts_of: FactsOf | None = None) -> list[Problem]:
    """Every cross-file problem, each with the file and line a curator must open.

    ``unreadable`` are ids of brief files that failed to parse: references to them are not
    reported again, so one broken file gives one problem, not one per brief that links to it.
    ``names_of`` gives a brief's names, normalised and as written: the load passes the ones its
    index terms already hold, instead of normalising every name twice. ``facts_of`` gives the problems
    :func:`check_facts` finds in a brief: the load checks each brief as soon as it is parsed.
    """
    problems: list[Problem] = []
    seen_ids: dict[str, Brief] = {}
    all_briefs = list(briefs)
    for brief in all_briefs:
        if brief.id in seen_ids:
            problems.append(Problem(brief.path, brief.line("id"), "id",
                                    f"'{brief.id}' is already used by {seen_ids[brief.id].path}"))
            continue
        seen_ids[brief.id] = brief
    problems += _name_clashes(seen_ids.values(), names_of)
    for brief in seen_ids.values():
        for rel in brief.related:
            if rel not in seen_ids and rel not in unreadable:
                problems.append(Problem(brief.path, brief.line("related"), "related",
                                        f"no brief has the id '{clip(rel)}'"))
        problems += facts_of(brief) if facts_of is not None else check_facts(brief, documents)
    return problems


def _name_clashes(briefs: Iterable[Brief], names_of: NamesOf) -> list[Problem]:
    """A name that means two briefs, reported on the file that introduced the clash.

    The rule, the same whatever order the files are read in: a brief's title and id are its own;
    an alias that repeats another brief's title or id is the intruder, so the problem goes on the
    alias's file. When both use the name as an alias (or both as a title), neither came first by
    this rule, and each file gets the problem, naming the other.
    """
    first: dict[str, tuple[Brief, bool]] = {}  # every name: the first brief holding it (80,000 at 10k briefs)
    shared: dict[str, list[tuple[Brief, bool]]] = {}  # names held by more than one brief: all holders
    for brief in briefs:
        pairs = list(names_of(brief))
        own_names = (brief.title, brief.id.replace("-", " "))
        own = {norm for norm, written in pairs if written in own_names}  # normalised once, by the terms
        for name in dict.fromkeys(norm for norm, _ in pairs):
            if name:
                holder = (brief, name in own)
                held = first.setdefault(name, holder)
                if held is not holder:
                    shared.setdefault(name, [held]).append(holder)
    problems = []
    for name in [n for n in first if n in shared] if shared else ():  # in the order names first appear
        owners = shared[name]
        titled = [b for b, is_own in owners if is_own]
        for brief, is_own in owners:
            if is_own:  # the name is this brief's own: only another brief's own name clashes with it
                others = [b for b in titled if b is not brief]
                if not others:
                    continue
            else:
                others = titled or [b for b, _ in owners if b is not brief]
            names = ", ".join(f"'{b.id}' ({b.path})" for b in others)
            key = "title" if is_own else "aliases"
            problems.append(Problem(brief.path, brief.line(key), key, f"'{clip(name)}' also names brief {names}"))
    return problems


def broken_documents(corpus_problems: Iterable[Problem]) -> frozenset[str]:
    """Ids of corpus documents whose files did not load (the id is the file's name)."""
    return frozenset(PurePath(p.path).stem for p in corpus_problems if p.path.endswith(".md"))


def check_facts(brief: Brief, documents: Mapping[str, Document], broken: frozenset[str] = frozenset(),
                ) -> list[Problem]:
    """The problems of one brief's facts against the corpus (sources, quotes, dates).

    Facts citing a ``broken`` document (one whose file has problems of its own) are not
    reported: the document's problem is the cause, and they are checked once it loads.
    """
    problems: list[Problem] = []
    for i, fact in enumerate(brief.facts):
        if fact.source not in broken:
            problems += _check_fact(brief, i, fact, documents)
    return problems


def _check_fact(brief: Brief, i: int, fact: Fact, documents: Mapping[str, Document]) -> list[Problem]:
    where, field = brief.path, f"facts[{i}]"
    if not fact.source:  # a fact read in part by `check`: its missing source is already reported
        return []
    doc = documents.get(fact.source)
    problems = []
    if doc is None:
        guess = process.extractOne(fact.source, list(documents), score_cutoff=80) if documents else None
        if guess is None:
            known = ", ".join(sorted(documents)[:10]) or "none"
            more = f" and {len(documents) - 10} more" if len(documents) > 10 else ""
            return [Problem(where, fact.line, f"{field}.source",
                            f"unknown document '{clip(fact.source)}' (known: {known}{more})")]
        # Check the rest against the document meant, so its problems show in this run, not the next.
        doc = documents[guess[0]]
        problems.append(Problem(where, fact.line, f"{field}.source",
                                f"unknown document '{clip(fact.source)}'; did you mean '{doc.id}'? "
                                "(the quote and date were checked against that document)"))
    if fact.quote and not doc.contains_quote(fact.quote):
        problems.append(Problem(where, fact.line, f"{field}.quote", describe_misquote(fact.quote, doc.folded, doc.id)))
    problems += _check_inferred_day(where, field, fact, doc)
    if fact.date is not None:
        published = doc.published.last_day()
        if fact.date.first_day() > published and fact.status == "occurred":
            problems.append(Problem(
                where, fact.line, f"{field}.date",
                f"{fact.date.iso()} is after the document's date {doc.published.iso()}; "
                "mark the fact 'status: announced' or 'planned' if the document announces it",
            ))
    return problems


def _check_inferred_day(where: str, field: str, fact: Fact, doc: Document) -> list[Problem]:
    """``inferred_from: today`` (or "yesterday", a weekday) must give the date the document's day gives."""
    if fact.date is None or not fact.inferred_from or doc.published.precision is not Precision.DAY:
        return []
    published = doc.published.first_day()
    days = agreeing_days(fact.inferred_from, published)
    if days is None:
        return []
    if fact.date.precision is Precision.DAY and not fact.precision and fact.date.first_day() in days:
        return []
    expected = " or ".join(d.isoformat() for d in days)
    return [Problem(where, fact.line, f"{field}.date",
                    f"{fact.date.iso()} disagrees with inferred_from \"{fact.inferred_from}\" in a document dated "
                    f"{doc.published.iso()} ({published.strftime('%A')}): the date is {expected}")]
