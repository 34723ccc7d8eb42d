"""The Responses API on the wire: our request as `responses.create` arguments, and the reply
(whole or streamed) back as a `ModelResponse` and neutral stream events.

Our conversation items already have the Responses input shape, so the input side is mostly
a pass-through; reasoning is left out unless `include_reasoning`.
"""

from __future__ import annotations

from typing import Any

from ...util.errors import ModelError
from ...util.logging import get_logger
from ...util.usage import Usage, reported_cost
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
from ..items import InputItem, ReasoningInputItem, assistant_message, reasoning_item
from ..reasoning import ThinkTagParser, split_think_tags
from ..wire import (
    EmptyReply,
    IncompleteStream,
    UnexpectedReply,
    arguments_text,
    as_dict,
    checked_sword_choice,
    new_call_id,
    output_text,
    prompt_cache_key,
    unsupported_item,
)
from ..wire import (
    field as get,
)

__all__ = [
    "ResponsesStream",
    "responses_input",
    "responses_request",
    "responses_response",
    "responses_text_format",
    "responses_tool",
    "responses_usage",
]

# Chat Completions settings the Responses API has no parameter for.
_NOT_IN_RESPONSES = ("seed", "stop", "frequency_penalty", "presence_penalty")


# --- request -----------------------------------------------------------------------------------


def responses_request(request: ModelRequest, model: str, *, stream: bool) -> dict[str, Any]:
    """Keyword arguments for `client.responses.create`."""
    settings = request.settings
    include_reasoning = bool(settings.include_reasoning)
    kwargs: dict[str, Any] = {
        "model": model,
        "input": responses_input(request.input, include_reasoning),
    }
    if request.instructions:
        kwargs["instructions"] = request.instructions
    if request.swords:
        kwargs["tools"] = [responses_tool(spec) for spec in request.swords]
        choice = checked_sword_choice(settings.sword_choice, request.swords)
        if choice is not None:
            kwargs["tool_choice"] = (
                choice
                if choice in ("auto", "required", "none")
                else {"type": "function", "name": choice}
            )
        if settings.parallel_sword_calls is not None:
            kwargs["parallel_tool_calls"] = settings.parallel_sword_calls
    if request.output is not None:
        kwargs["text"] = {"format": responses_text_format(request.output)}
    if settings.temperature is not None:
        kwargs["temperature"] = settings.temperature
    if settings.top_p is not None:
        kwargs["top_p"] = settings.top_p
    if settings.max_tokens is not None:
        kwargs["max_output_tokens"] = settings.max_tokens
    cache_key = prompt_cache_key(request)
    if cache_key is not None:
        kwargs["prompt_cache_key"] = cache_key
    include: list[str] = []
    if settings.top_logprobs is not None:
        kwargs["top_logprobs"] = settings.top_logprobs
        include.append("message.output_text.logprobs")
    if settings.reasoning_effort is not None:
        kwargs["reasoning"] = {"effort": settings.reasoning_effort, "summary": "auto"}
    if include_reasoning:
        include.append("reasoning.encrypted_content")
    if include:
        kwargs["include"] = include
    ignored = [name for name in _NOT_IN_RESPONSES if getattr(settings, name) is not None]
    if ignored:
        get_logger().warning(
            "model.settings_ignored",
            model=model,
            settings=ignored,
            hint="the Responses API has no such parameters; use extra_body or OpenAIChatModel",
        )
    if settings.extra_body:
        kwargs["extra_body"] = settings.extra_body
    if settings.extra_headers:
        kwargs["extra_headers"] = settings.extra_headers
    if stream:
        kwargs["stream"] = True
    return kwargs


def responses_tool(spec: SwordSpec) -> dict[str, Any]:
    # `strict` is always sent: the Responses API takes a missing `strict` as true.
    return {
        "type": "function",
        "name": spec.name,
        "description": spec.description,
        "parameters": spec.parameters,
        "strict": spec.strict,
    }


def responses_text_format(output: OutputSpec) -> dict[str, Any]:
    if output.mode == "json_object":
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "name": output.name,
        "schema": output.schema,
        "strict": output.strict,
    }


