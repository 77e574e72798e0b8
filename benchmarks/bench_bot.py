"""Handler times inside the real bot process: autocomplete, /brief and /ask, real and synthetic catalogs.

Starts ``python -m bot run`` against the tests' local Discord stand-in (127.0.0.1 only), sends
autocomplete keystrokes, /brief commands and /ask questions as Discord would, then reads the bot's own handler
timings back through ``/briefs status``. Baseline in the same run: ``/help``, which does no search,
gives the round-trip floor of the whole path (gateway → bot → REST), so ratios stay meaningful on a
noisy machine. Prints one JSON object.

    .venv/bin/python benchmarks/bench_bot.py [--synthetic 10000] [--keystrokes 300] [--briefs 150]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import generate, keystrokes, queries, write_tree  # noqa: E402

from tests.e2e.bot_process import BotProcess, bot_env  # noqa: E402
from tests.standin import DiscordStandIn  # noqa: E402

_TIMING = re.compile(r"^(\w+): median ([\d.]+) ms, p99 ([\d.]+) ms \(n=(\d+)\)$")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


#: Questions for /ask on the real catalog: each kind the answer engine handles, and one it must refuse.
QUESTIONS = ["when did Aliyev visit Pakistan?", "what happened in Lachin", "how many MoUs were signed in 2024",
             "who is Khalaf Khalafov", "where did Sharif meet Aliyev in May 2025", "Aliyev ka Pakistan dora kab hua",
             "azerbijan invesment", "LNG cargo per month", "recipe for chicken biryani"]


async def run_catalog(label: str, briefs: Path, corpus: Path, typed: list[str], topics: list[str],
                      work: Path, questions: list[str]) -> dict[str, Any]:
    async with DiscordStandIn() as standin:
        env = bot_env(standin, work / label, {"SAFEER_BRIEFS_DIR": str(briefs), "SAFEER_CORPUS_DIR": str(corpus),
                                              "SAFEER_LOG_LEVEL": "WARNING"})
        started = time.perf_counter()
        bot = await BotProcess.start([sys.executable, "-m", "bot", "run"], env=env)
        try:
            await bot.until(standin.wait_for_command_sync(timeout=120))
            await bot.until(standin.wait_until_ready(timeout=120))
            ready_s = time.perf_counter() - started
            trips: dict[str, list[float]] = {"autocomplete": [], "brief": [], "ask": [], "help": []}

            async def trip(kind: str, send: Any) -> None:
                t0 = time.perf_counter()
                sent = await send
                await bot.until(standin.interaction_response(sent, timeout=30))
                trips[kind].append((time.perf_counter() - t0) * 1000)

            for text in typed:
                await trip("autocomplete", standin.send_autocomplete("brief", {"topic": text}, focused="topic"))
            for topic in topics:
                await trip("brief", standin.send_slash_command("brief", {"topic": topic}))
                await trip("help", standin.send_slash_command("help", {}))
            for question in questions:
                await trip("ask", standin.send_slash_command("ask", {"question": question}))
            status = await standin.send_slash_command("briefs status", {}, user=standin.world.owner)
            cb = await bot.until(standin.interaction_response(status))
            fields = cb.json["data"]["embeds"][0]["fields"]
            inside: dict[str, dict[str, float]] = {}
            for f in fields:
                if f["name"] == "Handler timings":
                    for line in f["value"].splitlines():
                        if m := _TIMING.match(line):
                            inside[m[1]] = {"median_ms": float(m[2]), "p99_ms": float(m[3]), "count": int(m[4])}
            violations = len(standin.violations)
        finally:
            await bot.stop()
    round_trip = {k: {"median_ms": round(statistics.median(v), 3), "p99_ms": round(pct(v, 0.99), 3)}
                  for k, v in trips.items() if v}
    help_median = round_trip["help"]["median_ms"]
    return {
        "catalog": label, "ready_s": round(ready_s, 2), "inside_bot": inside, "round_trip": round_trip,
        "round_trip_ratio_vs_help": {k: round(v["median_ms"] / help_median, 2) for k, v in round_trip.items()},
        "violations": violations,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    from bot.core.library import Library

    real = Library.load(ROOT / "briefs", ROOT / "corpus")
    real_names = [n for b in real.catalog.briefs.values() for n in (b.title, *b.aliases)]
    typed_real = [name[:k] for name in real_names[:60] for k in range(1, min(len(name), 8) + 1)][: args.keystrokes]
    topics_real = [b.id for b in real.catalog.briefs.values()] + ["azerbijan invesment", "Shahbaz", "socar"]
    results = []
    with tempfile.TemporaryDirectory(prefix="safeer-bench-bot-") as tmp:
        work = Path(tmp)
        results.append(await run_catalog("real", ROOT / "briefs", ROOT / "corpus", typed_real,
                                         (topics_real * 10)[: args.briefs], work, (QUESTIONS * 20)[: args.briefs]))
        if args.synthetic:
            cache = ROOT / "benchmarks" / "out" / f"synthetic-{args.synthetic}"
            briefs, corpus = write_tree(args.synthetic, cache)
            syn = generate(args.synthetic)
            qs = queries(syn, 400)
            typed = list(keystrokes(qs, args.keystrokes))
            topics = [q.text for q in qs if q.intended][: args.briefs]
            asked = [f"what about {t}?" for t in topics]
            results.append(await run_catalog(f"synthetic-{args.synthetic}", briefs, corpus, typed, topics, work, asked))
    return {"benchmark": "bot_handlers", "python": sys.version.split()[0], "results": results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=int, default=10_000, help="synthetic catalog size (0 to skip)")
    parser.add_argument("--keystrokes", type=int, default=300)
    parser.add_argument("--briefs", type=int, default=150)
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=1))
