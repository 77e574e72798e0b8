"""Shared fixtures: the real data folders, and a way to build small data folders for failure cases."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from bot.core.library import Library

# Tests never write the load cache into the checkout.
os.environ.setdefault("SAFEER_CACHE_DIR", tempfile.mkdtemp(prefix="safeer-test-cache-"))

ROOT = Path(__file__).resolve().parent.parent
BRIEFS = ROOT / "briefs"
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def library() -> Library:
    return Library.load(BRIEFS, CORPUS)


@pytest.fixture
def data_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of the real briefs and corpus."""
    briefs, corpus = tmp_path / "briefs", tmp_path / "corpus"
    shutil.copytree(BRIEFS, briefs)
    shutil.copytree(CORPUS, corpus)
    return briefs, corpus
