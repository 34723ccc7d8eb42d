"""Events of `RunResultStreaming.stream_events()`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ..models.interface import ModelStreamEvent
from ..tools.sword_run import SwordProgressEvent
from .items import RunItem, RunItemEventName

if TYPE_CHECKING:
    from ..agents.agent import Agent

__all__ = [
    "AgentUpdatedStreamEvent",
    "RawResponseEvent",
    "RunItemEventName",
    "RunItemStreamEvent",
    "StreamEvent",
    "SwordProgressEvent",
]


@dataclass(slots=True)
class RawResponseEvent:
    """A delta from the model as it arrives: `TextDelta`, `ReasoningDelta` or `SwordCallDelta`."""

    data: ModelStreamEvent
    type: Literal["raw_response_event"] = "raw_response_event"


@dataclass(slots=True)
class RunItemStreamEvent:
    """A run item as it is made (a message, a sword call, its output, an orb ...); `name` is
    the item class's `event`."""

    name: RunItemEventName
    item: RunItem
    type: Literal["run_item_stream_event"] = "run_item_stream_event"


@dataclass(slots=True)
class AgentUpdatedStreamEvent:
    """The run moved to another agent (an orb was taken)."""

    new_agent: Agent[Any]
    type: Literal["agent_updated_stream_event"] = "agent_updated_stream_event"


StreamEvent: TypeAlias = (
    RawResponseEvent | RunItemStreamEvent | AgentUpdatedStreamEvent | SwordProgressEvent
)
"""`SwordProgressEvent`: a sword (an MCP tool) reported progress while it runs."""
