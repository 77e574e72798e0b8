"""The curator's path, measured: how many dated statements the drafter dates right, and how long it
takes from a new file to a checked brief.

    .venv/bin/python benchmarks/curator.py           # 3 timed runs per format
    .venv/bin/python benchmarks/curator.py --quick   # 1 run; exit 1 if a labelled date is missed

Quality, two labelled sets:
* the curators' own dated facts of the three seed documents (every dated fact in briefs/ that cites
  them): a drafted fact must quote the same words with the same date, end, precision and
  ``inferred_from``;
* the relative words of the test documents in tests/data/curator (one per format, labels in
  labels.yaml): date, precision and status.
Time: ``add-document`` -> ``draft --out`` -> ``check``, each as its own process, the way a curator
runs them, on a copy of the real data; against the same run's bare ``check`` process (the floor:
a curator runs it at least once anyway). Prints a table on stderr and one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "core"))

import yaml  # noqa: E402
from pdf_maker import STATEMENT, make_pdf  # noqa: E402

from bot.core.briefs import parse_brief  # noqa: E402
from bot.core.documents import load_corpus  # noqa: E402
from bot.curate.add_document import add_document  # noqa: E402
from bot.curate.draft import draft_document  # noqa: E402
from bot.curate.labelled import labels_for, score  # noqa: E402

DATA = ROOT / "tests" / "data" / "curator"
SEEDS = ("akram-2024-07-20-aliyev-visit", "news-2025-05-27-lachin-meeting", "pmo-2026-01-30-khalafov-call")


def seed_quality() -> dict[str, Any]:
    documents, _ = load_corpus(ROOT / "corpus")
    briefs = [b for p in sorted((ROOT / "briefs").glob("*.yaml"))
              if (b := parse_brief(p, p.read_text(encoding="utf-8"))[0]) is not None]
    per_doc, hits, total, extra = {}, 0, 0, 0
    for doc_id in SEEDS:
        labels = labels_for(doc_id, briefs)
        facts = draft_document(documents[doc_id]).facts
        hit, missed = score(facts, labels)
        dated = [f for f in facts if f.date is not None]
        unmatched = [f for f in dated if not any(
            label.quote in f.quote or f.quote in label.quote for label in labels)]
        per_doc[doc_id] = {"labels": len(labels), "reproduced": len(hit), "missed": [m.quote[:80] for m in missed],
                           "drafted_facts": len(facts), "drafted_dated": len(dated),
                           "dated_without_a_curated_date": len(unmatched)}
        hits, total, extra = hits + len(hit), total + len(labels), extra + len(unmatched)
    return {"documents": per_doc, "reproduced": hits, "labels": total, "share": round(hits / total, 4),
            "dated_without_a_curated_date": extra}


def own_quality(folder: Path) -> dict[str, Any]:
    labels = yaml.safe_load((DATA / "labels.yaml").read_text(encoding="utf-8"))
    corpus = folder / "quality-corpus"
    corpus.mkdir()
    right = total = 0
    wrong: list[str] = []
    for name, spec in labels.items():
        doc = load_corpus_one(add_document(source_file(name, folder), corpus).id, corpus)
        facts = draft_document(doc).facts
        for words, (date, precision, status) in spec["words"].items():
            total += 1
            found = [f for f in facts if f.inferred_from.lower() == words.lower()
                     or (date is None and f.undated_because == words)]
            got = [(f.date.iso() if f.date else None, f.precision, f.status) for f in found]
            if (date, precision, status) in got:
                right += 1
            else:
                wrong.append(f"{name}: {words} -> {got}")
    return {"words": total, "right": right, "share": round(right / total, 4), "wrong": wrong}


def load_corpus_one(doc_id: str, corpus: Path) -> Any:
    return load_corpus(corpus)[0][doc_id]


def source_file(name: str, folder: Path) -> Path:
    if name.endswith(".pdf"):
        path = folder / name
        if not path.exists():
            path.write_bytes(make_pdf(STATEMENT))
        return path
    return DATA / name


def _run(*argv: str) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bot", *argv], capture_output=True, text=True, cwd=ROOT,
                            timeout=120, env={"SAFEER_CACHE": "off", "PATH": "/usr/bin:/bin"})
    took = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:2])} failed: {result.stderr.strip()[:300]}")
    return took


def path_timing(folder: Path, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("release.txt", "article.md", "news.html", "statement.pdf"):
        totals, steps = [], []
        for k in range(runs):
            data = folder / f"time-{name}-{k}"
            shutil.copytree(ROOT / "briefs", data / "briefs")
            shutil.copytree(ROOT / "corpus", data / "corpus")
            folders = ["--briefs", str(data / "briefs"), "--corpus", str(data / "corpus")]
            check_alone = _run("check", *folders)
            start = time.perf_counter()
            add = subprocess.run([sys.executable, "-m", "bot", "add-document", str(source_file(name, folder)),
                                  *folders, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
            if add.returncode != 0:
                raise SystemExit(f"add-document {name}: {add.stderr.strip()}")
            added = time.perf_counter() - start
            doc_id = json.loads(add.stdout)["id"]
            drafted = _run("draft", doc_id, "--out", str(data / "briefs" / f"doc-{doc_id}.yaml"), *folders)
            checked = _run("check", *folders)
            totals.append(added + drafted + checked)
            steps.append({"add_document_s": round(added, 3), "draft_s": round(drafted, 3),
                          "check_s": round(checked, 3), "bare_check_s": round(check_alone, 3)})
        median = statistics.median(totals)
        bare = statistics.median(s["bare_check_s"] for s in steps)
        out[name] = {"runs": steps, "path_s": round(median, 3), "bare_check_s": round(bare, 3),
                     "path_vs_bare_check": round(median / bare, 2)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="safeer-curator-bench-") as tmp:
        folder = Path(tmp)
        seeds = seed_quality()
        own = own_quality(folder)
        timing = path_timing(folder, 1 if args.quick else 3)
    report = {"machine": {"date": dt.date.today().isoformat(), "python": platform.python_version()},
              "quick": args.quick, "seed_dates": seeds, "test_document_dates": own, "add_to_checked_brief": timing}
    print(f"seed documents: {seeds['reproduced']}/{seeds['labels']} curated dates reproduced "
          f"({seeds['share']:.0%}); {seeds['dated_without_a_curated_date']} drafted dated facts have no curated "
          "counterpart", file=sys.stderr)
    print(f"test documents: {own['right']}/{own['words']} relative expressions dated right ({own['share']:.0%})",
          file=sys.stderr)
    for name, t in timing.items():
        print(f"  {name:14s} add-document -> draft --out -> check: {t['path_s']:.2f} s "
              f"({t['path_vs_bare_check']:.1f}x a bare check of {t['bare_check_s']:.2f} s)", file=sys.stderr)
    print(json.dumps(report))
    return 0 if seeds["share"] == 1.0 and own["share"] == 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
