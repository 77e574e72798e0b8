"""Reload soak: the real bot, against the stand-in, reloads 200 times and keeps answering, and its
memory levels off.

Before each reload one brief is edited (its summary carries the reload's number); every third reload
is a SIGHUP, the others ``/briefs reload`` by an operator, and each must report that brief changed.
Between reloads readers autocomplete eight times and run eight commands, and every tenth time ask for
the edited brief, whose answer must show the edit. The resident set size is read from ``/proc``
every 20 reloads; the growth from reload 40 (caches and allocator warm) to 200 must stay within
5 MB. Measured on 30 November 2026: the bot that froze every object alive into the collector's
permanent generation on each reload (the event loop's garbage included) grew 10.9 MB; with the
collector left alone on reloads (as now), 2.3 MB. The figures are in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.standin import DiscordStandIn

from .bot_process import BotProcess, SpawnBot

RELOADS = 200
WARM = 40  # the reload after which RSS must level off
GROWTH_LIMIT_MB = 5.0
# Readers between two reloads: 8 keystrokes of autocomplete and 8 commands.
TYPED = [("trad", "trade"), ("inv", "investment"), ("Lachi", "lachin-meeting-2025"), ("cop2", "cop29-climate")] * 2
COMMANDS = [("help", {}), ("source", {"document": "khalafov"}), ("onthisday", {"date": "07-11"}), ("help", {})] * 2
SUMMARY = "summary: >-\n  Trade and commerce"

pytestmark = pytest.mark.timeout(240)


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


async def reload_by_sighup(bot: BotProcess) -> str:
    mark = bot.mark()
    os.kill(bot.proc.pid, signal.SIGHUP)
    lines = await bot.wait_for_lines(lambda ls: any("reload (SIGHUP)" in line for line in ls), since=mark)
    return next(line for line in lines if "reload (SIGHUP)" in line)


async def reload_by_command(standin: DiscordStandIn, bot: BotProcess) -> dict[str, object]:
    sent = await standin.send_slash_command("briefs reload", {}, user=standin.world.owner)
    (followup,) = await bot.until(standin.followups(sent))
    embed: dict[str, object] = followup.json["embeds"][0]
    return embed


async def test_two_hundred_reloads_keep_answering_and_memory_levels_off(
    standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path
) -> None:
    bot = await spawn_bot("-m", "bot", "run", env={"SAFEER_BRIEFS_DIR": str(data_dir / "briefs"),
                                                   "SAFEER_CORPUS_DIR": str(data_dir / "corpus")})
    await bot.until(standin.wait_for_command_sync())
    await bot.until(standin.wait_until_ready())
    brief = data_dir / "briefs" / "trade.yaml"
    original = brief.read_text(encoding="utf-8")
    assert SUMMARY in original
    rss: dict[int, float] = {}
    for n in range(1, RELOADS + 1):
        marker = f"soak-{n:03d}"
        brief.write_text(original.replace(SUMMARY, f"{SUMMARY} ({marker})"), encoding="utf-8")
        if n % 3 == 0:
            line = await reload_by_sighup(bot)
            assert "~1 -0" in line, line
        else:
            embed = await reload_by_command(standin, bot)
            assert embed["title"] == "Briefs reloaded", embed
            fields = embed["fields"]
            assert isinstance(fields, list) and {"name": "Changed (1)", "value": "trade", "inline": False} in fields, embed
        for text, first in TYPED:
            typed = await standin.send_autocomplete("brief", {"topic": text}, focused="topic")
            choices = (await bot.until(standin.interaction_response(typed))).json["data"]["choices"]
            assert choices[0]["value"] == first, (text, choices)
        for name, options in COMMANDS:
            asked = await standin.send_slash_command(name, options)
            assert (await bot.until(standin.interaction_response(asked))).json["data"]["embeds"], (name, n)
        if n % 10 == 0:  # the edit is what readers get (not every time: each answer's buttons live 5 minutes)
            sent = await standin.send_slash_command("brief", {"topic": "trade"})
            answer = await bot.until(standin.interaction_response(sent))
            assert marker in json.dumps(answer.json, ensure_ascii=False), n
        if n % 20 == 0:
            rss[n] = rss_mb(bot.proc.pid)
    growth = rss[RELOADS] - rss[WARM]
    series = ", ".join(f"{k}: {v:.1f}" for k, v in rss.items())
    print(f"reload soak: RSS {rss[WARM]:.1f} MB at reload {WARM}, {rss[RELOADS]:.1f} MB at reload {RELOADS}, "
          f"growth {growth:+.1f} MB (MB by reload: {series})")
    assert growth <= GROWTH_LIMIT_MB, f"RSS grew {growth:.1f} MB over reloads {WARM}-{RELOADS} (MB by reload: {series})"
    assert bot.returncode is None and "Traceback" not in bot.output
    assert standin.violations == []
