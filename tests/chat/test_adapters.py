"""Unit tests of the Discord adapters: limits, packing, sync state, settings and secrets."""

from __future__ import annotations

import logging
from pathlib import Path

import discord
import pytest

from bot.chat.embeds import brief_pages, list_pages, quote_pages, safe, search_embed
from bot.chat.limits import EMBED_TOTAL, FIELD_VALUE, pack_lines, shorten
from bot.chat.sync import SyncState, commands_hash
from bot.core.answers import brief_answer
from bot.core.briefs import Brief, Fact
from bot.core.library import Library
from bot.logs import RedactFilter
from bot.settings import Secret, Settings, SettingsError


def embed_ok(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= 256
    assert len(data.get("description", "")) <= 4096
    assert len(data.get("fields", [])) <= 25
    for f in data.get("fields", []):
        assert len(f["name"]) <= 256 and 1 <= len(f["value"]) <= FIELD_VALUE
    assert len(embed) <= EMBED_TOTAL


def test_every_real_brief_fits_discord_limits(library: Library) -> None:
    docs = dict(library.catalog.documents)
    for brief in library.catalog.briefs.values():
        answer = brief_answer(brief, docs)
        for embed in brief_pages(answer) + quote_pages(answer):
            embed_ok(embed)


def test_huge_brief_is_paged_between_facts_never_inside_one(library: Library) -> None:
    base = library.catalog.briefs["investment"]
    facts = tuple(Fact(text=f"Fact number {k}: " + "word " * 70, source=base.facts[0].source,
                       quote=base.facts[0].quote, line=1) for k in range(120))
    big = Brief(id="big", title="T" * 300, kind="topic", aliases=(), tags=(), summary="S. " * 200,
                facts=facts, related=(), path="big.yaml")
    answer = brief_answer(big, dict(library.catalog.documents))
    pages = brief_pages(answer)
    assert len(pages) > 3
    for embed in pages:
        embed_ok(embed)
    text = "\n".join(p.description or "" for p in pages)
    for k in range(120):
        assert text.count(f"Fact number {k}:") == 1  # each fact whole, on exactly one page
    assert pages[-1].footer.text and f"page {len(pages)}/{len(pages)}" in pages[-1].footer.text


def test_pack_lines_keeps_lines_whole() -> None:
    lines = [f"line {k} " + "x" * (k * 7 % 90) for k in range(200)]
    chunks = pack_lines(lines, 500)
    assert all(len(c) <= 500 for c in chunks)
    assert "\n".join(chunks).split("\n") == lines


def test_shorten_ends_at_a_sentence() -> None:
    text = "First sentence here. Second sentence is longer than the limit allows for sure."
    assert shorten(text, 40) == "First sentence here."
    assert len(shorten("y" * 5000, 100)) <= 100


def test_search_embed_escapes_hostile_query(library: Library) -> None:
    query = "@everyone **LNG** <@123> " + "\u202e" + "x" * 10_000
    embed = search_embed(query, library.index.search("LNG"))
    embed_ok(embed)
    assert "\u202e" not in (embed.title or "")
    assert "@\u200beveryone" in safe("@everyone")


def test_list_pages_empty_message() -> None:
    pages = list_pages("On this day", [], empty="Nothing.")
    assert pages[0].description == "Nothing."


def test_sync_state_roundtrip_and_hash_is_order_sensitive(tmp_path: Path) -> None:
    state = SyncState(tmp_path / "s" / "sync.json")
    assert state.read() == {}
    state.write({"1:global": "abc"})
    assert state.read() == {"1:global": "abc"}
    (tmp_path / "s" / "sync.json").write_text("{not json", encoding="utf-8")
    assert state.read() == {}
    assert commands_hash([{"name": "a"}]) != commands_hash([{"name": "b"}])


def test_secret_never_shows_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.secret-token-value"
    secret = Secret(token)
    assert token not in repr(secret) and token not in str(secret) and token not in f"{secret}"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    settings = Settings.from_env()
    assert token not in repr(settings)


def test_redact_filter_removes_token_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.another-secret"
    logger = logging.getLogger("safeer.test.redact")
    logger.addFilter(RedactFilter(Secret(token)))
    with caplog.at_level(logging.INFO):
        logger.info("connecting with %s", token)
    assert token not in caplog.text and "[token redacted]" in caplog.text


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DISCORD_TOKEN", "", "DISCORD_TOKEN is not set"),
    ("SAFEER_OPERATOR_IDS", "12,abc", "SAFEER_OPERATOR_IDS"),
    ("SAFEER_LOG_LEVEL", "LOUD", "SAFEER_LOG_LEVEL"),
    ("DISCORD_API_BASE_URL", "ftp://x", "DISCORD_API_BASE_URL"),
])
def test_settings_errors_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                           message: str) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.valid-looking")
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        Settings.from_env()


@pytest.mark.parametrize(("count", "ids", "expected"), [
    ("4", "0-1", (4, (0, 1))), ("4", "1,3", (4, (1, 3))), ("2", "", (2, (0, 1))), ("", "", (None, None)),
])
def test_shard_settings(monkeypatch: pytest.MonkeyPatch, count: str, ids: str,
                        expected: tuple[int | None, tuple[int, ...] | None]) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.valid-looking")
    monkeypatch.setenv("SAFEER_SHARD_COUNT", count)
    monkeypatch.setenv("SAFEER_SHARD_IDS", ids)
    settings = Settings.from_env()
    assert (settings.shard_count, settings.shard_ids) == expected


@pytest.mark.parametrize(("count", "ids"), [("4", "4"), ("x", ""), ("", "1"), ("4", "a-b")])
def test_bad_shard_settings(monkeypatch: pytest.MonkeyPatch, count: str, ids: str) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.valid-looking")
    monkeypatch.setenv("SAFEER_SHARD_COUNT", count)
    monkeypatch.setenv("SAFEER_SHARD_IDS", ids)
    with pytest.raises(SettingsError, match="SAFEER_SHARD"):
        Settings.from_env()
