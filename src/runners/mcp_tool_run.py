"""The run of an `MCPToolAgent`: one MCP tool call instead of turns.

`MCPToolRun` is a `RunLoop` whose agent part is the call: the run starts, is traced, recorded,
timed out, streamed and turned into a `RunResult` exactly as any run (all of that is the
loop's), and `Runner` picks it for an `MCPToolAgent` (runners/run.py, `_new_run`). The call is
a `sword` span and a call / output item pair in `new_items`; the final output is the tool's
structured content, else its text.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from ..agents.mcp_tool import MCPToolAgent
from ..models.items import function_call, function_call_output
from ..tracing.spans import span
from ..util.errors import SwordError, UserError
from .charm_firing import fire_agent_start
from .items import SwordCallItem, SwordCallOutputItem
from .limits import limit_guard
from .run_loop import RunLoop

if TYPE_CHECKING:
    from ..models.items import InputItem
    from ..tools.mcp import MCPToolResult

__all__ = ["MCPToolRun", "tool_arguments"]


class MCPToolRun(RunLoop):
    """One run of an `MCPToolAgent`; everything around the call is the `RunLoop`'s."""

    async def _run_agents(self) -> None:
        state = self.state
        agent = state.current_agent
        if self.resuming or not isinstance(agent, MCPToolAgent):
            raise UserError(
                f"Agent {agent.name!r}: an MCP tool run is one call; it has nothing to resume "
                "(run it again with its input)."
            )
        await self._start()
        with span("agent", agent.name):
            await fire_agent_start(self.charms, self.ctx, agent)
            state.turn = 1
            limits = limit_guard(self.config.usage_limits)  # a sword-call cap counts this call
            if limits is not None:
                limits.before_swords(1)
            output = await self._call(agent)
            await self._items.save_turn()
            await self._finish(agent, output)
        state.status = "completed"

    async def _call(self, agent: MCPToolAgent) -> Any:
        """The tool call, as a `sword` span and a call / output item pair; its output."""
        arguments = await tool_arguments(agent, self.input_items)
        call = function_call(f"call_{os.urandom(8).hex()}", agent.tool_name, json.dumps(arguments))
        await self._items.add(SwordCallItem(agent, call))
        server = agent.server
        with span("sword", agent.tool_name, call_id=call["call_id"], agent=agent.name) as traced:
            traced.set_data(arguments=call["arguments"])
            result = await server.call_tool(agent.tool_name, arguments)
            traced.set_data(output=result.text)
            if result.is_error:
                traced.set(error=result.text)
        output = function_call_output(call["call_id"], result.text)
        await self._items.add(SwordCallOutputItem(agent, output, result))
        if result.is_error:
            raise SwordError(
                f"The MCP tool {agent.tool_name!r} on server {server.name!r} reported a failure: "
                f"{result.text or '(no message)'}",
                sword_name=agent.tool_name,
            )
        return final_output(result)


def final_output(result: MCPToolResult) -> Any:
    """The tool's structured content where it has some, else its text."""
    return result.structured_content if result.structured_content is not None else result.text


async def tool_arguments(agent: MCPToolAgent, items: list[InputItem]) -> dict[str, Any]:
    """The tool's arguments from the run's input: the structured input itself (with an
    `input_type`), else the text in the tool's one text parameter."""
    text = _last_user_text(agent, items)
    if agent.input_schema is not None:
        arguments = json.loads(text)  # the input, checked against input_type, as JSON
        if not isinstance(arguments, dict):
            raise UserError(
                f"MCPToolAgent {agent.name!r}: input_type must describe an object (the tool's "
                f"arguments), not {type(arguments).__name__}."
            )
        return arguments
    return {agent.input_field or await _text_parameter(agent): text}


def _last_user_text(agent: MCPToolAgent, items: list[InputItem]) -> str:
    for item in reversed(items):
        if item.get("role") == "user" and isinstance(item.get("content"), str):
            return str(item.get("content"))
    raise UserError(
        f"MCPToolAgent {agent.name!r}: the input has no text message to send to the tool "
        f"{agent.tool_name!r}; pass text, or a value of the agent's input_type."
    )


async def _text_parameter(agent: MCPToolAgent) -> str:
    """The tool's only string parameter (Kiln's rule for text input), from its input schema."""
    tools = {tool.name: tool for tool in await agent.server.list_tools()}
    tool = tools.get(agent.tool_name)
    if tool is None:
        raise UserError(
            f"MCP server {agent.server.name!r} has no tool {agent.tool_name!r}; it has: "
            f"{', '.join(sorted(tools)) or '(none)'}."
        )
    properties = (tool.input_schema or {}).get("properties") or {}
    texts = [name for name, schema in properties.items() if schema.get("type") == "string"]
    if len(texts) != 1:
        raise UserError(
            f"MCPToolAgent {agent.name!r}: text input goes into the tool's one string "
            f"parameter, but {agent.tool_name!r} has {len(texts)} ({', '.join(texts) or 'none'}). "
            "Name it with input_field=, or give the agent an input_type for the arguments."
        )
    return str(texts[0])
