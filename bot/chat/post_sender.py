"""Delivers scheduled posts through discord.py, translating its errors for the sending queue.

discord.py already retries 429s and 5xx a few times inside one call; what still fails here is
either permanent (403 missing permissions, 404 unknown channel: someone must fix the channel) or
transient (the queue retries later with backoff). The nonce makes a retried post idempotent.
"""

from __future__ import annotations

import logging

import aiohttp
import discord

from ..schedule.sender import PermanentSendError, TransientSendError

log = logging.getLogger(__name__)


class DiscordPostSender:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send(self, channel_id: int, content: str, *, nonce: str) -> int:
        channel = self.client.get_partial_messageable(channel_id)
        try:
            message = await channel.send(content, nonce=nonce, allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden as exc:
            raise PermanentSendError(403, exc.code, "Safeer may not post in that channel (missing permissions)") from exc
        except discord.NotFound as exc:
            raise PermanentSendError(404, exc.code, "the channel no longer exists") from exc
        except discord.RateLimited as exc:
            raise TransientSendError(429, exc.retry_after, "rate limited") from exc
        except discord.DiscordServerError as exc:
            raise TransientSendError(exc.status, None, "Discord server error") from exc
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise TransientSendError(429, None, "rate limited") from exc
            raise PermanentSendError(exc.status, exc.code, exc.text[:200] or "request refused") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientSendError(None, None, f"network: {type(exc).__name__}") from exc
        return message.id


async def notify_guild(client: discord.Client, guild_id: int, text: str) -> None:
    """Tell a server's admins something, in its system channel, where the bot may post there."""
    guild = client.get_guild(guild_id)
    channel = guild.system_channel or guild.public_updates_channel if guild else None
    if channel is None:
        log.info("guild %s: no system channel to notify (%s)", guild_id, text)
        return
    try:
        await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.info("guild %s: could not notify admins: %s", guild_id, exc)
