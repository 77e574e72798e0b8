"""draft: candidate facts with exact quotes and dates resolved from the document's own words.

The curators' dates for the three seed documents are a labelled set the drafter must reproduce;
the test documents in tests/data/curator (written for these tests, one per format) cover every
relative expression the issue lists.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pdf_maker import STATEMENT, make_pdf

from bot.core.briefs import parse_brief
from bot.core.documents import Document, load_corpus
from bot.core.relative_dates import resolve
from bot.curate.add_document import add_document
from bot.curate.draft import Candidate, draft_document
from bot.curate.labelled import labels_for, score

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "curator"


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *argv], capture_output=True, text=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("words, base, future, expected", [
    ("today", "2026-01-30", False, ("2026-01-30", None, "")),
    ("yesterday", "2025-03-05", False, ("2025-03-04", None, "")),
    ("on Tuesday", "2025-03-05", False, ("2025-03-04", None, "")),
    ("on Tuesday", "2025-05-27", False, ("2025-05-27", None, "")),  # the document's own day is a Tuesday
    ("on Sunday", "2026-02-10", False, ("2026-02-08", None, "")),
    ("on Sunday", "2026-02-10", True, ("2026-02-15", None, "")),  # "will meet on Sunday"
    ("last week", "2025-10-15", False, ("2025-10-06", "2025-10-12", "week")),
    ("last July", "2024-07-20", False, ("2023-07", None, "")),
    ("last July", "2025-10-15", False, ("2025-07", None, "")),
    ("last November", "2026-01-30", False, ("2025-11", None, "")),
    ("earlier this month", "2026-01-30", False, ("2026-01", None, "")),
    ("this month", "2024-07-20", False, ("2024-07", None, "")),
    ("in May", "2024-07-20", False, ("2024-05", None, "")),
    ("in May", "2024-07-20", True, ("2025-05", None, "")),
    ("last year, in 2023", "2024-07-20", False, ("2023", None, "")),
    ("next month", "2024-11-20", False, ("2024-12", None, "")),
    ("next month", "2025-12-03", False, ("2026-01", None, "")),
    ("in April", "2026-02-10", True, ("2026-04", None, "")),
    ("early next year", "2026-02-10", True, ("2027", None, "")),
    ("on the eve of", "2025-05-27", False, ("2025-05-28", None, "")),
])
def test_relative_words_resolve_against_the_documents_date(
        words: str, base: str, future: bool, expected: tuple[str, str | None, str]) -> None:
    found = resolve(words, dt.date.fromisoformat(base), future_tense=future)
    assert found is not None
    assert (found.date.iso(), found.end.iso() if found.end else None, found.precision) == expected


@pytest.mark.parametrize("words", ["very soon", "within a month", "soon", "in the coming weeks", "next to him"])
def test_words_without_a_date_give_none(words: str) -> None:
    assert resolve(words, dt.date(2025, 5, 27)) is None


@pytest.mark.parametrize("document_id", ["akram-2024-07-20-aliyev-visit", "news-2025-05-27-lachin-meeting",
                                         "pmo-2026-01-30-khalafov-call"])
def test_the_curators_dates_of_the_seed_documents_are_reproduced(document_id: str) -> None:
    documents, _ = load_corpus(ROOT / "corpus")
    briefs = [b for p in sorted((ROOT / "briefs").glob("*.yaml"))
              if (b := parse_brief(p, p.read_text(encoding="utf-8"))[0]) is not None]
    labels = labels_for(document_id, briefs)
    assert len(labels) >= 6
    _, missed = score(draft_document(documents[document_id]).facts, labels)
    assert missed == [], missed


def add_all(tmp_path: Path) -> dict[str, Document]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(make_pdf(STATEMENT))
    ids = {name: add_document(path, corpus).id for name, path in [
        ("txt", DATA / "release.txt"), ("md", DATA / "article.md"), ("html", DATA / "news.html"), ("pdf", pdf)]}
    documents, problems = load_corpus(corpus)
    assert problems == []
    return {name: documents[i] for name, i in ids.items()}


def dated_as(facts: list[Candidate], words: str) -> tuple[str | None, str, str, str]:
    """(date, precision, inferred_from, status) of the fact whose quote is or ends at ``words``' clause."""
    for fact in facts:
        if fact.inferred_from.lower() == words.lower() or (words in fact.quote and fact.undated_because == words):
            return (fact.date.iso() if fact.date else None, fact.precision, fact.inferred_from, fact.status)
    raise AssertionError(f"no fact dated by {words!r}: {[(f.quote[:50], f.inferred_from) for f in facts]}")


