"""Writing the load cache's file: chunked, signed, paced, and bounded (the layout is in :mod:`bot.core.cache_file`).

Buys the reload stall budget while the file is written (BENCHMARKS.md: the writer taking the GIL
chunk after chunk was one of the 15-50 ms stalls; each chunk now holds it a few ms, then the
writer steps aside), and a file that never grows past :func:`size_bound` of its data.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from typing import Any

from . import pacing

_CHUNK = 400  # objects per pickle chunk: each load() call holds the GIL for a few ms at most
END = "end"


class SignedFile:
    """A file being written that signs every byte on its way (the pickler writes frames here),
    and gives up past ``limit`` bytes: a cache file never grows past a bound relative to the data."""

    def __init__(self, fh: Any, signer: Any, limit: int) -> None:
        self.fh, self.signer, self.left = fh, signer, limit

    def write(self, data: bytes) -> int:
        self.left -= memoryview(data).nbytes  # numpy arrays arrive as pickle.PickleBuffer
        if self.left < 0:
            raise ValueError("the cache file would be larger than its bound for this data; not written")
        self.signer.update(data)
        return int(self.fh.write(data))


def size_bound(data_bytes: int) -> int:
    """The most a cache file may hold for this many bytes of data (synthetic catalogs hold ~2x)."""
    return 16 * data_bytes + (8 << 20)


class _Pickler(pickle.Pickler):
    def __init__(self, fh: Any, shared: dict[int, int]) -> None:
        super().__init__(fh, protocol=5)
        self.shared = shared

    def persistent_id(self, obj: Any) -> int | None:
        return self.shared.get(id(obj))


def _is_record(obj: object) -> bool:
    """Objects other chunks may refer to: Safeer's data classes (briefs, facts, events, documents)."""
    return type(obj).__module__.startswith("bot.core.")


class Writer:
    """Writes a library as independent chunks of a few hundred objects each.

    After each chunk the pickle memo is cleared, so neither writing nor reading ever holds a
    memo of the whole library (freeing one of a million entries holds the GIL for ~80 ms).
    Objects that later chunks refer to (briefs, facts, documents, events) are "shared": each
    chunk lists them under ``"share"``, and later chunks refer to them by number.
    """

    def __init__(self, fh: Any, signer: Any, limit: int) -> None:
        self.shared: dict[int, int] = {}
        self.count = 0
        self.alive: list[object] = []  # ids stay valid only while the objects live
        self.pickler = _Pickler(SignedFile(fh, signer, limit), self.shared)

    def chunk(self, part: dict[str, object], share: Iterable[object] = ()) -> None:
        shared = [obj for obj in share if id(obj) not in self.shared]
        if shared:
            part = {**part, "share": shared}
        self.pickler.dump(part)
        self.pickler.clear_memo()
        for obj in shared:  # the reader numbers them in the same order
            self.shared[id(obj)] = self.count
            self.count += 1
            self.alive.append(obj)
        # Nothing waits for this file: step aside after every chunk, so that the event loop (and
        # a reload still running) get the GIL at once instead of queueing behind this thread.
        pacing.step_aside()

    def records(self, name: str, items: Iterable[object], size: int, share: Callable[[object], Iterable[object]],
                ) -> None:
        batch: list[object] = []
        for item in items:
            batch.append(item)
            if len(batch) >= size:
                self.chunk({name: batch}, (o for b in batch for o in share(b)))
                batch = []
        if batch:
            self.chunk({name: batch}, (o for b in batch for o in share(b)))

    def large(self, name: str, obj: object) -> None:
        """An object (an index, a calendar) whose big lists and dicts are written piece by piece."""
        state = obj.__getstate__()
        if not isinstance(state, dict):
            raise TypeError(f"cannot store {type(obj).__name__}")
        small, kinds = {}, {}
        for key, value in state.items():  # lists first: dicts may refer to their records
            if isinstance(value, list | tuple) and len(value) > _CHUNK:
                kinds[key] = type(value).__name__
                for k in range(0, len(value), _CHUNK):
                    piece = list(value[k : k + _CHUNK])
                    self.chunk({"piece": (name, key, piece)}, (o for o in piece if _is_record(o)))
        for key, value in state.items():
            if key in kinds:
                continue
            if isinstance(value, dict) and len(value) > 50:
                kinds[key] = "dict"
                items = list(value.items())
                for k in range(0, len(items), 50):
                    self.chunk({"piece": (name, key, items[k : k + 50])})
            else:
                small[key] = value
        self.chunk({"object": (name, type(obj), small, kinds)})

    def finish(self) -> None:
        self.pickler.dump(END)
        self.pickler.clear_memo()
