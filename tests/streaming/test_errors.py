"""Errors of a streamed run are raised from `stream_events()` (and `text_deltas()`, `wait()`)
after the events that came before them, as themselves, and the partial run stays readable."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from drusilla import (
    Agent,
    AgentUpdatedStreamEvent,
    InputShieldTripwireTriggered,
    MaxTurnsError,
    ModelBehaviorError,
    ModelError,
    OutputShieldTripwireTriggered,
    RunItemStreamEvent,
    Runner,
    RunTimeoutError,
    ShieldResult,
    SQLiteSession,
    SwordCallItem,
    SwordCallOutputItem,
    UserError,
    input_shield,
    output_shield,
    sword,
)
from drusilla.testing import DropMidStream, OpenAIServer, ScriptedModel, Turn, call

from ..wire_items import output_text
from .snapshot import describe


@sword
async def lookup(term: str) -> str:
    """Look a term up."""
    return f"{term}: found"


async def collect(result: Any) -> tuple[list[Any], BaseException]:
    events: list[Any] = []
    with pytest.raises(Exception) as caught:
        async for event in result.stream_events():
            events.append(event)
    return events, caught.value


async def test_max_turns_error_after_every_event_with_the_partial_run() -> None:
    model = ScriptedModel([call("lookup", term="a"), call("lookup", term="b")])
    result = await Runner.run_streamed(Agent("a", model=model, swords=[lookup]), "?", max_turns=2)
    events, error = await collect(result)
    assert isinstance(error, MaxTurnsError)
    assert describe(events)[-3:] == ["~sword_args", "sword_called", "sword_output"]
    assert [type(i) for i in result.new_items] == [SwordCallItem, SwordCallOutputItem] * 2
    assert result.current_turn == 2 and result.usage.requests == 2
    assert error.run_data is not None and error.run_data.new_items == result.new_items
    assert result.is_complete and not result.is_cancelled and result.final_output is None
    # The same error again from wait() and from a second pass over the (ended) stream.
    with pytest.raises(MaxTurnsError) as again:
        await result.wait()
    assert again.value is error
    with pytest.raises(MaxTurnsError):
        async for _ in result.stream_events():
            pass


async def test_input_shield_trip_before_any_model_call() -> None:
    @input_shield
    def no_secrets(ctx: Any, agent: Any, value: Any) -> ShieldResult:
        return ShieldResult(tripwire_triggered="password" in value, message="secret")

    model = ScriptedModel([])
    agent = Agent("a", model=model, input_shields=[no_secrets])
    result = await Runner.run_streamed(agent, "my password is hunter2")
    events, error = await collect(result)
    assert isinstance(error, InputShieldTripwireTriggered)
    assert [type(e) for e in events] == [AgentUpdatedStreamEvent]
    assert model.requests == [] and result.model_responses == []
    assert [r.output.message for r in result.input_shield_results] == ["secret"]


async def test_output_shield_trip_after_the_answer_streamed_and_nothing_saved(
    tmp_path: Path,
) -> None:
    @output_shield
    def polite(ctx: Any, agent: Any, output: Any) -> ShieldResult:
        return ShieldResult(success="idiot" not in output, data="rude")

    session = SQLiteSession("shields", tmp_path / "s.db")
    agent = Agent("a", model=ScriptedModel(["You idiot."]), output_shields=[polite])
    result = await Runner.run_streamed(agent, "Hi", session=session)
    events, error = await collect(result)
    assert isinstance(error, OutputShieldTripwireTriggered)
    assert describe(events) == ["agent:a", "~text", "message_output_created"]
    assert result.output_shield_results[0].output.data == "rude"
    assert result.final_output is None
    # the blocked answer is not kept; the user's input is
    assert await session.get_items() == [{"role": "user", "content": "Hi"}]
    session.close()


async def test_model_error_from_the_server(openai_server: OpenAIServer) -> None:
    failure = ModelError("No such model.", status=404, code="model_not_found")
    model = openai_server.model(call("lookup", term="x"), failure)
    result = await Runner.run_streamed(Agent("a", model=model, swords=[lookup]), "?")
    events, error = await collect(result)
    assert isinstance(error, ModelError) and error.status == 404
    assert "No such model." in str(error)
    assert describe(events)[-2:] == ["sword_called", "sword_output"]
    assert len(result.new_items) == 2 and len(result.model_responses) == 1


async def test_a_stream_that_breaks_after_deltas_fails_without_a_retry(
    openai_server: OpenAIServer,
) -> None:
    model = openai_server.model(DropMidStream("Hello there, how are you?", after=3))
    result = await Runner.run_streamed(Agent("a", model=model), "Hi")
    events, error = await collect(result)
    assert isinstance(error, ModelError) and "not retried" in str(error)
    assert describe(events) == ["agent:a", "~text"]  # the deltas that came did reach us
    assert result.new_items == [] and result.model_responses == []
    assert len(openai_server.model_requests) == 1


async def test_output_that_never_validates() -> None:
    from pydantic import BaseModel

    class Answer(BaseModel):
        value: int

    model = ScriptedModel(["forty-two", "still not JSON"])
    result = await Runner.run_streamed(Agent("a", model=model, output_type=Answer), "?")
    events, error = await collect(result)
    assert isinstance(error, ModelBehaviorError) and error.raw_output == "still not JSON"
    assert [e.name for e in events if isinstance(e, RunItemStreamEvent)] == [
        "message_output_created",
        "message_output_created",
    ]


async def test_text_deltas_raises_the_error_too() -> None:
    failure = ModelError("Overloaded.", status=400)
    model = ScriptedModel([Turn("Looking it up.", calls=[call("lookup", term="x")]), failure])
    result = await Runner.run_streamed(Agent("a", model=model, swords=[lookup]), "?")
    deltas: list[str] = []
    with pytest.raises(ModelError) as caught:
        async for delta in result.text_deltas():
            deltas.append(delta)
    assert caught.value is failure
    assert deltas == ["Looking", " it", " up."]
    assert output_text(result.new_items[-1].raw_item) == "x: found"


async def test_the_timeout_counts_time_spent_waiting_for_the_consumer() -> None:
    model = ScriptedModel([" ".join(["word"] * 200)])
    result = await Runner.run_streamed(Agent("a", model=model), "?", timeout=0.2, buffer_size=4)
    with pytest.raises(RunTimeoutError):
        async for _ in result.stream_events():
            await asyncio.sleep(0.05)
    assert result.final_output is None


async def test_misconfiguration_found_at_the_start_is_raised_by_run_streamed() -> None:
    with pytest.raises(UserError, match="needs an Agent"):
        await Runner.run_streamed("not an agent", "?")  # type: ignore[arg-type]
    # ... and found while running, from the stream.
    twice = Agent("a", model=ScriptedModel(["x"]), swords=[lookup, lookup])
    result = await Runner.run_streamed(twice, "?")
    _, error = await collect(result)
    assert isinstance(error, UserError) and "two swords named 'lookup'" in str(error)
