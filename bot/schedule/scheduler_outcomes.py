"""Recording what became of each daily post: sent, released for another try, unknown, failed
(pausing a server after repeated permanent failures). A mixin of
:class:`bot.schedule.scheduler.ReminderScheduler`; every write is retried briefly, because a lost
outcome turns a sent post into 'unknown'."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .. import metrics
from .planner import Slot
from .scheduler_config import Clock, NotifyAdmin, SchedulerConfig, describe_error, failure_reason
from .sender import SendOutcome
from .store import ReminderStore

log = logging.getLogger("bot.schedule.scheduler")
_T = TypeVar("_T")


@dataclass
class Post:
    """One queued post: its guild and slot, whether its ledger row is claimed, and its late note."""

    guild_id: int
    slot: Slot
    claimed: bool = False
    note: str | None = None


class OutcomeRecorder:
    """Writes send outcomes to the ledger; the scheduler provides the state named below."""

    store: ReminderStore
    config: SchedulerConfig
    owner: str
    _clock: Clock
    _notify_admin: NotifyAdmin | None
    _queued: dict[int, dt.date]
    _plans: dict[int, Any]

    def _retry_slot(self, post: Post) -> None:
        raise NotImplementedError  # the scheduler puts the slot back into its plan

    async def _record(self, post: Post, outcome: SendOutcome) -> None:
        """Write the outcome of a send job to the ledger and the guild's settings."""
        g, day = post.guild_id, post.slot.local_date
        if self._queued.get(g) == day:
            del self._queued[g]
        now = self._clock()
        if outcome.kind == "dropped":
            return
        if outcome.kind == "sent":
            assert outcome.message_id is not None
            mid = outcome.message_id
            metrics.daily_post("late" if post.note else "sent")
            await self._persist(lambda: self.store.mark_sent(g, day, mid, attempts=outcome.attempts,
                                                              note=post.note, sent_at=now))
            return
        if outcome.prepared is None or (outcome.kind == "interrupted" and not outcome.maybe_delivered):
            # Nothing can have reached Discord: give the slot back so it is posted after all.
            await self._persist(lambda: self.store.release_claim(g, day, self.owner))
            if outcome.kind == "failed":  # preparing failed (e.g. database down): try next pass
                self._retry_slot(post)
            return
        if outcome.kind == "interrupted":
            note = "outcome unknown: the bot stopped during a send that may have reached Discord; not re-posted"
            metrics.daily_post("unknown")
            await self._persist(lambda: self.store.mark_unknown(g, day, note, now=now))
            return
        text = describe_error(outcome.error)
        metrics.daily_post("failed", failure_reason(outcome.error))
        count = await self._persist(lambda: self.store.mark_failed(
            g, day, text, permanent=outcome.permanent, attempts=outcome.attempts, now=now))
        log.warning("guild %s: the %s post failed after %d attempt(s): %s", g, day, outcome.attempts, text)
        if outcome.permanent and count is not None and count >= self.config.pause_after:
            await self._pause_for_failures(g, count, text)

    async def _persist(self, write: Callable[[], Awaitable[_T]]) -> _T | None:
        """A ledger write, retried briefly: a lost outcome turns a sent post into 'unknown'."""
        for attempt in range(4):
            try:
                return await write()
            except Exception:
                if attempt == 3:
                    log.exception("could not record a post outcome; it will show as 'unknown'")
                    return None
                await asyncio.sleep(0.25 * 2**attempt)
        return None  # pragma: no cover

    async def _pause_for_failures(self, guild_id: int, count: int, error: str) -> None:
        reason = (f"paused after {count} failed posts in a row (last: {error}); fix the channel or the "
                  f"bot's permissions, then set daily posts again")
        await self._persist(lambda: self.store.pause(guild_id, reason, now=self._clock()))
        self._plans.pop(guild_id, None)
        log.warning("guild %s: %s", guild_id, reason)
        if self._notify_admin is not None:
            text = (f"Daily \"on this day\" posts are paused: the last {count} posts could not be sent "
                    f"({error}). Give the bot permission to post in the channel, or choose another "
                    f"channel, then use /reminders set to turn them back on.")
            try:
                await self._notify_admin(guild_id, text)
            except Exception:
                log.exception("guild %s: notify_admin failed", guild_id)
