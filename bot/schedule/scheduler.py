"""The daily-post scheduler: one per-minute pass decides what is due; the queue sends it.

Why not one APScheduler job per guild: measured, 10,000 jobs due at the same instant with the
default ``misfire_grace_time`` ran 0 of 10,000 — the scheduler's own pass took longer than the
grace, so it declared them all missed. APScheduler's idea of "missed" must not decide anything.
So APScheduler runs exactly one job (fixed id, ``coalesce=True``, ``max_instances=1``, no misfire
limit), every minute at :00 UTC, which calls :meth:`ReminderScheduler.run_pass`. The pass is
idempotent and catches up on everything due up to ``now``, so a late or skipped tick only delays.

The pass keeps an in-memory plan per guild (its next slot, in a heap keyed by UTC instant) so
a tick costs O(guilds due), not O(guilds). For each due guild it looks at every unposted slot
since the last one it handled:

* the latest slot, if at most ``grace`` old (default 6 h), is queued — late posts carry a note;
* older slots, or one past the grace window, are recorded 'skipped' with the reason (never
  silently dropped; at most ``max_missed_days`` back).

The queue claims the ledger row just before sending (see :mod:`bot.schedule.store`); the
claim, not this memory, is what guarantees one post per guild per local date across restarts
and processes. The plan is refreshed when told (:meth:`refresh_guild`, which the facade methods
call) and fully every ``refresh_every`` to pick up changes made by other processes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import heapq
import itertools
import logging
import os
import socket
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .. import metrics
from . import planner
from .models import UTC, GuildSettings
from .planner import InvalidSetting, Slot
from .scheduler_commands import SchedulerCommands
from .scheduler_config import (
    Clock,
    Compose,
    LateNote,
    NotifyAdmin,
    PassReport,
    SchedulerConfig,
    default_late_note,
    human_delay,
    later,
    post_nonce,
    schedule_key,
    utc_now,
)
from .scheduler_outcomes import OutcomeRecorder, Post
from .scheduler_prepare import PostPreparer
from .sender import PermanentSendError, PostSender, SendQueue, TransientSendError
from .store import MissedSlot, ReminderStore, shard_of

log = logging.getLogger(__name__)


PASS_JOB_ID: Final = "safeer-reminders-pass"


@dataclass
class _Plan:
    settings: GuildSettings
    zone: ZoneInfo
    slot: Slot  # the next slot this guild has not been handled for
    version: int


class ReminderScheduler(SchedulerCommands, OutcomeRecorder, PostPreparer):
    """Daily "on this day" posts for the guilds of this process's shards.

    Call :meth:`start` from the bot's running loop (discord.py ``setup_hook``) and :meth:`stop`
    on close. Everything Discord-specific is injected: ``sender`` delivers, ``compose`` writes
    the post, ``notify_admin`` tells a server its posts were paused.
    """

    def __init__(
        self,
        store: ReminderStore,
        sender: PostSender,
        compose: Compose,
        *,
        shard_ids: Collection[int] | None = None,
        shard_count: int = 1,
        clock: Clock = utc_now,
        config: SchedulerConfig | None = None,
        notify_admin: NotifyAdmin | None = None,
        late_note: LateNote = default_late_note,
        owner: str | None = None,
        tick_seconds: float | None = None,
    ) -> None:
        if shard_count < 1:
            raise ValueError("shard_count must be at least 1")
        self.shard_count = shard_count
        self.shard_ids = frozenset(range(shard_count) if shard_ids is None else shard_ids)
        if any(not 0 <= s < shard_count for s in self.shard_ids):
            raise ValueError(f"shard ids {sorted(self.shard_ids)} do not fit shard_count={shard_count}")
        self.store = store
        self.config = config or SchedulerConfig()
        self.queue = SendQueue(sender, self.config.send)
        self._compose = compose
        self._clock = clock
        self._notify_admin = notify_admin
        self._late_note = late_note
        host = socket.gethostname()[:40]
        self.owner = owner or f"{host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._plans: dict[int, _Plan] = {}
        self._heap: list[tuple[dt.datetime, int, int]] = []
        self._versions = itertools.count(1)
        self._last_date: dict[int, dt.date] = {}
        self._queued: dict[int, dt.date] = {}
        self._unrecorded: list[MissedSlot] = []
        self._last_reload: dt.datetime | None = None
        self._pass_lock = asyncio.Lock()
        self._aps: Any = None
        # Tests (and only tests) pass a few seconds here so they need not wait for the minute.
        self._tick_seconds = tick_seconds
        self._last_prune: dt.datetime | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> PassReport:
        """Load settings, catch up on posts missed while down, then tick every minute."""
        if self._aps is not None:
            raise RuntimeError("already started")
        self.queue.start()
        try:
            report = await self.run_pass(self._clock(), reload=True)
        except BaseException:
            await self.queue.stop(0)
            raise
        aps = AsyncIOScheduler(timezone=UTC)
        aps.add_job(
            self._tick,
            IntervalTrigger(seconds=self._tick_seconds) if self._tick_seconds else CronTrigger(second=0, timezone=UTC),
            id=PASS_JOB_ID,
            name="daily posts: per-minute pass",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,  # a late pass is still useful: it catches up
            replace_existing=True,
        )
        aps.start()
        self._aps = aps
        return report

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking; give in-flight sends ``timeout`` s. Unsent claims are released, uncertain
        ones marked 'unknown', so the next start neither loses nor repeats a post."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        async with self._pass_lock:
            await self.queue.stop(timeout)

    @property
    def apscheduler(self) -> Any:
        """The underlying ``AsyncIOScheduler`` (None until started)."""
        return self._aps

    async def _tick(self) -> None:
        try:
            await self.run_pass(self._clock())
        except Exception:
            log.exception("daily-post pass failed; the next pass will catch up")

    def owns(self, guild_id: int) -> bool:
        """Whether this process's shards include ``guild_id``."""
        return shard_of(guild_id, self.shard_count) in self.shard_ids

    # -- the pass ----------------------------------------------------------------------------

    async def run_pass(self, now: dt.datetime | None = None, *, reload: bool = False) -> PassReport:
        """Queue what is due at ``now``, record what was missed, expire stale claims."""
        async with self._pass_lock:
            now = now or self._clock()
            report = PassReport(now)
            try:
                report.expired = await self.store.expire_stale_claims(self.config.stale_claim_after, now=now)
            except Exception:
                log.exception("could not check for stale claims")
            metrics.daily_post("unknown", count=len(report.expired))
            for e in report.expired:
                log.warning("guild %s: post for %s has no recorded outcome; marked 'unknown', not re-posted",
                            e.guild_id, e.local_date)
            if reload or self._last_reload is None:
                await self.reload_all(now)  # at start: must work, or start() fails loudly
            elif now - self._last_reload >= self.config.refresh_every:
                try:
                    await self.reload_all(now)
                except Exception:
                    log.exception("could not reload settings; continuing with the ones in memory")
            if not self.queue.running:
                return self._passed(report)
            missed = self._unrecorded
            deferred: list[_Plan] = []
            handled = 0
            while self._heap and self._heap[0][0] <= now:
                _, guild_id, version = heapq.heappop(self._heap)
                plan = self._plans.get(guild_id)
                if plan is None or plan.version != version:
                    continue
                self._advance(plan, now, report, missed, deferred)
                handled += 1
                if handled % 500 == 0:
                    await asyncio.sleep(0)  # thousands due at once: let the gateway breathe
            for plan in deferred:
                heapq.heappush(self._heap, (plan.slot.at, plan.settings.guild_id, plan.version))
            self._unrecorded = []
            if missed:
                try:
                    await self.store.record_missed(missed, now=now)
                    metrics.daily_post("skipped", count=len(missed))
                except Exception:
                    log.exception("could not record %d missed posts; will retry next pass", len(missed))
                    self._unrecorded = missed
                report.missed = missed
            if self._last_prune is None or now - self._last_prune >= dt.timedelta(days=1):
                self._last_prune = now
                try:
                    report.pruned = await self.store.prune_ledger((now - self.config.keep_ledger).date())
                except Exception:
                    log.exception("could not prune the post ledger; will try again tomorrow")
            return self._passed(report)

    def _passed(self, report: PassReport) -> PassReport:
        """Say at DEBUG that a pass ended: the end-to-end tests wait on this line, not on the clock."""
        log.debug("daily-post pass at %s: %d queued, %d missed, %d in the send queue",
                  report.now.isoformat(timespec="seconds"), len(report.enqueued), len(report.missed),
                  self.queue.pending)
        return report

    def _advance(
        self, plan: _Plan, now: dt.datetime, report: PassReport, missed: list[MissedSlot], deferred: list[_Plan]
    ) -> None:
        s = plan.settings
        slots = planner.slots_due(plan.slot.local_date, now, s.time, plan.zone)
        if not slots:  # pragma: no cover - the heap said it was due
            deferred.append(plan)
            return
        *older, last = slots
        if planner.within_grace(last, now, self.config.grace) and s.guild_id in self._queued:
            deferred.append(plan)  # yesterday's post is somehow still queued: look again next pass
            return
        reason = self._missed_reason(s)
        missed.extend(MissedSlot(s.guild_id, o.local_date, o.at, reason) for o in older)
        if planner.within_grace(last, now, self.config.grace):
            self._enqueue(plan, last)
            report.enqueued.append((s.guild_id, last.local_date))
        else:
            missed.append(MissedSlot(s.guild_id, last.local_date, last.at, reason))
        self._last_date[s.guild_id] = last.local_date
        plan.slot = planner.slot_for(last.local_date + dt.timedelta(days=1), s.time, plan.zone)
        heapq.heappush(self._heap, (plan.slot.at, s.guild_id, plan.version))

    def _missed_reason(self, s: GuildSettings) -> str:
        return (f"missed: the bot was not running within {human_delay(self.config.grace)} of "
                f"{s.time} ({s.timezone})")

    def _enqueue(self, plan: _Plan, slot: Slot) -> None:
        post = Post(plan.settings.guild_id, slot)
        self._queued[post.guild_id] = slot.local_date
        self.queue.submit(
            prepare=functools.partial(self._prepare, post),
            on_done=functools.partial(self._record, post),
            key=(post.guild_id, slot.local_date.isoformat()),
        )

    def _retry_slot(self, post: Post) -> None:
        plan = self._plans.get(post.guild_id)
        if plan is None or plan.slot.local_date <= post.slot.local_date:
            return
        plan.slot = post.slot
        plan.version = next(self._versions)
        if self._last_date.get(post.guild_id) == post.slot.local_date:
            self._last_date[post.guild_id] = post.slot.local_date - dt.timedelta(days=1)
        heapq.heappush(self._heap, (plan.slot.at, post.guild_id, plan.version))

    # -- keeping the plan current ------------------------------------------------------------

    async def reload_all(self, now: dt.datetime | None = None) -> None:
        """Re-read every setting of our shards; re-plan the guilds whose settings changed."""
        now = now or self._clock()
        if self.shard_ids == frozenset(range(self.shard_count)):
            rows = await self.store.all_settings()
        else:
            rows = await self.store.settings_for_shards(self.shard_ids, self.shard_count)
        since = (now - dt.timedelta(days=self.config.max_missed_days + 2)).date()
        stored_last = await self.store.last_dates(since=since)
        seen: set[int] = set()
        for s in rows:
            seen.add(s.guild_id)
            plan = self._plans.get(s.guild_id)
            if plan is not None and schedule_key(plan.settings) == schedule_key(s):
                plan.settings = s
                continue
            self._install(s, later(self._last_date.get(s.guild_id), stored_last.get(s.guild_id)), now)
        for gone in set(self._plans) - seen:
            del self._plans[gone]
        self._last_reload = now

    async def refresh_guild(self, guild_id: int, now: dt.datetime | None = None) -> None:
        """Re-read one guild's settings; the next pass uses them. Call after any change."""
        if not self.owns(guild_id):
            return
        s = await self.store.get_settings(guild_id)
        if s is None:
            self._plans.pop(guild_id, None)
            return
        known = self._last_date.get(guild_id)
        stored = (await self.store.last_dates([guild_id])).get(guild_id)
        self._install(s, later(known, stored), now or self._clock())

    def _install(self, s: GuildSettings, last_date: dt.date | None, now: dt.datetime) -> None:
        if s.paused or not self.owns(s.guild_id):
            self._plans.pop(s.guild_id, None)
            return
        try:
            zone = planner.get_zone(s.timezone)
        except InvalidSetting:
            log.error("guild %s: stored time zone %r is unknown here; not scheduling", s.guild_id, s.timezone)
            self._plans.pop(s.guild_id, None)
            return
        floor = planner.local_date_of(now, zone) - dt.timedelta(days=self.config.max_missed_days)
        start = floor if last_date is None else max(floor, last_date + dt.timedelta(days=1))
        slot = planner.first_slot_from(start, s.active_since, s.time, zone)
        if last_date is not None:
            self._last_date[s.guild_id] = last_date
        plan = _Plan(s, zone, slot, next(self._versions))
        self._plans[s.guild_id] = plan
        heapq.heappush(self._heap, (slot.at, s.guild_id, plan.version))

    def planned(self, guild_id: int) -> Slot | None:
        """The next slot this process will handle for ``guild_id`` (None: not scheduled here)."""
        plan = self._plans.get(guild_id)
        return plan.slot if plan else None


__all__ = [
    "PASS_JOB_ID",
    "Clock",
    "Compose",
    "LateNote",
    "NotifyAdmin",
    "PassReport",
    "PermanentSendError",
    "ReminderScheduler",
    "SchedulerConfig",
    "TransientSendError",
    "default_late_note",
    "post_nonce",
    "utc_now",
]
