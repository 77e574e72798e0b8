"""The text layer of a PDF, with pypdf; a PDF without one (a scan) is refused, not guessed at."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .extract import DocumentError, Extracted


def pdf_text(path: Path, data: bytes) -> Extracted:
    """Pages' text, with lines joined into paragraphs (a line ending a sentence well short of the
    longest line ends its paragraph)."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns on harmless quirks of many PDFs
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path} is an encrypted PDF; save it without a password first")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{path} is not a readable PDF ({exc})") from None
    lines = [line.strip() for page in pages for line in page.splitlines()]
    if not any(lines):
        raise DocumentError(f"{path} has no text layer (a scanned PDF?); run OCR on it first")
    longest = max(len(line) for line in lines)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
        if (re.search(r"[.!?:”\"]$", line) and len(line) < 0.9 * longest) or len(line) < 0.5 * longest:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    meta: dict[str, str] = {}
    if info is not None:
        # Only the author: a PDF's title field is often a file name ("Microsoft Word - draft3.docx").
        for key, value in (("author", info.author),):
            if isinstance(value, str) and value.strip():
                meta[key] = value.strip()
    return Extracted("\n\n".join(paragraphs), "pdf", meta, ["text read from the PDF's text layer"])
