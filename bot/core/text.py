"""Text normalisation shared by search and quote checking.

Two different foldings live here on purpose:

* :func:`fold_quote` is *strict*: it only forgives typography (runs of white space, curly vs
  straight quotes, dash kinds), so a quote that passes really is in the document.
* :func:`normalise` is *loose*: case, accents, the Azerbaijani letters, punctuation and money
  spellings are folded so that "Shahbaz", "Şəhbaz" and "shehbaz" meet in the index.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that carry no meaning for matching but can hide inside pasted text.
INVISIBLE = dict.fromkeys(
    [
        0x00AD,  # soft hyphen
        0x061C,  # arabic letter mark
        0x180E,
        *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2060, 0x2065),  # word joiner etc.
        *range(0x2066, 0x206A),  # bidi isolates
        0xFEFF,  # byte order mark
    ]
)

_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
    }
)
_SPACE = re.compile(r"\s+")


def fold_quote(text: str) -> str:
    """Fold only typography: white space runs, quote marks and dashes. Used to verify quotes."""
    return " ".join(text.translate(_QUOTES).split())  # str.split() and re's \s: the same white space


# Letters that Unicode decomposition does not reduce to ASCII.
_LETTERS = str.maketrans(
    {
        "ə": "e", "Ə": "e", "ı": "i", "İ": "i", "ß": "ss", "ø": "o", "Ø": "o",
        "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "Ł": "l", "ħ": "h",
        # Arabic-script variants used interchangeably in Urdu text
        "ي": "ی", "ى": "ی", "ك": "ک", "ە": "ہ", "ة": "ہ", "ۀ": "ہ", "ۂ": "ہ",
    }
)
_NUMBER_WORDS = {"bn": "billion", "b": "billion", "billion": "billion", "mn": "million",
                 "m": "million", "million": "million"}
_MONEY = re.compile(r"(?<![\w.])\$\s*(?=\d)|\busd\s*(?=\d)|\bus\$\s*(?=\d)")
_NUM_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(bn|b|billion|mn|m|million)\b")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # 2,500 and 2,500mn, not 2,5
_DIGIT = re.compile(r"\d")
#: What ``_NON_WORD`` removes, for ASCII text: everything but letters and digits (``_`` too).
_ASCII_NON_WORD = str.maketrans(dict.fromkeys((c for c in map(chr, range(128)) if not c.isalnum()), " "))


def strip_invisible(text: str) -> str:
    """Remove zero-width and bidi control characters and other control characters."""
    text = text.translate(INVISIBLE)
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)


def normalise(text: str) -> str:
    """Fold text for matching: lower case, no accents, no punctuation, one space between words.

    "USD 2bn", "$2 billion" and "2 billion" all become "2 billion"; "Şəhbaz" becomes "sehbaz".
    """
    return " ".join(normalised_words(text))


def normalised_words(text: str) -> list[str]:
    """The words of :func:`normalise` (``normalise(text).split()``, without joining them first).

    Called for every name and fact at load time, so the common cases skip work that cannot
    change them: plain ASCII needs no Unicode folding, text without digits no money rules.
    """
    if text.isascii():
        text = text.lower() if text.isprintable() else strip_invisible(text).lower()
    else:
        text = strip_invisible(text).translate(_LETTERS).casefold().translate(_LETTERS)
        text = unicodedata.normalize("NFKD", text)
        if not text.isascii():
            text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = text.translate(_LETTERS)
    if _DIGIT.search(text) is not None:
        if "," in text:
            text = _DIGITS_COMMA.sub("", text)
        if "$" in text or "usd" in text:
            text = _MONEY.sub(" ", text)
        text = _NUM_UNIT.sub(lambda m: f"{m.group(1)} {_NUMBER_WORDS[m.group(2)]}", text)
    if text.isascii():  # str.translate is several times faster than the regular expression
        return text.translate(_ASCII_NON_WORD).split()
    return _NON_WORD.sub(" ", text).replace("_", " ").split()


STOPWORDS = frozenset(
    (
        "a an and are as at be by for from has have in is it its of on or that the this to was were will with "
        "what who when where which how did does do about between tell me show give please"
    ).split()
)


def tokens(normalised: str) -> list[str]:
    """Split normalised text into words, dropping stop words unless nothing else is left."""
    words = normalised.split()
    kept = [w for w in words if w not in STOPWORDS]
    return kept or words


def clean_user_text(text: str, limit: int) -> str:
    """Make user input safe to echo: no invisible or control characters, bounded length."""
    text = _SPACE.sub(" ", strip_invisible(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
