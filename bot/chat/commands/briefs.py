"""/brief, /search, /onthisday, /timeline, /source and /help."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from ...core.answers import brief_answer
from ...core.commands import COMMANDS, CommandError, check_query, find_document
from ...core.dates import parse_day
from ...core.text import clean_user_text, normalise
from ...render.timeline_png import render_timeline_png
from ..embeds import (
    COLOUR,
    anniversary_lines,
    brief_pages,
    document_embed,
    event_lines,
    list_pages,
    quote_pages,
    safe,
    search_embed,
)
from ..limits import CHOICE_NAME, CHOICE_VALUE, CHOICES, shorten
from ..views import AnswerView, SourcesButton

if TYPE_CHECKING:
    from ..client import SafeerBot

from ..client import UserFacingError


def _query(text: str) -> str:
    try:
        return check_query(text)
    except CommandError as exc:
        raise UserFacingError(str(exc)) from None


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


def register_brief_commands(bot: SafeerBot) -> None:
    tree = bot.tree

    async def topic_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        with bot.timings.measure("autocomplete"):
            pairs = bot.library.index.complete(current[:200], limit=CHOICES)
            return [app_commands.Choice(name=shorten(label, CHOICE_NAME), value=value[:CHOICE_VALUE])
                    for label, value in pairs]

    @tree.command(name="brief", description="A sourced brief on a topic, person or document")
    @app_commands.describe(topic="Start typing: investment, LNG, Lachin, Aliyev…")
    @app_commands.autocomplete(topic=topic_choices)
    async def brief_command(interaction: discord.Interaction, topic: app_commands.Range[str, 1, 300]) -> None:
        with bot.timings.measure("brief"):
            library = bot.library  # one catalog for the whole answer, even if a reload lands meanwhile
            brief = library.index.resolve(_query(topic))
            if brief is None:
                result = library.index.search(_query(topic), limit=3)
                hint = result.suggestions or tuple(m.brief.title for m in result.matches)
                more = f" Did you mean: {'; '.join(hint)}?" if hint else " Try `/search` with other words."
                raise UserFacingError(f"No brief matches “{safe(topic, 80)}”.{more}")
            answer = brief_answer(brief, dict(library.catalog.documents))
            pages = brief_pages(answer)

        view = AnswerView(pages, interaction.user.id, sources=SourcesButton(brief.id))
        await send_pages(interaction, pages, sources=view)

    async def show_sources(press: discord.Interaction, brief_id: str) -> None:
        """A Sources button, pressed: the brief's quotes from the catalog loaded now, privately."""
        library = bot.library
        brief = library.catalog.briefs.get(brief_id)
        if brief is None:
            await press.response.send_message(
                f"The brief “{safe(brief_id, 80)}” is no longer in the catalog. Try `/brief` again.", ephemeral=True)
            return
        quotes = quote_pages(brief_answer(brief, dict(library.catalog.documents)))
        await press.response.send_message(embeds=quotes[:3], ephemeral=True)
        for k in range(3, len(quotes), 3):
            await press.followup.send(embeds=quotes[k:k + 3], ephemeral=True)

    SourcesButton.show = show_sources
    bot.add_dynamic_items(SourcesButton)

    @tree.command(name="search", description="Find the briefs that best match some words")
    @app_commands.describe(query="Any words: a name, a place, a figure, a question")
    @app_commands.checks.cooldown(10, 30.0, key=lambda i: i.user.id)
    async def search_command(interaction: discord.Interaction, query: app_commands.Range[str, 1, 300]) -> None:
        with bot.timings.measure("search"):
            result = bot.library.index.search(_query(query), limit=5)
        if not result.matches:
            more = f" Did you mean: {'; '.join(result.suggestions)}?" if result.suggestions else \
                " Try a name (Aliyev, Khalafov), a place (Lachin, Baku) or a topic (investment, LNG)."
            await interaction.response.send_message(f"Nothing in the briefs matches “{safe(query, 80)}”.{more}",
                                                    ephemeral=True)
            return
        await interaction.response.send_message(embed=search_embed(query, result))

    @tree.command(name="onthisday", description="Events on this day in past years")
    @app_commands.describe(date="MM-DD or YYYY-MM-DD (default: today in Pakistan)")
    async def onthisday_command(interaction: discord.Interaction, date: str | None = None) -> None:
        today = bot.today()
        try:
            month, day, year = parse_day(date) if date else (today.month, today.day, today.year)
        except ValueError as exc:
            raise UserFacingError(clean_user_text(str(exc), 300)) from None
        library = bot.library
        items = library.calendar.on_this_day(month, day, year or today.year)
        label = dt.date(2000, month, day).strftime("%-d %B")
        pages = list_pages(f"On this day: {label}", anniversary_lines(items, dict(library.catalog.documents)),
                           empty=f"No recorded events on {label} in past years. Try `/timeline`.")
        await send_pages(interaction, pages)

    @tree.command(name="timeline", description="Dated events in order, with a picture")
    @app_commands.describe(topic="Limit to one brief (optional)", start="From year", end="To year")
    @app_commands.rename(start="from", end="to")
    @app_commands.autocomplete(topic=topic_choices)
    @app_commands.checks.cooldown(3, 30.0, key=lambda i: i.user.id)
    async def timeline_command(interaction: discord.Interaction, topic: str | None = None,
                               start: app_commands.Range[int, 1900, 2100] | None = None,
                               end: app_commands.Range[int, 1900, 2100] | None = None) -> None:
        if start is not None and end is not None and start > end:
            raise UserFacingError(f"The range {start}–{end} runs backwards; put the earlier year first.")
        library = bot.library
        ids = None
        title = "Pakistan–Azerbaijan timeline"
        if topic:
            brief = library.index.resolve(_query(topic))
            if brief is None:
                raise UserFacingError(f"No brief matches “{safe(topic, 80)}”. Start typing and pick one.")
            ids, title = {brief.id}, f"Timeline: {brief.title}"
        events = library.calendar.timeline(brief_ids=ids, start_year=start, end_year=end)
        if start or end:
            title += f" ({start or '…'}–{end or '…'})"
        pages = list_pages(title, event_lines(events, dict(library.catalog.documents)),
                           empty="No dated events in that range.")
        await interaction.response.defer(thinking=True)
        png = await asyncio.to_thread(render_timeline_png, events, title)
        file = discord.File(io.BytesIO(png), filename="timeline.png")
        pages[0].set_image(url="attachment://timeline.png")
        await send_pages(interaction, pages, file=file)

    async def document_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        q = normalise(current)
        docs = sorted(bot.library.catalog.documents.values(), key=lambda d: d.published.first_day(), reverse=True)
        out = []
        for d in docs:
            label = f"{d.published.iso()} · {d.title}"
            if not q or q in normalise(f"{d.id} {label} {d.author} {d.kind} {d.place}"):
                out.append(app_commands.Choice(name=shorten(label, CHOICE_NAME), value=d.id[:CHOICE_VALUE]))
        return out[:CHOICES]

    @tree.command(name="source", description="A source document: its details and an excerpt")
    @app_commands.describe(document="Start typing a title, date or author")
    @app_commands.autocomplete(document=document_choices)
    async def source_command(interaction: discord.Interaction, document: app_commands.Range[str, 1, 300]) -> None:
        doc = find_document(bot.library, _query(document))
        if doc is None:
            raise UserFacingError(f"No document matches “{safe(document, 80)}”. Pick one from the list.")
        await interaction.response.send_message(embed=document_embed(doc))

    @tree.command(name="help", description="Every Safeer command, with an example")
    async def help_command(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Safeer — briefs on Pakistan–Azerbaijan relations", colour=COLOUR,
                              description="Every fact names the document it comes from. "
                                          "You can also mention me: `@Safeer brief investment`.")
        for c in COMMANDS:
            if c.name == "help":
                continue
            embed.add_field(name=f"/{c.usage}", value=f"{c.description}\nExample: `/{c.example}`", inline=False)
        embed.add_field(name="/reminders", value="Server admins: a daily “on this day” post. "
                                                 "Example: `/reminders set #news 09:00 Asia/Karachi`", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    del brief_command, search_command, onthisday_command, timeline_command, source_command, help_command
