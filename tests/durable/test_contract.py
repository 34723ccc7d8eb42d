"""What both durable engines promise alike, each test run on DBOS (SQLite and Postgres) and on
Temporal (`engine`, tests/durable/conftest.py): each model call and sword a step of its own,
named after its agent; a finished run not run again; streaming; sessions; unknown names.

What only one engine does stays with it: tests/durable/test_runner.py (DBOS) and
tests/durable_temporal/test_runner.py (Temporal). The model over real HTTP (the local server).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drusilla import Agent, SQLiteSession, UserError
from drusilla.testing import OpenAIServer, Turn, call
from drusilla.testing.server import Api
from tests.durable.engines import Engine, new_run_id
from tests.durable.noting import SWORD_LOG, record


@pytest.mark.parametrize("api", ["chat", "responses", "messages", "gemini"])
async def test_a_run_makes_each_model_call_and_sword_a_step(
    server: OpenAIServer, api: Api, engine: Engine
) -> None:
    model = server.model(Turn(calls=[call("record", note="a")]), Turn("Noted."), api=api)
    clerk = Agent("Clerk", model=model, swords=[record])
    runner = await engine.runner([clerk])
    handle = await runner.start(clerk, "Note a.", run_id=new_run_id())
    assert await handle.result() == "Noted."
    assert await handle.status() == "SUCCESS"
    assert await engine.steps(runner, handle.run_id) == [
        "Clerk.model",
        "Clerk.record",
        "Clerk.model",
    ]
    assert SWORD_LOG == ["a"]


async def test_starting_a_finished_run_again_runs_nothing(
    server: OpenAIServer, engine: Engine
) -> None:
    model = server.model(Turn("Once."))
    runner = await engine.runner([Agent("Clerk", model=model)])
    run_id = new_run_id()
    assert await runner.run("Clerk", "Hi", run_id=run_id) == "Once."
    assert await runner.run("Clerk", "Hi", run_id=run_id) == "Once."
    assert len(model.requests) == 1


async def test_orbs_and_agents_as_swords_make_their_own_steps(
    server: OpenAIServer, engine: Engine
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
    runner = await engine.runner([triage])
    handle = await runner.start(triage, "What is 6*7?", run_id=new_run_id())
    assert await handle.result() == "It is 42."
    assert await engine.steps(runner, handle.run_id) == [
        "Triage.model",
        "Triage.transfer_to_billing",
        "Billing.model",
        "Helper.model",
        "Billing.model",
    ]


async def test_streamed_run_publishes_each_event_once(server: OpenAIServer, engine: Engine) -> None:
    model = server.model(Turn(calls=[call("record", note="s")]), Turn("Streamed answer."))
    runner = await engine.runner([Agent("Clerk", model=model, swords=[record])])
    handle = await runner.start("Clerk", "Go", run_id=new_run_id(), stream=True)
    events = [event async for event in handle.stream_events()]
    assert await handle.result() == "Streamed answer."
    kinds = [event["type"] for event in events]
    assert kinds[0] == "agent_updated"
    assert kinds.count("sword_called") == 1 and kinds.count("sword_output") == 1
    text = "".join(event["delta"] for event in events if event["type"] == "text_delta")
    assert text == "Streamed answer."
    assert kinds.index("sword_output") < kinds.index("text_delta")  # in the order they came


async def test_a_session_gets_each_item_once(
    server: OpenAIServer, engine: Engine, tmp_path: Path
) -> None:
    model = server.model(Turn(calls=[call("record", note="x")]), Turn("First."), Turn("Second."))
    path = tmp_path / "sessions.sqlite"
    runner = await engine.runner(
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


async def test_an_unknown_agent_or_run_is_a_user_error(
    server: OpenAIServer, engine: Engine
) -> None:
    runner = await engine.runner([Agent("Clerk", model=server.model())])
    with pytest.raises(UserError, match=r"No agent named 'Nobody'.*known: Clerk"):
        await runner.start("Nobody", "hi")
    with pytest.raises(UserError, match="is not waiting for a decision"):
        await runner.approve("no-such-run", "call_1")
