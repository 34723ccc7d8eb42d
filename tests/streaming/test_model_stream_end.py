"""How a streamed run leaves its model's stream: read to its end after the `ResponseDone`
(the model's code after its last event runs, nothing is thrown into it), closed when the run
stops reading early — cancelled, or a stream going on past its final response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from drusilla import Agent, ModelError, ModelRequest, ModelResponse, Runner, TextDelta
from drusilla.models.interface import ModelStreamEvent, ResponseDone
from drusilla.models.items import assistant_message


class EndingModel:
    """Streams `events`; `how` says how its generator finished: "ended" (it ran past its last
    event), "closed" (GeneratorExit at a yield) or "cancelled"."""

    model_name = "ending"
    provider_name = "test"

    def __init__(self, events: list[ModelStreamEvent], *, hang: bool = False) -> None:
        self.events = events
        self.hang = hang
        self.how = "running"
        self.waiting = asyncio.Event()

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        raise AssertionError("a streamed run streams")

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        try:
            for event in self.events:
                yield event
            if self.hang:
                self.waiting.set()
                await asyncio.Event().wait()
        except GeneratorExit:
            self.how = "closed"
            raise
        except asyncio.CancelledError:
            self.how = "cancelled"
            raise
        self.how = "ended"


def _done(text: str) -> ResponseDone:
    return ResponseDone(ModelResponse([assistant_message(text)]))


async def test_a_stream_is_read_to_its_end_after_the_final_response() -> None:
    model = EndingModel([TextDelta("hel"), TextDelta("lo"), _done("hello")])
    result = await Runner.run_streamed(Agent("a", model=model), "hi")
    assert [delta async for delta in result.text_deltas()] == ["hel", "lo"]
    assert result.final_output == "hello"
    assert model.how == "ended"  # no GeneratorExit was thrown into the model's generator


async def test_events_after_the_final_response_are_dropped_and_the_stream_closed() -> None:
    model = EndingModel([TextDelta("a"), _done("a"), TextDelta("late"), _done("late")])
    result = await Runner.run_streamed(Agent("a", model=model), "hi")
    assert [delta async for delta in result.text_deltas()] == ["a"]
    assert result.final_output == "a"
    assert model.how == "closed"


async def test_a_stream_without_a_final_response_is_a_model_error() -> None:
    model = EndingModel([TextDelta("a")])
    result = await Runner.run_streamed(Agent("a", model=model), "hi")
    with pytest.raises(ModelError, match="ended without a final response"):
        await result.wait()
    assert model.how == "ended"


async def test_cancelling_the_run_mid_stream_closes_the_stream() -> None:
    model = EndingModel([TextDelta("a")], hang=True)
    result = await Runner.run_streamed(Agent("a", model=model), "hi")
    events = result.text_deltas()
    assert await anext(events) == "a"
    await model.waiting.wait()
    await events.aclose()  # leaving early cancels the run
    assert result.is_cancelled
    assert model.how == "cancelled"
