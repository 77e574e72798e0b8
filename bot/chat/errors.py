"""The errors commands raise for people to read, and how the bot answers any command's failure.

Kept apart from the client and the commands so both can import it without importing each other.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.utils import escape_markdown, escape_mentions

from ..core.errors import CommandError
from ..core.text import clean_user_text

log = logging.getLogger(__name__)

#: Discord's "Unknown interaction": we answered after the three seconds it allows.
EXPIRED_INTERACTION = 10062
#: Set in ``interaction.extras`` by a public "thinking…" whose placeholder nothing has replaced yet.
PUBLIC_DEFER = "safeer_public_defer"
SORRY = "Sorry, something went wrong on my side. The error is logged; please try again."


class UserFacingError(app_commands.AppCommandError):
    """An error whose message is written for the person who ran the command."""


class NotAllowed(app_commands.CheckFailure):
    """A permission check failed; the message tells the person what is needed."""


class Stopping(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__("Safeer is restarting; please try again in a minute.")


class NotOperator(NotAllowed):
    def __init__(self) -> None:
        super().__init__("Only Safeer's operators can do that.")


def error_text(interaction: discord.Interaction, error: app_commands.AppCommandError) -> str | None:
    """What to tell the person about ``error``; None when there is nobody left to tell."""
    original = getattr(error, "original", error)
    if isinstance(original, discord.NotFound) and original.code == EXPIRED_INTERACTION:
        log.info("interaction %s expired before we answered (10062); ignored", interaction.id)
        return None
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try this command again in {error.retry_after:.0f} s."
    if isinstance(error, NotAllowed | UserFacingError | Stopping):
        return str(error)
    if isinstance(original, CommandError):  # input the core refused: the message says how to fix it
        return escape_mentions(escape_markdown(clean_user_text(str(original), 400)))
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    log.error("command %s failed for user %s in guild %s", interaction.command and interaction.command.name,
              interaction.user.id, interaction.guild_id, exc_info=original)
    return SORRY


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """One line only the person sees, whether or not the interaction was answered yet.

    After a public "thinking…" (a deferred answer), Discord turns the first follow-up into that
    message and ignores its ephemeral flag, so the placeholder is deleted first and the line
    follows as a private message of its own.
    """
    response = interaction.response
    if not response.is_done():
        await response.send_message(text, ephemeral=True)
        return
    if interaction.extras.pop(PUBLIC_DEFER, False):
        await interaction.delete_original_response()
    await interaction.followup.send(text, ephemeral=True)


async def tell(interaction: discord.Interaction, text: str) -> None:
    """One private line to the person, whether or not the interaction was answered yet."""
    try:
        await send_private(interaction, text)
    except discord.HTTPException as exc:
        log.info("could not tell the user about an error: %s", exc)
