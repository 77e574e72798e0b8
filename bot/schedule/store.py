"""Durable state of the daily posts: settings per guild and the ledger of posts.

The ledger decides exactly-once. ``claim`` inserts the (guild, local date) row; the primary key
lets exactly one insert win across processes, engines and restarts, and only the winner posts.
Every later step is an UPDATE of that row, never a second insert.

Crash policy: a row left 'claimed' (the process died between claim and outcome) may or may not
have been posted — the send may have reached Discord. It is never re-posted. Once it is older
than ``DEFAULT_STALE_AFTER`` (15 min; longer than any send job may take, which the scheduler
checks) :meth:`ReminderStore.expire_stale_claims` turns it into 'unknown', records that as the
guild's last error, and status shows it. A shutdown that *knows* nothing was delivered instead
releases its claim (deletes the row) so the next run posts it: :meth:`ReminderStore.release_claim`.

SQLite: WAL journal, ``synchronous=FULL`` (a claim must survive power loss, or a restart could
post again), and every transaction starts with ``BEGIN IMMEDIATE`` so writers in other processes
wait on the busy timeout instead of failing with "database is locked" when a read lock cannot be
upgraded; this process's own transactions queue on an asyncio lock. PostgreSQL:
``INSERT ... ON CONFLICT DO NOTHING RETURNING`` is atomic under READ COMMITTED.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import sqlite3
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from . import planner
from .ledger import DEFAULT_STALE_AFTER, LedgerStore, MissedSlot, now_utc
from .migrations import migrate
from .models import (
    DEFAULT_TIMEZONE,
    EMPTY_DAYS,
    MAX_UPCOMING_DAYS,
    GuildSettings,
    ReminderStatus,
    settings_table,
)
from .planner import InvalidSetting

__all__ = ["DEFAULT_STALE_AFTER", "MissedSlot", "ReminderStore", "next_pending_slot", "normalize_url", "shard_of"]

log = logging.getLogger(__name__)

_SQLITE_BUSY_TIMEOUT_S: Final = 30.0
_PG_CONNECT_TIMEOUT_S: Final = 10.0


def normalize_url(url: str) -> str:
    """Accept the spellings operators paste; return an async SQLAlchemy URL.

    ``postgres://`` and ``postgresql://`` become ``postgresql+asyncpg://``; ``sqlite:///`` becomes
    ``sqlite+aiosqlite:///``; a plain filesystem path is a SQLite file.
    """
    url = url.strip()
    if "://" not in url:
        return f"sqlite+aiosqlite:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    scheme = {"postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}.get(
        scheme, scheme
    )
    return f"{scheme}://{rest}"


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's shard formula."""
    return (guild_id >> 22) % shard_count


def _validate_settings(
    channel_id: int, time: str, timezone: str, upcoming_days: int, empty_days: str
) -> None:
    if channel_id <= 0:
        raise InvalidSetting("channel id must be a positive integer")
    planner.parse_time(time)
    planner.get_zone(timezone)
    if not 0 <= upcoming_days <= MAX_UPCOMING_DAYS:
        raise InvalidSetting(f"upcoming days must be between 0 and {MAX_UPCOMING_DAYS}")
    if empty_days not in EMPTY_DAYS:
        raise InvalidSetting("empty days must be 'silent' or 'note'")


