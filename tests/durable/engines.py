"""The two durable engines behind one face, for the tests of the contract both keep
(tests/durable/test_contract.py): DBOS on a database of the test's own, and Temporal on a task
queue of the test's own with a worker in the test process."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from drusilla import Agent


class Engine(Protocol):
    """Makes the test's runners; says which steps a run took, in order."""

    async def runner(self, agents: list[Agent[Any]], **options: Any) -> Any: ...

    async def steps(self, runner: Any, run_id: str) -> list[str]: ...

    async def close(self) -> None: ...


def new_run_id() -> str:
    """A run id no other test used (the Temporal server outlives each test)."""
    return f"run-{uuid.uuid4().hex}"


class DBOSEngine:
    """DurableRunners on one database; closing them destroys DBOS."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.made: list[Any] = []

    async def runner(self, agents: list[Agent[Any]], **options: Any) -> Any:
        from drusilla.durable import DurableRunner

        runner = DurableRunner(agents, database_url=self.database_url, **options)
        self.made.append(runner)
        return runner

    async def steps(self, runner: Any, run_id: str) -> list[str]:
        names: list[str] = await runner.steps(run_id)
        return names

    async def close(self) -> None:
        for runner in self.made:
            await runner.close()


class TemporalEngine:
    """TemporalRunners on a task queue of their own, each with a worker in this process."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.queue = f"test-{uuid.uuid4().hex}"
        self.workers: list[Any] = []

    async def runner(self, agents: list[Agent[Any]], **options: Any) -> Any:
        from drusilla.durable.temporal import TemporalRunner

        runner = TemporalRunner(agents, address=self.address, task_queue=self.queue, **options)
        worker = runner.worker()
        await worker.__aenter__()
        self.workers.append(worker)
        return runner

    async def steps(self, runner: Any, run_id: str) -> list[str]:
        """The step name (summary) of each activity the run scheduled."""
        handle = (await runner.connect()).get_workflow_handle(run_id)
        names = []
        async for event in handle.fetch_history_events():
            if event.HasField("activity_task_scheduled_event_attributes"):
                names.append(event.user_metadata.summary.data.decode().strip('"'))
        return names

    async def close(self) -> None:
        for worker in reversed(self.workers):
            await worker.__aexit__(None, None, None)
