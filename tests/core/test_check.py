"""`python -m bot check` refuses bad data with file, line and field, and accepts the real data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.catalog import load_catalog
from bot.core.problems import DataError

ROOT = Path(__file__).resolve().parents[2]


def run_check(briefs: Path, corpus: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "--briefs", str(briefs), "--corpus", str(corpus), "check"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )


def problems_of(briefs: Path, corpus: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        load_catalog(briefs, corpus)
    return [str(p) for p in info.value.problems]


def test_real_data_is_clean() -> None:
    result = run_check(ROOT / "briefs", ROOT / "corpus")
    assert result.returncode == 0, result.stderr
    assert "every quote found" in result.stdout


def test_altered_quote_is_refused(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    path = briefs / "investment.yaml"
    text = path.read_text(encoding="utf-8")
    assert "investment to $2 billion in" in text
    path.write_text(text.replace("investment to $2 billion in", "investment to $3 billion in", 1), encoding="utf-8")
    result = run_check(briefs, corpus)
    assert result.returncode == 1
    assert "investment.yaml:" in result.stderr and ".quote: not found in" in result.stderr


def test_unknown_source_is_refused(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    path = briefs / "energy-lng.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("source: akram-2024-07-20-aliyev-visit", "source: no-such-doc", 1),
                    encoding="utf-8")
    found = problems_of(briefs, corpus)
    assert any("energy-lng.yaml:" in p and "unknown document 'no-such-doc'" in p for p in found)


def test_malformed_yaml_names_file_and_line(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    (briefs / "broken.yaml").write_text("id: broken\ntitle: Broken\nfacts: [\n  - text: x\n", encoding="utf-8")
    result = run_check(briefs, corpus)
    assert result.returncode == 1
    line = next(ln for ln in result.stderr.splitlines() if "broken.yaml" in ln)
    assert line.split(":")[1].isdigit() and int(line.split(":")[1]) >= 3


def test_python_tag_is_an_error_and_never_runs(data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    marker = tmp_path / "pwned"
    (briefs / "evil.yaml").write_text(
        f"id: evil\ntitle: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    found = problems_of(briefs, corpus)
    assert any("evil.yaml:2" in p and "refused" in p for p in found)
    assert not marker.exists()


def test_schema_errors_carry_field_and_line(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    (briefs / "bad-shape.yaml").write_text(
        "id: bad-shape\ntitle: Bad\nsummary: s\ncolour: red\nfacts:\n"
        "  - text: t\n    source: pmo-2026-01-30-khalafov-call\n    quote: today\n    date: 2025-02-30\n",
        encoding="utf-8")
    found = problems_of(briefs, corpus)
    assert any("bad-shape.yaml:4: colour: unknown field" in p for p in found)
    assert any("bad-shape.yaml:9: facts[0].date:" in p for p in found)


def test_future_event_needs_announced_status(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    body = ("id: future\ntitle: Future\nsummary: s\nfacts:\n"
            "  - text: t\n    source: pmo-2026-01-30-khalafov-call\n    quote: official visit to Pakistan\n"
            "    date: 2026-06-01\n")
    (briefs / "future.yaml").write_text(body, encoding="utf-8")
    assert any("future.yaml:5: facts[0].date" in p and "announced" in p for p in problems_of(briefs, corpus))
    (briefs / "future.yaml").write_text(body + "    status: planned\n", encoding="utf-8")
    load_catalog(briefs, corpus)  # accepted once marked


def test_alias_pointing_at_two_briefs_and_duplicate_ids(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    (briefs / "copy.yaml").write_text(
        "id: copy\ntitle: Copy\naliases: [Investment]\nsummary: s\nfacts:\n"
        "  - text: t\n    source: pmo-2026-01-30-khalafov-call\n    quote: today\n", encoding="utf-8")
    (briefs / "investment-2.yaml").write_text(
        (briefs / "investment.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    found = problems_of(briefs, corpus)
    assert any("'investment' also names brief" in p and ("'copy'" in p or "'investment'" in p) for p in found)
    assert any("investment-2.yaml" in p and "must match the file name" in p for p in found)


def test_corpus_document_needs_metadata(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    (corpus / "new-doc.md").write_text("---\nid: new-doc\ntitle: T\n---\n\nText.\n", encoding="utf-8")
    found = problems_of(briefs, corpus)
    assert any("new-doc.md" in p and "author: is required" in p for p in found)


def test_brief_ids_longer_than_64_characters_are_refused(tmp_path: Path) -> None:
    from bot.core.briefs import parse_brief

    long_id = "a" * 65
    path = tmp_path / f"{long_id}.yaml"
    brief, problems = parse_brief(path, f"id: {long_id}\ntitle: T\nsummary: S\nfacts:\n  - text: t\n"
                                        "    source: s\n    quote: q\n")
    assert brief is None
    assert [(p.line, p.field) for p in problems] == [(1, "id")] and "keep it to 64" in problems[0].message