class ReminderStore(LedgerStore):
    """Async access to settings and the post ledger. Create with :meth:`open`; share one per process."""

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    async def open(cls, url: str, *, echo: bool = False) -> ReminderStore:
        """Connect, create the SQLite folder if needed, and apply pending migrations."""
        full = normalize_url(url)
        parsed = make_url(full)
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": parsed.get_backend_name() == "postgresql"}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                raise ValueError("use a SQLite file, not :memory: (each connection would see its own database)")
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": _SQLITE_BUSY_TIMEOUT_S}
        else:  # a server that does not answer fails a connection in 10 s, not asyncpg's 60
            kwargs["connect_args"] = {"timeout": _PG_CONNECT_TIMEOUT_S}
        engine = create_async_engine(full, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            _configure_sqlite(engine)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    async def close(self) -> None:
        await self._engine.dispose()

    async def ping(self) -> None:
        """One round trip to the database (``SELECT 1``); raises when it cannot be reached."""
        async with self._engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    # -- settings ----------------------------------------------------------------------------

    async def upsert_settings(
        self,
        guild_id: int,
        *,
        channel_id: int | None = None,
        time: str | None = None,
        timezone: str | None = None,
        upcoming_days: int | None = None,
        empty_days: str | None = None,
        now: dt.datetime | None = None,
    ) -> GuildSettings:
        """Create or change a guild's settings; ``None`` keeps the current value (or the default).

        Setting again always unpauses and resets the failure count: it is how an admin says
        "fixed it". A new guild needs ``channel_id`` and ``time``.
        """
        now = now or now_utc()
        async with self._tx() as conn:
            old = await self._get(conn, guild_id, for_update=True)
            if old is None:
                if channel_id is None or time is None:
                    raise InvalidSetting("a channel and a time are needed to turn daily posts on")
                base = (channel_id, time, DEFAULT_TIMEZONE, 0, "silent")
            else:
                base = (old.channel_id, old.time, old.timezone, old.upcoming_days, old.empty_days)
            new_channel = base[0] if channel_id is None else channel_id
            new_time = planner.parse_time(base[1] if time is None else time).strftime("%H:%M")
            new_zone = base[2] if timezone is None else timezone
            new_upcoming = base[3] if upcoming_days is None else upcoming_days
            new_empty = base[4] if empty_days is None else empty_days
            _validate_settings(new_channel, new_time, new_zone, new_upcoming, new_empty)
            moved = old is None or old.paused or old.time != new_time or old.timezone != new_zone
            values = {
                "guild_id": guild_id,
                "channel_id": new_channel,
                "post_time": new_time,
                "timezone": new_zone,
                "upcoming_days": new_upcoming,
                "empty_days": new_empty,
                "paused": False,
                "pause_reason": None,
                "consecutive_failures": 0,
                "active_since": now if moved or old is None else old.active_since,
                "updated_at": now,
            }
            stmt = self._insert(settings_table).values(
                **values,
                last_error=None,
                last_error_at=None,
                last_post_at=None,
                last_post_local_date=None,
                last_message_id=None,
                created_at=now,
            )
            stmt = stmt.on_conflict_do_update(index_elements=[settings_table.c.guild_id], set_=values)
            await conn.execute(stmt)
            got = await self._get(conn, guild_id)
        assert got is not None
        return got

    async def _get(self, conn: AsyncConnection, guild_id: int, *, for_update: bool = False) -> GuildSettings | None:
        q = sa.select(settings_table).where(settings_table.c.guild_id == guild_id)
        if for_update and self.backend == "postgresql":
            q = q.with_for_update()
        row = (await conn.execute(q)).first()
        return GuildSettings.from_row(row) if row else None

    async def get_settings(self, guild_id: int) -> GuildSettings | None:
        async with self._tx() as conn:
            return await self._get(conn, guild_id)

    async def delete_settings(self, guild_id: int) -> bool:
        """Forget a guild's settings (server left, or reminders turned off). The ledger is kept:
        if the server comes back the same day, it is not posted to twice."""
        async with self._tx() as conn:
            res = await conn.execute(settings_table.delete().where(settings_table.c.guild_id == guild_id))
        return bool(res.rowcount)

    async def all_settings(self) -> list[GuildSettings]:
        async with self._tx() as conn:
            rows = (await conn.execute(sa.select(settings_table).order_by(settings_table.c.guild_id))).all()
        return [GuildSettings.from_row(r) for r in rows]

    async def settings_for_shards(self, shard_ids: Collection[int], shard_count: int) -> list[GuildSettings]:
        """Settings of the guilds on these shards: ``(guild_id >> 22) % shard_count in shard_ids``."""
        if shard_count < 1 or any(not 0 <= s < shard_count for s in shard_ids):
            raise ValueError(f"shard ids {sorted(shard_ids)} do not fit shard_count={shard_count}")
        if not shard_ids:
            return []
        shard = settings_table.c.guild_id.op(">>")(sa.literal_column("22")) % shard_count
        q = sa.select(settings_table).where(shard.in_(sorted(shard_ids))).order_by(settings_table.c.guild_id)
        async with self._tx() as conn:
            rows = (await conn.execute(q)).all()
        return [GuildSettings.from_row(r) for r in rows]

    async def pause(self, guild_id: int, reason: str, *, now: dt.datetime | None = None) -> bool:
        """Stop posting for a guild, keeping its settings; shown in status with ``reason``."""
        async with self._tx() as conn:
            res = await conn.execute(
                settings_table.update()
                .where(settings_table.c.guild_id == guild_id)
                .values(paused=True, pause_reason=reason, updated_at=now or now_utc())
            )
        return bool(res.rowcount)

    async def unpause(self, guild_id: int, *, now: dt.datetime | None = None) -> bool:
        """Resume posting from the next slot after ``now`` (missed days are not owed)."""
        now = now or now_utc()
        async with self._tx() as conn:
            res = await conn.execute(
                settings_table.update()
                .where(settings_table.c.guild_id == guild_id, settings_table.c.paused.is_(True))
                .values(paused=False, pause_reason=None, consecutive_failures=0, active_since=now, updated_at=now)
            )
        return bool(res.rowcount)

    # -- status ------------------------------------------------------------------------------

    async def status(
        self,
        guild_id: int,
        *,
        now: dt.datetime | None = None,
        grace: dt.timedelta = planner.DEFAULT_GRACE,
        recent: int = 7,
    ) -> ReminderStatus | None:
        """Settings, the next post (local and UTC), last post, last error, pause, recent ledger."""
        now = now or now_utc()
        settings = await self.get_settings(guild_id)
        if settings is None:
            return None
        rows = await self.ledger(guild_id, limit=max(recent, 1))
        last = rows[0].local_date if rows else None
        slot = None if settings.paused else next_pending_slot(settings, last, now, grace)
        zone = planner.get_zone(settings.timezone)
        return ReminderStatus(
            settings=settings,
            now=now,
            next_post_local=slot.at.astimezone(zone) if slot else None,
            next_post_utc=slot.at if slot else None,
            next_post_date=slot.local_date if slot else None,
            due_now=bool(slot and slot.at <= now),
            recent=tuple(rows[:recent]),
        )


def next_pending_slot(
    settings: GuildSettings, last_date: dt.date | None, now: dt.datetime, grace: dt.timedelta
) -> planner.Slot:
    """The first slot still owed: after the newest ledger date, not before ``active_since``,
    and not yet beyond the grace window at ``now`` (those get recorded as missed instead)."""
    zone = planner.get_zone(settings.timezone)
    floor = planner.local_date_of(now - grace, zone) - dt.timedelta(days=1)
    start = max(floor, last_date + dt.timedelta(days=1)) if last_date else floor
    return planner.first_slot_from(start, max(settings.active_since, now - grace), settings.time, zone)


def _switch_to_wal(cur: Any) -> None:
    """``PRAGMA journal_mode=WAL``, retried: on a new file, processes starting together all try to
    switch it, and SQLite answers "database is locked" at once (without waiting on the busy
    timeout, to avoid a deadlock) to all but one. Once one has switched, the mode is in the file."""
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.01, 0.05))


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over BEGIN from the driver so we can say BEGIN IMMEDIATE (see module docstring).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
            _switch_to_wal(cur)
            cur.execute("PRAGMA synchronous=FULL")
        finally:
            cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
