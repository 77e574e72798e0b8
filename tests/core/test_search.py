"""Search quality on questions written from the three documents.

Each case names the brief a demanding reader expects first. Exact names, misspellings,
variant spellings, Azerbaijani and Urdu forms, questions in plain words, and unrelated queries.
"""

from __future__ import annotations

import pytest

from bot.core.library import Library
from bot.core.search import MIN_SCORE, STRONG_SCORE, SearchIndex

EXPECTED_FIRST = [
    # exact names and aliases
    ("investment", "investment"), ("LNG", "energy-lng"), ("SOCAR", "energy-lng"), ("Lachin", "lachin-meeting-2025"),
    ("Asaan Khidmat Markaz", "asaan-khidmat-markaz"), ("COP29", "cop29-climate"), ("Kashmir", "karabakh-kashmir"),
    ("Victory Parade", "victory-parade-baku"), ("Maarka-e-Haq", "pakistan-india-2025"), ("15 MoUs", "aliyev-visit-2024"),
    # misspelt
    ("azerbijan invesment", "investment"), ("shebaz sharif", "shehbaz-sharif"), ("Khalafof", "khalaf-khalafov"),
    ("Bayramof", "jeyhun-bayramov"), ("asan khidmat", "asaan-khidmat-markaz"), ("victry parade", "victory-parade-baku"),
    ("karabak", "karabakh-kashmir"), ("logistcs", "trade"),
    # variant spellings
    ("Shahbaz Sharif", "shehbaz-sharif"), ("Muhammad Shahbaz Sharif", "shehbaz-sharif"), ("Aliev", "ilham-aliyev"),
    ("Turkey trilateral", "trilateral"), ("Türkiye", "trilateral"), ("Turkiye", "trilateral"), ("$2 billion", "investment"),
    ("2bn investment", "investment"), ("USD 100 million", "investment"), ("Socar LNG cargo", "energy-lng"),
    # Azerbaijani and Urdu
    ("İlham Əliyev", "ilham-aliyev"), ("Xələf Xələfov", "khalaf-khalafov"), ("Laçın", "lachin-meeting-2025"),
    ("Qarabağ", "karabakh-kashmir"), ("شہباز شریف", "shehbaz-sharif"), ("کشمیر", "karabakh-kashmir"),
    # questions in plain words
    ("When did Aliyev visit Pakistan?", "aliyev-visit-2024"), ("Which company offers LNG cargoes?", "energy-lng"),
    ("What letter did Khalafov hand over?", "khalafov-call-2026"), ("How many MoUs were signed?", "aliyev-visit-2024"),
    ("tripartite mechanisms Kazakhstan summit", "trilateral"), ("delegation level talks", "investment"),
    ("information technology forum 2022", "technology"), ("textile industry markets", "trade"),
    ("joint counter-terrorism", "defence-counter-terrorism"), ("Foreign Minister Ishaq Dar", "ishaq-dar"),
]

UNRELATED = ["recipe for biryani", "weather in london tomorrow", "football world cup final", "python asyncio tutorial",
             "pakistan cricket score", "how to bake bread", "xyzzy", "bitcoin price"]


@pytest.fixture(scope="module")
def index(library: Library) -> SearchIndex:
    return library.index


@pytest.mark.parametrize(("query", "expected"), EXPECTED_FIRST)
def test_expected_brief_first(index: SearchIndex, query: str, expected: str) -> None:
    result = index.search(query, limit=3)
    assert result.matches, f"no result for {query!r}; suggestions {result.suggestions}"
    assert result.matches[0].brief.id == expected, [(m.brief.id, m.score) for m in result.matches]


@pytest.mark.parametrize("query", UNRELATED)
def test_unrelated_queries_return_nothing(index: SearchIndex, query: str) -> None:
    assert index.search(query).matches == ()


def test_tiers_exact_over_prefix_over_fuzzy_over_body(index: SearchIndex) -> None:
    exact = index.search("Lachin").matches[0].score
    prefix = index.search("Lachi", limit=1).matches[0].score
    fuzzy = index.search("Lahcin meeting", limit=1).matches[0].score
    body_only = max(m.score for m in index.search("Lachin").matches[2:]) if len(index.search("Lachin").matches) > 2 \
        else MIN_SCORE
    assert exact == 100 and exact > prefix > fuzzy > body_only


def test_weak_match_offers_suggestions(index: SearchIndex) -> None:
    result = index.search("pakistan cricket")
    assert not result.matches or result.weak
    assert result.suggestions  # "did you mean" instead of a wrong answer


def test_autocomplete_for_typo_offers_investment_first(index: SearchIndex) -> None:
    choices = index.complete("azerbijan invesment")
    assert choices[0][1] == "investment"
    assert len(choices) <= 25 and all(1 <= len(label) <= 100 and len(value) <= 100 for label, value in choices)


def test_autocomplete_prefix_and_empty(index: SearchIndex) -> None:
    assert index.complete("khal")[0][1] in {"khalaf-khalafov", "khalafov-call-2026"}
    assert len(index.complete("")) == min(25, len(index))


def test_resolve_accepts_id_name_or_typed_text(index: SearchIndex) -> None:
    assert index.resolve("energy-lng") is not None and index.resolve("energy-lng").id == "energy-lng"  # type: ignore[union-attr]
    assert index.resolve("Shahbaz").id == "shehbaz-sharif"  # type: ignore[union-attr]
    assert index.resolve("recipe for biryani") is None


def test_hostile_text_is_handled(index: SearchIndex) -> None:
    for query in ["@everyone", "<@&1234>", "**LNG**", "L\u200bN\u200bG", "\u202eLNG", "x" * 10_000, "\x00\x01"]:
        index.search(query)  # never raises
    assert index.search("**LNG**").matches[0].brief.id == "energy-lng"
    assert index.search("L\u200bN\u200bG").matches[0].brief.id == "energy-lng"


def test_thresholds_are_ordered() -> None:
    assert 0 < MIN_SCORE < STRONG_SCORE < 100


def test_letter_masks_of_many_words_equal_one_at_a_time() -> None:
    import random

    from bot.core.search_arrays import letter_mask as _letter_mask
    from bot.core.search_arrays import letter_masks as _letter_masks

    rnd = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789əıüöşçğیکہ"
    words = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 30))) for _ in range(5000)]
    words += ["x" * 49, "q" * 200 + "ə", "a", "0"]  # longer than the vectorised width, and the shortest
    assert _letter_masks(words, block=700).tolist() == [_letter_mask(w) for w in words]
