"""The load cache: never trusted when a file changed, never fatal when broken, same library as a fresh load."""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot import runtime
from bot.core import cache_file as cache_format
from bot.core import catalog as catalog_module
from bot.core import load_cache, untracked
from bot.core.briefs import Brief, Fact
from bot.core.catalog import load_catalog
from bot.core.data_folder import decode
from bot.core.dates import PartialDate
from bot.core.documents import Document
from bot.core.file_listing import DEFAULT_LIMITS, ListingProcess, list_files
from bot.core.library import Library, LibraryHolder
from bot.core.load_state import scan
from bot.core.problems import DataError, Problem
from bot.core.terms import BriefTerms
from bot.settings import load_options
from tests.core.test_search import EXPECTED_FIRST, UNRELATED

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [q for q, _ in EXPECTED_FIRST] + UNRELATED + ["khal", "Lachi", "energy-lng"]


def load(briefs: Path, corpus: Path, cache: Path | None, current: Library | None = None) -> tuple[
        Library, load_cache.LoadReport]:
    try:
        return Library.load_with_report(briefs, corpus, cache_dir=cache, current=current)
    finally:
        load_cache.flush()  # also after a failed load: its parts are written in the background too


def answers(library: Library) -> list[object]:
    out: list[object] = []
    for q in QUERIES:
        r = library.index.search(q, limit=5)
        out.append(([(m.brief.id, m.score, m.name) for m in r.matches], r.suggestions))
        out.append(library.index.complete(q))
    return out


def same_library(a: Library, b: Library) -> None:
    assert a.catalog.content_hash == b.catalog.content_hash
    assert dict(a.catalog.briefs) == dict(b.catalog.briefs)
    assert dict(a.catalog.documents) == dict(b.catalog.documents)
    assert [d.folded for d in a.catalog.documents.values()] == [d.folded for d in b.catalog.documents.values()]
    assert dict(a.catalog.file_hashes) == dict(b.catalog.file_hashes)
    assert [(e.brief.id, e.fact) for e in a.calendar.events] == [(e.brief.id, e.fact) for e in b.calendar.events]
    assert answers(a) == answers(b)


def cache_file(cache: Path) -> Path:
    files = list(cache.glob("library-*.bin"))
    assert len(files) == 1, files
    return files[0]


def edit_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(b"summary:") + len("summary: ")
    # Swap one letter of the summary for another letter: same size, still valid YAML.
    k = next(i for i in range(at, len(data)) if chr(data[i]).isalpha() and chr(data[i]).islower())
    data[k] = ord("q") if data[k] != ord("q") else ord("z")
    path.write_bytes(bytes(data))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_cached_load_equals_fresh_load(data_copy: tuple[Path, Path], cache: Path) -> None:
    briefs, corpus = data_copy
    fresh = Library.load(briefs, corpus, cache_dir=None)
    first, report = load(briefs, corpus, cache)
    assert report.source == "fresh" and report.parsed == len(fresh.catalog.briefs)
    cached, report = load(briefs, corpus, cache)
    assert report.source == "snapshot" and report.parsed == 0 and not report.notes
    assert "read cache while listing files" in report.phases  # the files were listed by a helper process
    same_library(fresh, first)
    same_library(fresh, cached)


