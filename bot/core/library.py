"""The loaded knowledge: catalog, search index and calendar, built together and swapped together.

Faces hold a :class:`LibraryHolder`; a reload builds a new :class:`Library` aside (slow work, off
the event loop in the bot) and replaces the reference in one assignment, so a query sees either
the old library or the new one, never a mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog, CatalogDiff, diff, load_catalog
from .calendar import Calendar
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
    def load(cls, briefs_dir: Path, corpus_dir: Path) -> Library:
        """Load, validate and index; raises :class:`bot.core.problems.DataError` on bad data."""
        return cls.build(load_catalog(briefs_dir, corpus_dir))


class LibraryHolder:
    """One mutable reference to the current library."""

    def __init__(self, library: Library, briefs_dir: Path, corpus_dir: Path) -> None:
        self.current = library
        self.briefs_dir = briefs_dir
        self.corpus_dir = corpus_dir

    def reload(self) -> tuple[Library, CatalogDiff]:
        """Load anew; on success swap and return the diff. On failure raise and keep the old."""
        new = Library.load(self.briefs_dir, self.corpus_dir)
        change = diff(self.current.catalog, new.catalog)
        self.current = new
        return new, change
