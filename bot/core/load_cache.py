"""Start fast: remember the loaded library, keyed by the bytes of every data file.

Every load still reads every brief and corpus file and hashes its bytes (sha256); nothing is
trusted on a file's name, size or time. Then, from one cache file per pair of data folders:

* **snapshot** — if every file, the code and the folders are exactly as when the file was
  written, the whole library (catalog, search index, calendar) is read back from it. On a start
  the snapshot is read while a helper process lists and hashes the data files
  (:mod:`bot.core.file_listing`), and used once the keys are seen to agree.
* **parts** — otherwise each brief file whose bytes are unchanged gets back its parsed brief and
  its search terms from the same file, so only edited files are parsed and normalised again, and
  the corpus is reused when no corpus file changed. Validation, the index and the calendar are
  then built as usual (validation always sees the whole catalog).
* **fresh** — no usable cache file: everything is parsed, on every core
  (:mod:`bot.core.parse_workers`).

The cache file is written after the library is returned, by a background thread (so a reload is
ready before the file is); :func:`flush` waits for it. A cache file is ignored, never trusted,
when its format or keys differ, when it is not owned by this user or is writable by others, or
when its HMAC (with a random key kept beside it, mode 0600) does not match: only files this
program wrote are unpickled, and a truncated or corrupt file is rebuilt, never an error. Reading
is also limited to an explicit list of Safeer's data classes, numpy arrays and dates. The cache lives in
``SAFEER_CACHE_DIR``, else ``.safeer/cache`` in the project; ``SAFEER_CACHE=off`` disables it.

Everything is written and read in chunks of a few hundred objects, so a load running in a worker
thread (the bot reloads with ``asyncio.to_thread``) never holds the GIL for long.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import hmac
import itertools
import logging
import os
import pickle
import secrets
import stat
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import rapidfuzz
import yaml

from ..paths import PROJECT_ROOT
from .briefs import Brief
from .calendar import Calendar
from .catalog import Catalog, build_catalog, load_catalog
from .data_folder import decode as _text
from .documents import Document, build_corpus, load_corpus
from .file_listing import DEFAULT_LIMITS, Listed, ListingProcess, ReadLimits, list_files
from .parse_workers import ParseJobs
from .problems import Problem, namer_in
from .search import SearchIndex
from .terms import BriefTerms, brief_terms
from .validate import broken_documents, check_facts, normalised_names

log = logging.getLogger(__name__)

#: Bump when what is stored changes shape; the code's own bytes are part of every key as well.
FORMAT = 1
_MAGIC = b"SAFEER-CACHE\x00\x01\n"
_MAC_SIZE = 32
_KEY_SIZE = 64  # hex sha256; both keys are in the clear, so a stale file is skipped without reading it
_NO_LIBRARY = "0" * _KEY_SIZE  # library key of a file that holds only parts (the last load failed)
_CHUNK = 400  # objects per pickle chunk: each load() call holds the GIL for a few ms at most
_WRITER_PAUSE = 0.001  # seconds the background writer sleeps between chunks
_KEEP = 8  # cache files kept in the folder (one per pair of data folders in use)
_OFF = {"0", "off", "no", "false"}
_Entry = tuple[Brief | None, list[Problem], BriefTerms | None]  # one brief file: parsed brief, problems, terms


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


def default_cache_dir() -> Path | None:
    """``SAFEER_CACHE_DIR``, else ``.safeer/cache`` in the project; None when ``SAFEER_CACHE=off``."""
    if os.environ.get("SAFEER_CACHE", "").strip().lower() in _OFF:
        return None
    configured = os.environ.get("SAFEER_CACHE_DIR", "").strip()
    return Path(configured) if configured else PROJECT_ROOT / ".safeer" / "cache"


@contextlib.contextmanager
def paused_gc(freeze: bool = False) -> Iterator[None]:
    """No cyclic garbage collection while a catalog is built (what is built here has no cycles)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was:
            gc.enable()


_switching_lock = threading.Lock()
_switching_users = 0
_switching_saved = 0.005
#: While a load runs, the GIL changes hands every 1 ms instead of every 5 ms: a reload in a worker
#: thread is CPU-bound Python, and the event loop would otherwise wait up to 5 ms for the GIL each
#: time it wakes up or comes back from a call that released it (numpy, I/O) — many times per query.
RESPONSIVE_SWITCH_INTERVAL = 0.001


