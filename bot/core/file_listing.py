"""List a data folder: every file with a given ending, its bytes' sha256, and where a link points.

The load cache keys everything by these listings, so every start reads and hashes every data
file (0.1 s at 10,000 briefs). A start from a snapshot runs this module as a separate process
(``python -I -S file_listing.py FOLDER SUFFIX ...``, standard library only, so it starts in about
10 ms) while it reads the snapshot, and compares keys once both are done: the listing costs no
time on the critical path. In the process it is a plain function; both ways give the same rows.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import IO, NamedTuple


class Listed(NamedTuple):
    name: str
    link: str  # where a symlinked file really is (it shows in messages), else ""
    digest: str  # sha256 of the bytes
    data: bytes | None  # the bytes, when asked for


def list_files(directory: str | os.PathLike[str], suffix: str, keep: bool = True) -> list[Listed] | None:
    """Every ``*suffix`` entry, as ``sorted(directory.glob("*" + suffix))`` lists them, read in full.

    None when the folder or a file cannot be read: the caller then reports it its own way.
    """
    try:
        with os.scandir(directory) as entries:
            found = sorted((e.name, e.is_symlink()) for e in entries if e.name.endswith(suffix))
        folder = os.open(directory, os.O_RDONLY)
    except OSError:
        return None
    files = []
    try:
        for name, is_link in found:
            fd = os.open(name, os.O_RDONLY, dir_fd=folder)
            try:
                data = os.read(fd, 1 << 16)
                if len(data) == 1 << 16:
                    blocks = [data]
                    while block := os.read(fd, 1 << 20):
                        blocks.append(block)
                    data = b"".join(blocks)
            finally:
                os.close(fd)
            link = os.path.realpath(os.path.join(directory, name)) if is_link else ""
            files.append(Listed(name, link, hashlib.sha256(data).hexdigest(), data if keep else None))
    except OSError:
        return None
    finally:
        os.close(folder)
    return files


def write_listings(folders: Sequence[tuple[str, str]], out: IO[bytes]) -> int:
    """The listings of several folders as NUL-separated fields; exit status 1 if one is unreadable."""
    for directory, suffix in folders:
        files = list_files(directory, suffix, keep=False)
        if files is None:
            return 1
        out.write(b"%d\0" % len(files))
        for f in files:
            out.write(os.fsencode(f.name) + b"\0" + os.fsencode(f.link) + b"\0" + f.digest.encode() + b"\0")
    return 0


def read_listings(raw: bytes, count: int) -> list[list[Listed]]:
    """What :func:`write_listings` wrote, for ``count`` folders (ValueError if it is not that)."""
    fields = raw.split(b"\0")
    out: list[list[Listed]] = []
    at = 0
    for _ in range(count):
        n = int(fields[at])
        rows = fields[at + 1 : at + 1 + 3 * n]
        if len(rows) != 3 * n:
            raise ValueError("listing cut short")
        out.append([Listed(os.fsdecode(rows[k]), os.fsdecode(rows[k + 1]), rows[k + 2].decode("ascii"), None)
                    for k in range(0, 3 * n, 3)])
        at += 1 + 3 * n
    if fields[at:] != [b""]:
        raise ValueError("unexpected data after the listings")
    return out


class ListingProcess:
    """:func:`write_listings` running in a separate process; its answer is read once it has exited."""

    def __init__(self, folders: Sequence[tuple[str, str]]) -> None:
        self.count = len(folders)
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop(); a file, not a pipe: the child never waits
        self._answer: list[list[Listed]] | None = None
        self._read = False
        try:
            args = [str(part) for folder in folders for part in folder]
            self._proc = subprocess.Popen([sys.executable, "-I", "-S", os.path.abspath(__file__), *args],
                                          stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.DEVNULL)
        except BaseException:
            self._out.close()
            raise

    def done(self) -> bool:
        return self._proc.poll() is not None

    def result(self, timeout: float = 60) -> list[list[Listed]] | None:
        """The listings, one per folder; None if the process failed (then list in this process)."""
        if not self._read:
            self._read = True
            try:
                code = self._proc.wait(timeout)
                if code == 0:
                    self._out.seek(0)
                    self._answer = read_listings(self._out.read(), self.count)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                self._answer = None
            finally:
                self.stop()
        return self._answer

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._out.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(write_listings(list(zip(args[::2], args[1::2], strict=True)), sys.stdout.buffer))
