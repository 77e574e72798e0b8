"""``python -m bot draft DOCUMENT_ID``: read the folders, draft, and print or write the brief."""

from __future__ import annotations

import json
from pathlib import Path

from ..core.briefs import Brief, parse_brief
from ..core.documents import load_corpus
from .draft import draft_document
from .draft_brief import brief_of, catalogued, to_yaml, write_brief
from .extract import DocumentError


def _briefs(folder: Path) -> list[Brief]:
    """Every brief that can be read, even from a folder with problems (a draft is for fixing data)."""
    out = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            brief, _ = parse_brief(path, path.read_text(encoding="utf-8"), partial=True)
        except (OSError, UnicodeDecodeError):
            continue
        if brief is not None:
            out.append(brief)
    return out


def run_draft(document_id: str, briefs_dir: Path, corpus_dir: Path, out: Path | None, *, as_json: bool) -> str:
    """What the command prints; raises :class:`DocumentError` with a one-line reason."""
    documents, _ = load_corpus(corpus_dir)
    doc = documents.get(document_id)
    if doc is None:
        near = [d for d in sorted(documents) if document_id.lower() in d or d in document_id.lower()]
        hint = f" (did you mean {', '.join(near[:3])}?)" if near else ""
        raise DocumentError(f"no corpus document has the id '{document_id[:80]}'{hint}")
    briefs = _briefs(briefs_dir)
    draft = draft_document(doc)
    if not draft.facts:
        raise DocumentError(f"no statements found in {doc.id}")
    brief, suggestions = brief_of(draft, catalogued(briefs), out.stem if out is not None else None)
    text = to_yaml(brief)
    if out is not None:
        write_brief(out, text, briefs, documents)
    if as_json:
        return json.dumps({"document": doc.id, "brief": brief, "suggestions": suggestions}, ensure_ascii=False)
    notes = [f"# fact {s['fact']}: also in {', '.join(s['also_in'])}" if "also_in" in s
             else f"# fact {s['fact']}: {s['note']}" if "fact" in s else f"# {s['name']}: {s['note']}"
             for s in suggestions]
    if out is not None:
        dated = sum(1 for f in brief["facts"] if "date" in f)
        return "\n".join([f"wrote {out}: {len(brief['facts'])} facts, {dated} dated; review it, then run "
                          "python -m bot check", *notes])
    return text + ("\n# Suggestions\n" + "\n".join(notes) if notes else "")
