"""The Anthropic Messages API's request and reply shapes, from and to drusilla's items.

Requests: instructions become `system`; items become alternating `user` / `assistant` messages
of content blocks (a sword call is a `tool_use` block, its result a `tool_result` block in the
next user message, so the results of parallel calls travel together); Claude's own thinking
goes back as the signed `thinking` / `redacted_thinking` block it came as, and reasoning from
other models is left out (or sent as text with `include_reasoning`), never in a form the API
rejects. Replies: blocks become items in order; usage counts cache reads and writes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ...util.errors import UserError
from ...util.logging import get_logger
from ...util.usage import Usage
from ..interface import (
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    OutputSpec,
    ReasoningDelta,
    SwordCallDelta,
    SwordSpec,
    TextDelta,
)
from ..items import InputItem, ReasoningInputItem, assistant_message
from ..settings import ModelSettings
from ..wire import (
    EmptyReply,
    IncompleteStream,
    UnexpectedReply,
    arguments_text,
    checked_sword_choice,
    output_text,
    unsupported_item,
)
from ..wire import field as get
from .parts import message_blocks, result_blocks

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "PROVIDER",
    "MessagesStream",
    "messages_input",
    "messages_request",
    "messages_response",
    "messages_usage",
]

PROVIDER = "anthropic"
"""The `provider` of reasoning items this wire signed (items.ReasoningInputItem)."""
DEFAULT_MAX_TOKENS = 4096
"""The Messages API requires `max_tokens`; this when `ModelSettings.max_tokens` is unset."""
_EFFORT_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384}
_DEFAULT_BUDGET = 2048
_ADAPTIVE = re.compile(r"claude-(opus|sonnet|haiku)-(4-[6-9]|[5-9])")
"""Models whose thinking is adaptive (Claude decides how much) when no budget is given."""
_NOT_IN_MESSAGES = ("seed", "frequency_penalty", "presence_penalty", "top_logprobs")
_CACHE = {"type": "ephemeral"}
_NOT_IN_ID = re.compile(r"[^a-zA-Z0-9_-]")
_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


# --- request -------------------------------------------------------------------------------------


def messages_request(request: ModelRequest, model: str, *, stream: bool) -> dict[str, Any]:
    """The body of `POST /v1/messages` (with `extra_body` / `extra_headers` for the post)."""
    settings = request.settings
    system, messages = messages_input(request.input, bool(settings.include_reasoning))
    thinking = _thinking(settings, model)
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": _max_tokens(settings, thinking),
        "messages": messages,
    }
    instructions = "\n\n".join(part for part in (request.instructions, system) if part)
    if instructions:
        body["system"] = instructions
    if thinking is not None:
        body["thinking"] = thinking
    if request.swords:
        body["tools"] = [messages_tool(spec) for spec in request.swords]
        choice = _tool_choice(settings, request.swords, thinking)
        if choice is not None:
            body["tool_choice"] = choice
    output_config = _output_config(request.output, settings)
    if output_config:
        body["output_config"] = output_config
    _sampling(body, settings, model)
    if settings.prompt_cache:
        _mark_cacheable(body)
    if settings.extra_body:
        body["extra_body"] = settings.extra_body
    if settings.extra_headers:
        body["extra_headers"] = settings.extra_headers
    if stream:
        body["stream"] = True
    return body


def messages_tool(spec: SwordSpec) -> dict[str, Any]:
    return {"name": spec.name, "description": spec.description, "input_schema": spec.parameters}


def _max_tokens(settings: ModelSettings, thinking: dict[str, Any] | None) -> int:
    budget = (thinking or {}).get("budget_tokens")
    if settings.max_tokens is None:
        return DEFAULT_MAX_TOKENS + (budget or 0)
    if budget is not None and settings.max_tokens <= budget:
        raise UserError(
            f"ModelSettings(max_tokens={settings.max_tokens}) leaves no room after the "
            f"thinking budget of {budget} tokens (Claude counts thinking in max_tokens): raise "
            "max_tokens or lower the budget in ModelSettings(thinking=...)."
        )
    return settings.max_tokens


def _thinking(settings: ModelSettings, model: str) -> dict[str, Any] | None:
    """Claude's `thinking` for `ModelSettings(thinking=...)`: off, a budget of extended
    thinking (a level or a number of tokens), or adaptive thinking for True on the models
    that have it."""
    thinking = settings.thinking
    if thinking is None:
        return None
    if thinking is False or (thinking == 0 and not isinstance(thinking, str)):
        return {"type": "disabled"}
    if thinking is True and _ADAPTIVE.search(model.lower()):
        return {"type": "adaptive"}
    if isinstance(thinking, str):
        budget = _EFFORT_BUDGETS[thinking]
    elif thinking is True:
        budget = _EFFORT_BUDGETS.get(settings.reasoning_effort or "", _DEFAULT_BUDGET)
    else:
        budget = thinking
    if budget < 1024:
        raise UserError(
            f"ModelSettings(thinking={budget}) is below Claude's minimum thinking budget of "
            "1024 tokens."
        )
    return {"type": "enabled", "budget_tokens": budget}


def _tool_choice(
    settings: ModelSettings, swords: list[SwordSpec], thinking: dict[str, Any] | None
) -> dict[str, Any] | None:
    """`tool_choice` for the sword choice. Claude refuses a forced tool while it thinks, so
    with thinking on a forced choice ("required", a name) is sent as "auto" (the sword is
    still offered)."""
    choice = checked_sword_choice(settings.sword_choice, swords)
    thinks = thinking is not None and thinking["type"] != "disabled"
    if choice is None and settings.parallel_sword_calls is not False:
        return None
    if choice == "none":
        return {"type": "none"}
    if choice in (None, "auto") or thinks:
        wire: dict[str, Any] = {"type": "auto"}
    elif choice == "required":
        wire = {"type": "any"}
    else:
        wire = {"type": "tool", "name": choice}
    if settings.parallel_sword_calls is False:
        wire["disable_parallel_tool_use"] = True
    return wire


def _output_config(output: OutputSpec | None, settings: ModelSettings) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if output is not None and output.mode == "json_schema":
        config["format"] = {"type": "json_schema", "schema": output.schema}
    if settings.reasoning_effort is not None and settings.thinking is not False:
        config["effort"] = settings.reasoning_effort
    return config


def _sampling(body: dict[str, Any], settings: ModelSettings, model: str) -> None:
    if settings.temperature is not None:
        body["temperature"] = settings.temperature
    if settings.top_p is not None:
        body["top_p"] = settings.top_p
    if settings.stop is not None:
        stop = settings.stop
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    ignored = [name for name in _NOT_IN_MESSAGES if getattr(settings, name) is not None]
    if ignored:
        get_logger().warning(
            "model.settings_ignored",
            model=model,
            settings=ignored,
            hint="the Anthropic Messages API has no such parameters",
        )


def _mark_cacheable(body: dict[str, Any]) -> None:
    """`cache_control` on the last block of the instructions, of the swords and of the
    conversation so far: Claude caches the prompt up to each mark (three of its four)."""
    if body.get("system"):
        body["system"] = [{"type": "text", "text": body["system"], "cache_control": _CACHE}]
    if body.get("tools"):
        body["tools"][-1] = {**body["tools"][-1], "cache_control": _CACHE}
    for message in reversed(body["messages"]):
        blocks = message["content"]
        for position in range(len(blocks) - 1, -1, -1):
            if blocks[position]["type"] not in ("thinking", "redacted_thinking"):
                blocks[position] = {**blocks[position], "cache_control": _CACHE}
                return


def messages_input(
    items: list[InputItem], include_reasoning: bool = False
) -> tuple[str | None, list[dict[str, Any]]]:
    """(system text from leading system/developer messages, the messages): blocks of one
    role in a row are one message, as Claude wants a turn's thinking, text and tool uses
    together, and the results of parallel calls in one user message."""
    system: list[str] = []
    messages: list[dict[str, Any]] = []
    for item in items:
        role, blocks = _blocks(item, include_reasoning)
        if role == "system":
            if not messages:
                system.extend(block["text"] for block in blocks)
                continue
            role = "user"  # an instruction mid-conversation: Claude has no system turns
        if not blocks:
            continue
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})
    return ("\n\n".join(system) or None), messages


def _blocks(item: InputItem, include_reasoning: bool) -> tuple[str, list[dict[str, Any]]]:
    kind = item.get("type", "message")
    if kind == "message" and "role" in item:
        role = item["role"]  # type: ignore[typeddict-item]
        content = item["content"]  # type: ignore[typeddict-item]
        if role in ("system", "developer"):
            return "system", [{"type": "text", "text": output_text(content)}]
        return role, message_blocks(content)
    if kind == "function_call":
        block = {
            "type": "tool_use",
            "id": _tool_id(item["call_id"]),  # type: ignore[typeddict-item]
            "name": item["name"],  # type: ignore[typeddict-item]
            "input": _input_object(item["arguments"]),  # type: ignore[typeddict-item]
        }
        return "assistant", [block]
    if kind == "function_call_output":
        block = {
            "type": "tool_result",
            "tool_use_id": _tool_id(item["call_id"]),  # type: ignore[typeddict-item]
            "content": result_blocks(item["output"]),  # type: ignore[typeddict-item]
        }
        return "user", [block]
    if kind == "reasoning":
        return "assistant", _thinking_blocks(item, include_reasoning)  # type: ignore[arg-type]
    raise unsupported_item(item)


def _tool_id(call_id: str) -> str:
    """A call id as Claude takes it (letters, digits, `_` and `-`): ids another model made
    may hold other characters; a call and its result map alike."""
    return _NOT_IN_ID.sub("_", call_id) or "call"


def _input_object(arguments: str) -> dict[str, Any]:
    """A call's arguments as the object `tool_use.input` must be (a call whose arguments were
    not a JSON object, which drusilla answered with an error, is sent with none)."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _thinking_blocks(item: ReasoningInputItem, include_reasoning: bool) -> list[dict[str, Any]]:
    """Claude's own thinking goes back as it came (Claude requires it between tool calls);
    other reasoning carries no signature Claude accepts: left out, or text when asked for."""
    if item.get("provider") == PROVIDER:
        if "signature" in item:
            return [{"type": "thinking", "thinking": item["text"], "signature": item["signature"]}]
        if "encrypted_content" in item:
            return [{"type": "redacted_thinking", "data": item["encrypted_content"]}]
    if include_reasoning and item.get("text"):
        return [{"type": "text", "text": f"<thinking>\n{item['text']}\n</thinking>"}]
    return []


