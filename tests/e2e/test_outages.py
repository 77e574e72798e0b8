"""Outages survived, each against the real bot and the stand-in: nothing lost, nothing doubled.

* PostgreSQL (a real throwaway cluster of this module's own) stopped for 90 s across the post minute;
* the SQLite file locked by another process for 30 s across the post minute;
* the gateway closed 10 times within a minute, alternately resumed and identified afresh;
* the load cache's disk full (a 16 KB tmpfs, mounted in the bot's own mount namespace).

The bot's clock is set just before 09:00 (``SAFEER_CLOCK_OFFSET_SECONDS``) and its scheduler passes
run twice a second, so the post minute falls inside each outage. The outages themselves last their
real length: that is what the bot must ride out.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.schedule.conftest import _free_port, _pg_bindir, _run, _unavailable
from tests.standin import DiscordStandIn

from .bot_process import BotProcess, SpawnBot, bot_env
from .test_metrics import get
from .test_reminders import reminders, settled

KARACHI = ZoneInfo("Asia/Karachi")
NINE = dt.datetime(2026, 7, 11, 9, 0, tzinfo=KARACHI)
POST = "two-day visit"  # in the 11 July post


def posts(standin: DiscordStandIn) -> list[dict[str, Any]]:
    return [m for m in standin.bot_messages if POST in m.get("content", "")]


async def start_before_nine(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path, seconds_before: float,
                            **env: str) -> BotProcess:
    """The bot, its clock ``seconds_before`` 09:00 in Karachi, with a daily post set for 09:00."""
    offset = (NINE - dt.timedelta(seconds=seconds_before)).timestamp() - time.time()
    bot = await spawn_bot("-m", "bot", "run", env={
        "SAFEER_BRIEFS_DIR": str(data_dir / "briefs"), "SAFEER_CORPUS_DIR": str(data_dir / "corpus"),
        "SAFEER_CLOCK_OFFSET_SECONDS": f"{offset:.3f}", "SAFEER_REMINDER_TICK_SECONDS": "0.5",
        "SAFEER_LOG_LEVEL": "DEBUG", **env})
    await bot.until(standin.wait_for_command_sync())
    await bot.until(standin.wait_until_ready())
    await reminders(standin, bot, "set", {"channel": standin.world.announcements, "time": "09:00"})
    return bot


async def answers(standin: DiscordStandIn, bot: BotProcess, topic: str = "LNG") -> None:
    """A command, answered with the brief itself (the catalog needs no database)."""
    sent = await standin.send_slash_command("brief", {"topic": topic})
    reply = await bot.until(standin.interaction_response(sent))
    assert reply.json["data"]["embeds"], reply.json


async def keep_asking(standin: DiscordStandIn, bot: BotProcess, seconds: float) -> int:
    """Ask every 3 s for ``seconds``; every command must be answered. Returns how many were."""
    end, asked = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        await answers(standin, bot)
        asked += 1
        await asyncio.sleep(min(3.0, max(0.0, end - time.monotonic())))
    return asked


async def one_post_then_quiet(standin: DiscordStandIn, bot: BotProcess) -> dict[str, Any]:
    """The post arrives; after a whole later pass has run, there is still exactly one."""
    post = await bot.until(standin.wait_for_bot_message(lambda m: POST in m.get("content", ""), timeout=60))
    await answers(standin, bot)
    await settled(bot, len(bot.lines))
    assert len(posts(standin)) == 1
    return post


def sqlite_ledger(tmp_path: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(tmp_path / "bot-state" / "safeer.sqlite3")) as db:
        return [(str(d), str(s)) for d, s in db.execute("SELECT local_date, status FROM reminder_posts")]


async def until_ledger(read: Any, expected: list[tuple[str, str]], timeout: float = 10.0) -> None:
    """The ledger is written just after the post: wait for it to say ``expected``."""
    got: list[tuple[str, str]] = []
    async with asyncio.timeout(timeout):
        while (got := await read()) != expected:
            await asyncio.sleep(0.1)
    assert got == expected


# -- PostgreSQL -----------------------------------------------------------------------------------


@dataclass
class Postgres:
    """A throwaway cluster this module may stop and start (the schedule tests' one is shared)."""

    bindir: Path
    data: Path
    logfile: Path
    port: int
    opts: str
    prefix: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/safeer"

    def stop(self) -> None:
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], self.prefix)

    def start(self) -> None:
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-o", self.opts,
              "-w", "-t", "60", "start"], self.prefix)

    async def ledger(self) -> list[tuple[str, str]]:
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user="postgres", database="safeer")
        try:
            rows = await conn.fetch("SELECT local_date::text AS d, status FROM reminder_posts")
        finally:
            await conn.close()
        return [(r["d"], r["status"]) for r in rows]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("initdb/pg_ctl were not found")
        raise AssertionError("unreachable")
    base = Path(tempfile.mkdtemp(prefix="safeer-pg-outage-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    pg = Postgres(bindir, base / "data", base / "server.log", port,
                  f"-p {port} -h 127.0.0.1 -k {base} -c fsync=off -c synchronous_commit=off", prefix)
    try:
        _run([str(bindir / "initdb"), "-D", str(pg.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
              "--no-sync", "--no-instructions"], prefix)
        pg.start()
        _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "safeer"], prefix)
        yield pg
    finally:
        with contextlib.suppress(Exception):
            _run([str(bindir / "pg_ctl"), "-D", str(pg.data), "-m", "immediate", "-w", "stop"], prefix)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.timeout(300)
