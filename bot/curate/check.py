"""``check`` for curators: every problem of the briefs and corpus in one run.

The load stops at a brief whose shape is wrong, so its sources, quotes and related ids would only
be checked once the shape is fixed: problems came in stages. Here every brief is read as far as
it can be (:func:`bot.core.briefs.parse_brief` with ``partial``), and the checks across files run
on all of them at once. It also holds the curators' convention that every corpus document has its
own ``doc-<document id>`` brief.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from pathlib import Path

from ..core.briefs import Brief, parse_brief
from ..core.data_folder import read_folder
from ..core.dates import PartialDate
from ..core.documents import Document, load_corpus
from ..core.file_listing import DEFAULT_LIMITS, ReadLimits
from ..core.problems import Problem, relative
from ..core.text import fold_quote
from ..core.validate import check_briefs
from ..core.yaml_source import Located, YamlError, load_yaml

DOC_PREFIX = "doc-"


def doc_brief_id(document_id: str) -> str:
    """The id of a document's own brief: ``doc-`` and the document's id."""
    return DOC_PREFIX + document_id


def check_folders(briefs_dir: Path, corpus_dir: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[Problem]:
    """Every problem of the two folders, causes first, then by file and line; empty when the data is clean.

    Files are read as the load reads them (:func:`bot.core.data_folder.read_folder`): FIFOs,
    devices, links out of the data folder and files over the size limit are refused by name.
    """
    documents, problems = load_corpus(corpus_dir, limits)
    broken_docs = {p.stem for p in corpus_dir.glob("*.md")} - set(documents) if corpus_dir.is_dir() else set()
    briefs: list[Brief] = []
    unreadable: set[str] = set()
    if not briefs_dir.is_dir():
        problems.append(Problem(relative(briefs_dir), 0, "", "folder not found", cause=True))
    else:
        files, refused = read_folder(briefs_dir, ".yaml", limits)
        problems += refused
        unreadable.update(Path(p.path).stem for p in refused)
        if not files and not refused:
            problems.append(Problem(relative(briefs_dir), 0, "", "no *.yaml briefs in this folder"))
        for path, raw in files:
            brief, found = parse_brief(path, raw, partial=True)
            problems += found
            if brief is None:
                unreadable.add(path.stem)
            else:
                briefs.append(brief)
    # A corpus file with a problem of its own still has a text: quotes are checked against it now,
    # not after its front matter is fixed.
    usable = {**_read_anyway(corpus_dir, broken_docs, limits), **documents} if broken_docs else dict(documents)
    broken_docs -= {d.id for d in usable.values()} | set(usable)
    for problem in check_briefs(briefs, usable, frozenset(unreadable)):
        # A source whose corpus file has its own problems is reported there, once.
        if not any(f"unknown document '{d}'" in problem.message for d in broken_docs):
            problems.append(problem)
    if briefs_dir.is_dir():
        problems += missing_doc_briefs(briefs, documents, unreadable)  # only for documents that load
    return sorted(set(problems), key=lambda p: (not p.cause, p))


def missing_doc_briefs(briefs: list[Brief], documents: Mapping[str, Document],
                       unreadable: Set[str] = frozenset()) -> list[Problem]:
    """Each document needs a ``doc-<id>`` brief of kind ``document`` that cites it."""
    by_id = {b.id: b for b in briefs}
    problems = []
    for doc in documents.values():
        want = doc_brief_id(doc.id)
        brief = by_id.get(want)
        if brief is None:
            if want not in unreadable:
                problems.append(Problem(doc.path, 1, "", f"has no brief '{want}'; each document has one: "
                                        f"python -m bot draft {doc.id} --out briefs/{want}.yaml"))
        elif brief.kind != "document":
            problems.append(Problem(brief.path, brief.line("kind"), "kind",
                                    "a doc-* brief is the brief of a document: use 'kind: document'"))
        elif doc.id not in brief.sources:
            problems.append(Problem(brief.path, brief.line("facts"), "facts",
                                    f"the brief of document '{doc.id}' cites it in none of its facts"))
    return problems


_UNKNOWN_DATE = PartialDate(9999)  # never before a fact's date, never a day: no date check misfires


def _read_anyway(corpus_dir: Path, stems: Set[str], limits: ReadLimits) -> dict[str, Document]:
    """The text (and date, when readable) of corpus files that have problems, by file name and id.

    Read as the load reads them (:func:`read_folder`), so a FIFO, a device or an oversized file is
    never opened here either.
    """
    found: dict[str, Document] = {}
    files, _ = read_folder(corpus_dir, ".md", limits)
    for path, raw in files:
        if path.stem not in stems:
            continue
        end = raw.find("\n---\n", 4)
        try:  # the load's own YAML reader, with its guards against hostile YAML
            meta = load_yaml(raw[4:end], path) if raw.startswith("---\n") and end > 0 else None
        except YamlError:
            continue
        if not isinstance(meta, Located):
            continue
        try:
            published = PartialDate.parse(meta.get("published"))
        except ValueError:
            published = _UNKNOWN_DATE
        text = raw[end + 5:].strip()
        doc = Document(id=str(meta.get("id") or path.stem), title=str(meta.get("title") or path.stem), author="",
                       kind="", published=published, place="", original_file="", text=text, path=relative(path),
                       folded=fold_quote(text))
        found[path.stem] = found[doc.id] = doc
    return found
