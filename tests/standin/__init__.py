"""A local stand-in for Discord (REST API v10 and gateway), a product of its own with its own tests.

The bot's end-to-end tests (``tests/e2e``) and ``benchmarks/bench_bot.py`` drive the real bot against
it; ``test_standin.py`` proves it against a tiny real discord.py client (``mini_bot.py``). See
``discord_standin.py`` for how to drive and observe it.
"""

from .discord_standin import (
    DiscordStandIn,
    Fault,
    GatewayEvent,
    OptionValue,
    RecordedPart,
    RecordedRequest,
    SentInteraction,
    SentMessage,
)
from .process import BotExited, BotProcess, client_env
from .standin_checks import PayloadChecker
from .standin_world import World

__all__ = [
    "BotExited",
    "BotProcess",
    "DiscordStandIn",
    "Fault",
    "GatewayEvent",
    "OptionValue",
    "PayloadChecker",
    "RecordedPart",
    "RecordedRequest",
    "SentInteraction",
    "SentMessage",
    "World",
    "client_env",
]
