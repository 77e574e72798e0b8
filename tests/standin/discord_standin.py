"""A local stand-in for Discord (REST API v10 and gateway) so end-to-end tests never touch the real one.

One aiohttp server on 127.0.0.1 (a free port) serves ``/api/v10/...`` and the gateway websocket. The
real bot runs as a subprocess pointed at it (``env()`` gives the variables); the test drives it by
dispatching gateway events and reads back every request the bot made.

In pytest, use the ``standin`` and ``spawn_bot`` fixtures (``tests/e2e/conftest.py`` for the bot,
``tests/standin/conftest.py`` with ``mini_bot`` for the stand-in's own tests). By hand::

    async with DiscordStandIn() as standin:          # World.default(): one guild, four users
        env = standin.env()  # DISCORD_TOKEN, DISCORD_API_BASE_URL, DISCORD_GATEWAY_URL
        ...                  # start the bot with env, then:
        await standin.wait_until_ready()              # IDENTIFY done, GUILD_CREATEs sent
        sync = await standin.wait_for_command_sync()  # a PUT of the command list

Drive it (each returns a ``SentInteraction``; options are checked against the registered commands)::

    sent = await standin.send_slash_command("brief investment", {"detail": True}, user=standin.world.owner)
    sent = await standin.send_autocomplete("brief", {"topic": "inv"}, focused="topic")
    sent = await standin.send_component("page:next", message=message_id_or_object)
    sent = await standin.send_modal_submit(opened_by, {"field_custom_id": "text"})
    msg = await standin.send_message(f"{standin.bot_mention} brief investment")   # MESSAGE_CREATE
    await standin.dispatch("GUILD_UPDATE", {...})                                  # any raw event

Observe::

    cb = await standin.interaction_response(sent)        # RecordedRequest of the callback (json = body)
    ups = await standin.followups(sent, count=1)         # POST /webhooks/{app}/{token}
    req = await standin.wait_for_request(lambda r: r.method == "POST" and r.path.endswith("/messages"))
    msg = await standin.wait_for_bot_message(lambda m: "pong" in m["content"])
    standin.requests, standin.violations, standin.unknown_routes, standin.gateway_log, standin.messages
    standin.response_problems()      # self-check: the stand-in's own answers against the spec

Break things::

    standin.fail_next("POST", r"^/webhooks/", 500)                      # discord.py retries 5xx
    standin.fail_next("POST", r"/messages$", 429, retry_after=0.2)      # with Retry-After, Via etc.
    standin.fail_next("POST", r"/callback$", 404, code=10062)           # interaction expired
    standin.fail_next("*", r"^/channels/", 403)                         # 50013 Missing Permissions
    standin.expire(sent)                                                # the 3 s window has passed
    await standin.drop_gateway("close" | "reconnect" | "invalidate" | "abort", code=4000)
    await standin.wait_for_gateway("resumed")

Every JSON body the bot sends (and ``payload_json`` of multipart bodies) is checked against Discord's
OpenAPI spec and limits (``standin_checks``); problems, unknown routes and misuse (a second
acknowledgement, a follow-up before acknowledging…) are appended to ``standin.violations``; tests
end with ``assert standin.violations == []``. Realism kept on purpose: 3 s to acknowledge an
interaction (``callback_deadline``), permissions with overwrites (403 50013 when the bot may not post),
no message content without the MESSAGE_CONTENT intent unless the bot is mentioned, members in
GUILD_CREATE only with GUILD_MEMBERS, RESUME with replay of missed events, X-RateLimit-* headers on
every response, ``Via`` on 429s (discord.py treats a 429 without it as a Cloudflare ban), the first
follow-up after a deferred response replacing its "thinking…" with the deferral's visibility.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import math
import re
import secrets
import socket
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar

from aiohttp import BodyPartReader, WSMsgType, web

from .standin_checks import PayloadChecker
from .standin_world import (
    PRIVILEGED_INTENTS,
    FakeChannel,
    FakeGuild,
    FakeRole,
    FakeUser,
    Intent,
    JsonObject,
    Permission,
    World,
    fake_token,
    iso,
    snowflake,
)

__all__ = [
    "DiscordStandIn",
    "Fault",
    "GatewayEvent",
    "OptionValue",
    "RecordedPart",
    "RecordedRequest",
    "SentInteraction",
    "SentMessage",
]

log = logging.getLogger("discord_standin")
T = TypeVar("T")

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway"
RESUME_PATH = "/gateway-resume"
MAX_PROBLEMS_PER_REQUEST = 10
EPHEMERAL = 1 << 6
LOADING = 1 << 7
KEPT_MESSAGE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)  # suppress embeds/notifications, v2

ERROR_MESSAGES: dict[int, str] = {
    0: "General error",
    10003: "Unknown Channel",
    10004: "Unknown Guild",
    10007: "Unknown Member",
    10008: "Unknown Message",
    10013: "Unknown User",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    10063: "Unknown application command",
    40060: "Interaction has already been acknowledged.",
    50001: "Missing Access",
    50005: "Cannot edit a message authored by another user",
    50006: "Cannot send an empty message",
    50013: "Missing Permissions",
    50035: "Invalid Form Body",
    50109: "The request body contains invalid JSON.",
}
DEFAULT_CODES: dict[int, int] = {400: 50035, 401: 0, 403: 50013, 404: 10003, 500: 0, 502: 0, 503: 0, 504: 0}
INTERACTION_CONTEXT_GUILD, INTERACTION_CONTEXT_BOT_DM = 0, 1
# Close codes after which Discord does not let the session be resumed (sent by the server).
NON_RESUMABLE_CLOSE_CODES = {4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014}

OptionValue: TypeAlias = str | int | float | bool | FakeUser | FakeChannel | FakeRole | JsonObject


class ApiError(Exception):
    """Raised by route handlers: becomes a Discord-style error response."""

    def __init__(self, status: int, code: int, message: str | None = None) -> None:
        super().__init__(message or ERROR_MESSAGES.get(code, "Error"))
        self.status, self.code = status, code


@dataclass
class RecordedPart:
    """One part of a multipart body (``payload_json`` or ``files[n]``)."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One REST request the bot made, with the stand-in's answer."""

    index: int
    method: str
    path: str  # relative to /api/v10, e.g. "/channels/123/messages"
    query: dict[str, str]
    headers: dict[str, str]  # Authorization removed
    json: Any  # parsed JSON body, or payload_json of a multipart body; None without a body
    parts: list[RecordedPart] = field(default_factory=list)
    template: str | None = None  # the spec's path template, when the path is in the spec
    authorized: bool = False  # carried "Authorization: Bot <the stand-in's token>"
    status: int = 0
    response: Any = None
    fault: bool = False  # answered by fail_next()
    time: float = field(default_factory=time.monotonic)

    @property
    def files(self) -> list[RecordedPart]:
        return [p for p in self.parts if p.filename is not None]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __str__(self) -> str:
        return f"#{self.index} {self.method} {self.path} -> {self.status}{' (injected)' if self.fault else ''}"


@dataclass
class Fault:
    """An injected failure; see :meth:`DiscordStandIn.fail_next`."""

    method: str
    pattern: re.Pattern[str]
    status: int
    code: int | None
    message: str | None
    remaining: int
    retry_after: float
    is_global: bool
    hits: list[RecordedRequest] = field(default_factory=list)

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method in ("*", method) and self.pattern.search(path) is not None


@dataclass
class GatewayEvent:
    """One entry of ``gateway_log``: connect, identify, ready, resume, resumed, invalid_session,
    heartbeat, dispatch, presence_update, request_guild_members, voice_state_update, drop (by the
    test), disconnect."""

    kind: str
    detail: JsonObject
    time: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class SentInteraction:
    """An INTERACTION_CREATE the stand-in dispatched."""

    id: str
    token: str
    type: int
    payload: JsonObject


@dataclass(frozen=True)
class SentMessage:
    """A MESSAGE_CREATE the stand-in dispatched (``message`` as a user would see it)."""

    message: JsonObject
    delivered: bool  # False when the bot lacks the intent for it (or is not connected)
    content_visible: bool  # False when Discord would blank the content (no MESSAGE_CONTENT, no mention)


@dataclass
class CommandSync:
    """One ``PUT`` of a command list (``guild_id`` None = global)."""

    guild_id: int | None
    commands: list[JsonObject]
    request: RecordedRequest


@dataclass
class _Interaction:
    id: int
    token: str
    type: int
    payload: JsonObject
    created: float
    expired: bool = False
    response_type: int | None = None
    original_id: int | None = None
    message_ids: list[int] = field(default_factory=list)
    modal: JsonObject | None = None


