"""The loaded knowledge: catalog, search index and calendar, built together and swapped together.

Faces hold a :class:`LibraryHolder`; a reload builds a new :class:`Library` aside (slow work, off
the event loop in the bot) and replaces the reference in one assignment, so a query sees either
the old library or the new one, never a mix.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from . import load_cache
from .calendar import Calendar
from .catalog import Catalog, CatalogDiff, diff
from .load_cache import LoadReport
from .load_options import LoadOptions
from .search import SearchIndex


@dataclass(frozen=True)
class Library:
    catalog: Catalog
    index: SearchIndex
    calendar: Calendar

    @classmethod
    def build(cls, catalog: Catalog) -> Library:
        briefs = list(catalog.briefs.values())
        return cls(catalog, SearchIndex(briefs), Calendar(briefs))

    @classmethod
    def load(cls, briefs_dir: Path, corpus_dir: Path, *, cache_dir: Path | str | None = "default",
             current: Library | None = None, options: LoadOptions | None = None) -> Library:
        """Load, validate and index; raises :class:`bot.core.problems.DataError` on bad data.

        Goes through the load cache (:mod:`bot.core.load_cache`): ``"default"`` uses the cache
        folder of ``options`` (by default :func:`bot.settings.load_options`, i.e. the
        environment), None loads without any cache file. ``current``
        (the library being replaced, on a reload) lets unchanged files skip parsing and returns
        ``current`` itself when no file changed. The result is the same either way; only the
        time differs.
        """
        return cls.load_with_report(briefs_dir, corpus_dir, cache_dir=cache_dir, current=current,
                                    options=options)[0]

    @classmethod
    def load_with_report(cls, briefs_dir: Path, corpus_dir: Path, *, cache_dir: Path | str | None = "default",
                         current: Library | None = None, options: LoadOptions | None = None,
                         ) -> tuple[Library, LoadReport]:
        """:meth:`load`, also saying where the library came from and how long it took."""
        if options is None:
            from ..settings import load_options  # the one reader of the environment

            options = load_options()
        directory = options.cache_dir if cache_dir == "default" else (Path(cache_dir) if cache_dir else None)
        now = load_cache.Loaded(current.catalog, current.index, current.calendar, LoadReport("current")) \
            if current is not None else None
        loaded = load_cache.load(briefs_dir, corpus_dir, directory, current=now, limits=options.limits,
                                 helpers=options.helpers)
        if current is not None and loaded.catalog is current.catalog:
            return current, loaded.report
        return cls(loaded.catalog, loaded.index, loaded.calendar), loaded.report


class LibraryHolder:
    """One mutable reference to the current library."""

    def __init__(self, library: Library, briefs_dir: Path, corpus_dir: Path,
                 options: LoadOptions | None = None) -> None:
        self.current = library
        self.briefs_dir = briefs_dir
        self.corpus_dir = corpus_dir
        self.options = options

    def reload(self) -> tuple[Library, CatalogDiff]:
        """Load anew; on success swap and return the diff. On failure raise and keep the old.

        Slow (seconds at 10,000 briefs): the bot runs it with ``asyncio.to_thread``, so the load,
        the diff and the swap all happen off the event loop, and queries meanwhile are answered
        from the old library. The old library is then freed a little at a time by
        :func:`retire`, not all at once wherever its last reference happens to drop.
        """
        old = self.current
        new = Library.load(self.briefs_dir, self.corpus_dir, current=old, options=self.options)
        change = diff(old.catalog, new.catalog) if new is not old else CatalogDiff((), (), (), ())
        self.current = new
        if new is not old:
            retire(old)
        return new, change


def _parts(obj: object) -> list[object]:
    """The items of an object's big lists and dicts (the calendar's events, the index's names)."""
    out: list[object] = []
    for value in vars(obj).values():
        if isinstance(value, list | tuple) and len(value) > 1000:
            out.extend(value)
        elif isinstance(value, dict) and len(value) > 1000:
            for item in value.values():
                if isinstance(item, list):
                    out.extend(item)
                else:
                    out.append(item)
    return out


def retire(library: Library, batch: int = 200) -> None:
    """Free a library that is no longer current, in small steps, on a background thread.

    Freeing a 10,000-brief library is about a million deallocations in one uninterrupted run
    (tens of milliseconds with the GIL held), and it happens wherever the last reference goes:
    often in the event loop, in the query that still held it. Here the briefs, documents,
    calendar events and the items of the index's big lists are held aside while the library
    itself is dropped (only its containers go then, a reference count each); once no query holds
    the library any more, they are released a few hundred at a time, pausing in between.
    Buys part of the reload stall budget (BENCHMARKS.md: the worst stall after an edit went from
    53-131 ms to ~32 ms with this and :mod:`bot.core.pacing`).
    """
    held: list[object] = [*library.catalog.briefs.values(), *library.catalog.documents.values(),
                          *_parts(library.index), *_parts(library.calendar)]
    gone = weakref.ref(library)
    del library

    def release() -> None:
        waited = 0.0
        while gone() is not None and waited < 600:  # an in-flight answer may still use it
            time.sleep(0.05)
            waited += 0.05
        while held:
            del held[-batch:]
            time.sleep(0.001)

    threading.Thread(target=release, name="safeer-retire", daemon=True).start()
