"""TemporalRunner with a worker in the test process: steps, names, streaming, sessions, errors.

A real Temporal dev server (conftest.py), the model over real HTTP (the local server).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from drusilla import Agent, SQLiteSession, SwordError, UserError, sword
from drusilla.testing import OpenAIServer, Turn, call

from .conftest import free_port

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


def new_id() -> str:
    return f"run-{uuid.uuid4().hex}"


async def test_starting_a_finished_run_again_runs_nothing(
    server: OpenAIServer, temporal: Any
) -> None:
    model = server.model(Turn("Once."))
    runner = await temporal([Agent("Clerk", model=model)])
    run_id = new_id()
    assert await runner.run("Clerk", "Hi", run_id=run_id) == "Once."
    assert await runner.run("Clerk", "Hi", run_id=run_id) == "Once."
    assert len(model.requests) == 1


async def test_orbs_and_agents_as_swords_make_their_own_activities(
    server: OpenAIServer, temporal: Any
) -> None:
    helper = Agent("Helper", model=server.model(Turn("42")))
    billing = Agent(
        "Billing",
        model=server.model(Turn(calls=[call("ask_helper", input="6*7?")]), Turn("It is 42.")),
        swords=[helper.as_sword(name="ask_helper")],
    )
    triage = Agent(
        "Triage", model=server.model(Turn(calls=[call("transfer_to_billing")])), orbs=[billing]
    )
    runner = await temporal([triage])
    handle = await runner.start(triage, "What is 6*7?", run_id=new_id())
    assert await handle.result() == "It is 42."
    assert await activity_names(runner, handle.run_id) == [
        "Triage.model",
        "Triage.transfer_to_billing",
        "Billing.model",
        "Helper.model",
        "Billing.model",
    ]


async def test_streamed_run_publishes_each_event_once(server: OpenAIServer, temporal: Any) -> None:
    model = server.model(Turn(calls=[call("record", note="s")]), Turn("Streamed answer."))
    runner = await temporal([Agent("Clerk", model=model, swords=[record])])
    handle = await runner.start("Clerk", "Go", run_id=new_id(), stream=True)
    events = [event async for event in handle.stream_events()]
    assert await handle.result() == "Streamed answer."
    kinds = [event["type"] for event in events]
    assert kinds[0] == "agent_updated"
    assert kinds.count("sword_called") == 1 and kinds.count("sword_output") == 1
    text = "".join(event["delta"] for event in events if event["type"] == "text_delta")
    assert text == "Streamed answer."
    assert kinds.index("sword_output") < kinds.index("text_delta")  # in the order they came


async def test_a_session_gets_each_item_once(
    server: OpenAIServer, temporal: Any, tmp_path: Path
) -> None:
    model = server.model(Turn(calls=[call("record", note="x")]), Turn("First."), Turn("Second."))
    path = tmp_path / "sessions.sqlite"
    runner = await temporal(
        [Agent("Clerk", model=model, swords=[record])],
        session_factory=lambda session_id: SQLiteSession(session_id, path),
    )
    assert await runner.run("Clerk", "One", session_id="s1") == "First."
    assert await runner.run("Clerk", "Two", session_id="s1") == "Second."
    items = await SQLiteSession("s1", path).get_items()
    assert [item.get("role") or item.get("type") for item in items] == [
        "user",
        "function_call",
        "function_call_output",
        "assistant",
        "user",
        "assistant",
    ]
    assert dict(model.requests[2].input[0])["content"] == "One"  # the second run saw the first


async def test_approvals_wait_for_signals(server: OpenAIServer, temporal: Any) -> None:
    @sword(needs_approval=True)
    def pay(amount: int) -> str:
        """Pay (a person approves first)."""
        SWORD_LOG.append(f"pay {amount}")
        return f"paid {amount}"

    model = server.model(
        Turn(calls=[call("pay", amount=1), call("pay", amount=2), call("record", note="r")]),
        Turn("Paid one."),
    )
    runner = await temporal([Agent("Clerk", model=model, swords=[pay, record])])
    run_id = new_id()
    handle = await runner.start("Clerk", "Pay.", run_id=run_id)
    pending: list[Any] = []
    while len(pending) < 2:  # the run publishes its pending calls once the turn is done
        pending = [p for p in await runner.pending_approvals() if p.run_id == run_id]
        await asyncio.sleep(0.05)
    assert [(p.sword, p.arguments) for p in pending] == [
        ("pay", {"amount": 1}),
        ("pay", {"amount": 2}),
    ]
    assert SWORD_LOG == ["r"]  # the call needing no approval ran; the others wait
    await runner.approve(run_id, pending[0].call_id)
    await runner.reject(run_id, pending[1].call_id, "Only one payment today.")
    assert await handle.result() == "Paid one."
    assert SWORD_LOG == ["r", "pay 1"]
    outputs = [str(dict(item)["output"]) for item in model.requests[1].input if "output" in item]
    assert sorted(outputs) == ["Only one payment today.", "noted r", "paid 1"]
    with pytest.raises(UserError, match="is not waiting for a decision"):
        await runner.approve(run_id, pending[0].call_id)


async def test_a_failed_run_raises_what_it_raised(server: OpenAIServer, temporal: Any) -> None:
    @sword(failure_error_function=None)
    def broken() -> str:
        """Fail."""
        raise ValueError("the printer is on fire")

    model = server.model(Turn(calls=[call("broken")]))
    runner = await temporal([Agent("Clerk", model=model, swords=[broken])])
    handle = await runner.start("Clerk", "Print.", run_id=new_id())
    with pytest.raises(SwordError, match="the printer is on fire") as raised:
        await handle.result()
    assert raised.value.sword_name == "broken"
    assert await handle.status() == "ERROR"


async def test_bad_input_is_a_user_error(server: OpenAIServer, temporal: Any) -> None:
    from drusilla.durable.temporal import TemporalRunner

    clerk = Agent("Clerk", model=server.model())
    with pytest.raises(UserError, match="two agents named 'Clerk'"):
        TemporalRunner([clerk, Agent("Clerk")])
    runner = await temporal([clerk])
    with pytest.raises(UserError, match=r"No agent named 'Nobody'.*known: Clerk"):
        await runner.start("Nobody", "hi")
    with pytest.raises(UserError, match="is not waiting for a decision"):
        await runner.approve("no-such-run", "call_1")
    with pytest.raises(UserError, match="needs TemporalRunner\\(session_factory"):
        await runner.start("Clerk", "hi", session_id="s")
    unreachable = TemporalRunner([clerk], address=f"127.0.0.1:{free_port()}")
    with pytest.raises(UserError, match="Cannot reach the Temporal server"):
        await unreachable.connect()
