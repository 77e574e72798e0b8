"""The store on real SQLite files and a real PostgreSQL server: migrations, settings, the ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from schedule_support import guild_on_shard

from bot.schedule import migrations
from bot.schedule.models import metadata
from bot.schedule.planner import InvalidSetting
from bot.schedule.store import MissedSlot, ReminderStore, normalize_url, shard_of

UTC = dt.UTC
T0 = dt.datetime(2025, 5, 1, 3, 0, tzinfo=UTC)  # 08:00 in Karachi
DAY = dt.date(2025, 5, 1)
ROOT = Path(__file__).resolve().parents[2]
G = guild_on_shard(0, 1)


async def test_migrations_are_idempotent(db_url: str) -> None:
    first = await ReminderStore.open(db_url)
    await first.close()
    second = await ReminderStore.open(db_url)  # opening again applies nothing and loses nothing
    try:
        assert await migrations.migrate(second.engine) == []
        async with second.engine.connect() as conn:
            rows = (await conn.execute(sa.select(migrations.schema_version_table.c.version))).scalars().all()
        assert rows == [m.version for m in migrations.MIGRATIONS]
    finally:
        await second.close()


async def test_concurrent_first_start_migrates_once(db_url: str) -> None:
    stores = await asyncio.gather(*(ReminderStore.open(db_url) for _ in range(4)))
    try:
        async with stores[0].engine.connect() as conn:
            n = await conn.scalar(sa.select(sa.func.count()).select_from(migrations.schema_version_table))
        assert n == len(migrations.MIGRATIONS)
    finally:
        for s in stores:
            await s.close()


async def test_models_match_migrations(store: ReminderStore) -> None:
    async with store.engine.connect() as conn:
        cols = await conn.run_sync(
            lambda c: {t: {col["name"] for col in sa.inspect(c).get_columns(t)} for t in metadata.tables}
        )
    for name, table in metadata.tables.items():
        assert cols[name] == {c.name for c in table.columns}, name


async def test_newer_schema_is_refused(db_url: str) -> None:
    s = await ReminderStore.open(db_url)
    async with s.engine.begin() as conn:
        await conn.execute(migrations.schema_version_table.insert().values(version=99, description="future", applied_at=T0))
    await s.close()
    with pytest.raises(migrations.SchemaTooNew):
        await ReminderStore.open(db_url)


async def test_sqlite_folder_is_created_and_file_is_wal(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "r.sqlite3"
    s = await ReminderStore.open(str(path))  # a bare path means SQLite
    try:
        assert path.exists()
        async with s.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        await s.close()


def test_url_spellings() -> None:
    assert normalize_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalize_url("postgresql://u@h:5/db") == "postgresql+asyncpg://u@h:5/db"
    assert normalize_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalize_url("sqlite:///x/y.db") == "sqlite+aiosqlite:///x/y.db"
    assert normalize_url("/tmp/x.db") == "sqlite+aiosqlite:////tmp/x.db"


async def test_settings_defaults_update_and_delete(store: ReminderStore) -> None:
    s = await store.upsert_settings(G, channel_id=77, time="9:00".zfill(5), now=T0)
    assert (s.channel_id, s.time, s.timezone, s.upcoming_days, s.empty_days, s.paused) == (
        77, "09:00", "Asia/Karachi", 0, "silent", False)
    assert s.active_since == T0 and s.created_at == T0
    later = T0 + dt.timedelta(hours=1)
    s2 = await store.upsert_settings(G, channel_id=78, upcoming_days=3, now=later)
    assert (s2.channel_id, s2.time, s2.upcoming_days) == (78, "09:00", 3)
    assert s2.active_since == T0, "changing the channel does not move the schedule"
    s3 = await store.upsert_settings(G, time="10:30", timezone="Europe/Berlin", now=later)
    assert s3.active_since == later and s3.created_at == T0
    assert await store.get_settings(G) == s3
    assert await store.delete_settings(G)
    assert await store.get_settings(G) is None
    assert not await store.delete_settings(G)


@pytest.mark.parametrize(
    "fields",
    [
        {"channel_id": 1, "time": "25:00"},
        {"channel_id": 1, "time": "09:00", "timezone": "Nowhere/City"},
        {"channel_id": 1, "time": "09:00", "upcoming_days": 31},
        {"channel_id": 1, "time": "09:00", "empty_days": "loud"},
        {"time": "09:00"},
    ],
)
async def test_invalid_settings_are_refused(store: ReminderStore, fields: dict[str, object]) -> None:
    with pytest.raises(InvalidSetting):
        await store.upsert_settings(G, **fields)  # type: ignore[arg-type]
    assert await store.get_settings(G) is None


async def test_pause_and_set_again_unpauses(store: ReminderStore) -> None:
    await store.upsert_settings(G, channel_id=1, time="09:00", now=T0)
    for _ in range(2):
        await store.mark_failed(G, DAY, "403", permanent=True)
    assert await store.pause(G, "too many failures", now=T0)
    s = await store.get_settings(G)
    assert s is not None and s.paused and s.pause_reason == "too many failures" and s.consecutive_failures == 2
    later = T0 + dt.timedelta(days=1)
    s = await store.upsert_settings(G, now=later)
    assert not s.paused and s.pause_reason is None and s.consecutive_failures == 0 and s.active_since == later
    assert await store.pause(G, "again")
    assert await store.unpause(G, now=later)
    assert not await store.unpause(G)


async def test_claim_is_exactly_once_across_engines(store: ReminderStore, store2: ReminderStore) -> None:
    days = [DAY + dt.timedelta(days=k) for k in range(20)]
    for day in days:
        results = await asyncio.gather(*(s.claim(G, day, T0, owner=f"o{i}") for i, s in enumerate([store, store2] * 4)))
        assert sum(results) == 1
    assert await store.count_posts("claimed") == len(days)


async def test_claim_is_exactly_once_across_processes(db_url: str, store: ReminderStore) -> None:
    """Two OS processes race to claim the same 60 slots (in opposite orders): one winner each."""
    code = textwrap.dedent(
        """
        import asyncio, datetime as dt, sys, time
        from bot.schedule.store import ReminderStore
        async def main():
            s = await ReminderStore.open(sys.argv[1])
            await asyncio.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # start together
            won = []
            order = range(60) if sys.argv[2] == "p0" else range(59, -1, -1)  # meet in the middle
            for k in order:
                day = dt.date(2025, 1, 1) + dt.timedelta(days=k)
                if await s.claim(42, day, dt.datetime(2025, 1, 1, tzinfo=dt.UTC), owner=sys.argv[2]):
                    won.append(k)
            await s.close()
            print(",".join(map(str, won)))
        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    go = str(time.time() + 1.5)
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", code, db_url, f"p{i}", go, env=env,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for i in range(2)
    ]
    outs = [await p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), [e.decode()[-2000:] for _, e in outs]
    won = [int(x) for out, _ in outs for x in out.decode().strip().split(",") if x]
    assert sorted(won) == list(range(60))


