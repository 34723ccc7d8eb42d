"""`dbos_agent`: an agent whose model calls, sword calls and MCP tool calls are DBOS steps.

The whole graph reachable from the agent is rewritten once: its orbs' targets and the agents it
uses as swords become durable too, so a nested run checkpoints its own steps. Agents are
matched by identity, so a graph with cycles (two agents with orbs to each other) is fine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from ..agents.agent import Agent
from ..agents.as_sword import AgentSword
from ..models.interface import Model
from ..models.provider import get_default_provider, resolve_model
from ..tools.mcp import MCPServer
from ..tools.orbs import Orb, as_orb
from ..tools.swords import Sword
from ..util.errors import UserError
from .steps import DurableModel, as_step, durable_sword

__all__ = ["dbos_agent"]


def dbos_agent(agent: Agent[Any]) -> Agent[Any]:
    """A copy of `agent` (and of every agent it reaches) for use inside a DBOS workflow.

    Use it inside your own `@DBOS.workflow()` with `await Runner.run(...)`; see
    docs/durable.md for the step names and what may change while runs are pending.
    """
    if not isinstance(agent, Agent):
        raise UserError(f"dbos_agent() needs an Agent, got {type(agent).__name__}.")
    return _Rewriter().agent(agent)


class _Rewriter:
    def __init__(self) -> None:
        self.done: dict[int, Agent[Any]] = {}

    def agent(self, agent: Agent[Any]) -> Agent[Any]:
        known = self.done.get(id(agent))
        if known is not None:
            return known
        durable = agent.clone()  # registered first: cycles in the graph end here
        self.done[id(agent)] = durable
        durable.model = _durable_model(agent.model, agent.name)
        durable.swords = [self.sword(sword, agent.name) for sword in agent.swords]
        durable.orbs = [self.orb(as_orb(target), agent.name) for target in agent.orbs]
        durable.mcp_servers = [_durable_mcp_server(s, agent.name) for s in agent.mcp_servers]
        return durable

    def sword(self, sword: Sword, agent_name: str) -> Sword:
        if isinstance(sword, AgentSword) and sword.nested_agent is not None:
            # An agent used as a sword is not one step: its nested run checkpoints its own.
            nested = self.agent(sword.nested_agent)
            return nested.as_sword(sword.name, sword.description, sword.output_extractor)
        return durable_sword(sword, agent_name)

    def orb(self, orb: Orb[Agent[Any]], agent_name: str) -> Orb[Agent[Any]]:
        on_invoke_orb = orb.on_invoke_orb
        step_name = f"{agent_name}.{orb.sword_name}"

        async def on_orb(ctx: Any, arguments: str) -> None:
            await as_step(step_name, on_invoke_orb, ctx, arguments)

        return replace(orb, agent=self.agent(orb.agent), on_invoke_orb=on_orb)


def _durable_model(model: str | Model | list[str | Model] | None, agent_name: str) -> Model:
    step_name = f"{agent_name}.model"
    if isinstance(model, DurableModel):
        return DurableModel(model.wrapped, step_name)
    if isinstance(model, list):  # model=[...]: one durable step around the FallbackModel
        from ..runners.config import RunConfig

        model = resolve_model(model, RunConfig())
    if model is None or isinstance(model, str):
        model = get_default_provider().get_model(model)
    return DurableModel(model, step_name)


def _durable_mcp_server(server: MCPServer, agent_name: str) -> MCPServer:
    if server.step_runner is not None:
        return server
    prefix = f"{agent_name}.mcp.{server.name}"

    async def step(what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        return await as_step(f"{prefix}.{what}", call)

    return server.through_steps(step)
