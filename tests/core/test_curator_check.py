"""`check` for curators: every problem in one run, misquotes with the nearest passage, relative days
that must agree with the document, alias clashes on the file that made them, one brief per document."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.curate.check import check_folders

ROOT = Path(__file__).resolve().parents[2]


def check(briefs: Path, corpus: Path, *, after: bool = False) -> subprocess.CompletedProcess[str]:
    folders = ["--briefs", str(briefs), "--corpus", str(corpus)]
    argv = ["check", *folders] if after else [*folders, "check"]
    return subprocess.run([sys.executable, "-m", "bot", *argv], capture_output=True, text=True, cwd=ROOT, timeout=60)


NEW_BRIEF = """id: new-release
title: New release
summary: A curator's first brief.
facts:
  - text: The call took place.
    source: pmo-2026-01-30-khalafov-cal
    quote: "called on Prime Minister Muhammad Shahbaz Sharif"
    date: 2026-02-04
  - text: A planned visit.
    source: no-such-document
    quote: anything
  - text: Wrong status word.
    source: pmo-2026-01-30-khalafov-call
    quote: "at his earliest convenience"
    status: plannned
related: [investmnet]
"""


def test_every_problem_in_the_first_run(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    (briefs / "new-release.yaml").write_text(NEW_BRIEF, encoding="utf-8")
    result = check(briefs, corpus)
    assert result.returncode == 1
    err = result.stderr
    # The shape problem (status) no longer hides the checks across files:
    assert "new-release.yaml:15: facts[2].status: must be one of occurred, announced, planned" in err
    assert "facts[0].source: unknown document 'pmo-2026-01-30-khalafov-cal'; did you mean 'pmo-2026-01-30-khalafov-call'?" in err
    assert "facts[0].date: 2026-02-04 is after the document's date 2026-01-30" in err
    assert "facts[1].source: unknown document 'no-such-document'" in err
    assert "new-release.yaml:16: related: no brief has the id 'investmnet'" in err
    assert err.strip().endswith("check: 5 problem(s)")  # a copy outside git names no commit


def test_folders_may_follow_the_subcommand(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    (briefs / "new-release.yaml").write_text(NEW_BRIEF, encoding="utf-8")
    after = check(briefs, corpus, after=True)
    assert after.returncode == 1 and after.stderr == check(briefs, corpus).stderr
    clean = check(ROOT / "briefs", ROOT / "corpus", after=True)
    assert clean.returncode == 0, clean.stderr
    assert "briefs at git commit " in clean.stdout  # the project's briefs folder is a git checkout


def test_misquote_shows_the_nearest_passage_and_first_difference(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    path = briefs / "investment.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "investment to $2 billion in", "investment to $3 billion in", 1), encoding="utf-8")
    problems = [str(p) for p in check_folders(briefs, corpus)]
    misquote = [p for p in problems if ".quote: not found in akram-2024-07-20-aliyev-visit" in p]
    assert len(misquote) == 1, problems
    assert "nearest passage (" in misquote[0] and "enhancing bilateral investment to $2 billion in" in misquote[0]
    assert 'the quote has "' in misquote[0] and "$3 billion" in misquote[0]
    assert 'where the document has "' in misquote[0] and "$2 billion" in misquote[0].split("where the document has")[1]


def test_inferred_days_must_agree_with_the_documents_date(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    path = briefs / "doc-pmo-2026-01-30-khalafov-call.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count('date: 2026-01-30\n    inferred_from: "today"') == 3
    path.write_text(text.replace('date: 2026-01-30\n    inferred_from: "today"',
                                 'date: 2026-01-29\n    inferred_from: "today"', 1), encoding="utf-8")
    lachin = briefs / "lachin-meeting-2025.yaml"
    lachin.write_text(lachin.read_text(encoding="utf-8").replace(
        'date: 2025-05-27\n    inferred_from: "on Tuesday"', 'date: 2025-05-26\n    inferred_from: "on Tuesday"', 1),
        encoding="utf-8")
    problems = [str(p) for p in check_folders(briefs, corpus)]
    assert any("doc-pmo-2026-01-30-khalafov-call.yaml:" in p and '2026-01-29 disagrees with inferred_from "today"'
               " in a document dated 2026-01-30 (Friday): the date is 2026-01-30" in p for p in problems), problems
    assert any("lachin-meeting-2025.yaml:" in p and 'disagrees with inferred_from "on Tuesday"' in p
               and "the date is 2025-05-27 or 2025-06-03" in p for p in problems), problems
    assert len(problems) == 2


def test_alias_clash_is_reported_on_the_file_that_introduced_it(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    # "Ilham Aliyev" is the title of ilham-aliyev.yaml; a new brief that takes it as an alias is the intruder,
    # and it is reported there whatever order the files sort in.
    for name in ("aaa-new.yaml", "zzz-new.yaml"):
        stem = name[:-5]
        (briefs / name).write_text(
            f"id: {stem}\ntitle: {stem}\naliases: [Ilham Aliyev]\nsummary: s\nfacts:\n"
            "  - text: t\n    source: pmo-2026-01-30-khalafov-call\n    quote: today\n", encoding="utf-8")
    problems = [p for p in check_folders(briefs, corpus) if "also names" in p.message]
    assert sorted(Path(p.path).name for p in problems) == ["aaa-new.yaml", "zzz-new.yaml"]
    assert all(p.field == "aliases" and p.message.startswith("'ilham aliyev' also names brief 'ilham-aliyev'")
               for p in problems)
    # Two aliases with equal standing: each file names the other.
    (briefs / "zzz-new.yaml").unlink()
    (briefs / "aaa-new.yaml").write_text((briefs / "aaa-new.yaml").read_text(encoding="utf-8").replace(
        "Ilham Aliyev", "PR 278"), encoding="utf-8")
    clash = sorted((Path(p.path).name, p.message) for p in check_folders(briefs, corpus) if "also names" in p.message)
    assert [name for name, _ in clash] == ["aaa-new.yaml", "doc-pmo-2026-01-30-khalafov-call.yaml"]
    assert "'doc-pmo-2026-01-30-khalafov-call'" in clash[0][1] and "'aaa-new'" in clash[1][1]


def test_each_document_has_its_doc_brief(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    (briefs / "doc-news-2025-05-27-lachin-meeting.yaml").unlink()
    for path in briefs.glob("*.yaml"):  # the briefs that link to it would also (rightly) complain
        path.write_text(path.read_text(encoding="utf-8").replace(", doc-news-2025-05-27-lachin-meeting", ""),
                        encoding="utf-8")
    problems = [str(p) for p in check_folders(briefs, corpus)]
    assert any(p.endswith("news-2025-05-27-lachin-meeting.md:1: has no brief 'doc-news-2025-05-27-lachin-meeting'; "
                          "each document has one: python -m bot draft news-2025-05-27-lachin-meeting "
                          "--out briefs/doc-news-2025-05-27-lachin-meeting.yaml") for p in problems), problems


def test_a_fact_missing_its_source_keeps_the_numbering_of_the_next(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    (briefs / "numbered.yaml").write_text(
        "id: numbered\ntitle: Numbered\nsummary: s\nfacts:\n  - text: no source\n    quote: today\n"
        "  - text: misquoted\n    source: pmo-2026-01-30-khalafov-call\n    quote: called on the King\n",
        encoding="utf-8")
    problems = [f"{p.field}: {p.message}" for p in check_folders(briefs, corpus) if p.path.endswith("numbered.yaml")]
    assert problems[0] == "facts[0].source: is required"
    assert problems[1].startswith("facts[1].quote: not found in pmo-2026-01-30-khalafov-call; nearest passage")
    assert len(problems) == 2


def test_quotes_are_checked_against_a_corpus_file_that_has_problems_of_its_own(data_copy: tuple[Path, Path]) -> None:
    briefs, corpus = data_copy
    path = corpus / "pmo-2026-01-30-khalafov-call.md"
    path.write_text(path.read_text(encoding="utf-8").replace("kind: press release", "kind: pressrelease"),
                    encoding="utf-8")
    brief = briefs / "khalafov-call-2026.yaml"
    brief.write_text(brief.read_text(encoding="utf-8").replace(
        "Mr. Khalaf Khalafov, called on Prime Minister Muhammad", "Mr. Khalaf Khalafov, called on Prime Minister", 1),
        encoding="utf-8")
    problems = [str(p) for p in check_folders(briefs, corpus)]
    assert any("pmo-2026-01-30-khalafov-call.md:" in p and "kind: must be one of" in p for p in problems)
    assert any("khalafov-call-2026.yaml:" in p and ".quote: not found in pmo-2026-01-30-khalafov-call" in p
               for p in problems), problems
    assert not any("unknown document" in p for p in problems)
