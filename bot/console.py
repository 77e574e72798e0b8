"""The terminal face: ask questions or type the bot's commands, and read the same answers, offline.

At a terminal it is a prompt_toolkit prompt: history (kept in the state folder), line editing,
and tab completion of command names, brief names and document ids; answers are wrapped to the
terminal's width at word boundaries. When stdin is not a terminal (scripts, tests) it reads plain
lines and prints the answers unwrapped.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from .core.commands import TEXT_NAMES, dispatch
from .core.errors import CommandError
from .core.library import Library
from .core.text_render import render_text

BANNER = ("Safeer console — briefs on Pakistan–Azerbaijan relations. Ask a question "
          "(when did Aliyev visit Pakistan?), or type `help`; `quit` leaves.")
QUIT = {"quit", "exit", "q"}
#: Commands whose argument is a brief, and the one whose argument is a document.
BRIEF_ARGS = {"brief", "timeline"}
DOCUMENT_ARGS = {"source"}


def answer_line(library: Library, line: str, today: dt.date) -> str:
    """The console's answer to one line: the same result every face gets, as text."""
    try:
        return render_text(dispatch(library, line, today))
    except CommandError as exc:
        return f"! {exc}"


def wrap(text: str, width: int) -> str:
    """Wrap each line at word boundaries to ``width``; continuation lines keep the line's indent
    (and hang under a bullet's text), so a wrapped fact still reads as one item."""
    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        stripped = line.lstrip(" ")
        indent = " " * (len(line) - len(stripped))
        hang = indent + "  " if stripped[:2] in ("• ", "– ", "> ") else indent
        out.extend(textwrap.wrap(line, width, subsequent_indent=hang, break_long_words=False,
                                 break_on_hyphens=False) or [""])
    return "\n".join(out)


class SafeerCompleter(Completer):
    """Command names first; then brief names after ``brief``/``timeline``, document ids after ``source``."""

    def __init__(self, library: Callable[[], Library]) -> None:
        self.library = library

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        head, space, arg = text.lstrip().partition(" ")
        if not space:
            for name in TEXT_NAMES:
                if name.startswith(head.lower()):
                    yield Completion(name + " ", start_position=-len(head), display=name)
            return
        command = head.lower()
        if command in BRIEF_ARGS:
            for label, brief_id in self.library().index.complete(arg[:200], limit=20):
                yield Completion(brief_id, start_position=-len(arg), display=label)
        elif command in DOCUMENT_ARGS:
            for doc_id in sorted(self.library().catalog.documents):
                if doc_id.startswith(arg.strip().lower()):
                    yield Completion(doc_id, start_position=-len(arg))


def _history(state_dir: Path | None) -> History:
    if state_dir is None:
        return InMemoryHistory()
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        return FileHistory(str(state_dir / "console-history"))
    except OSError:  # a read-only state folder: history for this session only
        return InMemoryHistory()


def run_console(library: Library, today: Callable[[], dt.date],
                stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, state_dir: Path | None = None) -> int:
    """Read lines until end of input or ``quit``; every answer is the bot's answer as text."""
    if stdin.isatty() and stdout.isatty():
        return _interactive(library, today, stdout, state_dir)
    while True:
        line = stdin.readline()
        if not line:
            return 0
        line = line.strip()
        if not line:
            continue
        if line.lstrip("/").lower() in QUIT:
            return 0
        print(answer_line(library, line, today()) + "\n", file=stdout, flush=True)


def _interactive(library: Library, today: Callable[[], dt.date], stdout: TextIO, state_dir: Path | None) -> int:
    cat = library.catalog
    print(wrap(BANNER, shutil.get_terminal_size().columns), file=stdout)
    print(f"{len(cat.briefs)} briefs from {len(cat.documents)} documents. Tab completes commands and brief names.\n",
          file=stdout)
    session: PromptSession[str] = PromptSession(history=_history(state_dir),
                                                completer=SafeerCompleter(lambda: library),
                                                complete_while_typing=False)
    while True:
        try:
            line = session.prompt("safeer> ").strip()
        except KeyboardInterrupt:  # Ctrl-C clears the line, as in a shell
            continue
        except EOFError:  # Ctrl-D
            return 0
        if not line:
            continue
        if line.lstrip("/").lower() in QUIT:
            return 0
        width = max(40, shutil.get_terminal_size().columns - 1)
        print(wrap(answer_line(library, line, today()), width) + "\n", file=stdout, flush=True)
