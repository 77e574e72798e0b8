"""Proof that the Discord stand-in is good enough for a real discord.py bot, and that its checks bite.

The bot is ``mini_bot.py``, a real discord.py client in a subprocess that only knows the stand-in's
URLs (through ``bot.chat.endpoints.configure_endpoints``).
"""

from __future__ import annotations

import json
import time
import zlib
from typing import Any

import aiohttp
import pytest

from tests.standin import BotProcess, DiscordStandIn, PayloadChecker
from tests.standin.process import MINI_BOT, SpawnBot

pytestmark = pytest.mark.timeout(30)


def _data(body: Any) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    assert isinstance(data, dict), body
    return data


# --- with the real discord.py client ---------------------------------------------------------------


async def test_logs_in_syncs_and_answers_ping(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    paths = [(r.method, r.path) for r in standin.requests]
    assert paths[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert all(r.authorized for r in standin.requests)

    sync = standin.command_syncs[0]
    assert sync.guild_id is None and len(standin.command_syncs) == 1
    assert sync.request.template == "/applications/{application_id}/commands"
    (ping,) = sync.commands
    assert ping["name"] == "ping" and ping["options"][0] | {"autocomplete": True} == ping["options"][0]

    connect = await standin.wait_for_gateway("connect")
    # discord.py 2.7 asks for zlib-stream, or zstd-stream when zstandard is importable; answered in kind
    assert connect.detail["compression"] == connect.detail["query"]["compress"]
    identify = await standin.wait_for_gateway("identify")
    assert identify.detail["ok"] and identify.detail["properties"]["browser"] == "discord.py"

    sent = await standin.send_slash_command("ping", user=standin.world.owner)
    callback = await mini_bot.until(standin.interaction_response(sent))
    assert callback.status == 200 and callback.query.get("with_response") == "1"
    assert callback.json["type"] == 4 and _data(callback.json)["content"] == "pong"
    original = standin.original_message(sent)
    assert original is not None and original["content"] == "pong" and original["type"] == 20

    dm = standin.world.dm_channel(standin.world.member)
    from_dm = await standin.send_slash_command("ping", channel=dm)
    assert "guild_id" not in from_dm.payload and from_dm.payload["context"] == 1
    callback = await mini_bot.until(standin.interaction_response(from_dm))
    assert _data(callback.json)["content"] == "pong"
    assert standin.violations == []


async def test_autocomplete_is_answered_within_limits(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    sent = await standin.send_autocomplete("ping", {"word": "word1"}, focused="word")
    callback = await mini_bot.until(standin.interaction_response(sent))
    assert callback.json["type"] == 8
    assert [c["value"] for c in _data(callback.json)["choices"]] == [f"word{i}" for i in range(10, 20)]

    everything = await standin.send_autocomplete("ping", {"word": ""}, focused="word")
    callback = await mini_bot.until(standin.interaction_response(everything))
    assert len(_data(callback.json)["choices"]) == 25  # 40 words, capped at Discord's limit
    assert standin.violations == []


async def test_followup_survives_an_injected_500(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    fault = standin.fail_next("POST", r"^/webhooks/\d+/[^/]+$", 500)
    sent = await standin.send_slash_command("ping", {"word": "followup"})
    callback = await mini_bot.until(standin.interaction_response(sent))
    assert callback.json["type"] == 5  # deferred

    (followup,) = await mini_bot.until(standin.followups(sent))
    assert followup.status == 200 and followup.json["content"] == "followup pong"
    assert [r.status for r in fault.hits] == [500]  # discord.py retried after the 500
    assert followup.json["allowed_mentions"] == {"parse": []}
    original = standin.original_message(sent)  # as on Discord, the first follow-up replaced the "thinking…"
    assert original is not None and original["content"] == "followup pong" and original["flags"] == 0
    assert standin.violations == []


async def test_everyone_is_sent_with_mentions_disabled(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    sent = await standin.send_slash_command("ping", {"word": "everyone"})
    callback = await mini_bot.until(standin.interaction_response(sent))
    data = _data(callback.json)
    assert data["content"] == "@everyone pong"
    assert data["allowed_mentions"]["parse"] == []
    original = standin.original_message(sent)
    assert original is not None and original["mention_everyone"] is False  # nobody would be pinged
    assert standin.violations == []


async def test_button_press_updates_the_message(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    sent = await standin.send_slash_command("ping", {"word": "button"})
    await mini_bot.until(standin.interaction_response(sent))
    original = standin.original_message(sent)
    assert original is not None

    press = await standin.send_component("mini:press", message=original["id"], user=standin.world.moderator)
    callback = await mini_bot.until(standin.interaction_response(press))
    assert callback.json["type"] == 7 and _data(callback.json)["content"] == "pressed"
    assert standin.messages[int(original["id"])]["content"] == "pressed"
    assert standin.violations == []


async def test_modal_round_trip(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    sent = await standin.send_slash_command("ping", {"word": "modal"})
    callback = await mini_bot.until(standin.interaction_response(sent))
    assert callback.json["type"] == 9 and _data(callback.json)["custom_id"]

    submit = await standin.send_modal_submit(sent, {"echo:text": "hello"})
    answer = await mini_bot.until(standin.interaction_response(submit))
    assert answer.json["type"] == 4 and _data(answer.json) | {"content": "got hello", "flags": 64} == _data(answer.json)
    assert standin.violations == []


async def test_mention_command_and_message_content_gating(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    unmentioned = await standin.send_message("ping")  # no MESSAGE_CONTENT intent: content is blanked
    assert unmentioned.delivered and not unmentioned.content_visible

    mark = len(standin.bot_messages)
    limited = standin.fail_next("POST", r"^/channels/\d+/messages$", 429, retry_after=0.2)
    mentioned = await standin.send_message(f"{standin.bot_mention} ping")
    assert mentioned.delivered and mentioned.content_visible
    reply = await mini_bot.until(standin.wait_for_bot_message(since=mark))
    assert reply["content"] == "pong from text" and reply["channel_id"] == str(standin.world.general.id)
    assert [r.status for r in limited.hits] == [429]  # discord.py waited retry_after and tried again
    assert len(standin.bot_messages) == mark + 1  # the unmentioned "ping" got no answer
    assert standin.violations == []


async def test_standin_answers_match_the_spec(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    for word in ("followup", "button", "modal"):
        sent = await standin.send_slash_command("ping", {"word": word})
        await mini_bot.until(standin.interaction_response(sent))
    await mini_bot.until(standin.followups(sent := await standin.send_slash_command("ping", {"word": "followup"})))
    world, app = standin.world, standin.world.application_id
    async with aiohttp.ClientSession(standin.base_url, headers={"Authorization": f"Bot {standin.token}"}) as http:
        for path in ("/gateway/bot", "/applications/@me", f"/applications/{app}/commands", f"/users/{world.owner.id}",
                     f"/channels/{world.general.id}", f"/channels/{world.general.id}/messages",
                     f"/guilds/{world.guild.id}", f"/guilds/{world.guild.id}/members/{world.owner.id}",
                     f"/webhooks/{app}/{sent.token}/messages/@original"):
            async with http.get("/api/v10" + path) as resp:
                assert resp.status == 200, path
        async with http.post("/api/v10/users/@me/channels", json={"recipient_id": str(world.member.id)}) as resp:
            assert resp.status == 200
        user_message = (await standin.send_message("hello")).message
        reply = {"content": "hi", "allowed_mentions": {"parse": []}, "message_reference": {"message_id": user_message["id"]}}
        async with http.post(f"/api/v10/channels/{world.general.id}/messages", json=reply) as resp:
            assert resp.status == 200 and (await resp.json())["referenced_message"]["id"] == user_message["id"]
    assert len({r.template for r in standin.requests if r.ok}) == 14  # operations whose answers were checked
    assert standin.response_problems() == [], "\n".join(standin.response_problems())
    assert standin.violations == []


async def test_resumes_after_a_dropped_connection(standin: DiscordStandIn, mini_bot: BotProcess) -> None:
    for how in ("close", "reconnect", "abort"):
        drop = time.monotonic()
        await standin.drop_gateway(how)
        resumed = await mini_bot.until(standin.wait_for_gateway("resumed", since=drop))
        assert resumed.detail["path"] == "/gateway-resume"  # READY's resume_gateway_url

    await standin.drop_gateway("invalidate")
    identifies = await mini_bot.until(standin.wait_for_gateway("identify", lambda e: e.detail["ok"], since=resumed.time))
    assert identifies.time > resumed.time
    await standin.wait_until_ready()

    sent = await standin.send_slash_command("ping")
    callback = await mini_bot.until(standin.interaction_response(sent))
    assert _data(callback.json)["content"] == "pong"
    assert standin.violations == []


async def test_wrong_token_is_refused(standin: DiscordStandIn, spawn_bot: SpawnBot) -> None:
    proc = await spawn_bot(str(MINI_BOT), env={"DISCORD_TOKEN": "not-the-token-" + "x" * 40})
    assert await proc.wait_exit() != 0
    assert "Improper token" in proc.output
    assert [(r.path, r.status) for r in standin.requests] == [("/users/@me", 401)]


# --- the stand-in and its checks on their own (no bot) ----------------------------------------------


def test_checker_flags_long_title_and_missing_allowed_mentions() -> None:
    checker = PayloadChecker.shared()
    good = {"type": 4, "data": {"content": "hi", "embeds": [{"title": "t" * 256}], "allowed_mentions": {"parse": []}}}
    assert checker.check("POST", "/interactions/1/tok/callback", good) == []

    bad = {"type": 4, "data": {"content": "hi", "embeds": [{"title": "t" * 257}]}}
    problems = checker.check("POST", "/interactions/1/tok/callback", bad)
    assert any("$.data.embeds[0].title: 257 characters, maxLength 256" in p for p in problems)  # the spec
    assert any("$.data.embeds[0].title: 257 characters, limit 256" in p for p in problems)  # the limits
    assert any("allowed_mentions is missing" in p for p in problems)

    pinging = {"content": "@everyone", "allowed_mentions": {"parse": ["everyone", "users"]}}
    problems = checker.check("POST", "/channels/1/messages", pinging)
    assert len([p for p in problems if "must not ping" in p]) == 2

    many = {"type": 8, "data": {"choices": [{"name": f"n{i}", "value": "v" * 101} for i in range(26)]}}
    problems = checker.check("POST", "/interactions/1/tok/callback", many)
    assert any("26 choices, limit 25" in p for p in problems)
    assert any("choices[0].value: 101 characters, limit 100" in p for p in problems)


async def test_rest_surface_faults_and_recording(standin: DiscordStandIn) -> None:
    auth = {"Authorization": f"Bot {standin.token}"}
    channel = standin.world.general.id
    async with aiohttp.ClientSession(standin.base_url, headers=auth) as http:
        async with http.get("/api/v10/users/@me") as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
            assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Bucket"} <= set(
                resp.headers)
            assert (await resp.json())["id"] == str(standin.world.bot.id)

        standin.fail_next("POST", rf"^/channels/{channel}/messages$", 429, retry_after=0.25)
        payload = {"content": "hello", "allowed_mentions": {"parse": []}}
        async with http.post(f"/api/v10/channels/{channel}/messages", json=payload) as resp:
            assert resp.status == 429 and resp.headers["Via"] and resp.headers["X-RateLimit-Remaining"] == "0"
            assert (await resp.json())["retry_after"] == 0.25

        form = aiohttp.FormData(quote_fields=False)
        form.add_field("payload_json", json.dumps(payload | {"attachments": [{"id": 0, "filename": "a.txt"}]}),
                       content_type="application/json")
        form.add_field("files[0]", b"file bytes", filename="a.txt", content_type="text/plain")
        async with http.post(f"/api/v10/channels/{channel}/messages", data=form) as resp:
            assert resp.status == 200
            message = await resp.json()
            assert message["attachments"][0]["filename"] == "a.txt" and message["content"] == "hello"

        async with http.post(f"/api/v10/channels/{standin.world.locked.id}/messages", json=payload) as resp:
            assert resp.status == 403 and await resp.json() == {"message": "Missing Permissions", "code": 50013}

        standin.fail_next("GET", r"^/channels/", 404, code=10003)
        async with http.get(f"/api/v10/channels/{channel}") as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10003

        async with http.get("/api/v10/no/such/route") as resp:
            assert resp.status == 404 and set(await resp.json()) == {"message", "code"}

        async with http.post(f"/api/v10/channels/{channel}/messages", json={"embeds": [{"title": "x" * 300}]}) as resp:
            assert resp.status == 200  # recorded, not rejected (reject_invalid=False)

    upload = next(r for r in standin.requests if r.files)
    assert upload.json["content"] == "hello" and upload.files[0].data == b"file bytes"
    assert "Authorization" not in upload.headers and upload.authorized
    assert standin.unknown_routes == ["GET /no/such/route"]
    assert any("embeds[0].title: 300 characters" in v for v in standin.violations)
    assert any("allowed_mentions is missing" in v for v in standin.violations)


class _RawGateway:
    """Just enough of a gateway client to test the stand-in's side of the protocol byte for byte."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inflate = zlib.decompressobj()

    async def recv(self) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.BINARY, msg
        assert msg.data.endswith(b"\x00\x00\xff\xff")  # one Z_SYNC_FLUSH-terminated message per frame
        payload: dict[str, Any] = json.loads(self.inflate.decompress(msg.data))
        return payload

    async def until(self, event: str) -> dict[str, Any]:
        while (payload := await self.recv())["t"] != event:
            pass
        return payload

    async def send(self, op: int, d: Any) -> None:
        await self.ws.send_str(json.dumps({"op": op, "d": d}))


async def test_gateway_protocol_and_interaction_routes_without_a_bot(standin: DiscordStandIn) -> None:
    world, app = standin.world, standin.world.application_id
    auth = {"Authorization": f"Bot {standin.token}"}
    group = {"name": "reminders", "description": "Reminders", "options": [
        {"type": 2, "name": "daily", "description": "Daily", "options": [
            {"type": 1, "name": "add", "description": "Add", "options": [
                {"type": 3, "name": "topic", "description": "Topic", "required": True, "autocomplete": True},
                {"type": 6, "name": "for", "description": "Who"},
            ]},
        ]},
    ]}
    async with aiohttp.ClientSession(standin.base_url, headers=auth) as http:
        async with http.put(f"/api/v10/applications/{app}/guilds/{world.guild.id}/commands", json=[group]) as resp:
            assert resp.status == 200

        async with http.ws_connect(standin.gateway_url + "?v=10&encoding=json&compress=zlib-stream") as ws:
            gw = _RawGateway(ws)
            hello = await gw.recv()
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
            await gw.send(1, None)
            assert (await gw.recv())["op"] == 11
            await gw.send(2, {"token": standin.token, "intents": 1 | (1 << 9), "properties": {}})
            ready = (await gw.until("READY"))["d"]
            assert ready["resume_gateway_url"] == standin.resume_gateway_url
            assert ready["application"]["id"] == str(app) and ready["guilds"][0]["unavailable"] is True
            guild = (await gw.until("GUILD_CREATE"))["d"]
            assert guild["owner_id"] == str(world.owner.id)
            assert [m["user"]["id"] for m in guild["members"]] == [str(world.bot.id)]  # no GUILD_MEMBERS intent
            assert {c["name"] for c in guild["channels"]} >= {"general", "announcements", "bot-locked"}

            sent = await standin.send_slash_command(
                "reminders daily add", {"topic": "trade", "for": world.moderator}, user=world.owner)
            got = (await gw.until("INTERACTION_CREATE"))["d"]
            assert got["id"] == sent.id and got["member"]["permissions"] == str((1 << 53) - 1)  # the owner
            (daily,) = got["data"]["options"]
            (add,) = daily["options"]
            assert add["name"] == "add" and {o["name"]: o["value"] for o in add["options"]} == {
                "topic": "trade", "for": str(world.moderator.id)}
            assert str(world.moderator.id) in got["data"]["resolved"]["members"]
            with pytest.raises(ValueError, match="without"):
                await standin.send_slash_command("reminders daily add", {})

            auto = await standin.send_autocomplete("reminders daily add", {"topic": "tr"}, focused="topic")
            auto_payload = (await gw.until("INTERACTION_CREATE"))["d"]
            assert auto_payload["data"]["options"][0]["options"][0]["options"] == [
                {"name": "topic", "type": 3, "value": "tr", "focused": True}]

            # Answer as a bot would: defer, edit @original, a follow-up with a file, then misuse.
            base = f"/api/v10/interactions/{sent.id}/{sent.token}/callback"
            async with http.post(base, json={"type": 5}) as resp:
                assert resp.status == 204
            hook = f"/api/v10/webhooks/{app}/{sent.token}"
            edit = {"content": "done", "allowed_mentions": {"parse": []}}
            async with http.patch(f"{hook}/messages/@original", json=edit) as resp:
                assert resp.status == 200 and (await resp.json())["content"] == "done"
            form = aiohttp.FormData(quote_fields=False)
            form.add_field("payload_json", json.dumps(
                {"content": "file", "allowed_mentions": {"parse": []}, "attachments": [{"id": 0, "filename": "r.csv"}]}))
            form.add_field("files[0]", b"a,b\n", filename="r.csv")
            async with http.post(f"{hook}?wait=true", data=form) as resp:
                followup = await resp.json()
                assert resp.status == 200 and followup["attachments"][0]["size"] == 4
            async with http.get(f"{hook}/messages/{followup['id']}") as resp:
                assert resp.status == 200
            async with http.delete(f"{hook}/messages/{followup['id']}") as resp:
                assert resp.status == 204
            again = {"type": 4, "data": {"content": "again", "allowed_mentions": {"parse": []}}}
            async with http.post(base, json=again) as resp:
                assert resp.status == 400 and (await resp.json())["code"] == 40060
            assert (await standin.interaction_response(sent)).json == {"type": 5}

            text_input = {"type": 4, "custom_id": "text", "label": "Text", "style": 1}
            modal = {"custom_id": "m", "title": "t", "components": [{"type": 1, "components": [text_input]}]}
            async with http.post(f"/api/v10/interactions/{auto.id}/{auto.token}/callback",
                                 json={"type": 9, "data": modal}) as resp:
                assert resp.status == 400  # a modal is no answer to autocomplete

            await ws.close(code=4000)  # as discord.py does; a 1000/1001 close would end the session
        assert ws.close_code is not None

        # Events dispatched while disconnected are replayed on RESUME, then RESUMED.
        missed = await standin.send_slash_command("reminders daily add", {"topic": "energy"})
        async with http.ws_connect(standin.resume_gateway_url + "?v=10&encoding=json&compress=zlib-stream") as ws:
            gw = _RawGateway(ws)
            await gw.recv()  # HELLO
            await gw.send(6, {"token": standin.token, "session_id": ready["session_id"], "seq": guild_seq(standin)})
            replayed = await gw.recv()
            assert replayed["t"] == "INTERACTION_CREATE" and replayed["d"]["id"] == missed.id
            assert (await gw.until("RESUMED"))["op"] == 0
    assert standin.violations == [
        f"interaction {sent.id}: acknowledged twice",
        f"interaction {auto.id}: response type 9 is not valid for interaction type 4 (valid: [8])",
    ]


def guild_seq(standin: DiscordStandIn) -> int:
    """The sequence number just before the first event dispatched after the tested ones."""
    event = next(e for e in standin.gateway_log if e.kind == "dispatch" and e.detail["event"] == "INTERACTION_CREATE")
    return int(event.detail["seq"]) + 1  # the slash command and the autocomplete were received


async def test_configure_endpoints_patches_and_restores() -> None:
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    from bot.chat.endpoints import configure_endpoints

    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        configure_endpoints("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9/gateway")
        assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gateway"
        with pytest.raises(ValueError, match="api_base_url"):
            configure_endpoints("ws://127.0.0.1:9/api/v10", None)
        with pytest.raises(ValueError, match="gateway_url"):
            configure_endpoints(None, "http://127.0.0.1:9/gateway")
        configure_endpoints(None, None)
        assert original == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        assert original[0] == "https://discord.com/api/v10"
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = original


async def test_commands_are_offered_only_where_declared_and_message_commands_carry_the_message(
        standin: DiscordStandIn) -> None:
    world, app = standin.world, standin.world.application_id
    auth = {"Authorization": f"Bot {standin.token}"}
    commands = [
        {"name": "setup", "description": "Guild only", "dm_permission": False},
        {"name": "ask", "description": "Anywhere", "integration_types": [0, 1], "contexts": [0, 1, 2],
         "options": [{"type": 3, "name": "question", "description": "Q", "required": True}]},
        {"name": "Ask here", "type": 3, "integration_types": [0, 1], "contexts": [0, 1, 2]},
    ]
    async with aiohttp.ClientSession(standin.base_url, headers=auth) as http:
        async with http.put(f"/api/v10/applications/{app}/commands", json=commands) as resp:
            assert resp.status == 200
        async with http.ws_connect(standin.gateway_url + "?v=10&encoding=json&compress=zlib-stream") as ws:
            gw = _RawGateway(ws)
            await gw.recv()
            await gw.send(2, {"token": standin.token, "intents": 1 | (1 << 9) | (1 << 12), "properties": {}})
            await gw.until("READY")
            dm = world.dm_channel(world.member)
            with pytest.raises(LookupError, match="context"):
                await standin.send_slash_command("setup", {}, channel=dm)  # dm_permission false: not in DMs
            with pytest.raises(LookupError, match="user installs"):
                await standin.send_slash_command("setup", {}, user_install=True)
            await standin.send_slash_command("ask", {"question": "why"}, channel=dm, user_install=True)
            got = (await gw.until("INTERACTION_CREATE"))["d"]
            assert got["authorizing_integration_owners"] == {"1": str(world.member.id)} and got["context"] == 1
            posted = await standin.send_message("what happened in Lachin", author=world.owner)
            await standin.send_context_menu("Ask here", posted.message)
            data = (await gw.until("INTERACTION_CREATE"))["d"]["data"]
            assert data["type"] == 3 and data["target_id"] == posted.message["id"]
            assert data["resolved"]["messages"][posted.message["id"]]["content"] == "what happened in Lachin"
