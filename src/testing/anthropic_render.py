"""The Anthropic Messages API side of the local test server (`POST /v1/messages`).

Reads a request body back into drusilla's `ModelRequest` (so scripted steps and tests see what
the model was asked in drusilla's terms), checks it against the `anthropic` SDK's own request
types, and renders a `ModelResponse` as a Messages reply: whole JSON, or the server-sent events
Claude streams. Thinking is rendered as a signed `thinking` block (the item's signature, or a
made-up one), or a `redacted_thinking` block for reasoning that is only encrypted data.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
from collections.abc import Iterable
from typing import Any

from ..models.interface import ModelRequest, ModelResponse, OutputSpec, SwordSpec
from ..models.items import InputItem, ReasoningInputItem
from ..models.settings import ModelSettings
from ..util.usage import Usage
from .request_check import InvalidRequest, error_summary, strict_schema
from .wire_render import dumps, split_pieces

__all__ = ["MessagesRenderer", "check_messages_request", "neutral_messages_request"]

_ids = itertools.count(1)
_CHOICES = {"auto": "auto", "any": "required", "none": "none"}


# --- requests: wire -> neutral ------------------------------------------------------------------


def check_messages_request(body: Any, *, allow: Iterable[str] = ()) -> None:
    """Raise `InvalidRequest` unless `body` is a valid `messages.create` body by the
    `anthropic` SDK's types (unknown keys rejected at every level)."""
    if not isinstance(body, dict):
        raise InvalidRequest(f"the body is not a JSON object: {str(body)[:200]!r}")
    skip = frozenset(allow)
    checked = {key: value for key, value in body.items() if key not in skip}
    try:
        _validator(bool(body.get("stream"))).validate_python(checked)
    except Exception as exc:  # pydantic_core.ValidationError
        raise InvalidRequest(error_summary(exc)) from None


@functools.cache
def _validator(stream: bool) -> Any:
    from anthropic.types import message_create_params as params
    from pydantic import TypeAdapter
    from pydantic_core import SchemaValidator

    kind: Any = (
        params.MessageCreateParamsStreaming if stream else params.MessageCreateParamsNonStreaming
    )
    return SchemaValidator(strict_schema(copy.deepcopy(TypeAdapter(kind).core_schema)))


def neutral_messages_request(body: Any) -> ModelRequest | None:
    """The request in drusilla's terms, or None if the body is no Messages request."""
    if not isinstance(body, dict):
        return None
    system = body.get("system")
    instructions = system if isinstance(system, str) or system is None else _text(system)
    items: list[InputItem] = []
    for message in body.get("messages") or []:
        items.extend(_items(message.get("role"), message.get("content")))
    swords = [
        SwordSpec(tool.get("name", ""), tool.get("description") or "", tool.get("input_schema"))
        for tool in body.get("tools") or []
    ]
    return ModelRequest(instructions or None, items, swords, _settings(body), _output(body))


def _text(blocks: Any) -> str:
    if isinstance(blocks, str):
        return blocks
    return "".join(str(block.get("text", "")) for block in blocks if block.get("type") == "text")


def _items(role: Any, content: Any) -> list[InputItem]:
    """A message's blocks as items, in order; neighbouring text and media blocks are one
    message (its text, or its parts when it has media)."""
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    items: list[InputItem] = []
    parts: list[dict[str, Any]] = []

    def flush() -> None:
        if parts:
            only_text = all(part.get("type") == "text" for part in parts)
            items.append({"role": role, "content": _text(parts) if only_text else list(parts)})
            parts.clear()

    for block in content or []:
        item = _item(block)
        if item is None:
            parts.append(block)
        else:
            flush()
            items.append(item)
    flush()
    return items


def _item(block: dict[str, Any]) -> InputItem | None:
    """The item of a block that is no message content (a call, a result, thinking)."""
    kind = block.get("type")
    if kind == "tool_use":
        arguments = json.dumps(block.get("input") or {})
        return {
            "type": "function_call",
            "call_id": block["id"],
            "name": block["name"],
            "arguments": arguments,
        }
    if kind == "tool_result":
        output = block.get("content")
        text = output if isinstance(output, str) else _text(output or [])
        return {"type": "function_call_output", "call_id": block["tool_use_id"], "output": text}
    if kind == "thinking":
        thinking: ReasoningInputItem = {"type": "reasoning", "text": block.get("thinking", "")}
        thinking["provider"] = "anthropic"
        thinking["signature"] = block.get("signature", "")
        return thinking
    if kind == "redacted_thinking":
        redacted: ReasoningInputItem = {"type": "reasoning", "text": "", "provider": "anthropic"}
        redacted["encrypted_content"] = block.get("data", "")
        return redacted
    return None


def _settings(body: dict[str, Any]) -> ModelSettings:
    choice = body.get("tool_choice") or {}
    kind = choice.get("type")
    thinking = body.get("thinking") or {}
    try:
        return ModelSettings(
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            max_tokens=body.get("max_tokens"),
            sword_choice=choice.get("name") if kind == "tool" else _CHOICES.get(str(kind)),
            parallel_sword_calls=False if choice.get("disable_parallel_tool_use") else None,
            stop=body.get("stop_sequences"),
            thinking=_thinking_setting(thinking),
            prompt_cache=True if "cache_control" in json.dumps(body) else None,
        )
    except Exception:  # a body our settings cannot hold still gets an answer
        return ModelSettings()


