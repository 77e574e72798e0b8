"""Answers → Discord embeds, always inside Discord's limits.

Long answers become several pages; a page break falls between facts, never inside one.
"""

from __future__ import annotations

import datetime as dt

import discord
from discord.utils import escape_markdown, escape_mentions

from ..core.answers import BriefAnswer, EventLine, SourceRef, describe_when, format_event_line
from ..core.ask import Answer, AskResult
from ..core.documents import Document
from ..core.results import HelpText
from ..core.search import SearchResult
from ..core.text import clean_user_text
from .limits import EMBED_DESCRIPTION, EMBED_TITLE, FIELD_VALUE, FOOTER, pack_lines, shorten

COLOUR = discord.Colour.from_rgb(0, 122, 94)  # between Pakistan's and Azerbaijan's greens
DESCRIPTION_BUDGET = 3500  # leaves room for the sources field and footer within 6,000 total


def safe(text: str, limit: int = 200) -> str:
    """User text made inert for display: no markdown, no mentions, no invisible characters."""
    return escape_mentions(escape_markdown(clean_user_text(text, limit)))


def _source_lines(sources: tuple[SourceRef, ...]) -> list[str]:
    return [f"[{s.number}] *{s.title}* — {s.kind}, {s.published_human}" for s in sources]


def brief_pages(answer: BriefAnswer) -> list[discord.Embed]:
    """The brief as one or more embeds: summary and dated facts, sources on every page."""
    fact_lines = [
        f"• **{line.when}** — {line.text} [{line.source}]" if line.when else f"• {line.text} [{line.source}]"
        for line in answer.facts
    ]
    first = answer.summary + "\n\n"
    chunks = pack_lines(fact_lines, DESCRIPTION_BUDGET - len(first)) or [""]
    sources = pack_lines(_source_lines(answer.sources), FIELD_VALUE)
    pages = []
    for k, chunk in enumerate(chunks):
        embed = discord.Embed(title=shorten(answer.title, EMBED_TITLE), colour=COLOUR,
                              description=(first if k == 0 else "") + chunk)
        for j, value in enumerate(sources[:3]):
            embed.add_field(name="Sources" if j == 0 else "Sources (continued)", value=value, inline=False)
        footer = f"brief: {answer.id} · every fact cites its source; press Sources for the exact quotes"
        if len(chunks) > 1:
            footer = f"page {k + 1}/{len(chunks)} · " + footer
        embed.set_footer(text=shorten(footer, FOOTER))
        pages.append(embed)
    return pages


def quote_pages(answer: BriefAnswer) -> list[discord.Embed]:
    """The exact words each fact rests on, with the document's title and date."""
    by_number = {s.number: s for s in answer.sources}
    lines = []
    for line in answer.facts:
        src = by_number[line.source]
        lines.append(f"> “{line.quote}”\n— *{src.title}*, {src.published_human} [{src.number}]")
    return [
        discord.Embed(title=shorten(f"Sources for: {answer.title}", EMBED_TITLE), description=chunk, colour=COLOUR)
        for chunk in pack_lines(lines, 1900, joiner="\n\n")
    ]


def _answer_source(answer: Answer, today: dt.date | None) -> str:
    """“The quote” — *Document*, author, date · Date: when — the lines under an answer."""
    doc = answer.document
    source = f"*{safe(doc.title, 200)}*, {safe(doc.author, 200)}, {doc.published.human()}" if doc \
        else safe(answer.fact.source, 100)
    when = describe_when(answer.fact, today)
    dated = f"\nDate: {when}" if when else ""
    return f"> “{safe(answer.fact.quote, 900)}”\n— {source}{dated}"


