"""The console: lines that are not commands are questions, typos of commands get a did-you-mean,
output wraps at word boundaries, completion offers commands and brief names."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from bot.console import SafeerCompleter, answer_line, run_console, wrap
from bot.core.commands import TEXT_NAMES
from bot.core.library import Library

TODAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(("line", "expected"), [
    ("when did Aliyev visit Pakistan", "two-day visit"),
    ("what happened in Lachin", "Lachin"),
    ("investment", "investment"),
    ("Aliyev kab Pakistan aye", "Pakistan"),
])
def test_a_line_that_is_not_a_command_is_a_question(library: Library, line: str, expected: str) -> None:
    answer = answer_line(library, line, TODAY)
    assert "Unknown command" not in answer and expected in answer


@pytest.mark.parametrize("line", ["berif investment", "serach LNG", "timelin lachin", "sorce khalafov"])
def test_a_clear_typo_of_a_command_gets_did_you_mean_and_is_not_run(library: Library, line: str) -> None:
    answer = answer_line(library, line, TODAY)
    assert answer.startswith("! Unknown command") and "Did you mean" in answer


@pytest.mark.parametrize("line", ["last year investment", "held talks in Baku", "lost LNG cargo"])
def test_words_near_a_command_but_meaning_a_question_are_asked(library: Library, line: str) -> None:
    assert "Unknown command" not in answer_line(library, line, TODAY)  # 75 to list / help: below the cutoff


@pytest.mark.parametrize("line", ["recipe for chicken biryani", "capital of Japan", "q" * 3990 + " LNG?"])
def test_unrelated_or_long_questions_get_a_plain_no_answer(library: Library, line: str) -> None:
    answer = answer_line(library, line, TODAY)
    assert answer.startswith(("No answer", "Under the agreement", "In 2023")) or "LNG" in answer
    assert "Traceback" not in answer


@pytest.mark.parametrize("line", ["\x07\x1b", "\u200b\u200f", "<@123> <@&456>", "x" * 4001])
def test_empty_controls_mentions_and_too_long_get_a_clear_message(library: Library, line: str) -> None:
    answer = answer_line(library, line, TODAY)
    assert answer.startswith("! ") and len(answer.splitlines()) == 1


def test_list_shows_briefs_and_documents(library: Library) -> None:
    answer = answer_line(library, "list", TODAY)
    assert f"Briefs ({len(library.catalog.briefs)})" in answer
    assert f"Documents ({len(library.catalog.documents)})" in answer and "[pmo-2026-01-30-khalafov-call]" in answer


def test_facts_of_one_date_and_source_are_grouped(library: Library) -> None:
    answer = answer_line(library, "brief lachin", TODAY)
    assert answer.count("(inferred from “on Tuesday”)") == 1  # said once for the run of facts
    assert "  – " in answer


def test_wrap_breaks_at_word_boundaries_and_hangs_bullets() -> None:
    text = "• 11–12 July 2024 — " + " ".join(f"word{k}" for k in range(60)) + "\nshort"
    wrapped = wrap(text, 50)
    lines = wrapped.splitlines()
    assert all(len(line) <= 50 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:-1]) and lines[-1] == "short"
    assert " ".join(w for line in lines[:-1] for w in line.split()) == text.splitlines()[0].replace("  ", " ")


def test_completion_offers_commands_then_brief_names(library: Library) -> None:
    completer = SafeerCompleter(lambda: library)
    event = CompleteEvent(completion_requested=True)
    names = [c.text.strip() for c in completer.get_completions(Document("br"), event)]
    assert names == ["brief"]
    everything = [c.text.strip() for c in completer.get_completions(Document(""), event)]
    assert everything == list(TEXT_NAMES)
    briefs = [c.text for c in completer.get_completions(Document("brief invest"), event)]
    assert briefs and briefs[0] == "investment"
    docs = [c.text for c in completer.get_completions(Document("source pmo"), event)]
    assert docs == ["pmo-2026-01-30-khalafov-call"]


def test_piped_console_reads_plain_lines_until_quit(library: Library) -> None:
    out = io.StringIO()
    run_console(library, lambda: TODAY, stdin=io.StringIO("what happened in Lachin\n\nquit\nbrief lng\n"), stdout=out)
    text = out.getvalue()
    assert "Lachin" in text and "Energy" not in text  # nothing read after quit