# --- reply ---------------------------------------------------------------------------------------


def messages_usage(usage: Any) -> Usage:
    """Usage in drusilla's terms: `input_tokens` counts the cached ones too (Claude reports
    them apart), `cached_tokens` the cache reads, `cache_write_tokens` the writes."""
    if usage is None:
        return Usage.unreported()
    fresh = get(usage, "input_tokens") or 0
    read = get(usage, "cache_read_input_tokens") or 0
    written = get(usage, "cache_creation_input_tokens") or 0
    output = get(usage, "output_tokens") or 0
    inputs = fresh + read + written
    return Usage(
        requests=1,
        input_tokens=inputs,
        output_tokens=output,
        total_tokens=inputs + output,
        reasoning_tokens=get(get(usage, "output_tokens_details"), "thinking_tokens") or 0,
        cached_tokens=read,
        cache_write_tokens=written,
    )


def messages_response(data: Any) -> ModelResponse:
    content = get(data, "content")
    if not isinstance(content, list):
        if get(data, "type") == "error":
            raise UnexpectedReply(f"an error object instead of a message: {data!r}"[:300])
        raise EmptyReply("the reply has no content blocks")
    return ModelResponse(
        output=blocks_to_items(content),
        usage=messages_usage(get(data, "usage")),
        response_id=get(data, "id"),
        model=get(data, "model"),
        finish_reason=_finish(get(data, "stop_reason")),
    )


