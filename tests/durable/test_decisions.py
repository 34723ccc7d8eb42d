"""Deciding a waiting call from two processes at once: the first decision wins, the other
decider is told so, and what the run does is what every reader shows.

Each decider has a `DBOSClient` of its own (as two `drusilla runs` processes would), on real
SQLite and real Postgres (conftest.py); a barrier makes both pass the "is it pending?" check
before either records its decision, so the race happens every round.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from drusilla import Agent, UserError, sword
from drusilla.durable import DurableRunner
from drusilla.durable.database import DurableDatabase
from drusilla.durable.runner import _first_decision, decide, pending_approvals
from drusilla.testing import OpenAIServer, Turn, call
from tests.durable.noting import SWORD_LOG

ROUNDS = 3  # runs raced on per database; each round's winner is whoever DBOS let in first
CLI_TIMEOUT = 180.0  # a backstop only: starting a CLI on a busy machine is slow


@sword(needs_approval=True)
def pay(amount: int) -> str:
    """Pay (a person approves first)."""
    SWORD_LOG.append(f"pay {amount}")
    return f"paid {amount}"


class MeetAfterTheCheck:
    """A decider's `DBOSClient` that, once it has read the run's pending calls, waits for the
    other decider to have read them too: both find the call pending before either decides."""

    def __init__(self, client: Any, barrier: asyncio.Barrier) -> None:
        self._client = client
        self._barrier = barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def get_event_async(self, *args: Any, **kwargs: Any) -> Any:
        found = await self._client.get_event_async(*args, **kwargs)
        await self._barrier.wait()
        return found


@pytest.fixture
async def runner(database_url: str, server: OpenAIServer) -> AsyncIterator[DurableRunner]:
    turns = [Turn(calls=[call("pay", amount=1), call("pay", amount=2)]), Turn("Done.")]
    model = server.model(*turns * ROUNDS)
    running = DurableRunner([Agent("Clerk", model=model, swords=[pay])], database_url=database_url)
    yield running
    await running.close()


async def test_of_two_racing_decisions_one_wins_and_all_agree(
    runner: DurableRunner, database_url: str
) -> None:
    await runner.launch()  # creates the database
    deciders = [DurableDatabase(database_url).client() for _ in range(2)]  # two DBOSClients
    for attempt in range(ROUNDS):
        run_id = f"race-{attempt}"
        handle = await runner.start("Clerk", "Pay both.", run_id=run_id)
        first, second = await _pending(runner, run_id)
        barrier = asyncio.Barrier(2)
        approver, rejecter = (MeetAfterTheCheck(client, barrier) for client in deciders)
        outcomes = await asyncio.gather(
            decide(approver, run_id, first.call_id, approve=True),
            decide(rejecter, run_id, first.call_id, approve=False, message="No."),
            return_exceptions=True,
        )
        won = _winner(outcomes)
        shown = {p.call_id: p.decision for p in await pending_approvals(deciders[0])}
        assert shown == {first.call_id: won, second.call_id: None}
        assert _listed_by_the_cli(database_url) == shown

        await runner.approve(run_id, second.call_id)
        assert await handle.result() == "Done."
        paid = ["pay 1", "pay 2"] if won == "approved" else ["pay 2"]
        assert sorted(SWORD_LOG) == paid, f"round {attempt}: {won} won"  # swords run at once
        SWORD_LOG.clear()


def _winner(outcomes: tuple[BaseException | None, BaseException | None]) -> str:
    """'approved' or 'rejected': which decision was accepted; the other must have been refused
    saying the call was decided that way already."""
    approved, rejected = outcomes
    assert (approved is None) != (rejected is None), f"not exactly one winner: {outcomes}"
    won = "approved" if approved is None else "rejected"
    refused = rejected if approved is None else approved
    assert isinstance(refused, UserError), refused
    assert f"was already {won}" in str(refused)
    return won


async def _waiting(runner: DurableRunner, database_url: str, run_id: str) -> tuple[Any, ...]:
    """A run started and waiting for its two calls: its handle, the calls, and a decider."""
    handle = await runner.start("Clerk", "Pay both.", run_id=run_id)
    first, second = await _pending(runner, run_id)
    return handle, first, second, DurableDatabase(database_url).client()


async def _pending(runner: DurableRunner, run_id: str) -> list[Any]:
    """The run's two calls, once it has published them."""
    deadline = time.monotonic() + CLI_TIMEOUT  # a backstop only: the loop waits for the calls
    while True:
        pending = [p for p in await runner.pending_approvals() if p.run_id == run_id]
        if len(pending) == 2:
            return pending
        assert time.monotonic() < deadline, f"run {run_id} never published its two calls"
        await asyncio.sleep(0.05)


def _listed_by_the_cli(database_url: str) -> dict[str, str | None]:
    """`drusilla runs list --json` in a process of its own: each call's decision."""
    command = [sys.executable, "-m", "drusilla.cli", "runs", "list", "--json"]
    done = subprocess.run(
        [*command, "--database", database_url],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    return {call["call_id"]: call["decision"] for call in listed}


async def test_the_same_decision_twice_is_kept_once_and_another_message_is_refused(
    runner: DurableRunner, database_url: str
) -> None:
    handle, first, second, client = await _waiting(runner, database_url, "twice")
    await decide(client, "twice", first.call_id, approve=False, message="Not today.")
    await decide(client, "twice", first.call_id, approve=False, message="Not today.")
    with pytest.raises(UserError, match="was already rejected with another message"):
        await decide(client, "twice", first.call_id, approve=False, message="Never.")
    await runner.approve("twice", second.call_id)
    assert await handle.result() == "Done."
    assert SWORD_LOG == ["pay 2"]


async def test_a_decision_recorded_by_a_decider_that_stopped_still_reaches_the_run(
    runner: DurableRunner, database_url: str
) -> None:
    handle, first, second, client = await _waiting(runner, database_url, "halfway")
    decision = {"call_id": first.call_id, "approve": True, "message": None}
    await _first_decision(client, "halfway", decision)  # where a decider killed then stops
    with pytest.raises(UserError, match="was already approved"):
        await decide(client, "halfway", first.call_id, approve=False)
    await runner.approve("halfway", second.call_id)
    assert await handle.result() == "Done."  # the runner delivered the recorded decision
    assert sorted(SWORD_LOG) == ["pay 1", "pay 2"]
