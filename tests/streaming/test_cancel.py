"""Ending a streamed run early — `cancel()`, `cancel("after_turn")`, a consumer that leaves the
loop, closes the iterator, is cancelled, or drops the result — stops the run and frees what it
held: the HTTP stream is closed (the server sees the hang-up), running swords are cancelled, no
task is left, and the session holds whole turns only.

The server runs in its own thread (`openai_server`), so the test loop's tasks are the run's.
"""

from __future__ import annotations

import asyncio
import gc
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import pytest

from drusilla import (
    Agent,
    AgentUpdatedStreamEvent,
    RawResponseEvent,
    RunCharms,
    RunItemStreamEvent,
    Runner,
    SQLiteSession,
    StreamEvent,
    SwordCallItem,
    SwordCallOutputItem,
    TextDelta,
    UserError,
    sword,
)
from drusilla.testing import Hold, OpenAIServer, ScriptedModel, Turn, call
from drusilla.tracing import InMemoryTraceProcessor, set_trace_processors

from .snapshot import until


@sword
async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny"


def is_text(event: Any) -> bool:
    return isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta)


def no_task_left() -> bool:
    """Only the test itself runs in the loop (the server has its own thread and loop)."""
    return asyncio.all_tasks() == {asyncio.current_task()}


# --- cancel() -----------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["chat", "responses", "messages", "gemini"])
async def test_cancel_mid_stream_closes_the_http_stream_and_keeps_whole_turns(
    api: Any, openai_server: OpenAIServer, tmp_path: Path
) -> None:
    after = {"chat": 2, "responses": 5, "messages": 3, "gemini": 1}[api]
    hold = Hold("Oslo is sunny and the fjords are calm.", after=after)
    model = openai_server.model(call("get_weather", city="Oslo"), hold, api=api)
    session = SQLiteSession("cancel", tmp_path / "s.db")
    agent = Agent("a", model=model, swords=[get_weather])
    result = await Runner.run_streamed(agent, "Oslo?", session=session)
    after_cancel: list[Any] = []
    async for event in result.stream_events():
        if result.is_cancelled or after_cancel:
            after_cancel.append(event)
        if is_text(event):
            assert hold.reached
            result.cancel()
            after_cancel.append("cancelled")
    assert after_cancel == ["cancelled"]  # nothing is delivered after an immediate cancel
    assert result.is_complete and result.is_cancelled
    assert no_task_left()
    await until(lambda: openai_server.model_requests[1].hung_up)
    hold.release()

    assert result.final_output is None
    assert [type(item) for item in result.new_items] == [SwordCallItem, SwordCallOutputItem]
    assert len(result.model_responses) == 1  # the cancelled call never completed
    assert result.current_turn == 2
    stored = await session.get_items()
    assert [item.get("type", item.get("role")) for item in stored] == [
        "user",
        "function_call",
        "function_call_output",
    ]
    session.close()
    assert await result.wait() is None  # cancelled: no output, no error


async def test_cancel_from_another_task_ends_a_waiting_consumer(
    openai_server: OpenAIServer,
) -> None:
    hold = Hold("Never finished.", after=2)
    agent = Agent("a", model=openai_server.model(hold))
    result = await Runner.run_streamed(agent, "Hi")

    async def cancel_when_held() -> None:
        await hold.until_reached()
        await asyncio.sleep(0.05)  # the consumer is waiting for the next event
        result.cancel()

    canceller = asyncio.create_task(cancel_when_held())
    events = [event async for event in result.stream_events()]
    await canceller
    assert any(is_text(event) for event in events)
    assert result.is_cancelled and result.final_output is None
    assert no_task_left()
    await until(lambda: openai_server.model_requests[0].hung_up)
    hold.release()


async def test_cancel_during_a_sword_cancels_the_sword() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    @sword
    async def slow_lookup(term: str) -> str:
        """Look a term up, slowly."""
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    model = ScriptedModel([call("slow_lookup", term="x"), "unused"])
    result = await Runner.run_streamed(Agent("a", model=model, swords=[slow_lookup]), "?")
    async for event in result.stream_events():
        if isinstance(event, RunItemStreamEvent) and event.name == "sword_called":
            await started.wait()
            result.cancel()
    assert cancelled.is_set()
    assert result.is_cancelled and model.remaining == 1
    assert [type(item) for item in result.new_items] == [SwordCallItem]
    assert no_task_left()


async def test_cancel_before_iterating_yields_nothing() -> None:
    result = await Runner.run_streamed(Agent("a", model=ScriptedModel(["Hi"])), "Hi")
    result.cancel()
    assert [event async for event in result.stream_events()] == []
    assert result.is_cancelled and result.final_output is None and result.new_items == []
    assert no_task_left()


