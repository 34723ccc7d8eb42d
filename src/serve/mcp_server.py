"""`mcp_app(agent)`: the agent as an MCP server (streamable HTTP, the official `mcp` SDK).

One tool per served agent. Its input is `{"input": "..."}`, or the agent's `input_type` when
that is an object; its result is the final output as text, plus structured content (and an
output schema) for an agent with an `output_type`. While the run goes, the caller gets a
progress notification per model reply, sword call and result (when it sent a progress token).
A failed run is a tool result with `isError` and the (masked) error.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import Route
from typing_extensions import Unpack

from ..agents.agent import Agent
from ..runners.events import RunItemStreamEvent
from ..runners.streaming import RunResultStreaming
from ..util.version import __version__
from .errors import client_message
from .options import Agents, Served, ServeOptions, served
from .outcome import as_data, as_text, check_no_approvals

__all__ = ["McpEndpoint", "mcp_app", "mcp_endpoint"]

_TEXT_INPUT = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "The message for the agent."}},
    "required": ["input"],
}


def mcp_app(agent: Agents, **run_options: Unpack[ServeOptions]) -> Starlette:
    """An ASGI app serving `agent` as MCP tools at `/` (streamable HTTP)."""
    options = served(agent, **run_options)
    endpoint = mcp_endpoint(options)
    return Starlette(routes=[endpoint.route("/")], lifespan=endpoint.lifespan)


class McpEndpoint:
    """The MCP server's ASGI handler, and the lifespan its session manager needs."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self.manager = manager

    def route(self, path: str) -> Route:
        return Route(path, StreamableHTTPASGIApp(self.manager))

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        async with self.manager.run():
            yield


def mcp_endpoint(options: Served) -> McpEndpoint:
    tools = {_tool_name(name): agent for name, agent in options.agents.items()}

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_tool(name, agent) for name, agent in tools.items()])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        agent = tools.get(params.name)
        if agent is None:
            return _failed(f"No tool {params.name!r}; the tools are: {', '.join(tools)}.")
        arguments = params.arguments or {}
        problem = _arguments_problem(agent, arguments)
        if problem:
            return _failed(f"Invalid arguments for {params.name!r}: {problem}")
        return await _call(options, agent, arguments, ctx)

    server: Server[Any] = Server(
        "drusilla", version=__version__, on_list_tools=list_tools, on_call_tool=call_tool
    )
    # Loopback and any host: whoever serves it decides where it listens (drusilla serve --host).
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    manager = StreamableHTTPSessionManager(app=server, security_settings=security)
    return McpEndpoint(manager)


def _tool_name(name: str) -> str:
    """An agent's name as an MCP tool name (letters, digits, `_`, `-`, `.`)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.strip()) or "agent"


def _tool(name: str, agent: Agent[Any]) -> types.Tool:
    instructions = agent.instructions if isinstance(agent.instructions, str) else ""
    description = instructions or f"Ask the agent {agent.name!r}."
    return types.Tool(
        name=name,
        description=description,
        input_schema=_input_schema(agent),
        output_schema=_output_schema(agent),
    )


def _input_schema(agent: Agent[Any]) -> dict[str, Any]:
    schema = agent.input_schema.json_schema if agent.input_schema else None
    return schema if schema and schema.get("type") == "object" else _TEXT_INPUT


def _output_schema(agent: Agent[Any]) -> dict[str, Any] | None:
    return agent.output_schema.json_schema if agent.output_schema else None


def _arguments_problem(agent: Agent[Any], arguments: dict[str, Any]) -> str | None:
    """What is wrong with the arguments, by the tool's input schema (None: nothing)."""
    from jsonschema import Draft202012Validator

    for error in Draft202012Validator(_input_schema(agent)).iter_errors(arguments):
        where = ".".join(map(str, error.absolute_path)) or "arguments"
        return f"{where}: {error.message}"
    return None


def _input(agent: Agent[Any], arguments: dict[str, Any]) -> Any:
    if _input_schema(agent) is _TEXT_INPUT:
        return str(arguments.get("input", ""))
    return arguments  # the runner validates it against the agent's input_type


async def _call(
    options: Served, agent: Agent[Any], arguments: dict[str, Any], ctx: ServerRequestContext[Any]
) -> types.CallToolResult:
    try:
        result = await options.start(agent, _input(agent, arguments))
        await _follow(result, ctx)
        check_no_approvals(result)
    except Exception as exc:
        return _failed(client_message(exc))
    return _result(agent, result.final_output)


async def _follow(result: RunResultStreaming[Any], ctx: ServerRequestContext[Any]) -> None:
    """The run's events as progress notifications, until it ends."""
    step = 0
    async for event in result.stream_events():
        if isinstance(event, RunItemStreamEvent):
            step += 1
            await ctx.session.report_progress(step, None, _progress_message(event))


def _progress_message(event: RunItemStreamEvent) -> str:
    raw: Any = event.item.raw_item
    name = raw.get("name", "") if isinstance(raw, dict) else ""
    return f"{event.name} {name}".strip()


def _result(agent: Agent[Any], output: Any) -> types.CallToolResult:
    text = types.TextContent(type="text", text=as_text(output))
    if agent.output_schema is None:
        return types.CallToolResult(content=[text])
    data = as_data(output)
    structured = {"response": data} if agent.output_schema.wrapped else data
    return types.CallToolResult(content=[text], structured_content=structured)


def _failed(message: str) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)], is_error=True
    )