# Every relative expression of issue 11, in a test document of each format (labels in tests/data/curator).
LABELS = yaml.safe_load((DATA / "labels.yaml").read_text(encoding="utf-8"))
FORMAT_FILE = {"txt": "release.txt", "md": "article.md", "html": "news.html", "pdf": "statement.pdf"}


def test_every_relative_expression_in_every_format(tmp_path: Path) -> None:
    for name, doc in add_all(tmp_path).items():
        facts = draft_document(doc).facts
        labels = LABELS[FORMAT_FILE[name]]
        assert doc.published.iso() == str(labels["published"])
        for words, (date, precision, status) in labels["words"].items():
            expected = (date, precision, words if date else "", status)
            assert dated_as(facts, words) == expected, (name, words)


def test_draft_out_passes_check_as_written_and_nothing_is_written_without_it(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    added = add_document(DATA / "news.html", corpus)
    before = sorted(os.listdir(briefs))
    shown = cli("draft", added.id, "--briefs", str(briefs), "--corpus", str(corpus), "--json")
    assert shown.returncode == 0, shown.stderr
    payload = json.loads(shown.stdout)
    assert set(payload) == {"document", "brief", "suggestions"} and payload["document"] == added.id
    brief = payload["brief"]
    assert brief["id"] == f"doc-{added.id}" and brief["kind"] == "document"
    assert {"text", "source", "quote"} <= set(brief["facts"][0])
    assert any(s.get("name") == "Alhamra Arts Council" for s in payload["suggestions"])
    assert any("ilham-aliyev" in s.get("also_in", []) or "bilateral-relations" in s.get("also_in", [])
               for s in payload["suggestions"])
    assert sorted(os.listdir(briefs)) == before  # no --out: nothing written
    missing = cli("check", "--briefs", str(briefs), "--corpus", str(corpus))
    assert missing.returncode == 1 and f"has no brief 'doc-{added.id}'" in missing.stderr
    out = briefs / f"doc-{added.id}.yaml"
    wrote = cli("draft", added.id, "--out", str(out), "--briefs", str(briefs), "--corpus", str(corpus))
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stdout.startswith(f"wrote {out}: ")
    checked = cli("check", "--briefs", str(briefs), "--corpus", str(corpus))
    assert checked.returncode == 0, checked.stderr
    again = cli("draft", added.id, "--out", str(out), "--briefs", str(briefs), "--corpus", str(corpus))
    assert again.returncode == 2 and "exists; nothing written" in again.stderr
    unknown = cli("draft", "no-such-doc", "--briefs", str(briefs), "--corpus", str(corpus))
    assert unknown.returncode == 2 and "no corpus document has the id 'no-such-doc'" in unknown.stderr


def test_a_drafted_seed_brief_replaces_the_curated_one_and_passes_check(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    for doc_id in ("pmo-2026-01-30-khalafov-call", "news-2025-05-27-lachin-meeting", "akram-2024-07-20-aliyev-visit"):
        path = briefs / f"doc-{doc_id}.yaml"
        path.unlink()
        result = cli("draft", doc_id, "--out", str(path), "--briefs", str(briefs), "--corpus", str(corpus))
        assert result.returncode == 0, result.stderr
    checked = cli("check", "--briefs", str(briefs), "--corpus", str(corpus))
    assert checked.returncode == 0, checked.stderr