class _Compressor:
    """Gateway transport compression: one stream per connection, one complete message per frame."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self._zlib: Any = None
        self._zstd: Any = None
        self._zstd_stdlib = False
        if kind == "zlib-stream":
            self._zlib = zlib.compressobj()
        elif kind == "zstd-stream":
            # Untested here: neither zstandard nor compression.zstd (Python 3.14) is in this venv.
            try:
                import zstandard  # type: ignore[import-not-found]

                self._zstd = zstandard.ZstdCompressor().compressobj()
                self._zstd_flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK
            except ImportError:
                try:
                    from compression.zstd import ZstdCompressor  # type: ignore[import-not-found]

                    self._zstd, self._zstd_stdlib = ZstdCompressor(), True
                    self._zstd_flush = ZstdCompressor.FLUSH_BLOCK
                except ImportError:
                    log.warning("client asked for zstd-stream but no zstd compressor is importable: "
                                "sending uncompressed text frames (discord.py accepts them)")
                    self.kind = None
        elif kind is not None:
            log.warning("unknown gateway compression %r requested: sending uncompressed text frames", kind)
            self.kind = None

    def encode(self, text: str) -> str | bytes:
        data = text.encode()
        if self._zlib is not None:
            return bytes(self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH))
        if self._zstd is not None and self._zstd_stdlib:
            return bytes(self._zstd.compress(data, self._zstd_flush))
        if self._zstd is not None:
            return bytes(self._zstd.compress(data) + self._zstd.flush(self._zstd_flush))
        return text


@dataclass
class _Session:
    id: str
    intents: int
    identify: JsonObject
    seq: int = 0
    backlog: list[tuple[int, str, JsonObject]] = field(default_factory=list)
    connection: _Connection | None = None
    invalidated: bool = False
    ready: bool = False  # READY and the GUILD_CREATEs (or RESUMED) have been sent


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, request: web.Request, compression: str | None) -> None:
        self.ws = ws
        self.request = request
        self.path = request.path
        self.compressor = _Compressor(compression)
        self.session: _Session | None = None
        self.lock = asyncio.Lock()
        self.closed_by_server = False

    async def close(self, code: int, reason: str) -> None:
        self.closed_by_server = True
        await self.ws.close(code=code, message=reason.encode())

    async def send(self, payload: JsonObject) -> None:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        async with self.lock:
            if self.ws.closed:
                return
            frame = self.compressor.encode(text)
            if isinstance(frame, bytes):
                await self.ws.send_bytes(frame)
            else:
                await self.ws.send_str(frame)


@dataclass
class _Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"


Handler = Callable[[RecordedRequest, "re.Match[str]"], Awaitable[_Reply]]


class DiscordStandIn:
    """The stand-in server. See the module docstring for the tour; every public method is documented."""

    def __init__(
        self,
        world: World | None = None,
        *,
        token: str | None = None,
        heartbeat_interval_ms: int = 41_250,
        callback_deadline: float | None = 3.0,
        reject_invalid: bool = False,
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        checker: PayloadChecker | None = None,
    ) -> None:
        """``callback_deadline``: seconds to acknowledge an interaction (Discord: 3; None = no limit).
        ``reject_invalid``: answer 400 50035 to bodies that fail the checks, as Discord would (the
        default records the violation and carries on, so one test reports every problem).
        ``allowed_privileged_intents``: privileged intents "enabled in the developer portal";
        IDENTIFY asking for others is closed with 4014."""
        self.world = world or World.default()
        self.token = token or fake_token(self.world.bot.id)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.callback_deadline = callback_deadline
        self.reject_invalid = reject_invalid
        self.allowed_privileged_intents = allowed_privileged_intents
        self.checker = checker or PayloadChecker.shared()
        self.ack_heartbeats = True  # set False to play a zombie gateway

        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.unknown_routes: list[str] = []
        self.gateway_log: list[GatewayEvent] = []
        self.messages: dict[int, JsonObject] = {}  # every message the stand-in knows, by id
        self.bot_messages: list[JsonObject] = []  # messages the bot created, in order
        self.commands: dict[int | None, list[JsonObject]] = {}  # registered commands; key None = global
        self.command_syncs: list[CommandSync] = []
        self.attachments: dict[str, bytes] = {}

        self._faults: list[Fault] = []
        self._arrivals = 0
        self._interactions: dict[int, _Interaction] = {}
        self._by_token: dict[str, _Interaction] = {}
        self._sessions: dict[str, _Session] = {}
        self._session: _Session | None = None
        self._connections: list[_Connection] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = self._route_table()

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1, on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get(GATEWAY_PATH, self._gateway)
        app.router.add_get(RESUME_PATH, self._gateway)
        app.router.add_get("/attachments/{key:.*}", self._attachment)
        app.router.add_route("*", "/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        log.info("Discord stand-in listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close gateway connections (1001, going away) and the server."""
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.close(1001, "stand-in stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}{GATEWAY_PATH}"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}{RESUME_PATH}"

    @property
    def bot_mention(self) -> str:
        return f"<@{self.world.bot.id}>"

    def env(self) -> dict[str, str]:
        """The environment a bot process needs to use this stand-in instead of Discord."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE_URL": self.api_base_url,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    # --- waiting ------------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait_until(self, find: Callable[[], T | None], timeout: float, what: str) -> T:
        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    while (found := find()) is None:
                        await self._changed.wait()
                    return found
            except TimeoutError:
                recent = "\n  ".join(str(r) for r in self.requests[-15:]) or "(none)"
                gateway = ", ".join(e.kind for e in self.gateway_log[-15:]) or "(none)"
                raise TimeoutError(
                    f"stand-in: no {what} within {timeout}s.\n recent requests:\n  {recent}\n"
                    f" recent gateway events: {gateway}\n violations: {self.violations}"
                ) from None

    async def wait_for_request(
        self, predicate: Callable[[RecordedRequest], bool], *, timeout: float = 10.0, since: int = 0
    ) -> RecordedRequest:
        """The first request (arrival ``index`` >= ``since``) matching ``predicate``, waiting up to
        ``timeout`` seconds. Requests are recorded once answered (so ``status`` and ``response`` are
        set), hence ``requests`` is in order of completion; ``index`` is the order of arrival."""
        return await self._wait_until(
            lambda: next((r for r in self.requests if r.index >= since and predicate(r)), None), timeout,
            "matching request",
        )

    def mark(self) -> int:
        """The index the next request will get: pass as ``since=`` to wait only for later ones."""
        return self._arrivals

    async def wait_for_gateway(
        self, kind: str, predicate: Callable[[GatewayEvent], bool] | None = None, *, timeout: float = 10.0,
        since: float | None = None,
    ) -> GatewayEvent:
        """The first gateway event of ``kind`` (after monotonic time ``since``) matching ``predicate``."""
        def find() -> GatewayEvent | None:
            return next(
                (e for e in self.gateway_log
                 if e.kind == kind and (since is None or e.time >= since) and (predicate is None or predicate(e))),
                None,
            )

        return await self._wait_until(find, timeout, f"gateway event {kind!r}")

    async def wait_until_ready(self, *, timeout: float = 10.0) -> None:
        """Until a bot has identified (or resumed) and is connected, GUILD_CREATEs sent."""
        await self._wait_until(
            lambda: True if self._live_session() is not None else None, timeout, "connected, identified bot"
        )

    async def wait_for_command_sync(
        self, *, guild_id: int | None = None, scope: Literal["global", "guild", "any"] = "any",
        timeout: float = 10.0, since: int = 0,
    ) -> CommandSync:
        """The first PUT of a command list (``since`` = index into ``command_syncs``)."""
        def find() -> CommandSync | None:
            for sync in self.command_syncs[since:]:
                if guild_id is not None and sync.guild_id != guild_id:
                    continue
                if (scope == "global" and sync.guild_id is not None) or (scope == "guild" and sync.guild_id is None):
                    continue
                return sync
            return None

        return await self._wait_until(find, timeout, "command sync (PUT .../commands)")

    async def wait_for_bot_message(
        self, predicate: Callable[[JsonObject], bool] | None = None, *, timeout: float = 10.0, since: int = 0
    ) -> JsonObject:
        """The first message the bot created (channel post, interaction response or follow-up;
        index into ``bot_messages`` >= ``since``) matching ``predicate``."""
        return await self._wait_until(
            lambda: next((m for m in self.bot_messages[since:] if predicate is None or predicate(m)), None),
            timeout, "bot message",
        )

    def _interaction_of(self, interaction: SentInteraction | str | int) -> _Interaction:
        key = int(interaction.id if isinstance(interaction, SentInteraction) else interaction)
        try:
            return self._interactions[key]
        except KeyError:
            raise KeyError(f"the stand-in never dispatched interaction {key}") from None

    async def interaction_response(
        self, interaction: SentInteraction | str | int, *, timeout: float = 10.0
    ) -> RecordedRequest:
        """The bot's callback (``POST /interactions/{id}/{token}/callback``) for ``interaction``: the
        first one not answered by an injected fault. ``.json`` is ``{"type": ..., "data": ...}``."""
        state = self._interaction_of(interaction)
        prefix = f"/interactions/{state.id}/"
        return await self.wait_for_request(
            lambda r: r.method == "POST" and r.path.startswith(prefix) and r.path.endswith("/callback")
            and not r.fault,
            timeout=timeout,
        )

    def requests_for(self, interaction: SentInteraction | str | int) -> list[RecordedRequest]:
        """Every request about ``interaction``: its callback, follow-ups, edits and deletes."""
        state = self._interaction_of(interaction)
        return [r for r in self.requests
                if r.path.startswith(f"/interactions/{state.id}/") or f"/{state.token}" in r.path]

    async def followups(
        self, interaction: SentInteraction | str | int, *, count: int = 1, timeout: float = 10.0
    ) -> list[RecordedRequest]:
        """The first ``count`` follow-ups (``POST /webhooks/{app}/{token}``) not answered by a fault."""
        state = self._interaction_of(interaction)
        path = f"/webhooks/{self.world.application_id}/{state.token}"

        def find() -> list[RecordedRequest] | None:
            found = [r for r in self.requests if r.method == "POST" and r.path == path and not r.fault]
            return found[:count] if len(found) >= count else None

        return await self._wait_until(find, timeout, f"{count} follow-up(s)")

    def original_message(self, interaction: SentInteraction | str | int) -> JsonObject | None:
        """The interaction's original response message, as it stands now."""
        state = self._interaction_of(interaction)
        return self.messages.get(state.original_id) if state.original_id else None

    def response_problems(self) -> list[str]:
        """A self-check: the stand-in's own successful answers so far, against the spec's response
        schemas (the bot's requests are checked as they arrive; see ``violations``)."""
        problems = []
        for rec in self.requests:
            if rec.template is not None and rec.ok and not rec.fault:
                problems += self.checker.spec.validate_response(rec.method, rec.template, rec.status, rec.response)
        return problems

    # --- fault injection ------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        code: int | None = None,
        times: int = 1,
        retry_after: float = 0.1,
        message: str | None = None,
        is_global: bool = False,
    ) -> Fault:
        """Answer the next ``times`` requests matching ``method`` (or ``"*"``) and ``path_regex``
        (searched in the path after ``/api/v10``) with ``status``. ``code`` defaults by status: 403 →
        50013 Missing Permissions, 404 → 10003 Unknown Channel (use 10062 for an expired
        interaction), 400 → 50035, 5xx → 0. A 429 carries ``retry_after`` in body and headers.
        Faults are checked in order of creation; the returned :class:`Fault` lists its ``hits``."""
        fault = Fault(
            method=method.upper(), pattern=re.compile(path_regex), status=status,
            code=code if code is not None else DEFAULT_CODES.get(status, 0), message=message,
            remaining=times, retry_after=retry_after, is_global=is_global,
        )
        self._faults.append(fault)
        return fault

    def expire(self, interaction: SentInteraction | str | int) -> None:
        """Make ``interaction`` unknown to Discord: its callback gets 404 10062."""
        self._interaction_of(interaction).expired = True

    async def drop_gateway(
        self, how: Literal["close", "reconnect", "invalidate", "abort"] = "close", *, code: int = 4000
    ) -> None:
        """Break the bot's gateway connection. ``close``: close frame with ``code`` (4000 is resumable;
        4004 and the other fatal codes are not and make discord.py stop). ``reconnect``: send op 7.
        ``invalidate``: send op 9 (not resumable), so the bot must IDENTIFY again. ``abort``: drop the
        TCP connection without a close frame. Then await e.g. ``wait_for_gateway("resumed")``."""
        session = self._live_session()
        if session is None or session.connection is None:
            raise RuntimeError("no bot is connected to the stand-in's gateway")
        conn = session.connection
        self._gw("drop", how=how, code=code if how == "close" else None)
        if how == "close":
            if code in NON_RESUMABLE_CLOSE_CODES:
                session.invalidated = True
            await conn.close(code, "closed by the test")
        elif how == "reconnect":
            await conn.send({"op": 7, "d": None, "s": None, "t": None})
        elif how == "invalidate":
            session.invalidated = True
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
        elif how == "abort":
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        else:  # pragma: no cover - guarded by the Literal
            raise ValueError(how)

    # --- REST: dispatcher ------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.rel_url.raw_path
        if not raw_path.startswith(API_PREFIX + "/"):
            line = f"{request.method} {raw_path}"
            self._unknown(line, "outside /api/v10")
            return self._respond(_Reply(404, {"message": "404: Not Found", "code": 0}), None)
        path = raw_path[len(API_PREFIX):]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        self._arrivals += 1
        rec = RecordedRequest(
            index=self._arrivals - 1, method=request.method, path=path, query=dict(request.query), headers=headers,
            json=None, authorized=request.headers.get("Authorization") == f"Bot {self.token}",
        )
        try:
            reply = await self._handle(request, rec)
        except ApiError as exc:
            reply = self._error(exc.status, exc.code, str(exc))
        except Exception as exc:  # a stand-in bug: make it loud, answer like Discord's 500
            log.exception("stand-in failed on %s %s", rec.method, rec.path)
            self._violation(f"stand-in error on {rec.method} {rec.path}: {exc!r}")
            reply = self._error(500, 0, "500: Internal Server Error")
        rec.status, rec.response = reply.status, reply.body
        self.requests.append(rec)
        await self._notify()
        return self._respond(reply, rec)

    async def _handle(self, request: web.Request, rec: RecordedRequest) -> _Reply:
        await self._read_body(request, rec)
        rec.template = self.checker.spec.template_for(rec.method, rec.path)
        problems = self._check(rec)
        for fault in self._faults:
            if fault.matches(rec.method, rec.path):
                fault.remaining -= 1
                fault.hits.append(rec)
                rec.fault = True
                return self._fault_reply(fault)
        for method, pattern, handler in self._routes:
            if method != rec.method:
                continue
            match = pattern.fullmatch(rec.path)
            if match is None:
                continue
            if not self._public_route(rec.path) and not rec.authorized:
                return self._error(401, 0, "401: Unauthorized")
            if problems and self.reject_invalid:
                return _Reply(400, {"message": "Invalid Form Body", "code": 50035, "errors": {"_stand_in": problems}})
            return await handler(rec, match)
        self._unknown(f"{rec.method} {rec.path}", "in the spec but not implemented by the stand-in"
                      if rec.template else "not in Discord's spec either")
        return self._error(404, 0, "404: Not Found")

    @staticmethod
    def _public_route(path: str) -> bool:
        return path.startswith("/interactions/") or re.match(r"^/webhooks/\d+/[^/]+", path) is not None

    async def _read_body(self, request: web.Request, rec: RecordedRequest) -> None:
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    raise ApiError(400, 50035, "nested multipart bodies are not accepted")
                data = bytes(await part.read())
                name = part.name or ""
                rec.parts.append(RecordedPart(
                    name, part.filename, part.headers.get("Content-Type", "application/octet-stream"), data
                ))
                if name == "payload_json":
                    rec.json = self._parse_json(data)
            return
        data = await request.read()
        if data:
            if ctype == "application/json":
                rec.json = self._parse_json(data)
            else:
                rec.json = None
                self._violation(f"{rec.method} {rec.path}: body sent as {ctype!r}, not JSON")

    @staticmethod
    def _parse_json(data: bytes) -> Any:
        try:
            return json.loads(data)
        except ValueError:
            raise ApiError(400, 50109) from None

    def _check(self, rec: RecordedRequest) -> list[str]:
        if rec.template is None:
            return []  # reported as an unknown route when nothing handles it
        files = [p.name for p in rec.files]
        problems = self.checker.check(rec.method, rec.path, rec.json, files=files)
        for line in problems[:MAX_PROBLEMS_PER_REQUEST]:
            self._violation(line)
        if len(problems) > MAX_PROBLEMS_PER_REQUEST:
            self._violation(f"{rec.method} {rec.template}: … and {len(problems) - MAX_PROBLEMS_PER_REQUEST} more")
        return problems

    def _violation(self, line: str) -> None:
        if line not in self.violations:
            log.error("violation: %s", line)
            self.violations.append(line)

    def _unknown(self, line: str, why: str) -> None:
        log.error("UNKNOWN ROUTE %s (%s): answering 404", line, why)
        self.unknown_routes.append(line)
        self._violation(f"unknown route {line} ({why})")

    def _error(self, status: int, code: int, message: str | None = None) -> _Reply:
        return _Reply(status, {"message": message or ERROR_MESSAGES.get(code, "Error"), "code": code})

    def _fault_reply(self, fault: Fault) -> _Reply:
        if fault.status == 429:
            body = {"message": "You are being rate limited.", "retry_after": fault.retry_after,
                    "global": fault.is_global}
            headers = {
                "Retry-After": str(max(1, math.ceil(fault.retry_after))),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            return _Reply(429, body, headers)
        if fault.status == 502:
            html = b"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"
            return _Reply(502, None, raw=html, content_type="text/html")
        code = fault.code if fault.code is not None else 0
        default = f"{fault.status}: Internal Server Error" if fault.status >= 500 else None
        return self._error(fault.status, code, fault.message or default)

    def _respond(self, reply: _Reply, rec: RecordedRequest | None) -> web.Response:
        bucket = hashlib.sha1((rec.template or rec.path if rec else "none").encode()).hexdigest()[:32]
        headers = {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": bucket,
            "Via": "1.1 google",
        } | reply.headers
        if reply.raw is not None:
            return web.Response(status=reply.status, body=reply.raw, headers=headers, content_type=reply.content_type)
        if reply.status == 204 or reply.body is None:
            return web.Response(status=204, headers=headers)
        # Exactly "application/json", no charset: discord.py's json_or_text() compares the header verbatim
        # and treats anything else as text.
        body = json.dumps(reply.body, separators=(",", ":"), ensure_ascii=False).encode()
        return web.Response(status=reply.status, body=body, headers=headers | {"Content-Type": "application/json"})

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(request.match_info["key"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # --- REST: routes ------------------------------------------------------------------------------------

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        app = r"(?P<app>\d+)"
        guild = r"(?P<guild>\d+)"
        cmd = r"(?P<cmd>\d+)"
        chan = r"(?P<chan>\d+)"
        msg = r"(?P<msg>\d+)"
        token = r"(?P<token>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/users/(?P<user>\d+)", self._get_user),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("GET", rf"/applications/{app}/commands", self._list_commands),
            ("PUT", rf"/applications/{app}/commands", self._put_commands),
            ("POST", rf"/applications/{app}/commands", self._create_command),
            ("GET", rf"/applications/{app}/commands/{cmd}", self._get_command),
            ("PATCH", rf"/applications/{app}/commands/{cmd}", self._edit_command),
            ("DELETE", rf"/applications/{app}/commands/{cmd}", self._delete_command),
            ("GET", rf"/applications/{app}/guilds/{guild}/commands", self._list_commands),
            ("PUT", rf"/applications/{app}/guilds/{guild}/commands", self._put_commands),
            ("POST", rf"/applications/{app}/guilds/{guild}/commands", self._create_command),
            ("GET", rf"/applications/{app}/guilds/{guild}/commands/{cmd}", self._get_command),
            ("PATCH", rf"/applications/{app}/guilds/{guild}/commands/{cmd}", self._edit_command),
            ("DELETE", rf"/applications/{app}/guilds/{guild}/commands/{cmd}", self._delete_command),
            ("POST", r"/interactions/(?P<iid>\d+)/" + token + r"/callback", self._callback),
            ("POST", rf"/webhooks/{app}/{token}", self._followup),
            ("GET", rf"/webhooks/{app}/{token}/messages/(?P<msg>@original|\d+)", self._get_webhook_message),
            ("PATCH", rf"/webhooks/{app}/{token}/messages/(?P<msg>@original|\d+)", self._edit_webhook_message),
            ("DELETE", rf"/webhooks/{app}/{token}/messages/(?P<msg>@original|\d+)", self._delete_webhook_message),
            ("GET", rf"/channels/{chan}", self._get_channel),
            ("GET", rf"/channels/{chan}/messages", self._list_messages),
            ("POST", rf"/channels/{chan}/messages", self._create_message),
            ("GET", rf"/channels/{chan}/messages/{msg}", self._get_message),
            ("PATCH", rf"/channels/{chan}/messages/{msg}", self._edit_message),
            ("DELETE", rf"/channels/{chan}/messages/{msg}", self._delete_message),
            ("PUT", rf"/channels/{chan}/messages/{msg}/reactions/(?P<emoji>[^/]+)/@me", self._add_reaction),
            ("POST", rf"/channels/{chan}/typing", self._typing),
            ("GET", rf"/guilds/{guild}", self._get_guild),
            ("GET", rf"/guilds/{guild}/channels", self._get_guild_channels),
            ("GET", rf"/guilds/{guild}/roles", self._get_guild_roles),
            ("GET", rf"/guilds/{guild}/members/(?P<user>\d+)", self._get_member),
        ]
        return [(m, re.compile(p), h) for m, p, h in table]

    async def _get_me(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=self.world.bot.me_payload())

    async def _get_user(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        try:
            return _Reply(body=self.world.user(int(m["user"])).payload())
        except KeyError:
            raise ApiError(404, 10013) from None

    async def _create_dm(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        body = rec.json if isinstance(rec.json, dict) else {}
        try:
            user = self.world.user(int(body.get("recipient_id", 0)))
        except (KeyError, ValueError):
            raise ApiError(400, 50035) from None
        return _Reply(body=self.world.dm_channel(user).payload())

    async def _get_application(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=self.world.application_payload())

    async def _get_gateway(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body={"url": self.gateway_url})

    async def _get_gateway_bot(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body={
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000,
                                    "max_concurrency": 1},
        })

    # commands

    def _check_app(self, m: re.Match[str]) -> int | None:
        if int(m["app"]) != self.world.application_id:
            raise ApiError(403, 50001)
        guild_id = int(m["guild"]) if m.groupdict().get("guild") else None
        if guild_id is not None and self.world.find_guild(guild_id) is None:
            raise ApiError(403, 50001)
        return guild_id

    def _store_command(self, data: JsonObject, guild_id: int | None, previous: JsonObject | None) -> JsonObject:
        stored = {
            "type": 1,
            "description": "",
            "default_member_permissions": None,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
        } | data
        perms = stored.get("default_member_permissions")
        if stored.get("integration_types") is None:
            stored["integration_types"] = [0]  # what Discord fills in for guild-install apps
        stored |= {
            "id": previous["id"] if previous else str(snowflake()),
            "application_id": str(self.world.application_id),
            "version": str(snowflake()),
            "default_member_permissions": None if perms is None else str(perms),
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        if stored.pop("dm_permission", None) is False and stored.get("contexts") is None:
            stored["contexts"] = [0]  # Discord keeps a command with dm_permission false out of DMs
        return stored

    async def _list_commands(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=self.commands.get(self._check_app(m), []))

    async def _put_commands(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        guild_id = self._check_app(m)
        if not isinstance(rec.json, list):
            raise ApiError(400, 50035)
        old = {(c["name"], c["type"]): c for c in self.commands.get(guild_id, [])}
        stored = []
        for data in rec.json:
            if isinstance(data, dict):
                stored.append(self._store_command(data, guild_id, old.get((data.get("name"), data.get("type", 1)))))
        self.commands[guild_id] = stored
        self.command_syncs.append(CommandSync(guild_id, stored, rec))
        return _Reply(body=stored)

    async def _create_command(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        guild_id = self._check_app(m)
        if not isinstance(rec.json, dict):
            raise ApiError(400, 50035)
        commands = self.commands.setdefault(guild_id, [])
        key = (rec.json.get("name"), rec.json.get("type", 1))
        previous = next((c for c in commands if (c["name"], c["type"]) == key), None)
        stored = self._store_command(rec.json, guild_id, previous)
        if previous is not None:
            commands[commands.index(previous)] = stored
        else:
            commands.append(stored)
        return _Reply(200 if previous else 201, stored)

    def _find_command(self, m: re.Match[str]) -> tuple[list[JsonObject], JsonObject]:
        commands = self.commands.get(self._check_app(m), [])
        for command in commands:
            if command["id"] == m["cmd"]:
                return commands, command
        raise ApiError(404, 10063)

    async def _get_command(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=self._find_command(m)[1])

    async def _edit_command(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        commands, command = self._find_command(m)
        edited = self._store_command(command | (rec.json if isinstance(rec.json, dict) else {}),
                                     self._check_app(m), command)
        commands[commands.index(command)] = edited
        return _Reply(body=edited)

    async def _delete_command(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        commands, command = self._find_command(m)
        commands.remove(command)
        return _Reply(204)

    # interactions

    async def _callback(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        state = self._interactions.get(int(m["iid"]))
        if state is None or state.token != m["token"] or state.expired:
            raise ApiError(404, 10062)
        if self.callback_deadline is not None and time.monotonic() - state.created > self.callback_deadline:
            self._violation(f"interaction {state.id}: acknowledged after more than {self.callback_deadline}s")
            raise ApiError(404, 10062)
        if state.response_type is not None:
            self._violation(f"interaction {state.id}: acknowledged twice")
            raise ApiError(400, 40060)
        body = rec.json if isinstance(rec.json, dict) else {}
        kind = body.get("type")
        raw_data = body.get("data")
        data: JsonObject = raw_data if isinstance(raw_data, dict) else {}
        valid = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(state.type, set())
        if kind not in valid:
            self._violation(f"interaction {state.id}: response type {kind} is not valid for interaction type "
                            f"{state.type} (valid: {sorted(valid)})")
            raise ApiError(400, 50035, "Invalid interaction response type")
        state.response_type = kind
        message: JsonObject | None = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            content = data if kind == 4 else {"content": "", "flags": flags | LOADING}
            message = self._new_message(
                self._channel_id(state), content, rec, interaction=state, created_by_bot=kind == 4,
            )
            state.original_id = int(message["id"])
            state.message_ids.append(state.original_id)
        elif kind in (6, 7):
            source = state.payload.get("message")
            if source is not None:
                state.original_id = int(source["id"])
                current = self.messages.setdefault(state.original_id, source)
                if kind == 7:
                    message = self._apply_edit(current, data, rec)
        elif kind == 9:
            state.modal = data
        await self._notify()
        if rec.query.get("with_response", "").lower() not in ("1", "true"):
            return _Reply(204)
        original = self.messages.get(state.original_id) if state.original_id else None
        summary: JsonObject = {
            "id": str(state.id),
            "type": state.type,
            "activity_instance_id": None,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(original and int(original.get("flags", 0)) & EPHEMERAL),
            "channel_id": state.payload["channel_id"],
        }
        if state.original_id is not None and kind in (4, 5, 7):
            summary["response_message_id"] = str(state.original_id)
        if "guild_id" in state.payload:
            summary["guild_id"] = state.payload["guild_id"]
        answer: JsonObject = {"interaction": summary}
        if kind in (4, 7) and message is not None:  # Discord sends a resource only for these (and 12)
            answer["resource"] = {"type": kind, "message": message}
        return _Reply(200, answer)

    def _webhook_interaction(self, m: re.Match[str]) -> _Interaction:
        state = self._by_token.get(m["token"])
        if state is None or int(m["app"]) != self.world.application_id:
            raise ApiError(404, 10015)
        if state.response_type is None:
            self._violation(f"interaction {state.id}: follow-up or edit before the interaction was acknowledged")
            raise ApiError(404, 10015)
        return state

    def _webhook_message(self, state: _Interaction, key: str) -> JsonObject:
        message_id = state.original_id if key == "@original" else int(key)
        if message_id is None or (message_id not in state.message_ids and message_id != state.original_id):
            raise ApiError(404, 10008)
        message = self.messages.get(message_id)
        if message is None:
            raise ApiError(404, 10008)
        return message

    async def _followup(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        state = self._webhook_interaction(m)
        body = rec.json if isinstance(rec.json, dict) else {}
        original = self.messages.get(state.original_id) if state.original_id else None
        if original is not None and int(original.get("flags", 0)) & LOADING:
            # Discord: the first follow-up after a deferred response becomes that response, with the
            # deferral's visibility (its own ephemeral flag is ignored). Deleting the placeholder first
            # is how a bot sends a private line after a public "thinking…".
            message = self._apply_edit(original, {k: v for k, v in body.items() if k != "flags"}, rec)
            message["flags"] = int(message.get("flags", 0)) & ~LOADING
            message["edited_timestamp"] = None
            if message not in self.bot_messages:
                self.bot_messages.append(message)
        else:
            message = self._new_message(self._channel_id(state), body, rec, interaction=state)
            state.message_ids.append(int(message["id"]))
        if rec.query.get("wait", "").lower() in ("1", "true"):
            return _Reply(body=message)
        return _Reply(204)

    async def _get_webhook_message(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=self._webhook_message(self._webhook_interaction(m), m["msg"]))

    async def _edit_webhook_message(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        state = self._webhook_interaction(m)
        message = self._webhook_message(state, m["msg"])
        data = rec.json if isinstance(rec.json, dict) else {}
        loading = bool(int(message.get("flags", 0)) & LOADING)
        edited = self._apply_edit(message, data, rec)
        if loading:  # the first edit of a deferred response is what users see arrive
            edited["flags"] = int(edited.get("flags", 0)) & ~LOADING
            if edited not in self.bot_messages:
                self.bot_messages.append(edited)
        return _Reply(body=edited)

    async def _delete_webhook_message(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        message = self._webhook_message(self._webhook_interaction(m), m["msg"])
        self.messages.pop(int(message["id"]), None)
        return _Reply(204)

    # channels and messages

    def _channel(self, channel_id: int, need: int = Permission.VIEW_CHANNEL) -> FakeChannel:
        channel = self.world.find_channel(channel_id)
        if channel is None:
            raise ApiError(404, 10003)
        if channel.guild_id is not None:
            guild = self.world.find_guild(channel.guild_id)
            assert guild is not None
            perms = guild.permissions_in(self.world.bot.id, channel.id)
            if not perms & Permission.VIEW_CHANNEL:
                raise ApiError(403, 50001)
            if perms & need != need:
                raise ApiError(403, 50013)
        return channel

    def _channel_message(self, m: re.Match[str]) -> JsonObject:
        self._channel(int(m["chan"]))
        message = self.messages.get(int(m["msg"]))
        if message is None or message["channel_id"] != m["chan"]:
            raise ApiError(404, 10008)
        return message

    async def _get_channel(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=self._channel(int(m["chan"])).payload())

    async def _list_messages(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        channel = self._channel(int(m["chan"]), Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY)
        limit = min(100, int(rec.query.get("limit", "50")))
        found = [msg for msg in self.messages.values() if msg["channel_id"] == str(channel.id)]
        found.sort(key=lambda msg: int(msg["id"]), reverse=True)
        return _Reply(body=found[:limit])

    async def _create_message(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        need = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | (Permission.ATTACH_FILES if rec.files else 0)
        channel = self._channel(int(m["chan"]), need)
        body = rec.json if isinstance(rec.json, dict) else {}
        if not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll")) and not rec.files:
            raise ApiError(400, 50006)
        return _Reply(body=self._new_message(channel.id, body, rec))

    async def _get_message(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=self._channel_message(m))

    async def _edit_message(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        message = self._channel_message(m)
        if message["author"]["id"] != str(self.world.bot.id):
            raise ApiError(403, 50005)
        return _Reply(body=self._apply_edit(message, rec.json if isinstance(rec.json, dict) else {}, rec))

    async def _delete_message(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        message = self._channel_message(m)
        if message["author"]["id"] != str(self.world.bot.id):
            self._channel(int(m["chan"]), Permission.MANAGE_MESSAGES)
        self.messages.pop(int(message["id"]))
        return _Reply(204)

    async def _add_reaction(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        self._channel(int(m["chan"]), Permission.VIEW_CHANNEL | Permission.ADD_REACTIONS)
        self._channel_message(m)
        return _Reply(204)

    async def _typing(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        self._channel(int(m["chan"]), Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES)
        return _Reply(204)

    def _guild(self, m: re.Match[str]) -> FakeGuild:
        guild = self.world.find_guild(int(m["guild"]))
        if guild is None:
            raise ApiError(404, 10004)
        return guild

    async def _get_guild(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        guild = self._guild(m)
        return _Reply(body=guild.payload() | {"approximate_member_count": len(guild.members)})

    async def _get_guild_channels(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=[c.payload() for c in self._guild(m).channels])

    async def _get_guild_roles(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        return _Reply(body=[r.payload() for r in self._guild(m).roles])

    async def _get_member(self, rec: RecordedRequest, m: re.Match[str]) -> _Reply:
        member = self._guild(m).member(int(m["user"]))
        if member is None:
            raise ApiError(404, 10007)
        return _Reply(body=member.payload())

    # message objects

    def _channel_id(self, state: _Interaction) -> int:
        return int(state.payload["channel_id"])

    def _attachments_from(self, rec: RecordedRequest, body: JsonObject, channel_id: int) -> list[JsonObject]:
        described = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        out = []
        for part in rec.files:
            index = part.name[len("files["):-1] if part.name.startswith("files[") else part.name
            info = described.get(index, {})
            att_id = snowflake()
            filename = str(info.get("filename") or part.filename)
            key = f"{channel_id}/{att_id}/{filename}"
            self.attachments[key] = part.data
            out.append({
                "id": str(att_id), "filename": filename, "size": len(part.data),
                "url": f"{self.base_url}/attachments/{key}", "proxy_url": f"{self.base_url}/attachments/{key}",
                "content_type": part.content_type, "description": info.get("description"),
                "ephemeral": False,
            })
        kept = [a for a in body.get("attachments") or [] if isinstance(a, dict) and "url" in a]
        return kept + out

    def _mentions(self, content: str, allowed: Any, guild: FakeGuild | None) -> JsonObject:
        """Who the content would ping, given ``allowed_mentions`` (absent = Discord's default: all)."""
        if isinstance(allowed, dict):
            parse = set(allowed.get("parse") or [])
            users_ok = {str(u) for u in allowed.get("users") or []}
            roles_ok = {str(r) for r in allowed.get("roles") or []}
        else:
            parse, users_ok, roles_ok = {"everyone", "users", "roles"}, set(), set()
        user_ids = set(re.findall(r"<@!?(\d+)>", content))
        role_ids = set(re.findall(r"<@&(\d+)>", content))
        mentions = []
        for uid in sorted(user_ids):
            if "users" in parse or uid in users_ok:
                with contextlib.suppress(KeyError):
                    mentions.append(self.world.user(int(uid)).payload())
        roles = [r for r in sorted(role_ids) if "roles" in parse or r in roles_ok]
        everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
        return {"mentions": mentions, "mention_roles": roles if guild else [], "mention_everyone": everyone}

    def _new_message(
        self, channel_id: int, body: JsonObject, rec: RecordedRequest, *, interaction: _Interaction | None = None,
        created_by_bot: bool = True,
    ) -> JsonObject:
        channel = self.world.find_channel(channel_id)
        guild = self.world.find_guild(channel.guild_id) if channel and channel.guild_id else None
        content = str(body.get("content") or "")
        message: JsonObject = {
            "id": str(snowflake()),
            "type": 0,
            "channel_id": str(channel_id),
            "author": self.world.bot.payload(),
            "content": content,
            "timestamp": iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "pinned": False,
            "attachments": self._attachments_from(rec, body, channel_id),
            "embeds": [{"type": "rich"} | e for e in body.get("embeds") or [] if isinstance(e, dict)],
            "components": _numbered(body.get("components") or []),
            "reactions": [],
            "sticker_items": [],
            "flags": int(body.get("flags") or 0) & (KEPT_MESSAGE_FLAGS | LOADING),
            **self._mentions(content, body.get("allowed_mentions"), guild),
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id") is not None:
            reference: JsonObject = {"type": int(ref.get("type") or 0), "message_id": str(ref["message_id"]),
                                     "channel_id": str(ref.get("channel_id") or channel_id)}
            if guild is not None:
                reference["guild_id"] = str(guild.id)
            message["type"] = 19 if reference["type"] == 0 else 0
            message["message_reference"] = reference
            message["referenced_message"] = self.messages.get(int(ref["message_id"]))
        if interaction is not None:
            user = interaction.payload.get("member", {}).get("user") or interaction.payload.get("user")
            message |= {
                "type": 20 if interaction.type == 2 else 0,
                "webhook_id": str(self.world.application_id),
                "application_id": str(self.world.application_id),
                "interaction_metadata": {
                    "id": str(interaction.id), "type": interaction.type, "user": user,
                    "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
                },
            }
        self.messages[int(message["id"])] = message
        if created_by_bot:
            self.bot_messages.append(message)
        return message

    def _apply_edit(self, message: JsonObject, body: JsonObject, rec: RecordedRequest) -> JsonObject:
        channel = self.world.find_channel(int(message["channel_id"]))
        guild = self.world.find_guild(channel.guild_id) if channel and channel.guild_id else None
        if "content" in body:
            message["content"] = str(body.get("content") or "")
            message |= self._mentions(message["content"], body.get("allowed_mentions"), guild)
        if "embeds" in body:
            message["embeds"] = [{"type": "rich"} | e for e in body.get("embeds") or [] if isinstance(e, dict)]
        if "components" in body:
            message["components"] = _numbered(body.get("components") or [])
        if "attachments" in body or rec.files:
            message["attachments"] = self._attachments_from(rec, body, int(message["channel_id"]))
        if body.get("flags") is not None:
            message["flags"] = (int(message.get("flags", 0)) & ~KEPT_MESSAGE_FLAGS) | (
                int(body["flags"]) & KEPT_MESSAGE_FLAGS
            )
        message["edited_timestamp"] = iso()
        return message

    # --- gateway --------------------------------------------------------------------------------------

    def _live_session(self) -> _Session | None:
        session = self._session
        if session is None or not session.ready or session.connection is None or session.connection.ws.closed:
            return None
        return session

    def _gw(self, kind: str, **detail: Any) -> None:
        self.gateway_log.append(GatewayEvent(kind, detail))

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        query = request.rel_url.query
        compression = query.get("compress")
        conn = _Connection(ws, request, compression)
        self._connections.append(conn)
        self._gw("connect", path=request.path, query=dict(query), compression=conn.compressor.kind)
        await self._notify()
        try:
            if query.get("v") != "10":
                await conn.close(4012, "Invalid API version")
            elif query.get("encoding", "json") != "json":
                await conn.close(4002, "Decode error: only json encoding is implemented")
            else:
                await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None,
                                 "t": None})
                async for msg in ws:
                    if msg.type is WSMsgType.TEXT:
                        await self._gateway_message(conn, msg.data)
                    elif msg.type is WSMsgType.BINARY:
                        await conn.close(4002, "Decode error: binary frames are not accepted")
                    elif msg.type is WSMsgType.ERROR:
                        break
        finally:
            self._connections.remove(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
                if not conn.closed_by_server and ws.close_code in (1000, 1001):
                    conn.session.invalidated = True  # as on Discord: a clean client close ends the session
            self._gw("disconnect", code=None if ws.close_code is None else int(ws.close_code), path=conn.path)
            await self._notify()
        return ws

    async def _gateway_message(self, conn: _Connection, text: str) -> None:
        try:
            payload = json.loads(text)
            op, data = payload["op"], payload.get("d")
        except (ValueError, KeyError, TypeError):
            await conn.close(4002, "Decode error")
            return
        if op == 1:
            self._gw("heartbeat", seq=data)
            if self.ack_heartbeats:
                await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data)
        elif op == 6:
            await self._resume(conn, data)
        elif conn.session is None:
            await conn.close(4003, "Not authenticated")
        elif op == 3:
            self._gw("presence_update", data=data)
        elif op == 4:
            self._gw("voice_state_update", data=data)
        elif op == 8:
            await self._request_members(conn, data)
        else:
            await conn.close(4001, "Unknown opcode")
        await self._notify()

    async def _identify(self, conn: _Connection, data: Any) -> None:
        if conn.session is not None:
            await conn.close(4005, "Already authenticated")
            return
        if not isinstance(data, dict) or data.get("token") != self.token:
            self._gw("identify", ok=False)
            await conn.close(4004, "Authentication failed")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await conn.close(4013, "Invalid intent(s)")
            return
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await conn.close(4014, "Disallowed intent(s)")
            return
        session = _Session(id=secrets.token_hex(16), intents=intents, identify=data)
        self._sessions[session.id] = session
        conn.session, session.connection, self._session = session, conn, session
        self._gw("identify", ok=True, intents=intents, session_id=session.id,
                 properties=data.get("properties"), shard=data.get("shard"))
        ready: JsonObject = {
            "v": 10,
            "user": self.world.bot.me_payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.world.guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.world.application_id), "flags": self.world.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
            "user_settings": {},
            "auth": {},
            "_trace": ["[\"discord-standin\",{\"micros\":0}]"],
        }
        if data.get("shard") is not None:
            ready["shard"] = data["shard"]
        await self._send_event(session, "READY", ready)
        self._gw("ready", session_id=session.id)
        for guild in self.world.guilds:
            payload = guild.create_payload(bot_id=self.world.bot.id, with_members=bool(intents & Intent.GUILD_MEMBERS))
            await self._send_event(session, "GUILD_CREATE", payload)
        session.ready = True

    async def _resume(self, conn: _Connection, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        session = self._sessions.get(str(data.get("session_id")))
        self._gw("resume", session_id=data.get("session_id"), seq=data.get("seq"), path=conn.path)
        if session is None or session.invalidated or data.get("token") != self.token:
            self._gw("invalid_session", resumable=False)
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        old = session.connection
        if old is not None and old is not conn and not old.ws.closed:
            await old.close(4009, "Session resumed elsewhere")
        conn.session, session.connection, self._session = session, conn, session
        last = int(data.get("seq") or 0)
        missed = [(s, t, d) for s, t, d in session.backlog if s > last]
        for seq, event, payload in missed:
            await conn.send({"op": 0, "s": seq, "t": event, "d": payload})
        await self._send_event(session, "RESUMED", {"_trace": ["discord-standin"]})
        session.ready = True
        self._gw("resumed", session_id=session.id, replayed=len(missed), path=conn.path)

    async def _request_members(self, conn: _Connection, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        self._gw("request_guild_members", data=data)
        session = conn.session
        assert session is not None
        guild = self.world.find_guild(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = guild.members
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [mb for mb in members if mb.user.id in wanted]
        elif data.get("query"):
            members = [mb for mb in members if mb.user.username.lower().startswith(str(data["query"]).lower())]
        chunk: JsonObject = {"guild_id": str(guild.id), "members": [mb.payload() for mb in members],
                             "chunk_index": 0, "chunk_count": 1, "not_found": []}
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._send_event(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send_event(self, session: _Session, event: str, data: JsonObject) -> int:
        session.seq += 1
        session.backlog.append((session.seq, event, data))
        del session.backlog[:-500]
        conn = session.connection
        if conn is not None and not conn.ws.closed:
            await conn.send({"op": 0, "s": session.seq, "t": event, "d": data})
        if event not in ("READY", "RESUMED"):
            self._gw("dispatch", event=event, seq=session.seq, delivered=conn is not None)
        return session.seq

    async def dispatch(self, event: str, data: JsonObject) -> int:
        """Send any gateway event to the bot's session (buffered for RESUME while it is disconnected).
        Returns the sequence number."""
        session = self._session
        if session is None:
            raise RuntimeError("no bot has identified with the stand-in's gateway yet")
        seq = await self._send_event(session, event, data)
        await self._notify()
        return seq

    # --- driving: interactions and messages -----------------------------------------------------------

    def _guild_of(self, channel: FakeChannel) -> FakeGuild | None:
        return self.world.find_guild(channel.guild_id) if channel.guild_id else None

    def _interaction_payload(self, kind: int, user: FakeUser, channel: FakeChannel) -> JsonObject:
        guild = self._guild_of(channel)
        iid = snowflake()
        payload: JsonObject = {
            "id": str(iid),
            "application_id": str(self.world.application_id),
            "type": kind,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(120),
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel.id),
        }
        if guild is not None:
            member = guild.member(user.id)
            if member is None:
                raise ValueError(f"{user.username} is not a member of {guild.name}")
            perms = guild.permissions_in(user.id, channel.id)
            payload |= {
                "guild_id": str(guild.id),
                "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
                "guild_locale": guild.locale,
                "member": member.payload() | {"permissions": str(perms)},
                "channel": channel.payload() | {"permissions": str(perms)},
                "app_permissions": str(guild.permissions_in(self.world.bot.id, channel.id)),
                "authorizing_integration_owners": {"0": str(guild.id)},
                "context": INTERACTION_CONTEXT_GUILD,
            }
        else:
            if channel.recipient is None or channel.recipient.id != user.id:
                channel = self.world.dm_channel(user)
                payload["channel_id"] = str(channel.id)
            payload |= {
                "user": user.payload(),
                "channel": channel.payload(),
                "app_permissions": str(Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES
                                       | Permission.EMBED_LINKS | Permission.ATTACH_FILES
                                       | Permission.READ_MESSAGE_HISTORY),
                "authorizing_integration_owners": {"0": "0"},
                "context": INTERACTION_CONTEXT_BOT_DM,
            }
        return payload

    async def dispatch_interaction(self, payload: JsonObject) -> SentInteraction:
        """Dispatch a complete INTERACTION_CREATE payload (the ``send_*`` methods build one for you)."""
        state = _Interaction(
            id=int(payload["id"]), token=str(payload["token"]), type=int(payload["type"]), payload=payload,
            created=time.monotonic(),
        )
        self._interactions[state.id] = state
        self._by_token[state.token] = state
        await self.dispatch("INTERACTION_CREATE", payload)
        return SentInteraction(str(state.id), state.token, state.type, payload)

    def _registered(self, name: str, guild: FakeGuild | None, kind: int = 1) -> JsonObject:
        scopes = ([guild.id] if guild else []) + [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == kind:
                    return command
        known = sorted({c["name"] for scope in scopes for c in self.commands.get(scope, [])})
        raise LookupError(f"/{name} is not registered (the bot registered: {known or 'nothing yet'})")

    def _option(self, definition: JsonObject, value: OptionValue, resolved: JsonObject, guild: FakeGuild | None,
                channel: FakeChannel) -> JsonObject:
        kind, name = definition["type"], definition["name"]
        out: JsonObject = {"name": name, "type": kind}
        if kind == 3:
            out["value"] = str(value)
        elif kind == 4:
            out["value"] = int(value)  # type: ignore[arg-type]
        elif kind == 10:
            out["value"] = float(value)  # type: ignore[arg-type]
        elif kind == 5:
            out["value"] = bool(value)
        elif kind in (6, 9) and isinstance(value, FakeUser | int) and not isinstance(value, bool):
            user = value if isinstance(value, FakeUser) else self.world.user(value)
            out["value"] = str(user.id)
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            member = guild.member(user.id) if guild else None
            if member is not None and guild is not None:
                resolved.setdefault("members", {})[str(user.id)] = member.payload(with_user=False) | {
                    "permissions": str(guild.permissions_in(user.id, channel.id))}
        elif kind == 7 and isinstance(value, FakeChannel):
            out["value"] = str(value.id)
            perms = guild.permissions_in(self.world.bot.id, value.id) if guild else 0
            resolved.setdefault("channels", {})[str(value.id)] = {
                k: v for k, v in value.payload().items()
                if k in ("id", "name", "type", "parent_id", "guild_id", "flags", "topic", "nsfw", "position")
            } | {"permissions": str(perms)}
        elif kind in (8, 9) and isinstance(value, FakeRole):
            out["value"] = str(value.id)
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
        elif kind == 11 and isinstance(value, dict):
            out["value"] = str(value["id"])
            resolved.setdefault("attachments", {})[str(value["id"])] = value
        else:
            raise TypeError(f"option {name!r} (type {kind}) cannot take {value!r}")
        return out

    def _command_data(
        self, command: str, options: Mapping[str, OptionValue] | None, channel: FakeChannel,
        focused: str | None = None,
    ) -> JsonObject:
        names = command.strip().lstrip("/").split()
        guild = self._guild_of(channel)
        registered = self._registered(names[0], guild)
        data: JsonObject = {"id": registered["id"], "name": registered["name"], "type": 1}
        if registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        resolved: JsonObject = {}
        definitions: list[JsonObject] = registered.get("options") or []
        container: list[JsonObject] = []
        data["options"] = container
        for sub in names[1:]:
            found = next((o for o in definitions if o["name"] == sub and o["type"] in (1, 2)), None)
            if found is None:
                raise LookupError(f"/{' '.join(names)}: {sub!r} is not a subcommand (group) of what the bot registered")
            entry: JsonObject = {"name": sub, "type": found["type"], "options": []}
            container.append(entry)
            container, definitions = entry["options"], found.get("options") or []
        if any(o["type"] in (1, 2) for o in definitions):
            raise LookupError(f"/{' '.join(names)} is a group: name a subcommand")
        given = dict(options or {})
        by_name = {o["name"]: o for o in definitions}
        for name, value in given.items():
            if name not in by_name:
                raise LookupError(f"/{' '.join(names)} has no option {name!r} (options: {sorted(by_name)})")
            if name == focused:
                container.append({"name": name, "type": by_name[name]["type"], "value": str(value), "focused": True})
            else:
                container.append(self._option(by_name[name], value, resolved, guild, channel))
        missing = [o["name"] for o in definitions if o.get("required") and o["name"] not in given]
        if missing and focused is None:
            raise ValueError(f"/{' '.join(names)}: Discord would not send this without {missing}")
        if focused is not None and focused not in given:
            raise ValueError(f"the focused option {focused!r} needs a (partial) value in options")
        if resolved:
            data["resolved"] = resolved
        return data

    async def send_slash_command(
        self, command: str, options: Mapping[str, OptionValue] | None = None, *, user: FakeUser | None = None,
        channel: FakeChannel | None = None, user_install: bool = False,
    ) -> SentInteraction:
        """A user runs ``/command`` (``"group sub"`` paths for subcommands). ``options`` are the leaf
        options by name: str/int/float/bool, or a FakeUser/FakeChannel/FakeRole (sent with ``resolved``).
        ``user`` defaults to ``world.member``, ``channel`` to ``world.general``; a DM channel
        (``world.dm_channel(user)``) sends it from the bot's DMs. ``user_install``: the user runs it
        through their own install of the app (Discord offers it only if the command allows that)."""
        user = user or self.world.member
        channel = channel or self.world.general
        payload = self._interaction_payload(2, user, channel)
        payload["data"] = self._command_data(command, options, channel)
        self._check_offered(payload, command.split()[0].lstrip("/"), 1, user, user_install)
        return await self.dispatch_interaction(payload)

    def _check_offered(self, payload: JsonObject, name: str, kind: int, user: FakeUser, user_install: bool) -> None:
        """Raise when Discord would not offer the command here: its ``contexts`` must include the
        interaction's context, and its ``integration_types`` the installation used (0 guild, 1 user)."""
        channel = self.world.find_channel(int(payload["channel_id"]))
        registered = self._registered(name, self._guild_of(channel) if channel else None, kind)
        contexts = registered.get("contexts")
        if contexts is not None and payload["context"] not in contexts:
            raise LookupError(f"Discord would not offer {name!r} in context {payload['context']} (contexts {contexts})")
        if user_install:
            if 1 not in (registered.get("integration_types") or [0]):
                raise LookupError(f"{name!r} is not offered to user installs (integration_types "
                                  f"{registered.get('integration_types')})")
            payload["authorizing_integration_owners"] = {"1": str(user.id)}

    async def send_context_menu(
        self, name: str, message: JsonObject | int | str, *, user: FakeUser | None = None,
        user_install: bool = False,
    ) -> SentInteraction:
        """A user picks the message command ``name`` (Apps → name) on ``message``, in its channel."""
        msg = self._message_object(message)
        user = user or self.world.member
        channel = self.world.find_channel(int(msg["channel_id"])) or self.world.general
        registered = self._registered(name, self._guild_of(channel), kind=3)
        payload = self._interaction_payload(2, user, channel)
        data: JsonObject = {"id": registered["id"], "name": registered["name"], "type": 3, "target_id": msg["id"],
                            "resolved": {"messages": {msg["id"]: msg}}}
        if registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        payload["data"] = data
        self._check_offered(payload, name, 3, user, user_install)
        return await self.dispatch_interaction(payload)

    async def send_autocomplete(
        self, command: str, options: Mapping[str, OptionValue], *, focused: str, user: FakeUser | None = None,
        channel: FakeChannel | None = None,
    ) -> SentInteraction:
        """A user is typing option ``focused`` of ``/command``; its (partial) value is in ``options``."""
        user = user or self.world.member
        channel = channel or self.world.general
        payload = self._interaction_payload(4, user, channel)
        payload["data"] = self._command_data(command, options, channel, focused=focused)
        return await self.dispatch_interaction(payload)

    def _message_object(self, message: JsonObject | int | str) -> JsonObject:
        if isinstance(message, dict):
            return message
        found = self.messages.get(int(message))
        if found is None:
            raise LookupError(f"the stand-in knows no message {message}")
        return found

    async def send_component(
        self, custom_id: str, *, message: JsonObject | int | str, component_type: int = 2,
        values: Sequence[str] | None = None, user: FakeUser | None = None,
    ) -> SentInteraction:
        """A user presses a button (``component_type`` 2) or picks ``values`` in a select (3) on
        ``message`` (a message object or the id of one the stand-in knows, e.g. from
        ``original_message(sent)``)."""
        msg = self._message_object(message)
        user = user or self.world.member
        channel = self.world.find_channel(int(msg["channel_id"])) or self.world.general
        if not _has_custom_id(msg.get("components") or [], custom_id):
            raise LookupError(f"message {msg['id']} has no component with custom_id {custom_id!r}")
        payload = self._interaction_payload(3, user, channel)
        data: JsonObject = {"custom_id": custom_id, "component_type": component_type}
        if component_type != 2:
            data["values"] = list(values or [])
        payload |= {"data": data, "message": msg}
        return await self.dispatch_interaction(payload)

    async def send_modal_submit(
        self, opened_by: SentInteraction | str | int, values: Mapping[str, str | Sequence[str]], *,
        user: FakeUser | None = None,
    ) -> SentInteraction:
        """A user submits the modal the bot opened (callback type 9) in answer to ``opened_by``.
        ``values`` maps text-input custom_ids to text (selects inside labels: lists of values)."""
        source = self._interaction_of(opened_by)
        if source.modal is None:
            raise LookupError(f"interaction {source.id} was not answered with a modal")
        modal = source.modal
        channel = self.world.find_channel(self._channel_id(source)) or self.world.general
        user = user or self.world.member
        payload = self._interaction_payload(5, user, channel)
        payload["data"] = {"custom_id": modal["custom_id"], "components": _modal_answers(modal, values)}
        if "message" in source.payload:
            payload["message"] = source.payload["message"]
        return await self.dispatch_interaction(payload)

    async def send_message(
        self, content: str, *, author: FakeUser | None = None, channel: FakeChannel | None = None,
        reply_to: JsonObject | None = None,
    ) -> SentMessage:
        """MESSAGE_CREATE: ``author`` (default ``world.member``) posts ``content`` in ``channel``
        (default ``world.general``). As on Discord, the bot needs GUILD_MESSAGES (DIRECT_MESSAGES for
        a DM) to receive it, and sees the content only with MESSAGE_CONTENT, when mentioned, or in DMs."""
        author = author or self.world.member
        channel = channel or self.world.general
        guild = self._guild_of(channel)
        message: JsonObject = {
            "id": str(snowflake()), "type": 0, "channel_id": str(channel.id), "author": author.payload(),
            "content": content, "timestamp": iso(), "edited_timestamp": None, "tts": False, "pinned": False,
            "attachments": [], "embeds": [], "components": [], "reactions": [], "sticker_items": [], "flags": 0,
            "nonce": str(snowflake()),
            **self._mentions(content, None, guild),
        }
        if guild is not None:
            member = guild.member(author.id)
            message["guild_id"] = str(guild.id)
            if member is not None:
                message["member"] = member.payload(with_user=False)
            message["mention_everyone"] = message["mention_everyone"] and bool(
                guild.permissions_in(author.id, channel.id) & Permission.MENTION_EVERYONE)
            for mention in message["mentions"]:
                mentioned_member = guild.member(int(mention["id"]))
                if mentioned_member is not None:
                    mention["member"] = mentioned_member.payload(with_user=False)
        if reply_to is not None:
            message["type"] = 19
            message["message_reference"] = {"type": 0, "message_id": reply_to["id"], "channel_id": str(channel.id)}
            message["referenced_message"] = reply_to
        self.messages[int(message["id"])] = message
        session = self._session
        intents = session.intents if session else 0
        needed = Intent.GUILD_MESSAGES if guild is not None else Intent.DIRECT_MESSAGES
        bot_mentioned = any(m["id"] == str(self.world.bot.id) for m in message["mentions"])
        visible = bool(intents & Intent.MESSAGE_CONTENT) or bot_mentioned or guild is None or author == self.world.bot
        delivered = session is not None and bool(intents & needed)
        if delivered:
            seen = message if visible else message | {"content": "", "embeds": [], "attachments": [],
                                                      "components": []}
            await self.dispatch("MESSAGE_CREATE", seen)
        else:
            log.warning("MESSAGE_CREATE not delivered: %s", "no bot connected" if session is None else
                        f"the bot did not ask for the {needed.name} intent")
        return SentMessage(message, delivered, visible)


def _numbered(components: list[Any]) -> list[Any]:
    """A copy of a message's components with the numeric ``id`` Discord gives each one (depth first)."""
    counter = itertools.count(1)

    def number(comp: Any) -> Any:
        if not isinstance(comp, dict):
            return comp
        out = dict(comp)
        out.setdefault("id", next(counter))
        for key in ("components", "accessory", "component"):
            if isinstance(out.get(key), list):
                out[key] = [number(c) for c in out[key]]
            elif isinstance(out.get(key), dict):
                out[key] = number(out[key])
        return out

    return [number(c) for c in components]


def _has_custom_id(components: list[Any], custom_id: str) -> bool:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        if comp.get("custom_id") == custom_id:
            return True
        children = [comp.get(k) for k in ("components", "accessory", "component")]
        for child in children:
            if isinstance(child, dict):
                child = [child]
            if isinstance(child, list) and _has_custom_id(child, custom_id):
                return True
    return False


def _modal_answers(modal: JsonObject, values: Mapping[str, str | Sequence[str]]) -> list[JsonObject]:
    """The ``components`` of a MODAL_SUBMIT mirroring the modal's layout (action rows or labels)."""
    answers = []
    unused = dict(values)

    def answer(comp: JsonObject) -> JsonObject | None:
        cid = comp.get("custom_id")
        if cid is None:
            return None
        value = unused.pop(cid, "" if comp.get("type") == 4 else [])
        out: JsonObject = {"type": comp["type"], "custom_id": cid}
        if comp.get("id") is not None:
            out["id"] = comp["id"]
        if comp.get("type") == 4:
            out["value"] = value if isinstance(value, str) else "".join(value)
        else:
            out["values"] = [value] if isinstance(value, str) else list(value)
        return out

    for row in modal.get("components") or []:
        if row.get("type") == 1:
            inner = [a for c in row.get("components") or [] if (a := answer(c)) is not None]
            answers.append({"type": 1, "components": inner})
        elif row.get("type") == 18 and isinstance(row.get("component"), dict):
            inner_answer = answer(row["component"])
            if inner_answer is not None:
                answers.append({"type": 18, "id": row.get("id"), "component": inner_answer})
        elif row.get("type") == 10:
            answers.append({"type": 10, "id": row.get("id")})
    if unused:
        raise LookupError(f"the modal has no inputs {sorted(unused)}")
    return answers
