"""Read every data file of a folder for a load without the cache, refusing hostile ones by name.

Each file goes through :func:`bot.core.file_listing.read_data_file` (regular files only, links
only inside allowed folders, a size limit), so both ways of loading refuse the same files with
the same message. A refused or undecodable file becomes one problem that names it and says why,
marked as a cause: it is listed before anything that follows from it.
"""

from __future__ import annotations

import os
from pathlib import Path

from .file_listing import DEFAULT_LIMITS, ReadLimits, Refused, read_data_file
from .problems import Problem, relative


def decode(data: bytes) -> str | None:
    """The text ``Path.read_text(encoding="utf-8")`` gives for these bytes; None if not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:  # read_text's universal newlines
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


NOT_UTF8 = "is not UTF-8 text; save it as UTF-8"


def read_folder(directory: Path, suffix: str, limits: ReadLimits = DEFAULT_LIMITS,
                ) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """``(path, text)`` of every ``*suffix`` file in name order, and a problem per file refused."""
    if not directory.is_dir():
        return [], [Problem(relative(directory), 0, "", "folder not found", cause=True)]
    files: list[tuple[Path, str]] = []
    problems: list[Problem] = []
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(suffix))
    except OSError as exc:
        return [], [Problem(relative(directory), 0, "", f"cannot list the folder ({exc.strerror})", cause=True)]
    for name in names:
        path = directory / name
        try:
            text = decode(read_data_file(directory, name, limits))
        except Refused as exc:
            problems.append(Problem(_name(path), 1, "", str(exc), cause=True))
            continue
        if text is None:
            problems.append(Problem(_name(path), 1, "", NOT_UTF8, cause=True))
        else:
            files.append((path, text))
    return files, problems


def _name(path: Path) -> str:
    """How a refused file is named: by its name in the data folder, never by where a link points."""
    return relative(path.parent) + os.sep + path.name if relative(path.parent) != "." else path.name
