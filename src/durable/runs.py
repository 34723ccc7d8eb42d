"""What a durable run publishes, on any engine: pending approvals and its stream of events.

Both are plain dicts, so a process with another drusilla (or none: a shell with `drusilla runs`)
can read them from the engine's store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..agents.agent import Agent
from ..runners.events import (
    RawResponseEvent,
    RunItemStreamEvent,
    StreamEvent,
    SwordProgressEvent,
)
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