@contextlib.contextmanager
def responsive() -> Iterator[None]:
    """Hand the GIL over more often while this block runs (process-wide, restored afterwards)."""
    global _switching_users, _switching_saved
    with _switching_lock:
        if _switching_users == 0:
            _switching_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switching_saved, RESPONSIVE_SWITCH_INTERVAL))
        _switching_users += 1
    try:
        yield
    finally:
        with _switching_lock:
            _switching_users -= 1
            if _switching_users == 0:
                sys.setswitchinterval(_switching_saved)


def release(*containers: dict[Any, Any] | list[Any], batch: int = 200) -> None:
    """Empty dicts and lists of many objects a few hundred at a time.

    ``clear()``, or a function returning with them as locals, frees everything in one C call: for
    the temporaries of a 10,000-brief load that holds the GIL for tens of milliseconds, which the
    event loop feels when a reload runs in a thread.
    """
    for container in containers:
        if isinstance(container, list):
            while container:
                del container[-batch:]
            continue
        while container:
            for key in list(itertools.islice(container, batch)):
                del container[key]


def load(briefs_dir: Path, corpus_dir: Path, cache_dir: Path | None, *, current: Loaded | None = None,
         freeze: bool = True, limits: ReadLimits = DEFAULT_LIMITS, helpers: int | None = None) -> Loaded:
    """Load, validate and index, through the cache in ``cache_dir`` (None: no cache file).

    Raises :class:`DataError` exactly as :func:`bot.core.catalog.load_catalog` does.

    ``current`` is the library a running program holds (a reload): when it was loaded here, its
    briefs and terms are reused for the files that did not change, and if nothing changed it is
    returned as it is. That needs no cache file and reads nothing back, so a reload in a worker
    thread stays light on the event loop.

    The cyclic garbage collector is paused meanwhile, and with ``freeze`` the new objects are
    moved to the permanent generation (:func:`gc.freeze`) before it resumes: a 10,000-brief
    library is about a million objects, and without this the next collections would walk them
    all, holding the GIL for a quarter of a second, right after the load (or in the middle of
    serving queries). A library holds no reference cycles, so an old one is still freed by
    reference counting once nothing refers to it.
    """
    start = time.perf_counter()
    with responsive(), paused_gc(freeze=freeze):
        loaded = _Cache(cache_dir, briefs_dir, corpus_dir, limits, helpers).load(current)
    loaded.report.seconds = time.perf_counter() - start
    return loaded


def _fresh(briefs_dir: Path, corpus_dir: Path, report: LoadReport, limits: ReadLimits) -> Loaded:
    catalog = load_catalog(briefs_dir, corpus_dir, limits)
    briefs = list(catalog.briefs.values())
    report.parsed = len(briefs)
    return Loaded(catalog, SearchIndex(briefs), Calendar(briefs), report)


# -- reading the data files ---------------------------------------------------------------------


@dataclass
class _File:
    name: str
    link: str  # where a symlinked file really is (it shows in messages), else ""
    digest: str  # sha256 of the bytes
    data: bytes | None  # dropped once known not to be needed


def _scan(directory: Path, suffix: str, limits: ReadLimits = DEFAULT_LIMITS, keep: bool = True) -> list[_File] | None:
    """Every ``*suffix`` file of a folder, read and hashed (:func:`bot.core.file_listing.list_files`)."""
    files = list_files(directory, suffix, keep, limits)
    return None if files is None else [_File(*f) for f in files]


