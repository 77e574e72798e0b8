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
from .documents import Document, load_corpus
from .problems import DataError, Problem, relative
from .validate import FactsOf, NamesOf, check_briefs, normalised_names


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
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def diff(old: Catalog, new: Catalog) -> CatalogDiff:
    """Briefs added, changed (any field) and removed between two catalogs."""
    added = tuple(sorted(set(new.briefs) - set(old.briefs)))
    removed = tuple(sorted(set(old.briefs) - set(new.briefs)))
    changed = tuple(sorted(
        k for k in set(old.briefs) & set(new.briefs)
        if _comparable(old.briefs[k]) != _comparable(new.briefs[k])
    ))
    return CatalogDiff(added, changed, removed)


def _comparable(brief: Brief) -> tuple[object, ...]:
    # Line numbers move when a curator edits above a fact; that is not a change of content.
    facts = tuple((f.text, f.source, f.quote, f.date, f.end, f.inferred_from, f.status, f.precision)
                  for f in brief.facts)
    return (brief.title, brief.kind, brief.aliases, brief.tags, brief.summary, facts, brief.related)


def _read_all(directory: Path, pattern: str) -> tuple[list[tuple[Path, str]], list[Problem]]:
    files, problems = [], []
    if not directory.is_dir():
        return [], [Problem(relative(directory), 0, "", "folder not found")]
    for path in sorted(directory.glob(pattern)):
        try:
            files.append((path, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(relative(path), 0, "", f"cannot read: {exc}"))
    return files, problems


def load_catalog(briefs_dir: Path, corpus_dir: Path) -> Catalog:
    """Load and validate everything; raise :class:`DataError` listing every problem found."""
    documents, problems = load_corpus(corpus_dir)
    files, read_problems = _read_all(briefs_dir, "*.yaml")
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
    for doc in documents.values():
        file_hashes[f"corpus/{Path(doc.path).name}"] = hashlib.sha256(doc.text.encode()).hexdigest()
    for name in sorted(file_hashes):
        digest.update(f"{name}\0{file_hashes[name]}\n".encode())
    problems += check_briefs(briefs, documents, frozenset(unreadable), names_of, facts_of)
    if problems:
        raise DataError(problems)
    return Catalog(
        briefs=MappingProxyType({b.id: b for b in sorted(briefs, key=lambda b: b.id)}),
        documents=MappingProxyType(dict(documents)),
        content_hash=digest.hexdigest()[:16],
        file_hashes=MappingProxyType(file_hashes),
    )
