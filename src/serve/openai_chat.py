"""`POST /v1/chat/completions` with an agent as the model: the run's answer as a chat
completion, or its text and reasoning as `chat.completion.chunk` events while it runs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from ..models.interface import ReasoningDelta, TextDelta
from ..runners.events import RawResponseEvent
from ..runners.streaming import RunResultStreaming
from ..util.usage import Usage
from .errors import client_message
from .outcome import as_text, check_no_approvals, new_id

__all__ = ["chat_chunks", "chat_completion", "chat_usage"]


def chat_usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def chat_completion(model: str, result: RunResultStreaming[Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": as_text(result.final_output)}
    if result.reasoning:
        message["reasoning_content"] = result.reasoning
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        "usage": chat_usage(result.usage),
    }


class _Chunks:
    def __init__(self, model: str) -> None:
        self.head = {
            "id": new_id("chatcmpl-"),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }

    def delta(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**self.head, "choices": [choice]}

    def usage(self, usage: Usage) -> dict[str, Any]:
        return {**self.head, "choices": [], "usage": chat_usage(usage)}


async def chat_chunks(
    model: str, result: RunResultStreaming[Any], include_usage: bool
) -> AsyncIterator[dict[str, Any] | None]:
    """The run's chunks; an error chunk if it fails; None for the closing `[DONE]`."""
    chunks = _Chunks(model)
    yield chunks.delta({"role": "assistant", "content": ""})
    wrote_text = False
    try:
        async for event in result.stream_events():
            delta = _delta(event)
            if delta:
                wrote_text = wrote_text or "content" in delta
                yield chunks.delta(delta)
        check_no_approvals(result)
    except Exception as exc:
        yield {"error": {"message": client_message(exc), "type": "server_error", "code": None}}
        return
    if not wrote_text and result.final_output is not None:  # not streamed as text (a sword's)
        yield chunks.delta({"content": as_text(result.final_output)})
    yield chunks.delta({}, "stop")
    if include_usage:
        yield chunks.usage(result.usage)
    yield None


def _delta(event: Any) -> dict[str, Any] | None:
    if not isinstance(event, RawResponseEvent):
        return None
    if isinstance(event.data, TextDelta):
        return {"content": event.data.delta}
    if isinstance(event.data, ReasoningDelta):
        return {"reasoning_content": event.data.delta}
    return None
