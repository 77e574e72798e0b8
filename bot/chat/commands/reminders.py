"""/reminders: a server's daily "on this day" post. For members with Manage Server, checked here."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from rapidfuzz import fuzz, process

from ...core import queries
from ...core.commands import describe
from ...core.daily import compose_daily_post
from ...schedule.planner import InvalidSetting
from ...schedule.scheduler import ReminderScheduler, SchedulerConfig, utc_now
from ...schedule.store import ReminderStore
from ..embeds import COLOUR
from ..errors import NotAllowed, UserFacingError
from ..limits import CHOICES, shorten
from ..post_sender import DiscordPostSender, notify_guild

if TYPE_CHECKING:
    from ..client import SafeerBot

log = logging.getLogger(__name__)
ZONES = sorted(zoneinfo.available_timezones())
DEFAULT_ZONE = "Asia/Karachi"


def _when(moment: dt.datetime | None, zone: str) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    utc = moment.astimezone(dt.UTC)
    return f"{local:%a %-d %b %Y %H:%M} {zone} ({utc:%H:%M} UTC, {discord.utils.format_dt(utc, 'R')})"


async def setup_reminders(bot: SafeerBot) -> ReminderScheduler:
    """Open the store, start the scheduler on the bot's loop, and add /reminders."""
    store = bot.store if bot.store is not None else await ReminderStore.open(bot.settings.database_url)
    bot.store = store
    hooks = bot.settings.test_hooks

    def clock() -> dt.datetime:
        return utc_now() + dt.timedelta(seconds=hooks.clock_offset_seconds)

    def compose(guild_id: int, local_date: dt.date, upcoming_days: int, empty_days: str) -> str | None:
        return compose_daily_post(bot.library, local_date, upcoming_days, empty_days)

    async def notify(guild_id: int, text: str) -> None:
        await notify_guild(bot, guild_id, text)

    config = SchedulerConfig(grace=dt.timedelta(hours=bot.settings.reminder_grace_hours))
    # Only this process's shards' servers; without SAFEER_SHARD_COUNT one process owns them all.
    count = bot.settings.shard_count or 1
    scheduler = ReminderScheduler(store, DiscordPostSender(bot), compose, clock=clock, config=config,
                                  notify_admin=notify, tick_seconds=hooks.reminder_tick_seconds, shard_count=count,
                                  shard_ids=bot.settings.shard_ids if bot.settings.shard_count else None)
    bot.tree.add_command(ReminderCommands(bot, scheduler))
    await scheduler.start()
    return scheduler


async def zone_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    text = current.strip().replace(" ", "_")
    if not text:
        picks = [DEFAULT_ZONE, "Asia/Baku", "Europe/Istanbul", "Europe/London", "America/New_York", "UTC"]
    else:
        starts = [z for z in ZONES if z.lower().startswith(text.lower()) or
                  z.lower().split("/")[-1].startswith(text.lower())]
        fuzzy = [z for z, _, _ in process.extract(text, ZONES, scorer=fuzz.WRatio, limit=CHOICES)]
        picks = list(dict.fromkeys([*starts, *fuzzy]))
    return [app_commands.Choice(name=z, value=z) for z in picks[:CHOICES]]


