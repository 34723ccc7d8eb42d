"""`MCPToolAgent`: an agent whose run is one MCP tool call (Kiln's MCP run config).

No model, no prompt: the input becomes the tool's arguments, the tool's structured output (or
its text) the final output. `Runner.run`, `run_sync`, `run_streamed` and the batch methods run
it like any agent — with a `RunResult`, a run record and a trace — and `as_sword()` offers it
to other agents. How the run goes is runners/mcp_tool_run.py; see docs/mcp.md.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..util.errors import UserError
from .agent import Agent

if TYPE_CHECKING:
    from ..tools.mcp import MCPServer

__all__ = ["MCPToolAgent"]


class MCPToolAgent(Agent[Any, Any]):
    """An agent that is one call of the MCP tool `tool_name` on `server`.

    The input: text, sent as the tool's one text argument (`input_field=`, else the tool's only
    string parameter), or — with `input_type=` (a model or TypedDict of the tool's arguments) —
    a structured value, sent as the arguments. The final output: the tool's structured content
    when it has any, else its text; a tool that reports failure fails the run (`SwordError`).
    """

    server: MCPServer
    tool_name: str
    input_field: str | None

    def __init__(
        self,
        server: MCPServer,
        tool_name: str,
        *,
        name: str | None = None,
        description: str | None = None,
        input_type: Any = None,
        input_field: str | None = None,
    ) -> None:
        if not isinstance(tool_name, str) or not tool_name:
            raise UserError(f"MCPToolAgent(server, {tool_name!r}): name the tool to call.")
        if not callable(getattr(server, "call_tool", None)):
            raise UserError(
                f"MCPToolAgent({server!r}, {tool_name!r}): the first argument must be an MCP "
                "server (MCPServerStdio, MCPServerStreamableHTTP)."
            )
        super().__init__(
            name or tool_name,
            orb_description=description or f"Call the MCP tool {tool_name!r}.",
            input_type=input_type,
        )
        self.server = server
        self.tool_name = tool_name
        self.input_field = input_field

    def clone(self, **changes: Any) -> MCPToolAgent:
        """A copy with `changes` (e.g. `name=`)."""
        copied = copy.copy(self)
        for field, value in changes.items():
            if not hasattr(copied, field):
                raise UserError(f"MCPToolAgent.clone: no field {field!r}.")
            setattr(copied, field, value)
        return copied

    def __repr__(self) -> str:
        return f"MCPToolAgent({self.server!r}, {self.tool_name!r}, name={self.name!r})"
