"""An MCP server's tools as swords: filtered, prefixed, arguments checked before the call."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...util.concurrency import gather, maybe_await
from ...util.context import SwordContext
from ...util.errors import UserError
from ...util.logging import get_logger
from ..sword_run import SwordProgressEvent, current_sword_run
from ..swords import Sword, SwordArgumentsError, parse_arguments_json
from .results import MCPToolError, MCPToolResult
from .servers import MCPServer, MCPServerError

if TYPE_CHECKING:
    from mcp.shared.dispatcher import ProgressFnT
    from mcp_types import Tool, ToolAnnotations

__all__ = [
    "MCPSword",
    "MCPToolFilter",
    "function_name",
    "is_destructive",
    "mcp_swords",
    "server_swords",
    "tool_sword",
]

_INVALID_PARAMS = -32602
_NOT_A_FUNCTION_NAME = re.compile(r"[^A-Za-z0-9_-]")
_MAX_REPORTED_ERRORS = 5
_MAX_NAME = 64


@dataclass(frozen=True)
class MCPToolFilter:
    """Which tools of a server the agent sees, by their names on the server (before any prefix).

    `allowed`: only these (None: all); `blocked`: never these.
    """

    allowed: Collection[str] | None = None
    blocked: Collection[str] = ()

    def __post_init__(self) -> None:
        for what, names in (("allowed", self.allowed), ("blocked", self.blocked)):
            if isinstance(names, str):
                raise UserError(f"MCPToolFilter({what}={names!r}) needs a list of tool names.")

    def __call__(self, tool: Tool) -> bool:
        if tool.name in self.blocked:
            return False
        return self.allowed is None or tool.name in self.allowed


@dataclass(eq=False)
class MCPSword(Sword):
    """A sword that calls a tool on an MCP server."""

    mcp_server_name: str = ""
    mcp_tool_name: str = ""
    annotations: ToolAnnotations | None = None
    """The tool's hints (`read_only_hint`, `destructive_hint` ...), as the server sent them."""


def is_destructive(tool: Tool) -> bool:
    """An approval rule (`require_approval=is_destructive`): the tool may change or delete
    things. Read as MCP defines the hints: a tool that is not read-only is destructive unless it
    says `destructiveHint: false`. Hints come from the server: trust them as far as it."""
    hints = tool.annotations
    if hints is None:
        return True
    return not hints.read_only_hint and hints.destructive_hint is not False


async def mcp_swords(servers: Sequence[Any]) -> list[Sword]:
    """The swords of these MCP servers, connecting them (for the root run) as needed."""
    checked = [_check_server(server) for server in servers]
    for server in checked:  # hold in the order given, so they close in reverse
        server.hold_for_run()
    tool_lists = await gather([server.list_tools for server in checked])
    swords: list[Sword] = []
    for server, tools in zip(checked, tool_lists, strict=True):
        swords.extend(await server_swords(server, tools))
    return swords


async def server_swords(server: MCPServer, tools: Sequence[Tool]) -> list[Sword]:
    """Swords for the tools that pass the server's filter."""
    tool_filter = server.tool_filter
    if isinstance(tool_filter, MCPToolFilter) and tool_filter.allowed is not None:
        missing = set(tool_filter.allowed) - {tool.name for tool in tools}
        if missing:
            get_logger().warning(
                "mcp.allowed_tools_missing", server=server.name, tools=sorted(missing)
            )
    swords: list[Sword] = []
    for tool in tools:
        if tool_filter is None or await maybe_await(tool_filter(tool)):
            swords.append(tool_sword(server, tool))
    return swords


def tool_sword(server: MCPServer, tool: Tool) -> MCPSword:
    name = tool.name if server.tool_prefix is None else f"{server.tool_prefix}_{tool.name}"
    return MCPSword(
        name=function_name(name),
        description=tool.description or tool.title or "",
        params_json_schema=_parameters(tool.input_schema),
        on_invoke=functools.partial(_invoke, server, tool.name, _ArgumentsCheck(tool.input_schema)),
        failure_error_function=server.failure_error_function,
        needs_approval=server.needs_approval(tool),
        mcp_server_name=server.name,
        mcp_tool_name=tool.name,
        annotations=tool.annotations,
    )


async def _invoke(
    server: MCPServer,
    tool_name: str,
    check: _ArgumentsCheck,
    ctx: SwordContext[Any],
    arguments: str,
) -> MCPToolResult:
    args = parse_arguments_json(arguments)
    if not isinstance(args, dict):
        raise SwordArgumentsError("the arguments must be a JSON object")
    check(args)
    try:
        with server.calls_in_flight.during(ctx):
            result = await server.call_tool(tool_name, args, on_progress=_progress(ctx))
    except MCPServerError as exc:
        if exc.code == _INVALID_PARAMS:
            raise SwordArgumentsError(exc.server_message or str(exc)) from None
        raise
    if result.is_error:
        raise MCPToolError(result)
    return result


def _progress(ctx: SwordContext[Any]) -> ProgressFnT | None:
    """Puts the tool's progress on the run's event stream (the callback runs in the
    connection's task, so the run is captured here)."""
    run = current_sword_run()
    if run is None:
        return None

    async def report(progress: float, total: float | None, message: str | None) -> None:
        event = SwordProgressEvent(ctx.sword_name, ctx.call_id, progress, total, message)
        await run.progress(event)

    return report


def function_name(name: str) -> str:
    """`name` as a function name every model API accepts (`[A-Za-z0-9_-]{1,64}`).

    MCP allows dots and 128 characters; a dot becomes `_`, and a longer name is cut, with a
    short hash of the whole name so that cut names stay distinct.
    """
    name = _NOT_A_FUNCTION_NAME.sub("_", name)
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_NAME - 9]}_{digest}"


def _parameters(input_schema: dict[str, Any]) -> dict[str, Any]:
    """The schema the model is offered: the tool's, as an object schema without `$schema`."""
    schema = {key: value for key, value in input_schema.items() if key != "$schema"}
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


class _ArgumentsCheck:
    """Validates arguments against a tool's input schema (compiled on first use)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema
        self._validator: Any = None  # a jsonschema validator (jsonschema ships no types)
        self._usable = True

    def __call__(self, args: dict[str, Any]) -> None:
        validator = self._compiled()
        if validator is None:
            return
        from referencing.exceptions import Unresolvable

        try:
            errors = sorted(validator.iter_errors(args), key=lambda e: list(map(str, e.path)))
        except Unresolvable:  # a $ref we cannot follow: leave the checking to the server
            return
        if errors:
            raise SwordArgumentsError(
                "; ".join(_describe_error(error) for error in errors[:_MAX_REPORTED_ERRORS])
            )

    def _compiled(self) -> Any:
        if self._validator is None and self._usable:
            from jsonschema import SchemaError
            from jsonschema.validators import validator_for
            from referencing import Registry

            validator_class = validator_for(self._schema)
            try:
                validator_class.check_schema(self._schema)
            except SchemaError as exc:
                self._usable = False
                get_logger().warning("mcp.invalid_input_schema", error=exc.message)
                return None
            self._validator = validator_class(self._schema, registry=Registry())
        return self._validator


def _describe_error(error: Any) -> str:
    location = ".".join(str(part) for part in error.path)
    return f"{location}: {error.message}" if location else str(error.message)


def _check_server(server: Any) -> MCPServer:
    if not isinstance(server, MCPServer):
        raise UserError(
            f"{server!r} in mcp_servers= is not an MCP server; use MCPServerStdio(...) or "
            "MCPServerStreamableHTTP(...)."
        )
    return server
