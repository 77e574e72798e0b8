"""Typed settings from the environment (and an optional ``.env`` file), validated at start-up.

This is the only module that reads the environment (the loader's settings too:
:func:`load_options`). Hooks that exist only for tests are
read in :class:`TestHooks`, and nowhere else.

The token is held as a :class:`Secret` whose ``repr`` and ``str`` never show it, so it cannot leak
through a log line, an exception message or a debugger print.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .core.file_listing import MAX_FILE_BYTES, ReadLimits
from .core.load_options import LoadOptions
from .paths import PROJECT_ROOT


class Secret:
    """A string that refuses to show itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


def data_dirs(briefs: str | None = None, corpus: str | None = None) -> tuple[Path, Path]:
    """The briefs and corpus folders: flags first, then ``SAFEER_BRIEFS_DIR``/``SAFEER_CORPUS_DIR``,
    then the project's own ``briefs/`` and ``corpus/``."""
    b = briefs or os.environ.get("SAFEER_BRIEFS_DIR") or str(PROJECT_ROOT / "briefs")
    c = corpus or os.environ.get("SAFEER_CORPUS_DIR") or str(PROJECT_ROOT / "corpus")
    return Path(b), Path(c)


def state_dir() -> Path:
    """``SAFEER_STATE_DIR``, else ``.safeer/`` in the project: sync hash, SQLite file, console history."""
    return Path(os.environ.get("SAFEER_STATE_DIR") or PROJECT_ROOT / ".safeer")


def token_is_set() -> bool:
    """Whether ``DISCORD_TOKEN`` is set: ``python -m bot`` then runs the bot, else the console."""
    return bool(os.environ.get("DISCORD_TOKEN"))