def _finish(stop_reason: str | None) -> str | None:
    return _FINISH.get(stop_reason, stop_reason) if stop_reason else None


def blocks_to_items(blocks: list[Any]) -> list[InputItem]:
    """Reply blocks as items, in order; neighbouring text blocks are one message."""
    items: list[InputItem] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            items.append(assistant_message("".join(text)))
            text.clear()

    for block in blocks:
        kind = get(block, "type")
        if kind == "text":
            text.append(get(block, "text") or "")
            continue
        flush()
        if kind == "thinking":
            items.append(_thinking_item(get(block, "thinking") or "", get(block, "signature")))
        elif kind == "redacted_thinking":
            redacted: ReasoningInputItem = {"type": "reasoning", "text": "", "provider": PROVIDER}
            redacted["encrypted_content"] = get(block, "data") or ""
            items.append(redacted)
        elif kind == "tool_use":
            items.append(
                {
                    "type": "function_call",
                    "call_id": get(block, "id") or "",
                    "name": get(block, "name") or "",
                    "arguments": arguments_text(get(block, "input")),
                }
            )
    flush()
    return items


def _thinking_item(text: str, signature: str | None) -> ReasoningInputItem:
    item: ReasoningInputItem = {"type": "reasoning", "text": text, "provider": PROVIDER}
    if signature:
        item["signature"] = signature
    return item


