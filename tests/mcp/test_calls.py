"""Listing an MCP server's tools and calling them through agent runs, over stdio and HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from drusilla import (
    Agent,
    MCPServer,
    MCPToolError,
    MCPToolResult,
    Runner,
    StopAtSwords,
    SwordCallOutputItem,
    SwordError,
    UserError,
)
from drusilla.testing import ScriptedModel, call

from ..wire_items import function_output
from .probe_server import PNG


def outputs(model: ScriptedModel, request: int) -> list[Any]:
    """The sword outputs the model was sent for the first time in its `request`-th call."""
    seen = len(model.requests[request - 1].input) if request else 0
    return [
        function_output(item)["output"]
        for item in model.requests[request].input[seen:]
        if item.get("type") == "function_call_output"
    ]


async def test_tools_are_offered_as_swords(make_probe: Callable[..., MCPServer]) -> None:
    model = ScriptedModel(["Hello."])
    agent = Agent("a", model=model, mcp_servers=[make_probe()])
    await Runner.run(agent, "hi")
    specs = {spec.name: spec for spec in model.requests[0].swords}
    assert {"add", "echo", "weather", "picture", "fail", "crash", "hang", "env"} <= set(specs)
    add = specs["add"]
    assert add.description == "Add two whole numbers."
    assert add.parameters["properties"]["a"]["type"] == "integer"
    assert add.parameters["required"] == ["a"]
    assert add.strict is False  # `b` is optional: a strict schema would make it required
    assert specs["echo"].strict is True  # all required: offered strict, meaning unchanged


async def test_call_returns_text_to_the_model(make_probe: Callable[..., MCPServer]) -> None:
    model = ScriptedModel([[call("add", a=2, b=3), call("echo", text="héllo")], "Done."])
    agent = Agent("a", model=model, mcp_servers=[make_probe()])
    result = await Runner.run(agent, "add")
    assert outputs(model, 1) == ["5", "héllo"]
    assert result.final_output == "Done."
    item = next(i for i in result.new_items if isinstance(i, SwordCallOutputItem))
    assert isinstance(item.output, MCPToolResult)
    assert item.output.structured_content == {"result": 5}
    assert item.output.server_name == "probe" and item.output.tool_name == "add"


async def test_structured_content(make_probe: Callable[..., MCPServer]) -> None:
    expected = {"city": "Oslo", "temperature": 21.5, "sky": "clear"}
    model = ScriptedModel([call("weather", city="Oslo"), "Fine."])
    agent = Agent(
        "a", model=model, mcp_servers=[make_probe()], sword_use_behavior="stop_on_first_sword"
    )
    result = await Runner.run(agent, "weather?")
    assert isinstance(result.final_output, MCPToolResult)
    assert result.final_output.structured_content == expected
    assert json.loads(result.final_output.text) == expected  # the text block: the same JSON
    model.add("unused")  # stop_on_first_sword ended the run after the call

    structured = ScriptedModel([call("add", a=1, b=1), "Two."])
    agent = Agent("b", model=structured, mcp_servers=[make_probe(use_structured_content=True)])
    await Runner.run(agent, "1+1")
    assert outputs(structured, 1) == ['{"result": 2}']


async def test_image_reaches_the_model_as_an_image_part(
    make_probe: Callable[..., MCPServer],
) -> None:
    model = ScriptedModel([call("picture"), "A dot."])
    agent = Agent("a", model=model, mcp_servers=[make_probe()])
    result = await Runner.run(agent, "draw")
    [parts] = outputs(model, 1)
    assert parts == [
        {"type": "input_text", "text": "(an image)"},
        {
            "type": "input_image",
            "image_url": "data:image/png;base64," + base64.b64encode(PNG).decode(),
            "detail": "auto",
        },
    ]
    item = next(i for i in result.new_items if isinstance(i, SwordCallOutputItem))
    [image] = item.output.images
    assert base64.b64decode(image.data) == PNG and image.mime_type == "image/png"
    assert (
        function_output(result.to_input_list()[-2])["output"] == parts
    )  # kept for the next run as well


async def test_tool_error_is_shown_to_the_model(make_probe: Callable[..., MCPServer]) -> None:
    model = ScriptedModel([call("fail", reason="no fuel"), "Sorry."])
    agent = Agent("a", model=model, mcp_servers=[make_probe()])
    result = await Runner.run(agent, "go")
    [text] = outputs(model, 1)
    assert text.startswith("An error occurred while running the sword fail: ")
    assert text.endswith("cannot do that: no fuel")  # the tool's own message
    assert result.final_output == "Sorry."


async def test_tool_error_can_end_the_run(make_probe: Callable[..., MCPServer]) -> None:
    model = ScriptedModel([call("fail", reason="no fuel")])
    server = make_probe(failure_error_function=None)
    agent = Agent("a", model=model, mcp_servers=[server])
    with pytest.raises(SwordError, match="no fuel") as caught:
        await Runner.run(agent, "go")
    assert isinstance(caught.value.__cause__, MCPToolError)
    assert caught.value.__cause__.result.is_error


@pytest.mark.parametrize(
    ("arguments", "told"),
    [
        ('{"a": "two"}', "a: 'two' is not of type 'integer'"),
        ('{"b": 1}', "'a' is a required property"),
        ("{not json", "arguments are not valid JSON"),
        ("[1, 2]", "the arguments must be a JSON object"),
    ],
)
async def test_bad_arguments_are_caught_before_the_call(
    make_probe: Callable[..., MCPServer], arguments: str, told: str
) -> None:
    model = ScriptedModel([call("add", arguments), call("add", a=2), "Two."])
    agent = Agent("a", model=model, mcp_servers=[make_probe()])
    result = await Runner.run(agent, "add")
    [text] = outputs(model, 1)
    assert text.startswith("Invalid arguments for the sword add: ")
    assert told in text
    assert outputs(model, 2)[-1] == "2"  # the model corrected itself
    assert result.final_output == "Two."


async def test_json_rpc_errors(make_probe: Callable[..., MCPServer]) -> None:
    model = ScriptedModel(
        [[call("picky", text="LOUD"), call("refuse")], call("picky", text="quiet"), "Ok."]
    )
    agent = Agent("a", model=model, mcp_servers=[make_probe()])
    await Runner.run(agent, "go")
    rejected, refused = outputs(model, 1)
    # "invalid params" from the server: the model is told its arguments were wrong
    assert rejected == "Invalid arguments for the sword picky: text must be lowercase"
    assert refused == (
        "An error occurred while running the sword refuse: MCP server 'probe' answered "
        "tools/call 'refuse' with an error: internal trouble (code -32603)."
    )
    assert outputs(model, 2) == ["quiet"]


async def test_stop_at_an_mcp_sword(make_probe: Callable[..., MCPServer]) -> None:
    model = ScriptedModel([call("echo", text="final words")])
    agent = Agent(
        "a",
        model=model,
        mcp_servers=[make_probe()],
        sword_use_behavior=StopAtSwords(["echo"]),
    )
    result = await Runner.run(agent, "say it")
    assert str(result.final_output) == "final words"


async def test_streamed_run_uses_mcp_swords(make_probe: Callable[..., MCPServer]) -> None:
    model = ScriptedModel([call("add", a=20, b=22), "42."])
    agent = Agent("a", model=model, mcp_servers=[make_probe()])
    result = await Runner.run_streamed(agent, "sum")
    names = [event.name async for event in result.stream_events() if hasattr(event, "name")]
    assert "sword_output" in names
    assert outputs(model, 1) == ["42"]
    assert result.final_output == "42."


def test_run_sync_connects_and_closes_each_time(probe_log: Any) -> None:
    from .conftest import log_lines, stdio_probe

    server = stdio_probe(probe_log)
    for _ in range(2):
        model = ScriptedModel([call("add", a=1, b=2), "3"])
        result = Runner.run_sync(Agent("a", model=model, mcp_servers=[server]), "1+2")
        assert outputs(model, 1) == ["3"] and result.final_output == "3"
    assert log_lines(probe_log) == ["start probe", "stop probe", "start probe", "stop probe"]


async def test_require_approval_names_the_tools_that_wait(
    make_probe: Callable[..., MCPServer],
) -> None:
    model = ScriptedModel([[call("add", a=2, b=3), call("echo", text="hi")], "Done."])
    agent = Agent("a", model=model, mcp_servers=[make_probe(require_approval={"echo"})])
    first = await Runner.run(agent, "go")
    assert [i.sword_name for i in first.interruptions] == ["echo"]
    state = first.to_state()
    state.approve(first.interruptions[0])
    done = await Runner.run(agent, state)
    assert done.final_output == "Done."
    assert sorted(outputs(model, 1)) == ["5", "hi"]
    with pytest.raises(UserError, match="require_approval="):
        make_probe(require_approval="echo")
