"""The pretend Discord the stand-in serves: users, a guild with roles, channels and members, and the
JSON objects Discord would send for them.

Everything is plain data. ``World.default()`` builds the usual cast::

    world = World.default()
    world.bot            # the bot's own user (application id == bot user id, as for modern apps)
    world.owner          # owns the application and the guild
    world.moderator      # has the Moderators role (Manage Server, Manage Messages)
    world.member         # an ordinary member
    world.guild          # the one guild; world.general is its #general text channel
    world.announcements  # a channel where members may not post (the bot may)
    world.locked         # a channel the bot may see but not post in (403 on send)
    world.dm_channel(world.member)   # the bot's DM with a user (interactions from there have no guild)
    World.default(team=True)         # the application belongs to a team instead of a user

Change it freely before starting the stand-in (add roles, members, channel overwrites…).

Permissions follow Discord's algorithm (guild owner and Administrator have everything; @everyone,
then roles, then channel overwrites for @everyone, roles and the member).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from enum import IntFlag
from typing import Any

JsonObject = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000


class Permission(IntFlag):
    """The permission bits the stand-in cares about (Discord's values)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    SEND_MESSAGES_IN_THREADS = 1 << 38


ALL_PERMISSIONS = (1 << 53) - 1
EVERYONE_DEFAULT = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.ADD_REACTIONS
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.USE_APPLICATION_COMMANDS
    | Permission.SEND_MESSAGES_IN_THREADS
    | Permission.CREATE_INSTANT_INVITE
)
BOT_DEFAULT = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.ADD_REACTIONS
    | Permission.SEND_MESSAGES_IN_THREADS
)


class Intent(IntFlag):
    """Gateway intents (Discord's values) the stand-in honours."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15


PRIVILEGED_INTENTS = Intent.GUILD_MEMBERS | Intent.GUILD_PRESENCES | Intent.MESSAGE_CONTENT


class SnowflakeFactory:
    """Real-looking, strictly increasing snowflakes (timestamp, worker, process, increment)."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> int:
        with self._lock:
            now = int(time.time() * 1000) - DISCORD_EPOCH_MS
            flake = (now << 22) | (1 << 17) | ((os.getpid() & 0x1F) << 12) | (next(self._counter) & 0xFFF)
            self._last = flake = max(flake, self._last + 1)
            return flake


snowflake = SnowflakeFactory()


def snowflake_time(flake: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(((flake >> 22) + DISCORD_EPOCH_MS) / 1000, dt.UTC)


def iso(moment: dt.datetime | None = None) -> str:
    """Discord's timestamp format: ISO 8601 with microseconds and +00:00."""
    return (moment or dt.datetime.now(dt.UTC)).isoformat(timespec="microseconds")


def fake_token(bot_id: int) -> str:
    """Shaped like a bot token (base64 id . timestamp . hmac) but worthless anywhere else."""
    head = base64.b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{head}.StAnD1n.{base64.urlsafe_b64encode(os.urandom(27)).decode().rstrip('=')}"


@dataclass
class FakeUser:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> JsonObject:
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "bot": self.bot,
            "system": False,
            "collectibles": None,
            "primary_guild": None,
        }

    def me_payload(self) -> JsonObject:
        """``GET /users/@me`` and READY's ``user``: the public fields plus the private ones."""
        return self.payload() | {"mfa_enabled": True, "locale": "en-US", "verified": True, "email": None}


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None

    def payload(self) -> JsonObject:
        tags: JsonObject = {"bot_id": str(self.bot_id)} if self.bot_id else {}
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
            "tags": tags,
        }


