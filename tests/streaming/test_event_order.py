"""The order of stream events, as docs/streaming.md states it, for a run with an orb, reasoning,
text and a sword call — in-process and over HTTP (Chat Completions and Responses)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from drusilla import (
    Agent,
    AgentUpdatedStreamEvent,
    OrbCallItem,
    RawResponseEvent,
    RunItemStreamEvent,
    Runner,
    StreamEvent,
    SwordCallDelta,
    SwordCallItem,
    sword,
)
from drusilla.testing import Turn, call

from .snapshot import describe

Script = Callable[..., Any]


@sword
async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny"


def agents(script: Script) -> tuple[Agent[Any], Agent[Any]]:
    specialist = Agent(
        "Specialist",
        model=script(
            Turn(
                "Let me check.",
                reasoning="The user wants the weather.",
                calls=[call("get_weather", city="Oslo")],
            ),
            Turn("Oslo is sunny.", reasoning="The sword said sunny."),
        ),
        swords=[get_weather],
    )
    triage = Agent("Triage", model=script(call("transfer_to_specialist")), orbs=[specialist])
    return triage, specialist


async def test_events_of_a_run_with_an_orb_reasoning_and_a_sword(script: Script) -> None:
    triage, specialist = agents(script)
    result = await Runner.run_streamed(triage, "Weather in Oslo?")
    events: list[StreamEvent] = [event async for event in result.stream_events()]

    assert describe(events) == [
        "agent:Triage",  # the starting agent, before anything else
        # turn 1: the orb call streams like any call, then its items
        "~sword_args",
        "orb_requested",
        "orb_occurred",
        "agent:Specialist",  # after the orb: the new agent takes the next turn
        # turn 2: the model's deltas as they come, then its items in the model's order,
        # then the sword outputs
        "~reasoning",
        "~text",
        "~sword_args",
        "reasoning_item_created",
        "message_output_created",
        "sword_called",
        "sword_output",
        # turn 3: the final answer
        "~reasoning",
        "~text",
        "reasoning_item_created",
        "message_output_created",
    ]

    updates = [e.new_agent for e in events if isinstance(e, AgentUpdatedStreamEvent)]
    assert updates == [triage, specialist]
    items = [e.item for e in events if isinstance(e, RunItemStreamEvent)]
    assert items == result.new_items
    assert [item.agent for item in items] == [triage] * 2 + [specialist] * 6

    # Sword-call deltas: the first of each call carries its name and id, the rest the
    # arguments, which add up to the call's arguments.
    streamed_calls: list[list[Any]] = []  # [name, call_id, arguments] per call, as streamed
    for event in events:
        if isinstance(event, RawResponseEvent) and isinstance(event.data, SwordCallDelta):
            if event.data.name is not None:
                streamed_calls.append([event.data.name, event.data.call_id, ""])
            streamed_calls[-1][2] += event.data.arguments_delta
    calls = [item.raw_item for item in items if isinstance(item, SwordCallItem | OrbCallItem)]
    assert [(name, call_id) for name, call_id, _ in streamed_calls] == [
        (c["name"], c["call_id"]) for c in calls
    ]
    assert [json.loads(arguments or "{}") for *_, arguments in streamed_calls] == [
        json.loads(c["arguments"]) for c in calls
    ]
    assert json.loads(calls[1]["arguments"]) == {"city": "Oslo"}

    assert result.final_output == "Oslo is sunny."
    assert result.last_agent is specialist
    assert result.reasoning == "The sword said sunny."


async def test_text_and_reasoning_deltas_are_the_model_text_piece_by_piece(script: Script) -> None:
    words = "Cypherpunks write code; they know that someone has to write software."
    agent = Agent("a", model=script(Turn(words, reasoning="Quote Hughes, 1993.")))
    result = await Runner.run_streamed(agent, "Quote?")
    texts: list[str] = []
    thoughts: list[str] = []
    async for event in result.stream_events():
        if isinstance(event, RawResponseEvent):
            target = texts if event.data.type == "text_delta" else thoughts
            target.append(event.data.delta)  # type: ignore[union-attr]
    assert len(texts) == len(words.split()) and "".join(texts) == words
    assert "".join(thoughts) == "Quote Hughes, 1993."