def answer_embed(result: AskResult) -> discord.Embed:
    """/ask: the answer in bold, then its quote and source with the date; the brief follows a press."""
    answer = result.answer
    assert answer is not None
    text = f"**{safe(answer.fact.text, 1200)}**\n\n{_answer_source(answer, result.today)}"
    embed = discord.Embed(title=shorten(f"Q: {clean_user_text(result.question, 240)}", EMBED_TITLE),
                          colour=COLOUR, description=shorten(text, EMBED_DESCRIPTION))
    embed.add_field(name="From the brief", value=shorten(f"{answer.brief.title}\n`/brief {answer.brief.id}`",
                                                         FIELD_VALUE), inline=False)
    embed.set_footer(text=f"answer score {answer.score:.0f}/100 · press Brief for the whole brief")
    return embed


def search_embed(query: str, result: SearchResult, answer: Answer | None = None) -> discord.Embed:
    embed = discord.Embed(title=shorten(f"Search: {clean_user_text(query, 200)}", EMBED_TITLE), colour=COLOUR)
    for k, match in enumerate(result.matches[:5]):
        strongest = k == 0 and not result.weak
        name = f"{k + 1}. {match.brief.title}" + (" — best match" if strongest else "")
        value = f"{shorten(match.brief.summary, 700)}\n`/brief {match.brief.id}`"
        embed.add_field(name=shorten(name, 256), value=shorten(value, FIELD_VALUE), inline=False)
    above = []
    if answer is not None:  # the fact that best answers the words, above the briefs
        above.append(f"**Best answer:** {safe(answer.fact.text, 600)}\n{_answer_source(answer, None)}")
    if result.weak and result.suggestions:
        above.append("The match is weak. Did you mean: " + "; ".join(result.suggestions) + "?")
    if above:
        embed.description = shorten("\n\n".join(above), 3000)
    embed.set_footer(text=f"{len(result.matches)} match(es); scores are 0–100")
    return embed


def _bold(text: str) -> str:
    return f"**{text}**"


def _italic(text: str) -> str:
    return f"*{text}*"


def event_lines(lines: tuple[EventLine, ...]) -> list[str]:
    """Timeline and on-this-day lines, in the core's one format, with Discord's bold and italics."""
    return [format_event_line(line, _bold, _italic) for line in lines]


def list_pages(title: str, lines: list[str], empty: str, footer: str = "") -> list[discord.Embed]:
    """A titled list as pages of whole lines."""
    chunks = pack_lines(lines, min(EMBED_DESCRIPTION, DESCRIPTION_BUDGET)) or [empty]
    pages = []
    for k, chunk in enumerate(chunks):
        embed = discord.Embed(title=shorten(title, EMBED_TITLE), description=chunk, colour=COLOUR)
        note = f"page {k + 1}/{len(chunks)}" if len(chunks) > 1 else ""
        text = " · ".join(x for x in (note, footer) if x)
        if text:
            embed.set_footer(text=shorten(text, FOOTER))
        pages.append(embed)
    return pages


def document_embed(doc: Document) -> discord.Embed:
    embed = discord.Embed(title=shorten(doc.title, EMBED_TITLE), colour=COLOUR,
                          description=shorten(doc.excerpt(1500), 1600))
    embed.add_field(name="Kind", value=doc.kind, inline=True)
    embed.add_field(name="Published", value=doc.published.human(), inline=True)
    embed.add_field(name="Place", value=shorten(doc.place, 200), inline=True)
    embed.add_field(name="Author / issuer", value=shorten(doc.author, FIELD_VALUE), inline=False)
    embed.set_footer(text=f"id: {doc.id} · original file {doc.original_file}")
    return embed


def help_embed(help_: HelpText) -> discord.Embed:
    """/help: the registry's slash commands, each with an example."""
    embed = discord.Embed(title="Safeer — briefs on Pakistan–Azerbaijan relations", colour=COLOUR,
                          description="Every fact names the document it comes from. "
                                      "You can also mention me: `@Safeer brief investment`.")
    for entry in help_.entries:
        if entry.name != "help":
            embed.add_field(name=f"/{entry.usage}", value=f"{entry.description}.\nExample: `/{entry.example}`",
                            inline=False)
    return embed
