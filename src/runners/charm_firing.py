"""Firing charms: at each point of a run, the run's charm first, then the agent's own.

One function per event, so the loop never repeats the "run first, then agent" rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..agents.charms import RunCharms
from ..util.context import RunContextWrapper

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..models.interface import ModelResponse
    from ..models.items import InputItem
    from ..tools.swords import Sword

__all__ = [
    "fire_agent_end",
    "fire_agent_start",
    "fire_llm_end",
    "fire_llm_start",
    "fire_orb",
    "fire_sword_end",
    "fire_sword_start",
]


async def fire_agent_start(
    run_charms: RunCharms[Any] | None, ctx: RunContextWrapper[Any], agent: Agent[Any]
) -> None:
    if run_charms is not None:
        await run_charms.on_agent_start(ctx, agent)
    if agent.charms is not None:
        await agent.charms.on_start(ctx, agent)


async def fire_agent_end(
    run_charms: RunCharms[Any] | None, ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any
) -> None:
    if run_charms is not None:
        await run_charms.on_agent_end(ctx, agent, output)
    if agent.charms is not None:
        await agent.charms.on_end(ctx, agent, output)


async def fire_orb(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    from_agent: Agent[Any],
    to_agent: Agent[Any],
) -> None:
    if run_charms is not None:
        await run_charms.on_orb(ctx, from_agent, to_agent)
    if to_agent.charms is not None:
        await to_agent.charms.on_orb(ctx, to_agent, from_agent)


async def fire_sword_start(
    run_charms: RunCharms[Any] | None, ctx: RunContextWrapper[Any], agent: Agent[Any], sword: Sword
) -> None:
    if run_charms is not None:
        await run_charms.on_sword_start(ctx, agent, sword)
    if agent.charms is not None:
        await agent.charms.on_sword_start(ctx, agent, sword)


async def fire_sword_end(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    sword: Sword,
    result: Any,
) -> None:
    if run_charms is not None:
        await run_charms.on_sword_end(ctx, agent, sword, result)
    if agent.charms is not None:
        await agent.charms.on_sword_end(ctx, agent, sword, result)


async def fire_llm_start(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    system_prompt: str | None,
    items: list[InputItem],
) -> None:
    if run_charms is not None:
        await run_charms.on_llm_start(ctx, agent, system_prompt, items)
    if agent.charms is not None:
        await agent.charms.on_llm_start(ctx, agent, system_prompt, items)


async def fire_llm_end(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    response: ModelResponse,
) -> None:
    if run_charms is not None:
        await run_charms.on_llm_end(ctx, agent, response)
    if agent.charms is not None:
        await agent.charms.on_llm_end(ctx, agent, response)
