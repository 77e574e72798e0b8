"""The fast index at scale: as good as an exhaustive scan, and right on labelled queries.

Behaviour is pinned to labelled queries (what a reader typing this expects first), on the real
catalog and on the synthetic one, never to an earlier implementation, so a ranking that improves
passes and one that regresses fails.
"""

from __future__ import annotations

import pickle
import random
from collections import Counter
from functools import cache

import pytest
from rapidfuzz import fuzz, process

from benchmarks import synthetic
from benchmarks.reference import ExhaustiveSearch
from bot.core.briefs import Brief
from bot.core.library import Library
from bot.core.search import SearchIndex
from bot.core.terms import brief_terms
from tests.core.test_search import EXPECTED_FIRST, UNRELATED


@cache
def generated_1k() -> synthetic.Synthetic:
    return synthetic.generate(1000)


@cache
def synthetic_1k() -> tuple[list[Brief], list[synthetic.Query]]:
    syn = generated_1k()
    return synthetic.make_briefs(syn), synthetic.queries(syn, 120)


@cache
def index_1k() -> SearchIndex:
    return SearchIndex(synthetic_1k()[0])


@cache
def reference_1k() -> ExhaustiveSearch:
    return ExhaustiveSearch(synthetic_1k()[0])


# What a reader expects first while still typing (autocomplete), on the real catalog. A set where the
# prefix is honestly ambiguous: any of them is right.
TYPED_FIRST: list[tuple[str, str | set[str]]] = [
    ("Lachi", "lachin-meeting-2025"), ("Lahcin meeting", "lachin-meeting-2025"), ("**LNG**", "energy-lng"),
    ("SOC", "energy-lng"), ("inv", "investment"), ("shehb", "shehbaz-sharif"), ("Shah", "shehbaz-sharif"),
    ("Aliy", "ilham-aliyev"), ("İlham", "ilham-aliyev"), ("Xələ", "khalaf-khalafov"), ("cop2", "cop29-climate"),
    ("Victo", "victory-parade-baku"), ("asan kh", "asaan-khidmat-markaz"), ("Kash", "karabakh-kashmir"),
    ("Karab", "karabakh-kashmir"), ("trilat", "trilateral"), ("Türk", "trilateral"), ("Jeyhun", "jeyhun-bayramov"),
    ("Ishaq", "ishaq-dar"), ("tech", "technology"), ("Maarka", "pakistan-india-2025"), ("15 Mo", "aliyev-visit-2024"),
    ("Khalafov c", "khalafov-call-2026"), ("trad", "trade"), ("Aliyev visit", "aliyev-visit-2024"),
    ("khal", {"khalaf-khalafov", "khalid-taimur-akram", "khalafov-call-2026"}),
    ("Bayr", {"jeyhun-bayramov", "bayramov-visit-2024"}),
]

# Share of synthetic queries (each made from one brief, ``Query.intended``) whose brief comes first,
# and within the first five, by kind. Unrelated queries must find nothing. Measured at 300 queries:
# exact, typo, question and words 100 %; variant 38/43 first, 39/43 in five; prefix 20/25, 22/25.
SYNTHETIC_FLOOR = {"exact": (1.0, 1.0), "typo": (0.97, 0.97), "question": (0.95, 0.95), "words": (0.95, 0.95),
                   "variant": (0.83, 0.85), "prefix": (0.75, 0.85)}


def signature(index: SearchIndex, query: str, prefix_last: bool) -> object:
    result = index.search(query, limit=10, prefix_last=prefix_last)
    return [(m.brief.id, m.score, m.name) for m in result.matches], result.suggestions


def test_top_result_agrees_with_the_exhaustive_scan_at_1000_briefs() -> None:
    _, queries = synthetic_1k()
    reference = reference_1k()
    index = index_1k()
    top1 = top5 = 0
    for q in queries:
        want = [i for i, _, _ in reference.search(q.text, limit=5)]
        got = [m.brief.id for m in index.search(q.text, limit=5).matches]
        top1 += want[:1] == got[:1]
        top5 += want == got
    assert top1 / len(queries) >= 0.95, f"top-1 {top1}/{len(queries)}"
    # Stricter, so that weaker pruning (fewer candidates or expansions) is caught: it moves the
    # lower ranks first. Measured: 120/120; with 3 candidates 109, with 2 expansions 104.
    assert top5 / len(queries) >= 0.97, f"top-5 {top5}/{len(queries)}"


def test_autocomplete_agrees_with_the_exhaustive_scan_at_1000_briefs() -> None:
    _, queries = synthetic_1k()
    reference = reference_1k()
    index = index_1k()
    typed = list(synthetic.keystrokes(queries, 400))[::5]
    agree = 0
    for text in typed:
        want = reference.search(text, limit=1, prefix_last=True)
        got = index.search(text, limit=1, prefix_last=True).best
        agree += (got.brief.id if got else None) == (want[0][0] if want else None)
    assert agree / len(typed) >= 0.95, f"{agree}/{len(typed)}"


