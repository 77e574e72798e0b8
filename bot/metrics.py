"""What Safeer counts, for Prometheus (``SAFEER_METRICS_ADDRESS``) and for ``/briefs status``.

One registry for the process. Metrics are always counted (an increment costs ~a microsecond);
they are served only when ``SAFEER_METRICS_ADDRESS`` is set (:mod:`bot.chat.service_http`).
``bot.core`` never imports this module; the faces call it:

* :func:`command_done` — every slash command, by name and outcome, with its duration;
* :func:`answer_given` — a question answered or declined (``/ask``, the "Ask Safeer" menu, mentions);
* :func:`reload_done`, :func:`catalog_loaded` — reloads and what is loaded now;
* :func:`daily_post` — the outcome of each day's post (the scheduler calls it).

The live values (send queue depth, gateway latency per shard) are read at scrape time by a
collector the Discord face registers with :data:`REGISTRY`.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from prometheus_client import CollectorRegistry, Gauge, Histogram, Info
from prometheus_client import Counter as _Counter
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

COMMANDS = Histogram("safeer_command_duration_seconds",
                     "Slash commands handled, by name and outcome (ok, refused, error, expired); "
                     "_count is the number of commands", ["command", "outcome"], buckets=_LATENCY, registry=REGISTRY)
ANSWERS = _Counter("safeer_answers", "Questions answered (given) or declined, by face", ["face", "result"],
                   registry=REGISTRY)
RELOADS = Histogram("safeer_reload_duration_seconds", "Catalog reloads by outcome (ok, refused) and duration",
                    ["outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0), registry=REGISTRY)
CATALOG = Info("safeer_catalog", "The catalog loaded now: briefs, facts, documents and content hash",
               registry=REGISTRY)
CATALOG_BRIEFS = Gauge("safeer_catalog_briefs", "Briefs in the catalog loaded now", registry=REGISTRY)
CATALOG_FACTS = Gauge("safeer_catalog_facts", "Facts in the catalog loaded now", registry=REGISTRY)
DAILY_POSTS = _Counter("safeer_daily_posts", "Daily posts by outcome: sent (on time), late (sent late), "
                       "skipped, failed, unknown", ["outcome"], registry=REGISTRY)
DAILY_FAILURES = _Counter("safeer_daily_post_failures", "Failed daily posts by reason", ["reason"],
                          registry=REGISTRY)

PostOutcome = Literal["sent", "late", "skipped", "failed", "unknown"]

for _outcome in ("sent", "late", "skipped", "failed", "unknown"):
    DAILY_POSTS.labels(_outcome)  # present at 0 from the start, so rate() works on the first one
for _face in ("slash", "menu", "mention"):
    for _result in ("given", "declined"):
        ANSWERS.labels(_face, _result)
for _outcome in ("ok", "refused"):
    RELOADS.labels(_outcome)


def command_done(command: str, outcome: str, seconds: float) -> None:
    COMMANDS.labels(command, outcome).observe(seconds)


def answer_given(given: bool, face: str) -> None:
    """A question was answered (``given``) or declined (nothing in the sources answers it)."""
    ANSWERS.labels(face, "given" if given else "declined").inc()


def reload_done(ok: bool, seconds: float) -> None:
    RELOADS.labels("ok" if ok else "refused").observe(seconds)


def catalog_loaded(briefs: int, facts: int, documents: int, content_hash: str) -> None:
    CATALOG.info({"briefs": str(briefs), "facts": str(facts), "documents": str(documents),
                  "content_hash": content_hash})
    CATALOG_BRIEFS.set(briefs)
    CATALOG_FACTS.set(facts)


def daily_post(outcome: PostOutcome, reason: str | None = None, count: int = 1) -> None:
    """One day's post (or ``count`` of them) ended so; ``reason`` for failures (``http_403``, ...)."""
    if count <= 0:
        return
    DAILY_POSTS.labels(outcome).inc(count)
    if outcome == "failed":
        DAILY_FAILURES.labels(reason or "other").inc(count)


class Timings:
    """The last 2,000 durations per handler, in milliseconds: medians and p99s for ``/briefs status``
    and the benchmarks, which want exact recent figures rather than Prometheus buckets."""

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
