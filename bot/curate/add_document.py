"""``add-document``: a file (text, Markdown, HTML, PDF) becomes ``corpus/<id>.md`` in the corpus format.

Nothing is written unless everything is right: the file is read and checked, the corpus file is
written to a temporary name in the corpus folder, parsed back exactly as the load will parse it,
and only then renamed into place.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.briefs import MAX_ID
from ..core.dates import PartialDate
from ..core.documents import load_corpus, parse_document
from ..core.text import fold_quote
from .check import DOC_PREFIX
from .detect import FrontMatter, detect
from .extract import DocumentError, read_document

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_DOC_ID = MAX_ID - len(DOC_PREFIX)  # its brief, doc-<id>, must fit the brief id limit
NOT_STATED = "not stated"
_PREFIX = {"press release": "pr", "news report": "news", "article": "article", "statement": "statement",
           "speech": "speech", "report": "report"}
_STOP = frozenset("a an the of on in at to for by and or with from his her its their is are was were".split())


@dataclass(frozen=True)
class Added:
    id: str
    path: Path
    front: FrontMatter

    def to_json(self) -> dict[str, Any]:
        f = self.front
        return {"id": self.id, "path": str(self.path), "title": f.title,
                "published": f.published.iso() if f.published else None,
                "precision": f.published.precision.value if f.published else None,
                "place": f.place, "kind": f.kind, "author": f.author, "detected": f.detected}


def add_document(source: Path, corpus_dir: Path, doc_id: str | None = None,
                 published: str | None = None) -> Added:
    """Add one document; raise :class:`DocumentError` (nothing written) when it cannot be added."""
    if doc_id is not None and (not _ID.match(doc_id) or len(doc_id) > MAX_DOC_ID):
        raise DocumentError(f"--id '{doc_id[:80]}': use lower-case letters, digits and hyphens, "
                            f"at most {MAX_DOC_ID} characters")
    if not corpus_dir.is_dir():
        raise DocumentError(f"corpus folder {corpus_dir} not found")
    extracted = read_document(source)
    front, text = detect(extracted.text, extracted.meta)
    if published is not None:
        try:
            front.published = PartialDate.parse(published)
        except ValueError as exc:
            raise DocumentError(f"--published: {exc}") from None
        front.detected.append(f"published {front.published.iso()} from --published")
    if front.published is None:
        raise DocumentError(f"{source}: no date line or date metadata found; give the date with "
                            "--published YYYY-MM-DD (or YYYY-MM, YYYY)")
    if not front.author:
        front.author = f"{NOT_STATED} ({front.number})" if front.number else NOT_STATED
        front.detected.append(f"author not visible: wrote '{front.author}'; fill it in")
    if not front.place:
        front.place = NOT_STATED
        front.detected.append(f"place not visible: wrote '{NOT_STATED}'; fill it in")
    _refuse_duplicate(text, corpus_dir)
    doc_id = doc_id or _new_id(front)
    target = corpus_dir / f"{doc_id}.md"
    if target.exists():
        raise DocumentError(f"the id '{doc_id}' is taken by {target}; choose another with --id")
    notes = "; ".join([*extracted.notes, *front.notes])
    body = _corpus_file(doc_id, front, source.name, notes, text)
    _write_checked(target, body)
    return Added(doc_id, target, front)


def _refuse_duplicate(text: str, corpus_dir: Path) -> None:
    """A document whose text (or its longest paragraph) is already in the corpus is refused."""
    documents, _ = load_corpus(corpus_dir)
    folded = fold_quote(text)
    longest = fold_quote(max(text.split("\n\n"), key=len))
    for doc in documents.values():
        if folded == doc.folded or (len(longest) >= 80 and longest in doc.folded):
            raise DocumentError(f"its text is already in the corpus as '{doc.id}' ({doc.path})")


def _slug(title: str, room: int) -> str:
    ascii_title = unicodedata.normalize("NFKD", title.replace("’", "").replace("'", "")).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.findall(r"[a-z0-9]+", ascii_title) if w not in _STOP]
    slug = ""
    for word in words[:4]:
        if len(slug) + len(word) + 1 > room:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "document"


def _new_id(front: FrontMatter) -> str:
    """``pr-2026-01-30-call-prime-minister``: kind, date, the first words of the title."""
    assert front.published is not None
    head = f"{_PREFIX.get(front.kind, 'doc')}-{front.published.iso()}"
    return f"{head}-{_slug(front.title, MAX_DOC_ID - len(head) - 1)}"


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _corpus_file(doc_id: str, front: FrontMatter, original: str, notes: str, text: str) -> str:
    assert front.published is not None
    lines = ["---", f"id: {doc_id}", f"title: {_q(front.title)}", f"author: {_q(front.author)}",
             f"kind: {front.kind}", f"published: {_q(front.published.iso())}",
             f"precision: {front.published.precision.value}", f"place: {_q(front.place)}",
             f"original_file: {_q(original)}"]
    if notes:
        lines.append(f"notes: {_q(notes + '.')}")
    return "\n".join([*lines, "---", "", text.strip(), ""])


def _write_checked(target: Path, body: str) -> None:
    """Write to a temporary file beside the target, parse it back, then rename it into place."""
    fd, tmp_name = tempfile.mkstemp(prefix=".add-", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        _, problems = parse_document(target, body)
        if problems:  # our own output must load; if not, say so rather than leave a broken file
            raise DocumentError(f"the corpus file would not load: {problems[0]}")
        if target.exists():
            raise DocumentError(f"{target} appeared meanwhile; nothing written")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
