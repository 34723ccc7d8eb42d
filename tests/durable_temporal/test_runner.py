"""TemporalRunner with a worker in the test process: steps, names, streaming, sessions, errors.

A real Temporal dev server (conftest.py), the model over real HTTP (the local server).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from drusilla import Agent, sword
from drusilla.testing import OpenAIServer, Turn, call

SWORD_LOG: list[str] = []


@sword
def record(note: str) -> str:
    """Write a note down."""
    SWORD_LOG.append(note)
    return f"noted {note}"


@pytest.fixture
async def temporal(temporal_address: str) -> AsyncIterator[Any]:
    """A factory for TemporalRunners on a task queue of the test's own, each with a worker."""
    from drusilla.durable.temporal import TemporalRunner

    SWORD_LOG.clear()
    queue = f"test-{uuid.uuid4().hex}"
    workers: list[Any] = []

    async def make(agents: list[Agent[Any]], **options: Any) -> TemporalRunner:
        runner = TemporalRunner(agents, address=temporal_address, task_queue=queue, **options)
        worker = runner.worker()
        await worker.__aenter__()
        workers.append(worker)
        return runner

    yield make
    for worker in reversed(workers):
        await worker.__aexit__(None, None, None)


async def activity_names(runner: Any, run_id: str) -> list[str]:
    """The step name (summary) of each activity the run scheduled, in order."""
    handle = (await runner.connect()).get_workflow_handle(run_id)
    names = []
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            names.append(event.user_metadata.summary.data.decode().strip('"'))
    return names


async def test_a_run_makes_each_model_call_and_sword_an_activity(
    server: OpenAIServer, temporal: Any
) -> None:
    model = server.model(Turn(calls=[call("record", note="a")]), Turn("Noted."))
    clerk = Agent("Clerk", model=model, swords=[record])
    runner = await temporal([clerk])
    handle = await runner.start(clerk, "Note a.", run_id=f"run-{uuid.uuid4().hex}")
    assert await handle.result() == "Noted."
    assert await handle.status() == "SUCCESS"
    assert await activity_names(runner, handle.run_id) == [
        "Clerk.model",
        "Clerk.record",
        "Clerk.model",
    ]
    assert SWORD_LOG == ["a"]