def test_snapshot_start_without_a_listing_process_lists_here(data_copy: tuple[Path, Path], cache: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    briefs, corpus = data_copy
    first, _ = load(briefs, corpus, cache)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the helper starts and fails at once
    cached, report = load(briefs, corpus, cache)
    assert report.source == "snapshot" and "read and hash files" in report.phases
    same_library(first, cached)


def test_listing_process_lists_as_this_process_does(tmp_path: Path) -> None:
    folder = tmp_path / "briefs"
    folder.mkdir()
    for name in ["b.yaml", "a b.yaml", "new\nline.yaml", "ünï.yaml", "x.md"]:
        (folder / name).write_text(name * 50)
    (folder / os.fsdecode(b"bad-\xff.yaml")).write_bytes(b"not utf-8 in the name")
    (folder / "link.yaml").symlink_to(folder / "b.yaml")
    (folder / "big.yaml").write_bytes(b"x" * 300_000)
    process = ListingProcess([(str(folder), ".yaml"), (str(folder), ".md")])
    listings = process.result()
    assert listings == [list_files(folder, ".yaml", keep=False), list_files(folder, ".md", keep=False)]
    assert listings is not None and len(listings[0]) == 7 and listings[0][4].link.endswith("b.yaml")
    missing = ListingProcess([(str(tmp_path / "nowhere"), ".yaml")])
    assert missing.result() is None  # unreadable: the caller lists (and reports) it itself


def test_one_changed_byte_invalidates_the_snapshot(data_copy: tuple[Path, Path], cache: Path) -> None:
    briefs, corpus = data_copy
    load(briefs, corpus, cache)
    edit_one_byte(briefs / "energy-lng.yaml")
    after, report = load(briefs, corpus, cache)
    assert report.source == "parts" and report.parsed == 1  # only the edited file is parsed again
    assert not report.notes  # the snapshot read alongside the listing was dropped quietly
    same_library(after, Library.load(briefs, corpus, cache_dir=None))
    assert after.catalog.briefs["energy-lng"].summary == Library.load(
        briefs, corpus, cache_dir=None).catalog.briefs["energy-lng"].summary


def test_a_changed_corpus_byte_is_checked_again(data_copy: tuple[Path, Path], cache: Path) -> None:
    briefs, corpus = data_copy
    load(briefs, corpus, cache)
    path = corpus / "akram-2024-07-20-aliyev-visit.md"
    text = path.read_text(encoding="utf-8")
    assert "$2 billion" in text
    path.write_text(text.replace("$2 billion", "$3 billion", 1), encoding="utf-8")
    with pytest.raises(DataError) as cached:
        load(briefs, corpus, cache)
    with pytest.raises(DataError) as fresh:
        load_catalog(briefs, corpus)
    assert [str(p) for p in cached.value.problems] == [str(p) for p in fresh.value.problems]
    assert any(".quote: not found in" in str(p) for p in cached.value.problems)


def test_broken_edit_fails_like_a_fresh_load_and_the_fix_parses_one_file(
        data_copy: tuple[Path, Path], cache: Path) -> None:
    briefs, corpus = data_copy
    load(briefs, corpus, cache)
    path = briefs / "investment.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("investment to $2 billion in", "investment to $3 billion in", 1), encoding="utf-8")
    with pytest.raises(DataError) as cached:
        load(briefs, corpus, cache)
    with pytest.raises(DataError) as fresh:
        load_catalog(briefs, corpus)
    assert [str(p) for p in cached.value.problems] == [str(p) for p in fresh.value.problems]
    path.write_text(good, encoding="utf-8")
    fixed, report = load(briefs, corpus, cache)
    assert report.source == "parts" and report.parsed == 1
    same_library(fixed, Library.load(briefs, corpus, cache_dir=None))


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty", "key", "writable", "stale-key"])
def test_damaged_cache_is_ignored_and_rebuilt(data_copy: tuple[Path, Path], cache: Path, damage: str) -> None:
    briefs, corpus = data_copy
    fresh = Library.load(briefs, corpus, cache_dir=None)
    load(briefs, corpus, cache)
    path = cache_file(cache)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x40
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 3]))
    elif damage == "garbage":
        path.write_bytes(os.urandom(5000))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "key":
        (cache / "key").write_bytes(os.urandom(32))  # another key: the HMAC no longer matches
    elif damage == "writable":
        path.chmod(0o666)
    elif damage == "stale-key":
        (cache / "key").unlink()
    library, report = load(briefs, corpus, cache)
    assert report.source in ("fresh", "parts") and report.parsed == len(fresh.catalog.briefs)
    same_library(library, fresh)
    if damage == "writable":
        path.chmod(0o600)
        return
    again, report = load(briefs, corpus, cache)  # rebuilt: trusted again
    assert report.source == "snapshot"
    same_library(again, fresh)


