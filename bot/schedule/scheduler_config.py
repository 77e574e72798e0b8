"""The scheduler's tunables, the report of one pass, and the small rules a pass applies (post
nonces, the late note, failure labels): plain values and functions, kept apart from the
scheduler's own state machine in :mod:`bot.schedule.scheduler`."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from . import planner
from .models import UTC, GuildSettings, LedgerEntry
from .planner import Slot
from .sender import PermanentSendError, SendPolicy, TransientSendError
from .store import DEFAULT_STALE_AFTER, MissedSlot

LateNote = Callable[[GuildSettings, Slot, dt.timedelta], str]
Compose = Callable[[int, dt.date, int, str], str | None]
"""``compose(guild_id, local_date, upcoming_days, empty_days)`` → the post, or None for nothing."""
NotifyAdmin = Callable[[int, str], Awaitable[None]]
"""``notify_admin(guild_id, text)``: tell the server's admins, where possible."""
Clock = Callable[[], dt.datetime]
"""Returns the current time as an aware UTC datetime."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def post_nonce(guild_id: int, local_date: dt.date) -> str:
    """Stable 25-character nonce for one guild's post on one date (Discord allows 25)."""
    digest = hashlib.sha256(f"safeer-otd:{guild_id}:{local_date.isoformat()}".encode()).hexdigest()
    return "otd" + digest[:22]


def human_delay(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def default_late_note(settings: GuildSettings, slot: Slot, late: dt.timedelta) -> str:
    local = slot.at.astimezone(ZoneInfo(settings.timezone))
    return (
        f"⏰ Posted late: this was due at {local:%H:%M} ({settings.timezone}), "
        f"{human_delay(late)} ago, but the bot could not post then."
    )


def describe_error(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    return str(error) or type(error).__name__


@dataclass(frozen=True)
class SchedulerConfig:
    """Tunables. ``grace``: how late a post may still go out. ``late_note_after``: lateness from
    which the post says so. ``stale_claim_after``: age at which an unfinished claim becomes
    'unknown' — must exceed the longest a send job can take. ``pause_after``: consecutive
    permanent failures before a guild is paused. ``keep_ledger``: how long rows of the post ledger
    are kept (pruned by the first pass of each day; planning only looks back ``max_missed_days``),
    so the ledger does not grow by one row per server per day for ever."""

    grace: dt.timedelta = planner.DEFAULT_GRACE
    late_note_after: dt.timedelta = dt.timedelta(minutes=10)
    stale_claim_after: dt.timedelta = DEFAULT_STALE_AFTER
    max_missed_days: int = 7
    pause_after: int = 3
    refresh_every: dt.timedelta = dt.timedelta(minutes=10)
    max_length: int = 2000
    send: SendPolicy = field(default_factory=SendPolicy)
    keep_ledger: dt.timedelta = dt.timedelta(days=400)

    def __post_init__(self) -> None:
        if self.grace < dt.timedelta(0) or self.late_note_after < dt.timedelta(0):
            raise ValueError("grace and late_note_after must not be negative")
        if self.max_missed_days < 0 or self.pause_after < 1 or self.max_length < 100:
            raise ValueError("max_missed_days >= 0, pause_after >= 1, max_length >= 100")
        if self.keep_ledger < dt.timedelta(days=self.max_missed_days + 3):
            raise ValueError("keep_ledger must cover max_missed_days and a few more: planning reads that far back")
        longest_job = self.send.deadline + self.send.attempt_timeout + 60  # + a minute for claim and records
        if self.stale_claim_after.total_seconds() <= longest_job:
            raise ValueError(
                f"stale_claim_after ({self.stale_claim_after}) must exceed the longest send job "
                f"({longest_job:g} s), or a post still being sent could be reported 'unknown'"
            )


@dataclass
class PassReport:
    """What one pass did (for logs and tests)."""

    now: dt.datetime
    enqueued: list[tuple[int, dt.date]] = field(default_factory=list)
    missed: list[MissedSlot] = field(default_factory=list)
    expired: list[LedgerEntry] = field(default_factory=list)
    pruned: int = 0  # ledger rows older than keep_ledger deleted (first pass of each day)


def failure_reason(error: BaseException | None) -> str:
    """A short, bounded label: ``http_403``, ``http_404``, ``retries_exhausted``, ``other``."""
    if isinstance(error, PermanentSendError):
        return f"http_{error.status}"
    if isinstance(error, TransientSendError):
        return "retries_exhausted"
    return "other"


def schedule_key(s: GuildSettings) -> tuple[object, ...]:
    return (s.channel_id, s.time, s.timezone, s.upcoming_days, s.empty_days, s.paused, s.active_since, s.updated_at)


def later(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
