"""The one registry of commands: help, the console's completion, mention dispatch and the slash
commands' descriptions all read it. A typed line that does not start with a command is a question
(:func:`dispatch`).

Adding a command is a query function in :mod:`bot.core.queries`, one :class:`Command` entry here
and its rendering (see CONTRIBUTING.md). A mistyped command name gets a suggestion and is never
run on a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from . import queries
from .ask import ask
from .errors import CommandError
from .library import Library
from .results import HelpEntry, HelpText, Result
from .text import clean_user_text

#: What a text face (console, command line, mention) runs: the words after the command's name.
TextRun = Callable[[Library, str, dt.date], Result]


@dataclass(frozen=True)
class Command:
    """One command. ``description`` is also the slash command's (Discord allows 100 characters).

    ``text``: offered on the console and as a mention command; ``slash``: offered as a slash
    command (its options are declared in ``bot.chat.commands``).
    """

    name: str
    usage: str
    description: str
    example: str
    run: TextRun | None = None
    text: bool = True
    slash: bool = True


def _help(library: Library, arg: str, today: dt.date) -> Result:
    return help_text("text")


def _timeline(library: Library, arg: str, today: dt.date) -> Result:
    topic, start, end = queries.parse_timeline_args(arg)
    return queries.timeline(library, topic, start, end)


COMMANDS: tuple[Command, ...] = (
    Command("ask", "ask <question>", "Ask a question: the fact that answers it comes first, with its quote",
            "ask when did Aliyev visit Pakistan?", lambda lib, arg, today: ask(lib, arg, today)),
    Command("brief", "brief <topic>", "A sourced brief on a topic, person or document",
            "brief investment", lambda lib, arg, today: queries.brief(lib, arg)),
    Command("search", "search <words>", "The briefs that best match some words", "search LNG cargo",
            lambda lib, arg, today: queries.search(lib, arg, today)),
    Command("onthisday", "onthisday [MM-DD]", "Events on this day in past years", "onthisday 07-11",
            lambda lib, arg, today: queries.on_this_day(lib, arg, today)),
    Command("timeline", "timeline [topic] [from-year] [to-year]", "Dated events in order, with a picture",
            "timeline trilateral 2024 2025", _timeline),
    Command("source", "source <document>", "A source document: its details and an excerpt", "source khalafov",
            lambda lib, arg, today: queries.source(lib, arg)),
    Command("list", "list", "Every brief and every source document", "list",
            lambda lib, arg, today: queries.listing(lib), slash=False),
    Command("reminders", "reminders set|status|preview|test|off",
            "Server admins: a daily 'on this day' post in a channel", "reminders set #news 09:00 Asia/Karachi",
            text=False),
    Command("help", "help", "Every Safeer command, with an example", "help", _help),
)
BY_NAME = {c.name: c for c in COMMANDS}
TEXT_NAMES = tuple(c.name for c in COMMANDS if c.text)


def describe(name: str) -> str:
    """The registry's description of a command, for its slash definition."""
    return BY_NAME[name].description


def help_text(face: str) -> HelpText:
    """Help for one face: ``text`` (console, mentions) or ``slash``."""
    shown = [c for c in COMMANDS if (c.text if face == "text" else c.slash)]
    return HelpText(tuple(HelpEntry(c.name, c.usage, c.description, c.example) for c in shown))


def suggest_command(name: str, cutoff: int = 60) -> str | None:
    """The command a mistyped name most likely meant, if any is close."""
    hit = process.extractOne(name.lower(), TEXT_NAMES, scorer=fuzz.ratio, score_cutoff=cutoff)
    return hit[0] if hit else None


#: How close a first word must be to a command's name to be taken for a typo of it rather than the
#: start of a question: "berif x" (80) is a typo of brief; "last year" (75 to list) and "held" (75 to
#: help) are questions.
TYPO_CUTOFF = 80


def parse_line(line: str) -> tuple[Command, str]:
    """Split ``/brief investment`` or ``brief investment`` into (command, argument)."""
    line = clean_user_text(line, 10_000)
    if not line:
        raise CommandError("Type a command, e.g. `brief investment`, or `help`.")
    head, _, rest = line.lstrip("/!").partition(" ")
    name = head.lower()
    if name not in TEXT_NAMES:
        guess = suggest_command(name)
        shown = clean_user_text(head, 40)
        if guess:
            raise CommandError(f"Unknown command '{shown}'. Did you mean '{guess}'? Try `{guess} ...` or `help`.")
        raise CommandError(f"Unknown command '{shown}'. Commands: {', '.join(TEXT_NAMES)}.")
    return BY_NAME[name], rest.strip()


def run_line(library: Library, line: str, today: dt.date) -> Result:
    """Run one typed command line. CommandError for input the person can fix."""
    command, arg = parse_line(line)
    assert command.run is not None  # every text command has a text entry
    return command.run(library, arg, today)


def dispatch(library: Library, line: str, today: dt.date) -> Result:
    """What the console and mentions do with a line: a command when it starts with one's name, a
    did-you-mean when its first word is a clear typo of one, and otherwise a question."""
    cleaned = clean_user_text(line, 10_000)
    head = cleaned.lstrip("/!").split(" ", 1)[0].lower()
    if head in TEXT_NAMES:
        return run_line(library, cleaned, today)
    if len(head) >= 4 and (guess := suggest_command(head, TYPO_CUTOFF)):
        shown = clean_user_text(head, 40)
        raise CommandError(f"Unknown command '{shown}'. Did you mean '{guess}'? Try `{guess} ...`, "
                           "or ask a question in words.")
    return ask(library, line, today)
