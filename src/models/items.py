"""Conversation items: the provider-neutral shape of everything said in a run.

Items are plain dicts in the shape of OpenAI Responses API input items, so a run's history can be
stored as JSON, fed back as the next run's input, and converted to any wire format:

- a message: ``{"role": "user" | "assistant" | "system" | "developer", "content": str | [parts]}``
- a sword call the model made: ``{"type": "function_call", "call_id", "name", "arguments"}``
- its result: ``{"type": "function_call_output", "call_id", "output"}``; ``output`` is text, or
  Responses-style content parts (``input_text``, ``input_image``) when a sword returns images
- reasoning: ``{"type": "reasoning", "text": str}`` plus provider fields (``id``, ``summary``,
  ``encrypted_content``) the Responses API needs to take it back.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

__all__ = [
    "FunctionCallItem",
    "FunctionCallOutputItem",
    "InputItem",
    "MessageItem",
    "ReasoningInputItem",
    "assistant_message",
    "function_call",
    "function_call_output",
    "message_text",
    "reasoning_item",
    "user_message",
]


class MessageItem(TypedDict):
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[dict[str, Any]]
    type: NotRequired[Literal["message"]]
    id: NotRequired[str]


class FunctionCallItem(TypedDict):
    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str
    id: NotRequired[str]


class FunctionCallOutputItem(TypedDict):
    type: Literal["function_call_output"]
    call_id: str
    output: str | list[dict[str, Any]]


class ReasoningInputItem(TypedDict):
    type: Literal["reasoning"]
    text: str
    id: NotRequired[str]
    summary: NotRequired[list[dict[str, Any]]]
    encrypted_content: NotRequired[str]


InputItem: TypeAlias = MessageItem | FunctionCallItem | FunctionCallOutputItem | ReasoningInputItem


def user_message(content: str) -> MessageItem:
    return {"role": "user", "content": content}


def assistant_message(content: str) -> MessageItem:
    return {"role": "assistant", "content": content}


def function_call(call_id: str, name: str, arguments: str) -> FunctionCallItem:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


def function_call_output(
    call_id: str, output: str | list[dict[str, Any]]
) -> FunctionCallOutputItem:
    return {"type": "function_call_output", "call_id": call_id, "output": output}


def reasoning_item(text: str) -> ReasoningInputItem:
    return {"type": "reasoning", "text": text}


def message_text(item: MessageItem) -> str:
    """The text of a message, whether its content is a string or a list of parts."""
    content = item["content"]
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
