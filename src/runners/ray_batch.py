"""`on=RayCluster(...)`: a batch's inputs in chunks on Ray actors (the `drusilla[ray]` extra).

Each actor loads the agent itself (from an import path or a factory: live agents and their
clients do not cross processes) and runs its chunks with drusilla's own in-process batch, under
one rate-limit gate per actor. The caller sends each actor up to two chunks at a time (one
running, one ready) and gets back, per chunk, each input's final output, error, usage and run id,
which become the same `BatchItem`s an in-process batch gives.

What crosses back: final outputs as they are (they must pickle) and errors without their
partial run (`run_data` holds the agent and its context, which belong to the actor); an error
that does not survive pickling comes back as a `RunnerError` with its type and message.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from ..agents.agent import Agent
from ..models.rate_gate import RateGate, shared_rate_gate
from ..util.errors import RunnerError, UserError
from ..util.usage import Usage
from .batch_agent import AgentSource, load_agent
from .batch_items import BatchItem

__all__ = ["CHUNKS_IN_FLIGHT", "BatchActor", "Outcome", "RayCluster", "run_on_ray"]

CHUNKS_IN_FLIGHT = 2
"""Chunks each actor holds at once: one running, one ready, so an actor never idles."""


@dataclass(frozen=True, slots=True)
class RayCluster:
    """Where and how to run a batch on Ray.

    `address`: an existing cluster ("auto", "ray://head:10001"); None starts a local Ray with
    `num_cpus` CPUs for this batch and shuts it down after. A Ray already started in this
    process (`ray.init()` by you) is used as it is, and left running.
    `actors`: how many actors (default: the cluster's CPUs). `chunk_size`: inputs per task.
    """

    address: str | None = None
    actors: int | None = None
    chunk_size: int = 100
    num_cpus: int = 2


Outcome = tuple[int, Any, Exception | None, Usage, str | None]
"""One input's result as an actor sends it back: index, final output, error, usage, run id."""


async def run_on_ray(
    cluster: RayCluster,
    agent: AgentSource,
    todo: list[tuple[int, Any]],
    concurrency: int,
    options: Any,
) -> AsyncGenerator[BatchItem, None]:
    """Yield each input's `BatchItem` as the chunk holding it comes back."""
    _check(cluster, agent)
    ray = _import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        _start_ray(ray, cluster)
    try:
        inputs = dict(todo)
        actors = _make_actors(ray, cluster, agent, concurrency)
        chunks = _chunks(todo, cluster.chunk_size)
        async with aclosing(_dispatch(actors, chunks, options)) as outcomes:
            async for index, final_output, error, usage, run_id in outcomes:
                yield BatchItem(index, inputs[index], final_output, error, usage, run_id)
    except ray.exceptions.RayError as exc:  # an actor could not start or died: not one input's
        raise UserError(
            f"The batch's Ray actors failed ({_one_line(exc)}). An agent import path must be "
            "importable on every node, with the settings (DRUSILLA_*) the agent needs."
        ) from exc
    finally:
        if started_here:
            ray.shutdown()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 500 else text[:500] + " ..."


def _check(cluster: RayCluster, agent: AgentSource) -> None:
    if isinstance(agent, Agent):
        raise UserError(
            "run_batch(on=RayCluster(...)) needs the agent as an import path "
            "('package.module:agent') or a factory function, not a live Agent: Ray actors build "
            "their own (its model client and swords belong to this process)."
        )
    if cluster.chunk_size < 1 or (cluster.actors is not None and cluster.actors < 1):
        raise UserError(f"{cluster!r}: chunk_size and actors must be 1 or more.")


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError(
            "run_batch(on=RayCluster(...)) needs Ray: pip install 'drusilla[ray]'."
        ) from None
    return ray


def _start_ray(ray: Any, cluster: RayCluster) -> None:
    if cluster.address is None:
        # "local": a Ray of its own, even when another process's cluster is up on this machine
        # (without it ray.init joins the one named in /tmp/ray and refuses num_cpus).
        ray.init(
            address="local",
            num_cpus=cluster.num_cpus,
            include_dashboard=False,
            log_to_driver=False,
        )
    else:
        ray.init(address=cluster.address, log_to_driver=False)


def _make_actors(ray: Any, cluster: RayCluster, agent: AgentSource, concurrency: int) -> list[Any]:
    count = cluster.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    each = max(1, math.ceil(concurrency / count))
    remote = ray.remote(num_cpus=0, max_concurrency=CHUNKS_IN_FLIGHT + 1)(BatchActor)
    return [remote.remote(agent, each) for _ in range(count)]


def _chunks(todo: list[tuple[int, Any]], size: int) -> list[list[tuple[int, Any]]]:
    return [todo[start : start + size] for start in range(0, len(todo), size)]


async def _dispatch(
    actors: list[Any], chunks: list[list[tuple[int, Any]]], options: Any
) -> AsyncGenerator[Outcome, None]:
    """Feed `chunks` to `actors`, `CHUNKS_IN_FLIGHT` per actor; yield outcomes chunk by chunk."""
    pending = iter(chunks)
    running: dict[asyncio.Future[list[Outcome]], Any] = {}

    def submit(actor: Any) -> None:
        chunk = next(pending, None)
        if chunk is not None:
            running[asyncio.wrap_future(actor.run_chunk.remote(chunk, options).future())] = actor

    for actor in actors:
        for _ in range(CHUNKS_IN_FLIGHT):
            submit(actor)
    try:
        while running:
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                submit(running.pop(future))
                for outcome in future.result():
                    yield outcome
    finally:
        for future in running:
            future.cancel()


class BatchActor:
    """A Ray actor: one agent, many chunks, at most `concurrency` runs at once in all."""

    def __init__(self, agent: AgentSource, concurrency: int) -> None:
        self.agent = load_agent(agent)
        self.concurrency = concurrency
        self.gate = RateGate()
        self.slots: asyncio.Semaphore | None = None

    async def run_chunk(self, chunk: list[tuple[int, Any]], options: Any) -> list[Outcome]:
        from .batch_run import run_one

        if self.slots is None:  # made here: it belongs to the actor's event loop
            self.slots = asyncio.Semaphore(self.concurrency)
        slots = self.slots

        async def one(index: int, value: Any) -> Outcome:
            async with slots:
                item = await run_one(self.agent, index, value, options)
            return (item.index, item.final_output, _portable(item.error), item.usage, item.run_id)

        with shared_rate_gate(self.gate):
            return list(await asyncio.gather(*(one(index, value) for index, value in chunk)))


def _portable(error: Exception | None) -> Exception | None:
    """`error` as it can travel back to the caller."""
    import pickle

    if error is None:
        return None
    if isinstance(error, RunnerError):
        error.run_data = None
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RunnerError(f"{type(error).__name__}: {error}")
    return error
