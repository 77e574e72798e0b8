"""The post ledger: one row per (guild, local date), claimed before sending, then updated with
the outcome. The claim's primary key is what makes each post happen at most once (see
:mod:`bot.schedule.store` for the crash policy and the SQLite/PostgreSQL details)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .models import UTC, LedgerEntry, posts_table, settings_table

DEFAULT_STALE_AFTER: Final = dt.timedelta(minutes=15)
_CHUNK: Final = 500  # rows per multi-row INSERT (SQLite's bound-parameter limit)


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC)


@dataclass(frozen=True)
class MissedSlot:
    """A slot to record as skipped without posting (bot was down longer than the grace window)."""

    guild_id: int
    local_date: dt.date
    scheduled_at: dt.datetime
    reason: str


class StoreBase:
    """The engine and its transactions, shared by the settings and ledger queries."""

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

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def backend(self) -> str:
        """``'sqlite'`` or ``'postgresql'``."""
        return self._engine.dialect.name

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self.backend == "postgresql" else sqlite.insert)(table)


class LedgerStore(StoreBase):
    """Claims and outcomes of daily posts."""

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
        now = now or now_utc()
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
        sent_at = sent_at or now_utc()
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
        now = now or now_utc()
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
        now = now or now_utc()
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
        now = now or now_utc()
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
        now = now or now_utc()
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
        now = now or now_utc()
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
