"""Questions on Discord, end to end: /ask, the "Ask Safeer" message command, mention questions and
/search's best answer, against the stand-in (every body validated against the OpenAPI spec)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.standin import DiscordStandIn

from .bot_process import SpawnBot
from .test_bot import EPHEMERAL, buttons, data_of, start_bot


async def test_ask_answers_in_bold_with_quote_source_and_a_brief_button(standin: DiscordStandIn,
                                                                        spawn_bot: SpawnBot, data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    registered = {c["name"]: c for c in standin.command_syncs[0].commands}
    assert set(registered["ask"]["integration_types"]) == {0, 1}  # server and user installs
    assert set(registered["ask"]["contexts"]) == {0, 1, 2}  # servers, the bot's DMs, other DMs
    assert registered["Ask Safeer"]["type"] == 3
    assert registered["ask"]["description"].startswith("Ask a question")  # from the command registry

    sent = await standin.send_slash_command("ask", {"question": "when did Aliyev visit Pakistan?"})
    data = data_of(await bot.until(standin.interaction_response(sent)))
    assert not data.get("flags", 0) & EPHEMERAL  # the answer is for the channel
    embed = data["embeds"][0]
    lead, _, rest = embed["description"].partition("\n\n")
    assert lead.startswith("**") and "two-day visit" in lead  # the answer, in bold, first
    assert "> “" in rest and "Pakistan Welcome's Brother Ilham Aliyev" in rest and "July 2024" in rest
    assert data["allowed_mentions"] == {"parse": []}
    message = standin.original_message(sent)
    assert message is not None
    ids = buttons(message)
    assert ids["Brief"] == "safeer:brief:aliyev-visit-2024" and ids["Sources"] == "safeer:sources:aliyev-visit-2024"
    press = await standin.send_component(ids["Brief"], message=message, user=standin.world.owner)
    brief = data_of(await bot.until(standin.interaction_response(press)))
    assert brief["flags"] & EPHEMERAL and "Aliyev" in brief["embeds"][0]["title"]
    assert "15 Memoranda" in brief["embeds"][0]["description"]

    miss = await standin.send_slash_command("ask", {"question": "recipe for chicken biryani"})
    reply = data_of(await bot.until(standin.interaction_response(miss)))
    assert reply["flags"] & EPHEMERAL and reply["content"].startswith("No answer")
    for bad in ["@everyone", "\u200b\u200f", "x" * 4000]:
        sent = await standin.send_slash_command("ask", {"question": bad})
        reply = data_of(await bot.until(standin.interaction_response(sent)))
        assert reply["allowed_mentions"] == {"parse": []}
        assert reply.get("content") or reply.get("embeds")
    assert bot.returncode is None and "Traceback" not in bot.output
    assert standin.violations == []


async def test_ask_in_dms_through_a_user_install(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                 data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir, SAFEER_GUILD_IDS="")  # global commands reach DMs
    dm = standin.world.dm_channel(standin.world.member)
    sent = await standin.send_slash_command("ask", {"question": "what happened in Lachin"}, channel=dm,
                                            user_install=True)
    embed = data_of(await bot.until(standin.interaction_response(sent)))["embeds"][0]
    assert "Lachin" in embed["description"]
    with pytest.raises(LookupError, match="user installs"):  # the stand-in offers only what the bot declared
        await standin.send_slash_command("brief", {"topic": "LNG"}, channel=dm, user_install=True)
    with pytest.raises(LookupError, match="context"):
        await standin.send_slash_command("reminders status", {}, channel=dm)
    assert standin.violations == []


async def test_ask_safeer_message_command_answers_the_message(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                              data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    posted = await standin.send_message("how many MoUs were signed during Aliyev's 2024 visit?",
                                        author=standin.world.owner)
    sent = await standin.send_context_menu("Ask Safeer", posted.message)
    embed = data_of(await bot.until(standin.interaction_response(sent)))["embeds"][0]
    assert "15" in embed["description"].partition("\n\n")[0]
    empty = await standin.send_message("", author=standin.world.owner)
    sent = await standin.send_context_menu("Ask Safeer", empty.message, user_install=True)
    reply = data_of(await bot.until(standin.interaction_response(sent)))
    assert reply["flags"] & EPHEMERAL and "no text" in reply["content"]
    assert standin.violations == []


async def test_mention_questions_and_commands(standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    await standin.send_message(f"{standin.bot_mention} when did Aliyev visit Pakistan?")
    answer = await bot.until(standin.wait_for_bot_message(lambda m: "two-day visit" in m["content"]))
    assert answer["content"].startswith("President Ilham Aliyev made a two-day visit")
    await standin.send_message(f"{standin.bot_mention} brief investment")  # a command works as before
    await bot.until(standin.wait_for_bot_message(lambda m: m["content"].startswith("Investment")))
    await standin.send_message(f"{standin.bot_mention}")
    await bot.until(standin.wait_for_bot_message(lambda m: "Ask me a question" in m["content"]))
    await standin.send_message(f"{standin.bot_mention} <@{standin.world.owner.id}> @everyone")
    await bot.until(standin.wait_for_bot_message(lambda m: "Ask a question in words" in m["content"]))
    await standin.send_message(f"{standin.bot_mention} capital of Japan")
    await bot.until(standin.wait_for_bot_message(lambda m: m["content"].startswith("No answer")))
    assert standin.violations == []


async def test_search_shows_the_best_answer_above_the_briefs(standin: DiscordStandIn, spawn_bot: SpawnBot,
                                                            data_dir: Path) -> None:
    bot = await start_bot(standin, spawn_bot, data_dir)
    sent = await standin.send_slash_command("search", {"query": "Socar LNG cargo"})
    embed = data_of(await bot.until(standin.interaction_response(sent)))["embeds"][0]
    assert embed["description"].startswith("**Best answer:**") and "LNG cargo" in embed["description"]
    assert embed["fields"][0]["name"].endswith("best match")
    assert standin.violations == []


async def test_questions_while_the_fact_index_builds_leave_the_bot_responsive(
        standin: DiscordStandIn, spawn_bot: SpawnBot, data_dir: Path) -> None:
    """Questions that come while the fact index is still being built (slowed by a test hook) are
    deferred and answered from a worker thread: meanwhile the bot answers other commands."""
    bot = await start_bot(standin, spawn_bot, data_dir, SAFEER_SLOW_FACT_INDEX_SECONDS="5")
    asked = await standin.send_slash_command("ask", {"question": "when did Aliyev visit Pakistan?"})
    missed = await standin.send_slash_command("ask", {"question": "recipe for chicken biryani"})
    searched = await standin.send_slash_command("search", {"query": "Socar LNG cargo"})
    mark = len(standin.bot_messages)
    await standin.send_message(f"{standin.bot_mention} when did Aliyev visit Pakistan?")
    helped = await standin.send_slash_command("help", {})
    help_reply = await bot.until(standin.interaction_response(helped))
    for sent in (asked, missed, searched):  # a public "thinking…" at once, within Discord's 3 s
        deferred = await bot.until(standin.interaction_response(sent))
        assert deferred.json["type"] == 5 and not data_of(deferred).get("flags", 0) & EPHEMERAL
        assert deferred.index < help_reply.index

    (answer,) = await bot.until(standin.followups(asked, timeout=30))
    assert help_reply.index < answer.index  # /help did not wait for the question
    assert "two-day visit" in answer.json["embeds"][0]["description"]
    shown = standin.original_message(asked)  # the follow-up replaced the "thinking…", buttons and all
    assert shown is not None and not shown["flags"] & EPHEMERAL
    assert buttons(shown)["Brief"] == "safeer:brief:aliyev-visit-2024"

    (no_answer,) = await bot.until(standin.followups(missed, timeout=30))
    assert no_answer.json["flags"] & EPHEMERAL and no_answer.json["content"].startswith("No answer")
    assert standin.original_message(missed) is None  # the public placeholder was deleted first
    assert [r.method for r in standin.requests_for(missed)] == ["POST", "DELETE", "POST"]
    assert any(m["flags"] & EPHEMERAL and m["content"].startswith("No answer") for m in standin.bot_messages)

    (found,) = await bot.until(standin.followups(searched, timeout=30))
    assert found.json["embeds"][0]["description"].startswith("**Best answer:**")
    await bot.until(standin.wait_for_bot_message(lambda m: "two-day visit" in m["content"], since=mark,
                                                 timeout=30))

    again = await standin.send_slash_command("ask", {"question": "what happened in Lachin"})
    direct = await bot.until(standin.interaction_response(again))
    assert direct.json["type"] == 4  # built now: answered directly, no extra round trip
    assert bot.returncode is None and "Traceback" not in bot.output
    assert standin.violations == []
