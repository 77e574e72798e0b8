"""Exit codes of ``python -m bot run``: one per reason a start can fail, so a service manager (and
the person reading its log) can tell them apart without parsing text. Listed in the README."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # stopped on request (SIGTERM, SIGINT)
    DATA_INVALID = 1  # the briefs or corpus have problems: run `python -m bot check`
    BAD_SETTING = 2  # a setting or argument is missing or malformed
    DATA_UNREADABLE = 3  # a data folder is missing or cannot be read
    TOKEN_REJECTED = 4  # Discord refused the token (401)
    DISCORD_UNREACHABLE = 5  # Discord (or DISCORD_API_BASE_URL) could not be reached
    DATABASE_UNREACHABLE = 6  # the database server refused or did not answer
    DATABASE_READ_ONLY = 7  # the database (file or server) cannot be written
    DATABASE_FOLDER_UNWRITABLE = 8  # the SQLite file's folder cannot be created or written
    DATABASE_NOT_A_DATABASE = 9  # the SQLite path is some other kind of file
    DATABASE_UNSUPPORTED = 10  # DATABASE_URL names neither SQLite nor PostgreSQL


class StartError(Exception):
    """A start-up failure with its exit code; the message is the one line printed."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
