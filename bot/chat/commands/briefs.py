"""/brief, /search, /onthisday, /timeline, /source and /help: each calls its core query and lays out
the result. Descriptions come from the command registry (:mod:`bot.core.commands`)."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ...core import queries
from ...core.commands import describe, help_text
from ...core.results import NotFound
from ...core.text import normalise
from ...render.timeline_png import render_timeline_png
from ..embeds import brief_pages, document_embed, event_lines, help_embed, list_pages, search_embed
from ..limits import CHOICE_NAME, CHOICE_VALUE, CHOICES, shorten
from ..replies import not_found, send_pages, send_public
from ..views import AnswerView, SourcesButton

if TYPE_CHECKING:
    from ..client import SafeerBot


class BriefCommands(commands.Cog):
    """The reading commands. Each takes one library for its whole answer, even if a reload lands meanwhile."""

    def __init__(self, bot: SafeerBot) -> None:
        self.bot = bot

    async def topic_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        with self.bot.timings.measure("autocomplete"):
            pairs = self.bot.library.index.complete(current[:200], limit=CHOICES)
            return [app_commands.Choice(name=shorten(label, CHOICE_NAME), value=value[:CHOICE_VALUE])
                    for label, value in pairs]

    async def document_choices(self, interaction: discord.Interaction,
                               current: str) -> list[app_commands.Choice[str]]:
        q = normalise(current)
        docs = sorted(self.bot.library.catalog.documents.values(), key=lambda d: d.published.first_day(),
                      reverse=True)
        out = []
        for d in docs:
            label = f"{d.published.iso()} · {d.title}"
            if not q or q in normalise(f"{d.id} {label} {d.author} {d.kind} {d.place}"):
                out.append(app_commands.Choice(name=shorten(label, CHOICE_NAME), value=d.id[:CHOICE_VALUE]))
        return out[:CHOICES]

    @app_commands.command(name="brief", description=describe("brief"))
    @app_commands.describe(topic="Start typing: investment, LNG, Lachin, Aliyev…")
    @app_commands.autocomplete(topic=topic_choices)
    async def brief(self, interaction: discord.Interaction, topic: app_commands.Range[str, 1, 300]) -> None:
        with self.bot.timings.measure("brief"):
            result = queries.brief(self.bot.library, topic)
            if isinstance(result, NotFound):
                raise not_found(result)
            pages = brief_pages(result.answer)
        view = AnswerView(pages, interaction.user.id, sources=SourcesButton(result.answer.id))
        await send_pages(interaction, pages, sources=view)

    @app_commands.command(name="search", description=describe("search"))
    @app_commands.describe(query="Any words: a name, a place, a figure, a question")
    @app_commands.checks.cooldown(10, 30.0, key=lambda i: i.user.id)
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 300]) -> None:
        today = self.bot.today()
        with self.bot.timings.measure("search"):
            result = await self.bot.run_query(interaction, lambda library: queries.search(library, query, today))
        if isinstance(result, NotFound):
            raise not_found(result)
        await send_public(interaction, search_embed(query, result.result, result.answer))

    @app_commands.command(name="onthisday", description=describe("onthisday"))
    @app_commands.describe(date="MM-DD or YYYY-MM-DD (default: today in Pakistan)")
    async def onthisday(self, interaction: discord.Interaction, date: str | None = None) -> None:
        day = queries.on_this_day(self.bot.library, date, self.bot.today())
        pages = list_pages(f"On this day: {day.label}", event_lines(day.lines),
                           empty=f"No recorded events on {day.label} in past years. Try `/timeline`.")
        await send_pages(interaction, pages)

    @app_commands.command(name="timeline", description=describe("timeline"))
    @app_commands.describe(topic="Limit to one brief (optional)", start="From year", end="To year")
    @app_commands.rename(start="from", end="to")
    @app_commands.autocomplete(topic=topic_choices)
    @app_commands.checks.cooldown(3, 30.0, key=lambda i: i.user.id)
    async def timeline(self, interaction: discord.Interaction, topic: str | None = None,
                       start: app_commands.Range[int, 1900, 2100] | None = None,
                       end: app_commands.Range[int, 1900, 2100] | None = None) -> None:
        result = queries.timeline(self.bot.library, topic, start, end)
        if isinstance(result, NotFound):
            raise not_found(result)
        pages = list_pages(result.title, event_lines(result.lines), empty="No dated events in that range.")
        await interaction.response.defer(thinking=True)
        png = await asyncio.to_thread(render_timeline_png, list(result.events), result.title)
        file = discord.File(io.BytesIO(png), filename="timeline.png")
        pages[0].set_image(url="attachment://timeline.png")
        await send_pages(interaction, pages, file=file)

    @app_commands.command(name="source", description=describe("source"))
    @app_commands.describe(document="Start typing a title, date or author")
    @app_commands.autocomplete(document=document_choices)
    async def source(self, interaction: discord.Interaction, document: app_commands.Range[str, 1, 300]) -> None:
        result = queries.source(self.bot.library, document)
        if isinstance(result, NotFound):
            raise not_found(NotFound(result.message, hint="Pick one from the list."))
        await interaction.response.send_message(embed=document_embed(result.document))

    @app_commands.command(name="help", description=describe("help"))
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=help_embed(help_text("slash")), ephemeral=True)