def responses_input(
    items: list[InputItem], include_reasoning: bool = False
) -> list[dict[str, Any]]:
    converted: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type", "message")
        if kind == "message" and "role" in item:
            role = item["role"]  # type: ignore[typeddict-item]
            content = item["content"]  # type: ignore[typeddict-item]
            converted.append({"role": role, "content": _responses_content(content, role)})
        elif kind == "function_call":
            call: dict[str, Any] = {
                "type": "function_call",
                "call_id": item["call_id"],  # type: ignore[typeddict-item]
                "name": item["name"],  # type: ignore[typeddict-item]
                "arguments": item["arguments"],  # type: ignore[typeddict-item]
            }
            if str(item.get("id", "")).startswith("fc"):
                call["id"] = item["id"]  # type: ignore[typeddict-item]
            converted.append(call)
        elif kind == "function_call_output":
            output = item["output"]  # type: ignore[typeddict-item]
            converted.append(
                {
                    "type": "function_call_output",
                    "call_id": item["call_id"],  # type: ignore[typeddict-item]
                    "output": (
                        [_with_detail(part) for part in output]  # type: ignore[arg-type]
                        if _content_parts(output)
                        else output_text(output)
                    ),
                }
            )
        elif kind == "reasoning":
            if include_reasoning and (_own_reasoning(item) or item.get("text")):
                converted.append(_reasoning_input(item))  # type: ignore[arg-type]
        else:
            raise unsupported_item(item)
    return converted


def _content_parts(output: Any) -> bool:
    """Whether a sword result is content parts the Responses API takes as they are (images)."""
    return (
        isinstance(output, list)
        and bool(output)
        and all(get(part, "type") in _OUTPUT_PART_TYPES for part in output)
    )


_OUTPUT_PART_TYPES = frozenset({"input_text", "input_image", "input_file"})


def _reasoning_input(item: ReasoningInputItem) -> dict[str, Any]:
    """OpenAI wants its own reasoning items back by id; other servers take the text, and so
    does reasoning another wire produced (Claude's thinking: its signature is not OpenAI's)."""
    wire: dict[str, Any] = {"type": "reasoning", "summary": item.get("summary", [])}
    own = _own_reasoning(item)
    if own and "id" in item:
        wire["id"] = item["id"]
    if own and "encrypted_content" in item:
        wire["encrypted_content"] = item["encrypted_content"]
    if "id" not in wire and "encrypted_content" not in wire:
        wire["content"] = [{"type": "reasoning_text", "text": item["text"]}]
    return wire


def _own_reasoning(item: Any) -> bool:
    return item.get("provider") in (None, "openai")


def _responses_content(content: Any, role: str) -> Any:
    if isinstance(content, str):
        return content
    text_type = "output_text" if role == "assistant" else "input_text"
    return [_responses_part(part, text_type) for part in content]


def _responses_part(part: dict[str, Any], text_type: str) -> dict[str, Any]:
    kind = part.get("type")
    if kind in ("text", "input_text", "output_text"):
        return {"type": text_type, "text": part["text"]}
    if kind == "image_url":
        image = part["image_url"]
        url = image if isinstance(image, str) else image.get("url")
        converted = {"type": "input_image", "image_url": url, "detail": "auto"}
        if isinstance(image, dict) and image.get("detail"):
            converted["detail"] = image["detail"]
        return converted
    if kind == "file":
        return {"type": "input_file", **part.get("file", {})}
    return _with_detail(part)


def _with_detail(part: dict[str, Any]) -> dict[str, Any]:
    """An `input_image` with its `detail`: the Responses API requires the field (OpenAI's
    published spec), so one given without it says "auto"."""
    if part.get("type") == "input_image" and "detail" not in part:
        return {**part, "detail": "auto"}
    return part


# --- reply ---------------------------------------------------------------------------------------


def responses_usage(usage: Any) -> Usage:
    if usage is None:
        return Usage.unreported()
    input_tokens = get(usage, "input_tokens") or 0
    output_tokens = get(usage, "output_tokens") or 0
    return Usage(
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=get(usage, "total_tokens") or input_tokens + output_tokens,
        reasoning_tokens=get(get(usage, "output_tokens_details"), "reasoning_tokens") or 0,
        cached_tokens=get(get(usage, "input_tokens_details"), "cached_tokens") or 0,
        cost=reported_cost(usage),
    )


