"""Conversation items: the provider-neutral shape of everything said in a run.

Items are plain dicts in the shape of OpenAI Responses API input items, so a run's history can be
stored as JSON, fed back as the next run's input, and converted to any wire format:

- a message: ``{"role": "user" | "assistant" | "system" | "developer", "content": str | [parts]}``
- a sword call the model made: ``{"type": "function_call", "call_id", "name", "arguments"}``
- its result: ``{"type": "function_call_output", "call_id", "output"}``; ``output`` is text, or
  Responses-style content parts (``input_text``, ``input_image``) when a sword returns images
- reasoning: ``{"type": "reasoning", "text": str}`` plus provider fields (``id``, ``summary``,
  ``encrypted_content``) the Responses API needs to take it back.

Any item a model produced may carry ``signature``: opaque data its provider needs back unchanged
in the next request (Claude's signed thinking, Gemini's thought signatures), with ``provider``
naming the wire that made it (``"anthropic"``, ``"google"``). A model sends a signature back
only to the provider named; items from another provider are converted without it. Claude's
redacted thinking is a reasoning item with ``text: ""`` and its data in ``encrypted_content``.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

from ..util.errors import UserError
from ..util.surrogates import replace_lone_surrogates
from .known_items import known_conversations

__all__ = [
    "FunctionCallItem",
    "FunctionCallOutputItem",
    "InputItem",
    "MessageItem",
    "ReasoningInputItem",
    "assistant_message",
    "check_input_items",
    "function_call",
    "function_call_output",
    "item_problem",
    "message_text",
    "reasoning_item",
    "user_message",
    "without_lone_surrogates",
]


class MessageItem(TypedDict):
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[dict[str, Any]]
    type: NotRequired[Literal["message"]]
    id: NotRequired[str]
    signature: NotRequired[str]
    provider: NotRequired[str]


class FunctionCallItem(TypedDict):
    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str
    id: NotRequired[str]
    signature: NotRequired[str]
    provider: NotRequired[str]


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
    """Opaque reasoning the provider encrypted (OpenAI's, or Claude's redacted thinking)."""
    signature: NotRequired[str]
    """The provider's proof that `text` is its own (Claude's thinking signature)."""
    provider: NotRequired[str]
    """The wire whose `signature` / `encrypted_content` these are ("anthropic"; absent:
    OpenAI's); other wires send such reasoning as text, or not at all."""


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


_ROLES = ("user", "assistant", "system", "developer")
_TEXT_OR_PARTS = "a string or a list of content parts (dicts with a type)"
_REQUIRED: dict[str, tuple[tuple[str, str], ...]] = {
    "function_call": (("call_id", "str"), ("name", "str"), ("arguments", "str")),
    "function_call_output": (("call_id", "str"), ("output", "parts")),
    "reasoning": (("text", "str"),),
}


def check_input_items(items: list[Any]) -> list[InputItem]:
    """`items` if each is a well-formed conversation item, else a UserError naming the first
    bad one, what is wrong with it and what a good one looks like. A head that is a conversation
    checked before (models/known_items.py) is not checked again. (One comprehension: long
    histories come through here; the message is built only for a bad one.)"""
    start = known_conversations.known_head(items)
    problems = [item_problem(item) for item in items[start:]]
    known_conversations.items_checked += len(problems)
    if any(problems):
        for position, (item, problem) in enumerate(zip(items[start:], problems, strict=True)):
            if problem:
                raise UserError(
                    f"input[{start + position}]={item!r} is not a conversation item: {problem}. "
                    'Pass a string, or a list of dicts such as {"role": "user", "content": '
                    '"..."} (result.to_input_list() gives one).'
                )
    checked = list(items)
    known_conversations.remember(checked)
    return checked


def without_lone_surrogates(items: list[Any]) -> list[Any]:
    """`items` with lone surrogates replaced (util/surrogates.py) past a known head, which was
    cleared when it was checked; the same list when there was nothing to replace."""
    start = known_conversations.known_head(items, keep=True)  # check_input_items asks next
    if start == 0:
        return replace_lone_surrogates(items)
    tail = items[start:]
    fixed = replace_lone_surrogates(tail)
    return items if fixed is tail else items[:start] + fixed


def item_problem(item: Any) -> str | None:
    """What is wrong with `item` as a conversation item (None: nothing)."""
    if not isinstance(item, dict) or not ("role" in item or "type" in item):
        return "it has neither a role nor a type"
    if "role" in item:
        if item["role"] not in _ROLES:
            return f"role must be one of {', '.join(_ROLES)}"
        return _field_problem(item, "content", "parts")
    if not isinstance(item["type"], str):
        return "its type must be a string"
    for name, kind in _REQUIRED.get(item["type"], ()):
        problem = _field_problem(item, name, kind)
        if problem:
            return problem
    return None


def _field_problem(item: dict[str, Any], name: str, kind: str) -> str | None:
    if name not in item:
        return f"it has no {name!r}"
    value = item[name]
    if kind == "str" and not isinstance(value, str):
        return f"{name!r} must be a string, not {type(value).__name__}"
    if kind == "parts" and not (
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(part, dict) for part in value))
    ):
        return f"{name!r} must be {_TEXT_OR_PARTS}, not {type(value).__name__}"
    return None
