"""An agent's gear as the model is offered it: collected once, re-collected only when the
agent's lists change, and filtered per turn by `is_enabled` and `prepare_swords`.

The per-turn cost with no dynamic gear is three list comparisons: copies of the agent's sword,
orb and MCP-server lists taken when the gear was collected, against the lists now (elements
compare by identity first, so no list is built per turn).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models.interface import SwordSpec
from ..tools.orbs import Orb, as_orb
from ..tools.swords import IsEnabled, Sword
from ..util.concurrency import maybe_await
from ..util.errors import UserError

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..util.context import RunContextWrapper

__all__ = ["Gear", "collect_gear", "gear_changed", "offered_gear"]


@dataclass(slots=True)
class Gear:
    """An agent's swords and orbs for this run, as the model is offered them."""

    swords: dict[str, Sword]
    orbs: dict[str, Orb[Agent[Any]]]
    specs: list[Any]
    asks_approval: bool = False
    """Some sword may need approval: only then are a turn's calls checked for it."""
    runs_agents: bool = False
    """Some sword is an agent (its nested run may wait for approval)."""
    dynamic: bool = False
    """Some gear has `is_enabled` other than True, or the agent has `prepare_swords`."""
    sources: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    """Copies of the agent's swords, orbs and mcp_servers lists the gear was collected from."""

    def __post_init__(self) -> None:
        for sword in self.swords.values():
            if sword.needs_approval is not False:
                self.asks_approval = True
            if sword.nested_agent is not None:
                self.runs_agents = True


def gear_changed(gear: Gear, agent: Agent[Any]) -> bool:
    """Whether the agent's sword, orb or MCP-server lists changed since `gear` was collected."""
    swords, orbs, servers = gear.sources
    return swords != agent.swords or orbs != agent.orbs or servers != agent.mcp_servers


async def collect_gear(agent: Agent[Any]) -> Gear:
    """The agent's swords (its own and its MCP servers') and orbs; a duplicate name is an error."""
    all_swords: Sequence[Sword] = agent.swords
    if agent.mcp_servers:
        from ..tools.mcp import mcp_swords

        all_swords = [*agent.swords, *await mcp_swords(agent.mcp_servers)]
    swords = {sword.name: sword for sword in all_swords}
    if len(swords) < len(all_swords):  # described only when there is a clash to report
        _raise_duplicate_sword(agent, all_swords)
    orbs: dict[str, Orb[Agent[Any]]] = {}
    for target in agent.orbs:
        orb = as_orb(target)
        clash = swords.get(orb.sword_name) or orbs.get(orb.sword_name)
        if clash is not None:
            _raise_duplicate(agent, orb.sword_name, _describe(clash), _describe(orb))
        orbs[orb.sword_name] = orb
    specs = [sword.spec for sword in swords.values()] + [orb.spec for orb in orbs.values()]
    dynamic = (
        agent.prepare_swords is not None
        or any(s.is_enabled is not True for s in swords.values())
        or any(o.is_enabled is not True for o in orbs.values())
    )
    sources = (list(agent.swords), list(agent.orbs), list(agent.mcp_servers))
    return Gear(swords, orbs, specs, dynamic=dynamic, sources=sources)


async def offered_gear(gear: Gear, ctx: RunContextWrapper[Any], agent: Agent[Any]) -> Gear:
    """The gear offered this turn: enabled swords and orbs, then the agent's `prepare_swords`.

    A sword hidden this turn is unknown to the model if it calls it anyway.
    """
    swords = {
        name: s for name, s in gear.swords.items() if await _enabled(s.is_enabled, ctx, agent)
    }
    orbs = {name: o for name, o in gear.orbs.items() if await _enabled(o.is_enabled, ctx, agent)}
    specs = [s.spec for s in swords.values()] + [o.spec for o in orbs.values()]
    if agent.prepare_swords is not None:
        specs = await _prepared_specs(agent, ctx, specs)
        names = {spec.name for spec in specs}
        swords = {name: s for name, s in swords.items() if name in names}
        orbs = {name: o for name, o in orbs.items() if name in names}
    return Gear(swords, orbs, specs, dynamic=True)


async def _enabled(is_enabled: IsEnabled, ctx: RunContextWrapper[Any], agent: Agent[Any]) -> bool:
    if isinstance(is_enabled, bool):
        return is_enabled
    return bool(await maybe_await(is_enabled(ctx, agent)))


async def _prepared_specs(
    agent: Agent[Any], ctx: RunContextWrapper[Any], specs: list[SwordSpec]
) -> list[SwordSpec]:
    assert agent.prepare_swords is not None
    known = {spec.name for spec in specs}
    result = await maybe_await(agent.prepare_swords(ctx, agent, list(specs)))
    if not isinstance(result, list) or not all(isinstance(s, SwordSpec) for s in result):
        raise UserError(
            f"Agent {agent.name!r}: prepare_swords returned {result!r}; it must return a list "
            "of the SwordSpec objects it was given (filtered, or changed with dataclasses.replace)."
        )
    for spec in result:
        if spec.name not in known:
            raise UserError(
                f"Agent {agent.name!r}: prepare_swords returned a spec named {spec.name!r}, which "
                "is not one of the swords offered; it can drop or change specs, not add swords."
            )
    return result


def _raise_duplicate_sword(agent: Agent[Any], all_swords: Sequence[Sword]) -> None:
    first: dict[str, Sword] = {}
    for sword in all_swords:
        if sword.name in first:
            _raise_duplicate(agent, sword.name, _describe(first[sword.name]), _describe(sword))
        first[sword.name] = sword


def _describe(gear: Sword | Orb) -> str:
    if isinstance(gear, Orb):
        return f"the orb to agent {gear.agent.name!r}"
    origin = getattr(gear, "mcp_server_name", None)
    return f"the sword from MCP server {origin!r}" if origin else f"the sword {gear.name!r}"


def _raise_duplicate(agent: Agent[Any], name: str, first: str, second: str) -> None:
    raise UserError(
        f"Agent {agent.name!r} offers two swords named {name!r}: {first} and {second}. "
        "Rename one (sword(name=...), orb(name=...) or an MCP tool prefix)."
    )
