"""Run items: what a run produced, each tied to the agent that produced it.

`raw_item` is the conversation item (see `drusilla.models.items`); `to_input_item()` gives it
back for the next run's input or a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

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
    "MessageOutputItem",
    "OrbCallItem",
    "OrbOutputItem",
    "ReasoningItem",
    "RunItem",
    "SwordCallItem",
    "SwordCallOutputItem",
]


@dataclass(slots=True, eq=False)
class MessageOutputItem:
    agent: Agent[Any]
    raw_item: MessageItem
    type: ClassVar[str] = "message_output_item"

    @property
    def text(self) -> str:
        return message_text(self.raw_item)

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class SwordCallItem:
    agent: Agent[Any]
    raw_item: FunctionCallItem
    type: ClassVar[str] = "sword_call_item"

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class SwordCallOutputItem:
    agent: Agent[Any]
    raw_item: FunctionCallOutputItem
    output: Any
    """What the sword returned (the model saw `raw_item["output"]`: its text form, or content
    parts when the output carries images)."""
    type: ClassVar[str] = "sword_call_output_item"

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class OrbCallItem:
    agent: Agent[Any]
    raw_item: FunctionCallItem
    type: ClassVar[str] = "orb_call_item"

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class OrbOutputItem:
    agent: Agent[Any]
    raw_item: FunctionCallOutputItem
    source_agent: Agent[Any]
    target_agent: Agent[Any]
    type: ClassVar[str] = "orb_output_item"

    def to_input_item(self) -> InputItem:
        return self.raw_item


@dataclass(slots=True, eq=False)
class ReasoningItem:
    """A model's reasoning (thinking) for one turn."""

    agent: Agent[Any]
    raw_item: ReasoningInputItem
    type: ClassVar[str] = "reasoning_item"

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
