"""Rebuild a library after a change: parse only the files that changed, reuse the rest, check everything.

Buys the start after an edit and the reload after an edit (BENCHMARKS.md, 10,000 briefs): one
byte of one brief changed costs 1.9 s (one file parsed, the rest reused from the cache file or
the running library) instead of 2.8-3.0 s parsing everything. New files are parsed on every core
(:mod:`bot.core.parse_workers`) while the corpus is read, and each chunk's facts are checked as
it arrives. Validation always sees the whole catalog, so the result equals a load without cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from .briefs import Brief
from .calendar import Calendar
from .catalog import build_catalog, load_catalog
from .data_folder import decode
from .documents import build_corpus, load_corpus
from .load_state import Corpus, DataFile, Entry, FileKey, Loaded, LoadRun, Origin, listing_key, remember, scan
from .pacing import release
from .parse_workers import ParseJobs
from .problems import Problem, namer_in
from .search import SearchIndex
from .terms import BriefTerms, brief_terms
from .validate import broken_documents, check_facts, normalised_names


def load_fresh(run: LoadRun) -> Loaded:
    """Everything parsed and read as it is on disk, no cache, no reuse: what every other way must equal."""
    catalog = load_catalog(run.briefs_dir, run.corpus_dir, run.limits)
    briefs = list(catalog.briefs.values())
    run.report.parsed = len(briefs)
    return Loaded(catalog, SearchIndex(briefs), Calendar(briefs), run.report)


def build(run: LoadRun, briefs: list[DataFile], known: dict[FileKey, Entry], corpus: Corpus | None,
          old_terms: dict[int, BriefTerms]) -> Loaded:
    """Parse what changed, reuse the rest, validate everything, index, and store the result.

    ``known`` are the entries of files parsed before (from the cache file or the current
    library), ``corpus`` the documents if no corpus file changed, ``old_terms`` index terms of
    known briefs (by id of the brief). Raises :class:`DataError` as a load without cache would.
    """
    texts = [decode(f.data) if f.data is not None else None for f in briefs]
    if any(t is None for t in texts):
        run.report.notes.append("a brief is not UTF-8: loading without cache")
        return load_fresh(run)
    # The catalog's per-file hashes are of the text; it differs from the bytes (already hashed
    # by the listing) only where decode() turned \r\n into \n.
    run.data_bytes = sum(len(t) for t in texts if t is not None)
    text_hashes = {f.name: f.digest if b"\r" not in f.data else hashlib.sha256(t.encode()).hexdigest()
                   for f, t in zip(briefs, texts, strict=True) if t is not None and f.data is not None}
    for f in briefs:
        f.data = None  # the text is all that is needed from here on
    key_of = {f.name: (f.name, f.link, f.digest) for f in briefs}
    # Files not parsed before go to every core, starting now, while the corpus is read.
    name_of = namer_in(run.briefs_dir)
    path_of = {f.name: run.briefs_dir / f.name for f in briefs}
    jobs = ParseJobs([(path_of[f.name], t, name_of(f.name, f.link))
                      for f, t in zip(briefs, texts, strict=True) if t is not None and key_of[f.name] not in known],
                     helpers=run.helpers)
    del texts  # from here the texts live only in ``jobs``, which lets go of them chunk by chunk
    if corpus is not None:
        documents, corpus_problems = corpus
        corpus_reused = corpus_stable = True
    else:
        # Read once more, keeping the bytes this time (a snapshot start never needs them), and
        # remembered only if no corpus file changed since the listing this load is keyed by.
        scanned = scan(run.corpus_dir, ".md", run.limits)
        corpus_texts = [decode(f.data) if f.data is not None else None for f in scanned] if scanned else [None]
        corpus_reused = False
        if scanned is None or any(t is None for t in corpus_texts):  # the uncached reader reports it
            documents, corpus_problems = load_corpus(run.corpus_dir, run.limits)
            corpus_stable = False
        else:
            documents, corpus_problems = build_corpus(
                [(run.corpus_dir / f.name, t or "") for f, t in zip(scanned, corpus_texts, strict=True)], [])
            corpus_stable = listing_key(run.setting_key, scanned) == run.corpus_key
        del scanned, corpus_texts
    run.phase("read corpus")
    broken = broken_documents(corpus_problems)
    run.data_bytes += sum(len(d.text) for d in documents.values())
    # Each chunk's facts are checked as it arrives, while helpers go on parsing.
    fresh: dict[FileKey, Entry] = {}
    fact_problems: dict[int, list[Problem]] = {}
    for k, chunk in jobs.finished():
        for (path, _, _), entry in zip(jobs.chunks[k], chunk, strict=True):
            fresh[key_of[path.name]] = entry
            if entry[0] is not None:
                fact_problems[id(entry[0])] = check_facts(entry[0], documents, broken)
    run.report.notes += jobs.notes
    run.report.helpers = jobs.helped
    del jobs
    run.phase("parse")

    def facts_of(brief: Brief) -> list[Problem]:
        found = fact_problems.get(id(brief))
        return found if found is not None else check_facts(brief, documents, broken)

    used: dict[FileKey, Entry] = {}
    terms_by_brief: dict[int, BriefTerms] = {}

    def parse(path: Path, raw: str) -> tuple[Brief | None, list[Problem]]:
        file_key = key_of[path.name]
        entry = known.get(file_key)
        if entry is None:
            entry = fresh.pop(file_key, None)
            if entry is None:  # pragma: no cover - every new file was parsed above
                raise RuntimeError(f"{path.name} was not parsed")
            run.report.parsed += 1
        used[file_key] = entry
        if entry[0] is not None:
            terms = entry[2] or old_terms.get(id(entry[0]))
            if terms is not None:
                terms_by_brief[id(entry[0])] = terms
        return entry[0], list(entry[1])

    def names_of(brief: Brief) -> Iterable[tuple[str, str]]:  # what validation needs from the index terms
        terms = terms_by_brief.get(id(brief))
        return terms.names if terms is not None else normalised_names(brief)

    files = [(path_of[f.name], "") for f in briefs]  # parsed or known: the text is not needed
    known_count = len(known)
    try:
        catalog = build_catalog(run.briefs_dir, documents, corpus_problems, files, [], parse, names_of,
                                facts_of, text_hashes)
    except Exception:
        run.phase("validate")
        run.report.source = "parts" if len(used) > run.report.parsed or corpus_reused else "fresh"
        if run.report.parsed or not corpus_reused or len(used) != known_count:
            # Remember what was parsed, so fixing the problem parses only the fixed file.
            # Never what was refused: a file that could not be parsed at all is read again next time.
            run.store(None, corpus_stable, (documents, corpus_problems),
                      {k: e for k, e in used.items() if not any(p.cause for p in e[1])})
        raise
    run.phase("validate")
    run.report.source = "parts" if len(used) > run.report.parsed or corpus_reused else "fresh"
    release(files)
    ordered = list(catalog.briefs.values())
    index = SearchIndex(ordered, terms=[terms_by_brief.get(id(b)) or brief_terms(b)
                                        for b in ordered])
    release(terms_by_brief, fact_problems, old_terms, known)
    calendar = Calendar(ordered)
    run.phase("index and calendar")
    remember(catalog, Origin(run.setting_key, run.corpus_key, run.library_key,
                               {k: (e[0], e[1]) for k, e in used.items()},
                               (documents, corpus_problems) if corpus_stable else None))
    # A snapshot is keyed by the listing this load began with: not stored if the corpus moved meanwhile.
    run.store(Loaded(catalog, index, calendar, run.report) if corpus_stable else None, corpus_stable,
              (documents, corpus_problems), dict(used))
    release(used, path_of, key_of, text_hashes, briefs)  # the caller has no use for its listing either
    return Loaded(catalog, index, calendar, run.report)
