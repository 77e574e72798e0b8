"""A tiny real discord.py bot, run as a subprocess by ``test_standin.py`` to prove the stand-in works.

    DISCORD_TOKEN=... DISCORD_API_BASE_URL=http://127.0.0.1:PORT/api/v10 \\
    DISCORD_GATEWAY_URL=ws://127.0.0.1:PORT/gateway python tests/standin/mini_bot.py

It refuses to start without both URLs, so it can never reach the real Discord. ``/ping [word]``
(``word`` autocompletes from 40 words, capped at Discord's 25 choices):

* no word → "pong"; ``everyone`` → "@everyone pong" (mentions are disabled globally);
* ``followup`` → defers, then sends "followup pong" as a follow-up;
* ``button`` → "press it" with a persistent button ``mini:press`` that edits the message to "pressed";
* ``modal`` → opens a modal with the text input ``echo:text``; submitting it answers "got <text>" (ephemeral).

A message mentioning the bot and containing "ping" is answered in the channel with "pong from text".
"""

from __future__ import annotations

import logging
import os
import sys

import discord
from discord import app_commands

from bot.chat.endpoints import configure_endpoints

WORDS = [f"word{i:02d}" for i in range(40)]


class PressView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Press", custom_id="mini:press", style=discord.ButtonStyle.primary)
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button[PressView]) -> None:
        await interaction.response.edit_message(content="pressed", view=None)


class EchoModal(discord.ui.Modal, title="Echo"):
    text: discord.ui.TextInput[EchoModal] = discord.ui.TextInput(label="Text", custom_id="echo:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"got {self.text.value}", ephemeral=True)


class MiniBot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), allowed_mentions=discord.AllowedMentions.none())
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        self.add_view(PressView())
        synced = await self.tree.sync()
        logging.getLogger("mini_bot").info("synced %d command(s)", len(synced))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every IDENTIFY but the first (Discord's identify rate limit);
        the stand-in has no such limit, and the re-identify test should not wait for nothing."""

    async def on_message(self, message: discord.Message) -> None:
        if self.user is not None and self.user in message.mentions and "ping" in message.content:
            await message.channel.send("pong from text")


def build() -> MiniBot:
    client = MiniBot()

    @client.tree.command(description="Answer pong")
    @app_commands.describe(word="what to do")
    async def ping(interaction: discord.Interaction, word: str | None = None) -> None:
        if word == "everyone":
            await interaction.response.send_message("@everyone pong")
        elif word == "followup":
            await interaction.response.defer()
            await interaction.followup.send("followup pong")
        elif word == "modal":
            await interaction.response.send_modal(EchoModal())
        elif word == "button":
            await interaction.response.send_message("press it", view=PressView())
        else:
            await interaction.response.send_message("pong")

    @ping.autocomplete("word")
    async def word_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=w, value=w) for w in WORDS if current in w][:25]

    return client


def main() -> None:
    api, gateway = os.environ.get("DISCORD_API_BASE_URL"), os.environ.get("DISCORD_GATEWAY_URL")
    if not api or not gateway:
        sys.exit("mini_bot: DISCORD_API_BASE_URL and DISCORD_GATEWAY_URL must both be set (never the real Discord)")
    configure_endpoints(api, gateway)
    build().run(os.environ["DISCORD_TOKEN"], log_level=logging.INFO, root_logger=True)


if __name__ == "__main__":
    main()
