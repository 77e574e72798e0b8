"""Sync application commands only when their definition changed.

Discord rate-limits command syncs per day, and a bot that syncs on every start or reconnect can
lock itself out. The hash of the exact payload sent last time is kept per scope in a small file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)


def commands_hash(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class SyncState:
    """Last synced hash per scope (``global`` or ``guild:<id>``), in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def write(self, state: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash never leaves half a file


async def sync_if_changed(tree: app_commands.CommandTree[Any], application_id: int,
                          guild_ids: frozenset[int], state: SyncState) -> list[str]:
    """Sync each scope whose command payload changed; return the scopes synced."""
    known = state.read()
    synced = []
    scopes: list[discord.Object | None] = [discord.Object(g) for g in sorted(guild_ids)] or [None]
    for guild in scopes:
        if guild is not None:
            tree.copy_global_to(guild=guild)
        payload = [c.to_dict(tree) for c in tree.get_commands(guild=guild)]
        key = f"{application_id}:" + (f"guild:{guild.id}" if guild else "global")
        digest = commands_hash(payload)
        if known.get(key) == digest:
            log.info("commands unchanged for %s; not syncing", key)
            continue
        await tree.sync(guild=guild)
        known[key] = digest
        state.write(known)
        synced.append(key)
        log.info("synced %d commands for %s", len(payload), key)
    return synced
