"""Records the cyclic garbage collector need not walk: briefs, facts, dates and calendar events.

They are immutable tuples that only refer to text, numbers and each other, so they can never be
part of a reference cycle; reference counting frees them. CPython stops tracking a plain tuple
of such values by itself, but never a named tuple, so a 10,000-brief library kept ~120,000
records on the collector's lists, and every full collection walked them all, and the index's
big lists item by item (87 ms at 10,000 briefs; with both untracked, a few ms). The load used to hide them with a process-wide
``gc.freeze()`` from the reload's worker thread, which also froze the event loop's garbage for
ever (issue 10: RSS from 52 MB to 940 MB over 200 reloads); this does what the freeze did for
the library alone. Buys the reload stall budget (50 ms) and no collection over ~35 ms between
reloads (BENCHMARKS.md).
"""

from __future__ import annotations

import ctypes
from collections import deque
from collections.abc import Iterable
from typing import Any

from .briefs import Brief
from .calendar import Event

_untrack: Any
try:  # the C API function CPython itself uses for tuples; holds the GIL like any call
    _untrack = ctypes.pythonapi.PyObject_GC_UnTrack
    _untrack.argtypes = [ctypes.py_object]
    _untrack.restype = None
except (AttributeError, OSError):  # pragma: no cover - not CPython: the collector walks them, that is all
    _untrack = None


def untrack_containers(*owners: object) -> None:
    """Take an index's or a calendar's big lists (and the lists in its dicts) off the lists too.

    They are filled once when built and only read afterwards, so they can never close a cycle;
    walked by every collection, their ~500,000 items at 10,000 briefs cost most of its time.
    """
    for owner in owners:
        for value in vars(owner).values():
            untrack_values(value.values() if isinstance(value, dict) else (value,))


def untrack_values(values: Iterable[object]) -> None:
    """Lists and tuples, and the plain tuples and lists in them (a calendar day's ``(event, date)``
    pairs, a file's ``(brief, problems)``), none of which is changed once built."""
    if _untrack is None:
        return
    parts = [part for part in values if isinstance(part, list | tuple)]
    _untrack_all(parts)
    for part in parts:
        # Long lists hold one kind of item: the first says whether to look inside (not at 78,000 words).
        items = part if len(part) <= 4 else part[:1]
        if any(type(item) is tuple or type(item) is list for item in items):
            untrack_values(part)


def untrack(briefs: Iterable[Brief], events: Iterable[Event]) -> None:
    """Take a library's records off the collector's lists (idempotent; nothing else changes)."""
    if _untrack is None:
        return
    records: list[object] = []
    for brief in briefs:
        facts = brief.facts
        records += facts
        records += [date for fact in facts for date in (fact.date, fact.end) if date is not None]
        records += (facts, brief.aliases, brief.tags, brief.related, brief.line_of, brief)
    records += events
    # Every one is a container the collector knows; PyObject_GC_UnTrack skips those already untracked.
    _untrack_all(records)


_BATCH = 4096


def _untrack_all(objects: list[Any]) -> None:
    """``PyObject_GC_UnTrack`` on each, a few thousand per step: a ctypes call never lets go of
    the GIL, so one pass over 200,000 records (10,000 briefs) held it for 30-60 ms, the longest
    stall of a reload; a step of 4,096 holds it for about a millisecond."""
    for k in range(0, len(objects), _BATCH):
        deque(map(_untrack, objects[k : k + _BATCH]), maxlen=0)
