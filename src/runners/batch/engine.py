"""Batch runs: one run per input, many at once, results in input order; see docs/batch.md.

`iterate_batch` is the engine behind `Runner.run_batch` (all results at the end),
`Runner.run_batch_sync` and `Runner.iter_batch` (results as they complete). In-process, a fixed
pool of `concurrency` workers takes inputs in order; with `on=RayCluster(...)` chunks of inputs
go to Ray actors (ray_cluster.py), each running this same in-process engine. Either way
the runs of a batch share one rate-limit gate (models/rate_gate.py), and the caller gets the
same `BatchItem`s, progress output and results file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from ...agents.agent import Agent
from ...models.rate_gate import RateGate, shared_rate_gate
from ...util.errors import UserError
from ...util.surrogates import replace_lone_surrogates
from .agent import AgentSource, load_agent
from .items import BatchItem, BatchResult
from .progress import progress_for
from .results import ResultsFile
from .run_one import StartRun, run_one

if TYPE_CHECKING:
    from .ray_cluster import RayCluster

__all__ = ["iterate_batch", "run_batch", "run_in_process"]


async def run_batch(
    agent: AgentSource,
    inputs: Iterable[Any],
    *,
    concurrency: int,
    start_run: StartRun,
    progress: bool,
    results_path: str | None,
    on: RayCluster | None,
) -> BatchResult:
    started = time.monotonic()
    listed = list(inputs)
    results: list[BatchItem | None] = [None] * len(listed)
    async for item in iterate_batch(
        agent, listed, concurrency, start_run, progress, results_path, on
    ):
        results[item.index] = item
    return BatchResult([item for item in results if item is not None], time.monotonic() - started)


async def iterate_batch(
    agent: AgentSource,
    inputs: Iterable[Any],
    concurrency: int,
    start_run: StartRun,
    progress: bool,
    results_path: str | None,
    on: RayCluster | None,
) -> AsyncGenerator[BatchItem, None]:
    """Every input's `BatchItem`: first those read back from `results_path`, then the rest as
    their runs complete (in completion order)."""
    listed = replace_lone_surrogates(list(inputs))  # valid text in the runs and the results file
    _check_concurrency(concurrency)
    store = ResultsFile.open(results_path, listed) if results_path is not None else None
    finished = store.finished if store is not None else {}
    todo = [(index, value) for index, value in enumerate(listed) if index not in finished]
    shown = progress_for(progress, len(listed), list(finished.values()))
    try:
        for index in sorted(finished):
            yield finished[index]
        async with aclosing(_engine(agent, todo, concurrency, start_run, on)) as items:
            async for item in items:
                if store is not None:
                    store.append(item)
                shown.advance(item)
                yield item
    finally:
        shown.close()
        if store is not None:
            store.close()


def _engine(
    agent: AgentSource,
    todo: list[tuple[int, Any]],
    concurrency: int,
    start_run: StartRun,
    on: RayCluster | None,
) -> AsyncGenerator[BatchItem, None]:
    if on is None:
        return run_in_process(load_agent(agent), todo, concurrency, start_run)
    from .ray_cluster import run_on_ray

    return run_on_ray(on, agent, todo, concurrency, start_run)


async def run_in_process(
    agent: Agent[Any],
    todo: list[tuple[int, Any]],
    concurrency: int,
    start_run: StartRun,
) -> AsyncGenerator[BatchItem, None]:
    """Run `todo` with at most `concurrency` runs at once; yield each item as it completes."""
    done: asyncio.Queue[BatchItem | BaseException] = asyncio.Queue()
    pending = iter(todo)

    async def worker() -> None:
        try:
            for index, value in pending:  # one iterator shared by all workers: inputs in order
                done.put_nowait(await run_one(agent, index, value, start_run))
        except Exception as exc:  # a bug, not a run's failure (run_one records those)
            done.put_nowait(exc)

    with shared_rate_gate(RateGate()):
        workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(todo)))]
    try:
        for _ in range(len(todo)):
            item = await done.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def _check_concurrency(concurrency: int) -> None:
    if not isinstance(concurrency, int) or concurrency < 1:
        raise UserError(f"run_batch concurrency={concurrency!r}: give a whole number of 1 or more.")
