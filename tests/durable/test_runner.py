"""DurableRunner and dbos_agent in one process: what DBOS does of its own (WAL, dbos_agent in a
user's workflow, MCP steps, approvals in the database, queues, executors, bad input).

What it promises alike with Temporal (steps, names, streaming, sessions) is tested once for
both: tests/durable/test_contract.py.

Real DBOS on a real database per test, each test on SQLite and on Postgres (conftest.py); the
model over real HTTP (the local server).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from drusilla import Agent, Runner, UserError, sword
from drusilla.durable import DurableQueue, DurableRunner, dbos_agent
from drusilla.testing import OpenAIServer, ServedModel, Turn, call
from tests.durable.noting import SWORD_LOG, record


@pytest.fixture
async def durable(database_url: str) -> AsyncIterator[Any]:
    """A factory for the test's DurableRunner, closed (DBOS destroyed) at the end."""
    made: list[DurableRunner] = []

    def make(agents: list[Agent[Any]], **options: Any) -> DurableRunner:
        options.setdefault("database_url", database_url)
        runner = DurableRunner(agents, **options)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        await runner.close()


async def dbos_steps(run_id: str) -> list[str]:
    """What DBOS itself recorded for `run_id`: its operations, and steps of a user's workflow."""
    return [step["function_name"] for step in await DBOS.list_workflow_steps_async(run_id)]


async def test_sqlite_is_in_wal_mode(server: OpenAIServer, durable: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    runner = durable([Agent("Clerk", model=server.model(Turn("Hi.")))], database_url=url)
    assert await runner.run("Clerk", "Hi") == "Hi."
    mode = sqlite3.connect(tmp_path / "d.sqlite").execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)


async def test_dbos_agent_in_a_users_own_workflow(server: OpenAIServer, durable: Any) -> None:
    model = server.model(Turn(calls=[call("record", note="w")]), Turn("Mine."))
    USERS_AGENTS["clerk"] = dbos_agent(Agent("Clerk", model=model, swords=[record]))
    await durable([Agent("Unused")]).launch()  # configures DBOS, as a user's app would
    handle = await DBOS.start_workflow_async(users_workflow, "Note w.")
    assert await handle.get_result() == "Mine."
    steps = await dbos_steps(handle.get_workflow_id())
    assert steps == ["Clerk.model", "Clerk.record", "Clerk.model"]


async def test_outside_a_workflow_a_dbos_agent_runs_plainly(server: OpenAIServer) -> None:
    agent = dbos_agent(Agent("Clerk", model=server.model(Turn("Plain.")), swords=[record]))
    assert (await Runner.run(agent, "Hi")).final_output == "Plain."


USERS_AGENTS: dict[str, Agent[Any]] = {}


@DBOS.workflow(name="tests.users_workflow")
async def users_workflow(text: str) -> Any:
    return (await Runner.run(USERS_AGENTS["clerk"], text)).final_output


async def test_bad_input_is_a_user_error(server: OpenAIServer, durable: Any) -> None:
    clerk = Agent("Clerk", model=server.model())
    with pytest.raises(UserError, match="two agents named 'Clerk'"):
        DurableRunner([clerk, Agent("Clerk")])
    with pytest.raises(UserError, match="not a database URL"):
        DurableRunner([clerk], database_url="mysql://x")
    await durable([clerk]).launch()
    with pytest.raises(UserError, match="already running in this process"):
        await durable([clerk]).launch()
    assert isinstance(clerk.model, ServedModel)


async def test_mcp_tool_calls_are_steps(server: OpenAIServer, durable: Any) -> None:
    from tests.mcp.conftest import stdio_probe

    model = server.model(Turn(calls=[call("add", a=2, b=3)]), Turn("5."))
    agent = Agent("Maths", model=model, mcp_servers=[stdio_probe(name="probe")])
    runner = durable([agent])
    assert await runner.run("Maths", "2+3?", run_id="mcp") == "5."
    assert await runner.steps("mcp") == [
        "Maths.mcp.probe.list_tools",
        "Maths.model",
        "Maths.mcp.probe.add",
        "Maths.model",
    ]
    assert dict(model.requests[1].input[-1])["output"] == "5"


