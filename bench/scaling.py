"""Scaling with load: concurrent runs and batch size, in-process (registered in catalog.MODULES).

Both use scenario 1's do-nothing model, so what grows with the size is the framework's own
work: per-turn CPU of N runs at once, and per-run CPU of a batch of N inputs. The page's "How it
scales" section fits a line through the medians (bench/report.py). This module is also the
model for adding scenarios: a `Scenario` with its `run` here, its module named in
`catalog.MODULES`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .catalog import SCALING_NOTE, Metric, Scenario, Slope

CONCURRENCY_SIZES = (1, 10, 100, 500)
BATCH_SIZES = (10, 100, 1000)
BATCH_CONCURRENCY = 100


def _metrics(prefix: str, label: str, sizes: tuple[int, ...], per: str) -> tuple[Metric, ...]:
    return tuple(
        metric
        for size in sizes
        for metric in (
            Metric(f"{prefix}_{size}_cpu", f"{label.format(size)}: CPU per {per}", "µs"),
            Metric(
                f"{prefix}_{size}_wall",
                f"{label.format(size)}: wall per {per}",
                "µs",
                summary=False,
            ),
        )
    )


async def _cpu_and_wall(
    job: Callable[[], Awaitable[list[str]]], runs: int, warmup: int, per: int
) -> dict[str, list[float]]:
    """CPU (the process's) and wall time of `runs` jobs after `warmup`, ÷ `per`, in µs; every
    output checked for the scripted answer."""
    from .scenarios import _check_final

    cpu_samples, wall_samples = [], []
    for index in range(warmup + runs):
        cpu, wall = time.process_time(), time.perf_counter()
        outputs = await job()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        for output in outputs:
            _check_final(output)
        if index >= warmup:
            cpu_samples.append(cpu / per * 1e6)
            wall_samples.append(wall / per * 1e6)
    return {"cpu": cpu_samples, "wall": wall_samples}


async def scaling_concurrency(
    framework: Any, *, sizes: list[int], turns: int, runs: int, warmup: int
) -> Any:
    """`size` concurrent `turns`-turn runs (a `ping` call in each turn but the last): CPU and
    wall time per turn of all of them together."""
    from .adapters.base import Script
    from .scenarios import PROMPT, Counter, Outcome, _check_calls, _pinging, _put, ping_tools

    samples: dict[str, list[float]] = {}
    for size in sizes:
        counter = Counter()
        agent = framework.agent(Script(_pinging(turns)), [ping_tools(counter)["async"]])

        async def together(size: int = size, agent: Any = agent) -> list[str]:
            runs_at_once = (framework.run(agent, PROMPT) for _ in range(size))
            return list(await asyncio.gather(*runs_at_once))

        measured = await _cpu_and_wall(together, runs, warmup, size * turns)
        _check_calls(counter, (runs + warmup) * size * (turns - 1), f"concurrency {size}")
        _put(samples, f"concurrency_{size}", measured)
    return Outcome(samples, {"turns": turns})


async def scaling_batch(
    framework: Any, *, sizes: list[int], concurrency: int, runs: int, warmup: int
) -> Any:
    """A batch of `size` one-turn runs, `concurrency` at a time: drusilla's `Runner.run_batch`,
    a peer's `asyncio.gather` over a semaphore around its runs (as scenario 13). CPU and wall
    time per run."""
    from .adapters.base import Script
    from .scenarios import PROMPT, Outcome, _put
    from .serving import FINAL

    agent = framework.agent(Script(lambda seen: FINAL), [])
    batch = getattr(framework, "batch", None)

    async def gathered(prompts: list[str]) -> list[str]:
        slots = asyncio.Semaphore(concurrency)

        async def one(prompt: str) -> str:
            async with slots:
                return str(await framework.run(agent, prompt))

        return list(await asyncio.gather(*(one(prompt) for prompt in prompts)))

    samples: dict[str, list[float]] = {}
    for size in sizes:
        prompts = [f"{PROMPT} #{index}" for index in range(size)]

        async def job(prompts: list[str] = prompts) -> list[str]:
            if batch is not None:
                outputs = list(await batch(agent, prompts, concurrency))
            else:
                outputs = await gathered(prompts)
            assert len(outputs) == len(prompts), "a batch lost inputs"
            return outputs

        _put(samples, f"batch_{size}", await _cpu_and_wall(job, runs, warmup, size))
    how = "Runner.run_batch" if batch is not None else "asyncio.gather over a semaphore"
    return Outcome(samples, {"concurrency": concurrency, "batch": how})


SCENARIOS = (
    Scenario(
        15,
        "scaling_concurrency",
        "Scaling: concurrent runs",
        "The 10-turn run of scenario 1 (async tool), 1, 10, 100 or 500 of them at once on "
        "one event loop (`asyncio.gather`): CPU and wall time per turn, all runs together.",
        _metrics("concurrency", "{} at once", CONCURRENCY_SIZES, "turn"),
        full={"sizes": list(CONCURRENCY_SIZES), "turns": 10, "runs": 3, "warmup": 1},
        quick={"sizes": [1, 10], "turns": 3, "runs": 2, "warmup": 1},
        rounds=3,
        notes=(SCALING_NOTE,),
        run=scaling_concurrency,
        slope=Slope("100 concurrent runs", "concurrency_{}_cpu", 100),
    ),
    Scenario(
        16,
        "scaling_batch",
        "Scaling: batch size",
        "Batches of 10, 100 or 1,000 one-turn runs, 100 at a time, against the in-process "
        "model: drusilla's `Runner.run_batch`, a peer's `asyncio.gather` over a semaphore "
        "(as in scenario 13, without HTTP). CPU and wall time per run.",
        _metrics("batch", "batch of {}", BATCH_SIZES, "run"),
        full={"sizes": list(BATCH_SIZES), "concurrency": BATCH_CONCURRENCY, "runs": 3, "warmup": 1},
        quick={"sizes": [10, 100], "concurrency": 10, "runs": 2, "warmup": 1},
        rounds=3,
        notes=(SCALING_NOTE,),
        run=scaling_batch,
        slope=Slope("1,000 inputs in the batch", "batch_{}_cpu", 1000),
    ),
)
