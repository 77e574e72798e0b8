"""Benchmark of the daily-post engine: many guilds due in the same minute, against a fake Discord.

    .venv/bin/python benchmarks/bench_schedule.py            # 10,000 guilds, 5,000 at 09:00 PKT, 50 req/s (~100 s)
    .venv/bin/python benchmarks/bench_schedule.py --quick    # 500 guilds, 250 at 09:00 PKT (~5 s)
    options: --guilds N --same-minute M --rate R --latency S --db URL --baseline-jobs K

Prints one JSON object on stdout:

* ``load``: time for ``ReminderScheduler.start()`` (read settings, plan every guild, catch-up pass)
  and the tracemalloc peak of reading and planning them (measured on a second instance).
* ``run``: the pass at the shared minute and the drain of the queue, timed from the scheduled
  instant to the last post; every due guild must be posted exactly once (``ok``), no other guild
  at all, and the fake Discord — which answers 429 like Discord would when more than ``rate``
  requests arrive within one second — must never have had to. Passes keep running every 5 s of
  the drain to show they do not post twice.
* ``slow_guild``: the send queue alone, 40 healthy posts with and without one channel that hangs
  until its attempt times out and one that fails: the time until the 40 healthy are sent, and the
  ratio of the two (about 1: a slow or failing guild does not delay the others).
* ``baseline``: the design we did not take — one APScheduler job per guild, default
  ``misfire_grace_time`` (1 s), the shared-minute jobs all due at the same instant — counting how
  many jobs APScheduler actually ran, once with trivial coroutine jobs and once with jobs doing
  20 ms of blocking work (run in its thread pool). A job that starts more than 1 s late is
  dropped as "missed", so how many run depends on machine speed and job body: a cliff.

Setup (inserting the settings rows) uses one bulk INSERT and is not part of any figure. The
scheduler's clock runs at real speed from a fake start of 08:59:58 PKT, so 09:00 comes 2 s in.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import json
import logging
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent  # noqa: E402
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # noqa: E402
from apscheduler.triggers.date import DateTrigger  # noqa: E402

from bot.schedule import planner  # noqa: E402
from bot.schedule.models import settings_table  # noqa: E402
from bot.schedule.scheduler import ReminderScheduler, SchedulerConfig  # noqa: E402
from bot.schedule.sender import Prepared, SendPolicy, SendQueue, TransientSendError  # noqa: E402
from bot.schedule.store import ReminderStore  # noqa: E402

UTC = dt.UTC
DAY = dt.date(2025, 5, 1)
KARACHI = "Asia/Karachi"
NINE = planner.slot_for(DAY, "09:00", planner.get_zone(KARACHI)).at  # 04:00 UTC
ZONES = ["Asia/Karachi", "Asia/Baku", "Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
         "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "UTC"]


class FakeDiscord:
    """Counts posts; answers 429 when more than ``rate`` requests arrive within any second."""

    def __init__(self, rate: float, latency: float, rng: random.Random) -> None:
        self.rate = rate
        self.latency = latency
        self.rng = rng
        self.stamps: list[float] = []  # accepted requests (monotonic)
        self.per_channel: Counter[int] = Counter()
        self.by_nonce: dict[str, int] = {}
        self.rejected_429 = 0
        self.first: float | None = None
        self.last: float | None = None

    async def send(self, channel_id: int, content: str, *, nonce: str) -> int:
        now = time.monotonic()
        recent = len(self.stamps) - bisect.bisect_right(self.stamps, now - 1.0)
        if recent >= self.rate:
            self.rejected_429 += 1
            raise TransientSendError(429, 1.0 / self.rate, "You are being rate limited.")
        self.stamps.append(now)
        if self.latency:
            await asyncio.sleep(self.latency * self.rng.uniform(0.5, 1.5))
        if nonce in self.by_nonce:
            return self.by_nonce[nonce]
        self.per_channel[channel_id] += 1
        mid = len(self.by_nonce) + 1
        self.by_nonce[nonce] = mid
        done = time.monotonic()
        self.first = done if self.first is None else self.first
        self.last = done
        return mid

    def max_in_any_second(self) -> int:
        best, j = 0, 0
        for i, t in enumerate(self.stamps):
            while self.stamps[j] <= t - 1.0:
                j += 1
            best = max(best, i - j + 1)
        return best


class SlowOrFailing:
    """Answers at once, except channel 1 (hangs) and channel 2 (503)."""

    async def send(self, channel_id: int, content: str, *, nonce: str) -> int:
        if channel_id == 1:
            await asyncio.sleep(30)
        if channel_id == 2:
            raise TransientSendError(503, None, "Service Unavailable")
        return channel_id


async def slow_guild(healthy: int = 40, attempt_timeout: float = 1.0) -> dict[str, Any]:
    """Seconds until ``healthy`` posts are sent, with and without a hanging and a failing channel."""
    async def run(with_slow: bool) -> float:
        queue = SendQueue(SlowOrFailing(), SendPolicy(rate=1000, concurrency=4, attempt_timeout=attempt_timeout,
                                                      max_attempts=1))
        queue.start()
        start = time.perf_counter()
        if with_slow:
            slow = [queue.submit(content=Prepared(c, "post", f"n{c}")) for c in (1, 2)]
        others = [queue.submit(content=Prepared(100 + k, "post", f"n{100 + k}")) for k in range(healthy)]
        await asyncio.gather(*others)
        seconds = time.perf_counter() - start
        if with_slow:
            await asyncio.gather(*slow)
        await queue.stop(0.1)
        return seconds

    alone, beside = await run(False), await run(True)
    return {"healthy_posts": healthy, "attempt_timeout_s": attempt_timeout, "healthy_alone_s": round(alone, 4),
            "healthy_beside_slow_s": round(beside, 4), "ratio": round(beside / max(alone, 1e-6), 2)}


def compose(guild_id: int, local_date: dt.date, upcoming_days: int, empty_days: str) -> str | None:
    return f"On this day ({local_date:%d %B}): 3 anniversaries in Pakistan–Azerbaijan relations."


def make_rows(guilds: int, same_minute: int, rng: random.Random) -> tuple[list[dict[str, Any]], set[int]]:
    """Guild settings: ``same_minute`` at 09:00 PKT, the rest spread over the day, none due near 09:00.

    All were set at 08:00 PKT, so nothing is owed from before (no catch-up noise in the figures)."""
    since = NINE - dt.timedelta(hours=1)
    rows, due = [], set()
    for k in range(guilds):
        gid = ((1_000_000 + k) << 22) | rng.randrange(1 << 22)
        if k < same_minute:
            zone, hhmm = KARACHI, "09:00"
            due.add(gid)
        else:
            while True:
                zone = rng.choice(ZONES)
                hhmm = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
                at = planner.latest_slot(NINE + dt.timedelta(hours=2), hhmm, planner.get_zone(zone)).at
                if not NINE - dt.timedelta(hours=1) <= at <= NINE + dt.timedelta(hours=2):
                    break
        rows.append({
            "guild_id": gid, "channel_id": 10_000_000 + k, "post_time": hhmm, "timezone": zone,
            "upcoming_days": 0, "empty_days": "silent", "paused": False, "consecutive_failures": 0,
            "active_since": since, "created_at": since, "updated_at": since,
        })
    return rows, due


async def seed(store: ReminderStore, rows: list[dict[str, Any]]) -> None:
    async with store.engine.begin() as conn:
        for k in range(0, len(rows), 1000):
            await conn.execute(settings_table.insert(), rows[k : k + 1000])


async def baseline(jobs: int, due_now: int, blocking: float) -> dict[str, Any]:
    """One APScheduler job per guild, default misfire grace; ``due_now`` of them due at one instant.

    ``blocking`` = 0: each job is a trivial coroutine. ``blocking`` > 0: each job is a plain
    function doing that many seconds of blocking work (a sync HTTP call or DB write), which
    APScheduler runs in its thread pool.
    """
    ran = missed = 0

    async def post_async() -> None:
        nonlocal ran
        ran += 1

    def post_blocking() -> None:
        nonlocal ran
        ran += 1
        time.sleep(blocking)

    def listen(event: JobExecutionEvent) -> None:
        nonlocal missed
        if event.code == EVENT_JOB_MISSED:
            missed += 1

    aps = AsyncIOScheduler(timezone=UTC)
    aps.add_listener(listen, EVENT_JOB_MISSED | EVENT_JOB_EXECUTED)
    aps.start(paused=True)
    t_add = time.perf_counter()
    when = dt.datetime.now(UTC) + dt.timedelta(seconds=2 + jobs / 5000)
    later = when + dt.timedelta(hours=1)
    func = post_blocking if blocking else post_async
    for k in range(jobs):
        aps.add_job(func, DateTrigger(when if k < due_now else later), id=f"guild-{k}")
    add_seconds = time.perf_counter() - t_add
    aps.resume()
    deadline = time.monotonic() + max(0.0, (when - dt.datetime.now(UTC)).total_seconds()) + 30
    while time.monotonic() < deadline and ran + missed < due_now:
        await asyncio.sleep(0.1)
    aps.shutdown(wait=False)
    return {"jobs": jobs, "due_at_same_instant": due_now, "job": f"blocking {blocking:g} s" if blocking else
            "async, trivial", "misfire_grace_time_s": 1, "ran": ran, "missed": missed,
            "add_jobs_seconds": round(add_seconds, 3)}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(20250501)
    tmp = tempfile.TemporaryDirectory(prefix="safeer-bench-")
    url = args.db or f"sqlite:///{tmp.name}/reminders.sqlite3"
    store = await ReminderStore.open(url)
    rows, due = make_rows(args.guilds, args.same_minute, rng)
    await seed(store, rows)

    discord = FakeDiscord(args.rate, args.latency, rng)
    t0 = time.monotonic()
    fake_start = NINE - dt.timedelta(seconds=2)

    def clock() -> dt.datetime:
        return fake_start + dt.timedelta(seconds=time.monotonic() - t0)

    config = SchedulerConfig(send=SendPolicy(rate=args.rate, concurrency=32))
    sched = ReminderScheduler(store, discord, compose, clock=clock, config=config)

    t_load = time.perf_counter()
    start_report = await sched.start()
    load_seconds = time.perf_counter() - t_load
    sched.apscheduler.pause()  # the benchmark plays the per-minute tick, at fake 09:00:00 exactly
    planned = len(sched._plans)

    probe = ReminderScheduler(store, discord, compose, clock=clock, config=config)
    tracemalloc.start()
    await probe.reload_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del probe

    await asyncio.sleep(max(0.0, (NINE - clock()).total_seconds()))
    pass_start = time.perf_counter()
    report = await sched.run_pass(NINE)
    pass_seconds = time.perf_counter() - pass_start
    t_scheduled = t0 + (NINE - fake_start).total_seconds()

    extra_passes = 0
    while sched.queue.pending:
        try:
            await asyncio.wait_for(sched.queue.join(), 5)
        except TimeoutError:
            await sched.run_pass()  # a tick during the drain must not post anything twice
            extra_passes += 1
    await sched.run_pass()
    extra_passes += 1
    await sched.stop()

    posted = {r["guild_id"]: r["channel_id"] for r in rows}
    per_guild = {g: discord.per_channel.get(posted[g], 0) for g in posted}
    ledger = {s: await store.count_posts(s) for s in ("sent", "claimed", "failed", "skipped", "unknown")}
    await store.close()
    tmp.cleanup()

    run: dict[str, Any] = {
        "pass_seconds": round(pass_seconds, 4),
        "enqueued_by_pass": len(report.enqueued),
        "first_post_after_s": round((discord.first or t_scheduled) - t_scheduled, 3),
        "last_post_after_s": round((discord.last or t_scheduled) - t_scheduled, 3),
        "posted_due_exactly_once": sum(1 for g in due if per_guild[g] == 1),
        "due_missing": sum(1 for g in due if per_guild[g] == 0),
        "duplicates": sum(max(0, n - 1) for n in per_guild.values()),
        "posted_not_due": sum(1 for g in per_guild if g not in due and per_guild[g]),
        "extra_passes_during_drain": extra_passes,
        "max_requests_in_any_1s_window": discord.max_in_any_second(),
        "rate_limited_429": discord.rejected_429,
        "ledger": ledger,
    }
    result: dict[str, Any] = {
        "config": {"guilds": args.guilds, "same_minute": args.same_minute, "rate_per_s": args.rate,
                   "latency_s": args.latency, "backend": url.split(":", 1)[0], "concurrency": 32},
        "load": {"start_seconds": round(load_seconds, 3), "guilds_planned": planned,
                 "catch_up_enqueued": len(start_report.enqueued),
                 "plan_peak_mib_tracemalloc": round(peak / 2**20, 2)},
        "run": run,
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    result["slow_guild"] = await slow_guild()
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # it logs one line per missed job
    jobs = args.baseline_jobs or args.guilds
    result["baseline"] = [await baseline(jobs, args.same_minute, 0.0),
                          await baseline(jobs, args.same_minute, 0.02)]
    result["ok"] = (run["posted_due_exactly_once"] == args.same_minute and run["duplicates"] == 0
                    and run["posted_not_due"] == 0 and run["rate_limited_429"] == 0
                    and ledger["sent"] == args.same_minute)
    return result


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="500 guilds, 250 in the shared minute")
    p.add_argument("--guilds", type=int, default=None)
    p.add_argument("--same-minute", type=int, default=None)
    p.add_argument("--rate", type=float, default=50.0, help="global requests per second (default 50)")
    p.add_argument("--latency", type=float, default=0.05, help="fake Discord response time, seconds (±50%%)")
    p.add_argument("--db", default=None, help="database URL (default: a temp SQLite file)")
    p.add_argument("--baseline-jobs", type=int, default=None, help="jobs in the APScheduler baseline (default: guilds)")
    a = p.parse_args(argv)
    a.guilds = a.guilds or (500 if a.quick else 10_000)
    a.same_minute = a.same_minute if a.same_minute is not None else a.guilds // 2
    if not 0 <= a.same_minute <= a.guilds:
        p.error("--same-minute must be between 0 and --guilds")
    return a


if __name__ == "__main__":
    out = asyncio.run(main(parse()))
    print(json.dumps(out, indent=2))
    sys.exit(0 if out["ok"] else 1)
