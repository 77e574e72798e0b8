"""Briefs: the curated knowledge, parsed from YAML into immutable objects.

This module knows the *shape* of a brief and reports every shape problem with file, line and
field. Checks that need the corpus or other briefs (quotes, sources, duplicate aliases) live in
:mod:`bot.core.validate`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, NamedTuple

from .dates import DATE_PRECISIONS, SPAN_PRECISIONS, PartialDate, Precision
from .problems import Problem, clip, relative
from .yaml_source import Located, YamlError, load_yaml

BRIEF_KINDS = ("topic", "person", "document")
STATUSES = ("occurred", "announced", "planned")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 64
_TAG = re.compile(r"^[a-z0-9]+(?:[-][a-z0-9]+)*$")
_BRIEF_KEYS = {"id", "title", "kind", "aliases", "tags", "summary", "facts", "related"}
_FACT_KEYS = {"text", "source", "quote", "date", "end", "precision", "inferred_from", "status"}
NOT_A_BRIEF = "not a brief file (a brief is a YAML mapping of id, title, summary, facts, ...)"


class Fact(NamedTuple):
    """One sourced statement. ``date`` is the event's date, when the source gives one.

    Facts and briefs are named tuples, not dataclasses: immutable all the same, but made in C.
    A 10,000-brief catalog is 60,000 of them, built on every load and read back from the load
    cache on every start (a third faster than dataclasses there, and 150 bytes smaller each).
    """

    text: str
    source: str
    quote: str
    line: int
    date: PartialDate | None = None
    end: PartialDate | None = None
    inferred_from: str = ""
    status: str = "occurred"
    precision: str = ""  # "week" or "range" for a span; "" when the date's own form says it

    @property
    def when_known(self) -> Precision | None:
        """How precisely the event is dated: the span's precision, else the date's (None if undated)."""
        if self.date is None:
            return None
        return Precision(self.precision) if self.precision else self.date.precision

    @property
    def is_span(self) -> bool:
        """True for a week or range: the event happened on one unknown day inside it."""
        return bool(self.precision)

    def first_day(self) -> dt.date:
        """The first day the event may have happened on (the fact must be dated)."""
        assert self.date is not None
        return self.date.first_day()

    def last_day(self) -> dt.date:
        """The last day the event may have happened on (or the last of a multi-day event)."""
        assert self.date is not None
        return (self.end or self.date).last_day()


class Brief(NamedTuple):
    """A topic, person or document brief: names to find it by, a summary and sourced facts."""

    id: str
    title: str
    kind: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    summary: str
    facts: tuple[Fact, ...]
    related: tuple[str, ...]
    path: str
    line_of: tuple[str | int, ...] = ()  # key, line, key, line, ...: one object per brief, not one per key

    def line(self, key: str) -> int:
        """The line of a top-level key in the brief's file (1 if it has none)."""
        pairs = self.line_of
        for k in range(0, len(pairs) - 1, 2):
            if pairs[k] == key:
                return int(pairs[k + 1])
        return 1

    @property
    def names(self) -> tuple[str, ...]:
        """Everything a person might type to mean this brief: title, aliases and id."""
        return (self.title, *self.aliases, self.id.replace("-", " "))

    @property
    def sources(self) -> tuple[str, ...]:
        """Source document ids, in first-cited order."""
        return tuple(dict.fromkeys(f.source for f in self.facts))


