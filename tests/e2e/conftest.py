"""Fixtures for end-to-end tests: a Discord stand-in per test, and bot subprocesses pointed at it.

``standin``    a started :class:`DiscordStandIn` with ``World.default()`` (stopped after the test).
``spawn_bot``  ``await spawn_bot("-m", "bot", "run", env={...})`` starts ``sys.executable`` with those
               arguments in the repository root, with ``bot_env(standin, tmp_path)`` (plus ``env``);
               returns a :class:`BotProcess`. Every process is stopped after the test, and its
               output printed (pytest shows it when the test fails).
``mini_bot``   the proof bot (``tests/e2e/mini_bot.py``) started, logged in, commands synced, connected.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from .bot_process import MINI_BOT, BotProcess, SpawnBot, bot_env
from .discord_standin import DiscordStandIn


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
    processes: list[BotProcess] = []

    async def spawn(*args: str, env: Mapping[str, str] | None = None) -> BotProcess:
        proc = await BotProcess.start([sys.executable, *args], env=bot_env(standin, tmp_path, env))
        processes.append(proc)
        return proc

    try:
        yield spawn
    finally:
        for proc in processes:
            code = await proc.stop()
            print(f"--- {' '.join(proc.argv[1:])} (exit {code}) ---\n{proc.output}")
        if standin.violations:
            print("--- stand-in violations ---\n" + "\n".join(standin.violations))


@pytest.fixture
async def mini_bot(standin: DiscordStandIn, spawn_bot: SpawnBot) -> BotProcess:
    proc = await spawn_bot(str(MINI_BOT))
    await proc.until(standin.wait_for_command_sync())
    await proc.until(standin.wait_until_ready())
    return proc
