"""Helpers shared by the Chat Completions and Responses wire conversions.

The conversions read the `openai` client's reply objects by attribute and plain dicts by key
(`field`), so they work on both and never copy a reply to read it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..util.errors import UserError
from .interface import SwordSpec
from .items import InputItem

__all__ = [
    "EmptyReply",
    "IncompleteStream",
    "UnexpectedReply",
    "arguments_text",
    "as_dict",
    "checked_sword_choice",
    "describe_item",
    "field",
    "new_call_id",
    "output_text",
    "unsupported_item",
]


class UnexpectedReply(Exception):
    """The server's reply is not what the protocol promises (the model turns it into a
    `ModelError` naming the model and server)."""


class IncompleteStream(UnexpectedReply):
    """The stream ended before the model said it was done (a truncated or cut stream)."""


class EmptyReply(UnexpectedReply):
    """A well-formed reply that carries no answer at all (no choices, no output items): never
    taken as an empty answer, and retried (a second attempt usually answers)."""


def field(obj: Any, name: str) -> Any:
    """`obj.name` or `obj[name]`, None when absent."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def as_dict(obj: Any) -> dict[str, Any]:
    """A plain dict of a reply object (for the few parts kept as they are, e.g. logprobs)."""
    if isinstance(obj, dict):
        return obj
    dump = getattr(obj, "model_dump", None)
    if dump is not None:
        return dump(exclude_none=True)  # type: ignore[no-any-return]
    return dict(vars(obj))


def new_call_id() -> str:
    """An id for a sword call whose server sent none (some local servers do not)."""
    return f"call_{uuid.uuid4().hex[:24]}"


def arguments_text(arguments: Any) -> str:
    """Sword-call arguments as JSON text; "" (no arguments) becomes "{}"."""
    if arguments is None:
        return "{}"
    if not isinstance(arguments, str):
        return json.dumps(arguments)
    return arguments if arguments.strip() else "{}"


def checked_sword_choice(choice: str | None, swords: list[SwordSpec]) -> str | None:
    """The sword choice to send, or None when there is nothing to choose from.

    "auto", "required" and "none" pass; any other value must name one of the offered swords.
    """
    if choice is None or not swords:
        return None
    if choice in ("auto", "required", "none"):
        return choice
    if not any(spec.name == choice for spec in swords):
        offered = ", ".join(spec.name for spec in swords)
        raise UserError(
            f"sword_choice={choice!r} names no sword this agent offers ({offered}). Use 'auto', "
            "'required', 'none' or one of those names."
        )
    return choice


def output_text(output: Any) -> str:
    """A sword result as text for the wire (results are text; anything else becomes JSON)."""
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "".join(str(field(part, "text") or "") for part in output)
    return json.dumps(output)


def describe_item(item: InputItem | Any) -> str:
    text = repr(item)
    return text if len(text) <= 200 else text[:200] + "…"


def unsupported_item(item: Any) -> UserError:
    return UserError(
        f"Cannot send the conversation item {describe_item(item)} to the model: items are "
        'messages ({"role", "content"}) or have type function_call, function_call_output '
        "or reasoning."
    )
