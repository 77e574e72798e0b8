"""Buttons: page through long answers (only the person who asked), and open a brief's sources.

The Sources button is persistent: its custom id names the brief (``safeer:sources:<brief id>``),
and the bot registers :class:`SourcesButton` as a dynamic item, so a press is answered from the
current catalog even after a restart, or after the paging view has timed out.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from ..core.answers import brief_answer
from ..core.library import Library
from .embeds import brief_pages, quote_pages, safe

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 300.0
#: Brief ids in custom ids: Discord allows 100 characters, the prefix takes 15.
SOURCES_ID = re.compile(r"safeer:sources:(?P<brief>[a-z0-9]+(?:-[a-z0-9]+)*)")
BRIEF_ID = re.compile(r"safeer:brief:(?P<brief>[a-z0-9]+(?:-[a-z0-9]+)*)")
MAX_PERSISTENT_ID = 85


class SourcesButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SOURCES_ID.pattern):
    """The "Sources" button of a brief: shows the brief's exact quotes, privately.

    A press reads the catalog from ``interaction.client.library`` at that moment, so it answers
    from whatever is loaded now, after any reload or restart.
    """

    def __init__(self, brief_id: str) -> None:
        super().__init__(discord.ui.Button(label="Sources", style=discord.ButtonStyle.primary, emoji="📄",
                                           custom_id=f"safeer:sources:{brief_id}"))
        self.brief_id = brief_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SourcesButton:
        return cls(match["brief"])

    async def callback(self, interaction: discord.Interaction) -> None:
        library = _library(interaction)
        if library is None:  # pragma: no cover - only the Safeer client registers this item
            await interaction.response.send_message("Sources are not available yet; try again.", ephemeral=True)
            return
        brief = library.catalog.briefs.get(self.brief_id)
        if brief is None:
            await interaction.response.send_message(
                f"The brief “{safe(self.brief_id, 80)}” is no longer in the catalog. Try `/brief` again.",
                ephemeral=True)
            return
        quotes = quote_pages(brief_answer(brief, dict(library.catalog.documents)))
        await interaction.response.send_message(embeds=quotes[:3], ephemeral=True)
        for k in range(3, len(quotes), 3):
            await interaction.followup.send(embeds=quotes[k:k + 3], ephemeral=True)


def _library(interaction: discord.Interaction) -> Library | None:
    library = getattr(interaction.client, "library", None)
    return library if isinstance(library, Library) else None


class BriefButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BRIEF_ID.pattern):
    """The "Brief" button of an /ask answer: opens the whole brief, privately, with its Sources button.

    Persistent like :class:`SourcesButton`: answered from ``interaction.client.library`` at the press.
    """

    def __init__(self, brief_id: str) -> None:
        super().__init__(discord.ui.Button(label="Brief", style=discord.ButtonStyle.secondary, emoji="📘",
                                           custom_id=f"safeer:brief:{brief_id}"))
        self.brief_id = brief_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> BriefButton:
        return cls(match["brief"])

    async def callback(self, interaction: discord.Interaction) -> None:
        library = _library(interaction)
        brief = library.catalog.briefs.get(self.brief_id) if library else None
        if library is None or brief is None:
            await interaction.response.send_message(
                f"The brief “{safe(self.brief_id, 80)}” is no longer in the catalog. Ask again.", ephemeral=True)
            return
        pages = brief_pages(brief_answer(brief, dict(library.catalog.documents)))
        view = AnswerView(pages, interaction.user.id, sources=SourcesButton(brief.id))
        await interaction.response.send_message(embed=pages[0], view=view, ephemeral=True)
        view.message = await interaction.original_response()


def answer_buttons(brief_id: str) -> discord.ui.View:
    """The buttons under an /ask answer: the whole brief, and its sources."""
    view = discord.ui.View(timeout=None)
    view.add_item(BriefButton(brief_id))
    view.add_item(SourcesButton(brief_id))
    return view


class AnswerView(discord.ui.View):
    """Previous/next buttons for a paged answer, plus an optional "Sources" button.

    Only the person who asked can turn pages; anyone else gets a short private note. When the view
    times out its buttons are disabled on the message, so nobody presses a dead button.
    """

    def __init__(self, pages: list[discord.Embed], owner_id: int,
                 sources: discord.ui.Item[Any] | None = None,
                 timeout: float = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.pages = pages
        self.owner_id = owner_id
        self.index = 0
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None
        if len(pages) > 1:
            self.previous = discord.ui.Button[AnswerView](label="◀ Previous", style=discord.ButtonStyle.secondary)
            self.next = discord.ui.Button[AnswerView](label="Next ▶", style=discord.ButtonStyle.secondary)
            self.previous.callback = self._on_previous  # type: ignore[method-assign]
            self.next.callback = self._on_next  # type: ignore[method-assign]
            self.add_item(self.previous)
            self.add_item(self.next)
        if sources is not None:
            self.add_item(sources)
        self._update_buttons()

    def _update_buttons(self) -> None:
        if len(self.pages) > 1:
            self.previous.disabled = self.index == 0
            self.next.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return True  # per-button checks below: anyone may open sources, only the asker may page

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the person who asked can turn these pages. Run the command yourself to browse.",
                ephemeral=True)
            return
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._update_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    async def _on_previous(self, interaction: discord.Interaction) -> None:
        await self._turn(interaction, -1)

    async def _on_next(self, interaction: discord.Interaction) -> None:
        await self._turn(interaction, +1)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):  # the persistent Sources button stays pressable
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException as exc:  # message deleted or token expired: nothing to do
                log.debug("could not disable buttons after timeout: %s", exc)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: Any) -> None:
        log.exception("button %s failed", getattr(item, "label", item), exc_info=error)
        if not interaction.response.is_done():
            await interaction.response.send_message("Sorry, that button failed. Try the command again.",
                                                    ephemeral=True)
