"""Run a Discord client as a subprocess pointed at the stand-in, watch its output, and always clean it up.

    proc = await BotProcess.start([sys.executable, "client.py"], env=client_env(standin))
    await proc.until(standin.wait_until_ready())   # fails at once, with the client's output, if it exits
    ...
    await proc.stop()                              # SIGTERM, then SIGKILL after a grace period

On Linux the child also gets SIGKILL if the test process dies (PR_SET_PDEATHSIG), so a crashed or
killed pytest leaves no client behind. ``client_env`` is hermetic: no inherited DISCORD_*, SAFEER_*,
DATABASE_URL or proxy variables, so nothing a developer has set can point a test at real resources.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from .discord_standin import DiscordStandIn

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[2]
MINI_BOT = Path(__file__).with_name("mini_bot.py")  # the proof client of the stand-in's own tests
_SCRUBBED_PREFIXES = ("DISCORD_", "SAFEER_")
_SCRUBBED = {"DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "WS_PROXY", "WSS_PROXY",
             "http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy"}


SpawnBot = Callable[..., Awaitable["BotProcess"]]  # a ``spawn_bot`` fixture: (*args, env=None) -> BotProcess


class BotExited(AssertionError):
    """The bot process ended while a test was waiting on it."""


def client_env(standin: DiscordStandIn, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A hermetic environment for a client of ``standin``: the repository importable, the stand-in's URLs."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)}
    env |= {
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env |= standin.env()
    env |= dict(extra or {})
    return env


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:  # runs in the child between fork and exec: keep it to one syscall
        prctl(pr_set_pdeathsig, signal.SIGKILL)

    return preexec


class BotProcess:
    """A running bot subprocess with its combined stdout/stderr collected line by line."""

    def __init__(self, argv: Sequence[str], proc: asyncio.subprocess.Process) -> None:
        self.argv = list(argv)
        self.proc = proc
        self.lines: list[str] = []
        self._new_line = asyncio.Condition()
        self._eof = False
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path = REPO_ROOT) -> BotProcess:
        proc = await asyncio.create_subprocess_exec(
            *argv, env=dict(env), cwd=str(cwd), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, preexec_fn=_die_with_parent(),
        )
        return cls(argv, proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            while line := await self.proc.stdout.readline():
                self.lines.append(line.decode(errors="replace").rstrip("\n"))
                async with self._new_line:
                    self._new_line.notify_all()
        finally:
            self._eof = True
            async with self._new_line:
                self._new_line.notify_all()  # end of output: waiters stop waiting

    def mark(self) -> int:
        """The index the next output line will get: pass as ``since=`` to wait only for later lines."""
        return len(self.lines)

    async def wait_for_lines(
        self, predicate: str | Callable[[list[str]], bool], *, since: int = 0, timeout: float = 10.0
    ) -> list[str]:
        """Output lines from index ``since`` on, once ``predicate`` holds for them (a string: once one
        line contains it). Fails at once, with the output, if the process ends first."""
        def holds(lines: list[str]) -> bool:
            return any(predicate in line for line in lines) if isinstance(predicate, str) else predicate(lines)

        async def wait() -> list[str]:
            async with self._new_line:
                while not holds(self.lines[since:]):
                    if self._eof:
                        raise BotExited(f"output ended (exit code {self.proc.returncode}) before "
                                        f"{predicate!r}:\n{self.output}")
                    await self._new_line.wait()
                return self.lines[since:]

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"no output matching {predicate!r} within {timeout} s:\n{self.output}") from None

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    async def until(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` (which has its own timeout), failing at once if the bot exits first."""
        task = asyncio.ensure_future(awaitable)
        exited = asyncio.create_task(self.proc.wait())
        try:
            done, _ = await asyncio.wait({task, exited}, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                return task.result()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), 2)  # the last lines of output
            raise BotExited(f"bot exited with code {self.proc.returncode} while the test waited:\n{self.output}")
        finally:
            for pending in (task, exited):
                if not pending.done():
                    pending.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await pending

    async def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the bot to exit by itself; its exit code."""
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reader), 2)
        return code

    async def stop(self, grace: float = 3.0) -> int:
        """SIGTERM, then SIGKILL after ``grace`` seconds; the exit code. Safe to call twice."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._reader, 2)
        assert self.proc.returncode is not None
        return self.proc.returncode


EnvOf = Callable[[Mapping[str, str] | None], dict[str, str]]  # extra variables -> a client's whole environment


@contextlib.asynccontextmanager
async def spawner(standin: DiscordStandIn, env_of: EnvOf) -> AsyncIterator[SpawnBot]:
    """What a ``spawn_bot`` fixture yields: ``spawn(*args, env=None)`` starts ``sys.executable``
    with ``env_of(env)``; on exit every process is stopped and its output printed (pytest shows
    it when the test fails), then any stand-in violations."""
    processes: list[BotProcess] = []

    async def spawn(*args: str, env: Mapping[str, str] | None = None) -> BotProcess:
        proc = await BotProcess.start([sys.executable, *args], env=env_of(env))
        processes.append(proc)
        return proc

    try:
        yield spawn
    finally:
        for proc in processes:
            code = await proc.stop()
            print(f"--- {' '.join(proc.argv[1:])} (exit {code}) ---\n{proc.output}")
        if standin.violations:
            print("--- stand-in violations ---\n" + "\n".join(standin.violations))
