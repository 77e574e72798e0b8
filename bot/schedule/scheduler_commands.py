"""What the Discord layer calls on the scheduler: ``/reminders set``, ``off``, ``status`` and
``test``, and leaving a server. A mixin of :class:`bot.schedule.scheduler.ReminderScheduler`,
kept apart from its passes; each change re-plans the guild through ``refresh_guild``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from . import planner
from .models import GuildSettings, ReminderStatus
from .planner import InvalidSetting
from .scheduler_config import Clock, Compose, SchedulerConfig
from .sender import SendQueue
from .store import ReminderStore


class SchedulerCommands:
    """The facade the ``/reminders`` commands use; the scheduler provides its state."""

    store: ReminderStore
    config: SchedulerConfig
    queue: SendQueue
    _clock: Clock
    _compose: Compose
    _plans: dict[int, Any]

    async def refresh_guild(self, guild_id: int, now: dt.datetime | None = None) -> None:
        raise NotImplementedError  # ReminderScheduler re-plans the guild

    async def configure(
        self,
        guild_id: int,
        *,
        channel_id: int | None = None,
        time: str | None = None,
        timezone: str | None = None,
        upcoming_days: int | None = None,
        empty_days: str | None = None,
    ) -> GuildSettings:
        """``/reminders set``: create or change settings; ``None`` keeps the current value. Also
        unpauses. Raises :class:`InvalidSetting` with a message fit to show the user."""
        s = await self.store.upsert_settings(
            guild_id, channel_id=channel_id, time=time, timezone=timezone, upcoming_days=upcoming_days,
            empty_days=empty_days, now=self._clock(),
        )
        await self.refresh_guild(guild_id)
        return s

    async def turn_off(self, guild_id: int) -> bool:
        """``/reminders off``: delete the settings (the ledger stays, so no same-day repeat)."""
        removed = await self.store.delete_settings(guild_id)
        self._plans.pop(guild_id, None)
        return removed

    async def guild_removed(self, guild_id: int) -> None:
        """The bot left or was removed from a server."""
        await self.turn_off(guild_id)

    def now(self) -> dt.datetime:
        """The scheduler's clock (UTC): what "today" means for its posts."""
        return self._clock()

    async def status(self, guild_id: int) -> ReminderStatus | None:
        """``/reminders status``."""
        return await self.store.status(guild_id, now=self._clock(), grace=self.config.grace)

    async def send_test(self, guild_id: int) -> int:
        """``/reminders test``: post a sample to the configured channel now, through the queue.

        Not recorded in the ledger. Returns the message id; raises ``PermanentSendError`` /
        ``TransientSendError`` so the command can tell the admin what is wrong.
        """
        s = await self.store.get_settings(guild_id)
        if s is None:
            raise InvalidSetting("daily posts are not set up here; use /reminders set first")
        zone = planner.get_zone(s.timezone)
        today = planner.local_date_of(self._clock(), zone)
        body = self._compose(guild_id, today, s.upcoming_days, "note")
        header = f"🔔 Test: daily posts will appear in this channel at {s.time} ({s.timezone})."
        content = f"{header}\n\n{body}" if body else header
        if len(content) > self.config.max_length:
            content = content[: self.config.max_length - 1] + "…"
        return await self.queue.send_now(s.channel_id, content, nonce="test" + uuid.uuid4().hex[:21])
