"""Fixtures for the stand-in's own tests: a stand-in per test, and client subprocesses pointed at it.

``standin``    a started :class:`DiscordStandIn` with ``World.default()`` (stopped after the test).
``spawn_bot``  ``await spawn_bot("tests/standin/mini_bot.py", env={...})`` starts ``sys.executable`` with
               those arguments in the repository root, with ``client_env(standin)`` (plus ``env``);
               returns a :class:`BotProcess`. Every process is stopped after the test, and its output
               printed (pytest shows it when the test fails).
``mini_bot``   the proof bot (``mini_bot.py``) started, logged in, commands synced, connected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.standin import BotProcess, DiscordStandIn, client_env
from tests.standin.process import MINI_BOT, SpawnBot, spawner


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as server:
        yield server


@pytest.fixture
async def spawn_bot(standin: DiscordStandIn) -> AsyncIterator[SpawnBot]:
    async with spawner(standin, lambda extra: client_env(standin, extra)) as spawn:
        yield spawn


@pytest.fixture
async def mini_bot(standin: DiscordStandIn, spawn_bot: SpawnBot) -> BotProcess:
    proc = await spawn_bot(str(MINI_BOT))
    await proc.until(standin.wait_for_command_sync())
    await proc.until(standin.wait_until_ready())
    return proc
