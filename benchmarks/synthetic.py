"""Synthetic catalogs shaped like Safeer's real briefs, for benchmarks and scale tests.

``generate(n)`` makes ``n`` briefs (persons, topics and document briefs in the real mix), each with
about 8 names (title, aliases with spelling variants, Azerbaijani and Urdu forms, the id) and about
5 sourced facts, plus a corpus whose documents contain every quote, so the catalog validates.
Words come from the real briefs' vocabulary; proper nouns are made from syllables of the real
names, so a 10,000-brief catalog has the large vocabulary of many people and places.

Everything is deterministic for a given ``(n, seed)``. ``write_tree`` writes the catalog as real
files (``briefs/*.yaml``, ``corpus/*.md``) and reuses an existing tree with the same stamp;
``make_briefs`` builds the same briefs in memory (for 100k runs, where only search is measured).
``queries`` gives a fixed, labelled query set: exact names, misspellings, spelling variants,
questions, word mixes and unrelated text; ``keystrokes`` gives the prefixes autocomplete sees.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.briefs import Brief, Fact
from bot.core.dates import PartialDate
from bot.core.text import normalise

GENERATOR_VERSION = 3
SEED = 20250527

# Content words of the real briefs and corpus (a fixed copy, so results do not move with the data).
WORDS = """according acknowledged across action added advance advancing after agreed agreement agreements
agricultural agriculture alignment also among announced appreciation areas arena arrangement arrival article
backs basis beneficial benefit bilateral billion bolster bond bonds boost borders brighter broaden brother
brotherly brought built call called cargo carried celebrated center centre change citing city climate close
closely closer collaboration collaborative commerce commitment commitments committed common community company
comprehensive concluded confidence confident conflict confrontation connectivity consistently continue
convenience conveyed cooperation coordinate coordinated coordination counter counterterrorism countries country
create cultural culture current deal dedication deep deepening defence defense delegation delegations deliver
deputy development developments dignitary dimension diplomacy diplomatic director discussed discussions diverse
diversifying document economic economies economy education efforts elevating embarking embracing emotional
emphasised emphasized energy engaged enhance enhancing enjoy ensure envoy establish established establishing
establishment eternal event exchange executive expanding expected export exports expressed expressing extend
facilitate fair felicitations fields finalizing firmly flourishing fondly foreign forum forums forward fostering
foundation framework fraternal friendship front fulfilling full furniture further future gas gathering global
goal good governance greetings groundwork growth handed heartfelt held highlight historically holding host house
importance important inaugural inaugurated including increase independence indicating industry information
initiatives institutional integrity interest international internationally investment inviolability invitation
issue issues joint journey justice key kind laid lauded law leaders leadership letter level levels liquefied
logistics longstanding maintain maintaining markets mechanisms meeting meetings memoranda message met milestone
military million minerals mines minister moments month multifaceted mutual mutually national nations natural
noted noting numerous objective objectives occasion offer office official oil opportunities organized parade
partnership partnerships peace people peoples political position positions positive potential praised
president presidential press previous prime principled priority products programmes progress projects promise
promote proposal proposed prospects prosperity prosperous provided provocation public raised ready reaffirmed
reaffirming realization recalled received recent recognised reflecting regional regular regularly reiterated
relations relationship release renewed report reported representative republic requirements research resilience
resolve respect restoration reviewed robust sagacious satisfaction science sector sectors security shared
signed significance significant signing solidarity sovereignty speaking special spectrum stability stance
standing state stating steadfast strategic strengthen strengthening stressed strong success successes summit
supplied support supported sustainable symbolic talks technology territorial terrorism textile textiles thanked
ties together tourism towards trade trajectory transport transportation trilateral tripartite underscored
understanding undertake unequivocally united unprecedented unwavering upcoming upward values various ventures
victory vision visit visited visiting warm welcome welcoming wise working""".split()

# Syllables of the real names (Aliyev, Bayramov, Khalafov, Shehbaz, Ishaq, Taimur, Lachin, ...).
_ONSETS = ["", "b", "d", "f", "g", "h", "j", "k", "kh", "l", "m", "n", "q", "r", "s", "sh", "t", "v", "y", "z",
           "ch", "gh", "br", "st"]
_VOWELS = ["a", "e", "i", "o", "u", "a", "e", "i", "aa", "ey", "ai", "ia"]
_CODAS = ["", "", "n", "r", "m", "l", "s", "z", "d", "b", "k", "q", "f", "sh", "h"]
_SURNAME_ENDS = ["ov", "ova", "ev", "yev", "li", "zada", "zade", "bayli", "oglu", "i", "ani", "khan", "ullah"]
_PLACE_ENDS = ["abad", "pur", "kent", "stan", "an", "li", "gah", "shahr", "kot", "chay", "dara", "garh"]
_ROLES = ["Foreign Minister of Azerbaijan", "Prime Minister of Pakistan", "Ambassador of Pakistan to Azerbaijan",
          "Ambassador of Azerbaijan to Pakistan", "Deputy Foreign Minister", "Minister of Energy",
          "Minister of Economy", "Chairman of the Senate", "Speaker of the National Assembly",
          "Chief of Army Staff", "Governor of the State Bank", "President of SOCAR", "Commerce Secretary",
          "Special Envoy for Connectivity", "Mayor of Baku", "Chief Minister of Punjab"]
_ROLE_SHORT = {"Foreign Minister": "FM", "Prime Minister": "PM", "Ambassador": "Ambassador", "Minister": "Minister",
               "Chairman": "Chairman", "Speaker": "Speaker", "Chief": "Chief", "Governor": "Governor",
               "President": "President", "Commerce": "Secretary", "Special": "Envoy", "Mayor": "Mayor",
               "Deputy": "Deputy"}
_SUBJECTS = ["Energy", "Trade", "Investment", "Defence", "Culture", "Education", "Climate", "Tourism",
             "Connectivity", "Technology", "Agriculture", "Diplomacy", "Security", "Health", "Transport",
             "Banking", "Aviation", "Mining", "Textiles", "Media"]
_EVENTS = ["agreement", "summit", "forum", "corridor", "pipeline", "visit", "meeting", "memorandum", "exhibition",
           "conference", "talks", "festival", "programme", "commission", "dialogue", "exercise", "treaty",
           "partnership", "railway", "scholarship"]
_TAGS = ["energy", "trade", "investment", "defence", "security", "diplomacy", "visit", "culture", "education",
         "climate", "tourism", "connectivity", "technology", "agriculture", "person", "leaders", "pakistan",
         "azerbaijan", "turkiye", "economy", "governance", "cooperation", "overview", "mou", "health", "transport",
         "banking", "media", "mining", "textiles", "aviation", "peace", "kashmir", "karabakh", "summit", "documents"]
_OUTLETS = ["pmo", "mofa", "news", "dawn", "trend", "apa", "app", "azertac", "express", "nation"]
_DOC_KINDS = ["press release", "news report", "article", "statement", "speech", "report"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_VERBS = ["signed", "discussed", "reviewed", "welcomed", "proposed", "announced", "praised", "inaugurated",
          "reaffirmed", "emphasised", "visited", "hosted", "attended", "supported", "concluded"]
_UNRELATED = ["recipe for biryani", "weather in london tomorrow", "football world cup final", "python asyncio tutorial",
              "how to bake bread", "bitcoin price", "xyzzy", "best pizza near me", "install printer driver",
              "guitar chords for beginners", "netflix subscription cost", "quantum physics lecture",
              "dog grooming tips", "marathon training plan", "zqvx plomb frizzle", "how tall is mount everest"]
# Latin → Urdu script, letter by letter (good enough to put Arabic-script words in the vocabulary).
_URDU = {"a": "ا", "b": "ب", "c": "ک", "d": "د", "e": "ی", "f": "ف", "g": "گ", "h": "ہ", "i": "ی", "j": "ج",
         "k": "ک", "l": "ل", "m": "م", "n": "ن", "o": "و", "p": "پ", "q": "ق", "r": "ر", "s": "س", "t": "ت",
         "u": "و", "v": "و", "w": "و", "x": "خ", "y": "ی", "z": "ز", " ": " "}


@dataclass
class FactSpec:
    text: str
    source: str
    quote: str
    date: str | None = None
    inferred_from: str = ""


@dataclass
class BriefSpec:
    id: str
    title: str
    kind: str
    aliases: list[str]
    tags: list[str]
    summary: str
    facts: list[FactSpec] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    #: For query generation: the main proper nouns of the brief.
    keywords: list[str] = field(default_factory=list)


@dataclass
class DocSpec:
    id: str
    title: str
    author: str
    kind: str
    published: str
    place: str
    sentences: list[str] = field(default_factory=list)


@dataclass
class Synthetic:
    briefs: list[BriefSpec]
    documents: list[DocSpec]
    seed: int


@dataclass(frozen=True)
class Query:
    text: str
    kind: str  # exact | typo | variant | question | words | prefix | unrelated
    intended: str | None  # the brief the query was made from (None for unrelated)


# -- words ------------------------------------------------------------------------------------


def _syllable(rng: random.Random) -> str:
    return rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)


def _proper(rng: random.Random, ends: list[str], syllables: tuple[int, int] = (1, 2)) -> str:
    word = "".join(_syllable(rng) for _ in range(rng.randint(*syllables))) + rng.choice(ends)
    word = re.sub(r"(.)\1\1+", r"\1\1", word)
    return word[:1].upper() + word[1:]


def variant(word: str, rng: random.Random) -> str:
    """Another spelling people use for the same name (Aliyev/Aliev, Shehbaz/Shahbaz, Khalafov/Khalafof)."""
    rules = [("yev", "ev"), ("ov", "of"), ("eh", "ah"), ("aa", "a"), ("ee", "i"), ("q", "k"), ("kh", "k"),
             ("sh", "sch"), ("z", "s"), ("ai", "ay"), ("ia", "iya"), ("y", "i"), ("u", "oo"), ("i", "ee"), ("e", "a")]
    rng.shuffle(rules)
    low = word.lower()
    for old, new in rules:
        if old in low:
            at = low.find(old)
            out = low[:at] + new + low[at + len(old):]
            return out[:1].upper() + out[1:]
    return word + "h"


def azerbaijani(text: str) -> str:
    """The Azerbaijani spelling: kh → x, sh → ş, ch → ç, j → c, e → ə (as in Xələf Xələfov)."""
    out = text.replace("kh", "x").replace("Kh", "X").replace("sh", "ş").replace("Sh", "Ş")
    out = out.replace("ch", "ç").replace("Ch", "Ç").replace("j", "c").replace("J", "C")
    return out.replace("e", "ə")


def urdu(text: str) -> str:
    return "".join(_URDU.get(ch, "") for ch in text.lower())


def typo(word: str, rng: random.Random) -> str:
    """One slip of the keyboard: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(["drop", "swap", "replace", "double"])
    if op == "drop":
        return word[:i] + word[i + 1:]
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioulnrstkm") + word[i + 1:]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalise(text)).strip("-")


