"""Charms: lifecycle hooks, for a whole run (`RunCharms`) or one agent (`AgentCharms`).

Subclass and override the hooks you need; every hook is async and a no-op by default.

Order within a run (run charm first, then the agent's own charm, at each point):

1. ``on_agent_start`` / ``on_start`` when an agent becomes the current agent
2. ``on_llm_start`` / ``on_llm_end`` around each model call
3. ``on_sword_start`` / ``on_sword_end`` around each sword (concurrent swords interleave)
4. ``on_orb(ctx, from_agent, to_agent)`` / target's ``on_orb(ctx, agent, source)`` on an orb,
   after the turn's swords have run; then 1. again for the new agent
5. ``on_agent_end`` / ``on_end`` once, for the agent that produced the final output,
   after output shields have passed

The hook classes here are generic over the agent class the hooks receive, so that tools/ names no
`Agent`; agents/charms.py binds them to `Agent` as the public `RunCharms` and `AgentCharms`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from ..util.context import RunContextWrapper, TContext

if TYPE_CHECKING:
    from ..models.interface import ModelResponse
    from ..models.items import InputItem
    from .swords import Sword


__all__ = ["AgentCharmsBase", "RunCharmsBase", "TAgent"]

TAgent = TypeVar("TAgent", default=Any)
"""The agent class a hook receives: `Agent[TContext]` in the public charms."""


class RunCharmsBase(Generic[TContext, TAgent]):
    """Hooks that see every agent of a run (subclass `RunCharms`, which binds the agent)."""

    async def on_agent_start(self, ctx: RunContextWrapper[TContext], agent: TAgent) -> None:
        pass

    async def on_agent_end(
        self, ctx: RunContextWrapper[TContext], agent: TAgent, output: Any
    ) -> None:
        pass

    async def on_orb(
        self,
        ctx: RunContextWrapper[TContext],
        from_agent: TAgent,
        to_agent: TAgent,
    ) -> None:
        pass

    async def on_sword_start(
        self, ctx: RunContextWrapper[TContext], agent: TAgent, sword: Sword
    ) -> None:
        pass

    async def on_sword_end(
        self, ctx: RunContextWrapper[TContext], agent: TAgent, sword: Sword, result: Any
    ) -> None:
        pass

    async def on_llm_start(
        self,
        ctx: RunContextWrapper[TContext],
        agent: TAgent,
        system_prompt: str | None,
        items: list[InputItem],
    ) -> None:
        pass

    async def on_llm_end(
        self, ctx: RunContextWrapper[TContext], agent: TAgent, response: ModelResponse
    ) -> None:
        pass


class AgentCharmsBase(Generic[TContext, TAgent]):
    """Hooks for one agent (subclass `AgentCharms`, which binds the agent)."""

    async def on_start(self, ctx: RunContextWrapper[TContext], agent: TAgent) -> None:
        pass

    async def on_end(self, ctx: RunContextWrapper[TContext], agent: TAgent, output: Any) -> None:
        pass

    async def on_orb(self, ctx: RunContextWrapper[TContext], agent: TAgent, source: TAgent) -> None:
        """This agent received the conversation from `source`."""

    async def on_sword_start(
        self, ctx: RunContextWrapper[TContext], agent: TAgent, sword: Sword
    ) -> None:
        pass

    async def on_sword_end(
        self, ctx: RunContextWrapper[TContext], agent: TAgent, sword: Sword, result: Any
    ) -> None:
        pass

    async def on_llm_start(
        self,
        ctx: RunContextWrapper[TContext],
        agent: TAgent,
        system_prompt: str | None,
        items: list[InputItem],
    ) -> None:
        pass

    async def on_llm_end(
        self, ctx: RunContextWrapper[TContext], agent: TAgent, response: ModelResponse
    ) -> None:
        pass