class _Reader:
    """Collects problems while reading one file, so the curator sees all of them at once."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def bad(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, field, message))

    def text(self, node: Located, key: str, field: str, *, required: bool = True, limit: int = 0) -> str:
        value = node.get(key)
        line = node.key_lines.get(key, node.line)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(line, field, "is required")
            return ""
        if not isinstance(value, str):
            self.bad(line, field, f"must be text, not {type(value).__name__}")
            return ""
        value = " ".join(value.split())
        if limit and len(value) > limit:
            self.bad(line, field, f"is {len(value)} characters; keep it under {limit}")
        return value

    def words(self, node: Located, key: str, field: str) -> tuple[str, ...]:
        value = node.get(key, [])
        line = node.key_lines.get(key, node.line)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.bad(line, field, "must be a list of non-empty text items")
            return ()
        return tuple(" ".join(v.split()) for v in value)

    def date(self, node: Located, key: str, field: str) -> PartialDate | None:
        if node.get(key) is None:
            return None
        try:
            return PartialDate.parse(node[key])
        except ValueError as exc:
            self.bad(node.key_lines.get(key, node.line), field, str(exc))
            return None


def parse_brief(path: Path, raw: str, *, where: str | None = None,
                partial: bool = False) -> tuple[Brief | None, list[Problem]]:
    """Parse one brief file; return the brief (or None) and every shape problem found.

    ``where`` is how messages name the file (default: its path relative to the working folder).
    ``partial`` (for ``check``) returns what could be read even when there are problems, so the
    checks across files (sources, quotes, related ids) run in the same pass instead of after the
    shape is fixed.
    """
    where = relative(path) if where is None else where
    r = _Reader(where)
    try:
        data = load_yaml(raw, path)
    except YamlError as exc:
        return None, [Problem(where, exc.line, "", f"not a brief file: not valid YAML ({exc.message})", cause=True)]
    if not isinstance(data, Located) or not _BRIEF_KEYS & set(data):
        # Whatever it holds (a stray note, a secret someone linked here) is not repeated back.
        line = data.line if isinstance(data, Located) else 1
        return None, [Problem(where, line, "", NOT_A_BRIEF, cause=True)]
    for key in sorted(set(data) - _BRIEF_KEYS):
        r.bad(data.key_lines[key], clip(key, 40), f"unknown field (known: {', '.join(sorted(_BRIEF_KEYS))})")

    brief_id = r.text(data, "id", "id")
    if brief_id and not _ID.match(brief_id):
        r.bad(data.key_lines["id"], "id", "use lower-case letters, digits and hyphens, e.g. energy-lng")
    elif len(brief_id) > MAX_ID:  # it travels in button ids, which Discord caps at 100 characters
        r.bad(data.key_lines["id"], "id", f"is {len(brief_id)} characters; keep it to {MAX_ID}")
    elif brief_id and brief_id != path.stem:
        r.bad(data.key_lines["id"], "id", f"'{brief_id}' must match the file name '{path.stem}'")
    title = r.text(data, "title", "title", limit=90)
    kind = data.get("kind", "topic")
    if kind not in BRIEF_KINDS:
        r.bad(data.key_lines.get("kind", 1), "kind", f"must be one of {', '.join(BRIEF_KINDS)}")
    aliases = r.words(data, "aliases", "aliases")
    for i, alias in enumerate(aliases):
        if len(alias) > 100:
            r.bad(data.key_lines["aliases"], f"aliases[{i}]", "is longer than 100 characters")
    tags = r.words(data, "tags", "tags")
    for i, tag in enumerate(tags):
        if not _TAG.match(tag):
            r.bad(data.key_lines["tags"], f"tags[{i}]", f"'{clip(tag)}' should be lower-case words joined by -")
    summary = r.text(data, "summary", "summary", limit=700)
    related = r.words(data, "related", "related")

    facts: list[Fact] = []
    raw_facts = data.get("facts")
    if not isinstance(raw_facts, list) or not raw_facts:
        r.bad(data.key_lines.get("facts", data.line), "facts", "must be a non-empty list of facts")
        raw_facts = []
    for i, node in enumerate(raw_facts):
        fact = _parse_fact(r, node, f"facts[{i}]", data.key_lines.get("facts", 1), partial)
        if fact is not None:
            facts.append(fact)
    if r.problems and not partial:
        return None, r.problems
    return Brief(
        id=brief_id or path.stem, title=title, kind=str(kind), aliases=aliases, tags=tags, summary=summary,
        facts=tuple(facts), related=related, path=where,
        line_of=tuple(x for pair in data.key_lines.items() for x in pair),
    ), r.problems


def _parse_fact(r: _Reader, node: Any, field: str, fallback_line: int, partial: bool = False) -> Fact | None:
    if not isinstance(node, Located):
        r.bad(fallback_line, field, "must be a mapping with text, source and quote")
        return None
    for key in sorted(set(node) - _FACT_KEYS):
        r.bad(node.key_lines[key], f"{field}.{clip(key, 40)}", f"unknown field (known: {', '.join(sorted(_FACT_KEYS))})")
    before = len(r.problems)
    text = r.text(node, "text", f"{field}.text", limit=400)
    source = r.text(node, "source", f"{field}.source")
    quote = r.text(node, "quote", f"{field}.quote")
    date = r.date(node, "date", f"{field}.date")
    end = r.date(node, "end", f"{field}.end")
    inferred = r.text(node, "inferred_from", f"{field}.inferred_from", required=False)
    status = node.get("status", "occurred")
    if status not in STATUSES:
        r.bad(node.key_lines.get("status", node.line), f"{field}.status", f"must be one of {', '.join(STATUSES)}")
    precision, end = _precision(r, node, field, date, end)
    if end is not None and not precision:
        end_line = node.key_lines.get("end", node.line)
        if date is None:
            r.bad(end_line, f"{field}.end", "an end date needs a date")
        elif date.precision is not Precision.DAY or end.precision is not Precision.DAY:
            r.bad(end_line, f"{field}.end", "a multi-day event needs day precision on both ends; "
                  "for 'some time between' use 'precision: range'")
        elif end.first_day() <= date.first_day():
            r.bad(end_line, f"{field}.end", f"{end.iso()} is not after {date.iso()}")
        elif (end.first_day() - date.first_day()).days > 366:
            r.bad(end_line, f"{field}.end", "a span longer than a year is not an event")
    if inferred and date is None:
        r.bad(node.key_lines["inferred_from"], f"{field}.inferred_from", "says how a date was inferred, but there is no date")
    if len(r.problems) > before and not partial:
        return None
    return Fact(text=text, source=source, quote=quote, line=node.line, date=date, end=end,
                inferred_from=inferred, status=str(status), precision=precision)


_PRECISION_NAMES = ", ".join(p.value for p in Precision)


def _precision(r: _Reader, node: Located, field: str, date: PartialDate | None,
               end: PartialDate | None) -> tuple[str, PartialDate | None]:
    """Check a fact's ``precision``; return the span precision ("" if none) and the end to keep.

    ``day``/``month``/``year`` only restate the date's form. ``week`` is seven days from ``date``
    (``end`` may be left out); ``range`` needs an ``end`` after ``date``, each at any precision.
    """
    value = node.get("precision")
    if value is None:
        return "", end
    line, where = node.key_lines.get("precision", node.line), f"{field}.precision"
    if value not in {p.value for p in Precision}:
        r.bad(line, where, f"must be one of {_PRECISION_NAMES}")
        return "", end
    if date is None:
        r.bad(line, where, "says how precise the date is, but there is no date")
        return "", end
    if value in DATE_PRECISIONS:
        if value != date.precision.value:
            r.bad(line, where, f"'{value}' does not match the date {date.iso()} ({date.precision.value})")
        return "", end
    assert value in SPAN_PRECISIONS
    if value == Precision.WEEK:
        if date.precision is not Precision.DAY:
            r.bad(line, where, f"a week starts on a day: write its first day, e.g. {date.first_day().isoformat()}")
            return "", end
        sunday = date.first_day() + dt.timedelta(days=6)
        if end is not None and end.first_day() != sunday:
            r.bad(node.key_lines.get("end", line), f"{field}.end",
                  f"a week ends six days after it starts: {sunday.isoformat()}, or leave 'end' out")
        return str(value), PartialDate(sunday.year, sunday.month, sunday.day)
    if end is None:
        r.bad(line, where, "a range needs an 'end': the last date the event may have happened on")
    elif end.first_day() <= date.first_day() or end.last_day() <= date.last_day():
        r.bad(node.key_lines.get("end", line), f"{field}.end", f"{end.iso()} is not after {date.iso()}")
    return str(value), end
