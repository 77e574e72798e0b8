"""``/metrics``, ``/healthz`` and ``/readyz`` on ``SAFEER_METRICS_ADDRESS``, for whoever runs Safeer.

Served by aiohttp (already here for discord.py) on the bot's own event loop, so ``/healthz``
answering means the loop is turning, and ``/readyz`` can ask the database itself. Plain status
codes and one line of text: 200 when all is well, 503 saying what is not.

* ``/healthz`` — the process is alive and its loop responsive: always 200 while it runs.
* ``/readyz`` — every shard's gateway connection is open, the library is loaded, the store
  answers ``SELECT 1`` within 2 s, and the bot is not stopping.
* ``/metrics`` — :data:`bot.metrics.REGISTRY` in the Prometheus text format, plus the live values
  read at scrape time by :class:`BotCollector`.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .. import metrics

if TYPE_CHECKING:
    from .client import SafeerBot

log = logging.getLogger(__name__)
STORE_PING_TIMEOUT = 2.0


class BotCollector(Collector):
    """Values that only exist in the running bot, read when Prometheus scrapes."""

    def __init__(self, bot: SafeerBot) -> None:
        self.bot = bot

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("safeer_send_queue_depth",
                                  "Daily posts queued, being sent, or waiting to retry")
        depth.add_metric([], float(self.bot.reminders.queue.pending) if self.bot.reminders else 0.0)
        latency = GaugeMetricFamily("safeer_gateway_latency_seconds",
                                    "Gateway heartbeat latency per shard (NaN before the first heartbeat)",
                                    labels=["shard"])
        connected = GaugeMetricFamily("safeer_gateway_connected",
                                      "1 while the shard's gateway connection is open", labels=["shard"])
        for shard_id, shard in sorted(self.bot.shards.items()):
            value = shard.latency
            latency.add_metric([str(shard_id)], value if math.isfinite(value) else math.nan)
            connected.add_metric([str(shard_id)], 0.0 if shard.is_closed() else 1.0)
        yield depth
        yield latency
        yield connected


async def not_ready(bot: SafeerBot) -> list[str]:
    """What stops the bot from serving now; empty when it is ready."""
    problems: list[str] = []
    if bot.stopping:
        return ["stopping"]
    shards = bot.shards
    if not shards or bot.is_closed():
        problems.append("gateway not connected")
    else:
        down = [str(i) for i, s in sorted(shards.items()) if s.is_closed()]
        if down:
            problems.append(f"gateway not connected (shard {', '.join(down)})")
    if bot.holder.current is None:  # pragma: no cover - the bot never starts without one
        problems.append("library not loaded")
    if bot.store is None:
        problems.append("store not open")
    else:
        try:
            await asyncio.wait_for(bot.store.ping(), STORE_PING_TIMEOUT)
        except Exception as exc:
            problems.append(f"store unreachable ({type(exc).__name__})")
    return problems


class ServiceHttp:
    """The small HTTP server; :meth:`start` binds (raising ``OSError`` if it cannot), :meth:`stop` closes."""

    def __init__(self, bot: SafeerBot, host: str, port: int) -> None:
        self.bot, self.host, self.port = bot, host, port
        self._runner: web.AppRunner | None = None
        self._collector = BotCollector(bot)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        metrics.REGISTRY.register(self._collector)
        self._runner = runner
        log.info("metrics and health on http://%s:%d/metrics, /healthz, /readyz", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is None:
            return
        metrics.REGISTRY.unregister(self._collector)
        await self._runner.cleanup()
        self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(metrics.REGISTRY)  # a few dozen series: fast enough on the loop
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        problems = await not_ready(self.bot)
        if problems:
            return web.Response(status=503, text=f"not ready: {'; '.join(problems)}\n")
        return web.Response(text="ready\n")