@dataclass
class Overwrite:
    """A channel permission overwrite; ``type`` 0 = role, 1 = member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> JsonObject:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class FakeChannel:
    """A guild channel (type 0 text, 4 category, 5 announcement) or a DM (type 1)."""

    id: int
    name: str
    type: int = 0
    position: int = 0
    guild_id: int | None = None
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient: FakeUser | None = None

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self) -> JsonObject:
        if self.type == 1:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.recipient.payload()],
            }
        data: JsonObject = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "flags": 0,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "nsfw": False,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.type in (0, 5):
            data |= {"topic": self.topic, "last_message_id": None, "rate_limit_per_user": 0}
        return data


@dataclass
class FakeMember:
    user: FakeUser
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso)

    def payload(self, *, with_user: bool = True) -> JsonObject:
        data: JsonObject = {
            "roles": [str(r) for r in self.role_ids],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: list[FakeRole] = field(default_factory=list)
    channels: list[FakeChannel] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)
    locale: str = "en-US"

    @property
    def everyone(self) -> FakeRole:
        return self.role(self.id)

    def role(self, role_id: int) -> FakeRole:
        for role in self.roles:
            if role.id == role_id:
                return role
        raise KeyError(f"no role {role_id} in guild {self.name}")

    def channel(self, channel_id: int) -> FakeChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def member(self, user_id: int) -> FakeMember | None:
        return next((m for m in self.members if m.user.id == user_id), None)

    def base_permissions(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.member(user_id)
        perms = self.everyone.permissions
        if member is not None:
            for role_id in member.role_ids:
                perms |= self.role(role_id).permissions
        if perms & Permission.ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def permissions_in(self, user_id: int, channel_id: int) -> int:
        """Discord's permission algorithm, overwrites included."""
        base = self.base_permissions(user_id)
        channel = self.channel(channel_id)
        if base & Permission.ADMINISTRATOR or base == ALL_PERMISSIONS or channel is None:
            return base
        member = self.member(user_id)
        role_ids = set(member.role_ids) if member else set()
        perms = base
        by_id = {o.id: o for o in channel.overwrites}
        if (everyone := by_id.get(self.id)) is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for o in channel.overwrites:
            if o.type == 0 and o.id in role_ids:
                allow |= o.allow
                deny |= o.deny
        perms = (perms & ~deny) | allow
        for o in channel.overwrites:
            if o.type == 1 and o.id == user_id:
                perms = (perms & ~o.deny) | o.allow
        if not perms & Permission.VIEW_CHANNEL:
            return 0
        return perms

    def payload(self) -> JsonObject:
        """The guild object of ``GET /guilds/{id}`` (no members or channels)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [r.payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_presences": None,
            "max_members": 25000000,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
            "home_header": None,
            "widget_channel_id": None,
            "nsfw": False,
        }

    def create_payload(self, *, bot_id: int, with_members: bool) -> JsonObject:
        """GUILD_CREATE: the guild plus channels, members (only the bot's own without the
        GUILD_MEMBERS intent, as Discord does), and the other start-up lists."""
        members = [m for m in self.members if with_members or m.user.id == bot_id]
        bot_member = self.member(bot_id)
        return self.payload() | {
            "joined_at": bot_member.joined_at if bot_member else iso(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.payload() for m in members],
            "channels": [c.payload() for c in self.channels],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "lazy": True,
            "application_command_counts": {},
            "embedded_activities": [],
            "version": int(time.time() * 1000),
        }


@dataclass
class World:
    bot: FakeUser
    owner: FakeUser
    guilds: list[FakeGuild]
    users: list[FakeUser]
    team_id: int | None = None  # set: the application belongs to a team (the owner its only member)
    application_name: str = "Safeer"
    application_flags: int = 1 << 19  # GATEWAY_MESSAGE_CONTENT_LIMITED, as for an unverified bot
    dm_channels: dict[int, FakeChannel] = field(default_factory=dict)

    @property
    def application_id(self) -> int:
        return self.bot.id

    @property
    def guild(self) -> FakeGuild:
        return self.guilds[0]

    @property
    def general(self) -> FakeChannel:
        return self._named_channel("general")

    @property
    def announcements(self) -> FakeChannel:
        return self._named_channel("announcements")

    @property
    def locked(self) -> FakeChannel:
        return self._named_channel("bot-locked")

    @property
    def moderator(self) -> FakeUser:
        return self.user("moderator")

    @property
    def member(self) -> FakeUser:
        return self.user("member")

    def _named_channel(self, name: str) -> FakeChannel:
        for channel in self.guild.channels:
            if channel.name == name:
                return channel
        raise KeyError(f"no channel #{name} in {self.guild.name}")

    def user(self, key: int | str) -> FakeUser:
        """A user by id or username."""
        for user in self.users:
            if key in (user.id, user.username):
                return user
        raise KeyError(f"no user {key!r}")

    def find_guild(self, guild_id: int) -> FakeGuild | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        for guild in self.guilds:
            if (channel := guild.channel(channel_id)) is not None:
                return channel
        return next((c for c in self.dm_channels.values() if c.id == channel_id), None)

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The DM channel between the bot and ``user`` (created on first use)."""
        if user.id not in self.dm_channels:
            self.dm_channels[user.id] = FakeChannel(id=snowflake(), name="", type=1, recipient=user)
        return self.dm_channels[user.id]

    def application_payload(self) -> JsonObject:
        """``GET /oauth2/applications/@me`` and ``/applications/@me``."""
        team: JsonObject | None = None
        if self.team_id is not None:
            team = {
                "id": str(self.team_id),
                "name": "Safeer team",
                "icon": None,
                "owner_user_id": str(self.owner.id),
                "members": [
                    {"user": self.owner.payload(), "team_id": str(self.team_id), "membership_state": 2,
                     "role": "admin", "permissions": ["*"]}
                ],
            }
        return {
            "id": str(self.application_id),
            "name": self.application_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "is_monetized": False,
            "is_verified": False,
            "is_discoverable": False,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "flags_new": str(self.application_flags),
            "hook": True,
            "bot": self.bot.payload(),
            "owner": self.owner.payload(),
            "team": team,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "eligible_oauth2_scopes": ["bot", "applications.commands"],
        }

    @classmethod
    def default(cls, *, team: bool = False) -> World:
        bot = FakeUser(snowflake(), "Safeer", bot=True)
        owner = FakeUser(snowflake(), "owner", global_name="Guild Owner")
        moderator = FakeUser(snowflake(), "moderator", global_name="Mod")
        member = FakeUser(snowflake(), "member", global_name="Member")
        guild_id = snowflake()
        mods = FakeRole(snowflake(), "Moderators", Permission.MANAGE_GUILD | Permission.MANAGE_MESSAGES, position=2)
        bot_role = FakeRole(snowflake(), "Safeer", BOT_DEFAULT, position=1, managed=True, bot_id=bot.id)
        everyone = FakeRole(guild_id, "@everyone", EVERYONE_DEFAULT)
        category = FakeChannel(snowflake(), "Text Channels", type=4, guild_id=guild_id)
        channels = [
            category,
            FakeChannel(snowflake(), "general", guild_id=guild_id, parent_id=category.id, topic="General chat"),
            FakeChannel(
                snowflake(), "announcements", guild_id=guild_id, parent_id=category.id, position=1,
                overwrites=[Overwrite(guild_id, 0, deny=Permission.SEND_MESSAGES),
                            Overwrite(bot_role.id, 0, allow=Permission.SEND_MESSAGES)],
            ),
            FakeChannel(
                snowflake(), "bot-locked", guild_id=guild_id, parent_id=category.id, position=2,
                overwrites=[Overwrite(bot.id, 1, deny=Permission.SEND_MESSAGES)],
            ),
        ]
        guild = FakeGuild(
            id=guild_id,
            name="Safeer Test Guild",
            owner_id=owner.id,
            roles=[everyone, bot_role, mods],
            channels=channels,
            members=[
                FakeMember(owner),
                FakeMember(bot, [bot_role.id]),
                FakeMember(moderator, [mods.id]),
                FakeMember(member),
            ],
        )
        return cls(bot=bot, owner=owner, guilds=[guild], users=[bot, owner, moderator, member],
                   team_id=snowflake() if team else None)
