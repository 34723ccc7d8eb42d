"""Deltas reach the consumer as the server sends them, not when the reply is complete.

The local server sends the first events of a reply and then holds the rest back (`Hold`) until
the test releases it — which the test does only from inside its `stream_events()` loop. A run
that buffered the reply would never deliver that event, and the test would time out.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from drusilla import (
    Agent,
    RawResponseEvent,
    ReasoningDelta,
    ReasoningItem,
    Runner,
    SwordCallDelta,
    TextDelta,
    sword,
)
from drusilla.testing import Hold, OpenAIServer, Turn, call


@sword
async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny"


# What the model sends, the first delta of its kind, and how many events the server sends
# before it holds (the first delta is the last of them), per API.
CASES: dict[str, tuple[list[Any], tuple[type, str], dict[str, int]]] = {
    "text": (
        ["Hello brave new world"],
        (TextDelta, "Hello"),
        {"chat": 2, "responses": 5, "messages": 3, "gemini": 1},
    ),
    "reasoning": (
        [Turn("Done.", reasoning="Think hard now")],
        (ReasoningDelta, "Think"),
        {"chat": 2, "responses": 4, "messages": 3, "gemini": 1},
    ),
    "sword_args": (
        [call("get_weather", city="Oslo"), "Sunny in Oslo."],
        (SwordCallDelta, '{"city":'),
        {"chat": 3, "responses": 4, "messages": 3, "gemini": 1},
    ),
}


def delta_text(data: Any) -> str:
    return data.arguments_delta if isinstance(data, SwordCallDelta) else data.delta


@pytest.mark.parametrize("api", ["chat", "responses", "messages", "gemini"])
@pytest.mark.parametrize("kind", list(CASES))
async def test_the_first_delta_arrives_while_the_server_holds_back_the_rest(
    kind: str, api: Any, openai_server: OpenAIServer
) -> None:
    steps, (first_type, first_text), after = CASES[kind]
    hold = Hold(steps[0], after=after[api])
    model = openai_server.model(hold, *steps[1:], api=api)
    result = await Runner.run_streamed(Agent("live", model=model, swords=[get_weather]), "Go")
    firsts: list[str] = []
    with anyio.fail_after(10):  # a run that buffered the reply would wait here forever
        async for event in result.stream_events():
            if not isinstance(event, RawResponseEvent) or type(event.data) is not first_type:
                continue
            if delta_text(event.data) and not firsts:
                firsts.append(delta_text(event.data))
                assert hold.reached
                assert not result.is_complete
                assert result.model_responses == []  # the model call is still under way
                hold.release()
    # Gemini streams a function call whole, arguments and all, in one part.
    whole_call = api == "gemini" and kind == "sword_args"
    assert firsts == ['{"city": "Oslo"}' if whole_call else first_text]
    assert result.is_complete and not result.is_cancelled
    assert (
        result.final_output
        == {
            "text": "Hello brave new world",
            "reasoning": "Done.",
            "sword_args": "Sunny in Oslo.",
        }[kind]
    )


async def test_text_deltas_yields_text_as_it_arrives_across_turns() -> None:
    async with OpenAIServer(stream_delay=0.001) as server:
        model = server.model(
            Turn("Checking.", reasoning="Weather?", calls=[call("get_weather", city="Oslo")]),
            "Oslo is sunny today.",
        )
        result = await Runner.run_streamed(Agent("a", model=model, swords=[get_weather]), "Oslo?")
        deltas = [delta async for delta in result.text_deltas()]
    assert deltas == ["Checking.", "Oslo", " is", " sunny", " today."]
    assert result.final_output == "Oslo is sunny today."
    first = result.new_items[0]
    assert isinstance(first, ReasoningItem)
    assert result.reasoning is None and first.raw_item["text"] == "Weather?"
