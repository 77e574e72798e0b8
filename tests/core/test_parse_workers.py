"""Parsing on every core gives exactly what parsing in one process gives, and survives a failed helper."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.core import load_cache, parse_workers
from bot.core.library import Library
from bot.core.parse_workers import ParseJobs, parse_one
from bot.core.problems import relative
from bot.settings import SettingsError, load_options
from tests.core.test_load_cache import same_library


def jobs_of(briefs: Path) -> list[parse_workers.Job]:
    paths = sorted(briefs.glob("*.yaml"))
    return [(p, p.read_text(encoding="utf-8"), relative(p)) for p in paths]


def broken_copy(briefs: Path, tmp_path: Path) -> Path:
    """The real briefs plus a file with a shape problem, so problems travel back too."""
    folder = tmp_path / "with-broken"
    folder.mkdir()
    for path in briefs.glob("*.yaml"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "broken.yaml").write_text("id: broken\ntitle: 12\nfacts: []\n", encoding="utf-8")
    return folder


def test_helpers_give_the_same_results_in_the_same_order(data_copy: tuple[Path, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_workers, "CHUNK", 2)
    jobs = jobs_of(broken_copy(data_copy[0], tmp_path))
    alone = [parse_one(*job) for job in jobs]
    together = ParseJobs(jobs, helpers=2, min_files=1, here_too=False)
    assert together.results() == alone
    assert together.helped > 0 and not together.notes
    assert any(problems for _, problems, _ in alone)  # the broken file's problems came back as well


def test_a_helper_that_cannot_run_leaves_the_work_here(data_copy: tuple[Path, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_workers, "CHUNK", 2)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # starts, reads nothing, exits at once
    jobs = jobs_of(data_copy[0])
    parsing = ParseJobs(jobs, helpers=1, min_files=1, here_too=False)
    assert parsing.results() == [parse_one(*job) for job in jobs]
    assert parsing.helped == 0
    assert parsing.notes and "parse helper failed" in parsing.notes[0]


def test_a_helper_that_cannot_start_leaves_the_work_here(data_copy: tuple[Path, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_workers, "CHUNK", 2)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    jobs = jobs_of(data_copy[0])
    parsing = ParseJobs(jobs, helpers=1, min_files=1, here_too=False)
    assert parsing.results() == [parse_one(*job) for job in jobs]
    assert parsing.notes and "could not start" in parsing.notes[0]


def test_small_loads_use_no_helper_and_the_count_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    job = (Path("briefs/x.yaml"), "id: x\n", "briefs/x.yaml")
    assert ParseJobs([job] * 10, helpers=4)._threads == []  # under MIN_FILES
    monkeypatch.setenv("SAFEER_LOAD_WORKERS", "0")
    assert parse_workers.helper_count(load_options().helpers) == 0
    monkeypatch.setenv("SAFEER_LOAD_WORKERS", "3")
    assert parse_workers.helper_count(load_options().helpers) == 3
    monkeypatch.setenv("SAFEER_LOAD_WORKERS", "many")
    with pytest.raises(SettingsError, match="SAFEER_LOAD_WORKERS"):
        load_options()
    assert parse_workers.helper_count() >= 0


def test_library_loaded_with_helpers_equals_one_loaded_without(data_copy: tuple[Path, Path], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    briefs, corpus = data_copy
    monkeypatch.setenv("SAFEER_LOAD_WORKERS", "0")
    alone, report = Library.load_with_report(briefs, corpus, cache_dir=None)
    assert report.helpers == 0
    monkeypatch.setenv("SAFEER_LOAD_WORKERS", "1")
    monkeypatch.setattr(parse_workers, "MIN_FILES", 1)
    monkeypatch.setattr(parse_workers, "CHUNK", 2)
    monkeypatch.setattr(parse_workers, "PARSE_HERE_TOO", False)
    together, report = Library.load_with_report(briefs, corpus, cache_dir=tmp_path / "cache")
    load_cache.flush()
    assert report.helpers > 0 and report.parsed == len(alone.catalog.briefs)
    same_library(alone, together)
