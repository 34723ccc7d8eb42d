"""Firing charms: at each point of a run, the run's charm first, then the agent's own.

One function per event, so the loop never repeats the "run first, then agent" rule (it is
`_fire_charms`'s). Each returns at once when neither the run nor the agent has charms: a turn
fires four events and most runs have none, so that case builds no arguments.
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
    if run_charms is None and agent.charms is None:  # no charm: nothing to fire
        return
    await _fire_charms(run_charms, "on_agent_start", (ctx, agent), agent, "on_start", (ctx, agent))


async def fire_agent_end(
    run_charms: RunCharms[Any] | None, ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any
) -> None:
    if run_charms is None and agent.charms is None:  # no charm: nothing to fire
        return
    args = (ctx, agent, output)
    await _fire_charms(run_charms, "on_agent_end", args, agent, "on_end", args)


async def fire_orb(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    from_agent: Agent[Any],
    to_agent: Agent[Any],
) -> None:
    """The run's `on_orb(ctx, from, to)`, then the target agent's `on_orb(ctx, to, from)`."""
    if run_charms is None and to_agent.charms is None:  # no charm: nothing to fire
        return
    run_args, agent_args = (ctx, from_agent, to_agent), (ctx, to_agent, from_agent)
    await _fire_charms(run_charms, "on_orb", run_args, to_agent, "on_orb", agent_args)


async def fire_sword_start(
    run_charms: RunCharms[Any] | None, ctx: RunContextWrapper[Any], agent: Agent[Any], sword: Sword
) -> None:
    if run_charms is None and agent.charms is None:  # no charm: nothing to fire
        return
    args = (ctx, agent, sword)
    await _fire_charms(run_charms, "on_sword_start", args, agent, "on_sword_start", args)


async def fire_sword_end(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    sword: Sword,
    result: Any,
) -> None:
    if run_charms is None and agent.charms is None:  # no charm: nothing to fire
        return
    args = (ctx, agent, sword, result)
    await _fire_charms(run_charms, "on_sword_end", args, agent, "on_sword_end", args)


async def fire_llm_start(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    system_prompt: str | None,
    items: list[InputItem],
) -> None:
    if run_charms is None and agent.charms is None:  # no charm: nothing to fire
        return
    args = (ctx, agent, system_prompt, items)
    await _fire_charms(run_charms, "on_llm_start", args, agent, "on_llm_start", args)


async def fire_llm_end(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    response: ModelResponse,
) -> None:
    if run_charms is None and agent.charms is None:  # no charm: nothing to fire
        return
    args = (ctx, agent, response)
    await _fire_charms(run_charms, "on_llm_end", args, agent, "on_llm_end", args)


async def _fire_charms(
    run_charms: RunCharms[Any] | None,
    run_hook: str,
    run_args: tuple[Any, ...],
    agent: Agent[Any],
    agent_hook: str,
    agent_args: tuple[Any, ...],
) -> None:
    """The one rule: the run's charm first, then the agent's own (each only if there is one)."""
    if run_charms is not None:
        await getattr(run_charms, run_hook)(*run_args)
    if agent.charms is not None:
        await getattr(agent.charms, agent_hook)(*agent_args)