async def test_postgres_down_for_90_s_across_the_post_minute(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                             data_dir: Path, postgres: Postgres) -> None:
    port = _free_port()
    bot = await start_before_nine(standin, spawn_bot, data_dir, 30, DATABASE_URL=postgres.url,
                                  SAFEER_METRICS_ADDRESS=f"127.0.0.1:{port}")
    await asyncio.to_thread(postgres.stop)
    status, text = await get(port, "/readyz")
    assert status == 503 and "store unreachable" in text
    assert await keep_asking(standin, bot, 90) >= 10  # 09:00 passes about 30 s in
    assert posts(standin) == []  # nothing can be claimed without the ledger
    await asyncio.to_thread(postgres.start)
    post = await one_post_then_quiet(standin, bot)
    assert "late" not in post["content"].lower()  # a minute and a half: well within grace, no late note
    await until_ledger(postgres.ledger, [("2026-07-11", "sent")])
    assert await get(port, "/readyz") == (200, "ready\n")
    assert bot.returncode is None and standin.violations == []


# -- SQLite ---------------------------------------------------------------------------------------


@pytest.mark.timeout(180)
async def test_sqlite_locked_by_another_process_for_30_s(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                         data_dir: Path, tmp_path: Path) -> None:
    bot = await start_before_nine(standin, spawn_bot, data_dir, 10)
    locker = sqlite3.connect(tmp_path / "bot-state" / "safeer.sqlite3", timeout=10, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")  # this test process holds the write lock; the bot must wait
        assert await keep_asking(standin, bot, 30) >= 4  # 09:00 passes about 10 s in
        assert posts(standin) == []
    finally:
        locker.execute("COMMIT")
        locker.close()
    await one_post_then_quiet(standin, bot)

    async def read() -> list[tuple[str, str]]:
        return sqlite_ledger(tmp_path)

    await until_ledger(read, [("2026-07-11", "sent")])
    assert bot.returncode is None and standin.violations == []


# -- the gateway ----------------------------------------------------------------------------------


@pytest.mark.timeout(180)
async def test_gateway_closed_ten_times_in_a_minute(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path,
                                                    tmp_path: Path) -> None:
    bot = await start_before_nine(standin, spawn_bot, data_dir, 8)
    started = time.monotonic()
    asked: list[Any] = []
    for k in range(10):
        since = time.monotonic()
        if k % 2 == 0:
            await standin.drop_gateway("close", code=4000)  # resumable: the bot resumes its session
            await bot.until(standin.wait_for_gateway("resumed", since=since, timeout=20))
        else:
            await standin.drop_gateway("invalidate")  # not resumable: the bot identifies afresh
            await bot.until(standin.wait_for_gateway("ready", since=since, timeout=20))
        sent = await standin.send_slash_command("brief", {"topic": "investment"})
        await bot.until(standin.interaction_response(sent))
        asked.append(sent)
    assert time.monotonic() - started < 60
    await one_post_then_quiet(standin, bot)

    async def read() -> list[tuple[str, str]]:
        return sqlite_ledger(tmp_path)

    await until_ledger(read, [("2026-07-11", "sent")])
    for sent in asked:  # each command answered exactly once
        callbacks = [r for r in standin.requests_for(sent) if r.path.endswith("/callback")]
        assert len(callbacks) == 1
    assert bot.returncode is None and standin.violations == []


# -- the load cache -------------------------------------------------------------------------------


def _private_tmpfs(cache: Path) -> list[str]:
    """argv prefix: the bot in a mount namespace of its own, with a 16 KB tmpfs over ``cache``."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("unshare (util-linux) is needed to give the bot a full disk")
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    probe = subprocess.run([unshare, *user, "--mount", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(f"cannot make a mount namespace here: {probe.stderr.strip()}")
    script = 'mount -t tmpfs -o size=16k,mode=0700 safeer-full "$SAFEER_CACHE_DIR" && exec "$0" -m bot run'
    return [unshare, *user, "--mount", "--propagation", "private", "sh", "-c", script, sys.executable]


async def test_load_cache_disk_full(standin: DiscordStandIn, data_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "full-cache"
    cache.mkdir()
    env = bot_env(standin, tmp_path, {"SAFEER_CACHE_DIR": str(cache), "SAFEER_BRIEFS_DIR": str(data_dir / "briefs"),
                                      "SAFEER_CORPUS_DIR": str(data_dir / "corpus")})
    bot = await BotProcess.start(_private_tmpfs(cache), env=env)
    try:
        await bot.until(standin.wait_until_ready(timeout=20))
        await answers(standin, bot, "investment")
        await bot.wait_for_lines("No space left on device")
        assert len(full_disk(bot)) == 1  # the start's load: one warning
        brief = data_dir / "briefs" / "energy-lng.yaml"
        brief.write_text(brief.read_text().replace("LNG cargo", "LNG cargo shipment", 1))
        reload = await standin.send_slash_command("briefs reload", {}, user=standin.world.owner)
        [reply] = await bot.until(standin.followups(reload))
        assert "Briefs reloaded" in str(reply.json), reply.json
        await answers(standin, bot, "LNG cargo shipment")
    finally:
        code = await bot.stop(grace=15)
        print(bot.output)
    assert code == 0
    full = full_disk(bot)
    assert len(full) == 2 and all("WARNING" in line and "load cache" in line for line in full)  # one per load
    assert "Traceback" not in bot.output


def full_disk(bot: BotProcess) -> list[str]:
    return [line for line in bot.lines if "No space left on device" in line]


async def test_postgres_read_only_refuses_to_start(postgres: Postgres, standin: DiscordStandIn,
                                                   tmp_path: Path) -> None:
    """A read-only database (here every transaction read-only, as on a hot standby) is a start
    failure of its own: one line, exit 7, nothing contacted."""
    import asyncpg

    from bot.exit_codes import ExitCode

    conn = await asyncpg.connect(host="127.0.0.1", port=postgres.port, user="postgres", database="postgres")
    try:
        await conn.execute("DROP DATABASE IF EXISTS safeer_ro")
        await conn.execute("CREATE DATABASE safeer_ro")
        await conn.execute("ALTER DATABASE safeer_ro SET default_transaction_read_only = on")
    finally:
        await conn.close()
    url = f"postgresql://postgres@127.0.0.1:{postgres.port}/safeer_ro"
    bot = await BotProcess.start([sys.executable, "-m", "bot", "run"],
                                 env=bot_env(standin, tmp_path, {"DATABASE_URL": url}))
    assert await bot.wait_exit(30) == ExitCode.DATABASE_READ_ONLY
    assert [line for line in bot.lines if line.strip()] == [
        f"safeer: error: the database is read-only (DATABASE_URL={url})"]
    assert standin.requests == []
