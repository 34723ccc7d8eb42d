"""mcp_app through `drusilla serve`, called by the `mcp` SDK's streamable-HTTP client."""

from __future__ import annotations

import anyio
import httpx
import mcp
import pytest

from .conftest import SECRET, Served, start_server


def url(server: Served) -> str:
    return f"{server.url}/mcp"


async def test_the_agent_is_a_tool_that_answers_with_progress(server: Served) -> None:
    seen: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, message))

    async with mcp.Client(url(server)) as client:
        tools = (await client.list_tools()).tools
        assert [tool.name for tool in tools] == ["helper"]
        assert tools[0].description == "You help with the weather and files."
        assert tools[0].input_schema["required"] == ["input"]
        result = await client.call_tool(
            "helper", {"input": "weather in oslo"}, progress_callback=on_progress
        )
    assert not result.is_error
    assert [part.text for part in result.content] == ["Sunny in Oslo."]  # type: ignore[union-attr]
    assert [message for _, message in seen] == [
        "sword_called get_weather",
        "sword_output",
        "message_output_created",
    ]
    assert [value for value, _ in seen] == [1, 2, 3]


async def test_a_failing_run_is_a_tool_error_without_the_key(server: Served) -> None:
    async with mcp.Client(url(server)) as client:
        result = await client.call_tool("helper", {"input": "fail"})
    text = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error and text.startswith("ModelError: The scripted model failed")
    assert SECRET not in text and "***" in text


async def test_a_bad_body_is_a_400_and_bad_arguments_name_the_field(server: Served) -> None:
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    async with httpx.AsyncClient() as http:
        reply = await http.post(url(server), content=b'{"jsonrpc": "2.0", "id": 1', headers=headers)
    assert reply.status_code == 400
    assert "Parse error" in reply.text
    async with mcp.Client(url(server)) as client:
        result = await client.call_tool("helper", {"text": "hi"})
    assert result.is_error and "'input'" in result.content[0].text  # type: ignore[union-attr]


async def test_a_caller_that_goes_away_cancels_the_run(server: Served) -> None:
    with anyio.move_on_after(300):  # only a backstop: the scope is cancelled below
        async with mcp.Client(url(server)) as client, anyio.create_task_group() as group:
            group.start_soon(client.call_tool, "helper", {"input": "wait mcp"})
            await anyio.to_thread.run_sync(server.wait_for_log, "wait_forever: started mcp")
            group.cancel_scope.cancel()  # the client cancels the call and closes the session
    await anyio.to_thread.run_sync(server.wait_for_log, "wait_forever: cancelled mcp")


@pytest.mark.parametrize("name", ["nobody"])
async def test_an_unknown_tool_is_an_error_result(server: Served, name: str) -> None:
    async with mcp.Client(url(server)) as client:
        result = await client.call_tool(name, {"input": "hi"})
    assert result.is_error and "helper" in result.content[0].text  # type: ignore[union-attr]


async def test_structured_output_is_structured_content_with_its_schema() -> None:
    profiler = start_server("--agent", "profiler")
    try:
        async with mcp.Client(url(profiler)) as client:
            (tool,) = (await client.list_tools()).tools
            result = await client.call_tool("profiler", {"input": "profile Ada"})
    finally:
        profiler.process.kill()
    assert tool.output_schema is not None and tool.output_schema["required"] == ["name", "skills"]
    assert result.structured_content == {"name": "Ada", "skills": ["maths", "engines"]}


async def test_a_run_waiting_for_approval_is_a_tool_error(server: Served) -> None:
    async with mcp.Client(url(server)) as client:
        result = await client.call_tool("helper", {"input": "delete /tmp/z"})
    text = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error and "delete_file" in text and "approval" in text
