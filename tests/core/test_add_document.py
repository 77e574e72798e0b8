"""add-document: every format becomes a corpus file with its front matter detected; bad input is
refused with one line and exit 2, and nothing is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pdf_maker import STATEMENT, make_pdf

from bot.core.documents import load_corpus
from bot.curate.add_document import add_document
from bot.curate.extract import DocumentError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def run_add(path: Path, corpus: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "add-document", str(path), "--corpus", str(corpus), *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", folder)
    return folder


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n---\n", 1)[1].strip()


def test_plain_text_press_release(corpus: Path) -> None:
    result = run_add(DATA / "curator" / "release.txt", corpus, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert {k: out[k] for k in ("id", "title", "published", "precision", "place", "kind")} == {
        "id": "pr-2025-03-05-pakistan-azerbaijan-sign-agreement",
        "title": "Pakistan and Azerbaijan Sign Agreement on Student Exchanges",
        "published": "2025-03-05", "precision": "day", "place": "Islamabad", "kind": "press release"}
    assert "press release number PR No. 412" in out["detected"]
    assert out["author"] == "not stated (PR No. 412)"
    text = body(Path(out["path"]))
    assert "PREVIOUS NEXT" not in text and text.startswith("PR No. 412\n\nPakistan and Azerbaijan Sign")
    assert "at the Ministry today." in text
    docs, problems = load_corpus(corpus)
    assert problems == [] and docs[out["id"]].published.iso() == "2025-03-05"


def test_markdown_article_with_byline(corpus: Path) -> None:
    added = add_document(DATA / "curator" / "article.md", corpus)
    f = added.front
    assert (f.title, f.kind, f.place, f.author) == (
        "Azerbaijan and Pakistan Look Beyond Energy", "article", "Lahore",
        "Sara Qureshi, Senior Fellow, Centre for Regional Studies")
    assert f.published is not None and f.published.iso() == "2025-10-15"
    text = body(added.path)
    assert "**" not in text and "\\$" not in text and "worth $200 million" in text
    assert "new shipping routes across the Caspian and the Arabian Sea." in text  # hard-wrapped line joined
    assert "Share on Facebook" not in text


def test_html_page_keeps_the_article_only(corpus: Path) -> None:
    added = add_document(DATA / "curator" / "news.html", corpus)
    f = added.front
    assert (f.title, f.place, f.author, f.kind) == ("Lahore hosts Azerbaijani Culture Week", "Lahore",
                                                   "Staff Reporter", "news report")
    assert f.published is not None and (f.published.iso(), f.published.precision.value) == ("2026-02-10", "day")
    text = body(added.path)
    assert "on Sunday with a concert of mugham music" in text and "early next year." in text
    for furniture in ("Advertisement", "Most read", "Markets fall", "All rights reserved", "Privacy policy",
                      "Facebook", "Business"):
        assert furniture not in text


def test_pdf_statement(corpus: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(make_pdf(STATEMENT, title="draft3.docx"))
    added = add_document(pdf, corpus)
    f = added.front
    assert (f.title, f.place, f.kind) == ("Joint Statement on Climate Cooperation", "Baku", "statement")
    assert f.published is not None and f.published.iso() == "2024-11-20"
    assert body(added.path).split("\n\n")[2:] == [
        "The delegations of Pakistan and Azerbaijan met yesterday on the margins of the climate conference "
        "and agreed to share data on glacier melt.",
        "Last year, in 2023, the two countries agreed a framework for climate finance.",
        "A technical team from Azerbaijan will visit Islamabad next month to survey flood defences."]


@pytest.mark.parametrize("seed, curated", [
    ("000_e78f5533c56bc669.txt", "pmo-2026-01-30-khalafov-call"),
    ("001_ebc172ca43bb71ab.txt", "news-2025-05-27-lachin-meeting"),
    ("004_ca3aebd60ac62f47.txt", "akram-2024-07-20-aliyev-visit"),
])
def test_seed_documents_come_out_as_the_curators_made_them(tmp_path: Path, seed: str, curated: str) -> None:
    empty = tmp_path / "corpus"
    empty.mkdir()
    added = add_document(DATA / "seeds" / seed, empty)
    assert body(added.path) == body(ROOT / "corpus" / f"{curated}.md")
    mine = load_corpus(empty)[0][added.id]
    theirs = load_corpus(ROOT / "corpus")[0][curated]
    assert (mine.published, mine.kind) == (theirs.published, theirs.kind)
    if theirs.place != "Lachin, Azerbaijan":  # the news report names no place in a date line
        assert mine.place == theirs.place


def test_refusals_name_the_reason(corpus: Path) -> None:
    before = sorted(os.listdir(corpus))
    taken = run_add(DATA / "curator" / "release.txt", corpus, "--id", "pmo-2026-01-30-khalafov-call")
    assert taken.returncode == 2
    assert "the id 'pmo-2026-01-30-khalafov-call' is taken" in taken.stderr
    again = run_add(DATA / "seeds" / "000_e78f5533c56bc669.txt", corpus)
    assert again.returncode == 2
    assert "its text is already in the corpus as 'pmo-2026-01-30-khalafov-call'" in again.stderr
    missing = run_add(DATA / "curator" / "no-such-file.txt", corpus)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    assert sorted(os.listdir(corpus)) == before


def bad_files(folder: Path) -> dict[str, str]:
    """Each bad input, and the words its message must contain."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    with open(folder / "huge.txt", "wb") as fh:  # 50 MB, sparse: cheap to make
        fh.truncate(50 * 1024 * 1024)
    (folder / "nav.html").write_text("<html><body><nav><a href='/'>Home</a> <a href='/w'>World</a></nav>"
                                     "<footer>© 2026 The Courier</footer></body></html>", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(make_pdf([]))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    (folder / "letter.docx").write_bytes(b"PK\x03\x04 a word file")
    (folder / "latin1.txt").write_bytes("Caf\xe9 in Baku on 3 May 2025.".encode("latin-1"))
    return {"empty.txt": "is empty", "binary.txt": "is a binary file", "huge.txt": "is 50.0 MB",
            "nav.html": "no article text found", "scan.pdf": "has no text layer",
            "broken.pdf": "is not a readable PDF", "letter.docx": "unsupported format '.docx'",
            "latin1.txt": "is not UTF-8 text"}


def test_bad_input_is_one_line_exit_2_and_writes_nothing(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    before = sorted(os.listdir(corpus))
    for name, words in bad_files(folder).items():
        result = run_add(folder / name, corpus)
        assert result.returncode == 2, (name, result.stderr)
        assert result.stdout == "" and result.stderr.count("\n") == 1, (name, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr, (name, result.stderr)
    assert sorted(os.listdir(corpus)) == before  # no corpus file, no temporary file left behind


def test_bad_id_and_missing_date_are_refused(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="use lower-case letters"):
        add_document(DATA / "curator" / "release.txt", corpus, "Bad ID")
    undated = tmp_path / "undated.txt"
    undated.write_text("Talks on trade\n\nThe two ministers met and agreed to widen trade in textiles.\n",
                       encoding="utf-8")
    with pytest.raises(DocumentError, match="--published"):
        add_document(undated, corpus)
    added = add_document(undated, corpus, published="2025-06")
    assert added.front.published is not None and added.front.published.precision.value == "month"
