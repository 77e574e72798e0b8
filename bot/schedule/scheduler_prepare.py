"""The last step before a daily post is sent: read the settings again, claim the ledger row,
compose the text. A mixin of :class:`bot.schedule.scheduler.ReminderScheduler`, run by a send
worker right before it sends, so a change made a moment ago applies even to a queued post."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from .. import metrics
from . import planner
from .models import GuildSettings
from .scheduler_config import Clock, Compose, LateNote, SchedulerConfig, human_delay, post_nonce
from .scheduler_outcomes import Post
from .sender import Prepared
from .store import MissedSlot, ReminderStore

log = logging.getLogger("bot.schedule.scheduler")


class PostPreparer:
    """Prepares a queued post; the scheduler provides the state named below."""

    store: ReminderStore
    config: SchedulerConfig
    owner: str
    _clock: Clock
    _compose: Compose
    _late_note: LateNote
    _plans: dict[int, Any]
    _last_date: dict[int, dt.date]

    def _install(self, s: GuildSettings, last_date: dt.date | None, now: dt.datetime) -> None:
        raise NotImplementedError  # the scheduler plans the guild anew

    async def _prepare(self, post: Post) -> Prepared | None:
        """Run by a send worker right before sending: re-read settings, claim, compose.

        Settings are read from the store, not memory, so a change made a moment ago — here or in
        another process — applies even to a post already queued.
        """
        g, day = post.guild_id, post.slot.local_date
        s = await self.store.get_settings(g)
        if s is None or s.paused:
            log.info("guild %s: daily posts were turned off or paused before the %s post went out", g, day)
            self._plans.pop(g, None)
            return None
        plan = self._plans.get(g)
        if plan is None or (s.time, s.timezone, s.active_since) != (
            plan.settings.time, plan.settings.timezone, plan.settings.active_since
        ):
            # The schedule moved under us: hand this date back to the planner to place it anew.
            self._last_date[g] = day - dt.timedelta(days=1)
            self._install(s, day - dt.timedelta(days=1), self._clock())
            return None
        now = self._clock()
        if planner.lateness(post.slot, now) > self.config.grace:
            reason = f"missed: still queued {human_delay(self.config.grace)} after {s.time} ({s.timezone})"
            await self.store.record_missed([MissedSlot(g, day, post.slot.at, reason)], now=now)
            metrics.daily_post("skipped")
            return None
        if not await self.store.claim(g, day, post.slot.at, channel_id=s.channel_id, owner=self.owner, now=now):
            log.info("guild %s: the %s post was already decided elsewhere; not posting", g, day)
            return None
        post.claimed = True
        try:
            content = self._compose(g, day, s.upcoming_days, s.empty_days)
        except Exception as exc:
            log.exception("guild %s: composing the %s post failed", g, day)
            await self.store.mark_failed(g, day, f"composing the post failed: {exc!r}", permanent=False,
                                         attempts=0, counts=False, now=now)
            metrics.daily_post("failed", "compose")
            return None
        if content is None or not content.strip():
            await self.store.mark_skipped(g, day, "skipped: no events to post", now=now)
            metrics.daily_post("skipped")
            return None
        late = planner.lateness(post.slot, now)
        if late > self.config.late_note_after:
            post.note = self._late_note(s, post.slot, late)
            content = f"{post.note}\n\n{content}"
        if len(content) > self.config.max_length:
            content = content[: self.config.max_length - 1] + "…"
        return Prepared(s.channel_id, content, post_nonce(g, day))
