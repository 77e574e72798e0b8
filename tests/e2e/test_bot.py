"""The real bot, started as `python -m bot run`, driven through the local Discord stand-in."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.standin import DiscordStandIn, RecordedRequest

from .bot_process import BotProcess, SpawnBot

ROOT = Path(__file__).resolve().parents[2]
EPHEMERAL = 64



async def start_bot(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path, **extra: str) -> BotProcess:
    env = {"SAFEER_BRIEFS_DIR": str(data_dir / "briefs"), "SAFEER_CORPUS_DIR": str(data_dir / "corpus"), **extra}
    bot = await spawn_bot("-m", "bot", "run", env=env)
    await bot.until(standin.wait_for_command_sync())
    await bot.until(standin.wait_until_ready())
    return bot


def data_of(cb: RecordedRequest) -> dict[str, Any]:
    body = cb.json
    assert isinstance(body, dict)
    return body.get("data") or {}


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label → custom_id of the buttons on a message."""
    out = {}
    for row in message.get("components") or []:
        for comp in row.get("components", []):
            if comp.get("type") == 2:
                out[comp.get("label", "")] = comp["custom_id"]
    return out


async def test_commands_sync_once_and_not_again_on_restart(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                          data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    names = {c["name"] for c in standin.command_syncs[0].commands}
    assert {"brief", "search", "onthisday", "timeline", "source", "help", "briefs"} <= names
    assert await bot.stop() in (0, -15, 143)
    syncs = len(standin.command_syncs)
    again = await spawn_bot("-m", "bot", "run", env={"SAFEER_BRIEFS_DIR": str(data_dir / "briefs"),
                                                     "SAFEER_CORPUS_DIR": str(data_dir / "corpus")})
    await again.until(standin.wait_until_ready())
    sent = await standin.send_slash_command("help", {})
    await again.until(standin.interaction_response(sent))  # fully up, and still no new sync
    assert len(standin.command_syncs) == syncs
    assert "commands unchanged" in again.output
    assert standin.violations == []


async def test_brief_investment_embed_cites_source_and_sources_button(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                                      data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    sent = await standin.send_slash_command("brief", {"topic": "investment"})
    cb = await bot.until(standin.interaction_response(sent))
    data = data_of(cb)
    embed = data["embeds"][0]
    assert "Investment" in embed["title"] and "USD 2 billion" in embed["description"]
    sources = " ".join(f["value"] for f in embed["fields"] if f["name"].startswith("Sources"))
    assert "Pakistan Welcome's Brother Ilham Aliyev" in sources and "[1]" in embed["description"]
    assert data["allowed_mentions"] == {"parse": []}
    message = standin.original_message(sent)
    assert message is not None
    press = await standin.send_component(buttons(message)["Sources"], message=message)
    quotes = data_of(await bot.until(standin.interaction_response(press)))
    assert quotes["flags"] & EPHEMERAL
    assert "“enhancing bilateral investment to $2 billion" in quotes["embeds"][0]["description"] or \
        "$2 billion" in quotes["embeds"][0]["description"]
    assert standin.violations == []


async def test_sources_button_still_works_after_a_restart(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                          data_dir: Path) -> None:
    first = await start_bot(standin, spawn_bot, data_dir)
    sent = await standin.send_slash_command("brief", {"topic": "investment"})
    await first.until(standin.interaction_response(sent))
    message = standin.original_message(sent)
    assert message is not None
    custom_id = buttons(message)["Sources"]
    assert custom_id == "safeer:sources:investment"
    assert await first.stop() in (0, -15, 143)
    again = await spawn_bot("-m", "bot", "run", env={"SAFEER_BRIEFS_DIR": str(data_dir / "briefs"),
                                                     "SAFEER_CORPUS_DIR": str(data_dir / "corpus")})
    await again.until(standin.wait_until_ready())
    press = await standin.send_component(custom_id, message=message)  # a button of the previous process
    quotes = data_of(await again.until(standin.interaction_response(press)))
    assert quotes["flags"] & EPHEMERAL and "$2 billion" in quotes["embeds"][0]["description"]
    assert standin.violations == []


async def test_autocomplete_typo_offers_investment_first_and_typed_text_resolves(
        standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    sent = await standin.send_autocomplete("brief", {"topic": "azerbijan invesment"}, focused="topic")
    cb = await bot.until(standin.interaction_response(sent))
    assert cb.json["type"] == 8
    choices = data_of(cb)["choices"]
    assert choices[0]["value"] == "investment" and len(choices) <= 25
    # a client that submits the typed text instead of a choice still gets the right brief
    typed = await standin.send_slash_command("brief", {"topic": "Shahbaz"})
    embed = data_of(await bot.until(standin.interaction_response(typed)))["embeds"][0]
    assert "Shehbaz Sharif" in embed["title"]
    unknown = await standin.send_slash_command("brief", {"topic": "recipe for biryani"})
    reply = data_of(await bot.until(standin.interaction_response(unknown)))
    assert reply["flags"] & EPHEMERAL and "No brief matches" in reply["content"]
    assert standin.violations == []


async def test_search_everyone_pings_nobody_and_friendly_miss(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                              data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    for query in ["@everyone", "@here LNG <@&1> <@1>", "\u202eLNG\u200b **bold**"]:
        sent = await standin.send_slash_command("search", {"query": query})
        data = data_of(await bot.until(standin.interaction_response(sent)))
        assert data["allowed_mentions"] == {"parse": []}
        text = data.get("content", "") + " ".join(e.get("title", "") for e in data.get("embeds", []))
        assert "\u202e" not in text
    good = await standin.send_slash_command("search", {"query": "Socar LNG cargo"})
    embed = data_of(await bot.until(standin.interaction_response(good)))["embeds"][0]
    assert embed["fields"][0]["name"].endswith("best match") and "LNG" in embed["fields"][0]["name"]
    msg = await standin.send_message(f"{standin.bot_mention} search @everyone")
    assert msg.delivered
    reply = await bot.until(standin.wait_for_request(
        lambda r: r.method == "POST" and r.path.endswith("/messages") and r.json is not None))
    assert reply.json["allowed_mentions"]["parse"] == []
    assert standin.violations == []


async def test_onthisday_timeline_paging_and_picture(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                     data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    day = await standin.send_slash_command("onthisday", {"date": "07-11"})
    embed = data_of(await bot.until(standin.interaction_response(day)))["embeds"][0]
    assert "two-day visit" in embed["description"] and "years ago" in embed["description"]
    bad = await standin.send_slash_command("onthisday", {"date": "13-40"})
    err = data_of(await bot.until(standin.interaction_response(bad)))
    assert err["flags"] & EPHEMERAL and "not a real date" in err["content"]

    tl = await standin.send_slash_command("timeline", {}, user=standin.world.owner)
    assert (await bot.until(standin.interaction_response(tl))).json["type"] == 5  # deferred: picture renders
    follow = (await bot.until(standin.followups(tl)))[0]
    assert follow.files and follow.files[0].filename == "timeline.png"
    assert follow.files[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    message = follow.response
    ids = buttons(message)
    assert "Next ▶" in ids
    stranger = await standin.send_component(ids["Next ▶"], message=message, user=standin.world.member)
    refused = data_of(await bot.until(standin.interaction_response(stranger)))
    assert refused["flags"] & EPHEMERAL and "Only the person who asked" in refused["content"]
    turn = await standin.send_component(ids["Next ▶"], message=message, user=standin.world.owner)
    page = await bot.until(standin.interaction_response(turn))
    assert page.json["type"] == 7 and "page 2/" in page.json["data"]["embeds"][0]["footer"]["text"]
    assert standin.violations == []


async def test_reload_good_broken_and_refused(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    owner, moderator = standin.world.owner, standin.world.moderator

    refused = await standin.send_slash_command("briefs reload", {}, user=moderator)
    msg = data_of(await bot.until(standin.interaction_response(refused)))
    assert msg["flags"] & EPHEMERAL and "Only Safeer's operators" in msg["content"]

    path = data_dir / "briefs" / "trade.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("summary:", "summary: Edited.", 1), encoding="utf-8")
    good = await standin.send_slash_command("briefs reload", {}, user=owner)
    await bot.until(standin.interaction_response(good))
    embed = (await bot.until(standin.followups(good)))[0].json["embeds"][0]
    assert embed["title"] == "Briefs reloaded"
    assert any(f["name"].startswith("Changed") and "trade" in f["value"] for f in embed["fields"])

    before = await standin.send_slash_command("brief", {"topic": "investment"})
    old_answer = data_of(await bot.until(standin.interaction_response(before)))["embeds"][0]
    (data_dir / "briefs" / "investment.yaml").write_text("id: investment\ntitle: [unclosed\n", encoding="utf-8")
    broken = await standin.send_slash_command("briefs reload", {}, user=owner)
    await bot.until(standin.interaction_response(broken))
    report = (await bot.until(standin.followups(broken)))[0].json["embeds"][0]
    assert report["title"].startswith("Reload refused")
    assert re.search(r"investment\.yaml:\d+: ", report["description"])
    assert "related" not in report["description"]  # one broken file, one problem
    after = await standin.send_slash_command("brief", {"topic": "investment"})
    assert data_of(await bot.until(standin.interaction_response(after)))["embeds"][0] == old_answer

    status = await standin.send_slash_command("briefs status", {}, user=owner)
    st = data_of(await bot.until(standin.interaction_response(status)))["embeds"][0]
    assert any(f["name"] == "Last reload" and "refused" in f["value"] for f in st["fields"])
    assert standin.violations == []


async def test_status_names_the_briefs_git_commit(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                  data_dir: Path) -> None:
    briefs = data_dir / "briefs"
    git = ["git", "-C", str(briefs), "-c", "user.name=Curator", "-c", "user.email=curator@example.org"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "briefs"]):
        subprocess.run([*git, *args], check=True, capture_output=True, timeout=30)
    commit = subprocess.run([*git, "log", "-1", "--format=%h"], check=True, capture_output=True, text=True,
                            timeout=30).stdout.strip()
    bot = await start_bot(standin, spawn_bot, data_dir)
    status = await standin.send_slash_command("briefs status", {}, user=standin.world.owner)
    st = data_of(await bot.until(standin.interaction_response(status)))["embeds"][0]
    catalog = next(f["value"] for f in st["fields"] if f["name"] == "Catalog")
    assert f"briefs at git commit `{commit}`" in catalog
    assert standin.violations == []


async def test_sighup_reloads(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    (data_dir / "briefs" / "new-topic.yaml").write_text(
        "id: new-topic\ntitle: A new topic\nsummary: Added while running.\nfacts:\n"
        "  - text: The Prime Minister received Khalaf Khalafov.\n    source: pmo-2026-01-30-khalafov-call\n"
        "    quote: called on Prime Minister Muhammad Shahbaz Sharif\n", encoding="utf-8")
    os.kill(bot.proc.pid, signal.SIGHUP)
    reload = await bot.wait_for_lines("reload (SIGHUP)")
    assert "reload (SIGHUP): 27 briefs, +1 ~0 -0" in "\n".join(reload)


async def test_sources_of_a_brief_removed_since_say_so(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                        data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    extra = data_dir / "briefs" / "new-topic.yaml"
    extra.write_text(
        "id: new-topic\ntitle: A new topic\nsummary: Added while running.\nfacts:\n"
        "  - text: The Prime Minister received Khalaf Khalafov.\n    source: pmo-2026-01-30-khalafov-call\n"
        "    quote: called on Prime Minister Muhammad Shahbaz Sharif\n", encoding="utf-8")

    async def reloaded() -> None:
        mark = bot.mark()
        os.kill(bot.proc.pid, signal.SIGHUP)
        await bot.wait_for_lines("reload (SIGHUP)", since=mark)

    await reloaded()
    sent = await standin.send_slash_command("brief", {"topic": "new-topic"})
    await bot.until(standin.interaction_response(sent))
    message = standin.original_message(sent)
    assert message is not None
    extra.unlink()
    await reloaded()
    press = await standin.send_component(buttons(message)["Sources"], message=message)
    reply = data_of(await bot.until(standin.interaction_response(press)))
    assert reply["flags"] & EPHEMERAL and "no longer in the catalog" in reply["content"]
    assert standin.violations == []


async def test_mention_commands_and_typo(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    await standin.send_message(f"{standin.bot_mention} brief investment")
    reply = await bot.until(standin.wait_for_bot_message(lambda m: "USD 2 billion" in m["content"]))
    assert len(reply["content"]) <= 2000
    await standin.send_message(f"{standin.bot_mention} breif investment")
    typo = await bot.until(standin.wait_for_bot_message(lambda m: "Did you mean" in m["content"]))
    assert "'brief'" in typo["content"] and "USD 2 billion" not in typo["content"]
    await standin.send_message(f"{standin.bot_mention} search " + "x" * 10_000)
    long = await bot.until(standin.wait_for_bot_message(lambda m: "characters long" in m["content"]))
    assert "300" in long["content"]
    assert standin.violations == []


async def test_expired_interaction_and_failures_keep_the_bot_running(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                                     data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    standin.fail_next("POST", r"/callback$", 404, code=10062)
    await standin.send_slash_command("brief", {"topic": "LNG"})
    await bot.until(standin.wait_for_request(lambda r: r.fault and r.path.endswith("/callback")))
    standin.fail_next("POST", r"/messages$", 403, code=50013)
    await standin.send_message(f"{standin.bot_mention} help")
    await bot.until(standin.wait_for_request(lambda r: r.fault and r.path.endswith("/messages")))
    ok = await standin.send_slash_command("source", {"document": "khalafov"})
    embed = data_of(await bot.until(standin.interaction_response(ok)))["embeds"][0]
    assert "Call on the Prime Minister" in embed["title"]
    assert bot.returncode is None and "Traceback" not in bot.output
    assert standin.violations == []


async def test_startup_refuses_bad_data_and_never_logs_the_token(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                                  data_dir: Path) -> None:
    (data_dir / "briefs" / "trade.yaml").write_text("id: trade\nfacts: [\n", encoding="utf-8")
    bot = await spawn_bot("-m", "bot", "run", env={"SAFEER_BRIEFS_DIR": str(data_dir / "briefs"),
                                                   "SAFEER_CORPUS_DIR": str(data_dir / "corpus")})
    assert await bot.wait_exit() == 1
    assert "trade.yaml:" in bot.output and "not starting" in bot.output
    assert standin.token not in bot.output
    no_token = await spawn_bot("-m", "bot", "run", env={"DISCORD_TOKEN": ""})
    assert await no_token.wait_exit() == 2 and "DISCORD_TOKEN is not set" in no_token.output
