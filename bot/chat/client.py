"""The Discord bot: one client, the command tree, reloads, mention commands and error handling.

Everything the bot says comes from :mod:`bot.core`; this module only adapts it to Discord.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord
from discord import app_commands

from .. import metrics, runtime
from ..core.ask import AskResult
from ..core.catalog import CatalogDiff
from ..core.commands import dispatch
from ..core.errors import CommandError
from ..core.fact_index import fact_index, fact_index_ready
from ..core.library import Library, LibraryHolder
from ..core.problems import DataError
from ..core.text_render import render_text
from ..core.when import home_today
from ..logs import set_context
from ..metrics import Timings
from ..schedule.scheduler import ReminderScheduler
from ..schedule.store import ReminderStore
from ..settings import Settings
from .errors import EXPIRED_INTERACTION, PUBLIC_DEFER, SORRY, Stopping, UserFacingError, error_text, tell
from .limits import CONTENT, pack_lines
from .sync import SyncState, sync_if_changed

log = logging.getLogger(__name__)
T = TypeVar("T")
A = TypeVar("A")
MENTION_ONLY = ("Ask me a question, e.g. `@Safeer when did Aliyev visit Pakistan?`, "
                "or a command: `@Safeer help`.")


@dataclass
class ReloadOutcome:
    ok: bool
    trigger: str
    at: dt.datetime
    change: CatalogDiff | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


class SafeerTree(app_commands.CommandTree["SafeerBot"]):
    """The command tree: a check before every command, and one private line for any failure."""

    async def interaction_check(self, interaction: discord.Interaction[SafeerBot], /) -> bool:
        """Runs before every slash command and autocomplete, in the task that handles it: the ids
        it sets go on every log line of that command. Refuses new commands once stopping."""
        command = interaction.command.qualified_name if interaction.command else None
        set_context(guild=interaction.guild_id, command=command, interaction=interaction.id)
        interaction.extras["safeer_started"] = time.perf_counter()
        if self.client.stopping:
            raise Stopping()
        return True

    async def on_error(self, interaction: discord.Interaction[SafeerBot], error: app_commands.AppCommandError,
                       /) -> None:
        original = getattr(error, "original", error)
        expired = isinstance(original, discord.NotFound) and original.code == EXPIRED_INTERACTION
        refused = isinstance(error, app_commands.CommandOnCooldown | UserFacingError | app_commands.CheckFailure) \
            or isinstance(original, CommandError)
        _count_command(interaction, "expired" if expired else "refused" if refused else "error")
        text = error_text(interaction, error)
        if text is not None:
            await tell(interaction, text)


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
        self.holder = LibraryHolder(library, settings.briefs_dir, settings.corpus_dir, settings.load)
        self.tree = SafeerTree(self)
        self.timings = Timings()
        _count_catalog(library)
        self.started_at = dt.datetime.now(dt.UTC)
        self.last_reload: ReloadOutcome | None = None
        self.loaded_at = self.started_at
        self._reload_lock = asyncio.Lock()
        self._background: set[asyncio.Task[object]] = set()
        self._owner_ids: set[int] = set()
        self.reminders: ReminderScheduler | None = None
        self.store = store  # opened before connecting, so a database problem stops the start early
        self.stopping = False
        self._stopped_own = False

    @property
    def library(self) -> Library:
        return self.holder.current

    def today(self) -> dt.date:
        return home_today()

    async def setup_hook(self) -> None:
        from .commands.ask import AskCommands
        from .commands.briefs import BriefCommands
        from .commands.operators import OperatorCommands
        from .commands.reminders import setup_reminders
        from .views import BriefButton, SourcesButton

        for command in [*AskCommands(self).commands_to_add(), *BriefCommands(self).get_app_commands()]:
            self.tree.add_command(command)
        self.tree.add_command(OperatorCommands(self))
        self.add_dynamic_items(SourcesButton, BriefButton)
        self.reminders = await setup_reminders(self)
        self._warm_answers()
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

    def request_stop(self, why: str = "stop") -> None:
        """SIGTERM/SIGINT: refuse new commands, let posts in flight finish, then close."""
        if self.stopping:
            return
        self.stopping = True
        log.info("%s received: stopping; posts in flight get up to %g s", why, self.settings.stop_timeout)
        self.loop.create_task(self.close(), name="safeer-stop")

    async def close(self) -> None:
        """Stop the daily posts (in-flight ones finish or are recorded 'unknown' within
        ``SAFEER_STOP_TIMEOUT_SECONDS``, default 10), close the database, then the gateway and HTTP session."""
        self.stopping = True
        if not self._stopped_own:
            self._stopped_own = True
            try:
                if self.reminders is not None:
                    await self.reminders.stop(self.settings.stop_timeout)
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
                # The collector pauses meanwhile (bot.runtime: the runner owns it, not the load).
                with runtime.reloading():
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
            if outcome.ok:
                self._warm_answers()
            return outcome

    def _warm_answers(self) -> None:
        """Build the library's fact index in a worker thread now, so the first question after a
        start or a reload does not wait for it on the event loop (seconds at 10,000 briefs)."""
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(self._off_loop, fact_index,
                                                                         self.library.index))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def run_query(self, interaction: discord.Interaction | None, query: Callable[[Library], T]) -> T:
        """Run a query that may need the fact index (a question, /search, a mention) on one library.

        When the index is built it runs right here (no extra round trip). While it is still being
        built (after a start or a reload) it runs in a worker thread, so the gateway and every other
        command keep going; an interaction not yet answered is first deferred ("thinking…", public:
        the answers are), so Discord's three seconds cannot run out. The reply then goes as a follow-up.
        """
        library = self.library
        if fact_index_ready(library.index):
            return query(library)
        if interaction is not None and not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
            interaction.extras[PUBLIC_DEFER] = True
        return await asyncio.to_thread(self._off_loop, query, library)

    def _off_loop(self, work: Callable[[A], T], arg: A) -> T:
        """Work that may build the fact index, in a worker thread (slowed by a test hook only)."""
        delay = self.settings.test_hooks.slow_fact_index_seconds
        if delay:
            time.sleep(delay)
        return work(arg)

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
        today = self.today()
        with self.timings.measure("mention"):
            try:
                result = await self.run_query(None, lambda lib: dispatch(lib, line, today)) if line else None
                if isinstance(result, AskResult):
                    metrics.answer_given(result.answer is not None, "mention")
                text = render_text(result) if result is not None else MENTION_ONLY
            except CommandError as exc:
                text = str(exc)
            except Exception:
                log.exception("mention command failed: %r", line[:200])
                text = SORRY
        chunks = pack_lines(text.splitlines(), CONTENT - 10)[:5]
        try:
            for chunk in chunks:
                await message.reply(chunk, mention_author=False, allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden:
            log.warning("no permission to reply in channel %s (guild %s)", message.channel.id,
                        message.guild.id if message.guild else None)
        except discord.HTTPException as exc:
            log.warning("reply to a mention failed: %s", exc)

    # -- metrics -----------------------------------------------------------------------------

    async def on_app_command_completion(self, interaction: discord.Interaction,
                                        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu) -> None:
        _count_command(interaction, "ok")


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