def _code_fingerprint() -> str:
    """The bytes of the code that turns files into a library, and the libraries it relies on."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"{FORMAT}|{sys.version}|{yaml.__version__}|{getattr(yaml, '__with_libyaml__', False)}|"
                  f"{np.__version__}|{rapidfuzz.__version__}".encode())
    return digest.hexdigest()


# -- cache files ----------------------------------------------------------------------------------

_END = "end"
#: The only globals a cache file may name: Safeer's data classes, numpy arrays, dates.
_ALLOWED = frozenset({
    ("bot.core.briefs", "Brief"), ("bot.core.briefs", "Fact"), ("bot.core.dates", "PartialDate"),
    ("bot.core.documents", "Document"), ("bot.core.problems", "Problem"), ("bot.core.calendar", "Calendar"),
    ("bot.core.calendar", "Event"), ("bot.core.search", "SearchIndex"), ("bot.core.terms", "BriefTerms"),
    ("datetime", "date"), ("builtins", "frozenset"), ("builtins", "set"),
    ("numpy", "dtype"), ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
})


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



class _SignedFile:
    """A file being written that signs every byte on its way (the pickler writes frames here),
    and gives up past ``limit`` bytes: a cache file never grows past a bound relative to the data."""

    def __init__(self, fh: Any, signer: Any, limit: int) -> None:
        self.fh, self.signer, self.left = fh, signer, limit

    def write(self, data: bytes) -> int:
        self.left -= memoryview(data).nbytes  # numpy arrays arrive as pickle.PickleBuffer
        if self.left < 0:
            raise ValueError("the cache file would be larger than its bound for this data; not written")
        self.signer.update(data)
        return int(self.fh.write(data))


def size_bound(data_bytes: int) -> int:
    """The most a cache file may hold for this many bytes of data (real ones hold ~4x; see BENCHMARKS.md)."""
    return 16 * data_bytes + (8 << 20)


class _Pickler(pickle.Pickler):
    def __init__(self, fh: Any, shared: dict[int, int]) -> None:
        super().__init__(fh, protocol=5)
        self.shared = shared

    def persistent_id(self, obj: Any) -> int | None:
        return self.shared.get(id(obj))


def _is_record(obj: object) -> bool:
    """Objects other chunks may refer to: Safeer's data classes (briefs, facts, events, documents)."""
    return type(obj).__module__.startswith("bot.core.")


class _Writer:
    """Writes a library as independent chunks of a few hundred objects each.

    After each chunk the pickle memo is cleared, so neither writing nor reading ever holds a
    memo of the whole library (freeing one of a million entries holds the GIL for ~80 ms).
    Objects that later chunks refer to (briefs, facts, documents, events) are "shared": each
    chunk lists them under ``"share"``, and later chunks refer to them by number.
    """

    def __init__(self, fh: Any, signer: Any, limit: int) -> None:
        self.shared: dict[int, int] = {}
        self.count = 0
        self.alive: list[object] = []  # ids stay valid only while the objects live
        self.pickler = _Pickler(_SignedFile(fh, signer, limit), self.shared)

    def chunk(self, part: dict[str, object], share: Iterable[object] = ()) -> None:
        shared = [obj for obj in share if id(obj) not in self.shared]
        if shared:
            part = {**part, "share": shared}
        self.pickler.dump(part)
        self.pickler.clear_memo()
        for obj in shared:  # the reader numbers them in the same order
            self.shared[id(obj)] = self.count
            self.count += 1
            self.alive.append(obj)
        # Nothing waits for this file: step aside after every chunk, so that the event loop (and
        # a reload still running) get the GIL at once instead of queueing behind this thread.
        time.sleep(_WRITER_PAUSE)

    def records(self, name: str, items: Iterable[object], size: int, share: Callable[[object], Iterable[object]],
                ) -> None:
        batch: list[object] = []
        for item in items:
            batch.append(item)
            if len(batch) >= size:
                self.chunk({name: batch}, (o for b in batch for o in share(b)))
                batch = []
        if batch:
            self.chunk({name: batch}, (o for b in batch for o in share(b)))

    def large(self, name: str, obj: object) -> None:
        """An object (an index, a calendar) whose big lists and dicts are written piece by piece."""
        state = obj.__getstate__()
        if not isinstance(state, dict):
            raise TypeError(f"cannot store {type(obj).__name__}")
        small, kinds = {}, {}
        for key, value in state.items():  # lists first: dicts may refer to their records
            if isinstance(value, list | tuple) and len(value) > _CHUNK:
                kinds[key] = type(value).__name__
                for k in range(0, len(value), _CHUNK):
                    piece = list(value[k : k + _CHUNK])
                    self.chunk({"piece": (name, key, piece)}, (o for o in piece if _is_record(o)))
        for key, value in state.items():
            if key in kinds:
                continue
            if isinstance(value, dict) and len(value) > 50:
                kinds[key] = "dict"
                items = list(value.items())
                for k in range(0, len(items), 50):
                    self.chunk({"piece": (name, key, items[k : k + 50])})
            else:
                small[key] = value
        self.chunk({"object": (name, type(obj), small, kinds)})

    def finish(self) -> None:
        self.pickler.dump(_END)
        self.pickler.clear_memo()


