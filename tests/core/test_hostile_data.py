"""Hostile data files (issue 13): each is refused by name and line, in bounded time and memory,
through `check`, through start-up and through a reload, and a reload keeps the running catalog.

Each row of the issue's table is one case below. The ceilings are generous (the machine is
shared) but far below what the files cost before: 100 s and 5 GB for a 1 KB alias bomb.
Subprocess memory is the child's own peak (``os.wait4``), compared with a clean run of the same
data in the same test; in-process memory is tracemalloc's peak.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core import load_cache
from bot.core.file_listing import ReadLimits
from bot.core.library import Library, LibraryHolder
from bot.core.load_options import LoadOptions
from bot.core.problems import DataError

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 10.0  # for a whole process: Python, numpy and the load of 26 briefs take ~1 s of it
EXTRA_RSS_KB = 60_000  # over a clean run of the same data
IN_PROCESS_SECONDS = 5.0
IN_PROCESS_BYTES = 40 << 20
SECRET = "root:$6$SECRET-MARKER-do-not-echo$:19000:0:99999:7:::"

BOMB = "&a [x, x, x, x, x, x, x, x, x]"
BOMB_LINES = "".join(f"b{k}: &b{k} [{', '.join(['*' + ('a' if k == 0 else f'b{k - 1}')] * 9)}]\n" for k in range(8))


def bomb_in_fact_date(briefs: Path, corpus: Path) -> tuple[str, str]:
    path = briefs / "investment.yaml"
    text = path.read_text(encoding="utf-8")
    # Anchors are defined in a top-level key the brief does not know; the date refers to the last.
    bomb = "anchors:\n" + "".join("  " + line for line in (f"a: {BOMB}\n" + BOMB_LINES).splitlines(True))
    text = text.replace("    date: ", "    date: *b7\n    x_date: ", 1)
    path.write_text(bomb + text, encoding="utf-8")
    return "investment.yaml", "aliases"


def _corpus_bomb(field: str) -> Callable[[Path, Path], tuple[str, str]]:
    def make(briefs: Path, corpus: Path) -> tuple[str, str]:
        path = corpus / "akram-2024-07-20-aliyev-visit.md"
        text = path.read_text(encoding="utf-8")
        anchors = "anchors:\n" + "".join("  " + line for line in (f"a: {BOMB}\n" + BOMB_LINES).splitlines(True))
        text = text.replace(f"\n{field}: ", f"\n{anchors}{field}: *b7\nold_{field}: ", 1)
        path.write_text(text, encoding="utf-8")
        return "akram-2024-07-20-aliyev-visit.md", "aliases"
    return make


def link_to_dev_zero(briefs: Path, corpus: Path) -> tuple[str, str]:
    (briefs / "z.yaml").symlink_to("/dev/zero")
    return "z.yaml", "symbolic link out of the data folder"


def fifo(briefs: Path, corpus: Path) -> tuple[str, str]:
    os.mkfifo(briefs / "x.yaml")
    return "x.yaml", "is a FIFO"


def link_to_secret(briefs: Path, corpus: Path) -> tuple[str, str]:
    secret = briefs.parent / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n" + SECRET + "\n", encoding="utf-8")
    (briefs / "shadow.yaml").symlink_to(secret)
    return "shadow.yaml", "symbolic link out of the data folder"


def secret_inside(briefs: Path, corpus: Path) -> tuple[str, str]:
    (briefs / "notes.yaml").write_text("DISCORD_TOKEN: " + SECRET + "\npassword: " + SECRET + "\n", encoding="utf-8")
    return "notes.yaml", "not a brief file"


def corpus_types(briefs: Path, corpus: Path) -> tuple[str, str]:
    path = corpus / "akram-2024-07-20-aliyev-visit.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace('title: "Pakistan Welcome\'s Brother Ilham Aliyev"', "title: [1, [2, 3]]", 1)
    text = text.replace("\nauthor: ", "\nauthor: {x: 1}\nold_author: ", 1)
    path.write_text(text, encoding="utf-8")
    return "akram-2024-07-20-aliyev-visit.md:3: title", "must be text, not a list"


def corpus_not_utf8(briefs: Path, corpus: Path) -> tuple[str, str]:
    path = corpus / "akram-2024-07-20-aliyev-visit.md"
    path.write_bytes(b"\xff\xfe" + path.read_bytes())
    return "akram-2024-07-20-aliyev-visit.md:1", "not UTF-8"


def corpus_bom_damaged(briefs: Path, corpus: Path) -> tuple[str, str]:
    path = corpus / "akram-2024-07-20-aliyev-visit.md"
    path.write_bytes(b"\xef\xbb" + path.read_bytes())  # a BOM cut short: not UTF-8 any more
    return "akram-2024-07-20-aliyev-visit.md:1", "not UTF-8"


HOSTILE = {
    "bomb in a fact's date": bomb_in_fact_date,
    "bomb in a document's id": _corpus_bomb("id"),
    "bomb in a document's title": _corpus_bomb("title"),
    "symlink to /dev/zero": link_to_dev_zero,
    "FIFO": fifo,
    "symlink to a secret": link_to_secret,
    "a secret file inside the folder": secret_inside,
    "front matter of the wrong types": corpus_types,
    "non-UTF-8 corpus file": corpus_not_utf8,
    "BOM-damaged corpus file": corpus_bom_damaged,
}


def run_measured(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str, float, int]:
    """Exit code, stdout, stderr, seconds and the child's own peak RSS (kB) of ``python -m bot ARGS``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "bot", *args], stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL, cwd=ROOT, env={**os.environ, **(env or {})})
        deadline = start + 60
        while True:  # a hang must fail the test, not stall the suite
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                child.wait()
                pytest.fail(f"{args} did not finish in 60 s")
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return child.returncode, out.read().decode(), err.read().decode(), seconds, usage.ru_maxrss


