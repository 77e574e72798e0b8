"""Test doubles at the boundary: a controllable clock and an in-memory Discord (counting sender)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.schedule.sender import PermanentSendError, TransientSendError

UTC = dt.UTC


class FakeClock:
    """Callable clock returning an aware UTC time that only moves when told."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, when: dt.datetime) -> dt.datetime:
        self.now = when.astimezone(UTC)
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@dataclass
class Sent:
    channel_id: int
    content: str
    nonce: str
    message_id: int
    at: float


Behaviour = Callable[[int, int], BaseException | float | None]
"""(channel_id, call number for that channel, from 1) → an error to raise, a delay to sleep, or None."""


@dataclass
class CountingSender:
    """In-memory Discord. Counts every call; dedups by nonce like ``enforce_nonce`` does.

    ``script[channel]`` is a list of per-call actions for that channel (exceptions to raise, or
    seconds to sleep before answering); when it runs out, calls succeed. ``lost_after_send``
    channels raise 502 *after* creating the message, like a gateway timeout after delivery.
    """

    script: dict[int, list[BaseException | float]] = field(default_factory=dict)
    lost_after_send: set[int] = field(default_factory=set)
    delivered: list[Sent] = field(default_factory=list)
    calls: list[tuple[int, str, float]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _by_nonce: dict[str, int] = field(default_factory=dict)
    _calls_per_channel: dict[int, int] = field(default_factory=dict)

    async def send(self, channel_id: int, content: str, *, nonce: str) -> int:
        loop = asyncio.get_running_loop()
        self.calls.append((channel_id, nonce, loop.time()))
        n = self._calls_per_channel.get(channel_id, 0) + 1
        self._calls_per_channel[channel_id] = n
        actions = self.script.get(channel_id, [])
        action = actions[n - 1] if n - 1 < len(actions) else None
        if isinstance(action, BaseException):
            raise action
        if isinstance(action, (int, float)):
            await asyncio.sleep(action)
        if nonce in self._by_nonce:  # Discord's enforce_nonce: return the first message
            return self._by_nonce[nonce]
        mid = next(self._ids)
        self._by_nonce[nonce] = mid
        self.delivered.append(Sent(channel_id, content, nonce, mid, loop.time()))
        if channel_id in self.lost_after_send:
            self.lost_after_send.discard(channel_id)
            raise TransientSendError(502, None, "Bad Gateway (after delivery)")
        return mid

    def posts_to(self, channel_id: int) -> list[Sent]:
        return [s for s in self.delivered if s.channel_id == channel_id]


def forbidden() -> PermanentSendError:
    return PermanentSendError(403, 50013, "Missing Permissions")


def unknown_channel() -> PermanentSendError:
    return PermanentSendError(404, 10003, "Unknown Channel")


def rate_limited(retry_after: float = 0.05) -> TransientSendError:
    return TransientSendError(429, retry_after, "You are being rate limited.")


def server_error(status: int = 500) -> TransientSendError:
    return TransientSendError(status, None, "Internal Server Error")


def compose_stub(guild_id: int, local_date: dt.date, upcoming_days: int, empty_days: str) -> str | None:
    """Content that names its guild and date, so tests can see what was posted for which day."""
    return f"On this day {local_date.isoformat()} for {guild_id} (upcoming {upcoming_days})"


def guild_on_shard(shard: int, shard_count: int, n: int = 0) -> int:
    """A plausible snowflake whose shard is ``shard``."""
    return ((250_000 * shard_count + n * shard_count + shard) << 22) | 12345
