"""Schema versions, applied in order at start-up and recorded in ``schema_version``.

Why not Alembic: the schema is two tables, migrations only go forward, and the bot must migrate
itself on start against either SQLite or PostgreSQL with no operator step. A numbered list of
functions run in one transaction under a lock is ~80 lines we fully understand; Alembic would add
a dependency, an ``env.py``, async plumbing and a CLI workflow for no gain at this size. If the
schema grows branches or needs downgrades, switch then.

Rules for adding a migration: append ``Migration(n + 1, ...)``; never edit a released one (its
tables are frozen copies here, deliberately not :mod:`bot.schedule.models`); keep
:mod:`bot.schedule.models` in step (``test_models_match_migrations`` checks).

Concurrency: every migration runs in one transaction that first takes a lock — a PostgreSQL
advisory lock, or SQLite's write lock (``BEGIN IMMEDIATE``, see :mod:`bot.schedule.store`) — so
two processes starting together apply each version exactly once. Code older than the database
refuses to start rather than write rows a newer schema does not expect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .models import UTCDateTime

# Arbitrary constant: "safeer-reminders" as the key of pg_advisory_xact_lock.
_PG_LOCK_KEY: Final = 0x5AFE_E2_0001

_version_meta = sa.MetaData()
schema_version_table = sa.Table(
    "schema_version",
    _version_meta,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)


class SchemaTooNew(RuntimeError):
    """The database was migrated by newer code; running older code against it is refused."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    upgrade: Callable[[sa.Connection], None]


def _v1(conn: sa.Connection) -> None:
    """Settings per guild and the post ledger (frozen copy of the version-1 tables)."""
    meta = sa.MetaData()
    sa.Table(
        "reminder_settings",
        meta,
        sa.Column("guild_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("channel_id", sa.BigInteger, nullable=False),
        sa.Column("post_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("upcoming_days", sa.SmallInteger, nullable=False),
        sa.Column("empty_days", sa.String(8), nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("pause_reason", sa.Text),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", UTCDateTime),
        sa.Column("last_post_at", UTCDateTime),
        sa.Column("last_post_local_date", sa.Date),
        sa.Column("last_message_id", sa.BigInteger),
        sa.Column("active_since", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("upcoming_days BETWEEN 0 AND 30", name="ck_reminder_settings_upcoming_days"),
        sa.CheckConstraint("empty_days IN ('silent', 'note')", name="ck_reminder_settings_empty_days"),
    )
    sa.Table(
        "reminder_posts",
        meta,
        sa.Column("guild_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("local_date", sa.Date, primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("channel_id", sa.BigInteger),
        sa.Column("scheduled_at", UTCDateTime, nullable=False),
        sa.Column("claimed_at", UTCDateTime),
        sa.Column("claimed_by", sa.String(80)),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.CheckConstraint(
            "status IN ('claimed', 'sent', 'failed', 'skipped', 'unknown')", name="ck_reminder_posts_status"
        ),
        sa.Index("ix_reminder_posts_status_claimed_at", "status", "claimed_at"),
    )
    meta.create_all(conn)


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "reminder settings and post ledger", _v1),
)


async def current_version(conn: AsyncConnection) -> int:
    """The highest applied version, 0 for an empty database."""
    has_table = await conn.run_sync(lambda c: sa.inspect(c).has_table("schema_version"))
    if not has_table:
        return 0
    found = await conn.scalar(sa.select(sa.func.max(schema_version_table.c.version)))
    return int(found or 0)


async def migrate(engine: AsyncEngine, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the pending migrations; return the versions applied now (empty when up to date)."""
    ordered = sorted(migrations, key=lambda m: m.version)
    if [m.version for m in ordered] != list(range(1, len(ordered) + 1)):
        raise ValueError("migration versions must be 1, 2, 3, ... without gaps")
    applied: list[int] = []
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        await conn.run_sync(lambda c: _version_meta.create_all(c, checkfirst=True))
        done = await current_version(conn)
        if done > len(ordered):
            raise SchemaTooNew(
                f"database schema is version {done} but this code knows only up to {len(ordered)}; "
                "upgrade the bot instead of running an older build against this database"
            )
        for m in ordered[done:]:
            await conn.run_sync(m.upgrade)
            await conn.execute(
                schema_version_table.insert().values(
                    version=m.version, description=m.description, applied_at=dt.datetime.now(dt.UTC)
                )
            )
            applied.append(m.version)
    return applied
