"""The catalog: briefs and documents loaded together, validated, immutable, with a content hash.

A running face holds one catalog; a reload builds a new one off to the side and swaps it in only
when it is clean, so a broken edit never changes an answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .briefs import Brief, parse_brief
from .data_folder import read_folder
from .documents import Document, document_digest, load_corpus
from .file_listing import DEFAULT_LIMITS, ReadLimits
from .problems import DataError, Problem, relative
from .validate import FactsOf, NamesOf, broken_documents, check_briefs, check_facts, normalised_names


@dataclass(frozen=True)
class Catalog:
    """Everything Safeer knows, as loaded from one briefs folder and one corpus folder."""

    briefs: Mapping[str, Brief]
    documents: Mapping[str, Document]
    content_hash: str
    file_hashes: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.briefs)


@dataclass(frozen=True)
class CatalogDiff:
    """What a reload changed, for the operator's reply."""

    added: tuple[str, ...]
    changed: tuple[str, ...]  # a brief's own fields, or a document it cites
    removed: tuple[str, ...]
    documents: tuple[str, ...] = ()  # corpus documents added, changed or removed

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.documents)


def diff(old: Catalog, new: Catalog) -> CatalogDiff:
    """Briefs added, changed and removed, and documents changed, between two catalogs.

    A brief counts as changed when any field a reader sees changed, or any document it cites
    (its title and date show with every fact).
    """
    documents = tuple(sorted(
        k for k in set(old.documents) | set(new.documents)
        if old.file_hashes.get(_doc_key(old, k)) != new.file_hashes.get(_doc_key(new, k))
    ))
    touched = set(documents)
    added = tuple(sorted(set(new.briefs) - set(old.briefs)))
    removed = tuple(sorted(set(old.briefs) - set(new.briefs)))
    changed = tuple(sorted(
        k for k in set(old.briefs) & set(new.briefs)
        if _comparable(old.briefs[k]) != _comparable(new.briefs[k])
        or (touched and not touched.isdisjoint(new.briefs[k].sources))
    ))
    return CatalogDiff(added, changed, removed, documents)


def _doc_key(catalog: Catalog, doc_id: str) -> str:
    doc = catalog.documents.get(doc_id)
    return f"corpus/{Path(doc.path).name}" if doc is not None else ""


def _without_lines(value: object) -> object:
    """A record's content: every field but its line numbers (they move when a curator edits above)."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return tuple(_without_lines(v) for name, v in zip(value._fields, value, strict=True)
                     if name not in _LINE_FIELDS)
    if isinstance(value, tuple):
        return tuple(_without_lines(v) for v in value)
    return value


_LINE_FIELDS = frozenset({"line", "line_of", "path"})


def _comparable(brief: Brief) -> object:
    """Derived from the record types, so a new field of a brief or a fact is compared with no change here."""
    return _without_lines(brief)


def load_catalog(briefs_dir: Path, corpus_dir: Path, limits: ReadLimits = DEFAULT_LIMITS) -> Catalog:
    """Load and validate everything; raise :class:`DataError` listing every problem found."""
    documents, problems = load_corpus(corpus_dir, limits)
    files, read_problems = read_folder(briefs_dir, ".yaml", limits)
    return build_catalog(briefs_dir, documents, problems, files, read_problems)


BriefParser = Callable[[Path, str], tuple[Brief | None, list[Problem]]]


def build_catalog(
    briefs_dir: Path,
    documents: Mapping[str, Document],
    corpus_problems: list[Problem],
    files: list[tuple[Path, str]],
    read_problems: list[Problem],
    parse: BriefParser = parse_brief,
    names_of: NamesOf = normalised_names,
    facts_of: FactsOf | None = None,
    hashes: Mapping[str, str] | None = None,
) -> Catalog:
    """The second half of :func:`load_catalog`, for files already read (the load cache's way in).

    ``parse`` must behave as :func:`bot.core.briefs.parse_brief`; the cache passes one that
    returns remembered results for files it has parsed before, and ``names_of`` (as
    :func:`bot.core.validate.normalised_names`) gives names it has normalised already, and
    ``facts_of`` the fact problems of briefs it has checked already. ``hashes`` (file name ->
    sha256 of the text, UTF-8) lets it pass files whose text it has already let go of.
    """
    problems = list(corpus_problems) + read_problems
    if not files and not read_problems:
        problems.append(Problem(relative(briefs_dir), 0, "", "no *.yaml briefs in this folder"))
    briefs: list[Brief] = []
    digest = hashlib.sha256()
    file_hashes: dict[str, str] = {}
    unreadable: set[str] = set()
    for path, raw in files:
        brief, found = parse(path, raw)
        problems += found
        if brief is not None:
            briefs.append(brief)
        else:
            unreadable.add(path.stem)
        known = hashes.get(path.name) if hashes is not None else None
        file_hashes[path.name] = known if known is not None else hashlib.sha256(raw.encode()).hexdigest()
    for doc in documents.values():  # what readers see of a document: its metadata as well as its text
        file_hashes[f"corpus/{Path(doc.path).name}"] = document_digest(doc)
    for name in sorted(file_hashes):
        digest.update(f"{name}\0{file_hashes[name]}\n".encode())
    broken = broken_documents(corpus_problems)
    problems += check_briefs(briefs, documents, frozenset(unreadable), names_of,
                             facts_of or (lambda brief: check_facts(brief, documents, broken)))
    if problems:
        raise DataError(problems)
    return Catalog(
        briefs=MappingProxyType({b.id: b for b in sorted(briefs, key=lambda b: b.id)}),
        documents=MappingProxyType(dict(documents)),
        content_hash=digest.hexdigest()[:16],
        file_hashes=MappingProxyType(file_hashes),
    )
