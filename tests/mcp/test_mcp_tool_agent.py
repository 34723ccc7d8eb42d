"""`MCPToolAgent`: a run that is one MCP tool call (Kiln's MCP run config), against the probe
server over stdio and HTTP — a `RunResult`, a run record and a trace, as any run; as a sword
and in batches."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typing_extensions import TypedDict

from drusilla import (
    Agent,
    MCPServer,
    MCPToolAgent,
    MCPToolResult,
    RunConfig,
    RunItemStreamEvent,
    Runner,
    SwordCallItem,
    SwordCallOutputItem,
    SwordError,
    UsageLimitExceeded,
    UsageLimits,
    UserError,
)
from drusilla.testing import ScriptedModel, call
from drusilla.tracing import InMemoryTraceProcessor, set_trace_processors
from drusilla.util.settings import forget_settings

from .conftest import stdio_probe

WEATHER = {"city": "Oslo", "temperature": 21.5, "sky": "clear"}


class WeatherQuestion(TypedDict):
    city: str


@pytest.fixture
def spans() -> Iterator[InMemoryTraceProcessor]:
    processor = InMemoryTraceProcessor()
    set_trace_processors([processor])
    yield processor
    set_trace_processors([])


async def test_a_run_is_one_tool_call_with_its_structured_output(
    make_probe: Callable[..., MCPServer], spans: InMemoryTraceProcessor
) -> None:
    agent = MCPToolAgent(make_probe(), "weather", input_type=WeatherQuestion)
    result = await Runner.run(agent, {"city": "Oslo"})

    assert result.final_output == WEATHER  # the structured content
    called, answered = result.new_items
    assert isinstance(called, SwordCallItem) and isinstance(answered, SwordCallOutputItem)
    assert json.loads(called.raw_item["arguments"]) == {"city": "Oslo"}
    assert isinstance(answered.output, MCPToolResult)
    assert result.last_agent is agent and result.usage.requests == 0  # no model
    kinds = [(s.kind, s.name) for s in spans.spans]
    assert ("sword", "weather") in kinds and ("agent", "weather") in kinds
    assert kinds[-1][0] == "run"
    sword_span = next(s for s in spans.spans if s.kind == "sword")
    assert sword_span.attributes["arguments"] == '{"city": "Oslo"}'


async def test_text_input_goes_into_the_tools_one_text_parameter(
    make_probe: Callable[..., MCPServer],
) -> None:
    result = await Runner.run(MCPToolAgent(make_probe(), "echo"), "héllo")
    # FastMCP gives a str-returning tool an output schema: {"result": ...} is its structure.
    assert result.final_output == {"result": "héllo"}
    called = result.new_items[0]
    assert isinstance(called, SwordCallItem)
    assert json.loads(called.raw_item["arguments"]) == {"text": "héllo"}


async def test_without_structured_content_the_output_is_the_text(
    make_probe: Callable[..., MCPServer],
) -> None:
    agent = MCPToolAgent(make_probe(), "picture", input_field="unused")
    result = await Runner.run(agent, "-")
    answered = result.new_items[-1]
    assert isinstance(answered, SwordCallOutputItem)
    assert isinstance(answered.output, MCPToolResult)
    # An image-only answer: no structured content, so the output is the (empty) text, not the
    # result object nor its content blocks.
    assert answered.output.structured_content is None and len(answered.output.images) == 1
    assert result.final_output == answered.output.text == ""


def test_the_run_is_recorded(
    make_probe: Callable[..., MCPServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(tmp_path))
    monkeypatch.setenv("DRUSILLA_USER", "ada")
    forget_settings()
    result = Runner.run_sync(MCPToolAgent(make_probe(), "echo", name="echoer"), "hi")
    (path,) = tmp_path.glob("*.json")
    record = json.loads(path.read_text())
    assert record["run_id"] == result.run_id and record["status"] == "completed"
    assert record["final_output"] == {"result": "hi"} and record["model_calls"] == []
    assert record["starting_agent"] == "echoer"
    assert record["input_source"] == {"type": "human", "properties": {"created_by": "ada"}}
    assert [item["type"] for item in record["new_items"]] == [
        "sword_call_item",
        "sword_call_output_item",
    ]


async def test_streamed(make_probe: Callable[..., MCPServer]) -> None:
    streamed = await Runner.run_streamed(MCPToolAgent(make_probe(), "echo"), "hi")
    events = [event async for event in streamed.stream_events()]
    names = [event.name for event in events if isinstance(event, RunItemStreamEvent)]
    assert names == ["sword_called", "sword_output"]
    assert streamed.final_output == {"result": "hi"} and streamed.is_complete


async def test_as_a_sword(make_probe: Callable[..., MCPServer]) -> None:
    weather = MCPToolAgent(
        make_probe(), "weather", input_type=WeatherQuestion, description="The weather in a city."
    )
    sword = weather.as_sword()
    assert sword.name == "weather"
    assert sword.params_json_schema["properties"]["city"]["type"] == "string"
    model = ScriptedModel([call("weather", city="Oslo"), "Clear, 21.5."])
    agent = Agent("forecaster", model=model, swords=[sword])
    result = await Runner.run(agent, "Weather in Oslo?")
    assert result.final_output == "Clear, 21.5."
    answer = next(i for i in result.new_items if isinstance(i, SwordCallOutputItem))
    assert answer.output == WEATHER


async def test_in_a_batch(make_probe: Callable[..., MCPServer]) -> None:
    agent = MCPToolAgent(make_probe(), "echo")
    batch = await Runner.run_batch(agent, ["one", "two", "three"], progress=False)
    assert [item.final_output for item in batch.results] == [
        {"result": "one"},
        {"result": "two"},
        {"result": "three"},
    ]
    assert batch.failed == 0 and all(item.run_id for item in batch.results)


async def test_a_failing_tool_fails_the_run(make_probe: Callable[..., MCPServer]) -> None:
    with pytest.raises(SwordError, match="cannot do that: no") as caught:
        await Runner.run(MCPToolAgent(make_probe(), "fail"), "no")
    assert caught.value.run_data is not None
    assert isinstance(caught.value.run_data.new_items[-1], SwordCallOutputItem)


async def test_text_for_a_tool_without_one_text_parameter(
    make_probe: Callable[..., MCPServer],
) -> None:
    with pytest.raises(UserError, match="input_field="):
        await Runner.run(MCPToolAgent(make_probe(), "add"), "2 and 3")
    with pytest.raises(UserError, match="has no tool 'nope'"):
        await Runner.run(MCPToolAgent(make_probe(), "nope"), "x")


def test_it_needs_a_server_and_a_tool_name() -> None:
    with pytest.raises(UserError, match="MCP server"):
        MCPToolAgent("not a server", "echo")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="name the tool"):
        MCPToolAgent(stdio_probe(), "")


def test_clone_keeps_the_tool() -> None:
    agent = MCPToolAgent(stdio_probe(), "echo").clone(name="other")
    assert isinstance(agent, MCPToolAgent)
    assert (agent.name, agent.tool_name) == ("other", "echo")


async def test_the_call_counts_to_the_sword_call_limit(
    make_probe: Callable[..., MCPServer],
) -> None:
    config = RunConfig(usage_limits=UsageLimits(sword_calls_limit=0))
    with pytest.raises(UsageLimitExceeded, match="sword_calls_limit=0"):
        await Runner.run(MCPToolAgent(make_probe(), "echo"), "hi", run_config=config)
