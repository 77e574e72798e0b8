"""`python -m bot run` refusing to start: one line on stderr, its own exit code, never a traceback.

Permission cases need a user the file modes apply to: as root (the CI container) the bot runs as
``nobody`` through ``setpriv``, in a folder outside pytest's private tmp, so ``chmod`` means what it
says. Each case fails before Discord is contacted, except the two about Discord itself.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.exit_codes import ExitCode
from tests.standin import DiscordStandIn

from .bot_process import REPO_ROOT, bot_env

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
UNPRIVILEGED = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder every user may enter (pytest's own tmp is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="safeer-start-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for p in path.rglob("*"):  # undo chmod 000 so the folder can be removed
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(path, ignore_errors=True)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(base: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "SAFEER_")) and k not in ("DATABASE_URL",)}
    state = base / "state"
    state.mkdir(exist_ok=True)
    state.chmod(0o777)
    port = _closed_port()  # nothing listens here: reaching Discord would fail loudly
    env |= {"SAFEER_NO_DOTENV": "1", "DISCORD_TOKEN": TOKEN, "SAFEER_STATE_DIR": str(state),
            "SAFEER_CACHE_DIR": str(state / "cache"), "SAFEER_LOAD_WORKERS": "0",
            "DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10",
            "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/", "DATABASE_URL": f"sqlite:///{state}/safeer.sqlite3",
            "PYTHONPATH": str(REPO_ROOT)}
    return env | extra


@functools.cache
def _unprivileged_can_run() -> bool:
    """Whether ``nobody`` can run the bot from this checkout at all (not so under a private folder,
    such as one made by ``mktemp -d``): otherwise a permission case would fail for that reason."""
    probe = [*UNPRIVILEGED, sys.executable, "-c", "import bot.__main__"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(probe, env=env, cwd=REPO_ROOT, capture_output=True, timeout=60).returncode == 0


def start(env: dict[str, str], *, unprivileged: bool = False) -> tuple[int, str]:
    if unprivileged and UNPRIVILEGED and not _unprivileged_can_run():
        pytest.skip(f"user nobody cannot read the checkout at {REPO_ROOT}: file-mode cases need a checkout "
                    "every user can enter (they run the bot as nobody so that chmod applies)")
    argv = [*(UNPRIVILEGED if unprivileged else []), sys.executable, "-m", "bot", "run"]
    done = subprocess.run(argv, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stderr


def assert_one_line(stderr: str, *needles: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("safeer: error: "), stderr
    assert "Traceback" not in stderr and "voice" not in stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_bad_setting(base: Path) -> None:
    code, err = start(_env(base, SAFEER_GUILD_IDS="abc"))
    assert code == ExitCode.BAD_SETTING
    assert_one_line(err, "SAFEER_GUILD_IDS", "abc")


def test_missing_data_folder(base: Path) -> None:
    code, err = start(_env(base, SAFEER_BRIEFS_DIR=str(base / "nowhere")))
    assert code == ExitCode.DATA_UNREADABLE
    assert_one_line(err, str(base / "nowhere"))


def test_unreadable_data_folder(base: Path) -> None:
    briefs = base / "briefs"
    shutil.copytree(REPO_ROOT / "briefs", briefs)
    briefs.chmod(0o000)
    code, err = start(_env(base, SAFEER_BRIEFS_DIR=str(briefs)), unprivileged=True)
    assert code == ExitCode.DATA_UNREADABLE
    assert_one_line(err, str(briefs), "cannot be read")


def test_unsupported_database_scheme_hides_the_password(base: Path) -> None:
    code, err = start(_env(base, DATABASE_URL="mysql://safeer:hunter2@db.internal/safeer"))
    assert code == ExitCode.DATABASE_UNSUPPORTED
    assert_one_line(err, "mysql", "not supported")
    assert "hunter2" not in err


def test_database_unreachable(base: Path) -> None:
    url = f"postgresql://safeer:hunter2@127.0.0.1:{_closed_port()}/safeer"
    code, err = start(_env(base, DATABASE_URL=url))
    assert code == ExitCode.DATABASE_UNREACHABLE
    assert_one_line(err, "cannot connect to the database")
    assert "hunter2" not in err


def test_database_not_a_database_file(base: Path) -> None:
    path = base / "notes.txt"
    path.write_text("these are not the tables you are looking for\n" * 100)
    code, err = start(_env(base, DATABASE_URL=f"sqlite:///{path}"))
    assert code == ExitCode.DATABASE_NOT_A_DATABASE
    assert_one_line(err, "not a SQLite database")


def test_database_read_only_file(base: Path) -> None:
    folder = base / "db"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    path = folder / "safeer.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o444)
    code, err = start(_env(base, DATABASE_URL=f"sqlite:///{path}"), unprivileged=True)
    assert code == ExitCode.DATABASE_READ_ONLY
    assert_one_line(err, "read-only")


def test_database_in_unwritable_folder(base: Path) -> None:
    folder = base / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    code, err = start(_env(base, DATABASE_URL=f"sqlite:///{folder}/safeer.sqlite3"), unprivileged=True)
    assert code == ExitCode.DATABASE_FOLDER_UNWRITABLE
    assert_one_line(err, str(folder), "not writable")


def test_discord_unreachable(base: Path) -> None:
    code, err = start(_env(base))
    assert code == ExitCode.DISCORD_UNREACHABLE
    assert_one_line(err, "cannot reach Discord at 127.0.0.1")


async def test_token_rejected(base: Path, standin: DiscordStandIn, tmp_path: Path) -> None:
    env = bot_env(standin, tmp_path) | {"DISCORD_TOKEN": TOKEN}  # not the stand-in's token
    code, err = await start_async(env)
    assert code == ExitCode.TOKEN_REJECTED
    assert_one_line(err, "refused the token")
    assert TOKEN not in err


async def start_async(env: dict[str, str]) -> tuple[int, str]:
    """:func:`start`, without blocking the loop the stand-in serves on."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=REPO_ROOT,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def test_no_subcommand_reads_dotenv_like_run(base: Path) -> None:
    """With the token only in ./.env, `python -m bot` (what ./scripts/run runs) starts the bot, not
    the console: here it gets as far as trying to reach Discord."""
    env = _env(base)
    dotenv = "".join(f"{k}={env.pop(k)}\n" for k in ("DISCORD_TOKEN", "DISCORD_API_BASE_URL", "DISCORD_GATEWAY_URL"))
    env.pop("SAFEER_NO_DOTENV")
    (base / ".env").write_text(dotenv)
    done = subprocess.run([sys.executable, "-m", "bot"], env=env, cwd=base, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == ExitCode.DISCORD_UNREACHABLE, done.stdout + done.stderr
    assert_one_line(done.stderr, "cannot reach Discord")
    assert "safeer>" not in done.stdout
