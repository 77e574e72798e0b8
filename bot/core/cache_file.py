"""The load cache's file: a library and what each data file parsed into, signed, in chunks.

Buys the cached start (BENCHMARKS.md, 10,000 briefs): 0.36 s from this file instead of 2.8 s
parsing, and a one-byte edit in 1.9 s instead of 2.8 s (only the edited file is parsed; the rest
comes from here).

Layout: MAGIC, the library key and the parts key (64 hex characters each, in the clear, so a
stale file is skipped without reading it), HMAC-SHA256 of both keys and the payload, then the
payload: pickles written one after another by one Pickler, so later ones refer to objects of
earlier ones, and read back one at a time. The library comes first (documents, briefs, catalog,
index, calendar, then a "library" mark, where a snapshot reader stops), then the parts: the
corpus and one entry per brief file.

A file is ignored, never trusted, when its format or keys differ, when it is not owned by this
user or is writable by others, or when its HMAC (a random key kept beside it, mode 0600) does
not match: only files this program wrote are unpickled, and a truncated or corrupt file means
"rebuild", never an error. Reading is also limited to the classes the records are made of
(:func:`allowed_classes`, derived from the record types), numpy arrays and dates. A file never
grows past :func:`bot.core.cache_writer.size_bound` of the data it was made from.

Written and read in chunks of a few hundred objects (each pickle call holds the GIL for a few
ms at most), by a background thread that steps aside after every chunk (:mod:`bot.core.pacing`):
that is what keeps the reload stall under 50 ms while the file is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import logging
import os
import pickle
import secrets
import stat
import tempfile
import threading
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .briefs import Brief
from .cache_writer import END, Writer
from .calendar import Calendar, Event
from .documents import Document
from .problems import Problem
from .search import SearchIndex
from .terms import BriefTerms

log = logging.getLogger(__name__)

MAGIC = b"SAFEER-CACHE\x00\x01\n"
MAC_SIZE = 32
KEY_SIZE = 64  # hex sha256
NO_LIBRARY = "0" * KEY_SIZE  # library key of a file that holds only parts (the last load failed)
_KEEP = 8  # cache files kept in the folder (one per pair of data folders in use)

#: What a cache file holds: Safeer's records and the two big objects. Everything their fields are
#: made of is allowed too (:func:`allowed_classes`), so a new field of a new type needs no change here.
STORED = (Brief, Document, Problem, BriefTerms, Event, SearchIndex, Calendar)
_RESTORABLE = (SearchIndex, Calendar)
_OTHERS = frozenset({
    ("datetime", "date"), ("builtins", "frozenset"), ("builtins", "set"),
    ("numpy", "dtype"), ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
})


def allowed_classes(roots: Iterable[type] = STORED) -> frozenset[tuple[str, str]]:
    """``(module, name)`` of the stored classes and of every Safeer class their fields are typed with."""
    seen: set[type] = set()
    todo = list(roots)
    while todo:
        cls = todo.pop()
        if cls in seen or not cls.__module__.startswith("bot."):
            continue
        seen.add(cls)
        if hasattr(cls, "_fields") or dataclasses.is_dataclass(cls):
            for hint in typing.get_type_hints(cls).values():
                todo.extend(_classes_in(hint))
    return frozenset({(c.__module__, c.__qualname__) for c in seen}) | _OTHERS


def _classes_in(hint: object) -> list[type]:
    out: list[type] = [hint] if isinstance(hint, type) else []
    for arg in typing.get_args(hint):
        out += _classes_in(arg)
    return out


_ALLOWED = allowed_classes()


def _signer(secret: bytes, key: str) -> Any:
    return hmac.new(secret, key.encode(), "sha256")


class _Unpickler(pickle.Unpickler):
    """Refuses every global but the few in _ALLOWED; resolves references to objects of earlier chunks."""

    def __init__(self, fh: Any, shared: list[object]) -> None:
        # References to objects of earlier chunks, resolved in C (an index out of range fails the load).
        self.persistent_load = shared.__getitem__  # type: ignore[method-assign]
        super().__init__(fh)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a cache file")


class Stale(Exception):
    """A snapshot being read turned out to be for other files."""


def _restore(cls: type, state: dict[str, Any]) -> object:
    if cls not in _RESTORABLE:
        raise pickle.UnpicklingError(f"refusing to rebuild {cls!r}")
    obj = cls.__new__(cls)
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None:
        setstate(state)
    else:  # pragma: no cover - every object has __setstate__ or takes its __dict__
        obj.__dict__.update(state)
    return obj


class CacheFile:
    """One cache file (for one pair of data folders) in a private cache folder."""

    def __init__(self, directory: Path, path: Path, note: Callable[[str], None]) -> None:
        self.directory, self.path, self._note = directory, path, note
        self._secret: bytes | None = None

    def header(self) -> tuple[str, str] | None:
        """The file's library key and parts key; ("", "") if it is not a cache file, None if there
        is no file to read."""
        size = len(MAGIC) + 2 * KEY_SIZE
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(size)
        except OSError:
            return None
        if len(head) != size or not head.startswith(MAGIC):
            return "", ""
        keys = head[len(MAGIC) :].decode("ascii", "replace")
        return keys[:KEY_SIZE], keys[KEY_SIZE:]

    def read(self, library_key: str, setting_key: str, parts_too: bool,
             keep_going: Callable[[], bool] | None = None) -> dict[str, Any] | None:
        """The named parts of the cache file: the library if its key matches (and the parts too,
        if asked for and their key matches); None when missing, stale, foreign or corrupt."""
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._note(f"{self.path.name} ignored: {exc}")
            return None
        head_size = len(MAGIC) + 2 * KEY_SIZE + MAC_SIZE
        try:
            with fh:
                if not self._trusted(os.fstat(fh.fileno())) or not self._trusted(os.stat(self.directory)):
                    raise ValueError("not owned by this user, or writable by others")
                head = fh.read(head_size)
                if len(head) != head_size or not head.startswith(MAGIC):
                    raise ValueError("not a cache file")
                keys = head[len(MAGIC) : len(MAGIC) + 2 * KEY_SIZE].decode("ascii")
                library_ok = keys[:KEY_SIZE] == library_key
                parts_ok = keys[KEY_SIZE:] == setting_key
                if not (library_ok or (parts_too and parts_ok)):
                    return {} if parts_ok else None  # written for other files or code: stale, not an error
                secret = self._key(create=False)
                if secret is None:
                    raise ValueError("no cache key")
                signer = _signer(secret, keys)
                while block := fh.read(1 << 20):
                    signer.update(block)
                if not hmac.compare_digest(signer.digest(), head[-MAC_SIZE:]):
                    raise ValueError("checksum does not match")
                fh.seek(head_size)
                return self._unpickle(fh, parts_too and parts_ok, keep_going)
        except Stale:
            return None
        except Exception as exc:  # a cache must never stop a load: anything odd means "rebuild"
            self._note(f"{self.path.name} ignored: {type(exc).__name__}: {exc}")
            return None

    @staticmethod
    def _unpickle(fh: Any, parts_too: bool, keep_going: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Read chunks back: named parts, pieces of big objects put together, shared objects noted.

        ``keep_going`` is asked before each chunk; when it says no, :class:`Stale` is raised.
        """
        named: dict[str, Any] = {}
        pieces: dict[tuple[str, str], Any] = {}
        shared: list[object] = []
        while True:
            if keep_going is not None and not keep_going():
                raise Stale
            # One unpickler per chunk: each chunk has its own memo, as the writer cleared its own.
            item = _Unpickler(fh, shared).load()
            if isinstance(item, str) and item == END:
                break
            if not isinstance(item, dict):
                raise pickle.UnpicklingError("unexpected chunk")
            shared.extend(item.pop("share", ()))
            if "library" in item:  # a stale library still serves the parts (its index, its briefs)
                if not parts_too:
                    break
                continue
            for name, value in item.items():
                if name == "piece":
                    owner, key, part = value
                    pieces.setdefault((owner, key), []).extend(part)
                elif name == "object":
                    owner, cls, state, kinds = value
                    for key, kind in kinds.items():
                        got = pieces.pop((owner, key), [])
                        state[key] = tuple(got) if kind == "tuple" else dict(got) if kind == "dict" else list(got)
                    named[owner] = _restore(cls, state)
                elif name in ("briefs", "entries", "documents"):
                    named.setdefault(name, []).extend(value)
                else:
                    named[name] = value
        return named

    @staticmethod
    def _trusted(st: os.stat_result) -> bool:
        uid_ok = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
        return uid_ok and not (st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))

    def _key(self, create: bool) -> bytes | None:
        """The random HMAC key of this cache folder (made on first write, mode 0600)."""
        if self._secret is not None:
            return self._secret
        path = self.directory / "key"
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                secret = fh.read()
            if not self._trusted(st) or st.st_mode & 0o077 or len(secret) != 32:
                return None
        except FileNotFoundError:
            if not create:
                return None
            secret = secrets.token_bytes(32)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                return self._key(create=False)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secret)
        self._secret = secret
        return secret

    def write(self, keys: str, fill: Callable[[Writer], None], limit: int) -> None:
        """Write the cache file atomically (temporary file, then rename); failures are logged."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self._trusted(os.stat(self.directory)):
                raise ValueError(f"{self.directory} is writable by others; not caching there")
            secret = self._key(create=True)
            if secret is None:
                raise ValueError("the cache key file is not usable")
            signer = _signer(secret, keys)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(MAGIC + keys.encode() + bytes(MAC_SIZE))
                    writer = Writer(fh, signer, limit)
                    fill(writer)
                    writer.finish()
                    fh.seek(len(MAGIC) + 2 * KEY_SIZE)
                    fh.write(signer.digest())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except Exception as exc:  # never let a cache write disturb the running program
            log.warning("load cache: could not write %s: %s", self.path, exc)
            return
        with contextlib.suppress(OSError):
            self._evict()

    def _evict(self) -> None:
        """Keep the most recently written files; others belong to folders not used lately."""
        files = sorted(self.directory.glob("library-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[_KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()


_writers: list[threading.Thread] = []
_writers_lock = threading.Lock()


def write_in_background(cache: CacheFile, keys: str, fill: Callable[[Writer], None], limit: int) -> None:
    """Write the file in a background thread: the caller has its library already (see :func:`flush`)."""

    def run() -> None:
        try:
            cache.write(keys, fill, limit)
        finally:
            with _writers_lock:
                _writers.remove(thread)

    thread = threading.Thread(target=run, name="safeer-cache-write")
    with _writers_lock:
        _writers.append(thread)
    thread.start()


def flush(timeout: float | None = None) -> None:
    """Wait until cache files being written in the background are on disk."""
    with _writers_lock:
        pending = list(_writers)
    for thread in pending:
        thread.join(timeout)
