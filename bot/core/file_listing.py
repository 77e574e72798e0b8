"""List a data folder: every file with a given ending, its bytes' sha256, and where a link points.

The load cache keys everything by these listings, so every start reads and hashes every data
file (0.1 s at 10,000 briefs). A start from a snapshot runs this module as a separate process
(``python -I -S file_listing.py [--max-bytes N] [--allow DIR] FOLDER SUFFIX ...``, standard
library only, so it starts in about 10 ms) while it reads the snapshot, and compares keys once
both are done: the listing costs no time on the critical path. In the process it is a plain
function; both ways give the same rows.

Data folders may come from another repository, so a name is input too: :func:`read_data_file`
is the only way any loader opens a data file. It opens regular files only (a FIFO, a device or a
socket is refused by name without being opened), follows a symbolic link only to a regular file
inside the data folder or a folder the operator allows (``SAFEER_LINK_DIRS``), and refuses a file
over the size limit (``SAFEER_MAX_FILE_MB``, default 5) before reading it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import IO, NamedTuple

MAX_FILE_BYTES = 5 * 1024 * 1024  # the default limit: the largest real brief is ~10 KB


class ReadLimits(NamedTuple):
    """What a data file may be: its size, and where a symbolic link may point besides its own folder."""

    max_bytes: int = MAX_FILE_BYTES
    link_dirs: tuple[str, ...] = ()


DEFAULT_LIMITS = ReadLimits()


class Refused(Exception):
    """A data file not read, and why (a short phrase that never quotes the file's contents)."""


def _inside(path: str, folders: Sequence[str]) -> bool:
    return any(os.path.commonpath([path, f]) == f for f in folders)


def read_data_file(directory: str | os.PathLike[str], name: str, limits: ReadLimits = DEFAULT_LIMITS) -> bytes:
    """The bytes of ``directory/name`` if it is an acceptable data file; else :class:`Refused`.

    The checks use ``lstat`` and ``stat``, never ``open``, so nothing hangs on a FIFO or streams
    from a device; the file is then opened non-blocking and checked again (it may have been
    swapped meanwhile), and at most the limit plus one byte is read.
    """
    path = os.path.join(directory, name)
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise Refused(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    target = path
    if stat.S_ISLNK(st.st_mode):
        target = os.path.realpath(path)
        allowed = [os.path.realpath(directory), *(os.path.realpath(d) for d in limits.link_dirs)]
        try:
            st = os.stat(target)
        except OSError:
            raise Refused("is a symbolic link to a missing file") from None
        if not _inside(target, allowed):
            raise Refused("is a symbolic link out of the data folder (allow its folder with SAFEER_LINK_DIRS)")
    _check_kind(st, limits)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if target == path:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise Refused(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        _check_kind(os.fstat(fd), limits)  # the same checks on what was really opened
        blocks = []
        left = limits.max_bytes + 1
        while left > 0 and (block := os.read(fd, min(left, 1 << 20))):
            blocks.append(block)
            left -= len(block)
    except OSError as exc:
        raise Refused(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    finally:
        os.close(fd)
    data = b"".join(blocks)
    if len(data) > limits.max_bytes:
        raise Refused(_too_big(limits))
    return data


def _check_kind(st: os.stat_result, limits: ReadLimits) -> None:
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise Refused("is a folder, not a data file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device" \
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"
        raise Refused(f"is {kind}, not a regular file; not opened")
    if st.st_size > limits.max_bytes:
        raise Refused(_too_big(limits))


def _too_big(limits: ReadLimits) -> str:
    return f"is larger than the {limits.max_bytes / 1048576:g} MB limit for a data file (SAFEER_MAX_FILE_MB); not read"


class Listed(NamedTuple):
    name: str
    link: str  # where a symlinked file really is (it shows in messages), else ""
    digest: str  # sha256 of the bytes
    data: bytes | None  # the bytes, when asked for


def list_files(directory: str | os.PathLike[str], suffix: str, keep: bool = True,
               limits: ReadLimits = DEFAULT_LIMITS) -> list[Listed] | None:
    """Every ``*suffix`` entry, as ``sorted(directory.glob("*" + suffix))`` lists them, read in full.

    None when the folder cannot be read or a file is refused (:func:`read_data_file`): the
    caller then loads without the cache, which reports each refused file by name.
    """
    try:
        with os.scandir(directory) as entries:
            found = sorted((e.name, e.is_symlink()) for e in entries if e.name.endswith(suffix))
    except OSError:
        return None
    files = []
    try:
        for name, is_link in found:
            data = read_data_file(directory, name, limits)
            link = os.path.realpath(os.path.join(directory, name)) if is_link else ""
            files.append(Listed(name, link, hashlib.sha256(data).hexdigest(), data if keep else None))
    except Refused:
        return None
    return files


def write_listings(folders: Sequence[tuple[str, str]], out: IO[bytes], limits: ReadLimits = DEFAULT_LIMITS) -> int:
    """The listings of several folders as NUL-separated fields; exit status 1 if one is unreadable."""
    for directory, suffix in folders:
        files = list_files(directory, suffix, keep=False, limits=limits)
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

    def __init__(self, folders: Sequence[tuple[str, str]], limits: ReadLimits = DEFAULT_LIMITS) -> None:
        self.count = len(folders)
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop(); a file, not a pipe: the child never waits
        self._answer: list[list[Listed]] | None = None
        self._read = False
        try:
            args = ["--max-bytes", str(limits.max_bytes)]
            for allowed in limits.link_dirs:
                args += ["--allow", str(allowed)]
            args += [str(part) for folder in folders for part in folder]
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


def _main(args: list[str]) -> int:
    max_bytes, allowed = MAX_FILE_BYTES, []
    while args and args[0] in ("--max-bytes", "--allow"):
        option, value, args = args[0], args[1], args[2:]
        if option == "--max-bytes":
            max_bytes = int(value)
        else:
            allowed.append(value)
    folders = list(zip(args[::2], args[1::2], strict=True))
    return write_listings(folders, sys.stdout.buffer, ReadLimits(max_bytes, tuple(allowed)))


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
