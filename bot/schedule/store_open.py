"""Open the reminder store at start-up, turning each way it can fail into one plain sentence.

A database problem at start is an operator's problem (a wrong URL, a stopped server, a file with
the wrong owner), so it gets a one-line reason and its own exit code rather than a 200-line
SQLAlchemy traceback. The URL is shown with its password hidden.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .migrations import SchemaTooNew
from .store import ReminderStore, normalize_url

Problem = Literal["unreachable", "read_only", "folder_unwritable", "not_a_database", "unsupported"]


class StoreOpenError(Exception):
    """Why the store could not be opened; ``problem`` says which kind, the message says what to do."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def shown(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    try:
        return make_url(url.strip() if "://" in url else normalize_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unparsable URL)"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__, getattr(e, "orig", None)]
    return seen


def _sqlite_precheck(path: Path, where: str) -> None:
    """What SQLite would report vaguely ("unable to open database file"), said precisely."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise StoreOpenError("folder_unwritable", f"cannot create the database folder {folder}: "
                             f"a file is in the way; {where}") from None
    except OSError as exc:
        raise StoreOpenError("folder_unwritable", f"cannot create the database folder {folder} "
                             f"({exc.strerror or exc}); {where}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreOpenError("folder_unwritable", f"the database folder {folder} is not writable by this user "
                             f"(SQLite writes its journal next to the file); {where}")
    if path.exists():
        if not path.is_file():
            raise StoreOpenError("not_a_database", f"{path} is not a file; {where}")
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreOpenError("read_only", f"the database file {path} is read-only for this user; {where}")


def classify(exc: BaseException, url: str) -> StoreOpenError:
    """Map an exception raised while opening and migrating the store to a :class:`StoreOpenError`."""
    where = f"DATABASE_URL={shown(url)}"
    for e in _chain(exc):
        text = str(e).lower()
        name = type(e).__name__
        if isinstance(e, SchemaTooNew):
            return StoreOpenError("unsupported", f"{e}; upgrade Safeer ({where})")
        if "readonly" in text or "read-only" in text or name == "ReadOnlySQLTransactionError":
            return StoreOpenError("read_only", f"the database is read-only ({where})")
        if "file is not a database" in text or (isinstance(e, sqlite3.DatabaseError) and "malformed" in text):
            return StoreOpenError("not_a_database", f"the database file is not a SQLite database ({where})")
        if "unable to open database file" in text:
            return StoreOpenError("folder_unwritable", f"SQLite cannot open or create the file ({where})")
    for e in _chain(exc):
        if isinstance(e, OSError | TimeoutError) or type(e).__module__.startswith("asyncpg"):
            detail = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
            return StoreOpenError("unreachable", f"cannot connect to the database: {detail} ({where})")
    first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return StoreOpenError("unreachable", f"the database failed at start: {first} ({where})")


async def open_store(url: str) -> ReminderStore:
    """:meth:`ReminderStore.open`, with every failure a :class:`StoreOpenError`."""
    where = f"DATABASE_URL={shown(url)}"
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError:
        raise StoreOpenError("unsupported", f"DATABASE_URL is not a database URL ({where})") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql") or parsed.get_driver_name() not in ("aiosqlite", "asyncpg"):
        raise StoreOpenError("unsupported", f"DATABASE_URL: {backend!r} is not supported; use sqlite:///path "
                             f"or postgresql://user@host/db ({where})")
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        _sqlite_precheck(Path(parsed.database).expanduser(), where)
    try:
        return await ReminderStore.open(url)
    except (StoreOpenError, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise classify(exc, url) from None
