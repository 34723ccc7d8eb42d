"""What becomes a durable step, and under which name: the part both engines share.

`durable_graph(agent, engine)` copies `agent` and every agent it reaches (orb targets, agents
used as swords) and hands each seam to `engine`, which wraps it in its own kind of step (a
DBOS step, a Temporal activity). The seams and their names, documented in docs/durable.md:

- the model of agent A: `A.model`
- a sword s of agent A: `A.s`
- the orb callback of orb t on agent A: `A.t`
- the MCP server S of agent A: its calls are `A.mcp.S.<tool>` and `A.mcp.S.list_tools`

An agent used as a sword is not a step: its nested run checkpoints its own steps, so a crash
inside it repeats nothing that finished. Agents are matched by identity, so a graph with
cycles (two agents with orbs to each other) is fine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from ..agents.agent import Agent
from ..agents.as_sword import AgentSword
from ..models.interface import Model
from ..models.provider import get_default_provider, resolve_model
from ..tools.mcp import MCPServer
from ..tools.orbs import Orb, as_orb
from ..tools.swords import Sword

__all__ = ["OrbCallback", "StepEngine", "StepModel", "durable_graph", "plain_model"]

OrbCallback = Callable[[Any, str], Awaitable[None]]


class StepEngine(Protocol):
    """How one engine turns each seam of an agent into its kind of durable step."""

    def model(self, model: Model, step_name: str) -> Model: ...

    def sword(self, sword: Sword, step_name: str) -> Sword: ...

    def orb_callback(self, callback: OrbCallback, step_name: str) -> OrbCallback: ...

    def mcp_server(self, server: MCPServer, step_prefix: str) -> MCPServer: ...


def durable_graph(agent: Agent[Any], engine: StepEngine) -> Agent[Any]:
    """A copy of `agent`, and of every agent it reaches, with its seams made steps by `engine`."""
    return _Walker(engine).agent(agent)


def plain_model(model: str | Model | list[str | Model] | None) -> Model:
    """The `Model` an agent's `model=` setting stands for, resolved once, outside any run."""
    if isinstance(model, list):  # model=[...]: one step around the FallbackModel
        from ..runners.config import RunConfig

        return resolve_model(model, RunConfig())
    if model is None or isinstance(model, str):
        return get_default_provider().get_model(model)
    return model


class _Walker:
    def __init__(self, engine: StepEngine) -> None:
        self.engine = engine
        self.done: dict[int, Agent[Any]] = {}

    def agent(self, agent: Agent[Any]) -> Agent[Any]:
        known = self.done.get(id(agent))
        if known is not None:
            return known
        durable = agent.clone()  # registered first: cycles in the graph end here
        self.done[id(agent)] = durable
        durable.model = self.engine.model(plain_model(agent.model), f"{agent.name}.model")
        durable.swords = [self.sword(sword, agent.name) for sword in agent.swords]
        durable.orbs = [self.orb(as_orb(target), agent.name) for target in agent.orbs]
        durable.mcp_servers = [
            self.engine.mcp_server(server, f"{agent.name}.mcp.{server.name}")
            for server in agent.mcp_servers
        ]
        return durable

    def sword(self, sword: Sword, agent_name: str) -> Sword:
        if isinstance(sword, AgentSword) and sword.nested_agent is not None:
            nested = self.agent(sword.nested_agent)
            return nested.as_sword(sword.name, sword.description, sword.output_extractor)
        return self.engine.sword(sword, f"{agent_name}.{sword.name}")

    def orb(self, orb: Orb[Agent[Any]], agent_name: str) -> Orb[Agent[Any]]:
        step_name = f"{agent_name}.{orb.sword_name}"
        on_orb = self.engine.orb_callback(orb.on_invoke_orb, step_name)
        return replace(orb, agent=self.agent(orb.agent), on_invoke_orb=on_orb)


class StepModel:
    """What every engine's step model shares: the wrapped `Model`, its step's name, and the
    wrapped model's traits (name, provider, profile …) passed through."""

    def __init__(self, model: Model, step_name: str) -> None:
        self.wrapped = model
        self.step_name = step_name

    @property
    def model_name(self) -> str:
        return self.wrapped.model_name

    @property
    def provider_name(self) -> str:
        return self.wrapped.provider_name

    def __getattr__(self, name: str) -> Any:  # the wrapped model's profile and other traits
        return getattr(self.wrapped, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.wrapped!r}, step_name={self.step_name!r})"
