"""drusilla as the MCP client of drusilla: an agent served by `drusilla serve` (its `mcp_app` at
`/mcp`, the scripted scenario agent of tests/serve) is a sword of another agent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drusilla import Agent, MCPServerStreamableHTTP, Runner
from drusilla.testing import ScriptedModel, call
from drusilla.tools.sword_run import SwordProgressEvent

from ..serve.conftest import Served, start_server
from .test_calls import outputs


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    server = start_server()
    yield server
    server.process.kill()


def helper(served: Served) -> MCPServerStreamableHTTP:
    return MCPServerStreamableHTTP(f"{served.url}/mcp", name="served")


async def test_the_served_agent_is_listed_with_its_input_schema(served: Served) -> None:
    async with helper(served) as server:
        tools = await server.list_tools()
    assert [tool.name for tool in tools] == ["helper"]
    assert tools[0].description == "You help with the weather and files."
    assert tools[0].input_schema["properties"]["input"]["type"] == "string"
    assert tools[0].input_schema["required"] == ["input"]


async def test_a_run_calls_the_served_agent(served: Served) -> None:
    model = ScriptedModel([call("helper", input="weather in oslo"), "Oslo is sunny."])
    agent = Agent("asker", model=model, mcp_servers=[helper(served)])
    result = await Runner.run(agent, "How is Oslo?")
    assert result.final_output == "Oslo is sunny."
    assert outputs(model, 1) == ["Sunny in Oslo."]


async def test_the_served_runs_progress_arrives_as_events(served: Served) -> None:
    model = ScriptedModel([call("helper", input="weather in bergen"), "Bergen is sunny."])
    agent = Agent("asker", model=model, mcp_servers=[helper(served)])
    streamed = await Runner.run_streamed(agent, "How is Bergen?")
    events = [e async for e in streamed.stream_events() if isinstance(e, SwordProgressEvent)]
    assert [(e.progress, e.total, e.message) for e in events] == [
        (1, None, "sword_called get_weather"),
        (2, None, "sword_output"),
        (3, None, "message_output_created"),
    ]
    assert {e.sword_name for e in events} == {"helper"}
    assert streamed.final_output == "Bergen is sunny."
    assert outputs(model, 1) == ["Sunny in Bergen."]


async def test_a_failed_served_run_reaches_the_model_as_the_swords_error(served: Served) -> None:
    model = ScriptedModel([call("helper", input="fail"), "It failed."])
    agent = Agent("asker", model=model, mcp_servers=[helper(served)])
    result = await Runner.run(agent, "Try.")
    [output] = outputs(model, 1)
    assert "The scripted model failed" in output and "sk-serve-secret" not in output
    assert result.final_output == "It failed."
