"""In-process hot-path ratios of issue 32, one process, CPU time, median of interleaved rounds.

    python -m bench.hot_path_probe                  # all four ratios
    python -m bench.hot_path_probe --only streamed  # one of: streamed, run_sync, history

- streamed ÷ plain per turn: the 10-turn `ping` run of scenario 1, through `Runner.run` and
  through `Runner.run_streamed` + `stream_events()`.
- run_sync ÷ await: a one-turn run with the in-process model, `Runner.run_sync` from a plain
  script against `await Runner.run(...)` on one `asyncio.run` loop.
- history 5,000 ÷ 10: a one-turn run whose input is a previous run's `to_input_list()` plus a
  new user message, over 5,000 items against 10.

Rounds alternate the two sides so drift in machine load hits both; the load average is printed.
Not part of `python -m bench`'s page (register it in bench/catalog.py to put it there).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .adapters.base import Script
from .adapters.drusilla_adapter import FRAMEWORK
from .scenarios import PROMPT, Counter, _pinging, ping_tools
from .serving import FINAL

Timed = Callable[[], float]


def _cpu(run: Callable[[], Any], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        run()
    return (time.process_time() - started) / count * 1e6


def _cpu_async(make: Callable[[], Awaitable[Any]], count: int) -> Timed:
    async def many() -> float:
        started = time.process_time()
        for _ in range(count):
            await make()
        return (time.process_time() - started) / count * 1e6

    return lambda: asyncio.run(many())


def _pair(name: str, mine: Timed, base: Timed, rounds: int, per: int) -> None:
    mine(), base()  # warm-up
    a, b, ratios = [], [], []
    for _ in range(rounds):
        x, y = mine() / per, base() / per
        a.append(x)
        b.append(y)
        ratios.append(x / y)
    print(
        f"{name}: {statistics.median(a):.1f} µs vs {statistics.median(b):.1f} µs, "
        f"ratio median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f} max {max(ratios):.3f}), load {os.getloadavg()[0]:.2f}"
    )


def streamed(rounds: int) -> None:
    turns = 10
    agent = FRAMEWORK.agent(Script(_pinging(turns)), [ping_tools(Counter())["async"]])
    _pair(
        "streamed/plain per turn",
        _cpu_async(lambda: FRAMEWORK.run_streamed(agent, PROMPT), 200),
        _cpu_async(lambda: FRAMEWORK.run(agent, PROMPT), 200),
        rounds,
        turns,
    )


def run_sync(rounds: int) -> None:
    agent = FRAMEWORK.agent(Script(lambda seen: FINAL), [])
    _pair(
        "run_sync/await per run",
        lambda: _cpu(lambda: FRAMEWORK.run_sync(agent, PROMPT), 1000),
        _cpu_async(lambda: FRAMEWORK.run(agent, PROMPT), 1000),
        rounds,
        1,
    )


def history(rounds: int) -> None:
    from drusilla import Runner

    agent = FRAMEWORK.agent(Script(lambda seen: FINAL), [])

    def conversation(size: int) -> list[Any]:
        given = [
            {"role": "user" if n % 2 == 0 else "assistant", "content": f"earlier message {n}"}
            for n in range(size - 1)
        ]
        earlier = asyncio.run(Runner.run(agent, given))
        return earlier.to_input_list()

    big, small = conversation(5000), conversation(10)

    def run_over(items: list[Any]) -> Timed:
        return _cpu_async(
            lambda: Runner.run(agent, [*items, {"role": "user", "content": PROMPT}]), 200
        )

    _pair("history 5000/10 one-turn run", run_over(big), run_over(small), rounds, 1)


PROBES = {"streamed": streamed, "run_sync": run_sync, "history": history}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(PROBES))
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    for name, probe in PROBES.items():
        if args.only in (None, name):
            probe(args.rounds)


if __name__ == "__main__":
    main()
