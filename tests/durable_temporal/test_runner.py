"""TemporalRunner with a worker in the test process: approvals, failures, errors of its own.

What it promises alike with DBOS (steps, names, streaming, sessions) is tested once for both:
tests/durable/test_contract.py. A real Temporal dev server (tests/durable/temporal_dev_server.py),
the model over real HTTP (the local server).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from drusilla import Agent, SwordError, UserError, sword
from drusilla.testing import OpenAIServer, Turn, call
from tests.durable.crash_worker import READY_TIMEOUT
from tests.durable.engines import TemporalEngine
from tests.durable.noting import SWORD_LOG, record
from tests.durable.temporal_dev_server import free_port


@pytest.fixture
async def temporal(temporal_address: str) -> AsyncIterator[Any]:
    """A factory for TemporalRunners on a task queue of the test's own, each with a worker."""
    SWORD_LOG.clear()
    engine = TemporalEngine(temporal_address)
    yield engine.runner
    await engine.close()


def new_id() -> str:
    return f"run-{uuid.uuid4().hex}"


@sword(needs_approval=True)
def pay(amount: int) -> str:
    """Pay (a person approves first)."""
    SWORD_LOG.append(f"pay {amount}")
    return f"paid {amount}"


async def pending_calls(runner: Any, run_id: str, count: int) -> list[Any]:
    """The run's pending calls, once it has published `count` of them."""
    pending: list[Any] = []
    deadline = time.monotonic() + READY_TIMEOUT  # a backstop: a broken publish fails, not hangs
    while len(pending) < count:  # the run publishes its pending calls once the turn is done
        assert time.monotonic() < deadline, f"pending calls never published: {pending}"
        pending = [p for p in await runner.pending_approvals() if p.run_id == run_id]
        await asyncio.sleep(0.05)
    return pending


async def test_approvals_wait_for_signals(server: OpenAIServer, temporal: Any) -> None:
    model = server.model(
        Turn(calls=[call("pay", amount=1), call("pay", amount=2), call("record", note="r")]),
        Turn("Paid one."),
    )
    runner = await temporal([Agent("Clerk", model=model, swords=[pay, record])])
    run_id = new_id()
    handle = await runner.start("Clerk", "Pay.", run_id=run_id)
    pending = await pending_calls(runner, run_id, 2)
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


class MeetBeforeTheSignal:
    """A Temporal client whose handles, before sending a signal, wait for the other decider to
    be about to send its own: both found no decision sent before either sends one."""

    def __init__(self, client: Any, barrier: asyncio.Barrier) -> None:
        self._client = client
        self._barrier = barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_workflow_handle(self, run_id: str) -> Any:
        return _HandleMeeting(self._client.get_workflow_handle(run_id), self._barrier)


class _HandleMeeting:
    def __init__(self, handle: Any, barrier: asyncio.Barrier) -> None:
        self._handle = handle
        self._barrier = barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    async def signal(self, *args: Any, **kwargs: Any) -> Any:
        await self._barrier.wait()
        return await self._handle.signal(*args, **kwargs)


async def test_of_two_deciders_racing_the_first_signal_wins_and_the_other_is_told(
    server: OpenAIServer, temporal: Any
) -> None:
    model = server.model(Turn(calls=[call("pay", amount=1)]), Turn("Done."))
    runner = await temporal([Agent("Clerk", model=model, swords=[pay])])
    run_id = new_id()
    handle = await runner.start("Clerk", "Pay.", run_id=run_id)
    call_id = (await pending_calls(runner, run_id, 1))[0].call_id
    runner._client = MeetBeforeTheSignal(await runner.connect(), asyncio.Barrier(2))
    outcomes: list[Any] = list(
        await asyncio.gather(
            runner.approve(run_id, call_id),
            runner.reject(run_id, call_id, "Not today."),
            return_exceptions=True,
        )
    )
    approved = outcomes[0]
    refused = [o for o in outcomes if isinstance(o, UserError)]
    assert len(refused) == 1 and outcomes.count(None) == 1, outcomes
    assert "was decided already" in str(refused[0])
    assert await handle.result() == "Done."
    tool_output = str(dict(model.requests[1].input[-1])["output"])
    if approved is None:  # what the run did is what the winner was told
        assert (SWORD_LOG, tool_output) == (["pay 1"], "paid 1")
    else:
        assert (SWORD_LOG, tool_output) == ([], "Not today.")


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
    with pytest.raises(UserError, match="needs TemporalRunner\\(session_factory"):
        await runner.start("Clerk", "hi", session_id="s")
    unreachable = TemporalRunner([clerk], address=f"127.0.0.1:{free_port()}")
    with pytest.raises(UserError, match="Cannot reach the Temporal server"):
        await unreachable.connect()
