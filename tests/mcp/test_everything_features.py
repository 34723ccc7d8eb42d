"""Sampling, elicitation, resources, prompts, structured results, progress, logs and annotations
against the MCP reference server, @modelcontextprotocol/server-everything, over stdio and over
Streamable HTTP.

The server is installed from tests/mcp/everything/package-lock.json by
scripts/install-node-test-deps; without it these tests skip (and fail when CI is set).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import jsonschema
import pytest

from drusilla import (
    Agent,
    MCPServer,
    MCPServerStdio,
    MCPServerStreamableHTTP,
    MCPToolAgent,
    Runner,
)
from drusilla.testing import ScriptedModel, call
from drusilla.tools.mcp import (
    ElicitationRequest,
    ElicitationResult,
    MCPSword,
    is_destructive,
    mcp_swords,
)
from drusilla.tools.sword_run import SwordProgressEvent

from .test_calls import outputs

EVERYTHING = Path(__file__).with_name("everything")
ENTRY = EVERYTHING / "node_modules/@modelcontextprotocol/server-everything/dist/index.js"
READY = "listening on port"
START_TIMEOUT = 60.0

MakeServer = Callable[..., MCPServer]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node() -> str:
    node = shutil.which("node")
    if node is None:
        _missing("node is needed to run the MCP reference server")
    if not ENTRY.exists():
        _missing("the MCP reference server is not installed: run scripts/install-node-test-deps")
    assert node is not None
    return node


@pytest.fixture
def stderr(tmp_path: Path) -> Iterator[TextIO]:
    with (tmp_path / "everything.stderr").open("w") as file:
        yield file


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_url(node: str) -> Iterator[str]:
    """The reference server on Streamable HTTP, once for the module (each client gets its own
    MCP session on it)."""
    port = _free_port()
    process = subprocess.Popen(
        [node, str(ENTRY), "streamableHttp"],
        env={**os.environ, "PORT": str(port)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # the server says when it listens; nothing else is awaited
            seen.append(line)
            if READY in line:
                break
        else:
            raise RuntimeError(f"the reference server did not start: {''.join(seen)}")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture(params=["stdio", "http"])
def everything(request: pytest.FixtureRequest, node: str, stderr: TextIO) -> MakeServer:
    """Builds a connection to the reference server over the transport under test."""
    if request.param == "stdio":
        return lambda **kwargs: MCPServerStdio(
            node, [str(ENTRY), "stdio"], name="everything", stderr=stderr, **kwargs
        )
    url: str = request.getfixturevalue("http_url")
    return lambda **kwargs: MCPServerStreamableHTTP(url, name="everything", **kwargs)


# --- sampling ----------------------------------------------------------------------------------


async def test_sampling_is_answered_by_the_agents_model(everything: MakeServer) -> None:
    model = ScriptedModel(
        [
            call("trigger-sampling-request", prompt="Write a haiku.", maxTokens=40),
            "Ducks on the pond",  # the sampling request, answered by the agent's own model
            "Done.",
        ]
    )
    agent = Agent("a", model=model, mcp_servers=[everything(sampling_model=True)])
    result = await Runner.run(agent, "Sample something.")
    [output] = outputs(model, 2)
    assert "LLM sampling result" in output
    assert "Ducks on the pond" in output
    sampling = model.requests[1]
    assert sampling.instructions == "You are a helpful test server."
    assert sampling.settings.max_tokens == 40
    assert sampling.settings.temperature == 0.7
    assert "Write a haiku." in sampling.input[0]["content"]  # type: ignore[typeddict-item]
    assert result.usage.requests == 3  # the sampling call counts to the run


async def test_sampling_by_a_model_of_its_own(everything: MakeServer) -> None:
    sampler = ScriptedModel(["From the sampler."], name="sampler")
    server = everything(sampling_model=sampler)
    async with server:
        result = await server.call_tool("trigger-sampling-request", {"prompt": "Hi"})
    assert "From the sampler." in result.text
    assert len(sampler.requests) == 1
    assert sampler.requests[0].settings.max_tokens == 100  # the tool's default


async def test_without_a_sampling_model_the_capability_is_not_offered(
    everything: MakeServer,
) -> None:
    async with everything() as server:
        names = {tool.name for tool in await server.list_tools()}
    assert "echo" in names
    assert "trigger-sampling-request" not in names  # the server offers it only to samplers
    assert "trigger-elicitation-request" not in names


# --- elicitation -------------------------------------------------------------------------------


def answering(answer: ElicitationResult, asked: list[ElicitationRequest]) -> Any:
    async def handler(request: ElicitationRequest) -> ElicitationResult:
        asked.append(request)
        return answer

    return handler


async def test_elicitation_accepted(everything: MakeServer) -> None:
    asked: list[ElicitationRequest] = []
    answer = ElicitationResult.accept({"name": "Ada Lovelace", "check": True, "integer": 7})
    async with everything(elicitation_handler=answering(answer, asked)) as server:
        result = await server.call_tool("trigger-elicitation-request", {})
    [request] = asked
    assert request.message == "Please provide inputs for the following fields:"
    assert request.schema["required"] == ["name"]
    assert request.mode == "form"
    assert "User provided the requested information" in result.text
    assert "- Name: Ada Lovelace" in result.text
    assert "- Favorite Integer: 7" in result.text


async def test_elicitation_declined(everything: MakeServer) -> None:
    asked: list[ElicitationRequest] = []
    handler = answering(ElicitationResult.decline(), asked)
    async with everything(elicitation_handler=handler) as server:
        result = await server.call_tool("trigger-elicitation-request", {})
    assert "User declined to provide the requested information" in result.text
    assert len(asked) == 1


async def test_an_invalid_answer_never_reaches_the_server(everything: MakeServer) -> None:
    asked: list[ElicitationRequest] = []
    answer = ElicitationResult.accept({"name": "Ada", "integer": 500})  # the maximum is 100
    async with everything(elicitation_handler=answering(answer, asked)) as server:
        result = await server.call_tool("trigger-elicitation-request", {})
    assert result.is_error
    assert "does not match the requested schema" in result.text
    assert "integer: 500 is greater than the maximum of 100" in result.text
    assert "Ada" not in result.text


# --- resources and prompts ---------------------------------------------------------------------


async def test_resources_templates_and_a_binary_resource(everything: MakeServer) -> None:
    async with everything() as server:
        resources = await server.list_resources()
        templates = await server.list_resource_templates()
        text = await server.read_resource("demo://resource/dynamic/text/2")
        blob = await server.read_resource("demo://resource/dynamic/blob/3")
    assert any(r.uri.startswith("demo://resource/static/document/") for r in resources)
    uri_templates = {template.uri_template for template in templates}
    assert "demo://resource/dynamic/text/{resourceId}" in uri_templates
    assert "demo://resource/dynamic/blob/{resourceId}" in uri_templates
    assert text.text.startswith("Resource 2: This is a plaintext resource")
    assert not text.blobs
    [binary] = blob.blobs
    assert binary.bytes.decode().startswith("Resource 3: This is a base64 blob")
    [message] = blob.to_input("Here is a file.")
    assert "Resource 3: This is a base64 blob" in message["content"]  # type: ignore[typeddict-item]


async def test_prompts_listed_filled_and_run(everything: MakeServer) -> None:
    server = everything()
    async with server:
        prompts = {prompt.name: prompt for prompt in await server.list_prompts()}
        prompt = await server.get_prompt("args-prompt", {"city": "Lisbon", "state": "Lisboa"})
        model = ScriptedModel(["It is sunny."])
        agent = Agent("a", model=model, mcp_servers=[server])
        result = await Runner.run(agent, prompt.to_input())
    assert {"simple-prompt", "args-prompt", "resource-prompt"} <= set(prompts)
    assert {argument.name for argument in prompts["args-prompt"].arguments or []} >= {"city"}
    [sent] = model.requests[0].input
    assert sent["role"] == "user"  # type: ignore[typeddict-item]
    assert "Lisbon" in sent["content"]  # type: ignore[typeddict-item]
    assert result.final_output == "It is sunny."


# --- tool calls --------------------------------------------------------------------------------


async def test_structured_content_matches_its_output_schema(everything: MakeServer) -> None:
    model = ScriptedModel([call("get-structured-content", location="Chicago")])
    server = everything()
    agent = Agent("a", model=model, mcp_servers=[server], sword_use_behavior="stop_on_first_sword")
    async with server:
        [tool] = [t for t in await server.list_tools() if t.name == "get-structured-content"]
        result = await Runner.run(agent, "Weather in Chicago?")
    data = result.final_output.data
    assert data == {"temperature": 36, "conditions": "Light rain / drizzle", "humidity": 82}
    assert tool.output_schema is not None
    jsonschema.validate(data, tool.output_schema)


async def test_progress_arrives_as_run_events(everything: MakeServer) -> None:
    model = ScriptedModel([call("trigger-long-running-operation", duration=0.3, steps=3), "Done."])
    agent = Agent("a", model=model, mcp_servers=[everything()])
    streamed = await Runner.run_streamed(agent, "Take your time.")
    events = [e async for e in streamed.stream_events() if isinstance(e, SwordProgressEvent)]
    assert [(e.progress, e.total) for e in events] == [(1, 3), (2, 3), (3, 3)]
    assert {e.sword_name for e in events} == {"trigger-long-running-operation"}
    assert events[-1].fraction == 1.0
    assert streamed.final_output == "Done."


async def test_annotations_feed_an_approval_rule(everything: MakeServer) -> None:
    def changes_things(tool: Any) -> bool:  # approve every tool that is not read-only
        return not (tool.annotations and tool.annotations.read_only_hint)

    server = everything(require_approval=changes_things)
    model = ScriptedModel([[call("echo", message="hi"), call("toggle-simulated-logging")]])
    agent = Agent("a", model=model, mcp_servers=[server])
    async with server:
        swords = {s.name: s for s in await mcp_swords([server]) if isinstance(s, MCPSword)}
        tools = await server.list_tools()
        result = await Runner.run(agent, "go")
    assert swords["echo"].annotations is not None and swords["echo"].annotations.read_only_hint
    assert swords["echo"].needs_approval is False
    assert swords["toggle-simulated-logging"].needs_approval is True
    # The reference server marks every tool non-destructive, so the stricter rule asks for none.
    assert not any(is_destructive(tool) for tool in tools)
    assert [i.sword_name for i in result.interruptions] == ["toggle-simulated-logging"]


class _Arrived(logging.Handler):
    """Sets `event` when a record arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.event = asyncio.Event()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.event.set()


