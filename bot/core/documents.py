"""The corpus: source documents with their metadata.

A document is one ``corpus/*.md`` file: YAML front matter (id, title, author, kind, published,
place, original_file) and the text, kept verbatim but for layout clean-up. Adding a document is
adding a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .dates import PartialDate
from .problems import Problem, relative
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


def parse_document(path: Path, raw: str) -> tuple[Document | None, list[Problem]]:
    """Read one corpus file; return the document or the problems that prevent it."""
    where = relative(path)
    if not raw.startswith("---\n"):
        return None, [Problem(where, 1, "", "a corpus file starts with '---' and YAML front matter")]
    end = raw.find("\n---\n", 4)
    if end < 0:
        return None, [Problem(where, 1, "", "front matter is not closed by a '---' line")]
    try:
        meta = load_yaml(raw[4:end], path)
    except YamlError as exc:
        return None, [Problem(where, exc.line + 1, "", exc.message)]
    if not isinstance(meta, Located):
        return None, [Problem(where, 2, "", "front matter must be a mapping of fields")]
    problems = [
        Problem(where, meta.line + 1, key, "is required") for key in _REQUIRED if not meta.get(key)
    ]
    if problems:
        return None, problems

    def line(key: str) -> int:
        return meta.key_lines.get(key, 1) + 1

    try:
        published = PartialDate.parse(meta["published"])
    except ValueError as exc:
        return None, [Problem(where, line("published"), "published", str(exc))]
    precision = meta.get("precision")
    if precision is not None and precision != published.precision.value:
        problems.append(Problem(where, line("precision"), "precision",
                                f"'{precision}' does not match the date {published.iso()}"))
    if meta["kind"] not in KINDS:
        problems.append(Problem(where, line("kind"), "kind", f"must be one of {', '.join(KINDS)}"))
    if path.stem != meta["id"]:
        problems.append(Problem(where, line("id"), "id", f"'{meta['id']}' differs from the file name"))
    text = raw[end + 5 :].strip()
    if not text:
        problems.append(Problem(where, raw[:end].count("\n") + 3, "", "the document has no text"))
    if problems:
        return None, problems
    doc = Document(
        id=str(meta["id"]), title=str(meta["title"]), author=str(meta["author"]),
        kind=str(meta["kind"]), published=published, place=str(meta["place"]),
        original_file=str(meta["original_file"]), text=text, path=where,
        notes=str(meta.get("notes") or ""), folded=fold_quote(text),
    )
    return doc, []


def load_corpus(directory: Path) -> tuple[dict[str, Document], list[Problem]]:
    """Load every ``*.md`` document of a folder, collecting all problems."""
    problems: list[Problem] = []
    if not directory.is_dir():
        return {}, [Problem(relative(directory), 0, "", "corpus folder not found")]
    files = []
    for path in sorted(directory.glob("*.md")):
        try:
            files.append((path, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(relative(path), 0, "", f"cannot read: {exc}"))
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
                problems.append(Problem(doc.path, 2, "id", f"'{doc.id}' is used by {documents[doc.id].path}"))
            else:
                documents[doc.id] = doc
    return documents, problems
