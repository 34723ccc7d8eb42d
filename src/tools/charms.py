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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic

from ..util.context import RunContextWrapper, TContext

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..models.interface import ModelResponse
    from ..models.items import InputItem
    from .swords import Sword


__all__ = ["AgentCharms", "RunCharms"]


class RunCharms(Generic[TContext]):
    """Hooks that see every agent of a run. Pass to `Runner.run(charms=...)`."""

    async def on_agent_start(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext]
    ) -> None:
        pass

    async def on_agent_end(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], output: Any
    ) -> None:
        pass

    async def on_orb(
        self,
        ctx: RunContextWrapper[TContext],
        from_agent: Agent[TContext],
        to_agent: Agent[TContext],
    ) -> None:
        pass

    async def on_sword_start(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], sword: Sword
    ) -> None:
        pass

    async def on_sword_end(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], sword: Sword, result: Any
    ) -> None:
        pass

    async def on_llm_start(
        self,
        ctx: RunContextWrapper[TContext],
        agent: Agent[TContext],
        system_prompt: str | None,
        items: list[InputItem],
    ) -> None:
        pass

    async def on_llm_end(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], response: ModelResponse
    ) -> None:
        pass


class AgentCharms(Generic[TContext]):
    """Hooks for one agent. Set `Agent(charms=...)`."""

    async def on_start(self, ctx: RunContextWrapper[TContext], agent: Agent[TContext]) -> None:
        pass

    async def on_end(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], output: Any
    ) -> None:
        pass

    async def on_orb(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], source: Agent[TContext]
    ) -> None:
        """This agent received the conversation from `source`."""

    async def on_sword_start(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], sword: Sword
    ) -> None:
        pass

    async def on_sword_end(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], sword: Sword, result: Any
    ) -> None:
        pass

    async def on_llm_start(
        self,
        ctx: RunContextWrapper[TContext],
        agent: Agent[TContext],
        system_prompt: str | None,
        items: list[InputItem],
    ) -> None:
        pass

    async def on_llm_end(
        self, ctx: RunContextWrapper[TContext], agent: Agent[TContext], response: ModelResponse
    ) -> None:
        pass
