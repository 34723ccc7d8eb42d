"""Firing charms: at each point of a run, the run's charm first, then the agent's own.

One function per event, so the loop never repeats the "run first, then agent" rule. Each
returns the one coroutine of `_fire` (the caller awaits it): a turn fires four events, and a
coroutine per wrapper would double what firing costs when there are no charms.
"""

from __future__ import annotations

from collections.abc import Awaitable
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


def fire_agent_start(
    run_charms: RunCharms[Any] | None, ctx: RunContextWrapper[Any], agent: Agent[Any]
) -> Awaitable[None]:
    return _fire(run_charms, "on_agent_start", (ctx, agent), agent, "on_start", (ctx, agent))


def fire_agent_end(
    run_charms: RunCharms[Any] | None, ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any
) -> Awaitable[None]:
    args = (ctx, agent, output)
    return _fire(run_charms, "on_agent_end", args, agent, "on_end", args)


def fire_orb(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    from_agent: Agent[Any],
    to_agent: Agent[Any],
) -> Awaitable[None]:
    """The run's `on_orb(ctx, from, to)`, then the target agent's `on_orb(ctx, to, from)`."""
    run_args, agent_args = (ctx, from_agent, to_agent), (ctx, to_agent, from_agent)
    return _fire(run_charms, "on_orb", run_args, to_agent, "on_orb", agent_args)


def fire_sword_start(
    run_charms: RunCharms[Any] | None, ctx: RunContextWrapper[Any], agent: Agent[Any], sword: Sword
) -> Awaitable[None]:
    args = (ctx, agent, sword)
    return _fire(run_charms, "on_sword_start", args, agent, "on_sword_start", args)


def fire_sword_end(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    sword: Sword,
    result: Any,
) -> Awaitable[None]:
    args = (ctx, agent, sword, result)
    return _fire(run_charms, "on_sword_end", args, agent, "on_sword_end", args)


def fire_llm_start(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    system_prompt: str | None,
    items: list[InputItem],
) -> Awaitable[None]:
    args = (ctx, agent, system_prompt, items)
    return _fire(run_charms, "on_llm_start", args, agent, "on_llm_start", args)


def fire_llm_end(
    run_charms: RunCharms[Any] | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    response: ModelResponse,
) -> Awaitable[None]:
    args = (ctx, agent, response)
    return _fire(run_charms, "on_llm_end", args, agent, "on_llm_end", args)


async def _fire(
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
