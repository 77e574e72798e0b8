"""Daily posts end to end: /reminders through the stand-in, the real bot process, a fake clock.

The bot reads ``SAFEER_CLOCK_OFFSET_SECONDS`` (tests only) so that "now" is a chosen instant, and
``SAFEER_REMINDER_TICK_SECONDS=0.5`` so the scheduler's pass runs twice a second instead of at
each minute: a post due at 09:00 arrives seconds after the test starts, never hours. The bot logs at
DEBUG, so each pass says it has ended ("daily-post pass at …"): "still one post" is asserted only
after a pass that would have posted again has run, never after a sleep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.standin import DiscordStandIn

from .bot_process import BotProcess, SpawnBot

ROOT = Path(__file__).resolve().parents[2]
KARACHI = ZoneInfo("Asia/Karachi")
EPHEMERAL = 64
PASS_LINE = re.compile(r"daily-post pass at (?P<at>\S+): (?P<queued>\d+) queued, \d+ missed, "
                       r"(?P<pending>\d+) in the send queue")



async def start_at(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path, fake_now: dt.datetime,
                   *, wait_sync: bool = True) -> BotProcess:
    """Start the bot with its clock set so that now is ``fake_now``."""
    offset = fake_now.timestamp() - time.time()
    mark = len(standin.command_syncs)
    bot = await spawn_bot("-m", "bot", "run", env={
        "SAFEER_BRIEFS_DIR": str(data_dir / "briefs"), "SAFEER_CORPUS_DIR": str(data_dir / "corpus"),
        "SAFEER_CLOCK_OFFSET_SECONDS": f"{offset:.3f}", "SAFEER_REMINDER_TICK_SECONDS": "0.5",
        "SAFEER_LOG_LEVEL": "DEBUG"})
    if wait_sync and mark == 0:
        await bot.until(standin.wait_for_command_sync())
    await bot.until(standin.wait_until_ready())
    sent = await standin.send_slash_command("help", {})
    await bot.until(standin.interaction_response(sent))  # up and serving
    return bot


async def reminders(standin: DiscordStandIn, bot: BotProcess, sub: str, options: dict[str, Any],
                    user: Any = None) -> dict[str, Any]:
    sent = await standin.send_slash_command(f"reminders {sub}", options, user=user or standin.world.moderator)
    cb = await bot.until(standin.interaction_response(sent))
    if cb.json["type"] == 5:
        return dict((await bot.until(standin.followups(sent)))[0].json)
    return dict(cb.json["data"])


async def status_until(standin: DiscordStandIn, bot: BotProcess, ready: Any) -> dict[str, str]:
    """/reminders status, asked until ``ready(fields)`` holds (the ledger is written after the post)."""
    fields: dict[str, str] = {}
    for _ in range(40):
        status = await reminders(standin, bot, "status", {})
        fields = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}
        if ready(fields):
            return fields
        await asyncio.sleep(0.25)
    raise AssertionError(f"status never got there: {fields}")


async def settled(bot: BotProcess, since: int) -> None:
    """Wait until a whole pass has run after output line ``since`` and ended with the send queue empty.

    Passes hold a lock, so the second pass to end after ``since`` began after it: whatever that pass
    (or any earlier one) queued has been sent or decided by the time one reports an empty queue."""
    def done(lines: list[str]) -> bool:
        ends = [m for line in lines if (m := PASS_LINE.search(line))]
        return any(m["pending"] == "0" for m in ends[1:])

    await bot.wait_for_lines(done, since=since, timeout=30)  # passes come every 0.5 s; room for a loaded machine


def posts(standin: DiscordStandIn, channel_id: int, needle: str) -> list[dict[str, Any]]:
    return [m for m in standin.bot_messages if int(m["channel_id"]) == channel_id and needle in m.get("content", "")]


async def test_set_by_slash_command_and_post_at_local_time(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                           data_dir: Path) -> None:
    channel = standin.world.announcements
    bot = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 8, 59, 56, tzinfo=KARACHI))
    refused = await reminders(standin, bot, "set", {"channel": channel, "time": "09:00"}, user=standin.world.member)
    assert refused["flags"] & EPHEMERAL and "Manage Server" in refused["content"]
    bad = await reminders(standin, bot, "set", {"channel": channel, "time": "25:99"})
    assert bad["flags"] & EPHEMERAL and "25:99" in bad["content"]
    zone = await reminders(standin, bot, "set", {"channel": channel, "time": "09:00", "timezone": "Mars/Olympus"})
    assert "Mars/Olympus" in zone["content"]
    ok = await reminders(standin, bot, "set", {"channel": channel, "time": "09:00", "timezone": "Asia/Karachi"})
    assert "09:00 Asia/Karachi" in ok["content"] and "04:00 UTC" in ok["content"]
    post = await bot.until(standin.wait_for_bot_message(
        lambda m: int(m["channel_id"]) == channel.id and "two-day visit" in m.get("content", ""), timeout=20))
    assert "2 years ago" in post["content"] and "late" not in post["content"].lower()
    fields = await status_until(standin, bot, lambda f: "2026-07-11" in f["Last post"])
    assert fields["Paused"] == "no"
    await settled(bot, since=bot.mark())  # a later pass has run: still one post
    assert len(posts(standin, channel.id, "two-day visit")) == 1
    assert standin.violations == []


async def test_restart_mid_day_does_not_post_twice(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                   data_dir: Path) -> None:
    channel = standin.world.announcements
    bot = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 8, 59, 57, tzinfo=KARACHI))
    await reminders(standin, bot, "set", {"channel": channel, "time": "09:00"})
    await bot.until(standin.wait_for_bot_message(lambda m: "two-day visit" in m.get("content", ""), timeout=20))
    await bot.stop()
    again = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 13, 0, 0, tzinfo=KARACHI))
    await settled(again, since=0)  # its catch-up pass at start, and one after, have run
    assert again.returncode is None
    assert len(posts(standin, channel.id, "two-day visit")) == 1


async def test_downtime_within_grace_posts_once_late(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                     data_dir: Path) -> None:
    channel = standin.world.announcements
    bot = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 8, 0, 0, tzinfo=KARACHI))
    await reminders(standin, bot, "set", {"channel": channel, "time": "09:00"})
    await bot.stop()  # down over 09:00
    again = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 11, 30, 0, tzinfo=KARACHI))
    late = await again.until(standin.wait_for_bot_message(
        lambda m: "two-day visit" in m.get("content", ""), timeout=20))
    assert "late" in late["content"].lower()
    await status_until(standin, again, lambda f: "2026-07-11" in f["Last post"])
    await settled(again, since=again.mark())
    assert len(posts(standin, channel.id, "two-day visit")) == 1


async def test_dst_gap_day_posts_after_the_gap(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    # 8 March 2026 in New York: clocks jump from 02:00 to 03:00, so 02:30 does not exist that day.
    channel = standin.world.announcements
    bot = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 3, 8, 6, 59, 57, tzinfo=dt.UTC))
    ok = await reminders(standin, bot, "set", {"channel": channel, "time": "02:30", "timezone": "America/New_York",
                                               "empty_days": "note"})
    assert "02:30 America/New_York" in ok["content"]
    post = await bot.until(standin.wait_for_bot_message(
        lambda m: int(m["channel_id"]) == channel.id and "8 March" in m.get("content", ""), timeout=20))
    assert "no recorded events" in post["content"] and "late" not in post["content"].lower()
    # The pass that queued it ran at 03:00 EDT (07:00 UTC), the first instant after the gap: not at
    # 02:30 EST (06:30 UTC, which would have posted at start with a late note), not at 07:30 UTC.
    queued = [dt.datetime.fromisoformat(m["at"]) for line in bot.lines
              if (m := PASS_LINE.search(line)) and m["queued"] != "0"]
    assert len(queued) == 1, queued
    assert dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC) <= queued[0] < dt.datetime(2026, 3, 8, 7, 0, 10, tzinfo=dt.UTC)


async def test_channel_errors_are_recorded_and_shown(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                     data_dir: Path) -> None:
    channel = standin.world.announcements
    bot = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 8, 59, 57, tzinfo=KARACHI))
    await reminders(standin, bot, "set", {"channel": channel, "time": "09:00"})
    standin.fail_next("POST", rf"^/channels/{channel.id}/messages$", 404, code=10003)
    await bot.until(standin.wait_for_request(
        lambda r: r.fault and r.path == f"/channels/{channel.id}/messages", timeout=20))
    fields = await status_until(standin, bot, lambda f: "Last error" in f)
    assert "404" in fields["Last error"] and "failed" in fields.get("Recent days", "")
    assert posts(standin, channel.id, "two-day visit") == []  # a permanent error is not retried blindly
    assert bot.returncode is None


async def test_transient_errors_are_retried(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    channel = standin.world.announcements
    bot = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 8, 59, 58, tzinfo=KARACHI))
    await reminders(standin, bot, "set", {"channel": channel, "time": "09:00"})
    standin.fail_next("POST", rf"^/channels/{channel.id}/messages$", 429, retry_after=0.2, times=2)
    post = await bot.until(standin.wait_for_bot_message(lambda m: "two-day visit" in m.get("content", ""), timeout=30))
    assert post
    assert len(posts(standin, channel.id, "two-day visit")) == 1


async def test_two_processes_share_one_database_and_post_once(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                             data_dir: Path) -> None:
    channel = standin.world.announcements
    first = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 8, 59, 50, tzinfo=KARACHI))
    await reminders(standin, first, "set", {"channel": channel, "time": "09:00"})
    second = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 11, 8, 59, 52, tzinfo=KARACHI))
    await first.until(standin.wait_for_bot_message(lambda m: "two-day visit" in m.get("content", ""), timeout=30))
    await status_until(standin, first, lambda f: "2026-07-11" in f["Last post"])
    await asyncio.gather(settled(first, since=first.mark()), settled(second, since=second.mark()))
    assert len(posts(standin, channel.id, "two-day visit")) == 1
    assert first.returncode is None and second.returncode is None


async def test_preview_test_and_off(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    channel = standin.world.announcements
    bot = await start_at(standin, spawn_bot, data_dir, dt.datetime(2026, 7, 1, 12, 0, tzinfo=KARACHI))
    none = await reminders(standin, bot, "test", {})
    assert "Set up daily posts first" in none["content"]
    await reminders(standin, bot, "set", {"channel": channel, "time": "09:00", "upcoming_days": 15})
    preview = await reminders(standin, bot, "preview", {"date": "07-11"})
    assert preview["flags"] & EPHEMERAL and "two-day visit" in preview["content"]
    test = await reminders(standin, bot, "test", {})
    assert "Posted" in test["content"]
    assert posts(standin, channel.id, "Coming up")  # 1 July + 15 days covers 11 July
    off = await reminders(standin, bot, "off", {})
    assert "off" in off["content"]
    status = await reminders(standin, bot, "status", {})
    assert "not set up" in status["content"]
    assert standin.violations == []