class _Stale(Exception):
    """A snapshot being read turned out to be for other files."""


_RESTORABLE = (SearchIndex, Calendar)


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


@dataclass(frozen=True)
class _Origin:
    """How a catalog in memory was loaded: enough to reload it cheaply after an edit."""

    setting_key: str
    corpus_key: str
    library_key: str
    entries: dict[tuple[str, str, str], tuple[Brief | None, list[Problem]]]  # per brief file
    corpus: tuple[Mapping[str, Document], list[Problem]] | None


_origins: dict[int, tuple[weakref.ref[Catalog], _Origin]] = {}
_origins_lock = threading.Lock()


def _remember(catalog: Catalog, origin: _Origin) -> None:
    key = id(catalog)

    def forget(_: object) -> None:
        with _origins_lock:
            if key in _origins and _origins[key][0]() is None:
                del _origins[key]

    with _origins_lock:
        _origins[key] = (weakref.ref(catalog, forget), origin)


def _origin_of(catalog: Catalog) -> _Origin | None:
    with _origins_lock:
        found = _origins.get(id(catalog))
    return found[1] if found is not None and found[0]() is catalog else None


_writers: list[threading.Thread] = []
_writers_lock = threading.Lock()


def flush(timeout: float | None = None) -> None:
    """Wait until cache files being written in the background are on disk."""
    with _writers_lock:
        pending = list(_writers)
    for thread in pending:
        thread.join(timeout)


