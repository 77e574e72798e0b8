"""The scheduler end to end: real store (SQLite file and PostgreSQL), real queue, fake Discord and clock.

Time is driven by a FakeClock and by calling ``run_pass`` at chosen instants, as the per-minute
APScheduler job would; nothing sleeps for more than a fraction of a second.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from schedule_support import (
    CountingSender,
    FakeClock,
    compose_stub,
    forbidden,
    guild_on_shard,
    rate_limited,
    server_error,
    unknown_channel,
)

from bot.schedule.scheduler import PASS_JOB_ID, Compose, ReminderScheduler, SchedulerConfig
from bot.schedule.sender import PermanentSendError, SendPolicy
from bot.schedule.store import ReminderStore

UTC = dt.UTC


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


DAY = dt.date(2025, 5, 1)
NINE_PKT = dt.datetime(2025, 5, 1, 4, 0, tzinfo=UTC)  # 09:00 in Asia/Karachi
G1, G2, G3 = (guild_on_shard(0, 1, n) for n in range(3))
FAST = SendPolicy(rate=1000, concurrency=8, attempt_timeout=0.5, max_attempts=4, backoff_base=0.01,
                  backoff_cap=0.05, deadline=5)
CONFIG = SchedulerConfig(send=FAST)



class Env:
    """Builds schedulers that are stopped at the end of the test."""

    def __init__(self, store: ReminderStore, db_url: str) -> None:
        self.store = store
        self.db_url = db_url
        self.sender = CountingSender()
        self.clock = FakeClock(NINE_PKT - dt.timedelta(hours=1))
        self.running: list[ReminderScheduler] = []
        self.extra_stores: list[ReminderStore] = []
        self.notes: list[tuple[int, str]] = []

    async def notify(self, guild_id: int, text: str) -> None:
        self.notes.append((guild_id, text))

    async def scheduler(
        self,
        *,
        store: ReminderStore | None = None,
        sender: CountingSender | None = None,
        compose: Compose = compose_stub,
        start: bool = True,
        **kw: Any,
    ) -> ReminderScheduler:
        kw.setdefault("config", CONFIG)
        s = ReminderScheduler(store or self.store, sender or self.sender, compose, clock=self.clock,
                              notify_admin=self.notify, **kw)
        if start:
            await s.start()
            s.apscheduler.pause()  # the test drives the passes
            await s.queue.join()
        self.running.append(s)
        return s

    async def other_store(self) -> ReminderStore:
        s = await ReminderStore.open(self.db_url)
        self.extra_stores.append(s)
        return s

    async def setup_guild(self, guild_id: int, channel_id: int, time: str = "09:00", tz: str = "Asia/Karachi",
                          **kw: Any) -> None:
        await self.store.upsert_settings(guild_id, channel_id=channel_id, time=time, timezone=tz,
                                         now=self.clock(), **kw)

    async def pass_at(self, sched: ReminderScheduler, when: dt.datetime) -> Any:
        self.clock.set(when)
        report = await sched.run_pass()
        await sched.queue.join()
        return report


@pytest.fixture
async def env(store: ReminderStore, db_url: str) -> AsyncIterator[Env]:
    e = Env(store, db_url)
    yield e
    for s in e.running:
        await s.stop(0.5)
    for st in e.extra_stores:
        await st.close()


async def test_posts_once_on_time(env: Env) -> None:
    await env.setup_guild(G1, 11)
    sched = await env.scheduler()
    assert (await env.pass_at(sched, NINE_PKT - dt.timedelta(seconds=1))).enqueued == []
    report = await env.pass_at(sched, NINE_PKT)
    assert report.enqueued == [(G1, DAY)]
    for minutes in (1, 2, 60):
        await env.pass_at(sched, NINE_PKT + dt.timedelta(minutes=minutes))
    assert [p.content for p in env.sender.delivered] == [compose_stub(G1, DAY, 0, "silent")]
    row = await env.store.get_post(G1, DAY)
    assert row is not None and row.status == "sent" and row.note is None and row.claimed_by == sched.owner
    st = await sched.status(G1)
    assert st is not None and st.settings.last_post_local_date == DAY
    assert st.next_post_date == DAY + dt.timedelta(days=1)
    await env.pass_at(sched, NINE_PKT + dt.timedelta(days=1))
    assert len(env.sender.delivered) == 2


async def test_restart_mid_day_does_not_post_again(env: Env) -> None:
    await env.setup_guild(G1, 11)
    first = await env.scheduler()
    await env.pass_at(first, NINE_PKT)
    await first.stop()
    env.clock.set(NINE_PKT + dt.timedelta(hours=2))
    second = await env.scheduler(store=await env.other_store())  # a new process, in effect
    await env.pass_at(second, NINE_PKT + dt.timedelta(hours=3))
    assert len(env.sender.delivered) == 1


async def test_two_processes_on_one_database_post_once(env: Env) -> None:
    for k, g in enumerate((G1, G2, G3)):
        await env.setup_guild(g, 10 + k)
    other_sender = CountingSender()
    a = await env.scheduler()
    b = await env.scheduler(store=await env.other_store(), sender=other_sender)
    env.clock.set(NINE_PKT)
    await asyncio.gather(a.run_pass(), b.run_pass())
    await asyncio.gather(a.queue.join(), b.queue.join())
    channels = sorted(p.channel_id for p in env.sender.delivered + other_sender.delivered)
    assert channels == [10, 11, 12]


async def test_a_crash_mid_send_is_reported_unknown_and_never_reposted(env: Env) -> None:
    await env.setup_guild(G1, 11)
    # A previous process claimed today's post at 09:00 and died before recording the outcome.
    assert await env.store.claim(G1, DAY, NINE_PKT, owner="dead-process", now=NINE_PKT)
    env.clock.set(NINE_PKT + dt.timedelta(minutes=5))
    sched = await env.scheduler()
    assert env.sender.delivered == []
    report = await env.pass_at(sched, NINE_PKT + dt.timedelta(minutes=16))
    assert [(e.guild_id, e.status) for e in report.expired] == [(G1, "unknown")]
    st = await sched.status(G1)
    assert st is not None and st.recent[0].status == "unknown" and "unknown" in (st.last_error or "")
    await env.pass_at(sched, NINE_PKT + dt.timedelta(hours=1))
    assert env.sender.delivered == []


async def test_downtime_within_grace_posts_once_late_with_a_note(env: Env) -> None:
    await env.setup_guild(G1, 11)
    env.clock.set(NINE_PKT + dt.timedelta(hours=2, minutes=5))  # the bot comes back at 11:05
    sched = await env.scheduler()
    await env.pass_at(sched, env.clock() + dt.timedelta(minutes=1))
    [post] = env.sender.delivered
    assert post.content.startswith("⏰ Posted late: this was due at 09:00 (Asia/Karachi), 2 h 5 min ago")
    assert post.content.endswith(str(compose_stub(G1, DAY, 0, "silent")))
    row = await env.store.get_post(G1, DAY)
    assert row is not None and row.status == "sent" and row.note is not None and "late" in row.note


async def test_downtime_beyond_grace_is_skipped_and_recorded(env: Env) -> None:
    await env.setup_guild(G1, 11)
    env.clock.set(NINE_PKT + dt.timedelta(hours=7))  # back at 16:00, grace is 6 h
    sched = await env.scheduler()
    assert env.sender.delivered == []
    row = await env.store.get_post(G1, DAY)
    assert row is not None and row.status == "skipped" and "missed" in (row.note or "")
    st = await sched.status(G1)
    assert st is not None and st.next_post_date == DAY + dt.timedelta(days=1)
    await env.pass_at(sched, NINE_PKT + dt.timedelta(days=1))
    assert len(env.sender.delivered) == 1


async def test_a_long_outage_records_each_missed_day_up_to_the_limit(env: Env) -> None:
    await env.store.upsert_settings(G1, channel_id=11, time="09:00", now=NINE_PKT - dt.timedelta(days=30))
    env.clock.set(NINE_PKT + dt.timedelta(hours=1))
    await env.scheduler(config=SchedulerConfig(send=FAST, max_missed_days=3))
    rows = await env.store.ledger(G1, limit=10)
    assert [(r.local_date.day, r.status) for r in rows] == [(1, "sent"), (30, "skipped"), (29, "skipped"),
                                                             (28, "skipped")]
    assert len(env.sender.delivered) == 1


@pytest.mark.parametrize(
    ("tz", "hhmm", "day", "before", "due"),
    [
        ("America/New_York", "02:30", dt.date(2025, 3, 9), utc(2025, 3, 9, 6, 59), utc(2025, 3, 9, 7, 0)),
        ("Europe/Berlin", "02:15", dt.date(2025, 3, 30), utc(2025, 3, 30, 0, 59), utc(2025, 3, 30, 1, 0)),
    ],
)
async def test_dst_gap_day_posts_right_after_the_gap(
    env: Env, tz: str, hhmm: str, day: dt.date, before: dt.datetime, due: dt.datetime
) -> None:
    env.clock.set(before - dt.timedelta(days=2))
    await env.setup_guild(G1, 11, time=hhmm, tz=tz)
    env.clock.set(before - dt.timedelta(minutes=10))
    sched = await env.scheduler()
    await env.pass_at(sched, before)
    assert env.sender.delivered == []
    await env.pass_at(sched, due)
    [post] = env.sender.delivered
    assert day.isoformat() in post.content


@pytest.mark.parametrize(
    ("tz", "hhmm", "day", "first", "second"),
    [
        ("America/New_York", "01:30", dt.date(2025, 11, 2), utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 30)),
        ("Europe/Berlin", "02:30", dt.date(2025, 10, 26), utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 1, 30)),
    ],
)
async def test_dst_repeat_day_posts_once_at_the_first_occurrence(
    env: Env, tz: str, hhmm: str, day: dt.date, first: dt.datetime, second: dt.datetime
) -> None:
    env.clock.set(first - dt.timedelta(days=2))
    await env.setup_guild(G1, 11, time=hhmm, tz=tz)
    env.clock.set(first - dt.timedelta(minutes=10))
    sched = await env.scheduler()
    await env.pass_at(sched, first)
    assert len(env.sender.delivered) == 1
    for extra in (0, 1, 30):
        await env.pass_at(sched, second + dt.timedelta(minutes=extra))
    assert len(env.sender.delivered) == 1
    assert (await env.store.get_post(G1, day)).status == "sent"  # type: ignore[union-attr]


async def test_permanent_failures_are_recorded_and_pause_after_three(env: Env) -> None:
    await env.setup_guild(G1, 11)
    await env.setup_guild(G2, 12)
    env.sender.script[11] = [forbidden(), unknown_channel(), forbidden(), forbidden()]
    sched = await env.scheduler()
    for k in range(2):
        await env.pass_at(sched, NINE_PKT + dt.timedelta(days=k))
    st = await sched.status(G1)
    assert st is not None and not st.paused and st.settings.consecutive_failures == 2
    assert st.last_error == "404 (10003): Unknown Channel"
    assert [r.error for r in st.recent] == ["permanent: 404 (10003): Unknown Channel",
                                           "permanent: 403 (50013): Missing Permissions"]
    await env.pass_at(sched, NINE_PKT + dt.timedelta(days=2))
    st = await sched.status(G1)
    assert st is not None and st.paused and st.next_post_utc is None
    assert st.settings.pause_reason is not None and "3 failed posts in a row" in st.settings.pause_reason
    assert len(env.notes) == 1 and env.notes[0][0] == G1 and "/reminders set" in env.notes[0][1]
    calls_before = len(env.sender.calls)
    await env.pass_at(sched, NINE_PKT + dt.timedelta(days=3))
    assert len([c for c in env.sender.calls[calls_before:] if c[0] == 11]) == 0, "paused: no more attempts"
    assert len(env.sender.posts_to(12)) == 4, "the healthy guild was unaffected"
    # Setting again unpauses (and does not owe the missed days).
    await sched.configure(G1, channel_id=13)
    await env.pass_at(sched, NINE_PKT + dt.timedelta(days=4))
    assert len(env.sender.posts_to(13)) == 1


async def test_a_success_resets_the_failure_count(env: Env) -> None:
    await env.setup_guild(G1, 11)
    env.sender.script[11] = [forbidden(), forbidden(), 0.0, forbidden(), forbidden()]
    sched = await env.scheduler()
    for k in range(5):
        await env.pass_at(sched, NINE_PKT + dt.timedelta(days=k))
    st = await sched.status(G1)
    assert st is not None and not st.paused and st.settings.consecutive_failures == 2


async def test_429_and_500_are_retried_then_succeed(env: Env) -> None:
    await env.setup_guild(G1, 11)
    await env.setup_guild(G2, 12)
    env.sender.script[11] = [rate_limited(0.05), server_error(500)]
    env.sender.lost_after_send.add(12)  # 502 after Discord already created the message
    sched = await env.scheduler()
    await env.pass_at(sched, NINE_PKT)
    row = await env.store.get_post(G1, DAY)
    assert row is not None and row.status == "sent" and row.attempts == 3
    assert len(env.sender.posts_to(11)) == 1 and len(env.sender.posts_to(12)) == 1
    assert (await env.store.get_post(G2, DAY)).attempts == 2  # type: ignore[union-attr]


async def test_one_slow_or_failing_guild_does_not_delay_the_others(env: Env) -> None:
    policy = SendPolicy(rate=1000, concurrency=4, attempt_timeout=0.8, max_attempts=1, deadline=5)
    await env.setup_guild(G1, 1)
    await env.setup_guild(G2, 2)
    others = [guild_on_shard(0, 1, 10 + k) for k in range(20)]
    for k, g in enumerate(others):
        await env.setup_guild(g, 100 + k)
    env.sender.script[1] = [30.0]  # hangs until the attempt times out
    env.sender.script[2] = [server_error(503)]
    sched = await env.scheduler(config=SchedulerConfig(send=policy))
    env.clock.set(NINE_PKT)
    await sched.run_pass()  # G1 and G2 are queued first
    while len({s.channel_id for s in env.sender.delivered}) < 20:
        await asyncio.sleep(0.01)
    row = await env.store.get_post(G1, DAY)
    # The 20 healthy guilds are all sent while the slow one is still being sent: they did not wait for it.
    # (How long they take is measured in benchmarks/bench_schedule.py, "slow_guild".)
    assert row is not None and row.status == "claimed", "the healthy guilds waited for the slow one"
    await sched.queue.join()
    assert (await env.store.get_post(G1, DAY)).status == "failed"  # type: ignore[union-attr]
    assert (await env.store.get_post(G2, DAY)).status == "failed"  # type: ignore[union-attr]
    st = await sched.status(G1)
    assert st is not None and st.settings.consecutive_failures == 0, "transient failures do not count to pause"


async def test_each_process_posts_only_for_its_shards(env: Env) -> None:
    guilds = {shard: [guild_on_shard(shard, 2, n) for n in range(3)] for shard in (0, 1)}
    for shard, gs in guilds.items():
        for n, g in enumerate(gs):
            await env.setup_guild(g, 100 * (shard + 1) + n)
    sender1 = CountingSender()
    a = await env.scheduler(shard_ids=[0], shard_count=2)
    b = await env.scheduler(store=await env.other_store(), sender=sender1, shard_ids=[1], shard_count=2)
    await env.pass_at(a, NINE_PKT)
    await b.run_pass()
    await b.queue.join()
    assert sorted(p.channel_id for p in env.sender.delivered) == [100, 101, 102]
    assert sorted(p.channel_id for p in sender1.delivered) == [200, 201, 202]
    assert a.owns(guilds[0][0]) and not a.owns(guilds[1][0])


async def test_settings_changes_take_effect_on_the_next_pass(env: Env) -> None:
    await env.setup_guild(G1, 11)
    await env.setup_guild(G2, 12)
    await env.setup_guild(G3, 13)
    sched = await env.scheduler()
    env.clock.set(NINE_PKT - dt.timedelta(minutes=30))  # 08:30
    await sched.configure(G1, time="08:45", upcoming_days=2)  # earlier today
    await sched.configure(G2, channel_id=22)  # new channel
    assert await sched.turn_off(G3)  # off
    await env.pass_at(sched, NINE_PKT - dt.timedelta(minutes=15))
    assert [(p.channel_id, p.content) for p in env.sender.delivered] == [(11, compose_stub(G1, DAY, 2, "silent"))]
    await env.pass_at(sched, NINE_PKT)
    assert sorted(p.channel_id for p in env.sender.delivered) == [11, 22]
    # A change made by another process (e.g. an admin tool) is picked up by the periodic reload.
    await env.store.upsert_settings(G3, channel_id=33, time="09:05", now=NINE_PKT)
    await env.pass_at(sched, NINE_PKT + dt.timedelta(minutes=5))
    assert sorted(p.channel_id for p in env.sender.delivered) == [11, 22], "not yet: reload is every 10 min"
    await env.pass_at(sched, NINE_PKT + dt.timedelta(minutes=10))
    assert sorted(p.channel_id for p in env.sender.delivered) == [11, 22, 33]


async def test_setting_a_time_already_past_today_starts_tomorrow(env: Env) -> None:
    sched = await env.scheduler()
    env.clock.set(NINE_PKT + dt.timedelta(hours=1))  # 10:00
    await sched.configure(G1, channel_id=11, time="09:00")
    await env.pass_at(sched, NINE_PKT + dt.timedelta(hours=1, minutes=1))
    assert env.sender.delivered == []
    st = await sched.status(G1)
    assert st is not None and st.next_post_date == DAY + dt.timedelta(days=1)
    await env.pass_at(sched, NINE_PKT + dt.timedelta(days=1))
    assert len(env.sender.delivered) == 1


async def test_empty_days_are_skipped_not_failed(env: Env) -> None:
    await env.setup_guild(G1, 11)
    await env.setup_guild(G2, 12)

    def compose(guild_id: int, day: dt.date, upcoming: int, empty: str) -> str | None:
        if guild_id == G2:
            raise RuntimeError("bug in compose")
        return None

    sched = await env.scheduler(compose=compose)
    await env.pass_at(sched, NINE_PKT)
    assert env.sender.delivered == []
    row = await env.store.get_post(G1, DAY)
    assert row is not None and row.status == "skipped" and row.note == "skipped: no events to post"
    row2 = await env.store.get_post(G2, DAY)
    assert row2 is not None and row2.status == "failed" and "composing the post failed" in (row2.error or "")
    st = await sched.status(G2)
    assert st is not None and st.settings.consecutive_failures == 0


async def test_stopping_releases_unsent_claims_so_they_are_posted_after_restart(env: Env) -> None:
    await env.setup_guild(G1, 11)
    await env.setup_guild(G2, 12)
    env.sender.script[11] = [rate_limited(30.0)]  # refused: certainly not posted
    env.sender.script[12] = [server_error(502)]  # may have been posted
    policy = SendPolicy(rate=1000, attempt_timeout=1, backoff_base=30, backoff_cap=30, deadline=60)
    sched = await env.scheduler(config=SchedulerConfig(send=policy))
    env.clock.set(NINE_PKT)
    await sched.run_pass()
    while len(env.sender.calls) < 2:
        await asyncio.sleep(0.01)
    await sched.stop()
    assert await env.store.get_post(G1, DAY) is None, "released"
    row = await env.store.get_post(G2, DAY)
    assert row is not None and row.status == "unknown"
    env.clock.set(NINE_PKT + dt.timedelta(minutes=20))
    again = await env.scheduler()
    await again.queue.join()
    assert len(env.sender.posts_to(11)) == 1 and env.sender.posts_to(11)[0].content.startswith("⏰ Posted late")
    assert len(env.sender.posts_to(12)) == 0, "never re-posted when it may have gone out"


async def test_the_per_minute_apscheduler_job_drives_the_pass(env: Env) -> None:
    await env.setup_guild(G1, 11)
    env.clock.set(NINE_PKT - dt.timedelta(minutes=1))
    sched = await env.scheduler()
    job = sched.apscheduler.get_job(PASS_JOB_ID)
    assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time is None
    assert len(sched.apscheduler.get_jobs()) == 1
    env.clock.set(NINE_PKT)
    sched.apscheduler.resume()
    job.modify(next_run_time=dt.datetime.now(UTC))  # "the minute has come"
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while not env.sender.delivered and loop.time() < end:
        await asyncio.sleep(0.02)
    assert len(env.sender.delivered) == 1


async def test_test_post_and_status_for_the_commands(env: Env) -> None:
    sched = await env.scheduler()
    env.clock.set(NINE_PKT - dt.timedelta(hours=1))
    await sched.configure(G1, channel_id=11, time="09:00", empty_days="note")
    mid = await sched.send_test(G1)
    [post] = env.sender.delivered
    assert post.message_id == mid and post.content.startswith("🔔 Test: daily posts will appear")
    assert await env.store.get_post(G1, DAY) is None, "a test post is not the daily post"
    env.sender.script[11] = [None, forbidden()]  # type: ignore[list-item]
    with pytest.raises(PermanentSendError):
        await sched.send_test(G1)
    st = await sched.status(G1)
    assert st is not None and st.next_post_local is not None and st.next_post_local.strftime("%H:%M") == "09:00"
    await sched.guild_removed(G1)
    assert await sched.status(G1) is None
    await env.pass_at(sched, NINE_PKT)
    assert len(env.sender.delivered) == 1


async def test_a_queued_post_uses_settings_changed_meanwhile_by_another_process(env: Env) -> None:
    await env.setup_guild(G1, 11)
    await env.setup_guild(G2, 12)
    await env.setup_guild(G3, 13)
    env.sender.script[11] = [0.3]  # the first post takes a while; the others wait in the queue
    policy = SendPolicy(rate=1000, concurrency=1, attempt_timeout=2, deadline=5)
    sched = await env.scheduler(config=SchedulerConfig(send=policy))
    env.clock.set(NINE_PKT)
    await sched.run_pass()
    admin = await env.other_store()
    await admin.upsert_settings(G2, channel_id=22, now=NINE_PKT)
    await admin.delete_settings(G3)
    await sched.queue.join()
    assert sorted(p.channel_id for p in env.sender.delivered) == [11, 22]
    assert await env.store.get_post(G3, DAY) is None


async def test_the_first_pass_of_each_day_prunes_the_ledger_beyond_keep_ledger(env: Env) -> None:
    await env.setup_guild(G1, 11)
    sched = await env.scheduler(config=SchedulerConfig(send=FAST, keep_ledger=dt.timedelta(days=30)))
    old_day, recent_day = DAY - dt.timedelta(days=45), DAY - dt.timedelta(days=20)
    for day in (old_day, recent_day):
        assert await env.store.claim(G2, day, NINE_PKT - (DAY - day), owner="earlier")
    first = await env.pass_at(sched, NINE_PKT)  # start() already pruned once at NINE_PKT - 1 h
    assert first.pruned == 0 and await env.store.get_post(G2, old_day) is not None
    later = await env.pass_at(sched, NINE_PKT + dt.timedelta(days=1))
    assert later.pruned == 1
    assert await env.store.get_post(G2, old_day) is None
    assert await env.store.get_post(G2, recent_day) is not None  # within keep_ledger: kept
    assert await env.store.get_post(G1, DAY) is not None  # today's post: kept
    again = await env.pass_at(sched, NINE_PKT + dt.timedelta(days=1, minutes=1))
    assert again.pruned == 0  # once a day


def test_keep_ledger_must_cover_the_days_planning_reads() -> None:
    with pytest.raises(ValueError, match="keep_ledger"):
        SchedulerConfig(send=FAST, keep_ledger=dt.timedelta(days=5))