def assert_refusal(code: int, text: str, where: str, what: str) -> None:
    assert code == 1, text
    assert "Traceback" not in text and SECRET not in text and "x, x, x" not in text, text
    lines = [line for line in text.splitlines() if where in line]
    assert lines and what in lines[0], text
    assert all(len(line) < 400 for line in text.splitlines()), text


@pytest.mark.parametrize("case", list(HOSTILE))
def test_check_refuses_each_hostile_file_in_bounded_time_and_memory(
        case: str, data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    env = {"SAFEER_CACHE_DIR": str(tmp_path / "cache")}
    args = ["--briefs", str(briefs), "--corpus", str(corpus), "check"]
    clean = run_measured(args, env)
    assert clean[0] == 0, clean[2]
    where, what = HOSTILE[case](briefs, corpus)
    code, _, err, seconds, rss = run_measured(args, env)
    assert_refusal(code, err, where, what)
    problems = [line for line in err.splitlines() if ": " in line and not line.startswith("check:")]
    assert where in problems[0], err  # the cause comes first
    assert seconds < clean[3] + SECONDS and rss < clean[4] + EXTRA_RSS_KB, (seconds, rss, clean)
    cached = sum(f.stat().st_size for f in (tmp_path / "cache").glob("library-*.bin"))
    assert cached < 4 << 20  # nothing refused was stored, and nothing grew


@pytest.mark.parametrize("case", ["bomb in a document's title", "FIFO", "symlink to a secret", "non-UTF-8 corpus file"])
def test_start_up_refuses_before_connecting(case: str, data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    where, what = HOSTILE[case](briefs, corpus)
    env = {"DISCORD_TOKEN": "x" * 30 + ".not-a-real-token", "SAFEER_NO_DOTENV": "1",
           "SAFEER_CACHE_DIR": str(tmp_path / "cache"), "SAFEER_STATE_DIR": str(tmp_path / "state"),
           "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api", "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9"}
    code, _, err, seconds, _ = run_measured(["--briefs", str(briefs), "--corpus", str(corpus), "run"], env)
    assert_refusal(code, err, where, what)
    assert "not starting" in err and seconds < SECONDS


@pytest.mark.parametrize("case", list(HOSTILE))
def test_reload_refuses_and_keeps_the_running_catalog(case: str, data_copy: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    briefs, corpus = data_copy
    options = LoadOptions(cache_dir=tmp_path / "cache")
    holder = LibraryHolder(Library.load(briefs, corpus, options=options), briefs, corpus, options)
    load_cache.flush()
    before = holder.current
    where, what = HOSTILE[case](briefs, corpus)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DataError) as refused:
            holder.reload()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        load_cache.flush()
    assert holder.current is before
    text = "\n".join(str(p) for p in refused.value.problems)
    assert_refusal(1, text, where, what)
    assert where in str(refused.value.problems[0])
    assert seconds < IN_PROCESS_SECONDS and peak < IN_PROCESS_BYTES, (seconds, peak)


def test_a_changed_document_title_or_date_changes_the_hash_and_the_reload_says_so(
        data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    options = LoadOptions(cache_dir=tmp_path / "cache")
    holder = LibraryHolder(Library.load(briefs, corpus, options=options), briefs, corpus, options)
    path = corpus / "akram-2024-07-20-aliyev-visit.md"
    for old, new in [("title: \"Pakistan Welcome's", "title: \"Pakistan Welcomes"),
                     ("published: 2024-07-20", "published: 2024-07-21")]:
        before = holder.current.catalog.content_hash
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        library, change = holder.reload()
        load_cache.flush()
        assert library.catalog.content_hash != before
        assert not change.empty and change.documents == ("akram-2024-07-20-aliyev-visit",)
        assert change.changed  # the briefs that cite it show its title and date
        fresh = Library.load(briefs, corpus, cache_dir=None)
        assert fresh.catalog.content_hash == library.catalog.content_hash


def test_ask_shows_the_cause_among_its_first_lines(data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    corpus_not_utf8(briefs, corpus)
    code, _, err, _, _ = run_measured(["--briefs", str(briefs), "--corpus", str(corpus), "ask", "LNG"],
                                        {"SAFEER_CACHE_DIR": str(tmp_path / "cache")})
    assert code == 1 and "Traceback" not in err
    assert "not UTF-8" in err.splitlines()[1]
    assert "unknown document" not in err  # facts citing the broken document are its follow-ons


# -- probes that passed before and must keep passing -------------------------------------------


def _write(briefs: Path, name: str, text: str) -> None:
    (briefs / name).write_text(text, encoding="utf-8")


REGRESSIONS: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "alias bomb under an unknown key": (lambda b, c: _write(b, "extra.yaml", f"a: {BOMB}\n" + BOMB_LINES),
                                        "extra.yaml:1"),
    "deep nesting": (lambda b, c: _write(b, "deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"), "deep.yaml:1"),
    "python tag": (lambda b, c: _write(b, "tag.yaml", "x: !!python/object/apply:os.system ['touch /tmp/pwned']\n"),
                   "tag.yaml:1"),
    "duplicate keys": (lambda b, c: _write(b, "dup.yaml", "id: dup\nid: dup\n"), "dup.yaml:2"),
    "empty file": (lambda b, c: _write(b, "empty.yaml", ""), "empty.yaml:1"),
    "folder named .yaml": (lambda b, c: (b / "folder.yaml").mkdir(), "folder.yaml:1"),
    "id: ../x": (lambda b, c: _write(b, "x.yaml", (b / "trade.yaml").read_text(encoding="utf-8").replace(
        "id: trade", "id: ../x", 1)), "x.yaml:"),
    "dangling symlink": (lambda b, c: (b / "gone.yaml").symlink_to(b / "nowhere.yaml"), "gone.yaml:1"),
    "file over the size limit": (lambda b, c: _write(b, "big.yaml", "summary: " + "x" * (6 << 20) + "\n"),
                                 "big.yaml:1"),
}


@pytest.mark.parametrize("case", list(REGRESSIONS))
def test_old_probes_stay_clean_refusals(case: str, data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    make, where = REGRESSIONS[case]
    make(briefs, corpus)
    options = LoadOptions(cache_dir=tmp_path / "cache")
    with pytest.raises(DataError) as refused:
        Library.load(briefs, corpus, options=options)
    load_cache.flush()
    first = str(refused.value.problems[0])
    assert where in first, first
    assert not Path("/tmp/pwned").exists()


def test_the_size_limit_is_a_setting(data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    env = {"SAFEER_CACHE_DIR": str(tmp_path / "cache"), "SAFEER_MAX_FILE_MB": "0.005"}  # ~5 KB
    code, _, err, _, _ = run_measured(["--briefs", str(briefs), "--corpus", str(corpus), "check"], env)
    assert code == 1 and "MB limit" in err
    code, _, err, _, _ = run_measured(["--briefs", str(briefs), "--corpus", str(corpus), "check"],
                                      {**env, "SAFEER_MAX_FILE_MB": "1"})
    assert code == 0, err


def test_links_into_an_allowed_folder_are_followed(data_copy: tuple[Path, Path], tmp_path: Path) -> None:
    briefs, corpus = data_copy
    shared = tmp_path / "shared"
    shared.mkdir()
    (briefs / "trade.yaml").rename(shared / "trade.yaml")
    (briefs / "trade.yaml").symlink_to(shared / "trade.yaml")
    with pytest.raises(DataError) as refused:
        Library.load(briefs, corpus, options=LoadOptions(cache_dir=None))
    assert "trade.yaml:1: is a symbolic link out of the data folder" in str(refused.value.problems[0])
    library = Library.load(briefs, corpus, options=LoadOptions(cache_dir=tmp_path / "c", limits=ReadLimits(
        link_dirs=(str(shared),))))
    load_cache.flush()
    assert "trade" in library.catalog.briefs


def test_the_cache_file_never_grows_past_its_bound(data_copy: tuple[Path, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    briefs, corpus = data_copy
    data = sum(p.stat().st_size for folder in data_copy for p in folder.iterdir())
    Library.load(briefs, corpus, options=LoadOptions(cache_dir=tmp_path / "cache"))
    load_cache.flush()
    (written,) = (tmp_path / "cache").glob("library-*.bin")
    assert written.stat().st_size < load_cache.size_bound(data)
    monkeypatch.setattr(load_cache, "size_bound", lambda data_bytes: 1000)
    library = Library.load(briefs, corpus, options=LoadOptions(cache_dir=tmp_path / "small"))
    load_cache.flush()
    assert len(library.catalog.briefs) == 26 and not list((tmp_path / "small").glob("library-*.bin"))
