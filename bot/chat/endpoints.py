"""Point discord.py at another Discord-compatible server (a local stand-in in tests), or back at Discord.

discord.py has no setting for this, so :func:`configure_endpoints` patches the two places where
discord.py 2.7 decides where to connect, and nothing else:

* ``discord.http.Route.BASE`` — every REST call builds its URL from this class attribute when the
  ``Route`` is created, and that includes interaction callbacks, follow-ups and webhook edits (the
  webhook adapter uses the same ``Route``). Patching it once covers ``HTTPClient`` and webhooks.
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` — a plain ``Client`` never asks
  ``GET /gateway/bot`` for the gateway address: it connects straight to this URL, and goes back to
  it after an ``INVALIDATE_SESSION``. Resumes go to ``resume_gateway_url`` from READY, which the
  server being talked to provides itself. (``AutoShardedClient`` does call ``/gateway/bot``, which is
  answered by the server behind ``Route.BASE``, so it follows along.)

Call it before the client connects (before ``Client.start``/``login``); it only affects routes built
and connections opened afterwards. ``discord.http._set_api_version`` overwrites ``Route.BASE``, so
do not call that afterwards. Transport compression needs no patching: discord.py 2.7 asks for
``zstd-stream`` when ``zstandard`` (or Python 3.14's ``compression.zstd``) can be imported and for
``zlib-stream`` otherwise, and any server that implements the gateway answers in kind.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

__all__ = ["configure_endpoints"]

# discord.py's own values, captured before anything here changes them, so ``None`` can restore them.
_DISCORD_API_BASE: str = Route.BASE
_DISCORD_GATEWAY: yarl.URL = DiscordWebSocket.DEFAULT_GATEWAY


def _checked(url: str, schemes: tuple[str, ...], name: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"{name}: {url[:80]!r} is not a {' or '.join(schemes)} URL")
    if parts.query or parts.fragment:
        raise ValueError(f"{name}: {url[:80]!r} must not have a query or fragment")
    return url.strip()


def configure_endpoints(api_base_url: str | None, gateway_url: str | None) -> None:
    """Send REST calls to ``api_base_url`` and open the gateway at ``gateway_url``.

    ``api_base_url`` includes the API version, as Discord's does: ``http://127.0.0.1:8080/api/v10``
    (a trailing slash is dropped). ``gateway_url`` is a ``ws://`` or ``wss://`` URL; discord.py adds
    the ``v``, ``encoding`` and ``compress`` query itself. ``None`` for either restores Discord's own
    address. Raises :class:`ValueError` for a URL of the wrong scheme, so a typo fails at start-up
    rather than sending the token somewhere unexpected.
    """
    if api_base_url is None:
        Route.BASE = _DISCORD_API_BASE
    else:
        Route.BASE = _checked(api_base_url, ("http", "https"), "api_base_url").rstrip("/")
    if gateway_url is None:
        DiscordWebSocket.DEFAULT_GATEWAY = _DISCORD_GATEWAY
    else:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(_checked(gateway_url, ("ws", "wss"), "gateway_url"))
