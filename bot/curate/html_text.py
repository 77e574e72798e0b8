"""The article of a news page, with trafilatura: no navigation, adverts, "most read" or footers."""

from __future__ import annotations

from pathlib import Path

import trafilatura

from .extract import DocumentError, Extracted

MIN_ARTICLE = 80  # characters: less than a sentence or two is a page without an article


def html_text(path: Path, html: str) -> Extracted:
    """The article text (paragraphs separated by blank lines) and the page's metadata."""
    text = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=False,
                               include_images=False, include_links=False, favor_precision=True,
                               deduplicate=False, with_metadata=False)
    if not text or len(text.strip()) < MIN_ARTICLE:
        raise DocumentError(f"{path}: no article text found in the HTML page (only navigation or boxes)")
    meta: dict[str, str] = {}
    found = trafilatura.extract_metadata(html)
    if found is not None:
        for key in ("title", "author", "date", "sitename"):
            value = getattr(found, key, None)
            if isinstance(value, str) and value.strip():
                meta[key] = value.strip()
    # trafilatura puts one paragraph per line; the corpus separates paragraphs by a blank line.
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    return Extracted("\n\n".join(paragraphs), "html", meta, ["article text extracted from the HTML page"])