async def test_outcomes_update_ledger_and_settings(store: ReminderStore) -> None:
    await store.upsert_settings(G, channel_id=1, time="09:00", now=T0)
    assert await store.claim(G, DAY, T0, channel_id=1, owner="me", now=T0)
    assert not await store.claim(G, DAY, T0, owner="other")
    assert await store.mark_sent(G, DAY, 555, attempts=2, note="late", sent_at=T0)
    row = await store.get_post(G, DAY)
    assert row is not None and (row.status, row.message_id, row.attempts, row.note, row.claimed_by) == (
        "sent", 555, 2, "late", "me")
    s = await store.get_settings(G)
    assert s is not None and (s.last_post_at, s.last_post_local_date, s.last_message_id) == (T0, DAY, 555)

    day2 = DAY + dt.timedelta(days=1)
    assert await store.claim(G, day2, T0)
    assert await store.mark_failed(G, day2, "500 gave up", permanent=False, attempts=5) == 0
    day3 = DAY + dt.timedelta(days=2)
    assert await store.claim(G, day3, T0)
    assert await store.mark_failed(G, day3, "403 (50013): Missing Permissions", permanent=True) == 1
    row = await store.get_post(G, day3)
    assert row is not None and row.status == "failed" and row.error == "permanent: 403 (50013): Missing Permissions"
    s = await store.get_settings(G)
    assert s is not None and s.last_error == "403 (50013): Missing Permissions" and s.consecutive_failures == 1

    day4 = DAY + dt.timedelta(days=3)
    assert await store.claim(G, day4, T0)
    assert await store.mark_skipped(G, day4, "skipped: no events to post")
    assert (await store.get_post(G, day4)).status == "skipped"  # type: ignore[union-attr]
    assert await store.last_dates([G]) == {G: day4}


async def test_record_missed_never_overwrites_a_claim(store: ReminderStore) -> None:
    assert await store.claim(G, DAY, T0, owner="busy")
    missed = [MissedSlot(G, DAY, T0, "missed"), MissedSlot(G, DAY + dt.timedelta(days=1), T0, "missed")]
    assert await store.record_missed(missed) == 1
    assert (await store.get_post(G, DAY)).status == "claimed"  # type: ignore[union-attr]
    many = [MissedSlot(10_000 + k, DAY, T0, "missed") for k in range(1200)]  # more than one chunk
    assert await store.record_missed(many) == 1200


