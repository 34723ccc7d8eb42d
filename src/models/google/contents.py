"""drusilla's conversation items as Gemini `contents`: turns of role "user" and "model".

Gemini's own items go back as they came: thoughts as `thought` parts, and every thought
signature on the part it came on (`signature` of an item whose `provider` is "google").
Items from another provider are converted: their reasoning is left out (unless
`include_reasoning`: then it is a thought part without a signature), and their sword calls get
the placeholder signature Google documents for calls it did not make, so a Gemini 3 model,
which requires a signature on every call of the current turn, takes them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..items import InputItem
from ..wire import output_text, unsupported_item
from .media import media_part

__all__ = ["PROVIDER", "gemini_contents"]

PROVIDER = "google"
_FOREIGN_CALL_SIGNATURE = b"skip_thought_signature_validator"
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})


async def gemini_contents(items: list[InputItem], include_reasoning: bool) -> list[dict[str, Any]]:
    """The `contents` of a request: consecutive parts of one role merged into one turn."""
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for item in items:
        role, parts = await _parts(item, names, include_reasoning)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return contents


async def _parts(
    item: InputItem, names: dict[str, str], include_reasoning: bool
) -> tuple[str, list[dict[str, Any]]]:
    kind = item.get("type", "message")
    raw: dict[str, Any] = item  # type: ignore[assignment]
    if kind == "message" and "role" in item:
        if raw["role"] == "assistant":
            part = _signed({"text": _text(raw["content"])}, raw)
            # Gemini refuses an empty text part; one that carries a signature must go back.
            return "model", [part] if part["text"] or "thought_signature" in part else []
        return "user", await _user_parts(raw["content"])
    if kind == "function_call":
        names[raw["call_id"]] = raw["name"]
        call = {"id": raw["call_id"], "name": raw["name"], "args": _arguments(raw["arguments"])}
        part = _signed({"function_call": call}, raw)
        part.setdefault("thought_signature", _FOREIGN_CALL_SIGNATURE)
        return "model", [part]
    if kind == "function_call_output":
        return "user", await _function_response(raw, names)
    if kind == "reasoning":
        own = raw.get("provider") == PROVIDER
        if not (own or include_reasoning) or not (raw.get("text") or raw.get("signature")):
            return "model", []
        return "model", [_signed({"text": raw.get("text", ""), "thought": True}, raw)]
    raise unsupported_item(item)


def _signed(part: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """`part` with the item's thought signature, if Gemini made it."""
    if item.get("provider") == PROVIDER and item.get("signature"):
        part["thought_signature"] = base64.b64decode(item["signature"])
    return part


async def _user_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    parts = []
    for part in content:
        if part.get("type") in _TEXT_PARTS:
            parts.append({"text": part["text"]})
        else:
            parts.append(await media_part(part))
    return parts


async def _function_response(item: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """The sword's result; images it returned follow it as parts of the same user turn (every
    Gemini model takes those, not only those that take images inside a function response)."""
    output = item["output"]
    call_id = item["call_id"]
    response = {
        "id": call_id,
        "name": names.get(call_id, call_id),
        "response": {"output": output_text(output)},
    }
    parts = [{"function_response": response}]
    if isinstance(output, list):
        media = [part for part in output if part.get("type") not in _TEXT_PARTS]
        parts.extend([await media_part(part) for part in media])
    return parts


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))


def _arguments(arguments: str) -> dict[str, Any]:
    """Arguments as the object Gemini wants (a call whose arguments are not a JSON object, from
    another model, keeps them under "arguments")."""
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": value}
