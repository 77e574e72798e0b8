"""Fixtures for the bot's end-to-end tests: a Discord stand-in (``tests.standin``) per test, and bot subprocesses.

``standin``    a started :class:`DiscordStandIn` with ``World.default()`` (stopped after the test).
``spawn_bot``  ``await spawn_bot("-m", "bot", "run", env={...})`` starts ``sys.executable`` with those
               arguments in the repository root, with ``bot_env(standin, tmp_path)`` (plus ``env``);
               returns a :class:`BotProcess`. Every process is stopped after the test, and its
               output printed (pytest shows it when the test fails).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.standin import DiscordStandIn
from tests.standin.process import spawner

from .bot_process import SpawnBot, bot_env


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the real briefs and corpus, so a test can edit them and reload."""
    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "briefs", tmp_path / "data" / "briefs")
    shutil.copytree(root / "corpus", tmp_path / "data" / "corpus")
    return tmp_path / "data"


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as server:
        yield server


@pytest.fixture
async def spawn_bot(standin: DiscordStandIn, tmp_path: Path) -> AsyncIterator[SpawnBot]:
    async with spawner(standin, lambda extra: bot_env(standin, tmp_path, extra)) as spawn:
        yield spawn