@pytest.mark.parametrize(("typed", "expected"), TYPED_FIRST)
def test_real_catalog_autocomplete_offers_the_expected_brief_first(library: Library, typed: str,
                                                                    expected: str | set[str]) -> None:
    index = library.index
    want = {expected} if isinstance(expected, str) else expected
    best = index.search(typed, limit=5, prefix_last=True).best
    assert best is not None and best.brief.id in want, typed
    choices = index.complete(typed)
    assert choices and choices[0][1] in want and len(choices) <= 25, choices[:3]


def test_real_catalog_resolves_labelled_queries_and_refuses_unrelated_ones(library: Library) -> None:
    index = library.index
    for query, expected in EXPECTED_FIRST:
        got = index.resolve(query)
        assert got is not None and got.id == expected, query
    for brief_id in library.catalog.briefs:
        got = index.resolve(brief_id)
        assert got is not None and got.id == brief_id
    for query in [*UNRELATED, "", "   "]:
        assert index.resolve(query) is None, query
        assert index.search(query).matches == (), query
    titles = index.complete("")  # nothing typed yet: the catalog by title
    assert [label for label, _ in titles] == sorted(label for label, _ in titles) and len(titles) <= 25


def test_synthetic_catalog_finds_the_brief_each_query_was_made_from() -> None:
    index = index_1k()
    queries = synthetic.queries(generated_1k(), 300)
    asked: Counter[str] = Counter()
    first: Counter[str] = Counter()
    in_five: Counter[str] = Counter()
    for q in queries:
        got = [m.brief.id for m in index.search(q.text, limit=5, prefix_last=q.kind == "prefix").matches]
        if q.intended is None:
            assert got == [], q.text
            continue
        asked[q.kind] += 1
        first[q.kind] += got[:1] == [q.intended]
        in_five[q.kind] += q.intended in got
        if q.kind != "variant":  # autocomplete offers it among its choices once the text is typed
            assert q.intended in [i for _, i in index.complete(q.text)], q.text
    assert set(asked) == set(SYNTHETIC_FLOOR)
    for kind, (top1, top5) in SYNTHETIC_FLOOR.items():
        assert first[kind] / asked[kind] >= top1, (kind, first[kind], asked[kind])
        assert in_five[kind] / asked[kind] >= top5, (kind, in_five[kind], asked[kind])


def test_fuzzy_prefilter_never_drops_a_word_that_passes() -> None:
    index = index_1k()
    rng = random.Random(7)
    vocab = index._vocab
    words = [synthetic.typo(w, rng) for w in rng.sample([w for w in vocab if len(w) >= 4], 300)]
    words += ["abcd", "khalafov", "shehbaz", "azərbaycan", "2024", "x" * 30]
    for word in words:
        if len(word) < 4 or word.isdigit():
            continue
        cutoff = 75 if len(word) == 4 else 78
        pool = [w for w in vocab if abs(len(w) - len(word)) <= 2]
        brute = {w for w, _, _ in process.extract(word, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)}
        fast = set(index._fuzzy_pool(word, cutoff))
        assert brute <= fast, (word, brute - fast)


def test_terms_read_back_from_the_index_rebuild_the_same_index() -> None:
    briefs, queries = synthetic_1k()
    index = index_1k()
    again = SearchIndex(briefs, terms=index.terms())
    assert [brief_terms(b).names for b in briefs] == [t.names for t in index.terms()]
    for q in queries[:40]:
        assert signature(again, q.text, False) == signature(index, q.text, False)


def test_pickled_index_answers_the_same() -> None:
    _, queries = synthetic_1k()
    index = index_1k()
    copy = pickle.loads(pickle.dumps(index, protocol=5))
    for q in queries[:40]:
        assert signature(copy, q.text, True) == signature(index, q.text, True)


def test_prefix_candidates_are_the_shortest_names() -> None:
    index = index_1k()
    for prefix in ["sta", "ka", "gha", "doc", "tour"]:
        got = index.search(prefix, limit=1, prefix_last=True).best
        want = reference_1k().search(prefix, limit=1, prefix_last=True)
        assert (got.brief.id if got else None) == (want[0][0] if want else None), prefix


@pytest.mark.parametrize("value", ["", "   ", "x" * 500, "\u202e", "%%%"])
def test_resolve_and_complete_odd_input(value: str) -> None:
    index = index_1k()
    index.resolve(value)
    assert len(index.complete(value)) <= 25


def test_string_order_is_sorted_order() -> None:
    from bot.core.search_arrays import string_order as _string_order

    rng = random.Random(3)
    alphabet = "abcdefgh əşçñ0123 \x00"
    for _ in range(200):
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(rng.randint(0, 300))]
        assert _string_order(words) == sorted(range(len(words)), key=words.__getitem__)
    words = ["abc", "abcd", "ab", "abc", "\U0001f600x", "zz", "z\u00e9", "ze", "\ud800"]
    assert _string_order(words) == sorted(range(len(words)), key=words.__getitem__)
