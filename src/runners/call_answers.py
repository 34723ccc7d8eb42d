"""A call answered with text instead of a sword's result: a rejection, invalid arguments, a
final-output call not taken, an orb ignored, a validator's retry — every call gets an answer,
so the conversation stays valid for the next model call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models.items import function_call_output
from .items import SwordCallOutputItem

if TYPE_CHECKING:
    from ..agents.agent import Agent

__all__ = ["answer_call"]

_TEXT: Any = object()


def answer_call(
    agent: Agent[Any], call_id: str, text: str, output: Any = _TEXT
) -> SwordCallOutputItem:
    """The run item answering call `call_id` with `text`; its `output` is the text itself
    unless another value stands behind it (an accepted final output)."""
    raw = function_call_output(call_id, text)
    return SwordCallOutputItem(agent, raw, text if output is _TEXT else output)
