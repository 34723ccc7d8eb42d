"""`Runner.run_sync` against `await Runner.run`, and memory over many `run_sync` calls (issue 16).

    python -m bench.run_sync                 # 500 timed calls each, memory over 10,000 calls
    python -m bench.run_sync --calls 100 --memory-calls 1000   # quicker

Both talk Chat Completions to `python -m bench.server` (its own process) with the same
`OpenAIChatModel`; each call is a one-turn run. Per call: the median over ten alternating
rounds of each (so a change in machine load hits both alike), after a warm-up. Memory: RSS
(from /proc) after the warm-up and after every tenth of the calls; flat means the last tenth
grew by next to nothing. Goals: `run_sync` within 1.2x of `await Runner.run` per call; flat
memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

from .serving import FINAL, ServerProcess

WARMUP = 20
ROUNDS = 10
WARMUP_PER_ROUND = 2
"""Each `await` round runs on a fresh `asyncio.run` loop, so its first calls build a client."""


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--memory-calls", type=int, default=10_000)
    args = parser.parse_args()

    from drusilla import Agent, Runner
    from drusilla.models.openai_chat import OpenAIChatModel

    per_round = args.calls // ROUNDS
    timed = ROUNDS * (2 * per_round + WARMUP_PER_ROUND) + WARMUP
    requests = timed + WARMUP + (args.memory_calls // 10) * 10
    spec = {"kind": "concurrent", "requests": requests, "turns": 1, "latency": 0}
    with ServerProcess(spec) as server:
        agent = Agent("a", model=OpenAIChatModel("bench", base_url=server.base_url, api_key="k"))

        async def awaited(calls: int) -> list[float]:
            samples = []
            for _ in range(calls):
                started = time.perf_counter()
                assert (await Runner.run(agent, "?")).final_output == FINAL
                samples.append(time.perf_counter() - started)
            return samples[WARMUP_PER_ROUND:]

        def blocking(calls: int) -> list[float]:
            samples = []
            for _ in range(calls):
                started = time.perf_counter()
                assert Runner.run_sync(agent, "?").final_output == FINAL
                samples.append(time.perf_counter() - started)
            return samples

        # Alternating rounds, so a change in machine load hits both alike.
        run_samples: list[float] = []
        sync_samples: list[float] = []
        blocking(WARMUP)
        for _ in range(ROUNDS):
            run_samples += asyncio.run(awaited(per_round + WARMUP_PER_ROUND))
            sync_samples += blocking(per_round)
        run_ms = statistics.median(run_samples) * 1000
        sync_ms = statistics.median(sync_samples) * 1000

        blocking(WARMUP)
        rss = [rss_mib()]
        tenth = max(1, args.memory_calls // 10)
        for _ in range(10):
            blocking(tenth)
            rss.append(rss_mib())
    result = {
        "await_run_ms_per_call": round(run_ms, 3),
        "run_sync_ms_per_call": round(sync_ms, 3),
        "ratio": round(sync_ms / run_ms, 2),
        "memory_calls": tenth * 10,
        "rss_mib_every_tenth": [round(value, 1) for value in rss],
        "rss_growth_last_tenth_mib": round(rss[-1] - rss[-2], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
