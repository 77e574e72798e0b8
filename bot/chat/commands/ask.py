"""/ask and the "Ask Safeer" message command: a question answered by the fact that answers it.

Both are offered to user installs as well as server installs, so people can ask in DMs and in
servers without Safeer. The answer is visible to the channel; a question nothing answers gets a
private "no answer" with the closest briefs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ... import metrics
from ...core.ask import AskResult, ask, render_ask_text
from ...core.commands import describe
from ...core.question import MAX_QUESTION
from ..embeds import answer_embed, safe
from ..errors import UserFacingError, send_private
from ..replies import send_public
from ..views import answer_buttons

if TYPE_CHECKING:
    from ..client import SafeerBot

EVERYWHERE_INSTALLS = app_commands.AppInstallationType(guild=True, user=True)
EVERYWHERE_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
MENU_NAME = "Ask Safeer"


class AskCommands(commands.Cog):
    """Questions, from a slash command or from a message someone else wrote."""

    def __init__(self, bot: SafeerBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name=MENU_NAME, callback=self.ask_message,
                                             allowed_installs=EVERYWHERE_INSTALLS,
                                             allowed_contexts=EVERYWHERE_CONTEXTS)

    def commands_to_add(self) -> list[app_commands.Command[AskCommands, ..., None] | app_commands.ContextMenu]:
        """The slash command and the message command, for the tree."""
        return [*self.get_app_commands(), self.menu]  # type: ignore[list-item]

    async def _answer(self, interaction: discord.Interaction, question: str, face: str) -> None:
        today = self.bot.today()
        with self.bot.timings.measure("ask"):  # CommandError: a private line
            result = await self.bot.run_query(interaction, lambda library: ask(library, question, today))
        metrics.answer_given(result.answer is not None, face)
        await send_answer(interaction, result)

    @app_commands.command(name="ask", description=describe("ask"))
    @app_commands.describe(question="In words: when did Aliyev visit Pakistan? what happened in Lachin?")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def ask(self, interaction: discord.Interaction,
                  question: app_commands.Range[str, 1, MAX_QUESTION]) -> None:
        await self._answer(interaction, question, "slash")

    async def ask_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Ask Safeer" message command: the message's text is the question."""
        if not message.content.strip():
            raise UserFacingError("That message has no text to ask about.")
        await self._answer(interaction, message.content, "menu")


async def send_answer(interaction: discord.Interaction, result: AskResult) -> None:
    """The answer for the channel with its Brief and Sources buttons, or a private "no answer"
    (also after a public "thinking…": see :func:`send_private`)."""
    if result.answer is None:
        await send_private(interaction, safe(render_ask_text(result), 1900))
        return
    await send_public(interaction, answer_embed(result), answer_buttons(result.answer.brief.id))
