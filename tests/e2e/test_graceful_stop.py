"""SIGTERM with a daily post in flight: new commands are refused, the post finishes (or is recorded
'unknown' when it cannot within the stop timeout), the database and gateway close, exit 0."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.standin import DiscordStandIn

from .bot_process import BotProcess, SpawnBot
from .test_reminders import reminders

KARACHI = ZoneInfo("Asia/Karachi")


class HoldingStandIn(DiscordStandIn):
    """The stand-in, able to hold the bot's channel posts unanswered until the test releases them."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_posts = False
        self.held = asyncio.Event()  # a post has arrived and is being held
        self.release = asyncio.Event()

    async def _create_message(self, rec: Any, m: re.Match[str]) -> Any:
        if self.hold_posts:
            self.held.set()
            await self.release.wait()
        return await super()._create_message(rec, m)


@pytest.fixture
async def standin() -> AsyncIterator[HoldingStandIn]:
    server = HoldingStandIn()
    async with server:
        try:
            yield server
        finally:
            server.release.set()


def ledger(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "bot-state" / "safeer.sqlite3") as db:
        return [(str(d), str(s)) for d, s in db.execute("SELECT local_date, status FROM reminder_posts")]


async def post_in_flight(standin: HoldingStandIn, spawn_bot: SpawnBot, data_dir: Path, **env: str) -> BotProcess:
    offset = dt.datetime(2026, 7, 11, 8, 59, 57, tzinfo=KARACHI).timestamp() - time.time()
    bot = await spawn_bot("-m", "bot", "run", env={
        "SAFEER_BRIEFS_DIR": str(data_dir / "briefs"), "SAFEER_CORPUS_DIR": str(data_dir / "corpus"),
        "SAFEER_CLOCK_OFFSET_SECONDS": f"{offset:.3f}", "SAFEER_REMINDER_TICK_SECONDS": "0.5", **env})
    await bot.until(standin.wait_for_command_sync())
    await bot.until(standin.wait_until_ready())
    standin.hold_posts = True
    await reminders(standin, bot, "set", {"channel": standin.world.announcements, "time": "09:00"})
    await bot.until(asyncio.wait_for(standin.held.wait(), 20))
    return bot


async def refused_while_stopping(standin: HoldingStandIn, bot: BotProcess) -> str:
    sent = await standin.send_slash_command("brief", {"topic": "LNG"})
    reply = await bot.until(standin.interaction_response(sent))
    return str(reply.json["data"]["content"])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_stop_lets_the_post_in_flight_finish(standin: HoldingStandIn, spawn_bot: SpawnBot, data_dir: Path,
                                                   tmp_path: Path, sig: signal.Signals) -> None:
    bot = await post_in_flight(standin, spawn_bot, data_dir)
    bot.proc.send_signal(sig)
    await bot.wait_for_lines(f"{sig.name} received")
    assert "restarting" in await refused_while_stopping(standin, bot)
    standin.release.set()
    assert await bot.wait_exit(15) == 0
    assert len([m for m in standin.bot_messages if "two-day visit" in m.get("content", "")]) == 1
    assert ledger(tmp_path) == [("2026-07-11", "sent")]
    assert standin.gateway_log[-1].kind == "disconnect" and standin.gateway_log[-1].detail["code"] == 1000
    assert "Traceback" not in bot.output


async def test_sigterm_records_a_stuck_post_as_unknown(standin: HoldingStandIn, spawn_bot: SpawnBot, data_dir: Path,
                                                       tmp_path: Path) -> None:
    bot = await post_in_flight(standin, spawn_bot, data_dir, SAFEER_STOP_TIMEOUT_SECONDS="2")
    started = time.monotonic()
    bot.proc.send_signal(signal.SIGTERM)
    assert await bot.wait_exit(15) == 0
    assert time.monotonic() - started < 10
    assert ledger(tmp_path) == [("2026-07-11", "unknown")]  # it may have reached Discord: never posted again
    assert "Traceback" not in bot.output
