"""Sending a command's result: paged embeds with their buttons, or one private line for a miss."""

from __future__ import annotations

import discord

from ..core.results import NotFound
from .embeds import safe
from .errors import PUBLIC_DEFER, UserFacingError
from .views import AnswerView


def not_found(miss: NotFound) -> UserFacingError:
    """A miss is told only to the person who asked, with the closest names."""
    return UserFacingError(safe(miss.text(), 1800))


async def send_pages(interaction: discord.Interaction, pages: list[discord.Embed], *,
                     sources: AnswerView | None = None, file: discord.File | None = None,
                     ephemeral: bool = False) -> None:
    """Send paged embeds with a view when needed, remembering the message to disable it later."""
    view = sources or (AnswerView(pages, interaction.user.id) if len(pages) > 1 else None)
    send_view = view if view is not None else discord.utils.MISSING
    send_file = file if file is not None else discord.utils.MISSING
    if interaction.response.is_done():
        message = await interaction.followup.send(embed=pages[0], view=send_view, file=send_file,
                                                  ephemeral=ephemeral, wait=True)
        if view is not None:
            view.message = message
    else:
        await interaction.response.send_message(embed=pages[0], view=send_view, file=send_file, ephemeral=ephemeral)
        if view is not None:
            view.message = await interaction.original_response()


async def send_public(interaction: discord.Interaction, embed: discord.Embed,
                      view: discord.ui.View | None = None) -> None:
    """One embed for the channel: the response, or the follow-up that replaces a "thinking…"."""
    send_view = view if view is not None else discord.utils.MISSING
    if interaction.response.is_done():
        interaction.extras.pop(PUBLIC_DEFER, None)
        await interaction.followup.send(embed=embed, view=send_view)
    else:
        await interaction.response.send_message(embed=embed, view=send_view)