@dataclass(frozen=True)
class TestHooks:
    """Settings that exist only so tests can drive the real bot; never set them in production.

    * ``SAFEER_CLOCK_OFFSET_SECONDS`` — shift the reminder scheduler's clock (posts "tomorrow" now);
    * ``SAFEER_REMINDER_TICK_SECONDS`` — run the reminder pass this often instead of every minute;
    * ``SAFEER_NO_DOTENV=1`` — ignore a developer's ``.env`` file;
    * ``SAFEER_SLOW_FACT_INDEX_SECONDS`` — work that builds the fact index off the event loop (the
      warm-up, a question asked before it is done) first sleeps this long, so tests can ask while it builds.
    """

    __test__ = False  # not a pytest test class, despite its name

    clock_offset_seconds: float = 0.0
    reminder_tick_seconds: float | None = None
    no_dotenv: bool = False
    slow_fact_index_seconds: float = 0.0

    @classmethod
    def from_env(cls) -> TestHooks:
        tick = _float("SAFEER_REMINDER_TICK_SECONDS", 0.0, 0.0, 3600.0)
        return cls(clock_offset_seconds=_float("SAFEER_CLOCK_OFFSET_SECONDS", 0.0, -1e9, 1e9),
                   reminder_tick_seconds=tick or None,
                   no_dotenv=cls.skip_dotenv(),
                   slow_fact_index_seconds=_float("SAFEER_SLOW_FACT_INDEX_SECONDS", 0.0, 0.0, 60.0))

    @staticmethod
    def skip_dotenv() -> bool:
        return os.environ.get("SAFEER_NO_DOTENV") == "1"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and what is expected."""


class DataFolderError(SettingsError):
    """A data folder is missing or cannot be read (its own exit code: the setting may be right)."""


def load_env_file() -> None:
    """Read ``.env`` (the current folder's, else the project's) into the environment, without
    overriding what is already set. ``python -m bot`` calls this before choosing between the bot
    and the console, so ``./scripts/run`` and ``python -m bot run`` see the same settings.
    ``SAFEER_NO_DOTENV=1`` skips it (tests run hermetically, ignoring a developer's ``.env``)."""
    if TestHooks.skip_dotenv():
        return
    from dotenv import load_dotenv

    for candidate in (Path.cwd() / ".env", PROJECT_ROOT / ".env"):
        if candidate.is_file():
            load_dotenv(candidate, override=False)
            return


def _ids(name: str) -> frozenset[int]:
    raw = os.environ.get(name, "").replace(";", ",")
    out = set()
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if not part.isdigit() or not 15 <= len(part) <= 21:
            raise SettingsError(f"{name}: '{part[:30]}' is not a Discord id (a number of 17–20 digits)")
        out.add(int(part))
    return frozenset(out)


def _float(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: '{raw[:30]}' is not a number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: {value} is outside {low}–{high}")
    return value


def _shards() -> tuple[int | None, tuple[int, ...] | None]:
    """``SAFEER_SHARD_COUNT`` and ``SAFEER_SHARD_IDS`` (e.g. ``0-3`` or ``4,5,6,7``) for multi-process runs."""
    raw_count = os.environ.get("SAFEER_SHARD_COUNT", "").strip()
    raw_ids = os.environ.get("SAFEER_SHARD_IDS", "").strip()
    if not raw_count:
        if raw_ids:
            raise SettingsError("SAFEER_SHARD_IDS needs SAFEER_SHARD_COUNT (the total number of shards)")
        return None, None
    if not raw_count.isdigit() or not 1 <= int(raw_count) <= 10_000:
        raise SettingsError(f"SAFEER_SHARD_COUNT: '{raw_count[:20]}' is not a number of shards")
    count = int(raw_count)
    if not raw_ids:
        return count, tuple(range(count))
    ids: list[int] = []
    for part in raw_ids.replace(" ", "").split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise SettingsError(f"SAFEER_SHARD_IDS: '{part[:20]}' is not a shard number or range like 0-3")
        ids += range(int(lo), int(hi or lo) + 1)
    if any(i >= count for i in ids):
        raise SettingsError(f"SAFEER_SHARD_IDS: shards must be below SAFEER_SHARD_COUNT={count}")
    return count, tuple(sorted(set(ids)))


def _address(name: str) -> tuple[str, int] | None:
    """``host:port`` (``[::1]:9108`` for IPv6), or None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    host, sep, port = raw.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"{name}: '{raw[:60]}' is not host:port, e.g. 127.0.0.1:9108")
    return host, int(port)


_OFF = {"0", "off", "no", "false"}


def load_options() -> LoadOptions:
    """How data is loaded, for every face (the command line needs no token):

    ``SAFEER_CACHE_DIR`` (default ``.safeer/cache``; ``SAFEER_CACHE=off`` for none),
    ``SAFEER_LOAD_WORKERS`` (parse helpers; default one per CPU beyond the first),
    ``SAFEER_MAX_FILE_MB`` (the largest data file read; default 5) and ``SAFEER_LINK_DIRS``
    (folders, separated by ``:``, that symbolic links in the data folders may point into).
    """
    cache: Path | None = None
    if os.environ.get("SAFEER_CACHE", "").strip().lower() not in _OFF:
        configured = os.environ.get("SAFEER_CACHE_DIR", "").strip()
        cache = Path(configured) if configured else PROJECT_ROOT / ".safeer" / "cache"
    workers = os.environ.get("SAFEER_LOAD_WORKERS", "").strip()
    if workers and not workers.isdigit():
        raise SettingsError(f"SAFEER_LOAD_WORKERS: '{workers[:20]}' is not a number of helper processes")
    max_mb = _float("SAFEER_MAX_FILE_MB", MAX_FILE_BYTES / 1048576, 0.001, 10_000.0)
    links = tuple(str(Path(p).expanduser()) for p in os.environ.get("SAFEER_LINK_DIRS", "").split(os.pathsep)
                  if p.strip())
    return LoadOptions(cache_dir=cache, helpers=int(workers) if workers else None,
                       limits=ReadLimits(int(max_mb * 1048576), links))


@dataclass(frozen=True)
class Settings:
    token: Secret
    briefs_dir: Path
    corpus_dir: Path
    state_dir: Path
    database_url: str
    guild_ids: frozenset[int] = frozenset()
    operator_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    api_base_url: str | None = None
    gateway_url: str | None = None
    reminder_grace_hours: float = 6.0
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    log_format: str = "text"
    metrics_address: tuple[str, int] | None = None
    stop_timeout: float = 10.0
    test_hooks: TestHooks = TestHooks()
    load: LoadOptions = field(default_factory=LoadOptions)  # cache, parse helpers, data file limits

    @classmethod
    def from_env(cls, briefs: str | None = None, corpus: str | None = None) -> Settings:
        """Read and validate; raise :class:`SettingsError` with one clear message."""
        load_env_file()
        hooks = TestHooks.from_env()
        token = os.environ.get("DISCORD_TOKEN", "").strip()
        if not token:
            raise SettingsError("DISCORD_TOKEN is not set: put the bot token in the environment or in .env "
                                "(without a token, `python -m bot console` works offline)")
        if any(ch.isspace() for ch in token) or len(token) < 20:
            raise SettingsError("DISCORD_TOKEN does not look like a bot token (too short or has spaces)")
        level = os.environ.get("SAFEER_LOG_LEVEL", "INFO").upper()
        if level not in logging.getLevelNamesMapping():
            raise SettingsError(f"SAFEER_LOG_LEVEL: '{level[:20]}' is not a level (DEBUG, INFO, WARNING, ERROR)")
        briefs_dir, corpus_dir = data_dirs(briefs, corpus)
        for label, path in (("briefs", briefs_dir), ("corpus", corpus_dir)):
            if not path.is_dir():
                raise DataFolderError(f"the {label} folder {path} does not exist (set SAFEER_{label.upper()}_DIR)")
            if not os.access(path, os.R_OK | os.X_OK):
                raise DataFolderError(f"the {label} folder {path} cannot be read by this user")
        state = state_dir()
        db = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{state / 'safeer.sqlite3'}"
        api = os.environ.get("DISCORD_API_BASE_URL") or None
        gateway = os.environ.get("DISCORD_GATEWAY_URL") or None
        for name, url in (("DISCORD_API_BASE_URL", api), ("DISCORD_GATEWAY_URL", gateway)):
            if url and not url.startswith(("http://", "https://", "ws://", "wss://")):
                raise SettingsError(f"{name}: '{url[:60]}' is not an http(s) or ws(s) URL")
        shard_count, shard_ids = _shards()
        log_format = os.environ.get("SAFEER_LOG_FORMAT", "text").strip().lower() or "text"
        if log_format not in ("text", "json"):
            raise SettingsError(f"SAFEER_LOG_FORMAT: '{log_format[:20]}' is not text or json")
        return cls(
            token=Secret(token), shard_count=shard_count, shard_ids=shard_ids, briefs_dir=briefs_dir,
            corpus_dir=corpus_dir, state_dir=state, test_hooks=hooks,
            database_url=db, guild_ids=_ids("SAFEER_GUILD_IDS"), operator_ids=_ids("SAFEER_OPERATOR_IDS"),
            log_level=level, api_base_url=api, gateway_url=gateway,
            reminder_grace_hours=_float("SAFEER_REMINDER_GRACE_HOURS", 6.0, 0.0, 23.0),
            log_format=log_format, metrics_address=_address("SAFEER_METRICS_ADDRESS"),
            load=load_options(),
            stop_timeout=_float("SAFEER_STOP_TIMEOUT_SECONDS", 10.0, 0.0, 300.0),
        )
