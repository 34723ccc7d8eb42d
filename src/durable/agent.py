"""`dbos_agent`: an agent whose model calls, sword calls and MCP tool calls are steps.

Which seams become steps, and their names, is shared with the other engines (graph.py); this
module only says how each one becomes a step of a DBOS workflow (steps.py: a DBOS step, or a
row of drusilla's journal in a run of `DurableRunner`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..agents.agent import Agent
from ..models.interface import Model
from ..tools.mcp import MCPServer
from ..tools.swords import Sword
from ..util.errors import UserError
from .graph import OrbCallback, durable_graph
from .steps import DurableModel, as_step, durable_sword

__all__ = ["DBOSSteps", "dbos_agent"]


def dbos_agent(agent: Agent[Any]) -> Agent[Any]:
    """A copy of `agent` (and of every agent it reaches) for use inside a DBOS workflow.

    Use it inside your own `@DBOS.workflow()` with `await Runner.run(...)`; see
    docs/durable.md for the step names and what may change while runs are pending.
    """
    if not isinstance(agent, Agent):
        raise UserError(f"dbos_agent() needs an Agent, got {type(agent).__name__}.")
    return durable_graph(agent, DBOSSteps())


class DBOSSteps:
    """The `StepEngine` of DBOS: each seam runs as a step inside a workflow."""

    def model(self, model: Model, step_name: str) -> Model:
        if isinstance(model, DurableModel):  # dbos_agent of a dbos_agent: one step, not two
            model = model.wrapped
        return DurableModel(model, step_name)

    def sword(self, sword: Sword, step_name: str) -> Sword:
        return durable_sword(sword, step_name)

    def orb_callback(self, callback: OrbCallback, step_name: str) -> OrbCallback:
        async def on_orb(ctx: Any, arguments: str) -> None:
            await as_step(step_name, callback, ctx, arguments)

        return on_orb

    def mcp_server(self, server: MCPServer, step_prefix: str) -> MCPServer:
        if server.step_runner is not None:  # already a durable copy
            return server

        async def step(what: str, call: Callable[[], Awaitable[Any]]) -> Any:
            return await as_step(f"{step_prefix}.{what}", call)

        return server.through_steps(step)
