"""The Discord bot: one client, the command tree, reloads, mention commands and error handling.

Everything the bot says comes from :mod:`bot.core`; this module only adapts it to Discord.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from .. import metrics
from ..core.catalog import CatalogDiff
from ..core.commands import CommandError, parse_line, run_text_command
from ..core.library import Library, LibraryHolder
from ..core.problems import DataError
from ..logs import set_context
from ..metrics import Timings
from ..schedule.scheduler import ReminderScheduler
from ..schedule.store import ReminderStore
from ..settings import Settings
from .limits import CONTENT, pack_lines
from .sync import SyncState, sync_if_changed

log = logging.getLogger(__name__)
HOME_ZONE = ZoneInfo("Asia/Karachi")
EXPIRED_INTERACTION = 10062
STOP_TIMEOUT = 10.0  # seconds a graceful stop gives posts already being sent


@dataclass
class ReloadOutcome:
    ok: bool
    trigger: str
    at: dt.datetime
    change: CatalogDiff | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


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


class SafeerBot(discord.AutoShardedClient):
    """The Safeer client. Holds the current library and swaps it atomically on reload.

    Auto-sharded: one process runs every shard Discord recommends, or, with SAFEER_SHARD_COUNT and
    SAFEER_SHARD_IDS, a range of them, so several processes can share a large bot.
    """

    def __init__(self, settings: Settings, library: Library, store: ReminderStore | None = None) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True  # mention commands; no privileged message-content intent needed
        intents.dm_messages = True
        if settings.shard_count is None:
            super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        else:
            super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none(),
                             shard_count=settings.shard_count, shard_ids=list(settings.shard_ids or ()))
        self.settings = settings
        self.holder = LibraryHolder(library, settings.briefs_dir, settings.corpus_dir)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self.tree.interaction_check = self._interaction_check  # type: ignore[method-assign]
        self.timings = Timings()
        _count_catalog(library)
        self.started_at = dt.datetime.now(dt.UTC)
        self.last_reload: ReloadOutcome | None = None
        self.loaded_at = self.started_at
        self._reload_lock = asyncio.Lock()
        self._owner_ids: set[int] = set()
        self.reminders: ReminderScheduler | None = None
        self.store = store  # opened before connecting, so a database problem stops the start early
        self.stopping = False
        self._stopped_own = False

    @property
    def library(self) -> Library:
        return self.holder.current

    def today(self) -> dt.date:
        return dt.datetime.now(HOME_ZONE).date()

    async def setup_hook(self) -> None:
        from .commands.briefs import register_brief_commands
        from .commands.operators import register_operator_commands
        from .commands.reminders import setup_reminders

        register_brief_commands(self)
        register_operator_commands(self)
        await setup_reminders(self)
        await self._load_owners()
        assert self.application_id is not None
        state = SyncState(self.settings.state_dir / "command-sync.json")
        await sync_if_changed(self.tree, self.application_id, self.settings.guild_ids, state)
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._on_sighup)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on this platform
            log.info("SIGHUP reload is not available on this platform")

    async def _load_owners(self) -> None:
        try:
            info = await self.application_info()
        except discord.HTTPException as exc:
            log.warning("could not read the application's owners (%s); only SAFEER_OPERATOR_IDS may reload", exc)
            return
        if info.team is not None:
            self._owner_ids = {m.id for m in info.team.members}
        elif info.owner is not None:
            self._owner_ids = {info.owner.id}

    def is_operator(self, user_id: int) -> bool:
        return user_id in self.settings.operator_ids or user_id in self._owner_ids

    async def _interaction_check(self, interaction: discord.Interaction) -> bool:
        """Runs before every slash command and autocomplete, in the task that handles it: the ids
        it sets go on every log line of that command. Refuses new commands once stopping."""
        command = interaction.command.qualified_name if interaction.command else None
        set_context(guild=interaction.guild_id, command=command, interaction=interaction.id)
        interaction.extras["safeer_started"] = time.perf_counter()
        if self.stopping:
            raise Stopping()
        return True

    def request_stop(self, why: str = "stop") -> None:
        """SIGTERM/SIGINT: refuse new commands, let posts in flight finish, then close."""
        if self.stopping:
            return
        self.stopping = True
        log.info("%s received: stopping; posts in flight get up to %.0f s", why, STOP_TIMEOUT)
        self.loop.create_task(self.close(), name="safeer-stop")

    async def close(self) -> None:
        """Stop the daily posts (in-flight ones finish or are recorded 'unknown' within
        ``STOP_TIMEOUT``), close the database, then the gateway and HTTP session."""
        self.stopping = True
        if not self._stopped_own:
            self._stopped_own = True
            try:
                if self.reminders is not None:
                    await self.reminders.stop(STOP_TIMEOUT)
            finally:
                if self.store is not None:
                    await self.store.close()
        await super().close()

    # -- reload ------------------------------------------------------------------------------

    def _on_sighup(self) -> None:
        log.info("SIGHUP received: reloading briefs")
        self.loop.create_task(self.reload_catalog("SIGHUP"))

    async def reload_catalog(self, trigger: str) -> ReloadOutcome:
        """Load, validate and index off the event loop; swap only if everything is clean."""
        async with self._reload_lock:
            start = time.perf_counter()
            try:
                # Load, diff and swap all happen in the worker thread: done on the loop, the diff
                # of a large catalog stalled it for hundreds of milliseconds.
                new, change = await asyncio.to_thread(self.holder.reload)
            except DataError as exc:
                outcome = ReloadOutcome(False, trigger, dt.datetime.now(dt.UTC),
                                        problems=[str(p) for p in exc.problems],
                                        seconds=time.perf_counter() - start)
                log.warning("reload (%s) refused: %d problem(s); the running catalog is unchanged:\n%s",
                            trigger, len(exc.problems), "\n".join(outcome.problems[:50]))
            else:
                self.loaded_at = dt.datetime.now(dt.UTC)
                outcome = ReloadOutcome(True, trigger, self.loaded_at, change=change,
                                        seconds=time.perf_counter() - start)
                _count_catalog(new)
                log.info("reload (%s): %d briefs, +%d ~%d -%d, hash %s, %.2fs", trigger, len(new.catalog),
                         len(change.added), len(change.changed), len(change.removed),
                         new.catalog.content_hash, outcome.seconds)
            self.last_reload = outcome
            metrics.reload_done(outcome.ok, outcome.seconds)
            return outcome

    # -- mention commands --------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None or self.stopping:
            return
        content = message.content.strip()
        prefix = next((p for p in (f"<@{self.user.id}>", f"<@!{self.user.id}>") if content.startswith(p)), None)
        if prefix is None:
            return
        line = content[len(prefix):].strip()
        set_context(guild=message.guild.id if message.guild else None, command="mention", message=message.id)
        with self.timings.measure("mention"):
            try:
                name, arg = parse_line(line or "help")
                text = run_text_command(self.library, name, arg, self.today())
            except CommandError as exc:
                text = str(exc)
            except Exception:
                log.exception("mention command failed: %r", line[:200])
                text = "Sorry, something went wrong on my side. The error is logged; please try again."
        chunks = pack_lines(text.splitlines(), CONTENT - 10)[:5]
        try:
            for chunk in chunks:
                await message.reply(chunk, mention_author=False, allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden:
            log.warning("no permission to reply in channel %s (guild %s)", message.channel.id,
                        message.guild.id if message.guild else None)
        except discord.HTTPException as exc:
            log.warning("reply to a mention failed: %s", exc)

    # -- errors ------------------------------------------------------------------------------

    async def on_app_command_completion(self, interaction: discord.Interaction,
                                        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu) -> None:
        _count_command(interaction, "ok")

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        expired = isinstance(original, discord.NotFound) and original.code == EXPIRED_INTERACTION
        refused = isinstance(error, app_commands.CommandOnCooldown | UserFacingError | app_commands.CheckFailure)
        _count_command(interaction, "expired" if expired else "refused" if refused else "error")
        if expired:
            log.info("interaction %s expired before we answered (10062); ignored", interaction.id)
            return
        if isinstance(error, app_commands.CommandOnCooldown):
            text = f"Slow down a little: try this command again in {error.retry_after:.0f} s."
        elif isinstance(error, NotAllowed | UserFacingError):
            text = str(error)
        elif isinstance(error, app_commands.CheckFailure):
            text = "You can't use this command here."
        else:
            log.error("command %s failed for user %s in guild %s", interaction.command and interaction.command.name,
                      interaction.user.id, interaction.guild_id, exc_info=original)
            text = "Sorry, something went wrong on my side. The error is logged; please try again."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            log.info("could not tell the user about an error: %s", exc)


def _count_catalog(library: Library) -> None:
    cat = library.catalog
    metrics.catalog_loaded(len(cat.briefs), sum(len(b.facts) for b in cat.briefs.values()), len(cat.documents),
                           cat.content_hash)


def _count_command(interaction: discord.Interaction, outcome: str) -> None:
    """Commands only: autocomplete has no outcome worth counting (and is timed in ``timings``)."""
    if interaction.type is not discord.InteractionType.application_command:
        return
    started = interaction.extras.get("safeer_started")
    name = interaction.command.qualified_name if interaction.command else "unknown"
    metrics.command_done(name, outcome, time.perf_counter() - started if started else 0.0)