def test_unusable_cache_folder_never_stops_a_load(data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    library, _ = load(briefs, corpus, blocker / "cache")
    same_library(library, Library.load(briefs, corpus, cache_dir=None))


def test_foreign_objects_are_refused_even_with_a_valid_signature(data_copy: tuple[Path, Path], cache: Path) -> None:
    briefs, corpus = data_copy
    load(briefs, corpus, cache)
    path = cache_file(cache)
    head = path.read_bytes()[: len(cache_format.MAGIC) + 2 * cache_format.KEY_SIZE]
    keys = head[len(cache_format.MAGIC):].decode()

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo pwned > /dev/null",))

    payload = pickle.dumps({"documents": Boom()}, protocol=5) + pickle.dumps("end", protocol=5)
    secret = (cache / "key").read_bytes()
    signer = cache_format._signer(secret, keys)
    signer.update(payload)
    path.write_bytes(head + signer.digest() + payload)
    library, report = load(briefs, corpus, cache)
    assert any("refusing" in n for n in report.notes), report.notes
    same_library(library, Library.load(briefs, corpus, cache_dir=None))


def test_reload_reuses_the_current_library(data_copy: tuple[Path, Path], cache: Path) -> None:
    briefs, corpus = data_copy
    current, _ = load(briefs, corpus, cache)
    same, report = load(briefs, corpus, None, current=current)
    assert same is current and report.source == "unchanged"
    edit_one_byte(briefs / "trade.yaml")
    new, report = load(briefs, corpus, None, current=current)
    assert report.parsed == 1 and new is not current
    same_library(new, Library.load(briefs, corpus, cache_dir=None))
    holder = LibraryHolder(new, briefs, corpus)
    swapped, change = holder.reload()
    assert swapped is new and holder.current is new and change.empty


def test_holder_reload_swaps_and_reports_the_change(data_copy: tuple[Path, Path], cache: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    briefs, corpus = data_copy
    monkeypatch.setenv("SAFEER_CACHE_DIR", str(cache))
    holder = LibraryHolder(Library.load(briefs, corpus), briefs, corpus)
    old = holder.current
    edit_one_byte(briefs / "energy-lng.yaml")
    new, change = holder.reload()
    load_cache.flush()
    assert holder.current is new is not old and change.changed == ("energy-lng",)


def test_listing_matches_glob(tmp_path: Path) -> None:
    folder = tmp_path / "briefs"
    folder.mkdir()
    for name in ["b.yaml", "a.yaml", ".hidden.yaml", "x.yml", "c.yaml.bak", ".yaml"]:
        (folder / name).write_text(name)
    listed = scan(folder, ".yaml", DEFAULT_LIMITS)
    assert listed is not None
    assert [f.name for f in listed] == [p.name for p in sorted(folder.glob("*.yaml"))]
    assert [f.digest for f in listed] == [hashlib.sha256(p.read_bytes()).hexdigest()
                                          for p in sorted(folder.glob("*.yaml"))]
    (folder / "dir.yaml").mkdir()  # glob lists it, reading it fails: the uncached path reports that
    assert scan(folder, ".yaml", DEFAULT_LIMITS) is None


def test_crlf_and_bom_read_as_read_text_does() -> None:
    for raw in [b"id: x\r\ntitle: y\r\n", b"\xef\xbb\xbfid: x\n", b"a\rb\r\n", "é".encode()]:
        path_text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
        assert decode(raw) == path_text
    assert decode(b"\xff\xfe") is None


def test_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFEER_CACHE_DIR", str(tmp_path / "c"))
    assert load_options().cache_dir == tmp_path / "c"
    monkeypatch.setenv("SAFEER_CACHE", "off")
    assert load_options().cache_dir is None


def test_cache_files_are_private(data_copy: tuple[Path, Path], cache: Path) -> None:
    briefs, corpus = data_copy
    load(briefs, corpus, cache)
    assert cache.stat().st_mode & 0o077 == 0
    assert (cache / "key").stat().st_mode & 0o077 == 0
    assert cache_file(cache).stat().st_mode & 0o077 == 0


def test_a_copied_tree_gets_its_own_cache_entry(data_copy: tuple[Path, Path], cache: Path, tmp_path: Path) -> None:
    briefs, corpus = data_copy
    load(briefs, corpus, cache)
    other = tmp_path / "other"
    shutil.copytree(briefs.parent, other)
    library, report = load(other / "briefs", other / "corpus", cache)
    assert report.source == "fresh"  # file paths appear in messages, so another folder is another entry
    assert {Path(b.path).parent.name for b in library.catalog.briefs.values()} == {"briefs"}
    assert all(str(other) in b.path or not Path(b.path).is_absolute() for b in library.catalog.briefs.values())


def test_file_hashes_match_the_plain_loader_for_crlf_and_bom_files(data_copy: tuple[Path, Path], cache: Path) -> None:
    # The load reuses the listing's hash of the bytes where the text is the bytes; CRLF files are
    # hashed from their text, as load_catalog does.
    briefs, corpus = data_copy
    crlf, bom = briefs / "energy-lng.yaml", briefs / "investment.yaml"
    crlf.write_bytes(crlf.read_bytes().replace(b"\n", b"\r\n"))
    bom.write_bytes(b"\xef\xbb\xbf" + bom.read_bytes())
    plain = load_catalog(briefs, corpus)
    for cache_dir in (None, cache):
        loaded, _ = load(briefs, corpus, cache_dir)
        assert dict(loaded.catalog.file_hashes) == dict(plain.file_hashes)
        assert loaded.catalog.content_hash == plain.content_hash


def test_a_load_or_reload_changes_no_process_wide_setting(data_copy: tuple[Path, Path], cache: Path) -> None:
    briefs, corpus = data_copy
    before = (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold(), sys.getswitchinterval())
    holder = LibraryHolder(Library.load(briefs, corpus, cache_dir=cache), briefs, corpus)
    edit_one_byte(briefs / "energy-lng.yaml")
    seen: list[object] = []

    def reload_in_a_thread() -> None:  # as the bot does it (asyncio.to_thread)
        holder.reload()
        seen.append((gc.isenabled(), gc.get_freeze_count(), gc.get_threshold(), sys.getswitchinterval()))

    thread = threading.Thread(target=reload_in_a_thread)
    thread.start()
    thread.join()
    load_cache.flush()
    assert seen == [before]
    assert (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold(), sys.getswitchinterval()) == before


def test_the_runner_freezes_once_after_collecting() -> None:
    script = ("import gc, sys; from bot import runtime\n"
              "with runtime.start_up(): assert not gc.isenabled(); x = [object() for _ in range(1000)]\n"
              "first = gc.get_freeze_count(); assert first > 1000 and gc.isenabled()\n"
              "with runtime.start_up(): pass\n"
              "assert gc.get_freeze_count() == first, 'frozen twice'\n"
              "runtime.serve_responsively(); assert sys.getswitchinterval() == runtime.SWITCH_INTERVAL\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr


def test_what_the_cache_may_hold_and_what_a_diff_compares_follow_the_record_types() -> None:
    allowed = cache_format.allowed_classes()
    for cls in (Brief, Fact, PartialDate, Document, Problem, BriefTerms):
        assert (cls.__module__, cls.__qualname__) in allowed
    assert ("os", "system") not in allowed and ("builtins", "eval") not in allowed
    brief = next(iter(Library.load(ROOT / "briefs", ROOT / "corpus", cache_dir=None).catalog.briefs.values()))
    moved = brief._replace(line_of=(), facts=tuple(f._replace(line=f.line + 5) for f in brief.facts))
    assert catalog_module._comparable(moved) == catalog_module._comparable(brief)  # lines are not content
    for field in Fact._fields:
        if field == "line":
            continue
        fact = brief.facts[0]
        value = getattr(fact, field)
        other = "x" if isinstance(value, str) and value != "x" else None if value is not None else "y"
        edited = brief._replace(facts=(fact._replace(**{field: other}), *brief.facts[1:]))
        assert catalog_module._comparable(edited) != catalog_module._comparable(brief), field


def test_the_library_records_are_off_the_collectors_lists(data_copy: tuple[Path, Path], cache: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    briefs, corpus = data_copy
    monkeypatch.setattr(untracked, "_BATCH", 3)  # steps far smaller than the catalog: no record between them is missed
    for library in (Library.load(briefs, corpus, cache_dir=None), load(briefs, corpus, cache)[0],
                    load(briefs, corpus, cache)[0]):  # fresh, first cached, snapshot
        records = [r for b in library.catalog.briefs.values() for r in (b, b.facts, *b.facts)]
        records += [d for b in library.catalog.briefs.values() for f in b.facts for d in (f.date, f.end) if d]
        records += library.calendar.events
        records += [v for v in vars(library.index).values() if isinstance(v, list)]
        records += [pair for day in library.calendar._by_day.values() for pair in day]
        assert records and not any(gc.is_tracked(r) for r in records)


def test_the_runner_pauses_the_collector_around_a_reload_and_resumes_it() -> None:
    assert gc.isenabled()
    with runtime.reloading():
        assert not gc.isenabled()
    assert gc.isenabled()