def responses_response(response: Any) -> ModelResponse:
    """A whole Responses reply as a `ModelResponse`."""
    if not isinstance(response, dict) and not hasattr(response, "output"):
        raise UnexpectedReply(f"the reply is not a response object: {str(response)[:200]!r}")
    status = get(response, "status")
    if get(response, "output") is None and get(response, "error"):
        error = get(response, "error")
        raise ModelError(
            f"The server answered with an error: {get(error, 'message') or error}",
            code=get(error, "code"),
            server_message=get(error, "message"),
        )
    if not isinstance(get(response, "output"), list):
        raise UnexpectedReply(f"the reply has no output list: {str(response)[:200]!r}")
    if status == "failed":
        error = get(response, "error")
        raise ModelError(
            f"The model failed to answer: {get(error, 'message') or error}",
            code=get(error, "code"),
            server_message=get(error, "message"),
        )
    output: list[InputItem] = []
    logprobs: list[dict[str, Any]] = []
    has_calls = False
    for item in get(response, "output") or ():
        kind = get(item, "type")
        if kind == "reasoning":
            output.append(_reasoning_output(item))
        elif kind == "message":
            text_parts: list[str] = []
            for part in get(item, "content") or ():
                part_type = get(part, "type")
                if part_type == "output_text":
                    text_parts.append(get(part, "text") or "")
                    logprobs.extend(as_dict(entry) for entry in get(part, "logprobs") or ())
                elif part_type == "refusal":
                    text_parts.append(get(part, "refusal") or "")
            output.extend(_message_output("".join(text_parts)))
        elif kind == "function_call":
            has_calls = True
            call: dict[str, Any] = {
                "type": "function_call",
                "call_id": get(item, "call_id") or new_call_id(),
                "name": get(item, "name"),
                "arguments": arguments_text(get(item, "arguments")),
            }
            if get(item, "id"):
                call["id"] = get(item, "id")
            output.append(call)  # type: ignore[arg-type]
    if not get(response, "output") and status != "incomplete":
        raise EmptyReply(f"the response has no output items: {str(response)[:200]!r}")
    return ModelResponse(
        output=output,
        usage=responses_usage(get(response, "usage")),
        response_id=get(response, "id"),
        model=get(response, "model"),
        finish_reason=_finish_reason(response, has_calls),
        logprobs=logprobs or None,
    )


def _reasoning_output(item: Any) -> ReasoningInputItem:
    content = "".join(get(part, "text") or "" for part in get(item, "content") or ())
    summary = [as_dict(part) for part in get(item, "summary") or ()]
    text = content or "\n\n".join(str(part.get("text", "")) for part in summary)
    reasoning: ReasoningInputItem = {"type": "reasoning", "text": text}
    if get(item, "id"):
        reasoning["id"] = get(item, "id")
    if summary:
        reasoning["summary"] = summary
    if get(item, "encrypted_content"):
        reasoning["encrypted_content"] = get(item, "encrypted_content")
    return reasoning


def _message_output(content: str) -> list[InputItem]:
    """A message's text, with `<think>` reasoning (open-weights servers) split off."""
    if "think>" not in content:
        return [assistant_message(content)] if content else []
    reasoning, text = split_think_tags(content)
    items: list[InputItem] = []
    if reasoning:
        items.append(reasoning_item(reasoning))
    if text:
        items.append(assistant_message(text))
    return items


def _finish_reason(response: Any, has_calls: bool) -> str | None:
    status = get(response, "status")
    if status == "incomplete":
        reason = get(get(response, "incomplete_details"), "reason")
        return "length" if reason == "max_output_tokens" else reason or "incomplete"
    if status in ("completed", None):
        return "tool_calls" if has_calls else "stop"
    return str(status)


class ResponsesStream:
    """Turns Responses stream events into neutral events; the final response comes from the
    server's `response.completed` event."""

    def __init__(self, *, implicit_think: bool = False) -> None:
        self._parser = ThinkTagParser(implicit_open=implicit_think)
        self._call_index: dict[Any, int] = {}
        self._final: Any = None

    def feed(self, event: Any) -> list[ModelStreamEvent]:
        kind = get(event, "type")
        if kind == "response.output_text.delta":
            return [
                ReasoningDelta(piece) if is_reasoning else TextDelta(piece)
                for is_reasoning, piece in self._parser.feed(get(event, "delta") or "")
            ]
        if kind in ("response.reasoning_text.delta", "response.reasoning_summary_text.delta"):
            self._parser.no_implicit_reasoning()
            delta = get(event, "delta")
            return [ReasoningDelta(delta)] if delta else []
        if kind == "response.function_call_arguments.delta":
            index = self._call_index.get(get(event, "output_index"))
            delta = get(event, "delta")
            return [SwordCallDelta(index, delta)] if index is not None and delta else []
        if kind == "response.output_item.added":
            return self._on_item_added(event)
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            self._final = get(event, "response")
        elif kind == "error":
            raise ModelError(
                f"The server reported an error mid-stream: {get(event, 'message')}",
                code=get(event, "code"),
                server_message=get(event, "message"),
            )
        return []

    def _on_item_added(self, event: Any) -> list[ModelStreamEvent]:
        item = get(event, "item")
        if get(item, "type") != "function_call":
            return []
        index = len(self._call_index)
        self._call_index[get(event, "output_index")] = index
        events: list[ModelStreamEvent] = [
            SwordCallDelta(index, "", get(item, "call_id"), get(item, "name"))
        ]
        if get(item, "arguments"):
            events.append(SwordCallDelta(index, get(item, "arguments")))
        return events

    def finish(self) -> list[ModelStreamEvent]:
        return [
            ReasoningDelta(piece) if is_reasoning else TextDelta(piece)
            for is_reasoning, piece in self._parser.finish()
        ]

    def response(self) -> ModelResponse:
        if self._final is None:
            raise IncompleteStream("the stream ended before the response was completed")
        return responses_response(self._final)
