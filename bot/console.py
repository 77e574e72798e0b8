"""The terminal face: type the bot's commands and read the same answers, with no Discord at all."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import TextIO

from .core.commands import run_line
from .core.errors import CommandError
from .core.library import Library
from .core.text_render import render_text

BANNER = "Safeer console — briefs on Pakistan–Azerbaijan relations. Type `help`, or `quit` to leave."


def answer_line(library: Library, line: str, today: dt.date) -> str:
    """The console's answer to one line: the same result every face gets, as text."""
    try:
        return render_text(run_line(library, line, today))
    except CommandError as exc:
        return f"! {exc}"


def run_console(library: Library, today: Callable[[], dt.date],
                stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Read commands until end of input or ``quit``; every answer is the bot's answer as text."""
    interactive = stdin.isatty()
    cat = library.catalog
    if interactive:
        print(BANNER, file=stdout)
        print(f"{len(cat.briefs)} briefs from {len(cat.documents)} documents.\n", file=stdout)
    while True:
        if interactive:
            print("safeer> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        if line.lstrip("/").lower() in {"quit", "exit", "q"}:
            break
        print(answer_line(library, line, today()) + "\n", file=stdout, flush=True)
    return 0
