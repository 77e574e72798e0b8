"""Discord's message limits, and packing text into them without cutting a fact in half."""

from __future__ import annotations

import re

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT = 2000
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def shorten(text: str, limit: int) -> str:
    """Fit text in ``limit`` characters, ending at a sentence or word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    window = text[: limit - 1]
    ends = [m.start() for m in _SENTENCE_END.finditer(window)]
    if ends and ends[-1] >= limit // 3:
        return window[: ends[-1]].rstrip()
    space = window.rfind(" ")
    return (window[:space] if space > limit // 2 else window).rstrip() + "…"


def pack_lines(lines: list[str], limit: int, joiner: str = "\n") -> list[str]:
    """Group whole lines into chunks of at most ``limit`` characters.

    A line is never split between chunks; a single line longer than ``limit`` is shortened at a
    sentence boundary (facts are capped well below any limit, so this is a safety net).
    """
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = shorten(line, limit)
        candidate = f"{current}{joiner}{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = line
    if current:
        chunks.append(current)
    return chunks
