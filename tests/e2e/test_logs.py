"""Logs: JSON lines with the ids of the command being handled, and never the token, in either format."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from bot.logs import JsonFormatter, RedactFilter, TextFormatter, set_context
from bot.settings import Secret
from tests.standin import DiscordStandIn

from .bot_process import BotProcess, SpawnBot

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.secret-part-of-the-token-0123456789"


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise RuntimeError(f"login with {TOKEN} failed")
        except RuntimeError:
            info = sys.exc_info()
    return logging.LogRecord("bot.test", logging.ERROR, __file__, 1, message, args, info)


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_formatters_never_show_the_token(formatter: logging.Formatter) -> None:
    redact = RedactFilter(Secret(TOKEN))
    for record in (_record("token is %s", TOKEN), _record("it broke", exc=True)):
        assert redact.filter(record)
        line = formatter.format(record)
        assert TOKEN not in line and "[token redacted]" in line


def test_json_line_has_fields_and_context() -> None:
    set_context(guild=1, command="brief", interaction=2)
    try:
        out = json.loads(JsonFormatter().format(_record("hello %s", "world")))
    finally:
        set_context()
    assert out["message"] == "hello world" and out["level"] == "ERROR" and out["logger"] == "bot.test"
    assert out["time"].endswith("+00:00") and (out["guild"], out["command"], out["interaction"]) == (1, "brief", 2)


async def _exercise(standin: DiscordStandIn, spawn_bot: SpawnBot, log_format: str) -> BotProcess:
    bot = await spawn_bot("-m", "bot", "run", env={"SAFEER_LOG_FORMAT": log_format, "SAFEER_LOG_LEVEL": "DEBUG"})
    await bot.until(standin.wait_for_command_sync())
    await bot.until(standin.wait_until_ready())
    sent = await standin.send_slash_command("briefs reload", {}, user=standin.world.owner)
    await bot.until(standin.followups(sent))
    await bot.until(standin.interaction_response(await standin.send_slash_command("brief", {"topic": "LNG"})))
    await standin.drop_gateway("close", code=4000)  # a resume sends the token again
    await bot.until(standin.wait_for_gateway("resumed"))
    assert await bot.stop(grace=15) == 0
    return bot


async def test_json_logs_end_to_end(standin: DiscordStandIn, spawn_bot: SpawnBot) -> None:
    bot = await _exercise(standin, spawn_bot, "json")
    lines = [json.loads(line) for line in bot.lines if line.strip()]  # every line is one JSON object
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    reload = next(line for line in lines if line["message"].startswith("reload ("))
    assert reload["command"] == "briefs reload" and reload["guild"] == standin.world.guilds[0].id
    assert isinstance(reload["interaction"], int)
    assert standin.token not in bot.output


async def test_text_logs_never_show_the_token(standin: DiscordStandIn, spawn_bot: SpawnBot) -> None:
    bot = await _exercise(standin, spawn_bot, "text")
    assert any("reload (" in line and "command=briefs reload" in line for line in bot.lines)
    assert standin.token not in bot.output
