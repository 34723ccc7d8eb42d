"""What a durable run publishes, on any engine: pending approvals and its stream of events.

Both are plain dicts, so a process with another drusilla (or none: a shell with `drusilla runs`)
can read them from the engine's store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..agents.agent import Agent
from ..runners.events import (
    RawResponseEvent,
    RunItemStreamEvent,
    StreamEvent,
    SwordProgressEvent,
)
from ..runners.run import Runner
from ..util.errors import UserError

__all__ = ["PendingApproval", "agents_by_name", "pending_dict", "plain_event"]


@dataclass(frozen=True)
class PendingApproval:
    """A sword call waiting for a person's decision in a durable run."""

    run_id: str
    call_id: str
    sword: str
    arguments: Any
    agent: str
    decision: str | None = None
    """'approved' or 'rejected' once decided, until the run reads the decision."""


def pending_dict(item: Any) -> dict[str, Any]:
    """A `SwordApprovalItem` as published while its run waits: a `PendingApproval` sans run."""
    return {
        "call_id": item.call_id,
        "sword": item.sword_name,
        "arguments": item.arguments,
        "agent": item.agent_name,
    }


Publish = Callable[[dict[str, Any]], Awaitable[None]]
"""Where a durable engine puts a streamed run's events (`handle.stream_events()` reads them)."""


async def run_publishing(
    agent: Agent[Any], input: Any, options: dict[str, Any], publish: Publish | None
) -> Any:
    """One `Runner.run` inside a durable run; with `publish`, streamed, and each event
    `plain_event` keeps published as it comes."""
    if publish is None:
        return await Runner.run(agent, input, **options)
    streamed = await Runner.run_streamed(agent, input, **options)
    async for event in streamed.stream_events():
        published = plain_event(event)
        if published is not None:
            await publish(published)
    return streamed


def plain_event(event: StreamEvent) -> dict[str, Any] | None:
    """A run's stream event as the dict `handle.stream_events()` yields (None: not published)."""
    if isinstance(event, RawResponseEvent):
        delta = getattr(event.data, "delta", None)
        return {"type": event.data.type, "delta": delta} if delta else None
    if isinstance(event, RunItemStreamEvent):
        return {"type": event.name, "item": event.item.to_input_item()}
    if isinstance(event, SwordProgressEvent):
        return {
            "type": event.type,
            "sword": event.sword_name,
            "call_id": event.call_id,
            "progress": event.progress,
            "total": event.total,
            "message": event.message,
        }
    return {"type": "agent_updated", "agent": event.new_agent.name}


def agents_by_name(agents: Sequence[Agent[Any]], owner: str) -> dict[str, Agent[Any]]:
    """The agents a durable runner may start with, by their (unique) names."""
    named: dict[str, Agent[Any]] = {}
    for agent in agents:
        if not isinstance(agent, Agent):
            raise UserError(f"{owner}(agents=...) takes Agents, got {agent!r}.")
        if agent.name in named and named[agent.name] is not agent:
            raise UserError(
                f"{owner}(agents=...) has two agents named {agent.name!r}; durable runs "
                "find their agent by name, so names must be unique."
            )
        named[agent.name] = agent
    if not named:
        raise UserError(f"{owner}(agents=[...]) needs at least one agent.")
    return named


class DurableAgents:
    """A durable runner's agents by name, each made durable (its seams made steps) on first
    use and kept."""

    def __init__(
        self,
        agents: Sequence[Agent[Any]],
        owner: str,
        make_durable: Callable[[Agent[Any]], Agent[Any]],
    ) -> None:
        self.by_name = agents_by_name(agents, owner)
        self._owner = owner
        self._make_durable = make_durable
        self._durable: dict[str, Agent[Any]] = {}

    def durable(self, name: str) -> Agent[Any]:
        """The registered agent `name`, made durable once; a `UserError` naming the
        registered ones when there is none."""
        if name not in self.by_name:
            known = ", ".join(sorted(self.by_name)) or "(none)"
            raise UserError(
                f"No agent named {name!r} is registered with this {self._owner} (known: "
                f"{known}). Pass it in {self._owner}(agents=[...])."
            )
        durable = self._durable.get(name)
        if durable is None:
            durable = self._durable[name] = self._make_durable(self.by_name[name])
        return durable
