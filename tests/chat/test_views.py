"""The persistent Sources button: its custom id names the brief and fits Discord's limit."""

from __future__ import annotations

from bot.chat.views import MAX_PERSISTENT_ID, SOURCES_ID, SourcesButton
from bot.core.briefs import MAX_ID


def test_sources_button_custom_id_names_the_brief_and_matches_its_template() -> None:
    button = SourcesButton("energy-lng")
    assert button.item.custom_id == "safeer:sources:energy-lng"
    match = SOURCES_ID.fullmatch(button.item.custom_id)
    assert match is not None and match["brief"] == "energy-lng"
    assert SOURCES_ID.fullmatch("safeer:sources:Energy LNG") is None  # never a brief id


def test_every_valid_brief_id_fits_a_custom_id() -> None:
    assert MAX_ID <= MAX_PERSISTENT_ID
    longest = SourcesButton("a" * MAX_ID).item.custom_id
    assert longest is not None and len(longest) <= 100
