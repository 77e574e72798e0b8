"""Start the Discord bot: settings, logging, data, endpoints, then run until stopped."""

from __future__ import annotations

import asyncio
import logging
import sys

import discord

from ..core.library import Library
from ..core.problems import DataError
from ..settings import RedactFilter, Settings, SettingsError
from .endpoints import configure_endpoints

log = logging.getLogger("bot")


def _setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter(settings.token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(settings.log_level)))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per pass would drown the log


def run_bot(briefs: str | None = None, corpus: str | None = None) -> int:
    """Validate everything first, then connect. Returns a process exit code."""
    try:
        settings = Settings.from_env(briefs, corpus)
    except SettingsError as exc:
        print(f"safeer: error: {exc}", file=sys.stderr)
        return 2
    _setup_logging(settings)
    try:
        library = Library.load(settings.briefs_dir, settings.corpus_dir)
    except DataError as exc:
        print(f"safeer: error: the briefs have {len(exc.problems)} problem(s); not starting:", file=sys.stderr)
        for problem in exc.problems[:30]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    try:
        configure_endpoints(settings.api_base_url, settings.gateway_url)
    except ValueError as exc:
        print(f"safeer: error: {exc}", file=sys.stderr)
        return 2
    from .client import SafeerBot

    async def main() -> None:
        async with SafeerBot(settings, library) as client:
            await client.start(settings.token.reveal())

    log.info("starting with %d briefs (hash %s)", len(library.catalog), library.catalog.content_hash)
    try:
        asyncio.run(main())
    except discord.LoginFailure:
        print("safeer: error: Discord refused the token (DISCORD_TOKEN is wrong or was reset)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