async def test_cancel_after_the_end_changes_nothing_and_a_bad_mode_is_a_user_error() -> None:
    result = await Runner.run_streamed(Agent("a", model=ScriptedModel(["Done."])), "Hi")
    assert await result.wait() == "Done."
    result.cancel()
    result.cancel("after_turn")
    assert not result.is_cancelled and result.final_output == "Done."
    with pytest.raises(UserError, match="'immediate' or 'after_turn'"):
        result.cancel("later")  # type: ignore[arg-type]


# --- cancel("after_turn") -----------------------------------------------------------------------


async def test_after_turn_finishes_the_turn_keeps_its_items_and_can_be_resumed(
    tmp_path: Path,
) -> None:
    model = ScriptedModel(
        [Turn("Looking.", calls=[call("get_weather", city="Oslo")]), "Oslo is sunny."]
    )
    agent = Agent("a", model=model, swords=[get_weather])
    session = SQLiteSession("after-turn", tmp_path / "s.db")
    result = await Runner.run_streamed(agent, "Oslo?", session=session, buffer_size=0)
    names: list[str] = []
    async for event in result.stream_events():
        if is_text(event) and not names:
            result.cancel("after_turn")
        if isinstance(event, RunItemStreamEvent):
            names.append(event.name)
    assert names == ["message_output_created", "sword_called", "sword_output"]
    assert result.is_complete and result.is_cancelled
    assert result.final_output is None and model.remaining == 1
    assert no_task_left()
    stored = await session.get_items()
    assert [item.get("type", item.get("role")) for item in stored] == [
        "user",
        "assistant",
        "function_call",
        "function_call_output",
    ]

    # The turn's items are whole: the run picks up where it stopped.
    resumed = await Runner.run(result.last_agent, result.to_input_list())
    assert resumed.final_output == "Oslo is sunny."
    assert model.requests[1].input == result.to_input_list()
    session.close()


async def test_after_turn_on_an_orb_stops_before_the_new_agent_speaks() -> None:
    started: list[str] = []

    class Log(RunCharms[Any]):
        async def on_agent_start(self, ctx: Any, agent: Any) -> None:
            started.append(agent.name)

    specialist = Agent("Specialist", model=ScriptedModel(["Hello from the specialist."]))
    triage = Agent(
        "Triage", model=ScriptedModel([call("transfer_to_specialist")]), orbs=[specialist]
    )
    # buffer_size=0: the run waits for the consumer at every event, so it is still in its first
    # turn when the consumer reads the first event (with a buffer it could be further along).
    result = await Runner.run_streamed(triage, "Hi", charms=Log(), buffer_size=0)
    events: list[StreamEvent] = []
    async for event in result.stream_events():
        if not events:
            result.cancel("after_turn")
        events.append(event)
    assert isinstance(events[-1], AgentUpdatedStreamEvent)  # the orb happened
    assert result.last_agent is specialist and result.is_cancelled
    assert started == ["Triage"]  # the specialist never started
    resumed = await Runner.run(result.last_agent, result.to_input_list())
    assert resumed.final_output == "Hello from the specialist."


async def test_after_turn_during_the_last_turn_lets_the_run_finish() -> None:
    result = await Runner.run_streamed(Agent("a", model=ScriptedModel(["All done."])), "Hi")
    async for _ in result.stream_events():
        result.cancel("after_turn")
    assert result.final_output == "All done."
    assert result.is_complete and not result.is_cancelled


# --- the consumer leaves ------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["chat", "responses", "messages", "gemini"])
async def test_breaking_out_of_the_loop_cancels_the_run(
    api: Any, openai_server: OpenAIServer
) -> None:
    hold = Hold(
        "Hello brave new world", after={"chat": 2, "responses": 5, "messages": 3, "gemini": 1}[api]
    )
    result = await Runner.run_streamed(Agent("a", model=openai_server.model(hold, api=api)), "Hi")
    async for event in result.stream_events():
        if is_text(event):
            break
    # Leaving the loop dropped the iterator: the run is cancelled at once ...
    assert not result.is_complete
    # ... and is over once the loop gets a moment to run its cancellation.
    with anyio.fail_after(5):
        assert await result.wait() is None
    assert result.is_cancelled and result.new_items == []
    assert no_task_left()
    await until(lambda: openai_server.model_requests[0].hung_up)
    hold.release()


async def test_aclose_waits_until_the_run_has_stopped(openai_server: OpenAIServer) -> None:
    hold = Hold("Hello brave new world", after=2)
    result = await Runner.run_streamed(Agent("a", model=openai_server.model(hold)), "Hi")
    async with aclosing(result.stream_events()) as events:
        async for event in events:
            if is_text(event):
                break
    assert result.is_complete and result.is_cancelled  # no waiting needed
    assert no_task_left()
    await until(lambda: openai_server.model_requests[0].hung_up)
    hold.release()


