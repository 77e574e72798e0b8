"""/briefs reload and /briefs status: for operators only, checked here rather than trusting
Discord's default permissions (server admins can override those)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from ..client import NotOperator
from ..embeds import COLOUR
from ..limits import FIELD_VALUE, pack_lines, shorten

if TYPE_CHECKING:
    from ..client import SafeerBot


def register_operator_commands(bot: SafeerBot) -> None:
    group = app_commands.Group(name="briefs", description="Operators: reload and inspect the briefs",
                               default_permissions=discord.Permissions(manage_guild=True))

    def operator_only(interaction: discord.Interaction) -> bool:
        if not bot.is_operator(interaction.user.id):
            raise NotOperator()
        return True

    @group.command(name="reload", description="Reload briefs and corpus from disk; keeps the old ones if invalid")
    @app_commands.check(operator_only)
    async def reload_command(interaction: discord.Interaction) -> None:
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

    @group.command(name="status", description="What is loaded, the last reload, and handler timings")
    @app_commands.check(operator_only)
    async def status_command(interaction: discord.Interaction) -> None:
        cat = bot.library.catalog
        facts = sum(len(b.facts) for b in cat.briefs.values())
        embed = discord.Embed(title="Safeer status", colour=COLOUR)
        embed.add_field(name="Catalog", value=f"{len(cat.briefs)} briefs, {facts} facts, "
                                              f"{len(cat.documents)} documents\nhash `{cat.content_hash}`", inline=False)
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

    del reload_command, status_command
    bot.tree.add_command(group)
