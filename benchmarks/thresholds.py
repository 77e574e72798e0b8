"""Where MIN_SCORE sits: scores of labelled related and unrelated queries on the real catalog.

    .venv/bin/python benchmarks/thresholds.py [--json]

Related queries are tests/core/test_search.py's EXPECTED_FIRST (query → the brief a demanding reader
expects first); unrelated ones are its UNRELATED list. For each related query this prints the score
of the expected brief, and for each unrelated query the best score of any brief, before the
MIN_SCORE cut (scores from benchmarks/reference.py, which on a 26-brief catalog is exactly what the
index computes; the script checks that too). Exit 1 if MIN_SCORE does not separate the two sets.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reference import ExhaustiveSearch  # noqa: E402
from bot.core.library import Library  # noqa: E402
from bot.core.search import MIN_SCORE, STRONG_SCORE  # noqa: E402
from tests.core.test_search import EXPECTED_FIRST, UNRELATED  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    library = Library.load(ROOT / "briefs", ROOT / "corpus", cache_dir=None)
    reference = ExhaustiveSearch(library.catalog.briefs.values())
    related = []
    for query, expected in EXPECTED_FIRST:
        ranked = reference.ranked(query)
        score = next((s for i, s, _ in ranked if i == expected), 0.0)
        top = ranked[0][0] if ranked else None
        best = library.index.search(query, limit=1).best
        related.append({"query": query, "expected": expected, "score": round(score, 1), "reference_top": top,
                        "index_top": best.brief.id if best else None})
    unrelated = []
    for query in UNRELATED:
        ranked = reference.ranked(query)
        unrelated.append({"query": query, "best_score": round(ranked[0][1], 1) if ranked else 0.0,
                          "best_brief": ranked[0][0] if ranked else None})
    low = min(r["score"] for r in related)
    high = max(u["best_score"] for u in unrelated)
    result = {
        "min_score": MIN_SCORE, "strong_score": STRONG_SCORE,
        "related": {"count": len(related), "min": low, "median": statistics.median(r["score"] for r in related),
                    "max": max(r["score"] for r in related),
                    "below_strong": sorted((r["score"], r["query"]) for r in related if r["score"] < STRONG_SCORE)},
        "unrelated": {"count": len(unrelated), "max": high, "scores": sorted(u["best_score"] for u in unrelated)},
        "gap": [high, low],
        "separates": high < MIN_SCORE <= low,
        "index_agrees_with_reference": all(r["index_top"] == r["reference_top"] for r in related),
        "details": {"related": related, "unrelated": unrelated},
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"MIN_SCORE {MIN_SCORE}, STRONG_SCORE {STRONG_SCORE}\n")
        print(f"related queries ({len(related)}), score of the expected brief:")
        for r in sorted(related, key=lambda r: r["score"]):
            print(f"  {r['score']:>6.1f}  {r['query']!r} → {r['expected']}")
        print(f"\nunrelated queries ({len(unrelated)}), best score of any brief:")
        for u in sorted(unrelated, key=lambda u: -u["best_score"]):
            print(f"  {u['best_score']:>6.1f}  {u['query']!r} (best: {u['best_brief']})")
        buckets = range(0, 101, 10)
        print("\nhistogram (r = related, u = unrelated):")
        for lo in buckets[:-1]:
            r = sum(lo <= x["score"] < lo + 10 or (lo == 90 and x["score"] == 100) for x in related)
            u = sum(lo <= x["best_score"] < lo + 10 for x in unrelated)
            mark = "  <- MIN_SCORE" if lo <= MIN_SCORE < lo + 10 else ""
            print(f"  {lo:>3}-{lo + 9:<3} {'r' * r}{'u' * u}{mark}")
        print(f"\nunrelated at most {high}, related at least {low}: MIN_SCORE {MIN_SCORE} "
              f"{'separates them' if result['separates'] else 'DOES NOT separate them'}; "
              f"index top result = reference top result: {result['index_agrees_with_reference']}")
    return 0 if result["separates"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
