"""What one load knows while it runs, and what a loaded catalog remembers of how it was loaded.

Shared by the cached load (:mod:`bot.core.load_cache`) and the rebuild of what changed
(:mod:`bot.core.incremental_build`): the report, the data files as listed and hashed, the keys
that name a set of files, and each catalog's origin (what each file parsed into), which is what
lets a reload after one edit parse one file: 2.1 s instead of 3.9 s at 10,000 briefs, and a
reload with nothing changed return in 0.27 s (BENCHMARKS.md, "Reload while serving").
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rapidfuzz
import yaml

from .briefs import Brief
from .calendar import Calendar
from .catalog import Catalog
from .documents import Document
from .file_listing import Listed, ReadLimits, list_files
from .problems import Problem
from .search import SearchIndex
from .terms import BriefTerms
from .untracked import untrack_values

#: Bump when what is stored changes shape; the code's own bytes are part of every key as well.
FORMAT = 2

FileKey = tuple[str, str, str]  # name, where a link points (else ""), sha256 of the bytes
Entry = tuple[Brief | None, list[Problem], BriefTerms | None]  # one brief file: parsed brief, problems, terms
Corpus = tuple[Mapping[str, Document], list[Problem]]


@dataclass
class LoadReport:
    """How a load went: where the library came from and how long it took."""

    source: str  # "snapshot" (nothing changed), "parts" (some files parsed again) or "fresh" (no cache)
    files: int = 0  # brief and corpus files read
    parsed: int = 0  # brief files parsed this time
    helpers: int = 0  # chunks of them parsed by helper processes (bot.core.parse_workers)
    seconds: float = 0.0
    cache_dir: str | None = None
    notes: list[str] = field(default_factory=list)  # why a cache file was ignored, write failures
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each step


@dataclass(frozen=True)
class Loaded:
    catalog: Catalog
    index: SearchIndex
    calendar: Calendar
    report: LoadReport


@dataclass
class DataFile:
    name: str
    link: str  # where a symlinked file really is (it shows in messages), else ""
    digest: str  # sha256 of the bytes
    data: bytes | None  # dropped once known not to be needed


def scan(directory: Path, suffix: str, limits: ReadLimits, keep: bool = True) -> list[DataFile] | None:
    """Every ``*suffix`` file of a folder, read and hashed (:func:`bot.core.file_listing.list_files`);
    None when one is refused or unreadable (the load without cache then reports it)."""
    files = list_files(directory, suffix, keep, limits)
    return None if files is None else [DataFile(*f) for f in files]


def listing_key(seed: str, files: Sequence[DataFile | Listed]) -> str:
    digest = hashlib.sha256(seed.encode())
    for f in files:
        digest.update(f"{f.name}\0{f.link}\0{f.digest}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def code_fingerprint() -> str:
    """The bytes of the code that turns files into a library, and the libraries it relies on."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"{FORMAT}|{sys.version}|{yaml.__version__}|{getattr(yaml, '__with_libyaml__', False)}|"
                  f"{np.__version__}|{rapidfuzz.__version__}".encode())
    return digest.hexdigest()


class LoadRun:
    """One load in progress: its folders, settings, keys and report."""

    setting_key = ""  # code, working folder and data folders
    corpus_key = ""  # ... and every corpus file
    library_key = ""  # ... and every brief file

    def __init__(self, briefs_dir: Path, corpus_dir: Path, limits: ReadLimits, helpers: int | None,
                 cache_dir: Path | None) -> None:
        self.briefs_dir, self.corpus_dir = briefs_dir, corpus_dir
        self.limits, self.helpers = limits, helpers
        self.report = LoadReport("fresh", cache_dir=str(cache_dir) if cache_dir else None)
        self.data_bytes = 0  # of the brief files and documents: what bounds the cache file's size
        self.store: Callable[[Loaded | None, bool, Corpus, dict[FileKey, Entry]], None] = lambda *_: None
        self._clock = time.perf_counter()

    def note(self, text: str) -> None:
        if text not in self.report.notes:  # a snapshot start may read a broken file twice
            self.report.notes.append(text)

    def phase(self, name: str) -> None:
        now = time.perf_counter()
        self.report.phases[name] = self.report.phases.get(name, 0.0) + now - self._clock
        self._clock = now


@dataclass(frozen=True)
class Origin:
    """How a catalog in memory was loaded: enough to reload it cheaply after an edit."""

    setting_key: str
    corpus_key: str
    library_key: str
    entries: dict[FileKey, tuple[Brief | None, list[Problem]]]  # per brief file
    corpus: Corpus | None


_origins: dict[int, tuple[weakref.ref[Catalog], Origin]] = {}
_origins_lock = threading.Lock()


def remember(catalog: Catalog, origin: Origin) -> None:
    key = id(catalog)
    untrack_values(origin.entries.values())  # 10,000 (brief, problems) pairs a collection need not walk

    def forget(_: object) -> None:
        with _origins_lock:
            if key in _origins and _origins[key][0]() is None:
                del _origins[key]

    with _origins_lock:
        _origins[key] = (weakref.ref(catalog, forget), origin)


def origin_of(catalog: Catalog) -> Origin | None:
    with _origins_lock:
        found = _origins.get(id(catalog))
    return found[1] if found is not None and found[0]() is catalog else None
