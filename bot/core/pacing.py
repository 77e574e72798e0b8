"""Pacing: work done in a worker thread that never holds the GIL long enough for the loop to notice.

Buys the reload stall budget (BENCHMARKS.md, "Reload while serving", 10,000 briefs): freeing a
load's temporaries all at once held the GIL for 15-50 ms each time a dict was cleared or a
function returned, and the background cache writer took the GIL chunk after chunk; with both
paced, the worst stall after an edit is ~32 ms (53-131 ms before; budget 50 ms).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

#: Seconds a background writer sleeps between chunks: nothing waits for the file, so it steps
#: aside and the event loop (or a reload still running) gets the GIL at once.
WRITER_PAUSE = 0.001


def step_aside() -> None:
    time.sleep(WRITER_PAUSE)


def release(*containers: dict[Any, Any] | list[Any], batch: int = 200) -> None:
    """Empty dicts and lists of many objects a few hundred at a time.

    ``clear()``, or a function returning with them as locals, frees everything in one C call: for
    the temporaries of a 10,000-brief load that holds the GIL for tens of milliseconds, which the
    event loop feels when a reload runs in a thread.
    """
    for container in containers:
        if isinstance(container, list):
            while container:
                del container[-batch:]
            continue
        while container:
            for key in list(itertools.islice(container, batch)):
                del container[key]