class ReminderCommands(app_commands.Group):
    """``/reminders``: for members with Manage Server, checked in :meth:`interaction_check` (server
    admins can override Discord's default permissions, so the bot checks itself)."""

    def __init__(self, bot: SafeerBot, scheduler: ReminderScheduler) -> None:
        super().__init__(name="reminders", description=describe("reminders"), guild_only=True,
                         default_permissions=discord.Permissions(manage_guild=True))
        self.bot = bot
        self.scheduler = scheduler

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        perms = interaction.permissions
        if interaction.guild is None or not (perms.manage_guild or perms.administrator):
            raise NotAllowed("You need the Manage Server permission to change this server's daily posts.")
        return True

    @app_commands.command(name="set", description="Post past events every day in a channel, at a local time")
    @app_commands.describe(channel="Where to post", time="Local time, HH:MM (24-hour)",
                           timezone="IANA time zone, e.g. Asia/Karachi or Asia/Baku",
                           upcoming_days="Also list events coming up in the next N days (0–30)",
                           empty_days="On days without events: stay silent, or post a short note")
    @app_commands.autocomplete(timezone=zone_choices)
    async def set(self, interaction: discord.Interaction, channel: discord.TextChannel,
                  time: app_commands.Range[str, 3, 5], timezone: str = DEFAULT_ZONE,
                  upcoming_days: app_commands.Range[int, 0, 30] = 0,
                  empty_days: Literal["silent", "note"] = "silent") -> None:
        assert interaction.guild is not None
        me = interaction.guild.me
        if me is not None:
            perms = channel.permissions_for(me)
            if not (perms.view_channel and perms.send_messages):
                raise UserFacingError(f"I can't post in {channel.mention}: give me View Channel and Send "
                                      "Messages there, then run this again.")
        try:
            settings = await self.scheduler.configure(interaction.guild.id, channel_id=channel.id, time=time.strip(),
                                                 timezone=timezone.strip(), upcoming_days=upcoming_days,
                                                 empty_days=empty_days)
        except InvalidSetting as exc:
            raise UserFacingError(str(exc)) from None
        status = await self.scheduler.status(interaction.guild.id)  # committed: read back from the database
        nxt = status.next_post_utc if status else None
        await interaction.response.send_message(
            f"Daily posts set: {channel.mention} at **{settings.time} {settings.timezone}**"
            f"{f', with {settings.upcoming_days} day(s) ahead' if settings.upcoming_days else ''}"
            f", empty days {settings.empty_days}.\nNext post: {_when(nxt, settings.timezone)}.", ephemeral=True)

    @app_commands.command(name="off", description="Stop the daily post in this server")
    async def off(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        removed = await self.scheduler.turn_off(interaction.guild.id)
        await interaction.response.send_message(
            "Daily posts are off." if removed else "Daily posts were not set up here.", ephemeral=True)

    @app_commands.command(name="status", description="Next post, last post, last error, paused or not")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        status = await self.scheduler.status(interaction.guild.id)
        if status is None:
            await interaction.response.send_message("Daily posts are not set up here. Use `/reminders set`.",
                                                    ephemeral=True)
            return
        s = status.settings
        embed = discord.Embed(title="Daily posts", colour=COLOUR)
        embed.add_field(name="Channel", value=f"<#{s.channel_id}>", inline=True)
        embed.add_field(name="Time", value=f"{s.time} {s.timezone}", inline=True)
        embed.add_field(name="Paused", value=f"yes: {s.pause_reason}" if s.paused else "no", inline=True)
        embed.add_field(name="Next post", value=shorten(_when(status.next_post_utc, s.timezone), 1024), inline=False)
        last = f"{s.last_post_local_date} ({_when(s.last_post_at, s.timezone)})" if s.last_post_at else "none yet"
        embed.add_field(name="Last post", value=shorten(last, 1024), inline=False)
        if s.last_error:
            embed.add_field(name="Last error", value=shorten(s.last_error, 1024), inline=False)
        recent = [f"{e.local_date}: {e.status}" + (f" — {e.error or e.note}" if (e.error or e.note) else "")
                  for e in status.recent[:7]]
        if recent:
            embed.add_field(name="Recent days", value=shorten("\n".join(recent), 1024), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="preview", description="What would be posted (only you see it)")
    @app_commands.describe(date="MM-DD or YYYY-MM-DD (default: today in the server's time zone)")
    async def preview(self, interaction: discord.Interaction, date: str | None = None) -> None:
        assert interaction.guild is not None
        s = await self.scheduler.store.get_settings(interaction.guild.id)
        zone = zoneinfo.ZoneInfo(s.timezone if s else DEFAULT_ZONE)
        today = self.scheduler.now().astimezone(zone).date()
        result = queries.daily_preview(self.bot.library, date, today, s.upcoming_days if s else 0)
        await interaction.response.send_message(result.text or "Nothing to post.", ephemeral=True)

    @app_commands.command(name="test", description="Post today's message now, in the configured channel")
    async def test(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        if await self.scheduler.store.get_settings(interaction.guild.id) is None:
            raise UserFacingError("Set up daily posts first: `/reminders set`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            message_id = await self.scheduler.send_test(interaction.guild.id)
        except Exception as exc:  # reported to the admin, who can fix the channel
            log.info("reminders test failed in guild %s: %s", interaction.guild.id, exc)
            await interaction.followup.send(f"The test post failed: {shorten(str(exc), 300)}", ephemeral=True)
            return
        await interaction.followup.send(f"Posted (message {message_id}).", ephemeral=True)
