"""Understanding a question without a language model: its words, its kind and its dates.

A question is folded like any indexed text (:func:`bot.core.text.normalise`), then:

* dates it names ("in May 2025", "27 May 2025", "in 2023", "last year", "this month", and their
  romanised Urdu forms "pichle saal", "is mahine") become one day interval, counted from ``today``
  (already in the server's or console's zone), and leave the words;
* its answer type comes from the question word, English or romanised Urdu ("when"/"kab",
  "how many"/"kitne", "who"/"kaun", "where"/"kahan"), and whether it asks about the future;
* romanised Urdu words with an English meaning ("dora" = visit, "mulaqat" = meeting, "arab" =
  billion) become that meaning, and stop words of both languages go.

What is left are the content words; :mod:`bot.core.fact_index` stems them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import CommandError
from .text import clean_user_text, normalise

MAX_QUESTION = 4000
MAX_WORDS = 16


class Want(StrEnum):
    """What kind of fact answers the question."""

    ANY = "any"
    WHEN = "when"
    NUMBER = "number"
    WHO = "who"
    WHERE = "where"


#: English function words and question words, and their romanised Urdu counterparts. Content
#: words (visit, meeting, billion) are never here: they are what a question is about.
STOP_WORDS = frozenset("""
a an and are as at be been being but by can could did do does doing done for from had has have
having he her hers him his how i if in into is it its me my of off on onto or our ours out over
please she should so some such than that the their theirs them then there these they this those
to too up us very was we were what whats when where which while who whom whose why will with
would you your about after again all also any before between both during each few more most
much many other own same under until via tell show give know let lets find list explain describe
happen happened happening happens thing things anything something there s t
kya kia kiya kab kahan kahaan kaun kon kis kisne kisko kaise kaisay kyun kyon kitne kitna kitni
ka ki ke ko se mein main me men hai hain tha thi thay the hua hui hue huye huwa gaya gayi gaye
ne par pe aur bhi liye liya lie wala wali wale ye yeh woh wo koi kuch tak sath saath hoga hogi
hoge raha rahi rahe batao bataen bataiye btao diya diye di dia kari karna karte kiye liye gai
held hold holds occur occurred occurs took dollar dollars usd rs say said says saying
event events news happenings activities likha likhi likhe bheja bheji bheje kaha kahi kin kinhon kiske
""".split())

#: Romanised Urdu (and a few Azerbaijani) words with the English word the briefs use.
SYNONYMS = {
    "dora": "visit", "daura": "visit", "dorah": "visit", "daurah": "visit", "doray": "visit", "dauray": "visit",
    "mulaqat": "meeting", "mulaqaat": "meeting", "mulakat": "meeting", "mulakaat": "meeting", "milaqat": "meeting",
    "arab": "billion", "karor": "10 million", "crore": "10 million", "lakh": "100000",
    "muahida": "agreement", "muahidah": "agreement", "moahida": "agreement", "muahiday": "agreement",
    "muahidon": "agreement", "moahidon": "agreement",
    "sarmaya": "investment", "sarmayakari": "investment", "tijarat": "trade", "difa": "defence",
    "sadr": "president", "sadar": "president", "wazir": "minister", "wazeer": "minister",
    "azam": "prime", "kharja": "foreign", "kharija": "foreign", "shukriya": "thank", "shukria": "thank",
    "khat": "letter", "dastakhat": "signed", "jang": "war", "mulk": "country", "mumalik": "countries",
    "saal": "year", "sal": "year", "mahina": "month", "mahine": "month", "shehar": "city", "shahar": "city",
    "hamayat": "support", "himayat": "support", "taawun": "cooperation", "tawun": "cooperation",
    "dawat": "invitation", "daawat": "invitation", "bijli": "energy", "tawanai": "energy",
    "mila": "meet", "mile": "meet", "mili": "meet", "shoba": "field", "shobay": "fields", "shobon": "fields",
    "movqe": "position", "movqeyi": "position", "iftitah": "inaugurated", "aghaz": "launch", "hadaf": "goal", "maqsad": "goal", "ilaqa": "region", "amn": "peace", "saddar": "president",
    # Azerbaijani words, matched with their case suffixes (görüşü, səfəri, müharibəsi)
    "gorus": "meeting", "gorusme": "meeting", "ucterefli": "trilateral", "sammit": "summit",
    "razilasma": "agreement", "razilasmasi": "agreement", "sefer": "visit", "mektub": "letter", "muharibe": "war", "prezident": "president",
    "nazir": "minister", "bas": "prime", "xarici": "foreign", "sazis": "agreement",
    "muqavile": "agreement", "anlasma": "agreement", "emekdasliq": "cooperation", "ticaret": "trade",
    "investisiya": "investment", "zefer": "victory", "parad": "parade", "iqlim": "climate", "qaz": "gas",
    "texnologiya": "technology", "mudafie": "defence", "teref": "side", "olke": "country", "olkeler": "countries",
}

#: Words that make a question ask about the past ("when did he visit"): plans and invitations then rank lower.
PAST_WORDS = frozenset("did was were happened hua hui hue huye huwa tha thi thay".split())
#: Words that make a question ask about the future ("when is he expected to visit").
FUTURE_WORDS = frozenset("will expected expect upcoming next future planned plan plans going soon "
                         "scheduled hoga hogi hoge ayenge aaenge karenge".split())

_WHEN = frozenset("when kab date year month day time".split())
_NUMBER = frozenset("many much kitne kitna kitni number amount total".split())
#: "how big", "how long": a measure, so a number answers; the adjective itself says nothing more.
_MEASURE = frozenset("many much big large long far old high often large huge size".split())
_WHO = frozenset("who whom whose kaun kon kisne".split())
_WHERE = frozenset("where kahan kahaan place city venue country town".split())
_WHICH = frozenset("what which kis kaunsa konsa".split())

_MONTHS = {m: k + 1 for k, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTHS.update({m[:3]: k for m, k in list(_MONTHS.items())})
_MONTHS.update({"sept": 9})
_YEAR = r"(1[89]\d\d|2[01]\d\d)"
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}}) {_MONTH} {_YEAR}\b")
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH} (\d{{1,2}}) {_YEAR}\b")
_MONTH_YEAR = re.compile(rf"\b{_MONTH} {_YEAR}\b")
_YEAR_ONLY = re.compile(rf"\b{_YEAR}\b")
_RELATIVE = re.compile(r"\b(last|this|previous|past|next|pichle|pichhle|pichla|is|agle|agla) "
                       r"(year|month|saal|sal|mahine|mahina|maheene)\b")
_MENTION = re.compile(r"<@[!&]?\d+>|<#\d+>|@(?:everyone|here)\b")
_SUFFIX_SPLIT = re.compile(r"\b(\w+?)(?:'s|’s)\b")


@dataclass(frozen=True)
class Question:
    """What a question asks: content words, answer type, a date window and whether it looks ahead."""

    text: str  # as the person wrote it, cleaned for echoing
    words: tuple[str, ...]  # normalised content words, in order, synonyms applied
    want: Want
    future: bool
    past: bool
    window: tuple[dt.date, dt.date] | None  # the days the question is about, inclusive


def clean_question(text: str) -> str:
    """The question made safe to echo, or CommandError when there is no question in it."""
    cleaned = clean_user_text(_MENTION.sub(" ", text[: MAX_QUESTION * 4]), MAX_QUESTION * 4)
    if not cleaned or not normalise(cleaned):
        raise CommandError("Ask a question in words, e.g. 'when did Aliyev visit Pakistan?' or 'LNG'.")
    if len(cleaned) > MAX_QUESTION:
        raise CommandError(f"The question is {len(cleaned)} characters long; keep it under {MAX_QUESTION}.")
    return cleaned


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, 1), nxt - dt.timedelta(days=1)


def _find_window(norm: str, today: dt.date) -> tuple[tuple[dt.date, dt.date] | None, str]:
    """The first date the question names, as an interval, and the text without it."""
    if m := _DAY_MONTH_YEAR.search(norm):
        day, month, year = int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))
    elif m := _MONTH_DAY_YEAR.search(norm):
        month, day, year = _MONTHS[m.group(1)], int(m.group(2)), int(m.group(3))
    else:
        day = 0
        if m := _MONTH_YEAR.search(norm):
            month, year = _MONTHS[m.group(1)], int(m.group(2))
        elif m := _YEAR_ONLY.search(norm):
            month, year = 0, int(m.group(1))
        elif m := _RELATIVE.search(norm):
            back = {"last": -1, "previous": -1, "past": -1, "pichle": -1, "pichhle": -1, "pichla": -1,
                    "next": 1, "agle": 1, "agla": 1}.get(m.group(1), 0)
            if m.group(2) in ("year", "saal", "sal"):
                month, year = 0, today.year + back
            else:
                index = today.year * 12 + today.month - 1 + back
                month, year = index % 12 + 1, index // 12
        else:
            return None, norm
    rest = (norm[: m.start()] + " " + norm[m.end():]).strip()
    try:
        if day:
            exact = dt.date(year, month, day)
            return (exact, exact), rest
    except ValueError:
        pass
    if month:
        return _month_span(year, month), rest
    return (dt.date(year, 1, 1), dt.date(year, 12, 31)), rest


def _meaning(word: str) -> str:
    """A word's English meaning when it is a known romanised Urdu or Azerbaijani word, else itself.

    Azerbaijani adds case suffixes ("səfəri", "görüşü"), so a known stem followed by one to four
    more letters counts too.
    """
    if word in SYNONYMS:
        return SYNONYMS[word]
    for cut in range(1, 5):
        if len(word) - cut >= 4 and word[:-cut] in SYNONYMS:
            return SYNONYMS[word[:-cut]]
    return word


def _want(words: list[str]) -> Want:
    """The answer type from the first question word that says one ("how many" before "who")."""
    for k, word in enumerate(words):
        if word == "how" and k + 1 < len(words) and words[k + 1] in _MEASURE:
            return Want.NUMBER
        if word in _NUMBER and word not in ("many", "much", "number", "amount", "total"):
            return Want.NUMBER
        if word in _WHEN and (word in ("when", "kab") or (k and words[k - 1] in _WHICH)):
            return Want.WHEN
        if word in _WHO:
            return Want.WHO
        if word in _WHERE and (word in ("where", "kahan", "kahaan") or (k and words[k - 1] in _WHICH)):
            return Want.WHERE
    return Want.ANY


def parse_question(text: str, today: dt.date) -> Question:
    """Read a question; CommandError when it has no words at all."""
    cleaned = clean_question(text)
    norm = normalise(_SUFFIX_SPLIT.sub(r"\1", cleaned))
    window, rest = _find_window(norm, today)
    raw = rest.split()
    want = _want(raw)
    # "how big", "which day", "what city": the word after the question word only says what kind of answer
    raw = [w for k, w in enumerate(raw) if not (k and ((raw[k - 1] == "how" and w in _MEASURE)
                                                      or (raw[k - 1] in _WHICH and w in _WHEN | _WHERE)))]
    future = any(w in FUTURE_WORDS for w in raw)
    past = not future and any(w in PAST_WORDS for w in raw)
    words: list[str] = []
    for word in raw:
        for part in _meaning(word).split():
            if (part not in STOP_WORDS and part not in words and part not in FUTURE_WORDS - {"plan", "plans"}
                    and (len(part) > 1 or part.isdigit())):
                words.append(part)
    if not words and not window:  # only stop words: keep them rather than answer nothing
        words = [w for w in dict.fromkeys(raw) if w not in FUTURE_WORDS]
    return Question(cleaned, tuple(words[:MAX_WORDS]), want, future, past, window)
