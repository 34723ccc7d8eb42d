"""Run items: what a run produced, each tied to the agent that produced it.

`raw_item` is the conversation item (see `drusilla.models.items`); `to_input_item()` gives it
back for the next run's input or a session.

Each item class says what the rest of the runner needs to know about it, so nothing else keeps
a table of item kinds:

- `type`: its kind, the discriminator of the `RunItem` union (a saved `RunState` names it);
- `wire_type`: the `type` of its conversation item (`raw_item`), which a saved state's check
  holds it to (runners/state_schema.py);
- `event`: the `name` of the `RunItemStreamEvent` a streamed run sends when the item is made;
- `agent_fields`: its fields that hold agents. A saved `RunState` writes those as the agent's
  name (and finds the agent again by name); every other field is written as JSON.

A new kind of run item is a class here, added to `RunItem` and its `event` to
`RunItemEventName`; the stream, `RunState.to_json()` and `from_json()` then know it
(docs/architecture.md, "How to add a run item").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, get_args

from ..models.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputItem,
    MessageItem,
    ReasoningInputItem,
    message_text,
)

if TYPE_CHECKING:
    from ..agents.agent import Agent


__all__ = [
    "RUN_ITEM_KINDS",
    "MessageOutputItem",
    "OrbCallItem",
    "OrbOutputItem",
    "ReasoningItem",
    "RunItem",
    "RunItemEventName",
    "SwordApprovalItem",
    "SwordCallItem",
    "SwordCallOutputItem",
]


@dataclass(slots=True, eq=False)
class MessageOutputItem:
    """A message the model answered with."""

    agent: Agent[Any]
    raw_item: MessageItem
    type: ClassVar[Literal["message_output_item"]] = "message_output_item"
    wire_type: ClassVar[str] = "message"
    event: ClassVar[Literal["message_output_created"]] = "message_output_created"
    agent_fields: ClassVar[tuple[str, ...]] = ("agent",)

    @property
    def text(self) -> str:
        return message_text(self.raw_item)

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class SwordCallItem:
    """A sword call the model asked for."""

    agent: Agent[Any]
    raw_item: FunctionCallItem
    type: ClassVar[Literal["sword_call_item"]] = "sword_call_item"
    wire_type: ClassVar[str] = "function_call"
    event: ClassVar[Literal["sword_called"]] = "sword_called"
    agent_fields: ClassVar[tuple[str, ...]] = ("agent",)

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class SwordCallOutputItem:
    """A sword call's result, as the model is shown it."""

    agent: Agent[Any]
    raw_item: FunctionCallOutputItem
    output: Any
    """What the sword returned (the model saw `raw_item["output"]`: its text form, or content
    parts when the output carries images)."""
    type: ClassVar[Literal["sword_call_output_item"]] = "sword_call_output_item"
    wire_type: ClassVar[str] = "function_call_output"
    event: ClassVar[Literal["sword_output"]] = "sword_output"
    agent_fields: ClassVar[tuple[str, ...]] = ("agent",)

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class OrbCallItem:
    """An orb (handoff) the model asked for."""

    agent: Agent[Any]
    raw_item: FunctionCallItem
    type: ClassVar[Literal["orb_call_item"]] = "orb_call_item"
    wire_type: ClassVar[str] = "function_call"
    event: ClassVar[Literal["orb_requested"]] = "orb_requested"
    agent_fields: ClassVar[tuple[str, ...]] = ("agent",)

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class OrbOutputItem:
    """An orb taken: the run moved from `source_agent` to `target_agent`."""

    agent: Agent[Any]
    raw_item: FunctionCallOutputItem
    source_agent: Agent[Any]
    target_agent: Agent[Any]
    type: ClassVar[Literal["orb_output_item"]] = "orb_output_item"
    wire_type: ClassVar[str] = "function_call_output"
    event: ClassVar[Literal["orb_occurred"]] = "orb_occurred"
    agent_fields: ClassVar[tuple[str, ...]] = ("agent", "source_agent", "target_agent")

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class ReasoningItem:
    """A model's reasoning (thinking) for one turn."""

    agent: Agent[Any]
    raw_item: ReasoningInputItem
    type: ClassVar[Literal["reasoning_item"]] = "reasoning_item"
    wire_type: ClassVar[str] = "reasoning"
    event: ClassVar[Literal["reasoning_item_created"]] = "reasoning_item_created"
    agent_fields: ClassVar[tuple[str, ...]] = ("agent",)

    @property
    def text(self) -> str:
        return self.raw_item["text"]

    def to_input_item(self) -> InputItem:
        return self.raw_item


RunItem: TypeAlias = (
    MessageOutputItem
    | SwordCallItem
    | SwordCallOutputItem
    | OrbCallItem
    | OrbOutputItem
    | ReasoningItem
)

RunItemEventName: TypeAlias = Literal[
    "message_output_created",
    "sword_called",
    "sword_output",
    "orb_requested",
    "orb_occurred",
    "reasoning_item_created",
]
"""The `event` of every `RunItem` class: mypy checks the stream's events against it, a test
that it names no event of a class no longer in the union."""

RUN_ITEM_KINDS: dict[str, type[RunItem]] = {kind.type: kind for kind in get_args(RunItem)}
"""Each `RunItem` class by its `type`: how a saved `RunState` finds the class of an item."""


@dataclass(slots=True, eq=False)
class SwordApprovalItem:
    """A sword call waiting for a person's decision: `state.approve(item)` or `state.reject(item)`.

    Not a run item (it is not part of the conversation): it is in `result.interruptions`.
    """

    agent: Agent[Any]
    raw_item: FunctionCallItem
    type: ClassVar[Literal["sword_approval_item"]] = "sword_approval_item"
    agent_fields: ClassVar[tuple[str, ...]] = ("agent",)

    @property
    def call_id(self) -> str:
        return self.raw_item["call_id"]

    @property
    def sword_name(self) -> str:
        return self.raw_item["name"]

    @property
    def agent_name(self) -> str:
        return self.agent.name

    @property
    def arguments(self) -> Any:
        """The call's arguments parsed from JSON (the raw text when they are not JSON)."""
        try:
            return json.loads(self.raw_item["arguments"] or "{}")
        except json.JSONDecodeError:
            return self.raw_item["arguments"]

    def __repr__(self) -> str:
        return (
            f"SwordApprovalItem(agent={self.agent.name!r}, sword={self.sword_name!r}, "
            f"call_id={self.call_id!r})"
        )
