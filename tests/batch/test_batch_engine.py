"""The in-process engine: how many runs at once, inputs started in order, stopping early."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from drusilla import Agent, ModelRequest, ModelResponse, Runner, Usage, UserError
from drusilla.models.interface import ModelStreamEvent, ResponseDone
from drusilla.models.items import assistant_message


class CountingModel:
    """Answers every call after yielding to the loop a few times; counts calls in flight."""

    model_name = "counting"
    provider_name = "test"

    def __init__(self, release: asyncio.Event | None = None) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.started: list[str] = []
        self.release = release
        self.five_waiting = asyncio.Event()

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        self.started.append(str(dict(request.input[-1])["content"]))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight == 5:
            self.five_waiting.set()
        try:
            if self.release is not None:
                await self.release.wait()
            for _ in range(3):
                await asyncio.sleep(0)
        finally:
            self.in_flight -= 1
        return ModelResponse(output=[assistant_message("ok")], usage=Usage(requests=1))

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        yield ResponseDone(await self.get_response(request))


async def test_at_most_concurrency_runs_at_once_started_in_input_order() -> None:
    model = CountingModel()
    inputs = [f"q{i}" for i in range(100)]
    result = await Runner.run_batch(Agent("a", model=model), inputs, concurrency=7, progress=False)
    assert result.done == 100
    assert model.most_in_flight == 7
    assert model.started == inputs


async def test_leaving_iter_batch_early_cancels_the_runs_left() -> None:
    release = asyncio.Event()
    model = CountingModel(release)
    batch = Runner.iter_batch(Agent("a", model=model), [f"q{i}" for i in range(50)], concurrency=5)
    first = asyncio.ensure_future(anext(batch))
    await model.five_waiting.wait()
    release.set()
    assert (await first).ok
    await batch.aclose()  # what `break` out of `async for` does
    assert model.in_flight == 0
    assert len(model.started) < 50


@pytest.mark.parametrize("concurrency", [0, -1])
async def test_concurrency_below_one_is_a_user_error(concurrency: int) -> None:
    with pytest.raises(UserError, match="concurrency"):
        await Runner.run_batch(Agent("a"), ["x"], concurrency=concurrency)
