"""Process-wide settings, owned by the program's runner (the bot, the console, the command line).

A load changes none of them: it may run in a worker thread of a serving process (a reload), and
what it would change there, it would change for the whole process. The runner sets them once:

* :func:`start_up` — the start-up load runs with the cyclic garbage collector paused (a
  10,000-brief library is about a million objects, none in a cycle, and collections while they
  are made only walk them); then one collection and :func:`gc.freeze`, so later collections never
  walk the library again. Once per process: a reload never freezes, so any cyclic garbage the
  event loop makes meanwhile is still collected (frozen, it never was: issue 10 measured RSS
  growing from 52 MB to 940 MB over 200 reloads). Buys a start without cache of ~1.4x the bare
  YAML parse instead of ~1.6x (BENCHMARKS.md; budget 1.5x).
* :func:`reloading` — the collector is paused while a reload builds the new library in a worker
  thread (its records are then taken off the collector's lists, :mod:`bot.core.untracked`), and
  resumed afterwards, so nothing is frozen: whatever cyclic garbage the event loop made meanwhile
  is collected at the next collection. Without the pause, full collections during the build
  walked the half-built library: up to 105-170 ms each, six per reload at 10,000 briefs (budget:
  no stall over 50 ms).
* :func:`serve_responsively` — the GIL changes hands every 1 ms instead of every 5 ms, so the
  event loop never waits long for a reload thread doing CPU-bound Python (budget: no stall over
  50 ms while reloading).
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator

#: Seconds between GIL hand-overs while serving (Python's default is 0.005).
SWITCH_INTERVAL = 0.001
_frozen = False


@contextlib.contextmanager
def start_up() -> Iterator[None]:
    """Around the start-up load: collector paused, then one collection and a freeze (once per process)."""
    global _frozen
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if not _frozen:
            gc.freeze()
            _frozen = True
        if was:
            gc.enable()


@contextlib.contextmanager
def reloading() -> Iterator[None]:
    """Around a reload (awaited on the event loop): the collector paused, then resumed as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def serve_responsively() -> None:
    """Hand the GIL over every millisecond, for a process that answers while it reloads."""
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
