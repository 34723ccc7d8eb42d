"""Temporal workers killed with SIGKILL mid-run and restarted: nothing done is done again.

The test process is the client (it starts runs, decides approvals and waits for results); the
runs execute in a worker subprocess that talks over HTTP to the local OpenAI-protocol server of
the test process, which counts the model requests. The swords count their calls in a log.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drusilla import Agent, UserError
from drusilla.testing import Hold, OpenAIServer, Turn, call
from tests.durable.crash_worker import (
    READY_TIMEOUT,
    Events,
    WorkerProcess,
    assert_in_flight_sword_ran_again,
    named,
)

WORKER = Path(__file__).with_name("worker.py")


class Worker(WorkerProcess):
    def __init__(self, tmp_path: Path, address: str, server: OpenAIServer) -> None:
        super().__init__(tmp_path / "log.jsonl")
        self.queue = f"crash-{uuid.uuid4().hex}"
        self.command = [sys.executable, str(WORKER), address, self.queue, server.base_url]

    def start(self, hang: bool = True) -> None:
        """Start the worker; with `hang=False` its `hang` sword returns at once."""
        env = {**os.environ, "WORKER_HANG": "1" if hang else "0"}
        command = [*self.command, str(self.log)]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, env=env)

    async def wait_for(self, check: Callable[[Events], bool]) -> None:
        deadline = self.deadline()
        while True:  # the log is a file: nothing to await but time
            if self.got_there(check, deadline):
                return
            await asyncio.sleep(0.05)


@pytest.fixture
def worker(tmp_path: Path, temporal_address: str, server: OpenAIServer) -> Iterator[Worker]:
    running = Worker(tmp_path, temporal_address, server)
    yield running
    running.kill_if_running()


@pytest.fixture
async def client(worker: Worker, temporal_address: str) -> AsyncIterator[Any]:
    """A runner with no worker of its own: it starts runs for the worker process's queue."""
    from drusilla.durable.temporal import TemporalRunner

    runner = TemporalRunner([Agent("Clerk")], address=temporal_address, task_queue=worker.queue)
    async with runner:
        yield runner


async def test_kill_during_a_sword_reruns_only_that_sword(
    worker: Worker, server: OpenAIServer, client: Any
) -> None:
    server.add(
        Turn(calls=[call("record", note="first")]),
        Turn(calls=[call("hang", note="forever")]),
        model="durable",
    )
    worker.start()
    handle = await client.start("Clerk", "Note things down.", run_id="run-sword")
    await worker.wait_for(lambda events: bool(named(events, "hang")))
    worker.kill()
    assert len(server.requests_for("durable")) == 2

    # A new worker runs the sword that was in flight again; this time it returns.
    server.add(Turn("All noted."), model="durable")
    worker.start(hang=False)
    assert await handle.result() == "All noted."
    assert_in_flight_sword_ran_again(worker.events(), server)


async def test_kill_during_a_model_call_repeats_only_that_call(
    worker: Worker, server: OpenAIServer, client: Any
) -> None:
    hold = Hold(Turn(calls=[call("record", note="never seen")]), after=0)
    server.add(Turn(calls=[call("record", note="first")]), hold, model="durable")
    worker.start()
    handle = await client.start("Clerk", "Note things down.", run_id="run-model")
    assert await asyncio.to_thread(hold.wait_reached, READY_TIMEOUT)
    worker.kill()
    hold.release()
    assert len(server.requests_for("durable")) == 2

    server.add(Turn(calls=[call("record", note="second")]), Turn("Done."), model="durable")
    worker.start()
    assert await handle.result() == "Done."
    assert [e["note"] for e in named(worker.events(), "record")] == ["first", "second"]
    requests = server.requests_for("durable")
    assert len(requests) == 4  # turn 1, turn 2 (killed in flight), turn 2 again, turn 3
    assert requests[1].input == requests[2].input  # the repeated call is the same request


async def test_an_approval_sent_while_no_worker_runs_is_applied(
    worker: Worker, server: OpenAIServer, client: Any
) -> None:
    server.add(Turn(calls=[call("send_money", amount=5)]), model="durable")
    worker.start()
    handle = await client.start("Clerk", "Send 5.", run_id="run-approval")
    pending: list[Any] = []
    deadline = time.monotonic() + READY_TIMEOUT
    while not pending:  # waiting for a decision: its call is listed through the server
        assert time.monotonic() < deadline, "the run never asked for approval"
        pending = await client.pending_approvals()
        await asyncio.sleep(0.05)
    assert [(p.run_id, p.sword, p.arguments) for p in pending] == [
        ("run-approval", "send_money", {"amount": 5})
    ]
    worker.kill()

    await client.approve("run-approval", pending[0].call_id)
    await client.approve("run-approval", pending[0].call_id)  # the same decision: sent once
    with pytest.raises(UserError, match="decided already"):
        await client.reject("run-approval", pending[0].call_id)
    assert named(worker.events(), "send_money") == []  # nothing ran while it was down
    server.add(Turn("Sent 5."), model="durable")
    worker.start()
    assert await handle.result() == "Sent 5."
    assert [e["amount"] for e in named(worker.events(), "send_money")] == [5]
    requests = server.requests_for("durable")
    assert len(requests) == 2  # the call that asked, and the one after the approval
    assert dict(requests[1].input[-1])["output"] == "sent 5"