def _sentence(rng: random.Random, subject: str, n: int) -> str:
    words = rng.sample(WORDS, n)
    return f"{subject} {rng.choice(_VERBS)} " + " ".join(words) + "."


# -- the catalog ------------------------------------------------------------------------------


def generate(n: int, seed: int = SEED) -> Synthetic:
    """``n`` briefs and a corpus that backs every quote; same output for the same ``(n, seed)``."""
    rng = random.Random(f"{seed}:{n}")
    n_docs = max(3, n // 40)
    docs: list[DocSpec] = []
    for k in range(n_docs):
        outlet = rng.choice(_OUTLETS)
        place = _proper(rng, _PLACE_ENDS)
        year = rng.randint(2020, 2025)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        doc_id = f"{outlet}-{year}-{month:02d}-{day:02d}-{_slug(place)}-{k}"
        docs.append(DocSpec(doc_id, f"{place} {rng.choice(_EVENTS)} {rng.choice(WORDS)}",
                            f"{outlet.upper()} staff", rng.choice(_DOC_KINDS), f"{year}-{month:02d}-{day:02d}",
                            place))
    first_names = [_proper(rng, ["", "", "ad", "ar", "im", "ur", "a"], (1, 2)) for _ in range(max(50, n // 20))]
    used: set[str] = set()
    briefs: list[BriefSpec] = []

    def claim(name: str) -> bool:
        key = normalise(name)
        if not key or key in used:
            return False
        used.add(key)
        return True

    kinds = ["person"] * 3 + ["topic"] * 5 + ["document"] * 2
    while len(briefs) < n:
        kind = rng.choice(kinds)
        spec = _person(rng, first_names, claim) if kind == "person" else _topic(rng, claim, kind)
        if spec is None:
            continue
        spec.tags = sorted(set(rng.sample(_TAGS, rng.randint(2, 3)) + (["person"] if kind == "person" else [])))
        _facts(rng, spec, docs)
        briefs.append(spec)
    ids = [b.id for b in briefs]
    for b in briefs:
        b.related = sorted({rng.choice(ids) for _ in range(rng.randint(0, 3))} - {b.id})
    return Synthetic(briefs, docs, seed)


def _person(rng: random.Random, first_names: list[str], claim: object) -> BriefSpec | None:
    assert callable(claim)
    first = rng.choice(first_names)
    last = _proper(rng, _SURNAME_ENDS)
    full = f"{first} {last}"
    role = rng.choice(_ROLES)
    brief_id = _slug(full)
    title = f"{full}, {role}"
    if not claim(brief_id.replace("-", " ")) or not claim(title):
        return None
    short = _ROLE_SHORT.get(role.split()[0] if role.split()[0] != "Foreign" else "Foreign Minister", "Minister")
    candidates = [full, last, f"{first} {variant(last, rng)}", f"{variant(first, rng)} {last}", azerbaijani(full),
                  urdu(full), f"{short} {last}", f"{rng.choice(['Mr', 'H.E.', 'Dr'])} {full}"]
    aliases = [a for a in dict.fromkeys(candidates) if claim(a)]
    summary = (f"{full} is the {role}. " + _sentence(rng, last, rng.randint(8, 14))
               + " " + _sentence(rng, "He", rng.randint(6, 10)))
    return BriefSpec(brief_id, title, "person", aliases, [], summary, keywords=[first, last])


def _topic(rng: random.Random, claim: object, kind: str) -> BriefSpec | None:
    assert callable(claim)
    subject = rng.choice(_SUBJECTS)
    place = _proper(rng, _PLACE_ENDS)
    event = rng.choice(_EVENTS)
    year = rng.randint(1995, 2024)
    if kind == "document":
        outlet = rng.choice(_OUTLETS)
        title = f"{outlet.upper()} {rng.choice(['press release', 'report', 'statement'])}: {place} {event}, {year}"
        brief_id = f"doc-{outlet}-{year}-{_slug(place)}-{event}"
        candidates = [f"{outlet} {place} {event}", f"{place} {event} {year}", f"{outlet.upper()} {year} {event}",
                      f"{place} {year}"]
    else:
        title = f"{subject}: the {year} {place} {event}"
        brief_id = f"{_slug(place)}-{event}-{year}"
        candidates = [f"{place} {event}", f"{place} {event} {year}", f"{event} in {place}",
                      f"{variant(place, rng)} {event}", azerbaijani(f"{place} {event}"), urdu(place),
                      f"{subject.lower()} {event} {year}", f"{place} {rng.choice(WORDS)} {event}"]
    if not claim(brief_id.replace("-", " ")) or not claim(title):
        return None
    aliases = [a for a in dict.fromkeys(candidates) if claim(a)]
    summary = (f"The {year} {place} {event} on {subject.lower()}. " + _sentence(rng, place, rng.randint(8, 14))
               + " " + _sentence(rng, "It", rng.randint(6, 10)))
    return BriefSpec(brief_id, title, kind, aliases, [], summary, keywords=[place, event, subject.lower()])


def _facts(rng: random.Random, spec: BriefSpec, docs: list[DocSpec]) -> None:
    who = spec.keywords[-1] if spec.kind == "person" else spec.keywords[0]
    for _ in range(rng.choice([4, 5, 5, 5, 6])):
        doc = rng.choice(docs)
        words = rng.sample(WORDS, rng.randint(6, 11))
        verb = rng.choice(_VERBS)
        other = rng.choice(docs).place
        quote = f"{who} {verb} {' '.join(words)} with {other}"
        text = f"{who} {verb} {' '.join(words[:-2])} with officials from {other}."
        date: str | None = None
        inferred = ""
        doc_year = int(doc.published[:4])
        r = rng.random()
        if r < 0.35:
            date = f"{doc_year - rng.randint(0, 3)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if date > doc.published:
                date = doc.published
        elif r < 0.5:
            date = f"{doc_year - rng.randint(1, 3)}-{rng.randint(1, 12):02d}"
            inferred = f"last {_MONTHS[int(date[5:]) - 1]}"
        elif r < 0.6:
            date = str(doc_year - rng.randint(1, 5))
        doc.sentences.append(f"According to officials, {quote}, the {doc.kind} said.")
        spec.facts.append(FactSpec(text, doc.id, quote, date, inferred))


# -- files ------------------------------------------------------------------------------------


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def brief_yaml(b: BriefSpec) -> str:
    """A brief in the real files' style: quoted title, block alias list, folded summary, fact list."""
    lines = [f"id: {b.id}", f"title: {_q(b.title)}", f"kind: {b.kind}", "aliases:"]
    lines += [f"  - {_q(a)}" for a in b.aliases]
    lines.append(f"tags: [{', '.join(b.tags)}]")
    lines.append("summary: >-")
    words, row = b.summary.split(), ""
    for w in words:
        if row and len(row) + len(w) > 90:
            lines.append("  " + row)
            row = ""
        row = f"{row} {w}" if row else w
    lines.append("  " + row)
    lines.append("facts:")
    for f in b.facts:
        lines.append(f"  - text: {_q(f.text)}")
        lines.append(f"    source: {f.source}")
        lines.append(f"    quote: {_q(f.quote)}")
        if f.date:
            lines.append(f"    date: {f.date if len(f.date) != 7 else _q(f.date)}")
        if f.inferred_from:
            lines.append(f"    inferred_from: {_q(f.inferred_from)}")
    if b.related:
        lines.append(f"related: [{', '.join(b.related)}]")
    return "\n".join(lines) + "\n"


def document_md(d: DocSpec) -> str:
    head = [
        "---", f"id: {d.id}", f"title: {_q(d.title)}", f"author: {_q(d.author)}", f"kind: {d.kind}",
        f"published: {d.published}", "precision: day", f"place: {d.place}", f"original_file: {d.id}.txt", "---", "",
    ]
    paragraphs = [" ".join(d.sentences[i:i + 6]) for i in range(0, len(d.sentences), 6)] or ["No text."]
    return "\n".join(head) + "\n\n".join([d.title, *paragraphs]) + "\n"


def write_tree(n: int, root: Path, seed: int = SEED) -> tuple[Path, Path]:
    """Write (or reuse) ``root/briefs`` and ``root/corpus`` for ``n`` briefs; return both folders."""
    briefs_dir, corpus_dir = root / "briefs", root / "corpus"
    stamp = root / "STAMP"
    want = f"{GENERATOR_VERSION}:{seed}:{n}"
    if stamp.exists() and stamp.read_text() == want:
        return briefs_dir, corpus_dir
    syn = generate(n, seed)
    for d in (briefs_dir, corpus_dir):
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            old.unlink()
    for b in syn.briefs:
        (briefs_dir / f"{b.id}.yaml").write_text(brief_yaml(b), encoding="utf-8")
    for d in syn.documents:
        (corpus_dir / f"{d.id}.md").write_text(document_md(d), encoding="utf-8")
    stamp.write_text(want)
    return briefs_dir, corpus_dir


def make_briefs(syn: Synthetic) -> list[Brief]:
    """The same briefs as the files would give, built in memory (no YAML), sorted by id."""
    out = []
    for b in syn.briefs:
        facts = tuple(Fact(text=f.text, source=f.source, quote=f.quote, line=0,
                           date=PartialDate.parse(f.date) if f.date else None, inferred_from=f.inferred_from)
                      for f in b.facts)
        out.append(Brief(id=b.id, title=b.title, kind=b.kind, aliases=tuple(b.aliases), tags=tuple(b.tags),
                         summary=b.summary, facts=facts, related=tuple(b.related), path=f"{b.id}.yaml"))
    return sorted(out, key=lambda x: x.id)


# -- queries ----------------------------------------------------------------------------------


def queries(syn: Synthetic, count: int = 300, seed: int = SEED) -> list[Query]:
    """A fixed query mix over the catalog: what curators and readers really type."""
    rng = random.Random(f"q:{seed}:{len(syn.briefs)}")
    mix = (["exact"] * 5 + ["typo"] * 6 + ["variant"] * 2 + ["question"] * 3 + ["words"] * 2 + ["prefix"] * 2
           + ["unrelated"] * 2)
    out: list[Query] = []
    while len(out) < count:
        kind = rng.choice(mix)
        b = rng.choice(syn.briefs)
        names = [b.title, *b.aliases]
        if kind == "unrelated":
            out.append(Query(rng.choice(_UNRELATED), kind, None))
            continue
        if kind == "exact":
            text = rng.choice(names)
        elif kind == "typo":
            words = rng.choice(names[:4]).split()
            long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
            if not long:
                continue
            i = rng.choice(long)
            words[i] = typo(words[i], rng)
            text = " ".join(words)
        elif kind == "variant":
            text = " ".join(variant(w, rng) if len(w) >= 5 else w for w in b.keywords[:2])
        elif kind == "question":
            fact = rng.choice(b.facts)
            content = [w.strip(".,") for w in fact.text.split()[1:] if len(w) >= 6]
            picked = rng.sample(content, min(len(content), 2))
            text = rng.choice(["What did {k} say about {w}?", "{k} {w}", "when was the {w} with {k}"]).format(
                k=b.keywords[-1] if b.kind == "person" else b.keywords[0], w=" ".join(picked))
        elif kind == "words":
            text = f"{b.keywords[-1] if b.kind == 'person' else b.keywords[0]} {rng.choice(b.tags)}"
        else:  # prefix of a name, as typed so far
            name = rng.choice(names[:3])
            text = name[: rng.randint(3, max(3, len(name) - 1))]
        out.append(Query(text, kind, b.id))
    return out


def keystrokes(qs: list[Query], count: int = 400) -> Iterator[str]:
    """What autocomplete sees while those queries are typed: every prefix, one keystroke at a time."""
    made = 0
    for q in qs:
        for k in range(1, len(q.text) + 1):
            yield q.text[:k]
            made += 1
            if made >= count:
                return
