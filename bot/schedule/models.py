"""Tables and value types of the daily-post engine.

The tables are SQLAlchemy Core (not ORM): every write is one explicit statement whose effect on
concurrent writers is easy to reason about, which is what exactly-once depends on. The column
set here must match what :mod:`bot.schedule.migrations` builds; a test checks they agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

UTC: Final = dt.UTC

DEFAULT_TIMEZONE: Final = "Asia/Karachi"
EmptyDays = Literal["silent", "note"]
EMPTY_DAYS: Final = ("silent", "note")
MAX_UPCOMING_DAYS: Final = 30

PostStatus = Literal["claimed", "sent", "failed", "skipped", "unknown"]
POST_STATUSES: Final = ("claimed", "sent", "failed", "skipped", "unknown")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zones, so it stores naive UTC; PostgreSQL uses ``timestamptz``. Naive
    datetimes are refused on the way in: a naive value is where wrong-by-five-hours bugs start.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

settings_table = sa.Table(
    "reminder_settings",
    metadata,
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
    # Slots before this instant are neither posted nor reported missed: see GuildSettings.
    sa.Column("active_since", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

posts_table = sa.Table(
    "reminder_posts",
    metadata,
    # The primary key *is* the exactly-once rule: one row per guild per local date.
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
    sa.Index("ix_reminder_posts_status_claimed_at", "status", "claimed_at"),
)


@dataclass(frozen=True)
class GuildSettings:
    """One server's daily-post settings, as stored.

    ``active_since`` is when the schedule last changed in a way that moves the post (created,
    time or zone changed, unpaused). Slots before it are not owed: setting 09:00 at 10:00 means
    "from tomorrow", not "post late right now".
    """

    guild_id: int
    channel_id: int
    time: str
    timezone: str
    upcoming_days: int
    empty_days: str
    paused: bool
    pause_reason: str | None
    consecutive_failures: int
    last_error: str | None
    last_error_at: dt.datetime | None
    last_post_at: dt.datetime | None
    last_post_local_date: dt.date | None
    last_message_id: int | None
    active_since: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> GuildSettings:
        m = row._mapping
        return cls(
            guild_id=m["guild_id"],
            channel_id=m["channel_id"],
            time=m["post_time"],
            timezone=m["timezone"],
            upcoming_days=m["upcoming_days"],
            empty_days=m["empty_days"],
            paused=bool(m["paused"]),
            pause_reason=m["pause_reason"],
            consecutive_failures=m["consecutive_failures"],
            last_error=m["last_error"],
            last_error_at=m["last_error_at"],
            last_post_at=m["last_post_at"],
            last_post_local_date=m["last_post_local_date"],
            last_message_id=m["last_message_id"],
            active_since=m["active_since"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
        )


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the post ledger: what was decided for one guild on one local date."""

    guild_id: int
    local_date: dt.date
    status: str
    channel_id: int | None
    scheduled_at: dt.datetime
    claimed_at: dt.datetime | None
    claimed_by: str | None
    sent_at: dt.datetime | None
    message_id: int | None
    attempts: int
    error: str | None
    note: str | None
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> LedgerEntry:
        m = row._mapping
        return cls(**{c.name: m[c.name] for c in posts_table.columns})


@dataclass(frozen=True)
class ReminderStatus:
    """Everything ``/reminders status`` shows, computed at ``now``.

    ``next_post_*`` is None while paused. ``due_now`` means the next slot's time has passed and
    the post is pending (queued, retrying, or waiting for the next per-minute pass).
    ``recent`` is the newest ledger rows first, so 'unknown', 'failed' and 'skipped' are visible.
    """

    settings: GuildSettings
    now: dt.datetime
    next_post_local: dt.datetime | None
    next_post_utc: dt.datetime | None
    next_post_date: dt.date | None
    due_now: bool
    recent: tuple[LedgerEntry, ...] = field(default_factory=tuple)

    @property
    def paused(self) -> bool:
        return self.settings.paused

    @property
    def last_error(self) -> str | None:
        return self.settings.last_error