class _Cache:
    """The cache folder, for one pair of data folders."""

    def __init__(self, directory: Path | None, briefs_dir: Path, corpus_dir: Path, limits: ReadLimits,
                 helpers: int | None) -> None:
        self.limits, self.helpers = limits, helpers
        self.data_bytes = 0  # of the brief files and documents: what bounds the cache file's size
        self.enabled = directory is not None  # without a folder: reuse the current library, store nothing
        self.directory = directory or Path()
        self.briefs_dir, self.corpus_dir = briefs_dir, corpus_dir
        self.report = LoadReport("fresh", cache_dir=str(directory) if directory else None)
        self._secret: bytes | None = None
        self._clock = time.perf_counter()

    def _note(self, text: str) -> None:
        if text not in self.report.notes:  # a snapshot start may read a broken file twice
            self.report.notes.append(text)

    def _phase(self, name: str) -> None:
        now = time.perf_counter()
        self.report.phases[name] = self.report.phases.get(name, 0.0) + now - self._clock
        self._clock = now

    # -- the load ----------------------------------------------------------------------------

    def load(self, current: Loaded | None) -> Loaded:
        try:
            where = Path.cwd().resolve()
        except OSError:
            return _fresh(self.briefs_dir, self.corpus_dir, self.report, self.limits)
        setting = hashlib.sha256()
        for part in (_code_fingerprint(), str(where), str(self.briefs_dir), str(self.corpus_dir),
                     os.path.realpath(self.briefs_dir), os.path.realpath(self.corpus_dir)):
            setting.update(part.encode("utf-8", "surrogateescape") + b"\0")
        self.setting_key = setting.hexdigest()
        stem = hashlib.sha256(f"{where}\0{self.briefs_dir}\0{self.corpus_dir}".encode(
            "utf-8", "surrogateescape")).hexdigest()[:20]
        self.path = self.directory / f"library-{stem}.bin"
        if current is None and self.enabled:
            snapshot = self._snapshot_while_listing()
            if snapshot is not None:
                return snapshot
        briefs = _scan(self.briefs_dir, ".yaml", self.limits)
        corpus = _scan(self.corpus_dir, ".md", self.limits, keep=False)
        if not briefs or corpus is None:
            self.report.notes.append("no briefs, or a data folder or file could not be read: loading without cache")
            return _fresh(self.briefs_dir, self.corpus_dir, self.report, self.limits)
        self.report.files = len(briefs) + len(corpus)
        self.corpus_key = self._listing_key(self.setting_key, corpus)
        self.library_key = self._listing_key(self.corpus_key, briefs)
        self._phase("read and hash files")

        origin = _origin_of(current.catalog) if current is not None else None
        if origin is not None and current is not None and origin.setting_key == self.setting_key:
            if origin.library_key == self.library_key:
                self.report.source = "unchanged"
                return Loaded(current.catalog, current.index, current.calendar, self.report)
            known: dict[tuple[str, str, str], _Entry] = {k: (b, p, None) for k, (b, p) in origin.entries.items()}
            reuse = origin.corpus if origin.corpus_key == self.corpus_key else None
            old_terms = dict(zip(map(id, current.index.briefs), current.index.terms(), strict=True))
            self._phase("reuse the current library")
            return self._build(briefs, known, reuse, old_terms)
        if not self.enabled:
            return self._build(briefs, {}, None, {})

        library_ok, parts_ok = self._probe()
        if library_ok:
            for f in briefs:
                f.data = None  # not needed if the library loads: free the memory first
            named = self._read(parts_too=False)
            loaded = self._library(named, briefs) if named is not None else None
            self._phase("read cache")
            if loaded is not None:
                return loaded
            again = _scan(self.briefs_dir, ".yaml", self.limits)
            if again is None or self._listing_key(self.corpus_key, again) != self.library_key:
                return _fresh(self.briefs_dir, self.corpus_dir, self.report, self.limits)  # files changed meanwhile
            briefs = again
        named = (self._read(parts_too=True) if parts_ok else None) or {}
        self._phase("read cache")
        known = {(name, link, digest): (brief, problems, terms)
                 for name, link, digest, brief, problems, terms in named.get("entries", ())}
        cached = named.get("corpus")
        reuse = (cached[1], cached[2]) if cached is not None and cached[0] == self.corpus_key else None
        # After a successful load the file keeps no terms: the old index gives them back.
        stale = named.get("index")
        old_terms = dict(zip(map(id, stale.briefs), stale.terms(), strict=True)) \
            if isinstance(stale, SearchIndex) else {}
        named.clear()
        del stale
        return self._build(briefs, known, reuse, old_terms)

    def _snapshot_while_listing(self) -> Loaded | None:
        """The usual start, nothing changed: the snapshot is read while a helper process reads
        and hashes the data files, and used if the keys then agree.

        Reading the snapshot only starts if it was written by this code for these folders; it
        is abandoned as soon as the listing shows a changed file (then the normal way follows,
        having lost the time the listing took, ~0.1 s at 10,000 briefs). The snapshot's bytes
        are checked against their HMAC before anything is unpickled, as always.
        """
        head = self._header()
        if head is None or head[1] != self.setting_key or head[0] == _NO_LIBRARY:
            return None
        try:
            lister = ListingProcess([(str(self.briefs_dir), ".yaml"), (str(self.corpus_dir), ".md")], self.limits)
        except OSError:
            return None
        expected = head[0]
        try:
            self.library_key = expected  # provisionally, so that _read takes the file; checked below

            def keys_of(listing: list[list[Listed]] | None) -> tuple[str, str] | None:
                if listing is None or not listing[0]:
                    return None
                corpus_key = self._listing_key(self.setting_key, listing[1])
                return corpus_key, self._listing_key(corpus_key, listing[0])

            known: list[tuple[str, str] | None] = []  # the keys, once the listing is in

            def unchanged_so_far() -> bool:  # asked between chunks: stop early once a change is known
                if not known:
                    if not lister.done():
                        return True
                    known.append(keys_of(lister.result()))
                return known[0] is not None and known[0][1] == expected

            named = self._read(parts_too=False, keep_going=unchanged_so_far)
            listing = lister.result()
            keys = known[0] if known else keys_of(listing)
        finally:
            lister.stop()
        self._phase("read cache while listing files")
        if named is None or listing is None or keys is None or keys[1] != expected:
            return None
        self.corpus_key, self.library_key = keys
        self.report.files = len(listing[0]) + len(listing[1])
        return self._library(named, listing[0])

    def _header(self) -> tuple[str, str] | None:
        """The cache file's library key and parts key; ("", "") if it is not a cache file, None if
        there is no file to read."""
        size = len(_MAGIC) + 2 * _KEY_SIZE
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(size)
        except OSError:
            return None
        if len(head) != size or not head.startswith(_MAGIC):
            return "", ""
        keys = head[len(_MAGIC) :].decode("ascii", "replace")
        return keys[:_KEY_SIZE], keys[_KEY_SIZE:]

    def _probe(self) -> tuple[bool, bool]:
        """Whether the cache file's library key and parts key are this load's (header only)."""
        head = self._header()
        if head is None:
            return False, False
        if head == ("", ""):
            return False, True  # not a cache file: _read() says why
        return head[0] == self.library_key, head[1] == self.setting_key

    @staticmethod
    def _listing_key(seed: str, files: Sequence[_File | Listed]) -> str:
        digest = hashlib.sha256(seed.encode())
        for f in files:
            digest.update(f"{f.name}\0{f.link}\0{f.digest}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _library(self, named: dict[str, Any], files: Sequence[_File | Listed]) -> Loaded | None:
        """The stored library, if whole. Its parts (what each file parsed into) are not read:
        a library is only stored after a load without problems, so each file gave the brief
        named after it and no problem, and every document was used as it is."""
        if "calendar" not in named:
            return None
        try:
            documents = {d.id: d for d in named["documents"]}
            briefs: list[Brief] = named["briefs"]
            content_hash, file_hashes = named["catalog"]
            index, calendar = named["index"], named["calendar"]
            if not isinstance(index, SearchIndex) or not isinstance(calendar, Calendar) \
                    or len(index) != len(briefs):
                raise TypeError("unexpected objects")
            catalog = Catalog(
                briefs=MappingProxyType({b.id: b for b in briefs}),
                documents=MappingProxyType(documents),
                content_hash=content_hash,
                file_hashes=MappingProxyType(file_hashes),
            )
            entries: dict[tuple[str, str, str], tuple[Brief | None, list[Problem]]] = {
                (f.name, f.link, f.digest): (catalog.briefs[f.name.removesuffix(".yaml")], []) for f in files}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.report.notes.append(f"cached library ignored: {exc}")
            return None
        corpus: tuple[Mapping[str, Document], list[Problem]] = (catalog.documents, [])
        _remember(catalog, _Origin(self.setting_key, self.corpus_key, self.library_key, entries, corpus))
        self.report.source = "snapshot"
        return Loaded(catalog, index, calendar, self.report)

    def _build(self, briefs: list[_File], known: dict[tuple[str, str, str], _Entry],
               corpus: tuple[Mapping[str, Document], list[Problem]] | None, old_terms: dict[int, BriefTerms],
               ) -> Loaded:
        """Parse what changed, reuse the rest, validate everything, index, and store the result."""
        texts = [_text(f.data) if f.data is not None else None for f in briefs]
        if any(t is None for t in texts):
            self.report.notes.append("a brief is not UTF-8: loading without cache")
            return _fresh(self.briefs_dir, self.corpus_dir, self.report, self.limits)
        # The catalog's per-file hashes are of the text; it differs from the bytes (already hashed
        # by the listing) only where _text() turned \r\n into \n.
        self.data_bytes = sum(len(t) for t in texts if t is not None)
        text_hashes = {f.name: f.digest if b"\r" not in f.data else hashlib.sha256(t.encode()).hexdigest()
                       for f, t in zip(briefs, texts, strict=True) if t is not None and f.data is not None}
        for f in briefs:
            f.data = None  # the text is all that is needed from here on
        key_of = {f.name: (f.name, f.link, f.digest) for f in briefs}
        # Files not parsed before go to every core, starting now, while the corpus is read.
        name_of = namer_in(self.briefs_dir)
        path_of = {f.name: self.briefs_dir / f.name for f in briefs}
        jobs = ParseJobs([(path_of[f.name], t, name_of(f.name, f.link))
                          for f, t in zip(briefs, texts, strict=True) if t is not None and key_of[f.name] not in known],
                         helpers=self.helpers)
        del texts  # from here the texts live only in ``jobs``, which lets go of them chunk by chunk
        if corpus is not None:
            documents, corpus_problems = corpus
            corpus_reused = corpus_stable = True
        else:
            # Read once more, keeping the bytes this time (a snapshot start never needs them), and
            # remembered only if no corpus file changed since the listing this load is keyed by.
            scanned = _scan(self.corpus_dir, ".md", self.limits)
            corpus_texts = [_text(f.data) if f.data is not None else None for f in scanned] if scanned else [None]
            corpus_reused = False
            if scanned is None or any(t is None for t in corpus_texts):  # the uncached reader reports it
                documents, corpus_problems = load_corpus(self.corpus_dir, self.limits)
                corpus_stable = False
            else:
                documents, corpus_problems = build_corpus(
                    [(self.corpus_dir / f.name, t or "") for f, t in zip(scanned, corpus_texts, strict=True)], [])
                corpus_stable = self._listing_key(self.setting_key, scanned) == self.corpus_key
            del scanned, corpus_texts
        self._phase("read corpus")
        broken = broken_documents(corpus_problems)
        self.data_bytes += sum(len(d.text) for d in documents.values())
        # Each chunk's facts are checked as it arrives, while helpers go on parsing.
        fresh: dict[tuple[str, str, str], _Entry] = {}
        fact_problems: dict[int, list[Problem]] = {}
        for k, chunk in jobs.finished():
            for (path, _, _), entry in zip(jobs.chunks[k], chunk, strict=True):
                fresh[key_of[path.name]] = entry
                if entry[0] is not None:
                    fact_problems[id(entry[0])] = check_facts(entry[0], documents, broken)
        self.report.notes += jobs.notes
        self.report.helpers = jobs.helped
        del jobs
        self._phase("parse")

        def facts_of(brief: Brief) -> list[Problem]:
            found = fact_problems.get(id(brief))
            return found if found is not None else check_facts(brief, documents, broken)

        used: dict[tuple[str, str, str], _Entry] = {}
        terms_by_brief: dict[int, BriefTerms] = {}

        def parse(path: Path, raw: str) -> tuple[Brief | None, list[Problem]]:
            file_key = key_of[path.name]
            entry = known.get(file_key)
            if entry is None:
                entry = fresh.pop(file_key, None)
                if entry is None:  # pragma: no cover - every new file was parsed above
                    raise RuntimeError(f"{path.name} was not parsed")
                self.report.parsed += 1
            used[file_key] = entry
            if entry[0] is not None:
                terms = entry[2] or old_terms.get(id(entry[0]))
                if terms is not None:
                    terms_by_brief[id(entry[0])] = terms
            return entry[0], list(entry[1])

        def names_of(brief: Brief) -> Iterable[str]:  # what validation needs from the index terms
            terms = terms_by_brief.get(id(brief))
            return (norm for norm, _ in terms.names) if terms is not None else normalised_names(brief)

        files = [(path_of[f.name], "") for f in briefs]  # parsed or known: the text is not needed
        known_count = len(known)
        try:
            catalog = build_catalog(self.briefs_dir, documents, corpus_problems, files, [], parse, names_of,
                                    facts_of, text_hashes)
        except Exception:
            self._phase("validate")
            self.report.source = "parts" if len(used) > self.report.parsed or corpus_reused else "fresh"
            if self.report.parsed or not corpus_reused or len(used) != known_count:
                # Remember what was parsed, so fixing the problem parses only the fixed file.
                self._store(None, corpus_stable, documents, corpus_problems, dict(used))
            raise
        self._phase("validate")
        self.report.source = "parts" if len(used) > self.report.parsed or corpus_reused else "fresh"
        release(files)
        ordered = list(catalog.briefs.values())
        index = SearchIndex(ordered, terms=[terms_by_brief.get(id(b)) or brief_terms(b)
                                            for b in ordered])
        release(terms_by_brief, fact_problems, old_terms, known)
        calendar = Calendar(ordered)
        self._phase("index and calendar")
        _remember(catalog, _Origin(self.setting_key, self.corpus_key, self.library_key,
                                   {k: (e[0], e[1]) for k, e in used.items()},
                                   (documents, corpus_problems) if corpus_stable else None))
        # A snapshot is keyed by the listing this load began with: not stored if the corpus moved meanwhile.
        self._store(Loaded(catalog, index, calendar, self.report) if corpus_stable else None, corpus_stable,
                    documents, corpus_problems, dict(used))
        release(used, path_of, key_of, text_hashes, briefs)  # the caller has no use for its listing either
        return Loaded(catalog, index, calendar, self.report)

    # -- the cache file --------------------------------------------------------------------------
    #
    # Layout: MAGIC, the library key and the parts key (64 hex characters each, in the clear),
    # HMAC-SHA256 of both keys and the payload, then the payload: pickles written one after another
    # by one Pickler, so later ones refer to objects of earlier ones, and read back one at a time.
    # The library comes first (documents, briefs, catalog, index, calendar, then a "library" mark,
    # where a snapshot reader stops), then the parts: the corpus and one entry per brief file.

    def _store(self, library: Loaded | None, corpus_stable: bool, documents: Mapping[str, Document],
               corpus_problems: list[Problem], used: dict[tuple[str, str, str], _Entry]) -> None:
        """Write the cache file in a background thread: the caller has its library already."""
        if not self.enabled:
            return
        library_key = self.library_key if library is not None else _NO_LIBRARY

        def fill(writer: _Writer) -> None:
            docs = list(library.catalog.documents.values() if library is not None else documents.values())
            writer.records("documents", docs, 20, lambda d: (d,))
            if library is not None:
                catalog = library.catalog
                writer.records("briefs", catalog.briefs.values(), 100,
                               lambda b: (b, *b.facts) if isinstance(b, Brief) else (b,))
                writer.chunk({"catalog": (catalog.content_hash, dict(catalog.file_hashes))})
                writer.large("index", library.index)
                writer.large("calendar", library.calendar)
            writer.chunk({"library": True})
            if corpus_stable:
                writer.chunk({"corpus": (self.corpus_key, dict(documents), list(corpus_problems))})
            # With a library the terms are left out: its index gives them back (SearchIndex.terms).
            items = [(*k, *v) if library is None else (*k, v[0], v[1], None) for k, v in used.items()]
            for k in range(0, len(items), 200):
                writer.chunk({"entries": items[k : k + 200]})

        def run() -> None:
            try:
                with responsive():
                    self._write(library_key, fill)
            finally:
                with _writers_lock:
                    _writers.remove(thread)

        thread = threading.Thread(target=run, name="safeer-cache-write")
        with _writers_lock:
            _writers.append(thread)
        thread.start()

    def _read(self, parts_too: bool, keep_going: Callable[[], bool] | None = None) -> dict[str, Any] | None:
        """The named parts of the cache file: the library if its key matches (and the parts too,
        if asked for and their key matches); None when missing, stale, foreign or corrupt."""
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._note(f"{self.path.name} ignored: {exc}")
            return None
        head_size = len(_MAGIC) + 2 * _KEY_SIZE + _MAC_SIZE
        try:
            with fh:
                if not self._trusted(os.fstat(fh.fileno())) or not self._trusted(os.stat(self.directory)):
                    raise ValueError("not owned by this user, or writable by others")
                head = fh.read(head_size)
                if len(head) != head_size or not head.startswith(_MAGIC):
                    raise ValueError("not a cache file")
                keys = head[len(_MAGIC) : len(_MAGIC) + 2 * _KEY_SIZE].decode("ascii")
                library_ok = keys[:_KEY_SIZE] == self.library_key
                parts_ok = keys[_KEY_SIZE:] == self.setting_key
                if not (library_ok or (parts_too and parts_ok)):
                    return {} if parts_ok else None  # written for other files or code: stale, not an error
                secret = self._key(create=False)
                if secret is None:
                    raise ValueError("no cache key")
                signer = _signer(secret, keys)
                while block := fh.read(1 << 20):
                    signer.update(block)
                if not hmac.compare_digest(signer.digest(), head[-_MAC_SIZE:]):
                    raise ValueError("checksum does not match")
                fh.seek(head_size)
                return self._unpickle(fh, parts_too and parts_ok, keep_going)
        except _Stale:
            return None
        except Exception as exc:  # a cache must never stop a load: anything odd means "rebuild"
            self._note(f"{self.path.name} ignored: {type(exc).__name__}: {exc}")
            return None

    @staticmethod
    def _unpickle(fh: Any, parts_too: bool, keep_going: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Read chunks back: named parts, pieces of big objects put together, shared objects noted.

        ``keep_going`` is asked before each chunk; when it says no, :class:`_Stale` is raised.
        """
        named: dict[str, Any] = {}
        pieces: dict[tuple[str, str], Any] = {}
        shared: list[object] = []
        while True:
            if keep_going is not None and not keep_going():
                raise _Stale
            # One unpickler per chunk: each chunk has its own memo, as the writer cleared its own.
            item = _Unpickler(fh, shared).load()
            if isinstance(item, str) and item == _END:
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

    def _write(self, library_key: str, fill: Callable[[_Writer], None]) -> None:
        """Write the cache file atomically (temporary file, then rename); failures are logged."""
        keys = library_key + self.setting_key
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
                    fh.write(_MAGIC + keys.encode() + bytes(_MAC_SIZE))
                    writer = _Writer(fh, signer, size_bound(self.data_bytes))
                    fill(writer)
                    writer.finish()
                    fh.seek(len(_MAGIC) + 2 * _KEY_SIZE)
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
