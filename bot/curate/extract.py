"""The text of a document file, whatever its format: plain text, Markdown, HTML or PDF.

Text stays verbatim but for layout: paragraphs are separated by one blank line, lines broken
inside a sentence are joined, Markdown markup is removed, and page furniture ("PREVIOUS NEXT",
share links) is left out. For HTML, trafilatura finds the article and leaves out navigation,
adverts, "most read" boxes and footers; for PDF, pypdf reads the text layer. Every change is
listed in ``notes``, so the corpus file can say what was done to the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 10 * 1024 * 1024  # a long report as text is ~1 MB; anything far bigger is not one document
FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
           ".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf"}


class DocumentError(Exception):
    """A file that cannot become a corpus document; the message is one line for the curator."""


@dataclass
class Extracted:
    text: str  # paragraphs separated by one blank line
    format: str  # text, markdown, html or pdf
    meta: dict[str, str] = field(default_factory=dict)  # title, author, date, sitename, heading
    notes: list[str] = field(default_factory=list)  # what was changed, for the corpus file's notes
    left_out: list[str] = field(default_factory=list)  # page furniture removed


def read_document(path: Path) -> Extracted:
    """Read and clean one file; raise :class:`DocumentError` with a clear message if it cannot be used."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise DocumentError(f"{path} is not a file")
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise DocumentError(f"{path} is empty")
    if size > MAX_BYTES:
        raise DocumentError(f"{path} is {size / 1024 / 1024:.1f} MB; add-document takes files up to "
                            f"{MAX_BYTES // 1024 // 1024} MB (one document, not a collection)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from None
    kind = FORMATS.get(path.suffix.lower()) or _sniff(path, data)
    if kind == "pdf":
        from .pdf_text import pdf_text

        extracted = pdf_text(path, data)
    else:
        text = _decode(path, data)
        if kind == "html":
            from .html_text import html_text

            extracted = html_text(path, text)
        else:
            extracted = Extracted(text, kind)
    if kind == "markdown" or (kind == "text" and re.search(r"(?m)^#{1,6} \S", extracted.text)):
        extracted.text = _plain_markdown(extracted)
    extracted.text = _layout(extracted)
    if not extracted.text.strip():
        raise DocumentError(f"{path} has no text once page furniture is left out")
    return extracted


def _sniff(path: Path, data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        return "pdf"
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    raise DocumentError(f"{path}: unsupported format '{path.suffix or 'no extension'}'; "
                        "add-document reads .txt, .md, .html and .pdf files")


def _decode(path: Path, data: bytes) -> str:
    if b"\0" in data[:65536]:
        raise DocumentError(f"{path} is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path} is not UTF-8 text (byte {exc.start} cannot be read)") from None


_HEADING = re.compile(r"^#{1,6}\s+")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_LINK = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]+)\]\([^)]*\)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$])")


def _plain_markdown(extracted: Extracted) -> str:
    """Markdown markup removed: headings, bold, links (their words kept), escapes such as ``\\$``."""
    out = []
    for line in extracted.text.splitlines():
        if _HEADING.match(line):
            line = _HEADING.sub("", line)
            extracted.meta.setdefault("heading", line.strip())
        line = _EMPHASIS.sub(r"\2", line)
        line = _LINK.sub(lambda m: m.group(1) or "", line)
        out.append(_ESCAPE.sub(r"\1", line))
    extracted.notes.append("Markdown markup and escapes removed")
    return "\n".join(out)


#: Whole paragraphs that belong to the web page, not the document.
_FURNITURE = re.compile(
    r"^(?:previous|next|previous\s*next|prev\s*next|share(?: this| on \w+)?:?|tweet|print|e-?mail|facebook|"
    r"twitter|x|whatsapp|linkedin|telegram|copy link|read more|advertisement|ad|most read|related|"
    r"back to top|top|home|comments?)(?:\s*[|•·,/]?\s*(?:share(?: on)?|facebook|twitter|x|whatsapp|linkedin|"
    r"telegram|e-?mail|print|copy link))*$", re.IGNORECASE)
_END_OF_SENTENCE = tuple('.!?:;"\'”’)]')


def _broken(para: str) -> bool:
    """A paragraph cut inside a sentence: several words, no closing mark, and a lower-case last word
    ("upon his arrival in") or more words than a heading has. Titles and date lines are short and
    end in a capital or a digit, so they stay."""
    words = para.split()
    return (len(words) >= 6 and not para.endswith(_END_OF_SENTENCE)
            and (words[-1][:1].islower() or len(para) > 150))


def _layout(extracted: Extracted) -> str:
    """One blank line between paragraphs; furniture out; a sentence broken over lines joined again."""
    text = extracted.text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    kept: list[str] = []
    for para in paragraphs:
        if not para:
            continue
        if _FURNITURE.match(para):
            extracted.left_out.append(para)
            continue
        kept.append(para)
    joined: list[str] = []
    broken = False
    for para in kept:
        if joined and _broken(joined[-1]):
            joined[-1] = f"{joined[-1]} {para}"
            broken = True
        else:
            joined.append(para)
    if extracted.left_out:
        extracted.notes.append(f"Page furniture ({'; '.join(dict.fromkeys(extracted.left_out))}) removed")
    if broken:
        extracted.notes.append("lines broken inside sentences joined")
    return "\n\n".join(joined)
