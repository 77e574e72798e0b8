"""Run the Safeer bot as a subprocess pointed at the stand-in (see ``tests.standin.process``).

    proc = await BotProcess.start([sys.executable, "-m", "bot", "run"], env=bot_env(standin, tmp_path))
    await proc.until(standin.wait_until_ready())   # fails at once, with the bot's output, if it exits
    ...
    await proc.stop()                              # SIGTERM, then SIGKILL after a grace period

``bot_env`` adds to the stand-in's hermetic client environment the bot's own: state and database under
the test's tmp_path, so a developer's ``.env`` (read by ``bot.settings`` with ``override=False``)
cannot point a test at real resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.standin import DiscordStandIn
from tests.standin.process import REPO_ROOT, BotExited, BotProcess, SpawnBot, client_env

__all__ = ["REPO_ROOT", "BotExited", "BotProcess", "SpawnBot", "bot_env"]


def bot_env(standin: DiscordStandIn, tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A hermetic environment for a bot process using ``standin`` (see the module docstring)."""
    state = tmp_path / "bot-state"
    state.mkdir(parents=True, exist_ok=True)
    return client_env(standin, {
        "SAFEER_STATE_DIR": str(state),
        "DATABASE_URL": f"sqlite+aiosqlite:///{state / 'safeer.sqlite3'}",
        "SAFEER_GUILD_IDS": ",".join(str(g.id) for g in standin.world.guilds),
        "SAFEER_OPERATOR_IDS": str(standin.world.owner.id),
        "SAFEER_LOG_LEVEL": "INFO",
        "SAFEER_NO_DOTENV": "1",
        "SAFEER_CACHE_DIR": str(state / "cache"),
        **(extra or {}),
    })
