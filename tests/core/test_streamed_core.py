"""run_streamed delivers run-item and agent events, and the same result as run()."""

from __future__ import annotations

from typing import Any

import pytest

from drusilla import (
    Agent,
    AgentUpdatedStreamEvent,
    MaxTurnsError,
    RawResponseEvent,
    RunItemStreamEvent,
    Runner,
    sword,
)
from drusilla.testing import ScriptedModel, Turn, call


@sword
def lookup(term: str) -> str:
    """Look a term up."""
    return f"{term} means cat"


def make_agents() -> Agent[Any]:
    expert = Agent(
        "Expert",
        model=ScriptedModel(
            [
                Turn(reasoning="Look it up.", calls=[call("lookup", term="neko")]),
                "Neko means cat.",
            ]
        ),
        swords=[lookup],
    )
    return Agent("Front", model=ScriptedModel([call("transfer_to_expert")]), orbs=[expert])


async def test_streamed_run_item_events_in_order_and_same_result_as_run() -> None:
    streamed = await Runner.run_streamed(make_agents(), "What is neko?")
    names: list[str] = []
    async for event in streamed.stream_events():
        if isinstance(event, RunItemStreamEvent):
            names.append(event.name)
        elif isinstance(event, AgentUpdatedStreamEvent):
            names.append(f"agent:{event.new_agent.name}")
        else:
            assert isinstance(event, RawResponseEvent)
    assert names == [
        "agent:Front",
        "orb_requested",
        "orb_occurred",
        "agent:Expert",
        "reasoning_item_created",
        "sword_called",
        "sword_output",
        "message_output_created",
    ]
    assert streamed.is_complete
    plain = await Runner.run(make_agents(), "What is neko?")
    assert streamed.final_output == plain.final_output == "Neko means cat."
    assert [type(i) for i in streamed.new_items] == [type(i) for i in plain.new_items]
    assert [_without_ids(i.raw_item) for i in streamed.new_items] == [
        _without_ids(i.raw_item) for i in plain.new_items
    ]
    assert streamed.usage == plain.usage
    assert streamed.reasoning == plain.reasoning
    assert streamed.last_agent.name == plain.last_agent.name == "Expert"


async def test_streamed_errors_are_raised_from_stream_events_with_partial_state() -> None:
    agent = Agent("a", model=ScriptedModel([call("lookup", term="x")]), swords=[lookup])
    streamed = await Runner.run_streamed(agent, "x", max_turns=1)
    seen = []
    with pytest.raises(MaxTurnsError):
        async for event in streamed.stream_events():
            seen.append(event)
    assert seen
    assert len(streamed.new_items) == 2
    assert streamed.current_turn == 1


def _without_ids(item: Any) -> dict[str, Any]:
    """Scripted call ids are fresh per script; compare everything else."""
    return {k: v for k, v in item.items() if k != "call_id"}
