"""The corpus: source documents with their metadata.

A document is one ``corpus/*.md`` file: YAML front matter (id, title, author, kind, published,
place, original_file) and the text, kept verbatim but for layout clean-up. Adding a document is
adding a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from pathlib import Path

from .data_folder import read_folder
from .dates import DATE_PRECISIONS, PartialDate
from .file_listing import DEFAULT_LIMITS, ReadLimits
from .problems import Problem, clip, relative
from .text import fold_quote
from .yaml_source import Located, YamlError, load_yaml

KINDS = ("press release", "news report", "article", "statement", "speech", "report")
_REQUIRED = ("id", "title", "author", "kind", "published", "place", "original_file")


@dataclass(frozen=True)
class Document:
    """A source document. ``folded`` is the text prepared for quote checks."""

    id: str
    title: str
    author: str
    kind: str
    published: PartialDate
    place: str
    original_file: str
    text: str
    path: str
    notes: str = ""
    folded: str = field(default="", repr=False, compare=False)

    def contains_quote(self, quote: str) -> bool:
        """True if the quote is in the text, forgiving only white space, quote marks and dashes."""
        needle = fold_quote(quote)
        return bool(needle) and needle in self.folded

    def excerpt(self, limit: int = 600) -> str:
        """The opening of the text, cut at a sentence end where possible."""
        body = " ".join(self.text.split())
        if len(body) <= limit:
            return body
        cut = body.rfind(". ", 0, limit)
        return body[: cut + 1] if cut > limit // 3 else body[: limit - 1] + "…"


_TEXT_FIELDS = ("id", "title", "author", "kind", "place", "original_file", "notes")
_FIELDS = frozenset({*_TEXT_FIELDS, "published", "precision"})
NOT_A_DOCUMENT = "not a corpus document (a corpus file starts with '---' and YAML front matter)"


def parse_document(path: Path, raw: str, where: str | None = None) -> tuple[Document | None, list[Problem]]:
    """Read one corpus file; return the document or the problems that prevent it.

    The front matter has a schema as briefs do: every field text of a known kind, the date a
    date, ``precision`` one of :data:`bot.core.dates.DATE_PRECISIONS`. A file that is not a corpus
    document at all gets one problem (a "cause"), and nothing of its contents is repeated.
    """
    where = relative(path) if where is None else where
    raw = raw.removeprefix("\ufeff")
    if not raw.startswith("---\n"):
        return None, [Problem(where, 1, "", NOT_A_DOCUMENT, cause=True)]
    end = raw.find("\n---\n", 4)
    if end < 0:
        return None, [Problem(where, 1, "", "front matter is not closed by a '---' line", cause=True)]
    try:
        meta = load_yaml(raw[4:end], path)
    except YamlError as exc:
        return None, [Problem(where, exc.line + 1, "", f"front matter is not valid YAML ({exc.message})", cause=True)]
    if not isinstance(meta, Located) or not _FIELDS & set(meta):
        return None, [Problem(where, 2, "", "front matter must be a mapping of id, title, author, kind, published, "
                                            "place and original_file", cause=True)]

    def line(key: str) -> int:
        return meta.key_lines.get(key, 1) + 1

    problems = [Problem(where, line(key), clip(key, 40), f"unknown field (known: {', '.join(sorted(_FIELDS))})")
                for key in sorted(set(meta) - _FIELDS)]
    values: dict[str, str] = {}
    for key in _TEXT_FIELDS:
        value = meta.get(key)
        if value is None or value == "":
            if key != "notes":
                problems.append(Problem(where, line(key) if key in meta else meta.line + 1, key, "is required"))
        elif not isinstance(value, str):
            problems.append(Problem(where, line(key), key, f"must be text, not {clip(value)}"))
        else:
            values[key] = value
    published = None
    if meta.get("published") is None:
        problems.append(Problem(where, meta.line + 1, "published", "is required"))
    else:
        try:
            published = PartialDate.parse(meta["published"])
        except ValueError as exc:
            problems.append(Problem(where, line("published"), "published", str(exc)))
    precision = meta.get("precision")
    known = [p.value for p in DATE_PRECISIONS]  # a document has one written date, never a span
    if precision is not None and precision not in known:
        problems.append(Problem(where, line("precision"), "precision", f"must be one of {', '.join(known)}"))
    elif precision is not None and published is not None and precision != published.precision.value:
        problems.append(Problem(where, line("precision"), "precision",
                                f"'{precision}' does not match the date {published.iso()}"))
    if "kind" in values and values["kind"] not in KINDS:
        problems.append(Problem(where, line("kind"), "kind", f"must be one of {', '.join(KINDS)}"))
    if "id" in values and path.stem != values["id"]:
        problems.append(Problem(where, line("id"), "id", f"'{clip(values['id'])}' differs from the file name"))
    text = raw[end + 5 :].strip()
    if not text:
        problems.append(Problem(where, raw[:end].count("\n") + 3, "", "the document has no text"))
    if problems or published is None:
        return None, problems
    doc = Document(
        id=values["id"], title=values["title"], author=values["author"], kind=values["kind"],
        published=published, place=values["place"], original_file=values["original_file"], text=text,
        path=where, notes=values.get("notes", ""), folded=fold_quote(text),
    )
    return doc, []


def document_digest(doc: Document) -> str:
    """sha256 of everything a reader sees of a document (metadata and text), for the content hash."""
    shown = tuple(getattr(doc, f.name) for f in fields(Document) if f.compare)
    return hashlib.sha256(repr(shown).encode("utf-8", "surrogateescape")).hexdigest()


def load_corpus(directory: Path, limits: ReadLimits = DEFAULT_LIMITS) -> tuple[dict[str, Document], list[Problem]]:
    """Load every ``*.md`` document of a folder, collecting all problems."""
    if not directory.is_dir():
        return {}, [Problem(relative(directory), 0, "", "corpus folder not found", cause=True)]
    files, problems = read_folder(directory, ".md", limits)
    return build_corpus(files, problems)


def build_corpus(files: list[tuple[Path, str]], problems: list[Problem]) -> tuple[dict[str, Document], list[Problem]]:
    """The second half of :func:`load_corpus`, for files already read (the load cache's way in)."""
    documents: dict[str, Document] = {}
    problems = list(problems)
    for path, raw in files:
        doc, found = parse_document(path, raw)
        problems += found
        if doc is not None:
            if doc.id in documents:
                problems.append(Problem(doc.path, 2, "id", f"'{clip(doc.id)}' is used by {documents[doc.id].path}"))
            else:
                documents[doc.id] = doc
    return documents, problems
