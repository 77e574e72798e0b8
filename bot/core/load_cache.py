"""Start fast: the cached load, which picks the cheapest way to a library that equals a fresh load.

Every load still reads every brief and corpus file and hashes its bytes (sha256); nothing is
trusted on a file's name, size or time. Then, from one cache file per pair of data folders
(:mod:`bot.core.cache_file`), the first way that applies:

* **unchanged** — a reload where no file changed returns the running library (0.27 s at 10,000
  briefs, BENCHMARKS.md).
* **snapshot** — every file, the code and the folders are as when the cache file was written:
  the whole library (catalog, search index, calendar) is read back. On a start the snapshot is
  read while a helper process lists and hashes the data files (:mod:`bot.core.file_listing`),
  which buys ~0.1 s of the 0.34 s cached start (budget 0.5 s).
* **parts** — otherwise (:mod:`bot.core.incremental_build`) each brief file whose bytes are
  unchanged gets back its parsed brief from the cache file or the running library, so only
  edited files are parsed; validation, the index and the calendar are built as usual.
* **fresh** — no usable cache file, or a file refused: everything is read and parsed as it is
  on disk, and the refusals are reported by name.

The cache file is written after the library is returned, by a background thread (so a reload is
ready before the file is); :func:`flush` waits for it. A load changes no process-wide setting:
the garbage collector and the GIL's switch interval belong to the program's runner
(:mod:`bot.runtime`); the library's records are simply kept off the collector's lists
(:mod:`bot.core.untracked`).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .briefs import Brief
from .cache_file import NO_LIBRARY, CacheFile, flush, write_in_background
from .cache_writer import Writer, size_bound
from .calendar import Calendar
from .catalog import Catalog
from .file_listing import DEFAULT_LIMITS, Listed, ListingProcess, ReadLimits
from .incremental_build import build, load_fresh
from .load_state import (
    Corpus,
    DataFile,
    Entry,
    FileKey,
    Loaded,
    LoadReport,
    LoadRun,
    Origin,
    code_fingerprint,
    listing_key,
    origin_of,
    remember,
    scan,
)
from .problems import Problem
from .search import SearchIndex
from .untracked import untrack, untrack_containers

__all__ = ["LoadReport", "Loaded", "flush", "load"]


def load(briefs_dir: Path, corpus_dir: Path, cache_dir: Path | None, *, current: Loaded | None = None,
         limits: ReadLimits = DEFAULT_LIMITS, helpers: int | None = None) -> Loaded:
    """Load, validate and index, through the cache in ``cache_dir`` (None: no cache file).

    Raises :class:`DataError` exactly as :func:`bot.core.catalog.load_catalog` does.

    ``current`` is the library a running program holds (a reload): when it was loaded here, its
    briefs and terms are reused for the files that did not change, and if nothing changed it is
    returned as it is. That needs no cache file and reads nothing back, so a reload in a worker
    thread stays light on the event loop.
    """
    start = time.perf_counter()
    loaded = _CachedLoad(LoadRun(briefs_dir, corpus_dir, limits, helpers, cache_dir), cache_dir).load(current)
    if current is None or loaded.catalog is not current.catalog:
        untrack(loaded.catalog.briefs.values(), loaded.calendar.events)
        untrack_containers(loaded.index, loaded.calendar)
    loaded.report.seconds = time.perf_counter() - start
    return loaded


class _CachedLoad:
    """One load through the cache folder, for one pair of data folders."""

    def __init__(self, run: LoadRun, directory: Path | None) -> None:
        self.run = run
        self.enabled = directory is not None  # without a folder: reuse the current library, store nothing
        self.directory = directory or Path()
        run.store = self._store

    def load(self, current: Loaded | None) -> Loaded:
        run = self.run
        try:
            where = Path.cwd().resolve()
        except OSError:
            return load_fresh(run)
        setting = hashlib.sha256()
        for part in (code_fingerprint(), str(where), str(run.briefs_dir), str(run.corpus_dir),
                     os.path.realpath(run.briefs_dir), os.path.realpath(run.corpus_dir)):
            setting.update(part.encode("utf-8", "surrogateescape") + b"\0")
        run.setting_key = setting.hexdigest()
        stem = hashlib.sha256(f"{where}\0{run.briefs_dir}\0{run.corpus_dir}".encode(
            "utf-8", "surrogateescape")).hexdigest()[:20]
        self.file = CacheFile(self.directory, self.directory / f"library-{stem}.bin", run.note)
        if current is None and self.enabled:
            snapshot = self._snapshot_while_listing()
            if snapshot is not None:
                return snapshot
        briefs = scan(run.briefs_dir, ".yaml", run.limits)
        corpus = scan(run.corpus_dir, ".md", run.limits, keep=False)
        if not briefs or corpus is None:
            run.report.notes.append("no briefs, or a data folder or file could not be read: loading without cache")
            return load_fresh(run)
        run.report.files = len(briefs) + len(corpus)
        run.corpus_key = listing_key(run.setting_key, corpus)
        run.library_key = listing_key(run.corpus_key, briefs)
        run.phase("read and hash files")

        origin = origin_of(current.catalog) if current is not None else None
        if origin is not None and current is not None and origin.setting_key == run.setting_key:
            if origin.library_key == run.library_key:
                run.report.source = "unchanged"
                return Loaded(current.catalog, current.index, current.calendar, run.report)
            known: dict[FileKey, Entry] = {k: (b, p, None) for k, (b, p) in origin.entries.items()}
            reuse = origin.corpus if origin.corpus_key == run.corpus_key else None
            old_terms = dict(zip(map(id, current.index.briefs), current.index.terms(), strict=True))
            run.phase("reuse the current library")
            return build(run, briefs, known, reuse, old_terms)
        if not self.enabled:
            return build(run, briefs, {}, None, {})

        library_ok, parts_ok = self._probe()
        if library_ok:
            for f in briefs:
                f.data = None  # not needed if the library loads: free the memory first
            named = self.file.read(run.library_key, run.setting_key, parts_too=False)
            loaded = self._library(named, briefs) if named is not None else None
            run.phase("read cache")
            if loaded is not None:
                return loaded
            again = scan(run.briefs_dir, ".yaml", run.limits)
            if again is None or listing_key(run.corpus_key, again) != run.library_key:
                return load_fresh(run)  # files changed meanwhile
            briefs = again
        named = (self.file.read(run.library_key, run.setting_key, parts_too=True) if parts_ok else None) or {}
        run.phase("read cache")
        known = {(name, link, digest): (brief, problems, terms)
                 for name, link, digest, brief, problems, terms in named.get("entries", ())}
        cached = named.get("corpus")
        reuse = (cached[1], cached[2]) if cached is not None and cached[0] == run.corpus_key else None
        # After a successful load the file keeps no terms: the old index gives them back.
        stale = named.get("index")
        old_terms = dict(zip(map(id, stale.briefs), stale.terms(), strict=True)) \
            if isinstance(stale, SearchIndex) else {}
        named.clear()
        del stale
        return build(run, briefs, known, reuse, old_terms)

    def _snapshot_while_listing(self) -> Loaded | None:
        """The usual start, nothing changed: the snapshot is read while a helper process reads
        and hashes the data files, and used if the keys then agree.

        Reading the snapshot only starts if it was written by this code for these folders; it
        is abandoned as soon as the listing shows a changed file (then the normal way follows,
        having lost the time the listing took, ~0.1 s at 10,000 briefs). The snapshot's bytes
        are checked against their HMAC before anything is unpickled, as always.
        """
        run = self.run
        head = self.file.header()
        if head is None or head[1] != run.setting_key or head[0] == NO_LIBRARY:
            return None
        try:
            lister = ListingProcess([(str(run.briefs_dir), ".yaml"), (str(run.corpus_dir), ".md")], run.limits)
        except OSError:
            return None
        expected = head[0]
        try:
            def keys_of(listing: list[list[Listed]] | None) -> tuple[str, str] | None:
                if listing is None or not listing[0]:
                    return None
                corpus_key = listing_key(run.setting_key, listing[1])
                return corpus_key, listing_key(corpus_key, listing[0])

            known: list[tuple[str, str] | None] = []  # the keys, once the listing is in

            def unchanged_so_far() -> bool:  # asked between chunks: stop early once a change is known
                if not known:
                    if not lister.done():
                        return True
                    known.append(keys_of(lister.result()))
                return known[0] is not None and known[0][1] == expected

            # Read provisionally under the key the file names; the listing's keys are checked below.
            named = self.file.read(expected, run.setting_key, parts_too=False, keep_going=unchanged_so_far)
            listing = lister.result()
            keys = known[0] if known else keys_of(listing)
        finally:
            lister.stop()
        run.phase("read cache while listing files")
        if named is None or listing is None or keys is None or keys[1] != expected:
            return None
        run.corpus_key, run.library_key = keys
        run.report.files = len(listing[0]) + len(listing[1])
        return self._library(named, listing[0])

    def _probe(self) -> tuple[bool, bool]:
        """Whether the cache file's library key and parts key are this load's (header only)."""
        head = self.file.header()
        if head is None:
            return False, False
        if head == ("", ""):
            return False, True  # not a cache file: read() says why
        return head[0] == self.run.library_key, head[1] == self.run.setting_key

    def _library(self, named: dict[str, Any], files: Sequence[DataFile | Listed]) -> Loaded | None:
        """The stored library, if whole. Its parts (what each file parsed into) are not read:
        a library is only stored after a load without problems, so each file gave the brief
        named after it and no problem, and every document was used as it is."""
        run = self.run
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
            entries: dict[FileKey, tuple[Brief | None, list[Problem]]] = {
                (f.name, f.link, f.digest): (catalog.briefs[f.name.removesuffix(".yaml")], []) for f in files}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            run.report.notes.append(f"cached library ignored: {exc}")
            return None
        corpus: Corpus = (catalog.documents, [])
        remember(catalog, Origin(run.setting_key, run.corpus_key, run.library_key, entries, corpus))
        run.report.source = "snapshot"
        return Loaded(catalog, index, calendar, run.report)

    def _store(self, library: Loaded | None, corpus_stable: bool, corpus: Corpus,
               used: dict[FileKey, Entry]) -> None:
        """Write the cache file in a background thread: the caller has its library already.

        Order: documents, briefs, catalog, index, calendar, the "library" mark (where a snapshot
        reader stops), then the corpus and one entry per brief file.
        """
        if not self.enabled:
            return
        run = self.run
        documents, corpus_problems = corpus
        library_key = run.library_key if library is not None else NO_LIBRARY
        corpus_key = run.corpus_key

        def fill(writer: Writer) -> None:
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
                writer.chunk({"corpus": (corpus_key, dict(documents), list(corpus_problems))})
            # With a library the terms are left out: its index gives them back (SearchIndex.terms).
            items = [(*k, *v) if library is None else (*k, v[0], v[1], None) for k, v in used.items()]
            for k in range(0, len(items), 200):
                writer.chunk({"entries": items[k : k + 200]})

        write_in_background(self.file, library_key + run.setting_key, fill, size_bound(run.data_bytes))
