"""A slow consumer slows the run down: the run gets at most `buffer_size` events ahead, then
waits — it does not read the model's stream further until the consumer catches up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from drusilla import Agent, ModelRequest, ModelResponse, Runner, TextDelta, UserError
from drusilla.models.interface import ModelStreamEvent, ResponseDone
from drusilla.models.items import assistant_message
from drusilla.runners.streaming import DEFAULT_BUFFER_SIZE

WORDS = 400


class CountingModel:
    """Streams WORDS text deltas, counting how many the run has pulled so far."""

    model_name = "counting"
    provider_name = "test"

    def __init__(self) -> None:
        self.pulled = 0

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        raise AssertionError("a streamed run streams")

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        for _ in range(WORDS):
            self.pulled += 1
            yield TextDelta("w ")
            await asyncio.sleep(0)  # like waiting for the next chunk on the network
        yield ResponseDone(ModelResponse([assistant_message("w " * WORDS)]))


@pytest.mark.parametrize("buffer_size", [0, 1, DEFAULT_BUFFER_SIZE, 100])
async def test_the_run_waits_for_a_slow_consumer(buffer_size: int) -> None:
    model = CountingModel()
    kwargs: dict[str, Any] = (
        {} if buffer_size == DEFAULT_BUFFER_SIZE else {"buffer_size": buffer_size}
    )
    result = await Runner.run_streamed(Agent("a", model=model), "Talk", **kwargs)
    events = result.stream_events()
    taken = 0
    for pause in range(3):
        await anext(events)
        taken += 1
        await asyncio.sleep(0.05)  # a slow consumer: the run has all the time it wants
        # Everything pulled is either taken, waiting in the buffer, or the one event the run
        # holds while it waits for room (the first event taken is the agent update).
        assert model.pulled <= (taken - 1) + buffer_size + 1, (pause, model.pulled)
        assert model.pulled >= min(buffer_size, 10)  # it did run ahead as far as allowed
        assert not result.is_complete
    rest = [event async for event in events]
    assert taken + len(rest) == 1 + WORDS + 1  # agent update, deltas, message item
    assert model.pulled == WORDS
    assert result.final_output == "w " * WORDS


async def test_default_buffer_is_64_events() -> None:
    assert DEFAULT_BUFFER_SIZE == 64


@pytest.mark.parametrize("bad", [-1, 2.5, True, None, "64"])
async def test_a_bad_buffer_size_is_a_user_error(bad: Any) -> None:
    with pytest.raises(UserError, match=r"buffer_size=.* must be a whole number"):
        await Runner.run_streamed(Agent("a", model=CountingModel()), "x", buffer_size=bad)
