"""Problems found in data files, each pinned to a file, a line and a field."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: The most of a value any message quotes: data files are input, and a message travels to
#: operators (``/briefs reload``), to logs and to the terminal.
QUOTE_LIMIT = 80


def clip(value: object, limit: int = QUOTE_LIMIT) -> str:
    """At most ``limit`` characters of a value for a message: text cut with "…", other values by type.

    Never formats a whole container (a YAML alias can make a small file expand to gigabytes).
    """
    if not isinstance(value, str):
        if value is None or isinstance(value, bool | int | float):
            value = str(value)[:limit]
        elif isinstance(value, dict):
            return "a mapping"
        else:
            return "a list" if isinstance(value, list) else f"a {type(value).__name__}"
    value = value.replace("\n", " ")
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing a curator must fix. ``str()`` gives ``file:line: field: message``.

    ``cause`` marks a file that could not be read or parsed at all: such problems are listed
    first (:class:`DataError`), so a face that shows only the first few still shows them.
    """

    path: str
    line: int
    field: str
    message: str
    cause: bool = dataclasses.field(default=False, compare=False)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


def relative(path: Path) -> str:
    """Show paths relative to the working directory when possible, so messages stay short.

    Called once per data file on every load (10,000 times at scale), so the folder part is
    resolved once per folder and working directory; a symlinked file is still followed.
    """
    try:
        cwd = os.getcwd()
        if os.path.islink(path):
            resolved = Path(os.path.realpath(path))
        else:
            resolved = Path(_real_folder(cwd, os.fspath(path.parent))) / path.name
        return str(resolved.relative_to(_real_folder(cwd, cwd)))
    except (ValueError, OSError):
        return str(path)


def namer_in(folder: Path) -> Callable[[str, str], str]:
    """``relative(folder / name)`` for many files of one folder, without a Path per file.

    The returned function takes a file name and, when the file is a symbolic link, where it
    really is (as ``os.path.realpath`` gives it; else empty).
    """
    prefix = relative(folder)
    start = "" if prefix == "." else prefix + os.sep

    def name_of(name: str, link: str = "") -> str:
        return relative(Path(link)) if link else start + name

    return name_of


@functools.lru_cache(maxsize=64)
def _real_folder(cwd: str, folder: str) -> str:
    return os.path.realpath(os.path.join(cwd, folder))


class DataError(Exception):
    """Raised when data cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (not p.cause, p))  # causes first
        head = f"{len(self.problems)} problem(s) in the data"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))
