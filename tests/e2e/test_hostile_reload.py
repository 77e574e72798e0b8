"""`/briefs reload` against hostile data files (issue 13), through the real bot and the stand-in:
each is refused by name and line, nothing of a secret is posted, the bot's memory stays flat and
the running catalog keeps answering."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.core.test_hostile_data import HOSTILE, SECRET
from tests.standin import DiscordStandIn

from .bot_process import SpawnBot
from .test_bot import data_of, start_bot

ROOT = Path(__file__).resolve().parents[2]
EXTRA_KB = 60_000  # the bot's peak RSS may grow this much over all the refused reloads together


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def restore(data_dir: Path) -> None:
    for name in ("briefs", "corpus"):
        shutil.rmtree(data_dir / name)
        shutil.copytree(ROOT / name, data_dir / name)
    shutil.rmtree(data_dir / "outside", ignore_errors=True)


async def test_reload_refuses_each_hostile_file_and_keeps_answering(
        standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    owner = standin.world.owner
    before = await standin.send_slash_command("brief", {"topic": "investment"})
    answer = data_of(await bot.until(standin.interaction_response(before)))["embeds"][0]
    baseline = peak_rss_kb(bot.proc.pid)
    for case, make in HOSTILE.items():
        where, what = make(data_dir / "briefs", data_dir / "corpus")
        sent = await standin.send_slash_command("briefs reload", {}, user=owner)
        await bot.until(standin.interaction_response(sent))
        embed = (await bot.until(standin.followups(sent)))[0].json["embeds"][0]
        assert embed["title"].startswith("Reload refused"), (case, embed)
        problems = [line for line in embed["description"].splitlines() if line.startswith("•")]
        assert where in problems[0] and what in embed["description"], (case, embed["description"])
        assert SECRET not in str(embed) and "x, x, x" not in str(embed), case
        still = await standin.send_slash_command("brief", {"topic": "investment"})
        assert data_of(await bot.until(standin.interaction_response(still)))["embeds"][0] == answer, case
        restore(data_dir)
    assert peak_rss_kb(bot.proc.pid) < baseline + EXTRA_KB
    assert standin.violations == []
