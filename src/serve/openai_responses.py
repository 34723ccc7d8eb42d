"""`POST /v1/responses` with an agent as the model: the run's answer as a `response` object, or
the Responses stream events (reasoning, then text, then `response.completed`) while it runs."""

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

__all__ = ["response_events", "response_object"]


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _reasoning(item_id: str, text: str) -> dict[str, Any]:
    summary = [{"type": "summary_text", "text": text}] if text else []
    return {"type": "reasoning", "id": item_id, "summary": summary, "status": "completed"}


def _message(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if status else []
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": status or "in_progress",
        "content": content,
    }


def _response(
    response_id: str, model: str, status: str, output: list[dict[str, Any]], usage: Usage | None
) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": status,
        "output": output,
        "usage": _usage(usage) if usage else None,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "temperature": None,
        "top_p": None,
    }


def response_object(model: str, result: RunResultStreaming[Any]) -> dict[str, Any]:
    output = [_reasoning(new_id("rs_"), result.reasoning)] if result.reasoning else []
    output.append(_message(new_id("msg_"), as_text(result.final_output)))
    return _response(new_id("resp_"), model, "completed", output, result.usage)


class _Events:
    """Numbers each event, and keeps the output items as they are written."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.response_id = new_id("resp_")
        self.sequence = 0
        self.output: list[dict[str, Any]] = []

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.sequence += 1
        return {"type": kind, "sequence_number": self.sequence, **fields}

    def response(self, status: str, usage: Usage | None = None) -> dict[str, Any]:
        return _response(self.response_id, self.model, status, self.output, usage)


class _Item:
    """The output item being written: reasoning or a message, and its text so far."""

    def __init__(self, kind: str, index: int) -> None:
        self.kind = kind
        self.index = index
        self.id = new_id("rs_" if kind == "reasoning" else "msg_")
        self.text = ""

    def done(self) -> dict[str, Any]:
        if self.kind == "reasoning":
            return _reasoning(self.id, self.text)
        return _message(self.id, self.text)


async def response_events(
    model: str, result: RunResultStreaming[Any]
) -> AsyncIterator[dict[str, Any]]:
    """The run as Responses stream events; `response.failed` (after an `error`) if it fails."""
    events = _Events(model)
    yield events.event("response.created", response=events.response("in_progress"))
    yield events.event("response.in_progress", response=events.response("in_progress"))
    item: _Item | None = None
    try:
        async for event in result.stream_events():
            kind = _kind(event)
            if kind is None:
                continue
            if item is None or item.kind != kind:
                for closing in _close(events, item):
                    yield closing
                item = _Item(kind, len(events.output))
                for opening in _open(events, item):
                    yield opening
            item.text += event.data.delta  # type: ignore[union-attr]
            yield _delta(events, item, event.data.delta)  # type: ignore[union-attr]
        check_no_approvals(result)
    except Exception as exc:
        message = client_message(exc)
        yield events.event("error", message=message, code="server_error", param=None)
        yield events.event("response.failed", response=events.response("failed"))
        return
    if item is None or item.kind != "message":  # the answer did not stream as text
        for closing in _close(events, item):
            yield closing
        item = _Item("message", len(events.output))
        for opening in _open(events, item):
            yield opening
        item.text = as_text(result.final_output)
        yield _delta(events, item, item.text)
    for closing in _close(events, item):
        yield closing
    yield events.event("response.completed", response=events.response("completed", result.usage))


def _kind(event: Any) -> str | None:
    if isinstance(event, RawResponseEvent):
        if isinstance(event.data, TextDelta):
            return "message"
        if isinstance(event.data, ReasoningDelta):
            return "reasoning"
    return None


def _open(events: _Events, item: _Item) -> list[dict[str, Any]]:
    where: dict[str, Any] = {"item_id": item.id, "output_index": item.index}
    if item.kind == "reasoning":
        added = {"type": "reasoning", "id": item.id, "summary": [], "status": "in_progress"}
        part: dict[str, Any] = {"type": "summary_text", "text": ""}
        return [
            events.event("response.output_item.added", output_index=item.index, item=added),
            events.event(
                "response.reasoning_summary_part.added", summary_index=0, part=part, **where
            ),
        ]
    part = {"type": "output_text", "text": "", "annotations": []}
    return [
        events.event(
            "response.output_item.added", output_index=item.index, item=_message(item.id, "", "")
        ),
        events.event("response.content_part.added", content_index=0, part=part, **where),
    ]


def _delta(events: _Events, item: _Item, delta: str) -> dict[str, Any]:
    where: dict[str, Any] = {"item_id": item.id, "output_index": item.index}
    if item.kind == "reasoning":
        return events.event(
            "response.reasoning_summary_text.delta", summary_index=0, delta=delta, **where
        )
    return events.event(
        "response.output_text.delta", content_index=0, delta=delta, logprobs=[], **where
    )


def _close(events: _Events, item: _Item | None) -> list[dict[str, Any]]:
    if item is None:
        return []
    where: dict[str, Any] = {"item_id": item.id, "output_index": item.index}
    done = item.done()
    events.output.append(done)
    if item.kind == "reasoning":
        part: dict[str, Any] = {"type": "summary_text", "text": item.text}
        closing = [
            events.event(
                "response.reasoning_summary_text.done", summary_index=0, text=item.text, **where
            ),
            events.event(
                "response.reasoning_summary_part.done", summary_index=0, part=part, **where
            ),
        ]
    else:
        part = {"type": "output_text", "text": item.text, "annotations": []}
        closing = [
            events.event(
                "response.output_text.done", content_index=0, text=item.text, logprobs=[], **where
            ),
            events.event("response.content_part.done", content_index=0, part=part, **where),
        ]
    closing.append(events.event("response.output_item.done", output_index=item.index, item=done))
    return closing
