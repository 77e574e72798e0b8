"""Why a quote is not in its document: the nearest passage, and where the two first part.

A curator who sees only "not found" must hunt through the document for one changed word; this
shows the passage the quote was most likely copied from and the first place they differ.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple

from rapidfuzz import fuzz

from .text import fold_quote


class NearestPassage(NamedTuple):
    passage: str  # the document's words, folded as quotes are compared (white space, quote marks, dashes)
    score: float  # 0-100, how alike
    at: int  # offset in the folded quote where they first differ
    quote_has: str
    document_has: str


def nearest_passage(quote: str, folded_text: str) -> NearestPassage | None:
    """The passage of ``folded_text`` (a document's text after :func:`fold_quote`) nearest to ``quote``."""
    needle = fold_quote(quote)
    if not needle or not folded_text:
        return None
    found = fuzz.partial_ratio_alignment(needle, folded_text)
    if found is None or found.score < 50:
        return None
    start, end = found.dest_start, found.dest_end
    # Widen to whole words, so the passage reads naturally.
    while start > 0 and folded_text[start - 1].isalnum():
        start -= 1
    while end < len(folded_text) and folded_text[end].isalnum():
        end += 1
    passage = folded_text[start:end]
    matcher = difflib.SequenceMatcher(None, needle, passage, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            return NearestPassage(passage, round(found.score, 1), i1,
                                  _around(needle, i1, i2), _around(passage, j1, j2))
    return NearestPassage(passage, round(found.score, 1), len(needle), "", "")


def _around(text: str, start: int, end: int, context: int = 12) -> str:
    """The differing words, with a little context, so ``$3`` reads ``investment to $3 billion``."""
    left = max(0, start - context)
    while left > 0 and text[left - 1].isalnum():
        left -= 1
    right = min(len(text), max(end, start) + context)
    while right < len(text) and text[right].isalnum():
        right += 1
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def describe_misquote(quote: str, folded_text: str, doc_id: str) -> str:
    """The one-line message for a quote not found in ``doc_id``."""
    near = nearest_passage(quote, folded_text)
    if near is None:
        return f"not found in {doc_id}, and no passage of it is close: \"{_cut(quote)}\""
    if not near.quote_has and not near.document_has:
        return f"not found in {doc_id}; nearest passage: \"{_cut(near.passage)}\""
    return (f"not found in {doc_id}; nearest passage ({near.score:.0f}% alike): \"{_cut(near.passage)}\"; "
            f"they first differ at character {near.at + 1}: the quote has \"{near.quote_has}\" where the "
            f"document has \"{near.document_has}\"")


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