class MessagesStream:
    """Stream events of `POST /v1/messages` as neutral events, then the whole response."""

    __slots__ = ("_blocks", "_calls", "_done", "_message", "_usage")

    def __init__(self) -> None:
        self._message: dict[str, Any] = {}
        self._blocks: dict[int, dict[str, Any]] = {}
        self._calls: dict[int, int] = {}  # block index -> sword call index
        self._usage: dict[str, Any] = {}
        self._done = False

    def feed(self, event: Any) -> list[ModelStreamEvent]:
        kind = get(event, "type")
        if kind == "content_block_delta":
            return self._delta(get(event, "index"), get(event, "delta") or {})
        if kind == "content_block_start":
            return self._start(get(event, "index"), dict(get(event, "content_block") or {}))
        if kind == "message_start":
            self._message = dict(get(event, "message") or {})
            self._usage.update(get(self._message, "usage") or {})
        elif kind == "message_delta":
            self._message.update(get(event, "delta") or {})
            self._usage.update(_delta_usage(get(event, "usage") or {}))
        elif kind == "message_stop":
            self._done = True
        return []

    def _start(self, index: int, block: dict[str, Any]) -> list[ModelStreamEvent]:
        self._blocks[index] = block
        kind = block.get("type")
        if kind == "tool_use":
            block["partial_json"] = ""
            self._calls[index] = len(self._calls)
            return [SwordCallDelta(self._calls[index], "", block.get("id"), block.get("name"))]
        if kind == "text" and block.get("text"):
            return [TextDelta(block["text"])]
        if kind == "thinking" and block.get("thinking"):
            return [ReasoningDelta(block["thinking"])]
        return []

    def _delta(self, index: int, delta: Any) -> list[ModelStreamEvent]:
        block = self._blocks.get(index)
        if block is None:
            raise UnexpectedReply(f"a delta for content block {index}, which never started")
        kind = get(delta, "type")
        if kind == "text_delta":
            piece = get(delta, "text") or ""
            block["text"] = block.get("text", "") + piece
            return [TextDelta(piece)] if piece else []
        if kind == "thinking_delta":
            piece = get(delta, "thinking") or ""
            block["thinking"] = block.get("thinking", "") + piece
            return [ReasoningDelta(piece)] if piece else []
        if kind == "signature_delta":
            block["signature"] = block.get("signature", "") + (get(delta, "signature") or "")
        elif kind == "input_json_delta":
            piece = get(delta, "partial_json") or ""
            block["partial_json"] += piece
            return [SwordCallDelta(self._calls[index], piece)] if piece else []
        return []

    def finish(self) -> list[ModelStreamEvent]:
        if not self._done:
            raise IncompleteStream("the stream ended before message_stop")
        return []

    def response(self) -> ModelResponse:
        blocks = [self._blocks[index] for index in sorted(self._blocks)]
        for block in blocks:
            if block.get("type") == "tool_use":
                block["input"] = _input_object(block.pop("partial_json", ""))
        return ModelResponse(
            output=blocks_to_items(blocks),
            usage=messages_usage(self._usage or None),
            response_id=self._message.get("id"),
            model=self._message.get("model"),
            finish_reason=_finish(self._message.get("stop_reason")),
        )


def _delta_usage(usage: Any) -> dict[str, Any]:
    """The counts of a `message_delta` that replace message_start's: they are cumulative.
    `output_tokens` always counts (message_start's is a placeholder, often 1, and a final 0 is
    real); the optional fields only when set, as some servers send null or 0 for them."""
    return {k: v for k, v in usage.items() if v or k == "output_tokens"}
