"""Narrow a wire item (`InputItem`, a union of TypedDicts) to the kind a test expects.

Each helper fails the test when the item is of another kind, so reading a key afterwards is
both type-checked and a check that the item is what the test says it is.
"""

from __future__ import annotations

from typing import cast

from drusilla.models.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputItem,
    MessageItem,
    ReasoningInputItem,
)


def message(item: InputItem) -> MessageItem:
    assert "role" in item and item.get("type", "message") == "message", item
    return cast(MessageItem, item)


def function_call(item: InputItem) -> FunctionCallItem:
    assert item.get("type") == "function_call", item
    return cast(FunctionCallItem, item)


def function_output(item: InputItem) -> FunctionCallOutputItem:
    assert item.get("type") == "function_call_output", item
    return cast(FunctionCallOutputItem, item)


def reasoning(item: InputItem) -> ReasoningInputItem:
    assert item.get("type") == "reasoning", item
    return cast(ReasoningInputItem, item)


def output_text(item: InputItem) -> str:
    """The text a function_call_output item sent back (a test fails on content parts)."""
    output = function_output(item)["output"]
    assert isinstance(output, str), output
    return output


def content_text(item: InputItem) -> str:
    """The text of a message item (a test fails on content parts)."""
    content = message(item)["content"]
    assert isinstance(content, str), content
    return content
