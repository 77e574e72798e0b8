"""Front matter seen in a document's own words: date line, place, title, kind, author, release number.

Only what is visible is taken; what is not is reported as not found, so the curator knows what to
fill in. A date line gives the precision it shows ("January 2026" is a month, not 1 January).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..core.dates import MONTHS, PartialDate

_MONTH = {m.lower(): k + 1 for k, m in enumerate(MONTHS)} | {m[:3].lower(): k + 1 for k, m in enumerate(MONTHS)}
_MONTH_RE = "|".join(sorted(_MONTH, key=len, reverse=True))
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MDY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE)
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
_MY = re.compile(rf"\b({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
_GLUED_DATE = re.compile(r"^date:?\s+(\d{4}-\d{2}-\d{2})\s+", re.IGNORECASE)
_NUMBER = re.compile(r"\b(?:PR|Press Release)\s*No\.?\s*(\d+)\b", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:By|Written by)\s+(.+)$")
_HONORIFIC = re.compile(r"^(?:Mr|Ms|Mrs|Dr|Prof)\.?\s+")
_PLACE = re.compile(r"^([A-Z][A-Za-z]+(?:[ -][A-Z][A-Za-z]+){0,2})\s*[:,–-]\s*$")
HEAD = 12  # the front matter of a document is in its first paragraphs


@dataclass
class FrontMatter:
    published: PartialDate | None = None
    title: str = ""
    place: str = ""
    kind: str = ""
    author: str = ""
    number: str = ""
    detected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_date(text: str) -> tuple[PartialDate, int, int] | None:
    """The first date written in ``text``: (date with its precision, start, end of the words)."""
    found = []
    for pattern in (_ISO, _MDY, _DMY):
        m = pattern.search(text)
        if m:
            groups = m.groups()
            try:
                if pattern is _ISO:
                    y, mo, d = int(groups[0]), int(groups[1]), int(groups[2])
                elif pattern is _MDY:
                    y, mo, d = int(groups[2]), _MONTH[groups[0].lower()], int(groups[1])
                else:
                    y, mo, d = int(groups[2]), _MONTH[groups[1].lower()], int(groups[0])
                dt.date(y, mo, d)
            except (ValueError, KeyError):
                continue
            found.append((PartialDate(y, mo, d), m.start(), m.end()))
    if not found:
        m = _MY.search(text)
        if m:
            found.append((PartialDate(int(m.group(2)), _MONTH[m.group(1).lower()]), m.start(), m.end()))
    return min(found, key=lambda f: f[1]) if found else None


def detect(text: str, meta: dict[str, str]) -> tuple[FrontMatter, str]:
    """The front matter visible in ``text`` (and the page's ``meta``), and the text to keep.

    A date glued to the start of the text ("date 2025-05-27 Prime Minister ...") is moved to the
    front matter; a date line that stands alone ("Islamabad: January 30, 2026") stays in the text,
    since facts quote it.
    """
    fm = FrontMatter()
    paragraphs = text.split("\n\n")
    glued = _GLUED_DATE.match(paragraphs[0])
    if glued:
        fm.published = PartialDate.parse(glued.group(1))
        fm.detected.append(f"published {fm.published.iso()} (day) from '{glued.group(0).strip()}' at the start "
                           "of the text, moved to the front matter")
        fm.notes.append(f"The date line ({glued.group(0).strip()}) moved to metadata")
        paragraphs[0] = paragraphs[0][glued.end():]
    head = paragraphs[:HEAD]
    for para in head:
        if m := _NUMBER.search(para):
            fm.number = f"PR No. {m.group(1)}"
            fm.detected.append(f"press release number {fm.number}")
            break
    for para in head:
        if fm.published is None and len(para) <= 120:
            found = find_date(para)
            if found is not None:
                date, start, _ = found
                fm.published = date
                fm.detected.append(f"published {date.iso()} ({date.precision.value}) from the date line '{para}'")
                if place := _PLACE.match(para[:start]):
                    fm.place = place.group(1).title() if place.group(1).isupper() else place.group(1)
                    fm.detected.append(f"place {fm.place} from the date line")
        if not fm.author and (m := _BYLINE.match(para)) and len(para) < 300:
            _byline(fm, m.group(1))
    if fm.published is None and meta.get("date"):
        try:
            fm.published = PartialDate.parse(meta["date"][:10])
            fm.detected.append(f"published {fm.published.iso()} (day) from the page's metadata")
        except ValueError:
            pass
    _title(fm, head, meta)
    _kind(fm, text)
    if not fm.author and meta.get("author"):
        fm.author = meta["author"]
        fm.detected.append(f"author {fm.author} from the page's metadata")
    return fm, "\n\n".join(p for p in paragraphs if p.strip())


def _byline(fm: FrontMatter, byline: str) -> None:
    parts = [p.strip() for p in byline.split(",")]
    if len(parts) > 1 and _PLACE.match(parts[-1] + ":") and len(parts[-1].split()) <= 2 and not fm.place:
        fm.place = parts.pop()
        fm.detected.append(f"place {fm.place} from the byline")
    fm.author = _HONORIFIC.sub("", ", ".join(parts))
    fm.detected.append(f"author {fm.author} from the byline")


def _is_furniture_line(para: str) -> bool:
    return bool(_NUMBER.fullmatch(para.strip()) or _BYLINE.match(para) or
                (len(para) <= 120 and find_date(para) is not None) or para.lower().startswith("published"))


def _title(fm: FrontMatter, head: list[str], meta: dict[str, str]) -> None:
    if meta.get("heading"):
        fm.title = meta["heading"]
        fm.detected.append("title from the document's heading")
        return
    if meta.get("title"):
        fm.title = re.split(r"\s+[|–—]\s+|\s+-\s+(?=[^-]+$)", meta["title"])[0].strip()
        fm.detected.append("title from the page's metadata")
        return
    for para in head[:4]:
        if 10 <= len(para) <= 160 and not para.endswith(".") and not _is_furniture_line(para):
            fm.title = para
            fm.detected.append("title from the line under the release number" if fm.number
                               else "title from the first line")
            return
    first = next((p for p in head if not _is_furniture_line(p)), "")
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    words = sentence.split()
    fm.title = " ".join(words[:12]) + ("…" if len(words) > 12 else "")
    fm.detected.append("title not visible: the first words of the text were used; edit it")
    fm.notes.append("Title supplied by the curators; the source has none")


def _kind(fm: FrontMatter, text: str) -> None:
    lower = text[:3000].lower()
    title = fm.title.lower()
    if fm.number or "press release" in lower[:500]:
        fm.kind, why = "press release", "a release number" if fm.number else "the words 'press release'"
    elif "statement" in title:
        fm.kind, why = "statement", "the title"
    elif "speech" in title or "address" in title:
        fm.kind, why = "speech", "the title"
    elif fm.author:
        fm.kind, why = "article", "a byline"
    else:
        fm.kind, why = "news report", "no byline or release number (the default)"
    fm.detected.append(f"kind {fm.kind} from {why}")