async def test_server_logs_reach_the_drusilla_mcp_logger(everything: MakeServer) -> None:
    logger = logging.getLogger("drusilla.mcp")
    arrived, level = _Arrived(), logger.level
    logger.addHandler(arrived)
    logger.setLevel(logging.DEBUG)
    try:
        async with everything() as server:
            await server.call_tool("toggle-simulated-logging", {})
            async with asyncio.timeout(60):  # the server logs every 5 seconds
                await arrived.event.wait()
            await server.call_tool("toggle-simulated-logging", {})
    finally:
        logger.removeHandler(arrived)
        logger.setLevel(level)
    record = arrived.records[0]
    assert record.getMessage().startswith("everything: ")
    said: str = record.mcp_level  # type: ignore[attr-defined]
    assert said.lower() in record.getMessage().lower()  # "Alert level-message", "Info-level …"
    expected = {"debug": 10, "info": 20, "notice": 20, "warning": 30, "error": 40}
    assert record.levelno == expected.get(said, logging.CRITICAL)  # critical, alert, emergency
    assert record.mcp_server == "everything"  # type: ignore[attr-defined]


# --- a run that is one tool call --------------------------------------------------------------


async def test_the_reference_servers_echo_and_structured_content(everything: MakeServer) -> None:
    echoed = await Runner.run(MCPToolAgent(everything(), "echo"), "hello")
    assert echoed.final_output == "Echo: hello"  # no output schema: the text
    weather = MCPToolAgent(everything(), "get-structured-content", input_field="location")
    result = await Runner.run(weather, "Chicago")
    assert result.final_output == {
        "temperature": 36,
        "conditions": "Light rain / drizzle",
        "humidity": 82,
    }
