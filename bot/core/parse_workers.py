"""Parse many brief files on every core: a cold start at 10,000 briefs is mostly parsing.

Buys the start without cache (BENCHMARKS.md, 10,000 briefs): 1.35-1.43x the bare YAML parse with
a helper on the second CPU, 2.2x without one (budget 1.5x), and the same for a reload that finds
nothing to reuse.

Parsing a brief file (YAML, shape checks, the normalised words the index needs) depends on that
file alone, so the files are cut into chunks and shared between this process and helper
processes. Helpers take chunks from the front, this process from the back, and they meet
wherever they meet: nothing waits for a slow helper, and when there is no helper (one CPU, fewer
than :data:`MIN_FILES` files) or a helper cannot start or fails, this process simply parses the
rest itself. The result is the same either way, in the same order.

A helper is ``python -m bot.core.parse_workers``, fed chunks over its stdin by two threads of
this process (one sends, one receives) and answering on its stdout; each message is one
length-prefixed pickle. Not :mod:`multiprocessing`: its ``spawn`` and
``forkserver`` helpers import the program's ``__main__`` (the whole bot, or pytest) first, and
``fork`` is unsafe in a process with threads, which a reload always is. A helper exits when its
stdin closes, so none outlives the parse.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from ..paths import PROJECT_ROOT
from .briefs import Brief, parse_brief
from .problems import Problem
from .terms import BriefTerms, brief_terms

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system: pipes keep their size
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

Job = tuple[Path, str, str]  # the file, its text, how messages name it
Parsed = tuple[Brief | None, list[Problem], BriefTerms | None]

#: Below this many files a helper costs more than it saves (it takes ~0.1 s to start; 100 files take ~0.04 s).
MIN_FILES = 600
_HEADER = struct.Struct("<Q")
_PIPE_SIZE = 1 << 20
CHUNK = 100  # files per chunk: ~40 ms of work, so the two sides meet with little left over
#: This process parses from the back while helpers parse from the front (off only in tests, to
#: make sure helpers get work).
PARSE_HERE_TOO = True


def parse_one(path: Path, raw: str, where: str) -> Parsed:
    """One file: the brief (or None), its shape problems, and its index terms."""
    brief, problems = parse_brief(path, raw, where=where)
    return brief, problems, brief_terms(brief) if brief is not None else None


def parse_chunk(jobs: Sequence[Job]) -> list[Parsed]:
    return [parse_one(*job) for job in jobs]


def helper_count(configured: int | None = None) -> int:
    """Helpers to use: ``configured`` if given (0 = none; ``SAFEER_LOAD_WORKERS`` through
    :func:`bot.settings.load_options`), else one per CPU beyond the first."""
    if configured is not None:
        return max(0, min(configured, 16))
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(0, min(cpus - 1, 7))


class ParseJobs:
    """Files being parsed. Create it early (helpers start meanwhile), then go through
    :meth:`finished` (or take :meth:`results`)."""

    def __init__(self, jobs: Sequence[Job], *, helpers: int | None = None, min_files: int | None = None,
                 here_too: bool | None = None) -> None:
        self.chunks = [list(jobs[k : k + CHUNK]) for k in range(0, len(jobs), CHUNK)]
        self.helped = 0  # chunks parsed by helpers
        self.notes: list[str] = []  # helpers that could not start or failed
        self._done: list[list[Parsed] | None] = [None] * len(self.chunks)
        self._front, self._back = 0, len(self.chunks)  # chunks [front, back) are still to take
        self._lock = threading.Lock()
        self._ready: queue.SimpleQueue[int] = queue.SimpleQueue()  # chunks helpers have finished
        count = helper_count(helpers)
        count = min(count, len(self.chunks) - 1)
        self._here_too = PARSE_HERE_TOO if here_too is None else here_too
        wanted = len(jobs) >= (MIN_FILES if min_files is None else min_files)
        self._threads = [threading.Thread(target=self._feed, name=f"safeer-parse-{k}", daemon=True)
                         for k in range(count if wanted else 0)]
        for thread in self._threads:
            thread.start()

    def finished(self) -> Iterator[tuple[int, list[Parsed]]]:
        """Each chunk's results, once, as soon as they are ready: ``(chunk number, results)``.

        Between chunks it parses, this process hands over what helpers have finished, so the
        caller can do its own work on them (checking facts) while the helpers go on parsing.
        """
        handed = [False] * len(self.chunks)
        while True:
            try:
                k = self._ready.get_nowait()
            except queue.Empty:
                taken = self._take(from_front=False) if self._here_too or not self._threads else None
                if taken is None:
                    break
                k = taken
                self._done[k] = parse_chunk(self.chunks[k])
            handed[k] = True
            yield k, self._done[k] or []
            self._release(k)
        while any(thread.is_alive() for thread in self._threads) or not self._ready.empty():
            try:
                k = self._ready.get(timeout=0.05)
            except queue.Empty:
                continue
            handed[k] = True
            yield k, self._done[k] or []
            self._release(k)
        for thread in self._threads:
            thread.join()
        for k, was_handed in enumerate(handed):
            if not was_handed:  # taken by nobody (here_too off and every helper failed)
                self._done[k] = self._done[k] or parse_chunk(self.chunks[k])
                yield k, self._done[k] or []
                self._release(k)

    def _release(self, k: int) -> None:
        """Drop a handed-over chunk's texts (megabytes at scale); its paths and names stay."""
        self.chunks[k] = [(path, "", where) for path, _, where in self.chunks[k]]

    def results(self) -> list[Parsed]:
        """Every file's result, in the order of the jobs."""
        for _ in self.finished():
            pass
        return [parsed for chunk in self._done for parsed in (chunk or ())]

    def _take(self, from_front: bool) -> int | None:
        with self._lock:
            if self._front >= self._back:
                return None
            if from_front:
                self._front += 1
                return self._front - 1
            self._back -= 1
            return self._back

    def _give_back(self, k: int) -> None:
        """A chunk a failed helper had: parsed here, in the helper's thread."""
        self._done[k] = parse_chunk(self.chunks[k])
        self._ready.put(k)

    def _feed(self) -> None:
        """One helper process, kept two chunks ahead (so it never waits for this process) until
        the sides meet. A second thread sends while this one receives: a chunk is bigger than a
        pipe's buffer, so one thread doing both could block on a full pipe each way."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                           os.environ.get("PYTHONPATH")]))}
        try:
            helper = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env=env, cwd=os.getcwd(), bufsize=0)
            for stream in (helper.stdin, helper.stdout):
                _widen(stream)
        except OSError as exc:
            self.notes.append(f"parse helper could not start: {exc}")
            return
        assert helper.stdin is not None and helper.stdout is not None
        sent: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        slots = threading.Semaphore(2)
        failed = threading.Event()

        def send(stdin: IO[bytes]) -> None:
            try:
                while slots.acquire() and not failed.is_set() and (k := self._take(from_front=True)) is not None:
                    sent.put(k)  # before writing: if the write fails, the receiver gives it back
                    _send(stdin.fileno(), self.chunks[k])
            except OSError:
                failed.set()
            finally:
                sent.put(None)
                with contextlib.suppress(OSError):
                    stdin.close()  # the helper finishes what it has, then exits

        sender = threading.Thread(target=send, args=(helper.stdin,), name="safeer-parse-send", daemon=True)
        sender.start()
        reported = False
        try:
            while (k := sent.get()) is not None:
                try:
                    if failed.is_set():
                        raise EOFError("the helper stopped")
                    parsed = _receive(helper.stdout.fileno())  # our own child's answer: trusted
                    if not isinstance(parsed, list) or len(parsed) != len(self.chunks[k]):
                        raise ValueError("the helper answered something else")
                    self._done[k] = parsed
                    self.helped += 1
                    self._ready.put(k)
                except (OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
                    if not reported:
                        self.notes.append(f"a parse helper failed ({type(exc).__name__}: {exc}); "
                                          "its files were parsed here instead")
                        reported = True
                    failed.set()
                    self._give_back(k)
                finally:
                    slots.release()
        finally:
            failed.set()
            slots.release()
            sender.join()
            _close(helper)


def _widen(stream: IO[bytes] | None) -> None:
    """A 1 MiB pipe: a whole chunk or answer then moves in one system call."""
    if stream is not None and fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):  # the system's limit may be lower: then it stays as is
            fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def _send(fd: int, obj: object) -> None:
    """One message: its length, then the pickle, written with as few system calls as possible.

    Each system call lets go of the GIL, and taking it back from a busy parsing thread can take a
    whole switch interval, so a message must not be a hundred small writes (as pickle.dump does).
    """
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _receive(fd: int) -> object:
    """One message written by :func:`_send`; EOFError when the other side has closed."""
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    return pickle.loads(_read_exactly(fd, size))


def _read_exactly(fd: int, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        block = os.read(fd, size - len(data))
        if not block:
            raise EOFError("the other side closed the pipe")
        data += block
    return bytes(data)


def _close(helper: subprocess.Popen[bytes]) -> None:
    for stream in (helper.stdin, helper.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        helper.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a stuck helper
        helper.kill()
        helper.wait()


def serve(stdin: int, stdout: int) -> None:
    """The helper's side: parse each chunk that arrives, answer with the results, stop at EOF."""
    while True:
        try:
            jobs = _receive(stdin)  # from the parent that started this process: trusted
        except EOFError:
            return
        _send(stdout, parse_chunk(jobs))  # type: ignore[arg-type]


if __name__ == "__main__":
    import gc

    gc.disable()  # a short-lived process building acyclic objects
    serve(sys.stdin.fileno(), sys.stdout.fileno())
