"""Batches over real HTTP against the local OpenAI-protocol server."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from drusilla import Agent, BatchResult, ModelError, Runner
from drusilla.testing import Hold, OpenAIServer, ReceivedRequest, SlowFirstByte, rate_limited
from drusilla.testing.faults import server_error

from .echo import echo_step, last_user_text


async def test_two_thousand_inputs_finish_in_order_with_failures_recorded_per_item() -> None:
    inputs = [f"item {i}" for i in range(2000)]
    failing = {f"item {i}" for i in range(0, 2000, 97)}
    with OpenAIServer() as server:
        model = server.model(*[echo_step(0.02, failing)] * 2000)
        agent = Agent("echo", model=model)
        result = await Runner.run_batch(agent, inputs, concurrency=200, progress=False)

    assert isinstance(result, BatchResult)
    assert [item.index for item in result.results] == list(range(2000))
    assert [item.input for item in result.results] == inputs
    assert (result.done, result.failed) == (2000 - len(failing), len(failing))
    for item in result.results:
        if item.input in failing:
            assert isinstance(item.error, ModelError) and item.error.status == 400
            assert item.final_output is None
            assert item.error.run_data is not None  # the partial run travels with the error
        else:
            assert item.error is None and item.final_output == f"echo: {item.input}"
            assert item.usage.requests == 1
    assert {item.input for item in result.failures} == failing
    assert result.usage.requests == 2000 - len(failing)
    assert len({item.run_id for item in result.results}) == 2000
    assert len(server.model_requests) == 2000


async def test_iter_batch_yields_every_input_once_as_runs_complete() -> None:
    # The server holds q0's answer until the other nine have come out of iter_batch: it must
    # come out last, not hold the others back (an event, not a delay: the machine may be busy).
    hold = Hold("slow", after=0)

    def answer(request: ReceivedRequest) -> object:
        return hold if last_user_text(request) == "q0" else "fast"

    with OpenAIServer() as server:
        model = server.model(*[answer] * 10)
        seen = []
        # A backstop only: an iter_batch that held items back would never release the hold.
        async with asyncio.timeout(120):
            async for item in Runner.iter_batch(
                Agent("a", model=model), [f"q{i}" for i in range(10)], concurrency=10
            ):
                seen.append(item.index)
                if len(seen) == 9:
                    hold.release()
    assert sorted(seen) == list(range(10))
    assert seen[-1] == 0


async def test_a_rate_limit_holds_back_every_run_of_the_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run A gets a 429 asking for 1.5 s; run B's call fails a little later with a 500 that
    alone would be retried after 1 ms. B's retry still waits for A's Retry-After."""
    monkeypatch.setenv("DRUSILLA_RETRY_BASE_DELAY", "0.001")
    retry_after = 1.5
    arrivals: dict[str, list[float]] = {"A": [], "B": []}
    limited_at: list[float] = []

    def step(request: ReceivedRequest) -> object:
        text = last_user_text(request)
        arrivals[text].append(time.monotonic())
        if text == "A" and len(arrivals["A"]) == 1:
            limited_at.append(time.monotonic())
            return rate_limited(retry_after=retry_after)
        if text == "B" and len(arrivals["B"]) == 1:
            return SlowFirstByte(0.5, server_error(500))
        return f"echo: {text}"

    with OpenAIServer() as server:
        model = server.model(*[step] * 4)
        result = await Runner.run_batch(
            Agent("a", model=model), ["A", "B"], concurrency=2, progress=False
        )
    assert result.final_outputs == ["echo: A", "echo: B"]
    assert len(arrivals["B"]) == 2
    assert arrivals["B"][1] - limited_at[0] >= retry_after - 0.05


async def test_without_a_batch_a_rate_limit_holds_back_only_its_own_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same two calls as two plain concurrent runs: B retries at once (no shared gate)."""
    monkeypatch.setenv("DRUSILLA_RETRY_BASE_DELAY", "0.001")
    arrivals: dict[str, list[float]] = {"A": [], "B": []}

    def step(request: ReceivedRequest) -> object:
        text = last_user_text(request)
        arrivals[text].append(time.monotonic())
        if text == "A" and len(arrivals["A"]) == 1:
            return rate_limited(retry_after=3)
        if text == "B" and len(arrivals["B"]) == 1:
            return server_error(500)
        return f"echo: {text}"

    with OpenAIServer() as server:
        model = server.model(*[step] * 4)
        agent = Agent("a", model=model)
        run_a = asyncio.create_task(Runner.run(agent, "A"))
        result_b = await Runner.run(agent, "B")
        assert result_b.final_output == "echo: B"
        assert len(arrivals["A"]) == 1  # A is still waiting out its own Retry-After
        run_a.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run_a
