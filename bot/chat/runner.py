"""Start the Discord bot: settings, logging, data, database, then connect and run until stopped.

Everything that can be checked is checked before Discord is contacted. Each way a start can fail
is one line on stderr and its own exit code (:mod:`bot.exit_codes`), never a traceback. SIGTERM
and SIGINT stop the bot gracefully (see :meth:`SafeerBot.request_stop`) and the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from urllib.parse import urlsplit

import aiohttp
import discord

from .. import runtime
from ..core.library import Library
from ..core.problems import DataError
from ..exit_codes import ExitCode, StartError
from ..logs import setup_logging
from ..schedule.store_open import StoreOpenError, open_store
from ..settings import DataFolderError, Settings, SettingsError
from .client import SafeerBot
from .endpoints import configure_endpoints

log = logging.getLogger("bot")

_STORE_CODES = {
    "unreachable": ExitCode.DATABASE_UNREACHABLE,
    "read_only": ExitCode.DATABASE_READ_ONLY,
    "folder_unwritable": ExitCode.DATABASE_FOLDER_UNWRITABLE,
    "not_a_database": ExitCode.DATABASE_NOT_A_DATABASE,
    "unsupported": ExitCode.DATABASE_UNSUPPORTED,
}


def run_bot(briefs: str | None = None, corpus: str | None = None) -> int:
    """Validate everything first, then connect. Returns a process exit code."""
    try:
        settings = _settings(briefs, corpus)
        # The bot never joins voice; discord.py would warn twice that voice libraries are missing.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        setup_logging(settings)
        runtime.serve_responsively()  # a reload runs in a thread while the loop answers
        library = _library(settings)
        try:
            configure_endpoints(settings.api_base_url, settings.gateway_url)
        except ValueError as exc:
            raise StartError(ExitCode.BAD_SETTING, str(exc)) from None
        return asyncio.run(_serve(settings, library))
    except StartError as exc:
        print(f"safeer: error: {exc}", file=sys.stderr)
        return int(exc.code)
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed
        return int(ExitCode.OK)


def _settings(briefs: str | None, corpus: str | None) -> Settings:
    try:
        return Settings.from_env(briefs, corpus)
    except DataFolderError as exc:
        raise StartError(ExitCode.DATA_UNREADABLE, str(exc)) from None
    except SettingsError as exc:
        raise StartError(ExitCode.BAD_SETTING, str(exc)) from None


def _library(settings: Settings) -> Library:
    try:
        with runtime.start_up():  # the runner owns the collector: paused for this load, then frozen once
            return Library.load(settings.briefs_dir, settings.corpus_dir, options=settings.load)
    except DataError as exc:
        print(f"safeer: error: the briefs have {len(exc.problems)} problem(s); not starting:", file=sys.stderr)
        for problem in exc.problems[:30]:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(int(ExitCode.DATA_INVALID)) from None
    except OSError as exc:
        where = exc.filename or f"{settings.briefs_dir} or {settings.corpus_dir}"
        raise StartError(ExitCode.DATA_UNREADABLE, f"cannot read the data: {where}: {exc.strerror or exc}") from None


def _discord_host(settings: Settings) -> str:
    return urlsplit(settings.api_base_url).netloc if settings.api_base_url else "discord.com"


async def _serve(settings: Settings, library: Library) -> int:
    try:
        store = await open_store(settings.database_url)
    except StoreOpenError as exc:
        raise StartError(_STORE_CODES[exc.problem], str(exc)) from None
    client = SafeerBot(settings, library, store)
    service = None
    if settings.metrics_address is not None:
        from .service_http import ServiceHttp

        host, port = settings.metrics_address
        service = ServiceHttp(client, host, port)
        try:
            await service.start()
        except OSError as exc:
            await store.close()
            raise StartError(ExitCode.BAD_SETTING, f"SAFEER_METRICS_ADDRESS: cannot listen on {host}:{port} "
                             f"({exc.strerror or exc})") from None
    try:
        await _run_client(client, settings, library)
    finally:
        if service is not None:
            await service.stop()
    return int(ExitCode.OK)


async def _run_client(client: SafeerBot, settings: Settings, library: Library) -> None:
    async with client:
        try:
            await client.login(settings.token.reveal())
        except discord.LoginFailure:
            raise StartError(ExitCode.TOKEN_REJECTED,
                             "Discord refused the token (401): DISCORD_TOKEN is wrong or was reset") from None
        except (aiohttp.ClientError, OSError, TimeoutError, discord.DiscordServerError) as exc:
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise StartError(ExitCode.DISCORD_UNREACHABLE,
                             f"cannot reach Discord at {_discord_host(settings)}: {reason}") from None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, client.request_stop, sig.name)
        log.info("starting with %d briefs (hash %s)", len(library.catalog), library.catalog.content_hash)
        try:
            await client.connect()
        except discord.PrivilegedIntentsRequired:  # pragma: no cover - the bot asks for none
            raise StartError(ExitCode.BAD_SETTING, "Discord refused the gateway intents (4014)") from None
        except discord.ConnectionClosed as exc:  # a close discord.py will not resume from
            if exc.code == 4004:
                raise StartError(ExitCode.TOKEN_REJECTED, "Discord closed the gateway: the token was refused "
                                 "(4004)") from None
            raise StartError(ExitCode.DISCORD_UNREACHABLE,
                             f"Discord closed the gateway for good ({exc.code}{': ' + exc.reason if exc.reason else ''})"
                             ) from None