async def test_stale_claims_become_unknown_and_are_not_reclaimed(store: ReminderStore) -> None:
    await store.upsert_settings(G, channel_id=1, time="09:00", now=T0)
    assert await store.claim(G, DAY, T0, owner="crashed", now=T0)
    assert await store.expire_stale_claims(dt.timedelta(minutes=15), now=T0 + dt.timedelta(minutes=10)) == []
    expired = await store.expire_stale_claims(dt.timedelta(minutes=15), now=T0 + dt.timedelta(minutes=16))
    assert [(e.guild_id, e.local_date, e.status) for e in expired] == [(G, DAY, "unknown")]
    assert not await store.claim(G, DAY, T0)
    s = await store.get_settings(G)
    assert s is not None and s.last_error is not None and "unknown" in s.last_error
    # If the send did succeed and its outcome arrives late, the truth wins.
    assert await store.mark_sent(G, DAY, 9, sent_at=T0)
    assert (await store.get_post(G, DAY)).status == "sent"  # type: ignore[union-attr]


async def test_release_only_our_own_open_claim(store: ReminderStore) -> None:
    assert await store.claim(G, DAY, T0, owner="a")
    assert not await store.release_claim(G, DAY, "b")
    assert await store.release_claim(G, DAY, "a")
    assert await store.claim(G, DAY, T0, owner="b")


async def test_shard_filtering(store: ReminderStore) -> None:
    ids = {shard: [guild_on_shard(shard, 4, n) for n in range(3)] for shard in range(4)}
    for shard_ids in ids.values():
        for g in shard_ids:
            await store.upsert_settings(g, channel_id=1, time="09:00")
    assert all(shard_of(g, 4) == s for s, gs in ids.items() for g in gs)
    got = await store.settings_for_shards([1, 3], 4)
    assert sorted(s.guild_id for s in got) == sorted(ids[1] + ids[3])
    assert await store.settings_for_shards([], 4) == []
    assert len(await store.all_settings()) == 12
    big = (2**62) | 5  # snowflakes use all 63 bits
    await store.upsert_settings(big, channel_id=1, time="09:00")
    got = await store.settings_for_shards([shard_of(big, 16)], 16)
    assert big in {s.guild_id for s in got}
    with pytest.raises(ValueError):
        await store.settings_for_shards([4], 4)


async def test_status_shows_next_last_error_and_pause(store: ReminderStore) -> None:
    await store.upsert_settings(G, channel_id=1, time="09:00", now=T0)  # set at 08:00 local
    st = await store.status(G, now=T0)
    assert st is not None
    assert st.next_post_date == DAY and st.next_post_utc == dt.datetime(2025, 5, 1, 4, 0, tzinfo=UTC)
    assert st.next_post_local is not None and st.next_post_local.strftime("%H:%M %Z") == "09:00 PKT"
    assert not st.due_now and not st.paused and st.recent == ()
    # Past 09:00 and not yet posted: still owed today, due now.
    st = await store.status(G, now=T0 + dt.timedelta(hours=1, minutes=5))
    assert st is not None and st.next_post_date == DAY and st.due_now
    assert await store.claim(G, DAY, T0)
    await store.mark_sent(G, DAY, 1, sent_at=T0 + dt.timedelta(hours=1))
    st = await store.status(G, now=T0 + dt.timedelta(hours=2))
    assert st is not None and st.next_post_date == DAY + dt.timedelta(days=1) and not st.due_now
    assert st.settings.last_post_local_date == DAY and [r.status for r in st.recent] == ["sent"]
    await store.pause(G, "paused after 3 failed posts")
    st = await store.status(G, now=T0 + dt.timedelta(hours=2))
    assert st is not None and st.paused and st.next_post_utc is None
    assert await store.status(12345) is None


async def test_only_pending_migrations_run_in_order(store: ReminderStore) -> None:
    calls: list[int] = []

    def v2(conn: sa.Connection) -> None:
        calls.append(2)
        conn.exec_driver_sql("CREATE TABLE extra_v2 (id INTEGER PRIMARY KEY)")

    def v3(conn: sa.Connection) -> None:
        calls.append(3)
        conn.exec_driver_sql("ALTER TABLE extra_v2 ADD COLUMN note TEXT")

    more = (*migrations.MIGRATIONS, migrations.Migration(2, "extra", v2), migrations.Migration(3, "more", v3))
    assert await migrations.migrate(store.engine, more) == [2, 3]
    assert await migrations.migrate(store.engine, more) == []
    assert calls == [2, 3]
    with pytest.raises(ValueError, match="without gaps"):
        await migrations.migrate(store.engine, (*more, migrations.Migration(5, "gap", v3)))
