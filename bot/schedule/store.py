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

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from . import planner
from .migrations import migrate
from .models import (
    DEFAULT_TIMEZONE,
    EMPTY_DAYS,
    MAX_UPCOMING_DAYS,
    UTC,
    GuildSettings,
    LedgerEntry,
    ReminderStatus,
    posts_table,
    settings_table,
)
from .planner import InvalidSetting

log = logging.getLogger(__name__)

DEFAULT_STALE_AFTER: Final = dt.timedelta(minutes=15)
_SQLITE_BUSY_TIMEOUT_S: Final = 30.0
_PG_CONNECT_TIMEOUT_S: Final = 10.0
_CHUNK: Final = 500  # rows per multi-row INSERT (SQLite's bound-parameter limit)


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


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


@dataclass(frozen=True)
class MissedSlot:
    """A slot to record as skipped without posting (bot was down longer than the grace window)."""

    guild_id: int
    local_date: dt.date
    scheduled_at: dt.datetime
    reason: str


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


class ReminderStore:
    """Async access to settings and the post ledger. Create with :meth:`open`; share one per process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # SQLite allows one writer; letting our own connections queue on its busy handler means
        # sleeps of up to 100 ms each. Queue them here instead (other processes still use the
        # busy timeout). PostgreSQL needs no such lock.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncConnection]:
        """One transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        if self._write_lock is None:
            async with self._engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self._engine.begin() as conn:
            yield conn

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

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def backend(self) -> str:
        """``'sqlite'`` or ``'postgresql'``."""
        return self._engine.dialect.name

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self.backend == "postgresql" else sqlite.insert)(table)

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
        now = now or _now()
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
                .values(paused=True, pause_reason=reason, updated_at=now or _now())
            )
        return bool(res.rowcount)

    async def unpause(self, guild_id: int, *, now: dt.datetime | None = None) -> bool:
        """Resume posting from the next slot after ``now`` (missed days are not owed)."""
        now = now or _now()
        async with self._tx() as conn:
            res = await conn.execute(
                settings_table.update()
                .where(settings_table.c.guild_id == guild_id, settings_table.c.paused.is_(True))
                .values(paused=False, pause_reason=None, consecutive_failures=0, active_since=now, updated_at=now)
            )
        return bool(res.rowcount)

    # -- the ledger --------------------------------------------------------------------------

    async def claim(
        self,
        guild_id: int,
        local_date: dt.date,
        scheduled_at_utc: dt.datetime,
        *,
        channel_id: int | None = None,
        owner: str | None = None,
        now: dt.datetime | None = None,
    ) -> bool:
        """Decide to post: True for exactly one caller per (guild, local date), ever.

        False means someone (another process, an earlier run) already decided — do not post.
        An exception means nothing is known to be decided; the caller must not post either.
        """
        now = now or _now()
        stmt = (
            self._insert(posts_table)
            .values(
                guild_id=guild_id,
                local_date=local_date,
                status="claimed",
                channel_id=channel_id,
                scheduled_at=scheduled_at_utc,
                claimed_at=now,
                claimed_by=owner,
                attempts=0,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[posts_table.c.guild_id, posts_table.c.local_date])
            .returning(posts_table.c.guild_id)
        )
        async with self._tx() as conn:
            won = (await conn.execute(stmt)).first()
        return won is not None

    async def mark_sent(
        self,
        guild_id: int,
        local_date: dt.date,
        message_id: int,
        *,
        attempts: int = 1,
        note: str | None = None,
        sent_at: dt.datetime | None = None,
    ) -> bool:
        """Record a delivered post (also over 'unknown': the truth beats the guess)."""
        sent_at = sent_at or _now()
        async with self._tx() as conn:
            res = await conn.execute(
                posts_table.update()
                .where(
                    posts_table.c.guild_id == guild_id,
                    posts_table.c.local_date == local_date,
                    posts_table.c.status.in_(("claimed", "unknown")),
                )
                .values(
                    status="sent", message_id=message_id, sent_at=sent_at, attempts=attempts,
                    note=note, error=None, updated_at=sent_at,
                )
            )
            await conn.execute(
                settings_table.update()
                .where(settings_table.c.guild_id == guild_id)
                .values(
                    last_post_at=sent_at, last_post_local_date=local_date, last_message_id=message_id,
                    consecutive_failures=0,
                )
            )
        return bool(res.rowcount)

    async def mark_failed(
        self,
        guild_id: int,
        local_date: dt.date,
        error: str,
        *,
        permanent: bool,
        attempts: int = 1,
        counts: bool = True,
        now: dt.datetime | None = None,
    ) -> int:
        """Record a post that will not be delivered; return the guild's consecutive failures.

        Only permanent errors (403, 404, ...) that are the server's to fix (``counts``) add to
        the count that pauses a guild; transient exhaustion and our own bugs do not.
        """
        now = now or _now()
        kind = "permanent" if permanent else "transient"
        async with self._tx() as conn:
            await conn.execute(
                posts_table.update()
                .where(
                    posts_table.c.guild_id == guild_id,
                    posts_table.c.local_date == local_date,
                    posts_table.c.status.in_(("claimed", "unknown")),
                )
                .values(status="failed", error=f"{kind}: {error}", attempts=attempts, updated_at=now)
            )
            values: dict[str, Any] = {"last_error": error, "last_error_at": now}
            if permanent and counts:
                values["consecutive_failures"] = settings_table.c.consecutive_failures + 1
            row = (
                await conn.execute(
                    settings_table.update()
                    .where(settings_table.c.guild_id == guild_id)
                    .values(**values)
                    .returning(settings_table.c.consecutive_failures)
                )
            ).first()
        return int(row[0]) if row else 0

    async def mark_skipped(
        self, guild_id: int, local_date: dt.date, reason: str, *, now: dt.datetime | None = None
    ) -> bool:
        """Outcome of a claimed slot that had nothing to post (e.g. 'no events')."""
        now = now or _now()
        async with self._tx() as conn:
            res = await conn.execute(
                posts_table.update()
                .where(
                    posts_table.c.guild_id == guild_id,
                    posts_table.c.local_date == local_date,
                    posts_table.c.status == "claimed",
                )
                .values(status="skipped", note=reason, updated_at=now)
            )
        return bool(res.rowcount)

    async def record_missed(self, slots: Sequence[MissedSlot], *, now: dt.datetime | None = None) -> int:
        """Insert 'skipped' rows for slots nobody claimed; rows that exist are left alone.

        An insert, like :meth:`claim`, so it can never overwrite another process's claim.
        Returns how many rows were inserted.
        """
        now = now or _now()
        inserted = 0
        async with self._tx() as conn:
            for k in range(0, len(slots), _CHUNK):
                chunk = slots[k : k + _CHUNK]
                stmt = (
                    self._insert(posts_table)
                    .values([
                        {
                            "guild_id": m.guild_id, "local_date": m.local_date, "status": "skipped",
                            "scheduled_at": m.scheduled_at, "attempts": 0, "note": m.reason, "updated_at": now,
                        }
                        for m in chunk
                    ])
                    .on_conflict_do_nothing(index_elements=[posts_table.c.guild_id, posts_table.c.local_date])
                    .returning(posts_table.c.guild_id)
                )
                inserted += len((await conn.execute(stmt)).all())
        return inserted

    async def release_claim(self, guild_id: int, local_date: dt.date, owner: str | None) -> bool:
        """Undo our own claim when we *know* nothing was delivered, so a later run may post it."""
        async with self._tx() as conn:
            res = await conn.execute(
                posts_table.delete().where(
                    posts_table.c.guild_id == guild_id,
                    posts_table.c.local_date == local_date,
                    posts_table.c.status == "claimed",
                    posts_table.c.claimed_by == owner if owner is not None else posts_table.c.claimed_by.is_(None),
                )
            )
        return bool(res.rowcount)

    async def mark_unknown(self, guild_id: int, local_date: dt.date, note: str, *, now: dt.datetime | None = None) -> bool:
        """Our own claim whose send may or may not have reached Discord: say so, never re-post."""
        now = now or _now()
        async with self._tx() as conn:
            rows = await self._to_unknown(
                conn,
                (posts_table.c.guild_id == guild_id, posts_table.c.local_date == local_date),
                note,
                now,
            )
        return bool(rows)

    async def expire_stale_claims(
        self, older_than: dt.timedelta = DEFAULT_STALE_AFTER, *, now: dt.datetime | None = None
    ) -> list[LedgerEntry]:
        """Turn claims without an outcome for ``older_than`` into 'unknown'; never re-post them."""
        now = now or _now()
        note = "outcome unknown: the bot stopped while posting; not re-posted to avoid a duplicate"
        async with self._tx() as conn:
            return await self._to_unknown(conn, (posts_table.c.claimed_at < now - older_than,), note, now)

    async def _to_unknown(
        self, conn: AsyncConnection, where: tuple[sa.ColumnElement[bool], ...], note: str, now: dt.datetime
    ) -> list[LedgerEntry]:
        rows = (
            await conn.execute(
                posts_table.update()
                .where(posts_table.c.status == "claimed", *where)
                .values(status="unknown", note=note, updated_at=now)
                .returning(*posts_table.c)
            )
        ).all()
        entries = [LedgerEntry.from_row(r) for r in rows]
        for e in entries:
            await conn.execute(
                settings_table.update()
                .where(settings_table.c.guild_id == e.guild_id)
                .values(last_error=f"post for {e.local_date.isoformat()}: {note}", last_error_at=now)
            )
        return entries

    async def last_dates(self, guild_ids: Iterable[int] | None = None, *, since: dt.date | None = None) -> dict[int, dt.date]:
        """The newest ledger date per guild (any status), optionally only rows on/after ``since``."""
        q = sa.select(posts_table.c.guild_id, sa.func.max(posts_table.c.local_date)).group_by(posts_table.c.guild_id)
        if since is not None:
            q = q.where(posts_table.c.local_date >= since)
        wanted = None if guild_ids is None else sorted(set(guild_ids))
        if wanted is not None and len(wanted) <= _CHUNK:
            q = q.where(posts_table.c.guild_id.in_(wanted))
        async with self._tx() as conn:
            rows = (await conn.execute(q)).all()
        keep = None if wanted is None else set(wanted)
        return {g: d for g, d in rows if keep is None or g in keep}

    async def get_post(self, guild_id: int, local_date: dt.date) -> LedgerEntry | None:
        q = sa.select(posts_table).where(posts_table.c.guild_id == guild_id, posts_table.c.local_date == local_date)
        async with self._tx() as conn:
            row = (await conn.execute(q)).first()
        return LedgerEntry.from_row(row) if row else None

    async def ledger(self, guild_id: int, *, limit: int = 7) -> list[LedgerEntry]:
        """The guild's newest ledger rows first."""
        q = (
            sa.select(posts_table)
            .where(posts_table.c.guild_id == guild_id)
            .order_by(posts_table.c.local_date.desc())
            .limit(limit)
        )
        async with self._tx() as conn:
            rows = (await conn.execute(q)).all()
        return [LedgerEntry.from_row(r) for r in rows]

    async def count_posts(self, status: str | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(posts_table)
        if status is not None:
            q = q.where(posts_table.c.status == status)
        async with self._tx() as conn:
            return int(await conn.scalar(q) or 0)

    async def prune_ledger(self, before: dt.date) -> int:
        """Delete ledger rows older than ``before`` (keep at least a few days: they block re-posts)."""
        async with self._tx() as conn:
            res = await conn.execute(posts_table.delete().where(posts_table.c.local_date < before))
        return int(res.rowcount or 0)

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
        now = now or _now()
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


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over BEGIN from the driver so we can say BEGIN IMMEDIATE (see module docstring).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
