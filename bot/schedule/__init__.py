"""Daily "on this day" posts per Discord server, as a library with no Discord code in it.

* :mod:`.store` — settings and the post ledger (SQLite or PostgreSQL); the ledger's claim is
  what makes each post happen at most once.
* :mod:`.planner` — pure date/time rules: when a slot is due, DST gaps and repeats, grace.
* :mod:`.scheduler` — one per-minute APScheduler pass that queues what is due and catches up.
* :mod:`.sender` — the rate-limited, retrying queue in front of an injected ``PostSender``.

The Discord layer provides a ``PostSender``, a ``compose`` function and optionally
``notify_admin``, and wires it like this::

    # setup_hook
    store = await ReminderStore.open(settings.database_url)  # DATABASE_URL, or .safeer/safeer.sqlite3
    sched = ReminderScheduler(store, sender, compose, shard_ids=settings.shard_ids,
                              shard_count=settings.shard_count or 1, notify_admin=notify)
    await sched.start()
    # /reminders set|off|status|preview|test
    await sched.configure(guild_id, channel_id=..., time="09:00", timezone="Asia/Karachi")
    await sched.turn_off(guild_id); await sched.status(guild_id); await sched.send_test(guild_id)
    # (/reminders preview is bot.core.queries.daily_preview: it needs no scheduler)
    # on_guild_remove
    await sched.guild_removed(guild_id)
    # close()
    await sched.stop(); await store.close()
"""

from .models import GuildSettings, LedgerEntry, ReminderStatus
from .planner import DEFAULT_GRACE, InvalidSetting, Slot
from .scheduler import Compose, NotifyAdmin, PassReport, ReminderScheduler, SchedulerConfig
from .sender import PermanentSendError, PostSender, SendError, SendPolicy, SendQueue, TransientSendError
from .store import ReminderStore, normalize_url, shard_of

__all__ = [
    "DEFAULT_GRACE",
    "Compose",
    "GuildSettings",
    "InvalidSetting",
    "LedgerEntry",
    "NotifyAdmin",
    "PassReport",
    "PermanentSendError",
    "PostSender",
    "ReminderScheduler",
    "ReminderStatus",
    "ReminderStore",
    "SchedulerConfig",
    "SendError",
    "SendPolicy",
    "SendQueue",
    "Slot",
    "TransientSendError",
    "normalize_url",
    "shard_of",
]
