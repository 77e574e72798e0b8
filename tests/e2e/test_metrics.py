"""Metrics and health, scraped from the real bot over HTTP while the stand-in plays Discord."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.standin import DiscordStandIn

from .bot_process import BotProcess, SpawnBot
from .test_reminders import reminders

KARACHI = ZoneInfo("Asia/Karachi")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample: (name, labels) → value."""
    status, text = await get(port, "/metrics")
    assert status == 200
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def start_with_metrics(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path, port: int,
                             fake_now: dt.datetime) -> BotProcess:
    offset = fake_now.timestamp() - time.time()
    bot = await spawn_bot("-m", "bot", "run", env={
        "SAFEER_BRIEFS_DIR": str(data_dir / "briefs"), "SAFEER_CORPUS_DIR": str(data_dir / "corpus"),
        "SAFEER_METRICS_ADDRESS": f"127.0.0.1:{port}", "SAFEER_CLOCK_OFFSET_SECONDS": f"{offset:.3f}",
        "SAFEER_REMINDER_TICK_SECONDS": "0.5"})
    await bot.until(standin.wait_for_command_sync())
    await bot.until(standin.wait_until_ready())
    return bot


async def test_metrics_health_and_readiness(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    port = free_port()
    bot = await start_with_metrics(standin, spawn_bot, data_dir, port, dt.datetime(2026, 7, 11, 8, 59, 57,
                                                                                   tzinfo=KARACHI))
    assert await get(port, "/healthz") == (200, "ok\n")
    assert await get(port, "/readyz") == (200, "ready\n")
    for topic in ("investment", "LNG"):
        await bot.until(standin.interaction_response(await standin.send_slash_command("brief", {"topic": topic})))
    await bot.until(standin.interaction_response(
        await standin.send_slash_command("brief", {"topic": "zzqx nothing like it"})))
    for question in ("when did Aliyev visit Pakistan?", "what colour is the moon over Baku tonight?"):
        await bot.until(standin.interaction_response(
            await standin.send_slash_command("ask", {"question": question})))
    await standin.send_message(f"{standin.bot_mention} when did Aliyev visit Pakistan?")
    await bot.until(standin.wait_for_bot_message(lambda m: m.get("message_reference") is not None, timeout=10))
    reload = await standin.send_slash_command("briefs reload", {}, user=standin.world.owner)
    await bot.until(standin.followups(reload))
    await reminders(standin, bot, "set", {"channel": standin.world.announcements, "time": "09:00"})
    await bot.until(standin.wait_for_bot_message(lambda m: "two-day visit" in m.get("content", ""), timeout=20))

    samples = await scrape(port)
    assert value(samples, "safeer_command_duration_seconds_count", command="brief", outcome="ok") == 2
    assert value(samples, "safeer_command_duration_seconds_count", command="brief", outcome="refused") == 1
    assert value(samples, "safeer_command_duration_seconds_bucket", command="brief", outcome="ok", le="+Inf") == 2
    assert value(samples, "safeer_command_duration_seconds_count", command="briefs reload", outcome="ok") == 1
    assert value(samples, "safeer_reload_duration_seconds_count", outcome="ok") == 1
    assert value(samples, "safeer_catalog_briefs") >= 20 and value(samples, "safeer_catalog_facts") > 100
    info = next(labels for (name, labels) in samples if name == "safeer_catalog_info")
    assert len(dict(info)["content_hash"]) >= 8 and int(dict(info)["briefs"]) >= 20
    for _ in range(50):  # the ledger write follows the post by a moment
        if value(samples, "safeer_daily_posts_total", outcome="sent") == 1 and \
                value(samples, "safeer_send_queue_depth") == 0:
            break
        await asyncio.sleep(0.1)
        samples = await scrape(port)
    assert value(samples, "safeer_daily_posts_total", outcome="sent") == 1
    assert value(samples, "safeer_daily_posts_total", outcome="failed") == 0
    assert value(samples, "safeer_send_queue_depth") == 0
    assert value(samples, "safeer_gateway_connected", shard="0") == 1
    assert ("safeer_gateway_latency_seconds", frozenset({("shard", "0")})) in samples
    assert value(samples, "safeer_answers_total", face="slash", result="given") == 1
    assert value(samples, "safeer_answers_total", face="slash", result="declined") == 1
    assert value(samples, "safeer_answers_total", face="mention", result="given") == 1
    assert value(samples, "safeer_answers_total", face="menu", result="given") == 0  # present from the start
    assert value(samples, "process_resident_memory_bytes") > 0
    assert standin.violations == []


async def test_metrics_are_off_by_default(standin: DiscordStandIn, spawn_bot: SpawnBot) -> None:
    bot = await spawn_bot("-m", "bot", "run")
    await bot.until(standin.wait_until_ready())
    assert "metrics" not in bot.output