def _output(body: dict[str, Any]) -> OutputSpec | None:
    output_format = (body.get("output_config") or {}).get("format")
    if not isinstance(output_format, dict) or output_format.get("type") != "json_schema":
        return None
    return OutputSpec("output", output_format.get("schema") or {}, True)


# --- replies: neutral -> wire -------------------------------------------------------------------


class MessagesRenderer:
    """A `ModelResponse` as a Messages API reply, whole or as its stream of events."""

    def __init__(
        self, response: ModelResponse, *, model: str, chunk_size: int | None = None
    ) -> None:
        self.response = response
        self.model = model
        self.chunk_size = chunk_size
        self.id = response.response_id or f"msg_{next(_ids):06d}"
        self.blocks = [block for item in response.output for block in _blocks(item)]

    @property
    def stop_reason(self) -> str:
        if any(block["type"] == "tool_use" for block in self.blocks):
            return "tool_use"
        return "max_tokens" if self.response.finish_reason == "length" else "end_turn"

    def whole(self) -> dict[str, Any]:
        return {
            **self._message(self.blocks),
            "stop_reason": self.stop_reason,
            "usage": usage_json(self.response.usage),
        }

    def events(self) -> list[str]:
        usage = usage_json(self.response.usage)
        start = {**self._message([]), "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
        events = [_event("message_start", {"message": start})]
        for index, block in enumerate(self.blocks):
            events.extend(self._block_events(index, block))
        delta = {"stop_reason": self.stop_reason, "stop_sequence": None}
        events.append(
            _event(
                "message_delta",
                {"delta": delta, "usage": {"output_tokens": usage["output_tokens"]}},
            )
        )
        events.append(_event("message_stop", {}))
        return events

    def _message(self, content: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_sequence": None,
        }

    def _block_events(self, index: int, block: dict[str, Any]) -> list[str]:
        kind = block["type"]
        empty = {
            "text": {"type": "text", "text": ""},
            "thinking": {"type": "thinking", "thinking": "", "signature": ""},
            "tool_use": {**block, "input": {}},
        }.get(kind, block)
        events = [_event("content_block_start", {"index": index, "content_block": empty})]
        for delta in self._deltas(block):
            events.append(_event("content_block_delta", {"index": index, "delta": delta}))
        events.append(_event("content_block_stop", {"index": index}))
        return events

    def _deltas(self, block: dict[str, Any]) -> list[dict[str, Any]]:
        kind = block["type"]
        if kind == "text":
            return [
                {"type": "text_delta", "text": piece}
                for piece in split_pieces(block["text"], self.chunk_size)
            ]
        if kind == "thinking":
            pieces = split_pieces(block["thinking"], self.chunk_size)
            deltas = [{"type": "thinking_delta", "thinking": piece} for piece in pieces]
            return [*deltas, {"type": "signature_delta", "signature": block["signature"]}]
        if kind == "tool_use":
            text = json.dumps(block["input"])
            return [
                {"type": "input_json_delta", "partial_json": piece}
                for piece in split_pieces(text, self.chunk_size or 8)
            ]
        return []


def _blocks(item: InputItem) -> list[dict[str, Any]]:
    kind = item.get("type")
    if kind == "reasoning":
        if item.get("encrypted_content") and not item.get("text"):
            return [{"type": "redacted_thinking", "data": item["encrypted_content"]}]  # type: ignore[typeddict-item]
        signature = item.get("signature") or f"sig-{next(_ids):06d}"
        return [{"type": "thinking", "thinking": item["text"], "signature": signature}]  # type: ignore[typeddict-item]
    if kind == "function_call":
        arguments = json.loads(item["arguments"] or "{}")  # type: ignore[typeddict-item]
        call_id = item["call_id"]  # type: ignore[typeddict-item]
        return [{"type": "tool_use", "id": call_id, "name": item["name"], "input": arguments}]  # type: ignore[typeddict-item]
    if item.get("role") == "assistant":
        content = item["content"]  # type: ignore[typeddict-item]
        text = content if isinstance(content, str) else _text(content)
        return [{"type": "text", "text": text}] if text else []
    return []


def usage_json(usage: Usage) -> dict[str, Any]:
    """Claude's usage object: its `input_tokens` leave out the cached ones."""
    fresh = max(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens)
    wire: dict[str, Any] = {
        "input_tokens": fresh,
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "output_tokens": usage.output_tokens,
    }
    if usage.reasoning_tokens:
        wire["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return wire


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {dumps({'type': kind, **data})}\n\n"


def _thinking_setting(thinking: dict[str, Any]) -> bool | int | None:
    """`ModelSettings.thinking` back from Claude's `thinking` block: off, a budget, or on."""
    if not thinking:
        return None
    if thinking.get("type") == "disabled":
        return False
    budget = thinking.get("budget_tokens")
    return budget if isinstance(budget, int) else True
