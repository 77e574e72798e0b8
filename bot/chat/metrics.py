"""Handler timings kept in memory, for /briefs status and the benchmarks."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager


class Timings:
    """The last 2,000 durations per handler, in milliseconds."""

    def __init__(self) -> None:
        self._samples: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=2000))

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self._samples[name].append((time.perf_counter() - start) * 1000.0)

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, samples in sorted(self._samples.items()):
            ordered = sorted(samples)
            if not ordered:
                continue
            out[name] = {
                "count": float(len(ordered)),
                "median_ms": ordered[len(ordered) // 2],
                "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            }
        return out
