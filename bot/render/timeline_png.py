"""A timeline as a PNG picture: one row per event on a vertical line, dated on the left.

Pure Pillow: DejaVu Sans when the system has it (accents and dashes drawn as written), else
Pillow's built-in font, with dashes, quotes and accents folded to what that font can draw.
CPU-bound: the bot calls it through ``asyncio.to_thread`` so the event loop keeps serving.
"""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

from ..core.calendar import Event
from ..core.dates import Precision, human_span

WIDTH = 1100
ROW = 46
TOP = 70
MAX_ROWS = 40
GREEN = (0, 122, 94)
GREY = (110, 110, 110)
INK = (25, 25, 25)


_SYSTEM_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf")


def _font(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    """A font and whether it covers accents and dashes (DejaVu does; Pillow's built-in does not)."""
    for path in _SYSTEM_FONTS:
        try:
            return ImageFont.truetype(path, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _plain(text: str) -> str:
    """Fold what the built-in font cannot draw: dashes and quotes to ASCII, accents dropped."""
    import unicodedata

    table: dict[str, str | int | None] = {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"',
                                          "ı": "i", "ə": "e", "Ə": "E"}
    text = text.translate(str.maketrans(table))
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def render_timeline_png(events: list[Event], title: str) -> bytes:
    """PNG bytes of the timeline; at most 40 rows, with a note when more were left out."""
    shown = events[:MAX_ROWS]
    extra = len(events) - len(shown)
    height = TOP + ROW * max(1, len(shown)) + (40 if extra else 20)
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    (big, full), (small, _) = _font(22), _font(15)
    fix = (lambda t: t) if full else _plain
    draw.text((24, 20), fix(title[:90]), fill=INK, font=big)
    draw.text((WIDTH - 330, 26), fix("● exact day   ○ month or year only") if full else "filled: exact day; "
              "hollow: month/year", fill=GREY, font=small)
    axis_x = 230
    draw.line([(axis_x, TOP - 10), (axis_x, TOP + ROW * max(1, len(shown)) - 10)], fill=GREY, width=2)
    if not shown:
        draw.text((axis_x + 20, TOP), "No dated events.", fill=GREY, font=small)
    for k, event in enumerate(shown):
        y = TOP + k * ROW
        exact = event.date.precision is Precision.DAY and not event.fact.precision
        when = human_span(event.date, event.end, event.fact.precision)
        draw.text((24, y), fix(when), fill=INK if exact else GREY, font=small)
        r = 7 if exact else 5
        draw.ellipse([(axis_x - r, y + 8 - r), (axis_x + r, y + 8 + r)], fill=GREEN if exact else "white",
                     outline=GREEN, width=2)
        lines = textwrap.wrap(fix(event.fact.text), width=100)[:2]
        for j, line in enumerate(lines):
            draw.text((axis_x + 22, y + j * 18), line, fill=INK, font=small)
    if extra:
        draw.text((24, height - 32), f"… and {extra} more event(s) in the list", fill=GREY, font=small)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
