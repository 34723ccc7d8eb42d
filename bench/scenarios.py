"""The scenarios, as they run inside one framework's worker process.

Each takes the framework's adapter and keyword parameters (sizes come from bench/catalog.py)
and returns samples per metric: {"metric_id": [value, ...]} plus facts worth reporting. Every
scenario checks that the framework really did the work (final output, tool calls counted), so
a framework that silently skipped a tool could not look fast.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .adapters.base import Framework, Reply, Script, ToolCall

FINAL = "done"
PROMPT = "Go."


@dataclass
class Outcome:
    samples: dict[str, list[float]]
    facts: dict[str, Any] = field(default_factory=dict)


class Counter:
    """Counts tool calls; sync tools run in worker threads, hence the lock."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


# --- tools: the same plain functions for every framework ------------------------------------


def ping_tools(counter: Counter) -> dict[str, Callable[..., Any]]:
    """A tool that does nothing but take an argument: `async` and sync flavours, both "ping"."""

    async def ping(n: int) -> str:
        """Answer a ping.

        Args:
            n: The ping's number.
        """
        counter.add()
        return f"pong {n}"

    def ping_sync(n: int) -> str:
        """Answer a ping.

        Args:
            n: The ping's number.
        """
        counter.add()
        return f"pong {n}"

    ping_sync.__name__ = "ping"
    return {"async": ping, "sync": ping_sync}


def nap_tools(counter: Counter, seconds: float) -> dict[str, Callable[..., Any]]:
    """A tool that sleeps: `await asyncio.sleep` or (sync, run in a worker thread) `time.sleep`."""

    async def nap() -> str:
        """Rest a moment."""
        await asyncio.sleep(seconds)
        counter.add()
        return "rested"

    def nap_sync() -> str:
        """Rest a moment."""
        time.sleep(seconds)
        counter.add()
        return "rested"

    nap_sync.__name__ = "nap"
    return {"async": nap, "sync": nap_sync}


# --- helpers ---------------------------------------------------------------------------------


async def timed_runs(framework: Framework, agent: Any, runs: int, warmup: int) -> list[float]:
    """Wall time of each of `runs` complete runs (seconds), after `warmup` untimed ones."""
    for _ in range(warmup):
        _check_final(await framework.run(agent, PROMPT))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        output = await framework.run(agent, PROMPT)
        times.append(time.perf_counter() - start)
        _check_final(output)
    return times


def _check_final(output: str) -> None:
    if output != FINAL:
        raise AssertionError(f"the run ended with {output!r}, expected {FINAL!r}")


def _check_calls(counter: Counter, expected: int, what: str) -> None:
    if counter.count != expected:
        raise AssertionError(f"{what}: the tool ran {counter.count} times, expected {expected}")


def rss_kib() -> int:
    """Resident set size now (Linux /proc), KiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


def peak_rss_kib() -> int:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- scenario 1: framework overhead per turn ---------------------------------------------------


async def turn_overhead(framework: Framework, *, turns: int, runs: int, warmup: int) -> Outcome:
    """A `turns`-turn run: every turn but the last calls `ping` once, the last one answers.

    Per-turn overhead = run wall time / turns; the model and the tool do nothing, so what is
    left is the framework. Measured with an async tool and with a sync one (worker thread).
    """

    def reply(seen: int) -> Reply:
        return (ToolCall("ping", f'{{"n": {seen}}}'),) if seen < turns - 1 else FINAL

    samples: dict[str, list[float]] = {}
    for kind in ("async", "sync"):
        counter = Counter()
        agent = framework.agent(Script(reply), [ping_tools(counter)[kind]])
        times = await timed_runs(framework, agent, runs, warmup)
        _check_calls(counter, (runs + warmup) * (turns - 1), f"turn_overhead[{kind}]")
        samples[f"turn_{kind}"] = [t / turns * 1000 for t in times]
    return Outcome(samples, {"turns": turns, "tool_calls_per_run": turns - 1})


# --- scenario 3: parallel swords -----------------------------------------------------------------


async def parallel_tools(
    framework: Framework, *, calls: int, sleep_ms: float, runs: int, warmup: int
) -> Outcome:
    """One turn asks for `calls` calls of a tool sleeping `sleep_ms`; the next turn answers.

    The whole run's wall time is compared with the sleep: run in parallel, the calls cost one
    sleep; one at a time, `calls` sleeps.
    """

    def reply(seen: int) -> Reply:
        return tuple(ToolCall("nap") for _ in range(calls)) if seen == 0 else FINAL

    samples: dict[str, list[float]] = {}
    for kind in ("async", "sync"):
        counter = Counter()
        agent = framework.agent(Script(reply), [nap_tools(counter, sleep_ms / 1000)[kind]])
        times = await timed_runs(framework, agent, runs, warmup)
        _check_calls(counter, (runs + warmup) * calls, f"parallel_tools[{kind}]")
        samples[f"parallel_{kind}"] = [t * 1000 for t in times]
    return Outcome(samples, {"calls": calls, "sleep_ms": sleep_ms})


# --- scenario 6: memory with many runs waiting on the model --------------------------------------


async def waiting_runs(framework: Framework, *, runs: int) -> Outcome:
    """`runs` concurrent runs, all parked inside the model call; RSS while they wait.

    Baseline = RSS after one complete warm-up run (imports and caches loaded). Then every run
    is started, and once all of them wait in the model, RSS is read; they are released and must
    all finish with the final answer.
    """
    release = asyncio.Event()
    all_waiting = asyncio.Event()
    waiting = Counter()

    async def wait() -> None:
        waiting.add()
        if waiting.count == runs:
            all_waiting.set()
        await release.wait()

    counter = Counter()
    tools = [ping_tools(counter)["async"]]
    warm = framework.agent(Script(lambda seen: FINAL), tools)
    _check_final(await framework.run(warm, PROMPT))
    agent = framework.agent(Script(lambda seen: FINAL, wait=wait), tools)
    gc.collect()
    baseline = rss_kib()

    start = time.perf_counter()
    tasks = [asyncio.create_task(framework.run(agent, PROMPT)) for _ in range(runs)]
    await all_waiting.wait()
    parked = time.perf_counter() - start
    while_waiting = rss_kib()
    release.set()
    outputs = await asyncio.gather(*tasks)
    total = time.perf_counter() - start
    for output in outputs:
        _check_final(output)
    peak = peak_rss_kib()

    return Outcome(
        {
            "memory_peak": [peak / 1024],
            "memory_delta": [(peak - baseline) / 1024],
            "memory_per_run": [(peak - baseline) / runs],
            "waiting_start": [parked * 1000],
        },
        {
            "runs": runs,
            "baseline_mib": round(baseline / 1024, 1),
            "rss_all_waiting_mib": round(while_waiting / 1024, 1),
            "start_to_all_done_ms": round(total * 1000, 1),
        },
    )


SCENARIOS: dict[str, Callable[..., Awaitable[Outcome]]] = {
    "turn_overhead": turn_overhead,
    "parallel_tools": parallel_tools,
    "waiting_runs": waiting_runs,
}
