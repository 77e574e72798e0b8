"""A drafted document brief: the candidates put in the brief schema, with suggestions, as JSON or
as YAML that ``check`` accepts exactly as written.

The brief is the document's own (``doc-<document id>``, kind ``document``); suggestions say which
existing briefs each fact also belongs to (their names or aliases occur in its quote), and which
names in the document no brief knows (candidates for new aliases or briefs).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.briefs import Brief, parse_brief
from ..core.documents import Document
from ..core.text import normalise
from ..core.validate import check_briefs
from .check import doc_brief_id
from .detect import _NUMBER
from .draft import Draft
from .extract import DocumentError

_PROPER = re.compile(r"\b[A-Z][a-zA-Z’'-]+(?:[ \t]+(?:of[ \t]+|al-[ \t]*)?[A-Z][a-zA-Z’'-]+)+")
_TITLE_WORDS = frozenset(
    "the a an prime minister ministers president presidents foreign deputy ministry federal affairs government "
    "representative ambassador republic house office his her he she they both during while in on at for and of "
    "h e mr ms dr senior fellow special assignments secretary general chief state minister's president's "
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday published by".split())


@dataclass(frozen=True)
class Catalogued:
    """What the draft needs from the briefs folder: each brief's names, normalised."""

    names: dict[str, str]  # normalised name -> brief id (topic and person briefs)
    all_names: frozenset[str]  # every normalised name of every brief, documents' too
    ids: frozenset[str]


def catalogued(briefs: list[Brief]) -> Catalogued:
    names: dict[str, str] = {}
    every: set[str] = set()
    for brief in sorted(briefs, key=lambda b: (b.kind == "document", b.id)):
        for name in brief.names:
            norm = normalise(name)
            every.add(norm)
            if brief.kind != "document" and len(norm) >= 4:
                names.setdefault(norm, brief.id)
    return Catalogued(names, frozenset(every), frozenset(b.id for b in briefs))


def briefs_naming(text: str, known: Catalogued) -> list[str]:
    """Ids of briefs whose names occur in ``text``, in order of first mention."""
    padded = f" {normalise(text)} "
    found = [(padded.find(f" {name} "), brief_id) for name, brief_id in known.names.items() if f" {name} " in padded]
    return list(dict.fromkeys(brief_id for _, brief_id in sorted(found)))


def unknown_names(doc: Document, known: Catalogued, limit: int = 12) -> list[str]:
    """Names in the document (capitalised word runs) that no brief's names cover."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for m in _PROPER.finditer(doc.text):
        words = m.group(0).split()
        while words and words[0].lower().strip("’'") in _TITLE_WORDS:
            words.pop(0)
        name = " ".join(words)
        norm = normalise(name)
        if len(words) < 2 or all(w.lower() in _TITLE_WORDS for w in norm.split()):
            continue
        if any(norm in k or k in norm for k in known.all_names if len(k) >= 4):
            continue
        counts[norm] += 1
        first.setdefault(norm, name)
    return [first[n] for n, _ in counts.most_common(limit)]


def brief_of(draft: Draft, known: Catalogued, brief_id: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The brief (as the schema's mapping) and the suggestions."""
    doc = draft.document
    brief_id = brief_id or doc_brief_id(doc.id)
    facts = [c.to_json(doc.id) for c in draft.facts]
    suggestions: list[dict[str, Any]] = []
    mentions: Counter[str] = Counter()
    for k, candidate in enumerate(draft.facts):
        also = [b for b in briefs_naming(candidate.quote, known) if b != brief_id]
        mentions.update(also)
        if also:
            suggestions.append({"fact": k, "quote": candidate.quote[:120], "also_in": also})
        if candidate.undated_because:
            suggestions.append({"fact": k, "quote": candidate.quote[:120],
                                "note": f"no date: \"{candidate.undated_because}\" gives none"})
    for name in unknown_names(doc, known):
        suggestions.append({"name": name, "note": "no brief has this name: add it as an alias of the brief it "
                                                  "means, or start a brief"})
    aliases = []
    number = _NUMBER.search(doc.text[:600])
    for alias in ([f"PR No. {number.group(1)}"] if number else []) + [doc.title]:
        if len(alias) <= 100 and normalise(alias) not in known.all_names and alias not in aliases:
            aliases.append(alias)
    title = f"Document: {doc.title}"
    if len(title) > 90:
        title = title[:89].rsplit(" ", 1)[0] + "…"
    if normalise(title) in known.all_names:
        title = title[:80] + " (draft)"
    summary = f"{doc.kind.capitalize()}, {doc.author}, {doc.place}, {doc.published.human()}."
    first = next((c.text for c in draft.facts if c.quote != draft.facts[0].quote or len(draft.facts) == 1), "")
    if first and len(summary) + len(first) < 690:
        summary = f"{summary} {first}"
    brief = {"id": brief_id, "title": title, "kind": "document", "aliases": aliases,
             "tags": ["document", re.sub(r"[^a-z0-9]+", "-", doc.kind.lower()).strip("-")],
             "summary": summary, "facts": facts,
             "related": [b for b, _ in mentions.most_common(12) if b in known.ids]}
    return brief, suggestions


def _q(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def to_yaml(brief: dict[str, Any]) -> str:
    lines = [f"id: {brief['id']}", f"title: {_q(brief['title'])}", "kind: document"]
    if brief["aliases"]:
        lines += ["aliases:", *(f"  - {_q(a)}" for a in brief["aliases"])]
    lines += [f"tags: [{', '.join(brief['tags'])}]", f"summary: {_q(brief['summary'])}", "facts:"]
    for fact in brief["facts"]:
        keys = ["text", "source", "quote", "date", "end", "precision", "inferred_from", "status"]
        first = True
        for key in keys:
            if key in fact:
                lines.append(f"  {'- ' if first else '  '}{key}: {_q(fact[key])}")
                first = False
    if brief["related"]:
        lines.append(f"related: [{', '.join(brief['related'])}]")
    return "\n".join(lines) + "\n"


def write_brief(out: Path, text: str, briefs: list[Brief], documents: dict[str, Document]) -> None:
    """Write the YAML only if ``check`` would accept it as written (temporary file, then rename)."""
    if out.exists():
        raise DocumentError(f"{out} exists; nothing written (edit it, or choose another --out)")
    if not out.parent.is_dir():
        raise DocumentError(f"folder {out.parent} not found")
    brief, problems = parse_brief(out, text)
    if brief is not None:
        others = [b for b in briefs if b.id != brief.id]
        problems += [p for p in check_briefs([*others, brief], documents) if p.path == brief.path]
    if problems:
        raise DocumentError(f"the draft would not pass check: {problems[0]}")
    fd, tmp = tempfile.mkstemp(prefix=".draft-", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
