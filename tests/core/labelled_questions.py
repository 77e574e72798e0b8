"""The labelled question set (questions.yaml) and how an answer is judged against it.

Shared by the quality test and by ``benchmarks/answers.py``, so both count the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.text import fold_quote

SET = Path(__file__).with_name("questions.yaml")


@dataclass(frozen=True)
class Case:
    question: str
    kind: str
    brief: str | None
    quotes: tuple[str, ...]  # fragments; an answer is right when its quote contains one

    @property
    def answerable(self) -> bool:
        return bool(self.quotes)

    def right(self, quote: str) -> bool:
        folded = fold_quote(quote).casefold()
        return any(fold_quote(q).casefold() in folded for q in self.quotes)


def load_set(path: Path = SET) -> tuple[dt.date, list[Case]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in data["questions"]:
        quotes = item.get("quote", [])
        quotes = [quotes] if isinstance(quotes, str) else list(quotes)
        cases.append(Case(str(item["q"]), str(item["kind"]), item.get("brief"), tuple(quotes)))
    return data["today"], cases


def first_right(case: Case, quotes: list[str]) -> int | None:
    """The rank (0-based) of the first right quote among distinct ranked quotes, or None."""
    seen: list[str] = []
    for quote in quotes:
        if quote not in seen:
            seen.append(quote)
            if case.right(quote):
                return len(seen) - 1
    return None
