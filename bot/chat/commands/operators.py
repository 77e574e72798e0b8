"""/briefs reload and /briefs status: for operators only, checked here rather than trusting
Discord's default permissions (server admins can override those)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from ...curate.versions import folder_commit
from ..embeds import COLOUR
from ..errors import NotOperator
from ..limits import FIELD_VALUE, pack_lines, shorten

if TYPE_CHECKING:
    from ..client import SafeerBot


class OperatorCommands(app_commands.Group):
    """``/briefs``: every subcommand is for Safeer's operators, checked in :meth:`interaction_check`."""

    def __init__(self, bot: SafeerBot) -> None:
        super().__init__(name="briefs", description="Operators: reload and inspect the briefs",
                         default_permissions=discord.Permissions(manage_guild=True))
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if not self.bot.is_operator(interaction.user.id):
            raise NotOperator()
        return True

    @app_commands.command(name="reload", description="Reload briefs and corpus from disk; keeps the old ones if invalid")
    async def reload(self, interaction: discord.Interaction) -> None:
        bot = self.bot
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await bot.reload_catalog(f"/briefs reload by {interaction.user.id}")
        if not outcome.ok:
            lines = [f"• `{shorten(p, 300)}`" for p in outcome.problems]
            chunks = pack_lines(lines, 3800)
            embed = discord.Embed(title=f"Reload refused: {len(outcome.problems)} problem(s)",
                                  colour=discord.Colour.red(),
                                  description="Nothing changed: every answer still comes from the running catalog.\n\n"
                                              + chunks[0])
            if len(chunks) > 1:
                embed.set_footer(text=f"… and {len(chunks) - 1} more page(s) of problems; run `python -m bot check`")
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        assert outcome.change is not None
        change, cat = outcome.change, bot.library.catalog
        embed = discord.Embed(title="Briefs reloaded", colour=COLOUR,
                              description="No content changed." if change.empty else None)
        for label, ids in (("Added", change.added), ("Changed", change.changed), ("Removed", change.removed)):
            if ids:
                embed.add_field(name=f"{label} ({len(ids)})", value=shorten(", ".join(ids), FIELD_VALUE), inline=False)
        embed.add_field(name="Now", value=f"{len(cat.briefs)} briefs, {len(cat.documents)} documents", inline=True)
        embed.add_field(name="Content hash", value=f"`{cat.content_hash}`", inline=True)
        embed.set_footer(text=f"loaded in {outcome.seconds:.2f} s")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="status", description="What is loaded, the last reload, and handler timings")
    async def status(self, interaction: discord.Interaction) -> None:
        bot = self.bot
        cat = bot.library.catalog
        facts = sum(len(b.facts) for b in cat.briefs.values())
        version = await asyncio.to_thread(folder_commit, bot.holder.briefs_dir)  # runs git: off the event loop
        at = f"\nbriefs at git commit `{version}`" if version else ""
        embed = discord.Embed(title="Safeer status", colour=COLOUR)
        embed.add_field(name="Catalog", value=f"{len(cat.briefs)} briefs, {facts} facts, "
                                              f"{len(cat.documents)} documents\nhash `{cat.content_hash}`{at}",
                        inline=False)
        embed.add_field(name="Loaded", value=discord.utils.format_dt(bot.loaded_at, "R"), inline=True)
        last = bot.last_reload
        if last is not None:
            result = "ok" if last.ok else f"refused ({len(last.problems)} problems)"
            embed.add_field(name="Last reload", value=f"{result}, {discord.utils.format_dt(last.at, 'R')}", inline=True)
        timing_lines = [f"{name}: median {s['median_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms (n={s['count']:.0f})"
                        for name, s in bot.timings.summary().items()]
        if timing_lines:
            embed.add_field(name="Handler timings", value=shorten("\n".join(timing_lines), FIELD_VALUE), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)
