"""Fixtures: the store on a real SQLite file and on a real, throwaway PostgreSQL cluster.

PostgreSQL: the server binaries come from PATH or /usr/lib/postgresql/*/bin (``scripts/postgres.sh``
installs them). One cluster per test session, in a temp dir, on a free 127.0.0.1 port, with
durability switched off for speed; each test gets a fresh database. initdb refuses to run as
root, so as root the cluster runs as the ``postgres`` user (via ``runuser``). Without binaries
the PostgreSQL cases are skipped — or fail, when the ``CI`` environment variable is set.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.schedule.store import ReminderStore


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs PostgreSQL server binaries (scripts/postgres.sh)")


def _pg_bindir() -> Path | None:
    """Where initdb and pg_ctl are: ``SAFEER_PG_BINDIR`` if set (and only there), else PATH, else
    the newest /usr/lib/postgresql/*/bin."""
    env = os.environ.get("SAFEER_PG_BINDIR")
    if env:
        candidates = [Path(env)]
    else:
        found = shutil.which("initdb")
        candidates = [Path(found).resolve().parent] if found else []
        candidates += [Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)]
    for d in candidates:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    bindir: Path
    base: Path
    port: int
    user: str
    _created: bool = False

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    async def fresh_database(self) -> str:
        """An empty database: the session's one, with its schema dropped and re-created
        (CREATE DATABASE costs ~0.25 s a test; this ~20 ms)."""
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user=self.user, database="postgres")
        try:
            if not self._created:
                await conn.execute('CREATE DATABASE "safeer_test"')
                self._created = True
        finally:
            await conn.close()
        conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user=self.user, database="safeer_test")
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()
        return self.url("safeer_test")


def _run(cmd: list[str], prefix: list[str]) -> None:
    done = subprocess.run(prefix + cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but {reason}. Run scripts/postgres.sh first.", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (run scripts/postgres.sh to install it)")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = _pg_bindir()
    if bindir is None:
        where = f"in SAFEER_PG_BINDIR={os.environ['SAFEER_PG_BINDIR']}" if os.environ.get("SAFEER_PG_BINDIR") \
            else "on PATH or in /usr/lib/postgresql/*/bin"
        _unavailable(f"initdb/pg_ctl were not found {where}")
        raise AssertionError("unreachable")
    prefix: list[str] = []
    user = "postgres"
    base = Path(tempfile.mkdtemp(prefix="safeer-pg-"))
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            _unavailable("running as root and there is no 'postgres' user to run the server as")
            raise AssertionError("unreachable") from None
        os.chown(base, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, logfile = base / "data", base / "server.log"
    port = _free_port()
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8",
              "--no-sync", "--no-instructions"], prefix)
        opts = (f"-p {port} -h 127.0.0.1 -k {base} -c fsync=off -c synchronous_commit=off "
                f"-c full_page_writes=off -c max_connections=200")
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-o", opts, "-w", "-t", "60", "start"],
             prefix)
    except Exception as exc:
        log = logfile.read_text() if logfile.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        if os.environ.get("CI"):
            pytest.fail(f"could not start PostgreSQL: {exc}\n{log}", pytrace=False)
        pytest.skip(f"could not start PostgreSQL: {exc}")
    try:
        yield PgCluster(bindir, base, port, user)
    finally:
        with contextlib.suppress(Exception):
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], prefix)
        shutil.rmtree(base, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL cases ``postgres`` (so ``-m "not postgres"`` deselects them)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker("postgres")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL on the parametrised backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'reminders.sqlite3'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return await cluster.fresh_database()


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[ReminderStore]:
    s = await ReminderStore.open(db_url)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def store2(db_url: str, store: ReminderStore) -> AsyncIterator[ReminderStore]:
    """A second, independent store (own engine and pool) on the same database."""
    s = await ReminderStore.open(db_url)
    try:
        yield s
    finally:
        await s.close()