async def test_approvals_wait_in_the_database(server: OpenAIServer, durable: Any) -> None:
    @sword(needs_approval=True)
    def pay(amount: int) -> str:
        """Pay (a person approves first)."""
        SWORD_LOG.append(f"pay {amount}")
        return f"paid {amount}"

    model = server.model(
        Turn(calls=[call("pay", amount=1), call("pay", amount=2), call("record", note="r")]),
        Turn("Paid one."),
    )
    runner = durable([Agent("Clerk", model=model, swords=[pay, record])])
    handle = await runner.start("Clerk", "Pay.", run_id="pay")
    pending: list[Any] = []
    while len(pending) < 2:  # the run publishes its pending calls once the turn is done
        pending = await runner.pending_approvals()
        await asyncio.sleep(0.05)
    assert [(p.run_id, p.sword, p.arguments) for p in pending] == [
        ("pay", "pay", {"amount": 1}),
        ("pay", "pay", {"amount": 2}),
    ]
    assert SWORD_LOG == ["r"]  # the call needing no approval ran; the others wait
    await runner.approve("pay", pending[0].call_id)
    await runner.approve("pay", pending[0].call_id)  # the same decision again: delivered once
    with pytest.raises(UserError, match="was already approved"):
        await runner.reject("pay", pending[0].call_id)
    await runner.reject("pay", pending[1].call_id, "Only one payment today.")
    assert await handle.result() == "Paid one."
    assert SWORD_LOG == ["r", "pay 1"]
    outputs = [str(dict(item)["output"]) for item in model.requests[1].input if "output" in item]
    assert sorted(outputs) == ["Only one payment today.", "noted r", "paid 1"]
    assert await runner.pending_approvals() == []
    with pytest.raises(UserError, match=r"is not waiting for a decision.*already approved"):
        await runner.approve("pay", pending[0].call_id)


async def test_a_streamed_run_publishes_through_its_wait_for_an_approval(
    server: OpenAIServer, durable: Any
) -> None:
    @sword(needs_approval=True)
    def pay(amount: int) -> str:
        """Pay (a person approves first)."""
        SWORD_LOG.append(f"pay {amount}")
        return f"paid {amount}"

    model = server.model(Turn("Paying.", calls=[call("pay", amount=3)]), Turn("Paid."))
    runner = durable([Agent("Clerk", model=model, swords=[pay])])
    handle = await runner.start("Clerk", "Pay.", run_id="pay-streamed", stream=True)
    pending: list[Any] = []
    while not pending:
        pending = await runner.pending_approvals()
        await asyncio.sleep(0.05)
    await runner.approve("pay-streamed", pending[0].call_id)
    events = [event async for event in handle.stream_events()]  # to its close, at the end
    assert await handle.result() == "Paid."
    deltas = [event["delta"] for event in events if event["type"] == "text_delta"]
    assert "".join(deltas) == "Paying.Paid."
    assert [event["type"] for event in events].count("sword_output") == 1
    steps = await dbos_steps("pay-streamed")  # one events step, in flight through the wait
    assert steps[0] == "drusilla.events" and steps.count("drusilla.events") == 1
    assert await runner.steps("pay-streamed") == ["Clerk.model", "Clerk.pay", "Clerk.model"]
    assert SWORD_LOG == ["pay 3"]


async def test_a_queued_run_is_run_by_a_worker_of_its_queue(
    server: OpenAIServer, durable: Any
) -> None:
    model = server.model(Turn(calls=[call("record", note="q")]), Turn("Queued."))
    queue = DurableQueue("orders", concurrency=3, worker_concurrency=2)
    runner = durable([Agent("Clerk", model=model, swords=[record])], queues=[queue])
    handle = await runner.start("Clerk", "Note q.", run_id="queued", queue="orders")
    assert await handle.result() == "Queued."
    assert await runner.steps("queued") == ["Clerk.model", "Clerk.record", "Clerk.model"]
    (run,) = await DBOS.list_workflows_async(workflow_ids=["queued"])
    assert (run.queue_name, run.executor_id) == ("orders", runner.executor_id)
    kept = await DBOS.retrieve_queue_async("orders")
    assert kept is not None
    assert (kept.global_concurrency, kept.worker_concurrency) == (3, 2)


async def test_each_runner_is_an_executor_of_its_own(durable: Any) -> None:
    first, second = durable([Agent("Clerk")]), durable([Agent("Clerk")])
    assert first.executor_id != second.executor_id
    assert durable([Agent("Clerk")], executor_id="clerk-1").executor_id == "clerk-1"
    with pytest.raises(UserError, match="at least 1"):
        DurableQueue("orders", worker_concurrency=0)
    with pytest.raises(UserError, match="not starting with '_'"):
        DurableQueue("_dbos_internal_queue")