async def test_text_deltas_break_cancels_the_run_too() -> None:
    words = " ".join(["word"] * 500)
    model = ScriptedModel([call("get_weather", city="Oslo"), words])
    result = await Runner.run_streamed(Agent("a", model=model, swords=[get_weather]), "?")
    async with aclosing(result.text_deltas()) as deltas:
        async for delta in deltas:
            assert delta in ("word", " word")
            break
    assert result.is_cancelled
    assert no_task_left()


async def test_a_cancelled_consumer_task_stops_the_run_before_it_returns(
    openai_server: OpenAIServer,
) -> None:
    hold = Hold("Hello brave new world", after=2)
    result = await Runner.run_streamed(Agent("a", model=openai_server.model(hold)), "Hi")

    async def consume() -> None:
        async for _ in result.stream_events():
            pass

    consumer = asyncio.create_task(consume())
    await hold.until_reached()
    await asyncio.sleep(0.05)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert result.is_complete and result.is_cancelled
    assert no_task_left()
    await until(lambda: openai_server.model_requests[0].hung_up)
    hold.release()


async def test_a_dropped_result_cancels_its_run(openai_server: OpenAIServer) -> None:
    hold = Hold("Nobody is listening.", after=2)
    result = await Runner.run_streamed(Agent("a", model=openai_server.model(hold)), "Hi")
    await hold.until_reached()
    del result
    gc.collect()
    await until(no_task_left)
    await until(lambda: openai_server.model_requests[0].hung_up)
    hold.release()


# --- iterating twice, waiting after iterating ---------------------------------------------------


async def test_one_consumer_at_a_time_and_a_second_pass_yields_nothing() -> None:
    result = await Runner.run_streamed(Agent("a", model=ScriptedModel(["One two three."])), "Hi")
    first = result.stream_events()
    assert await anext(first) is not None
    with pytest.raises(UserError, match="one consumer"):
        await anext(result.text_deltas())
    rest = [event async for event in first]
    assert rest and result.is_complete
    assert [event async for event in result.stream_events()] == []
    assert await result.wait() == "One two three."


async def test_wait_from_another_task_leaves_the_events_to_the_consumer() -> None:
    result = await Runner.run_streamed(Agent("a", model=ScriptedModel(["One two three."])), "Hi")
    texts: list[str] = []

    async def consume() -> None:
        async for delta in result.text_deltas():
            texts.append(delta)
            await asyncio.sleep(0.01)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0)  # the consumer has started iterating
    assert await result.wait() == "One two three."
    await consumer
    assert texts == ["One", " two", " three."]


# --- cancel() from inside the run ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["immediate", "after_turn"])
async def test_a_sword_can_cancel_its_own_run(mode: Any) -> None:
    box: dict[str, Any] = {}

    @sword
    async def enough() -> str:
        """Stop the run."""
        box["result"].cancel(mode)
        return "stopping"

    model = ScriptedModel([Turn("Stopping now.", calls=[call("enough")]), "never"])
    box["result"] = result = await Runner.run_streamed(
        Agent("a", model=model, swords=[enough]), "?"
    )
    events = [event async for event in result.stream_events()]  # ends quietly, no error
    assert result.is_cancelled and result.final_output is None and model.remaining == 1
    assert no_task_left()
    if mode == "after_turn":  # the turn finished: its sword output is there
        assert [type(i) for i in result.new_items][-1] is SwordCallOutputItem
        assert isinstance(events[-1], RunItemStreamEvent) and events[-1].name == "sword_output"


async def test_a_charm_can_cancel_its_own_run() -> None:
    box: dict[str, Any] = {}

    class StopAfterFirstReply(RunCharms[Any]):
        async def on_llm_end(self, ctx: Any, agent: Any, response: Any) -> None:
            box["result"].cancel()  # the run goes on synchronously to its next event

    model = ScriptedModel([Turn("Looking.", calls=[call("get_weather", city="Oslo")]), "never"])
    agent = Agent("a", model=model, swords=[get_weather])
    spans = InMemoryTraceProcessor()
    set_trace_processors([spans])
    try:
        box["result"] = result = await Runner.run_streamed(agent, "?", charms=StopAfterFirstReply())
        assert [event async for event in result.stream_events()] == []  # dropped, ends quietly
    finally:
        set_trace_processors([])
    assert result.is_cancelled and result.final_output is None and model.remaining == 1
    assert no_task_left()
    # The run was cancelled, not failed: no error went through it on the way.
    assert [span.error for span in spans.spans if span.error] in ([], ["CancelledError"])
