"""Helpers shared by the Chat Completions and Responses wire conversions.

The conversions read the `openai` client's reply objects by attribute and plain dicts by key
(`field`), so they work on both and never copy a reply to read it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from ..util.errors import UserError
from .interface import ModelRequest, SwordSpec
from .items import InputItem

__all__ = [
    "EmptyReply",
    "IncompleteStream",
    "UnexpectedReply",
    "arguments_text",
    "as_dict",
    "checked_sword_choice",
    "describe_item",
    "expect_event_stream",
    "field",
    "new_call_id",
    "output_text",
    "prompt_cache_key",
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


def prompt_cache_key(request: ModelRequest) -> str | None:
    """The `prompt_cache_key` of `ModelSettings(prompt_cache=...)` on OpenAI-compatible wires:
    the key given, or for True one derived from the instructions and the swords, so requests
    that share that prefix share a cache; None when prompt caching is not asked for."""
    wanted = request.settings.prompt_cache
    if isinstance(wanted, str):
        return wanted
    if not wanted:
        return None
    prefix = "\n".join([request.instructions or "", *(spec.name for spec in request.swords)])
    return "drusilla-" + hashlib.sha256(prefix.encode()).hexdigest()[:16]


async def expect_event_stream(wire: Any) -> None:
    """A streamed request must be answered with an event stream. A proxy's HTML page or a JSON
    object (an error, or a server that ignored `stream`) at HTTP 200 would otherwise read as
    a stream that ended early."""
    kind = wire.response.headers.get("content-type", "")
    if not kind.startswith(("text/html", "application/json")):
        return
    try:
        text = (await wire.response.aread()).decode("utf-8", "replace")
    finally:
        await wire.close()
    raise UnexpectedReply(
        f"a streamed request was answered with {kind.split(';')[0]} instead of an event stream: "
        f"{' '.join(text.split())[:300]!r}"
    )
